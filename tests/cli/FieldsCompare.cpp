// The same generated case run on 1 and on 2 ranks must give byte-identical `labels` data in fields.h5
// (fixtures cli_gen_np1 / cli_gen_np2 write gen_np1/ and gen_np2/).
#include <gtest/gtest.h>
#include <hdf5.h>

#include <cstring>
#include <string>
#include <vector>

namespace {
std::vector<unsigned char> readDatasetBytes(const std::string& file, const std::string& name, std::vector<hsize_t>& dims) {
  hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  EXPECT_GE(f, 0) << file;
  if (f < 0) return {};
  hid_t d = H5Dopen2(f, name.c_str(), H5P_DEFAULT);
  EXPECT_GE(d, 0) << file << ":" << name;
  hid_t s = H5Dget_space(d);
  int nd = H5Sget_simple_extent_ndims(s);
  dims.assign(static_cast<size_t>(nd), 0);
  H5Sget_simple_extent_dims(s, dims.data(), nullptr);
  hid_t t = H5Dget_type(d);
  size_t bytes = H5Tget_size(t) * static_cast<size_t>(H5Sget_simple_extent_npoints(s));
  std::vector<unsigned char> buf(bytes);
  H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data());
  H5Tclose(t);
  H5Sclose(s);
  H5Dclose(d);
  H5Fclose(f);
  return buf;
}
}  // namespace

TEST(Fields, LabelsByteIdenticalOnOneAndTwoRanks) {
  std::vector<hsize_t> d1, d2;
  auto a = readDatasetBytes("gen_np1/fields.h5", "labels", d1);
  auto b = readDatasetBytes("gen_np2/fields.h5", "labels", d2);
  ASSERT_FALSE(a.empty());
  EXPECT_EQ(d1, d2);
  ASSERT_EQ(d1.size(), 3u);
  EXPECT_EQ(d1[0], 20u);  // (nz, ny, nx) as in the case file
  EXPECT_EQ(d1[1], 22u);
  EXPECT_EQ(d1[2], 24u);
  ASSERT_EQ(a.size(), b.size());
  EXPECT_EQ(0, std::memcmp(a.data(), b.data(), a.size()));
}

TEST(Fields, SavedVolumeMatchesFieldLabels) {
  std::vector<hsize_t> d1, d2;
  auto f = readDatasetBytes("gen_np2/fields.h5", "labels", d1);
  auto l = readDatasetBytes("gen_np2/labels.h5", "labels", d2);
  ASSERT_EQ(d1, d2);
  ASSERT_EQ(f.size(), l.size() * sizeof(double));  // labels.h5 holds uint8 labels, fields.h5 doubles
  const double* fd = reinterpret_cast<const double*>(f.data());
  for (size_t i = 0; i < l.size(); ++i) ASSERT_EQ(fd[i], static_cast<double>(l[i])) << "voxel " << i;
}

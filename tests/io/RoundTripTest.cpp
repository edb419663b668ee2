// Round trips through every format: a labelled 23 x 17 x 11 volume is written (by ssbvox's writers, or by
// libtiff / the HDF5 C API directly), then read back whole and by sub-boxes; voxels and per-label counts
// must equal what was written. Voxel sizes written must come back.
#include <hdf5.h>

#include <algorithm>
#include <cmath>

#include "IoTestUtil.hpp"
#include "mesh/VolumeFormats.hpp"
#include "solver/core/AtomicFile.hpp"

namespace ssb::iotest {
namespace {

const std::array<int64_t, 3> kN{23, 17, 11};
const std::vector<uint16_t> kLabels8{0, 1, 2, 7};
const std::vector<uint16_t> kLabels16{0, 1, 2, 7, 300, 65535};

TEST(VolumeRoundTrip, PatternUsesEveryLabel) {
  // Guards the tests below: a pattern missing a label would make the count comparison weaker.
  EXPECT_EQ(histogram(patternVolume(kN, kLabels8)).size(), kLabels8.size());
  EXPECT_EQ(histogram(patternVolume(kN, kLabels16)).size(), kLabels16.size());
}

TEST(VolumeRoundTrip, MultiPageTiff16) {
  ScratchDir dir;
  const auto data = patternVolume(kN, kLabels16);
  writeTiff(dir / "v16.tif", kN, data, 16, 2.5e-7);
  EXPECT_FALSE(fs::exists(tempPathFor(dir / "v16.tif")));
  auto r = open(dir / "v16.tif");
  EXPECT_EQ(r->info().format, "tiff");
  EXPECT_EQ(r->info().dtype, "uint16");
  ASSERT_TRUE(r->info().voxelSize.has_value());
  // TIFF stores 0.01 m / 2.5e-7 m = 40000 pixels per cm as a rational: exact to float precision.
  EXPECT_NEAR(*r->info().voxelSize, 2.5e-7, 2.5e-7 * 1e-6);
  expectSameVolume(*r, data, kN, "16-bit multi-page TIFF");
}

TEST(VolumeRoundTrip, MultiPageTiff8WithoutVoxelSize) {
  ScratchDir dir;
  const auto data = patternVolume(kN, kLabels8);
  writeTiff(dir / "v8.tiff", kN, data, 8);
  auto r = open(dir / "v8.tiff");
  EXPECT_EQ(r->info().dtype, "uint8");
  EXPECT_FALSE(r->info().voxelSize.has_value());
  expectSameVolume(*r, data, kN, "8-bit multi-page TIFF");
}

TEST(VolumeRoundTrip, FolderOfSlicesInNaturalOrder) {
  ScratchDir dir;
  const auto data = patternVolume(kN, kLabels8);
  fs::create_directories(dir / "slices");
  // Unpadded numbers: plain string order would put slice_10 before slice_2 and scramble z.
  for (int64_t z = 0; z < kN[2]; ++z) {
    std::vector<uint16_t> slice(data.begin() + z * kN[0] * kN[1], data.begin() + (z + 1) * kN[0] * kN[1]);
    writeTiff(dir / "slices" / ("slice_" + std::to_string(z) + ".tif"), {kN[0], kN[1], 1}, slice, 8, 1e-6);
  }
  writeBytes(dir / "slices" / "notes.txt", "not a slice");  // other files in the folder are ignored
  auto r = open(dir / "slices");
  EXPECT_EQ(r->info().format, "tiff-folder");
  EXPECT_EQ(r->info().dtype, "uint8");
  ASSERT_TRUE(r->info().voxelSize.has_value());
  EXPECT_NEAR(*r->info().voxelSize, 1e-6, 1e-12);
  expectSameVolume(*r, data, kN, "folder of 8-bit slices");
}

TEST(VolumeRoundTrip, NaturalSortOrder) {
  using volio::naturalLess;
  EXPECT_TRUE(naturalLess("slice_2.tif", "slice_10.tif"));
  EXPECT_FALSE(naturalLess("slice_10.tif", "slice_2.tif"));
  EXPECT_TRUE(naturalLess("a9b", "a10a"));
  EXPECT_TRUE(naturalLess("img_0009.tif", "img_0010.tif"));
  EXPECT_TRUE(naturalLess("s1.tif", "s01.tif"));  // same value: fewer zeros first, so the order is total
  EXPECT_FALSE(naturalLess("x", "x"));
  EXPECT_TRUE(naturalLess("x", "x1"));
  EXPECT_TRUE(naturalLess("99999999999999999999999", "100000000000000000000000"));  // longer than int64
}

TEST(VolumeRoundTrip, Hdf5Labels16WithVoxelSize) {
  ScratchDir dir;
  const auto data = patternVolume(kN, kLabels16);
  writeHdf5Labels(dir / "v.h5", "/segmentation/labels", kN, data, 16, 4e-7);
  EXPECT_FALSE(fs::exists(tempPathFor(dir / "v.h5")));
  for (const std::string ds : {"/segmentation/labels", "segmentation/labels", ""}) {
    auto r = open(dir / "v.h5", ds);
    EXPECT_EQ(r->info().format, "hdf5");
    EXPECT_EQ(r->info().dtype, "uint16");
    ASSERT_TRUE(r->info().voxelSize.has_value());
    EXPECT_EQ(*r->info().voxelSize, 4e-7);  // stored as a double attribute: exact
    expectSameVolume(*r, data, kN, "HDF5 16-bit, dataset '" + ds + "'");
  }
}

TEST(VolumeRoundTrip, Hdf5Labels8) {
  ScratchDir dir;
  const auto data = patternVolume(kN, kLabels8);
  writeHdf5Labels(dir / "v8.hdf5", "labels", kN, data, 8);
  auto r = open(dir / "v8.hdf5", "labels");
  EXPECT_EQ(r->info().dtype, "uint8");
  EXPECT_FALSE(r->info().voxelSize.has_value());
  expectSameVolume(*r, data, kN, "HDF5 8-bit");
}

// Writes `values` as dataset `name` with dims `dims` and HDF5 type `fileType` (memory type `memType`).
template <typename T>
void writeH5(const fs::path& p, const std::string& name, const std::vector<hsize_t>& dims, hid_t fileType,
             hid_t memType, const std::vector<T>& values, const std::string& axistags = "") {
  hid_t f = fs::exists(p) ? H5Fopen(p.c_str(), H5F_ACC_RDWR, H5P_DEFAULT)
                          : H5Fcreate(p.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  ASSERT_GE(f, 0);
  hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
  H5Pset_create_intermediate_group(lcpl, 1);
  hid_t s = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
  hid_t d = H5Dcreate2(f, name.c_str(), fileType, s, lcpl, H5P_DEFAULT, H5P_DEFAULT);
  ASSERT_GE(d, 0);
  ASSERT_GE(H5Dwrite(d, memType, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()), 0);
  if (!axistags.empty()) {
    hid_t st = H5Tcopy(H5T_C_S1);
    H5Tset_size(st, axistags.size());
    hid_t as = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(d, "axistags", st, as, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, st, axistags.data());
    H5Aclose(a);
    H5Sclose(as);
    H5Tclose(st);
  }
  H5Dclose(d);
  H5Sclose(s);
  H5Pclose(lcpl);
  H5Fclose(f);
}

TEST(VolumeRoundTrip, Hdf5TrailingChannelAxisAsIlastikExports) {
  ScratchDir dir;
  const auto data = patternVolume(kN, kLabels8);
  std::vector<uint8_t> bytes(data.begin(), data.end());
  const std::vector<hsize_t> dims{11, 17, 23, 1};  // (z, y, x, c)
  writeH5(dir / "ilastik.h5", "exported_data", dims, H5T_STD_U8LE, H5T_NATIVE_UINT8, bytes);
  auto r = open(dir / "ilastik.h5", "exported_data");
  EXPECT_EQ(r->info().dtype, "uint8");
  expectSameVolume(*r, data, kN, "HDF5 (z,y,x,1)");

  // The same with Ilastik's axistags attribute naming the axes.
  writeH5(
      dir / "tagged.h5", "exported_data", dims, H5T_STD_U8LE, H5T_NATIVE_UINT8, bytes,
      R"({"axes": [{"key": "z", "typeFlags": 2}, {"key": "y", "typeFlags": 2}, {"key": "x", "typeFlags": 2},)"
      R"( {"key": "c", "typeFlags": 1}]})");
  expectSameVolume(*open(dir / "tagged.h5"), data, kN, "HDF5 with axistags zyxc");
}

TEST(VolumeRoundTrip, Hdf5TwoDimensionalIsOneSlice) {
  ScratchDir dir;
  const std::array<int64_t, 3> n2{kN[0], kN[1], 1};
  const auto data = patternVolume(n2, kLabels16);
  writeH5(dir / "2d.h5", "img", {17, 23}, H5T_STD_U16BE, H5T_NATIVE_UINT16, data);  // big-endian file type
  expectSameVolume(*open(dir / "2d.h5"), data, n2, "2-D HDF5");
}

TEST(VolumeRoundTrip, Hdf5OtherNumericTypesHoldingLabels) {
  ScratchDir dir;
  const auto data = patternVolume(kN, kLabels16);
  const std::vector<hsize_t> dims{11, 17, 23};
  std::vector<float> f(data.begin(), data.end());
  writeH5(dir / "f.h5", "f", dims, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, f);
  std::vector<int32_t> i(data.begin(), data.end());
  writeH5(dir / "i.h5", "i", dims, H5T_STD_I32LE, H5T_NATIVE_INT32, i);
  std::vector<uint64_t> u(data.begin(), data.end());
  writeH5(dir / "u.h5", "u", dims, H5T_STD_U64LE, H5T_NATIVE_UINT64, u);
  auto rf = open(dir / "f.h5");
  EXPECT_EQ(rf->info().dtype, "float32");
  expectSameVolume(*rf, data, kN, "HDF5 float32");
  expectSameVolume(*open(dir / "i.h5"), data, kN, "HDF5 int32");
  expectSameVolume(*open(dir / "u.h5"), data, kN, "HDF5 uint64");
}

TEST(VolumeRoundTrip, RawFormats) {
  ScratchDir dir;
  const auto data16 = patternVolume(kN, kLabels16);
  const auto data8 = patternVolume(kN, kLabels8);
  auto spec = [&](const fs::path& p, const std::string& dtype, int64_t header) {
    VolumeFileSpec s;
    s.path = p;
    s.rawShape = kN;
    s.rawDtype = dtype;
    s.rawHeaderBytes = header;
    return s;
  };
  writeRaw(dir / "v.raw", data16, "uint16");
  EXPECT_EQ(fs::file_size(dir / "v.raw"), static_cast<uintmax_t>(2 * kN[0] * kN[1] * kN[2]));
  auto r = openVolume(spec(dir / "v.raw", "uint16", 0));
  EXPECT_EQ(r->info().format, "raw");
  expectSameVolume(*r, data16, kN, "raw uint16");

  writeRaw(dir / "v8.bin", data8, "uint8");
  expectSameVolume(*openVolume(spec(dir / "v8.bin", "uint8", 0)), data8, kN, "raw uint8");

  // Big-endian with a 64-byte header written here: the header is skipped, bytes are swapped.
  writeRaw(dir / "body", data16, "uint16be");
  const std::string body = readBytes(dir / "body");
  // Big-endian means most significant byte first: label 300 = 0x012C is stored as 01 2C.
  const size_t at300 = static_cast<size_t>(std::find(data16.begin(), data16.end(), 300) - data16.begin());
  ASSERT_LT(at300, data16.size());
  EXPECT_EQ(static_cast<unsigned char>(body[2 * at300]), 0x01);
  EXPECT_EQ(static_cast<unsigned char>(body[2 * at300 + 1]), 0x2C);
  writeBytes(dir / "v.dat", std::string(64, 'H') + body);
  expectSameVolume(*openVolume(spec(dir / "v.dat", "uint16be", 64)), data16, kN, "raw uint16be + header");

  writeRaw(dir / "vf.raw", data16, "float32");
  expectSameVolume(*openVolume(spec(dir / "vf.raw", "float32", 0)), data16, kN, "raw float32");
}

}  // namespace
}  // namespace ssb::iotest

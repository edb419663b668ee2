// FieldWriter / FieldReader on 1 and 2 ranks: every kind of field (cell scalar, cell vector, node vector,
// single precision, uint8/uint16 labels, a time series, arrays) is written through parallel HDF5 and
// checked three ways: the raw datasets read serially by rank 0 (types, dims, values at natural indices, so
// the layout does not depend on the rank count), FieldReader back into distributed Vecs (checkpoint
// restart), and the XDMF sidecar (structure; well-formed XML by xmllint where it is installed). Files
// appear only at close(); bad uses and bad checkpoints give errors naming the file and dataset.
#include <gtest/gtest.h>
#include <hdf5.h>
#include <petscdmda.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "mesh/FieldWriter.hpp"
#include "solver/core/AtomicFile.hpp"
#include "solver/core/Error.hpp"

namespace ssb {
namespace {

int worldRank() {
  int r = 0;
  MPI_Comm_rank(PETSC_COMM_WORLD, &r);
  return r;
}
int worldSize() {
  int s = 0;
  MPI_Comm_size(PETSC_COMM_WORLD, &s);
  return s;
}

std::filesystem::path freshDir(const std::string& tag) {
  auto dir =
      std::filesystem::temp_directory_path() / fmt::format("ssb_fieldwriter_{}_np{}", tag, worldSize());
  if (worldRank() == 0) {
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
  }
  MPI_Barrier(PETSC_COMM_WORLD);
  return dir;
}

VoxelGrid geometry() {
  VoxelGrid g;
  g.n = {6, 5, 4};
  g.spacing = {1e-6, 2e-6, 3e-6};
  g.origin = {0.0, 1e-6, 0.0};
  return g;
}

// Value of component c at natural point (i, j, k): distinct everywhere, exact in float too.
double value(int64_t i, int64_t j, int64_t k, int c) { return 1000.0 * c + i + 10.0 * j + 100.0 * k + 0.5; }

// A global Vec on `dm` filled with value(); dof from the DMDA.
VecHandle filled(DM dm, double offset = 0.0) {
  VecHandle v;
  SSB_PETSC(DMCreateGlobalVector(dm, v.out()));
  PetscInt xs, ys, zs, xm, ym, zm, dof;
  SSB_PETSC(DMDAGetCorners(dm, &xs, &ys, &zs, &xm, &ym, &zm));
  SSB_PETSC(DMDAGetInfo(dm, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, &dof, nullptr,
                        nullptr, nullptr, nullptr, nullptr));
  PetscScalar* a = nullptr;
  SSB_PETSC(VecGetArray(v, &a));
  size_t p = 0;
  for (PetscInt k = zs; k < zs + zm; ++k)
    for (PetscInt j = ys; j < ys + ym; ++j)
      for (PetscInt i = xs; i < xs + xm; ++i)
        for (PetscInt c = 0; c < dof; ++c) a[p++] = value(i, j, k, static_cast<int>(c)) + offset;
  SSB_PETSC(VecRestoreArray(v, &a));
  return v;
}

DMHandle nodeDa(const StructuredGrid& grid, int dof) {
  const auto& n = grid.geometry().n;
  DMHandle dm;
  SSB_PETSC(DMDACreate3d(PETSC_COMM_WORLD, DM_BOUNDARY_NONE, DM_BOUNDARY_NONE, DM_BOUNDARY_NONE,
                         DMDA_STENCIL_BOX, static_cast<PetscInt>(n[0] + 1), static_cast<PetscInt>(n[1] + 1),
                         static_cast<PetscInt>(n[2] + 1), PETSC_DECIDE, PETSC_DECIDE, PETSC_DECIDE, dof, 1,
                         nullptr, nullptr, nullptr, dm.out()));
  SSB_PETSC(DMSetUp(dm));
  return dm;
}

struct Raw {
  std::vector<hsize_t> dims;
  H5T_class_t cls = H5T_NO_CLASS;
  size_t bytes = 0;
  H5T_sign_t sign = H5T_SGN_ERROR;
  std::vector<double> values;
};

// Serial read on one rank (independent of how the file was written).
Raw readRaw(const std::filesystem::path& file, const std::string& dataset) {
  Raw r;
  hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  EXPECT_GE(f, 0) << file;
  hid_t d = H5Dopen2(f, dataset.c_str(), H5P_DEFAULT);
  EXPECT_GE(d, 0) << dataset;
  if (d < 0) {
    H5Fclose(f);
    return r;
  }
  hid_t s = H5Dget_space(d);
  r.dims.resize(static_cast<size_t>(H5Sget_simple_extent_ndims(s)));
  H5Sget_simple_extent_dims(s, r.dims.data(), nullptr);
  hid_t t = H5Dget_type(d);
  r.cls = H5Tget_class(t);
  r.bytes = H5Tget_size(t);
  if (r.cls == H5T_INTEGER) r.sign = H5Tget_sign(t);
  r.values.resize(static_cast<size_t>(H5Sget_simple_extent_npoints(s)));
  H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, r.values.data());
  H5Tclose(t);
  H5Sclose(s);
  H5Dclose(d);
  H5Fclose(f);
  return r;
}

// The natural-order value of point p (x fastest, then components) in a dataset of dims (nz, ny, nx[, c]).
double expected(const std::vector<hsize_t>& dims, size_t p, double offset = 0.0) {
  const size_t nc = dims.size() == 4 ? dims[3] : 1;
  const size_t c = p % nc, q = p / nc;
  const size_t i = q % dims[2], j = (q / dims[2]) % dims[1], k = q / (dims[2] * dims[1]);
  return value(static_cast<int64_t>(i), static_cast<int64_t>(j), static_cast<int64_t>(k),
               static_cast<int>(c)) +
         offset;
}

std::string slurp(const std::filesystem::path& p) {
  std::ifstream is(p);
  std::stringstream ss;
  ss << is.rdbuf();
  return ss.str();
}

size_t count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) ++n;
  return n;
}

TEST(FieldWriter, EveryKindOfFieldRoundTrips) {
  StructuredGrid grid(PETSC_COMM_WORLD, geometry());
  const auto dir = freshDir("kinds");
  DMHandle cell3;
  SSB_PETSC(DMDACreateCompatibleDMDA(grid.dm(), 3, cell3.out()));
  DMHandle node1 = nodeDa(grid, 1), node3 = nodeDa(grid, 3);
  // Labels: 0..6 (uint8) and one volume with a label above 255 (uint16).
  std::vector<uint16_t> small, large;
  grid.forEachOwned([&](int64_t i, int64_t j, int64_t k, int64_t) {
    small.push_back(static_cast<uint16_t>((i + j + k) % 7));
    large.push_back(static_cast<uint16_t>(i == 5 && j == 4 && k == 3 ? 300 : (i + j) % 3));
  });
  {
    FieldWriter fw(grid, dir);
    fw.write(filled(grid.dm()), "phi", "V");
    fw.write(filled(grid.dm()), "phi_single", "V", Precision::Single);
    fw.write(filled(cell3), "flux", "A/m^2");
    fw.write(filled(node1), "node_scalar", "m");
    fw.write(filled(node3), "displacement", "m");
    fw.writeLabels(small, "labels");
    fw.writeLabels(large, "labels16");
    for (int s = 0; s < 3; ++s) {
      fw.writeAt("lithiation", 10.0 * s, filled(grid.dm(), s), "x", "1");
      fw.writeAt("lithiation", 10.0 * s, filled(grid.dm(), -s), "phi_e", "V", Precision::Single);
    }
    fw.writeArray("checkpoint_state", {1.5, 42.0, -3.0});
    // Nothing is visible before close().
    if (worldRank() == 0) {
      EXPECT_FALSE(std::filesystem::exists(dir / "fields.h5"));
      EXPECT_TRUE(std::filesystem::exists(tempPathFor(dir / "fields.h5")));
    }
    fw.close();
  }
  MPI_Barrier(PETSC_COMM_WORLD);
  const auto h5 = dir / "fields.h5";
  if (worldRank() == 0) {
    EXPECT_FALSE(std::filesystem::exists(tempPathFor(dir / "fields.h5")));
    EXPECT_FALSE(std::filesystem::exists(tempPathFor(dir / "fields.xdmf")));
    struct Case {
      const char* dataset;
      std::vector<hsize_t> dims;
      H5T_class_t cls;
      size_t bytes;
      double offset;
    };
    for (const Case& c : std::vector<Case>{{"/phi", {4, 5, 6}, H5T_FLOAT, 8, 0},
                                           {"/phi_single", {4, 5, 6}, H5T_FLOAT, 4, 0},
                                           {"/flux", {4, 5, 6, 3}, H5T_FLOAT, 8, 0},
                                           {"/node_scalar", {5, 6, 7}, H5T_FLOAT, 8, 0},
                                           {"/displacement", {5, 6, 7, 3}, H5T_FLOAT, 8, 0},
                                           {"/lithiation/000002/x", {4, 5, 6}, H5T_FLOAT, 8, 2},
                                           {"/lithiation/000001/phi_e", {4, 5, 6}, H5T_FLOAT, 4, -1}}) {
      Raw r = readRaw(h5, c.dataset);
      EXPECT_EQ(r.dims, c.dims) << c.dataset;
      EXPECT_EQ(r.cls, c.cls) << c.dataset;
      EXPECT_EQ(r.bytes, c.bytes) << c.dataset;
      for (size_t p = 0; p < r.values.size(); ++p)
        ASSERT_EQ(r.values[p], expected(r.dims, p, c.offset)) << c.dataset << " point " << p;
    }
    Raw l8 = readRaw(h5, "/labels"), l16 = readRaw(h5, "/labels16");
    EXPECT_EQ(l8.cls, H5T_INTEGER);
    EXPECT_EQ(l8.bytes, 1u);
    EXPECT_EQ(l8.sign, H5T_SGN_NONE);
    EXPECT_EQ(l16.bytes, 2u);
    EXPECT_EQ(l16.sign, H5T_SGN_NONE);
    for (size_t p = 0; p < l8.values.size(); ++p) {
      const size_t i = p % 6, j = (p / 6) % 5, k = p / 30;
      ASSERT_EQ(l8.values[p], static_cast<double>((i + j + k) % 7)) << p;
      ASSERT_EQ(l16.values[p], i == 5 && j == 4 && k == 3 ? 300.0 : static_cast<double>((i + j) % 3)) << p;
    }
    Raw arr = readRaw(h5, "/checkpoint_state");
    EXPECT_EQ(arr.values, (std::vector<double>{1.5, 42.0, -3.0}));

    // XDMF: one static grid, one temporal collection with three times, the right types and centring.
    const std::string x = slurp(dir / "fields.xdmf");
    EXPECT_NE(x.find("<Xdmf Version=\"3.0\">"), std::string::npos);
    EXPECT_NE(x.find("GridType=\"Collection\" CollectionType=\"Temporal\""), std::string::npos) << x;
    EXPECT_EQ(count(x, "<Time Value="), 3u);
    EXPECT_NE(x.find("<Time Value=\"20\"/>"), std::string::npos);
    EXPECT_EQ(count(x, "TopologyType=\"3DCoRectMesh\" Dimensions=\"5 6 7\""), 4u);  // static + 3 times
    EXPECT_NE(x.find("Name=\"displacement [m]\" AttributeType=\"Vector\" Center=\"Node\""),
              std::string::npos);
    EXPECT_NE(x.find("Dimensions=\"5 6 7 3\" NumberType=\"Float\" Precision=\"8\""), std::string::npos);
    EXPECT_NE(x.find("Name=\"flux [A/m^2]\" AttributeType=\"Vector\" Center=\"Cell\""), std::string::npos);
    EXPECT_NE(x.find("Name=\"node_scalar [m]\" AttributeType=\"Scalar\" Center=\"Node\""), std::string::npos);
    EXPECT_NE(
        x.find("Dimensions=\"4 5 6\" NumberType=\"UChar\" Precision=\"1\" Format=\"HDF\">fields.h5:/labels<"),
        std::string::npos);
    EXPECT_NE(x.find("NumberType=\"UInt\" Precision=\"2\" Format=\"HDF\">fields.h5:/labels16<"),
              std::string::npos);
    EXPECT_NE(x.find("Precision=\"4\" Format=\"HDF\">fields.h5:/phi_single<"), std::string::npos);
    EXPECT_NE(x.find("fields.h5:/lithiation/000002/x<"), std::string::npos);
    // Origin and spacing in (z, y, x) order, as XDMF's ORIGIN_DXDYDZ expects.
    EXPECT_NE(x.find(">3.0000000000000001e-06 1.9999999999999999e-06 9.9999999999999995e-07<"),
              std::string::npos)
        << x;
    if (std::system("command -v xmllint > /dev/null 2>&1") == 0) {
      const std::string cmd = "xmllint --noout " + (dir / "fields.xdmf").string();
      EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
    }
  }

  // Read back, distributed, into Vecs laid out like the ones written (restart from a checkpoint).
  FieldReader rd(PETSC_COMM_WORLD, h5);
  for (auto [dataset, dm] : std::vector<std::pair<std::string, DM>>{
           {"/phi", grid.dm()}, {"/flux", cell3}, {"/displacement", node3}, {"/node_scalar", node1}}) {
    VecHandle back, ref = filled(dm);
    SSB_PETSC(DMCreateGlobalVector(dm, back.out()));
    rd.read(dataset, back);
    PetscBool eq = PETSC_FALSE;
    SSB_PETSC(VecEqual(back, ref, &eq));
    EXPECT_TRUE(eq) << dataset;
  }
  const auto owned = rd.readOwned(grid, FieldWriter::seriesDataset("lithiation", 1, "x"));
  const auto ref = grid.getOwned(filled(grid.dm(), 1.0));
  EXPECT_EQ(owned, ref);
  EXPECT_EQ(rd.times("lithiation"), (std::vector<double>{0.0, 10.0, 20.0}));
  EXPECT_TRUE(rd.times("no_such_series").empty());
  EXPECT_EQ(rd.readArray("checkpoint_state"), (std::vector<double>{1.5, 42.0, -3.0}));
  EXPECT_TRUE(rd.has("/lithiation/000000/phi_e"));
  EXPECT_FALSE(rd.has("/lithiation/000003/phi_e"));
}

TEST(FieldWriter, CheckpointWithoutSidecarAndReplacedAtomically) {
  StructuredGrid grid(PETSC_COMM_WORLD, geometry());
  const auto dir = freshDir("ckpt");
  for (double t : {1.0, 2.0}) {  // the second checkpoint replaces the first in one rename
    FieldWriter fw(grid, dir, "checkpoint", false);
    fw.write(filled(grid.dm(), t), "x", "1");
    fw.writeArray("time", {t});
    fw.close();
  }
  if (worldRank() == 0) {
    EXPECT_TRUE(std::filesystem::exists(dir / "checkpoint.h5"));
    EXPECT_FALSE(std::filesystem::exists(dir / "checkpoint.xdmf"));
  }
  FieldReader rd(PETSC_COMM_WORLD, dir / "checkpoint.h5");
  EXPECT_EQ(rd.readArray("time"), std::vector<double>{2.0});
  EXPECT_EQ(rd.readOwned(grid, "/x"), grid.getOwned(filled(grid.dm(), 2.0)));
}

TEST(FieldWriter, UnclosedWriterLeavesNothing) {
  StructuredGrid grid(PETSC_COMM_WORLD, geometry());
  const auto dir = freshDir("unclosed");
  {
    FieldWriter fw(grid, dir);
    fw.write(filled(grid.dm()), "phi", "V");
  }  // e.g. a study threw: no close()
  MPI_Barrier(PETSC_COMM_WORLD);
  if (worldRank() == 0) {
    EXPECT_TRUE(std::filesystem::is_empty(dir));
  }
}

template <typename E>
std::string errorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  return "(no error of the expected type)";
}

TEST(FieldWriter, MisuseIsRefused) {
  StructuredGrid grid(PETSC_COMM_WORLD, geometry());
  const auto dir = freshDir("misuse");
  FieldWriter fw(grid, dir);
  fw.writeAt("s", 5.0, filled(grid.dm()), "x", "1");
  EXPECT_NE(
      errorOf<RunError>([&] { fw.writeAt("s", 4.0, filled(grid.dm()), "x", "1"); }).find("earlier t = 4 s"),
      std::string::npos);
  fw.write(filled(grid.dm()), "phi", "V");
  EXPECT_NE(errorOf<RunError>([&] { fw.write(filled(grid.dm()), "phi", "V"); }).find("written twice"),
            std::string::npos);
  // A DMDA that is neither the cells nor the corners of this grid.
  VoxelGrid other = geometry();
  other.n = {3, 3, 3};
  StructuredGrid small(PETSC_COMM_WORLD, other);
  EXPECT_NE(errorOf<RunError>([&] {
              fw.write(filled(small.dm()), "wrong", "V");
            }).find("expected the grid's 6 x 5 x 4"),
            std::string::npos);
  EXPECT_NE(errorOf<RunError>([&] { fw.write(filled(grid.dm()), "a/b", "V"); }).find("must be non-empty"),
            std::string::npos);
  fw.close();
}

TEST(FieldReader, BadCheckpointsNameFileAndDataset) {
  StructuredGrid grid(PETSC_COMM_WORLD, geometry());
  const auto dir = freshDir("badckpt");
  EXPECT_NE(errorOf<InputError>([&] {
              FieldReader rd(PETSC_COMM_WORLD, dir / "missing.h5");
            }).find("missing.h5: no such file"),
            std::string::npos);
  if (worldRank() == 0) std::ofstream(dir / "garbage.h5") << "not hdf5";
  MPI_Barrier(PETSC_COMM_WORLD);
  EXPECT_NE(errorOf<InputError>([&] {
              FieldReader rd(PETSC_COMM_WORLD, dir / "garbage.h5");
            }).find("cannot open it as HDF5"),
            std::string::npos);
  {
    FieldWriter fw(grid, dir, "ck", false);
    fw.write(filled(grid.dm()), "x", "1");
    fw.close();
  }
  FieldReader rd(PETSC_COMM_WORLD, dir / "ck.h5");
  EXPECT_NE(
      errorOf<InputError>([&] { rd.readOwned(grid, "/phi_s"); }).find("ck.h5: dataset /phi_s: not found"),
      std::string::npos);
  // A checkpoint of another volume.
  VoxelGrid other = geometry();
  other.n = {6, 5, 5};
  StructuredGrid bigger(PETSC_COMM_WORLD, other);
  const std::string m = errorOf<InputError>([&] { rd.readOwned(bigger, "/x"); });
  EXPECT_NE(m.find("dims (4 5 6) but the run needs (5 5 6)"), std::string::npos) << m;
}

}  // namespace
}  // namespace ssb

// output.save_volume without gathering: labels written by every rank in parallel (HDF5, raw) or streamed to
// rank 0 in slabs of z (TIFF) read back equal to the labels that were written, on 1 and 2 ranks, for 8- and
// 16-bit labels; a label that does not fit the bits on one rank only is an error on every rank.
#include <gtest/gtest.h>

#include <filesystem>

#include "mesh/VolumeReader.hpp"
#include "mesh/VolumeWriter.hpp"
#include "solver/core/AtomicFile.hpp"
#include "solver/core/Error.hpp"

namespace ssb {
namespace {

const std::array<int64_t, 3> kN{13, 11, 9};

uint16_t label(int64_t i, int64_t j, int64_t k, bool wide) {
  const auto v = static_cast<uint16_t>((i * 7 + j * 3 + k * 11) % 251);
  return wide ? static_cast<uint16_t>(v * 257) : v;
}

Volume makeVolume(bool wide) {
  VoxelGrid g;
  g.n = kN;
  g.spacing = {2e-7, 2e-7, 2e-7};
  return volumeFromFunction(PETSC_COMM_WORLD, g,
                            [=](int64_t i, int64_t j, int64_t k) { return label(i, j, k, wide); });
}

std::filesystem::path dirFor(const std::string& what) {
  int size = 1;
  MPI_Comm_size(PETSC_COMM_WORLD, &size);
  const auto d = std::filesystem::path("volume_writer_np" + std::to_string(size)) / what;
  std::filesystem::create_directories(d);
  return d;
}

// Every rank reads the whole file back and compares it with the label function.
void expectFileHolds(const std::filesystem::path& file, bool wide, const VolumeFileSpec& extra = {}) {
  VolumeFileSpec spec = extra;
  spec.path = file;
  auto reader = openVolume(spec);
  ASSERT_EQ(reader->info().n, kN) << file;
  std::vector<uint16_t> all;
  reader->read(Box3{{0, 0, 0}, kN}, all);
  int64_t wrong = 0;
  for (int64_t k = 0; k < kN[2]; ++k)
    for (int64_t j = 0; j < kN[1]; ++j)
      for (int64_t i = 0; i < kN[0]; ++i) wrong += all[(k * kN[1] + j) * kN[0] + i] != label(i, j, k, wide);
  EXPECT_EQ(wrong, 0) << file;
  EXPECT_FALSE(std::filesystem::exists(tempPathFor(file))) << file;
}

TEST(VolumeWriter, ParallelFilesReadBackEqual) {
  for (bool wide : {false, true}) {
    const int bits = wide ? 16 : 8;
    Volume v = makeVolume(wide);
    const auto d = dirFor(wide ? "u16" : "u8");
    saveLabelsHdf5(v, d / "labels.h5", "labels", bits, 2e-7);
    saveLabelsRaw(v, d / "labels.raw", bits);
    // One page per slab: rank 0 never holds more than one z page of the volume.
    saveLabelsTiff(v, d / "labels.tif", bits, 2e-7, 1);
    saveLabelsTiff(v, d / "labels_big_slabs.tif", bits, 2e-7);
    MPI_Barrier(PETSC_COMM_WORLD);
    VolumeFileSpec h5;
    h5.dataset = "labels";
    expectFileHolds(d / "labels.h5", wide, h5);
    VolumeFileSpec raw;
    raw.rawShape = kN;
    raw.rawDtype = wide ? "uint16" : "uint8";
    expectFileHolds(d / "labels.raw", wide, raw);
    expectFileHolds(d / "labels.tif", wide);
    expectFileHolds(d / "labels_big_slabs.tif", wide);
    VolumeFileSpec tif;
    tif.path = d / "labels.tif";
    EXPECT_NEAR(*openVolume(tif)->info().voxelSize, 2e-7, 1e-15);
  }
}

// A 16-bit label in an 8-bit file, held by the last rank only: every rank throws, none is left waiting, and
// no file or temporary file is left.
TEST(VolumeWriter, LabelTooWideOnOneRankIsAnErrorOnEveryRank) {
  Volume v = makeVolume(false);
  int rank = 0, size = 1;
  MPI_Comm_rank(PETSC_COMM_WORLD, &rank);
  MPI_Comm_size(PETSC_COMM_WORLD, &size);
  if (rank == size - 1) v.labels.back() = 300;
  const auto d = dirFor("too_wide");
  for (const char* f : {"labels.h5", "labels.raw", "labels.tif"}) {
    try {
      if (std::string(f) == "labels.h5") saveLabelsHdf5(v, d / f, "labels", 8, 0);
      if (std::string(f) == "labels.raw") saveLabelsRaw(v, d / f, 8);
      if (std::string(f) == "labels.tif") saveLabelsTiff(v, d / f, 8, 0);
      ADD_FAILURE() << f << ": no error";
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find("label 300"), std::string::npos) << e.what();
    }
    MPI_Barrier(PETSC_COMM_WORLD);
    EXPECT_FALSE(std::filesystem::exists(d / f)) << f;
    EXPECT_FALSE(std::filesystem::exists(tempPathFor(d / f))) << f;
  }
}

// Audit of single-rank throws in collective code: a wrong value count on the last rank only reaches every
// rank as RunError (before: the other ranks went on into the collective VecView and hung).
TEST(StructuredGrid, SetOwnedWithAWrongCountOnOneRankThrowsOnEveryRank) {
  Volume v = makeVolume(false);
  int rank = 0, size = 1;
  MPI_Comm_rank(PETSC_COMM_WORLD, &rank);
  MPI_Comm_size(PETSC_COMM_WORLD, &size);
  VecHandle f = v.grid->createField("f");
  std::vector<double> owned(v.labels.size() + (rank == size - 1 ? 1 : 0), 1.0);
  EXPECT_THROW(v.grid->setOwned(f, owned), RunError);
}

}  // namespace
}  // namespace ssb

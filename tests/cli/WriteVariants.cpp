// Fixture for the `ssbvox info` comparison: writes the labels of gen_np2/labels.tif again as a 16-bit
// multi-page TIFF and as a folder of 8-bit TIFF slices, so that the CLI can be run on four formats
// (16-bit TIFF, slice folder, HDF5, raw) of the same labels.
#include <gtest/gtest.h>

#include <filesystem>

#include "mesh/VolumeReader.hpp"

using namespace ssb;

TEST(WriteVariants, SixteenBitTiffAndSliceFolder) {
  VolumeFileSpec spec;
  spec.path = "gen_np2/labels.tif";
  auto reader = openVolume(spec);
  VolumeInfo info = reader->info();
  std::vector<uint16_t> all;
  reader->read(Box3{{0, 0, 0}, info.n}, all);
  ASSERT_EQ(static_cast<int64_t>(all.size()), info.n[0] * info.n[1] * info.n[2]);
  writeTiff("gen_np2/labels16.tif", info.n, all, 16);
  std::filesystem::create_directories("gen_np2/slices");
  const int64_t plane = info.n[0] * info.n[1];
  for (int64_t z = 0; z < info.n[2]; ++z) {
    std::vector<uint16_t> slice(all.begin() + z * plane, all.begin() + (z + 1) * plane);
    writeTiff(std::filesystem::path("gen_np2/slices") / ("slice_" + std::to_string(z) + ".tif"),
              {info.n[0], info.n[1], 1}, slice, 8);
  }
}

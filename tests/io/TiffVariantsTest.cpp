// TIFF layouts ssbvox does not write itself, written here with libtiff directly: LZW / deflate / PackBits
// compression, horizontal predictor, several strips per page, tiles with partial edge tiles, 1-bit,
// float and 32-bit pages holding integer labels, and the resolution conventions for the voxel size.
#include "IoTestUtil.hpp"

namespace ssb::iotest {
namespace {

const std::array<int64_t, 3> kN{23, 17, 11};

struct Variant {
  const char* name;
  TiffOptions options;
  std::vector<uint16_t> labels;
};

TEST(TiffVariants, CompressedStrippedAndTiledReadBackIdentically) {
  std::vector<Variant> variants;
  auto add = [&](const char* name, int bits, uint16_t compression, uint32_t rps, uint32_t tile,
                 uint16_t predictor, std::vector<uint16_t> labels) {
    TiffOptions o;
    o.bits = bits;
    o.compression = compression;
    o.rowsPerStrip = rps;
    o.tile = tile;
    o.predictor = predictor;
    variants.push_back({name, o, std::move(labels)});
  };
  const std::vector<uint16_t> l8{0, 1, 2, 7}, l16{0, 1, 2, 7, 300, 65535};
  add("uncompressed 8-bit, 3 rows per strip", 8, COMPRESSION_NONE, 3, 0, 0, l8);
  add("LZW 8-bit, 3 rows per strip", 8, COMPRESSION_LZW, 3, 0, 0, l8);
  add("LZW 16-bit, predictor 2", 16, COMPRESSION_LZW, 5, 0, 2, l16);
  add("deflate 8-bit", 8, COMPRESSION_ADOBE_DEFLATE, 0, 0, 0, l8);
  add("deflate 16-bit, predictor 2, 4 rows per strip", 16, COMPRESSION_ADOBE_DEFLATE, 4, 0, 2, l16);
  add("old-style deflate 16-bit", 16, COMPRESSION_DEFLATE, 7, 0, 0, l16);
  add("PackBits 8-bit, 2 rows per strip", 8, COMPRESSION_PACKBITS, 2, 0, 0, l8);
  add("PackBits 16-bit", 16, COMPRESSION_PACKBITS, 0, 0, 0, l16);
  add("tiled 16x16 uncompressed 8-bit", 8, COMPRESSION_NONE, 0, 16, 0, l8);
  add("tiled 16x16 LZW 16-bit", 16, COMPRESSION_LZW, 0, 16, 0, l16);
  add("tiled 16x16 deflate 8-bit", 8, COMPRESSION_ADOBE_DEFLATE, 0, 16, 0, l8);
  add("1-bit uncompressed, 5 rows per strip", 1, COMPRESSION_NONE, 5, 0, 0, {0, 1});
  add("1-bit PackBits", 1, COMPRESSION_PACKBITS, 0, 0, 0, {0, 1});
  add("1-bit tiled", 1, COMPRESSION_NONE, 0, 16, 0, {0, 1});

  ScratchDir dir;
  int k = 0;
  for (const auto& v : variants) {
    SCOPED_TRACE(v.name);
    const auto data = patternVolume(kN, v.labels);
    const fs::path p = dir / ("variant" + std::to_string(k++) + ".tif");
    writeTiffDirect(p, kN, toDouble(data), v.options);
    auto r = open(p);
    EXPECT_EQ(r->info().dtype, v.options.bits == 1 ? "bool" : v.options.bits == 8 ? "uint8" : "uint16");
    expectSameVolume(*r, data, kN, v.name);
  }
}

TEST(TiffVariants, OneBitMinIsWhiteGivesStoredBits) {
  // Label files store class numbers; a MinIsWhite photometric tag (set by some writers) must not invert them.
  ScratchDir dir;
  const auto data = patternVolume(kN, {0, 1});
  TiffOptions o;
  o.bits = 1;
  o.photometric = PHOTOMETRIC_MINISWHITE;
  writeTiffDirect(dir / "w.tif", kN, toDouble(data), o);
  expectSameVolume(*open(dir / "w.tif"), data, kN, "1-bit MinIsWhite");
}

TEST(TiffVariants, FloatAndWideIntegerPagesHoldingLabels) {
  ScratchDir dir;
  const auto data = patternVolume(kN, {0, 1, 2, 7, 300, 65535});
  TiffOptions f;
  f.bits = 32;
  f.format = SAMPLEFORMAT_IEEEFP;
  f.compression = COMPRESSION_ADOBE_DEFLATE;
  writeTiffDirect(dir / "f32.tif", kN, toDouble(data), f);
  auto rf = open(dir / "f32.tif");
  EXPECT_EQ(rf->info().dtype, "float32");
  expectSameVolume(*rf, data, kN, "float32 TIFF");

  TiffOptions d = f;
  d.bits = 64;
  writeTiffDirect(dir / "f64.tif", kN, toDouble(data), d);
  expectSameVolume(*open(dir / "f64.tif"), data, kN, "float64 TIFF");

  TiffOptions u;
  u.bits = 32;
  u.rowsPerStrip = 4;
  writeTiffDirect(dir / "u32.tif", kN, toDouble(data), u);
  auto ru = open(dir / "u32.tif");
  EXPECT_EQ(ru->info().dtype, "uint32");
  expectSameVolume(*ru, data, kN, "uint32 TIFF");
}

// One small page with the given resolution tags; returns what the reader makes of the voxel size.
VolumeInfo infoWithResolution(const ScratchDir& dir, const std::string& name, float xres, uint16_t unit,
                              const std::string& description) {
  const std::array<int64_t, 3> n{4, 3, 2};
  TiffOptions o;
  o.xres = xres;
  o.resUnit = unit;
  o.description = description;
  writeTiffDirect(dir / name, n, std::vector<double>(24, 1.0), o);
  return open(dir / name)->info();
}

TEST(TiffVariants, VoxelSizeFromResolutionTags) {
  ScratchDir dir;
  // 5000 pixels per cm -> 1 cm / 5000 = 2 um.
  auto cm = infoWithResolution(dir, "cm.tif", 5000.0f, RESUNIT_CENTIMETER, "");
  ASSERT_TRUE(cm.voxelSize.has_value());
  EXPECT_NEAR(*cm.voxelSize, 2e-6, 1e-12);

  // ImageJ: pixels per `unit` with ResolutionUnit none; 4 px/micron -> 0.25 um; spacing=0.5 micron along z.
  auto ij = infoWithResolution(dir, "ij.tif", 4.0f, RESUNIT_NONE,
                               "ImageJ=1.53t\nimages=2\nslices=2\nunit=micron\nspacing=0.5\nloop=false\n");
  ASSERT_TRUE(ij.voxelSize.has_value());
  EXPECT_NEAR(*ij.voxelSize, 0.25e-6, 1e-15);
  ASSERT_TRUE(ij.voxelSpacing.has_value());
  EXPECT_NEAR((*ij.voxelSpacing)[1], 0.25e-6, 1e-15);
  EXPECT_NEAR((*ij.voxelSpacing)[2], 0.5e-6, 1e-15);

  // ImageJ writes the micro sign escaped as the six characters \u00B5; 0.1 px/nm -> 10 nm.
  auto nm = infoWithResolution(dir, "nm.tif", 0.1f, RESUNIT_NONE, "ImageJ=1.53t\nunit=nm\n");
  ASSERT_TRUE(nm.voxelSize.has_value());
  EXPECT_NEAR(*nm.voxelSize, 10e-9, 1e-15);
  auto mu = infoWithResolution(dir, "mu.tif", 2.0f, RESUNIT_NONE, "ImageJ=1.50g\nunit=\\u00B5m\n");
  ASSERT_TRUE(mu.voxelSize.has_value());
  EXPECT_NEAR(*mu.voxelSize, 0.5e-6, 1e-15);

  // Print resolutions are not calibrations: 72 dpi, and a bare ResolutionUnit none, give no voxel size.
  EXPECT_FALSE(infoWithResolution(dir, "dpi.tif", 72.0f, RESUNIT_INCH, "").voxelSize.has_value());
  EXPECT_FALSE(infoWithResolution(dir, "none.tif", 1.0f, RESUNIT_NONE, "").voxelSize.has_value());
  EXPECT_FALSE(infoWithResolution(dir, "pixel.tif", 1.0f, RESUNIT_NONE, "ImageJ=1.53t\nunit=pixel\n")
                   .voxelSize.has_value());
}

}  // namespace
}  // namespace ssb::iotest

// Every malformed input the readers recognise gives an InputError whose message names the problem; none
// crashes or hangs.
#include <hdf5.h>

#include <random>

#include "IoTestUtil.hpp"

namespace ssb::iotest {
namespace {

const std::array<int64_t, 3> kN{23, 17, 11};

TEST(VolumeBadInput, MissingFile) {
  ScratchDir dir;
  expectInputError([&] { open(dir / "nothing_here.tif"); },
                   {"nothing_here.tif", "does not exist", "volume.file"});
}

TEST(VolumeBadInput, UnknownExtension) {
  ScratchDir dir;
  writeBytes(dir / "v.png", "png?");
  expectInputError([&] { open(dir / "v.png"); }, {"'.png'", ".tif", ".h5", ".raw", "folder"});
}

TEST(VolumeBadInput, GarbageTiff) {
  ScratchDir dir;
  std::mt19937 rng(1);
  std::string bytes(4096, '\0');
  for (char& c : bytes) c = static_cast<char>(rng() & 0xFF);
  writeBytes(dir / "garbage.tif", bytes);
  expectInputError([&] { openAndReadAll(dir / "garbage.tif"); }, {"garbage.tif", "TIFF"});
  writeBytes(dir / "empty.tif", "");
  expectInputError([&] { openAndReadAll(dir / "empty.tif"); }, {"empty.tif"});
  // A valid TIFF header whose first directory lies beyond the end of the file.
  writeBytes(dir / "header.tif", std::string("II*\0\xff\xff\x00\x00", 8));
  expectInputError([&] { openAndReadAll(dir / "header.tif"); }, {"header.tif"});
}

TEST(VolumeBadInput, TruncatedTiffAtManyPoints) {
  ScratchDir dir;
  const auto data = patternVolume(kN, {0, 1, 2, 7, 300});
  // Uncompressed (strip byte counts point past the end) and deflate (the stream ends early).
  TiffOptions raw16;
  raw16.bits = 16;
  raw16.rowsPerStrip = 5;
  writeTiffDirect(dir / "plain.tif", kN, toDouble(data), raw16);
  writeTiff(dir / "deflate.tif", kN, data, 16);
  for (const char* name : {"plain.tif", "deflate.tif"}) {
    const std::string full = readBytes(dir / name);
    // The last 4 bytes are the final page's "next directory" offset (0), whose loss costs no data; cut at
    // least 5 bytes so the final directory itself is damaged.
    std::vector<size_t> cuts{8, full.size() - 5};
    for (double frac : {0.1, 0.35, 0.5, 0.75, 0.95})
      cuts.push_back(static_cast<size_t>(frac * static_cast<double>(full.size())));
    for (size_t cut : cuts) {
      SCOPED_TRACE(::testing::Message() << name << " cut to " << cut << " of " << full.size() << " bytes");
      writeBytes(dir / "cut.tif", full.substr(0, cut));
      expectInputError([&] { openAndReadAll(dir / "cut.tif"); }, {"cut.tif"});
    }
  }
}

TEST(VolumeBadInput, CorruptCompressedStrip) {
  ScratchDir dir;
  const auto data = patternVolume(kN, {0, 1, 2, 7});
  writeTiff(dir / "v.tif", kN, data, 8);
  // Overwrite the start of page 0's first strip: the zlib header check fails, so decoding must fail.
  TIFF* tif = TIFFOpen((dir / "v.tif").c_str(), "r");
  ASSERT_NE(tif, nullptr);
  const uint64_t offset = TIFFGetStrileOffset(tif, 0);
  TIFFClose(tif);
  std::string bytes = readBytes(dir / "v.tif");
  ASSERT_LT(offset + 8, bytes.size());
  for (int i = 0; i < 8; ++i) bytes[offset + i] = '\xff';
  writeBytes(dir / "v.tif", bytes);
  expectInputError([&] { openAndReadAll(dir / "v.tif"); }, {"v.tif", "page 0", "strip 0", "corrupt"});
}

TEST(VolumeBadInput, HeaderClaimsHugeImage) {
  ScratchDir dir;
  writeTiffDirect(dir / "v.tif", {23, 17, 1}, std::vector<double>(23 * 17, 1.0), TiffOptions{});
  std::string b = readBytes(dir / "v.tif");
  ASSERT_EQ(b.substr(0, 4), std::string("II*\0", 4));  // little-endian classic TIFF, as libtiff writes here
  auto u16 = [&](size_t at) {
    return static_cast<unsigned>(static_cast<unsigned char>(b[at])) |
           static_cast<unsigned>(static_cast<unsigned char>(b[at + 1])) << 8;
  };
  const size_t ifd = u16(4) | static_cast<size_t>(u16(6)) << 16;
  bool patched = false;
  for (size_t e = 0; e < u16(ifd); ++e) {
    const size_t entry = ifd + 2 + 12 * e;
    if (u16(entry) != TIFFTAG_IMAGEWIDTH) continue;
    const char longWidth[10] = {4, 0, 1, 0, 0, 0, 0, 0, 0, 0x40};  // type LONG, count 1, value 2^30
    b.replace(entry + 2, 10, longWidth, 10);
    patched = true;
  }
  ASSERT_TRUE(patched);
  writeBytes(dir / "v.tif", b);
  // 2^30 x 17 bytes declared in a file of a few hundred bytes: refused before anything is allocated.
  expectInputError([&] { open(dir / "v.tif"); }, {"v.tif", "1073741824 x 17", "header is corrupt"});
}

TEST(VolumeBadInput, RandomlyCorruptedTiffsNeverCrash) {
  // Flipped bytes anywhere in the file: the read either succeeds (the bytes were image data) or throws
  // InputError; any other outcome (crash, hang, other exception) fails the test.
  ScratchDir dir;
  const auto data = patternVolume(kN, {0, 1, 2, 7, 300});
  writeTiff(dir / "deflate.tif", kN, data, 16);
  TiffOptions lzwTiles;
  lzwTiles.bits = 16;
  lzwTiles.compression = COMPRESSION_LZW;
  lzwTiles.tile = 16;
  writeTiffDirect(dir / "lzw.tif", kN, toDouble(data), lzwTiles);
  TiffOptions packbits;
  packbits.compression = COMPRESSION_PACKBITS;
  packbits.rowsPerStrip = 3;
  writeTiffDirect(dir / "packbits.tif", kN, toDouble(patternVolume(kN, {0, 1, 2, 7})), packbits);
  std::mt19937 rng(12345);
  int failures = 0, successes = 0;
  for (const char* name : {"deflate.tif", "lzw.tif", "packbits.tif"}) {
    const std::string original = readBytes(dir / name);
    for (int trial = 0; trial < 150; ++trial) {
      std::string b = original;
      const int flips = 1 + static_cast<int>(rng() % 4);
      for (int f = 0; f < flips; ++f) b[rng() % b.size()] = static_cast<char>(rng() & 0xFF);
      writeBytes(dir / "fuzz.tif", b);
      try {
        openAndReadAll(dir / "fuzz.tif");
        ++successes;
      } catch (const InputError&) {
        ++failures;
      } catch (const std::exception& e) {
        ADD_FAILURE() << name << " trial " << trial << ": not an InputError: " << e.what();
      }
    }
  }
  EXPECT_GT(failures, 0);  // the corruption is real: some of it must be detected
}

TEST(VolumeBadInput, InconsistentPageSizes) {
  ScratchDir dir;
  TiffOptions o;
  o.pageSizes = {{10, 10}, {10, 10}, {12, 10}};
  writeTiffDirect(dir / "pages.tif", {10, 10, 3}, std::vector<double>(300, 1.0), o);
  expectInputError([&] { open(dir / "pages.tif"); }, {"pages.tif", "page 2", "12 x 10", "page 0", "10 x 10"});
}

TEST(VolumeBadInput, RgbTiff) {
  ScratchDir dir;
  TiffOptions o;
  o.samplesPerPixel = 3;
  o.photometric = PHOTOMETRIC_RGB;
  writeTiffDirect(dir / "rgb.tif", {4, 4, 1}, std::vector<double>(16, 1.0), o);
  expectInputError([&] { open(dir / "rgb.tif"); }, {"rgb.tif", "3 samples per pixel"});
}

TEST(VolumeBadInput, ImageJHyperstackWithChannels) {
  ScratchDir dir;
  TiffOptions o;
  o.description = "ImageJ=1.53t\nimages=4\nchannels=2\nslices=2\nhyperstack=true\n";
  writeTiffDirect(dir / "hyper.tif", {4, 3, 4}, std::vector<double>(48, 1.0), o);
  expectInputError([&] { open(dir / "hyper.tif"); }, {"hyper.tif", "2 channels"});
  o.description = "ImageJ=1.53t\nimages=4\nslices=4\nframes=1\n";  // one frame: a plain stack
  writeTiffDirect(dir / "stack.tif", {4, 3, 4}, std::vector<double>(48, 1.0), o);
  EXPECT_EQ(open(dir / "stack.tif")->info().n[2], 4);
}

TEST(VolumeBadInput, TiffValuesThatAreNotLabels) {
  ScratchDir dir;
  const std::array<int64_t, 3> n{5, 4, 3};
  std::vector<double> v(60, 3.0);
  v[static_cast<size_t>(index(n, 2, 1, 2))] = 70000.0;  // > 65535
  TiffOptions u32;
  u32.bits = 32;
  writeTiffDirect(dir / "big.tif", n, v, u32);
  expectInputError([&] { openAndReadAll(dir / "big.tif"); },
                   {"big.tif", "70000", "page 2", "row y = 1", "column x = 2", "0..65535"});

  v[static_cast<size_t>(index(n, 2, 1, 2))] = 3.0;
  v[static_cast<size_t>(index(n, 4, 3, 0))] = 2.5;  // not an integer
  TiffOptions f32;
  f32.bits = 32;
  f32.format = SAMPLEFORMAT_IEEEFP;
  writeTiffDirect(dir / "frac.tif", n, v, f32);
  expectInputError([&] { openAndReadAll(dir / "frac.tif"); },
                   {"frac.tif", "2.5", "column x = 4", "integers"});
  // Reading a box that avoids the bad voxel works: values are checked where they are read.
  std::vector<uint16_t> out;
  open(dir / "frac.tif")->read(Box3{{0, 0, 1}, {5, 4, 2}}, out);
  EXPECT_EQ(out, std::vector<uint16_t>(40, 3));

  v[static_cast<size_t>(index(n, 4, 3, 0))] = -1.0;
  f32.bits = 64;
  writeTiffDirect(dir / "neg.tif", n, v, f32);
  expectInputError([&] { openAndReadAll(dir / "neg.tif"); }, {"neg.tif", "-1"});
}

TEST(VolumeBadInput, BadSliceFolders) {
  ScratchDir dir;
  fs::create_directories(dir / "empty");
  writeBytes(dir / "empty" / "readme.txt", "no slices");
  expectInputError([&] { open(dir / "empty"); }, {"empty", "no .tif/.tiff slice files"});

  fs::create_directories(dir / "sizes");
  writeTiff(dir / "sizes" / "s_1.tif", {6, 5, 1}, std::vector<uint16_t>(30, 1), 8);
  writeTiff(dir / "sizes" / "s_2.tif", {6, 5, 1}, std::vector<uint16_t>(30, 1), 8);
  writeTiff(dir / "sizes" / "s_10.tif", {7, 5, 1}, std::vector<uint16_t>(35, 1), 8);
  expectInputError([&] { open(dir / "sizes"); }, {"s_10.tif", "7 x 5", "s_1.tif", "6 x 5"});

  fs::create_directories(dir / "multi");
  writeTiff(dir / "multi" / "a.tif", {6, 5, 2}, std::vector<uint16_t>(60, 1), 8);
  expectInputError([&] { open(dir / "multi"); }, {"a.tif", "more than one page"});

  fs::create_directories(dir / "junk");
  writeTiff(dir / "junk" / "a1.tif", {6, 5, 1}, std::vector<uint16_t>(30, 1), 8);
  writeBytes(dir / "junk" / "a2.tif", "not a tiff at all");
  expectInputError([&] { open(dir / "junk"); }, {"a2.tif"});
}

// Writes a small HDF5 file with datasets {name -> (dims, values as double, file type)}.
void writeH5(const fs::path& p, const std::vector<std::tuple<std::string, std::vector<hsize_t>, hid_t>>& sets,
             const std::vector<double>& values) {
  hid_t f = H5Fcreate(p.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  ASSERT_GE(f, 0);
  hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
  H5Pset_create_intermediate_group(lcpl, 1);
  for (const auto& [name, dims, type] : sets) {
    hid_t s = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
    hid_t d = H5Dcreate2(f, name.c_str(), type, s, lcpl, H5P_DEFAULT, H5P_DEFAULT);
    hssize_t count = H5Sget_simple_extent_npoints(s);
    std::vector<double> v(values.begin(), values.begin() + count);
    H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data());
    H5Dclose(d);
    H5Sclose(s);
  }
  H5Pclose(lcpl);
  H5Fclose(f);
}

TEST(VolumeBadInput, Hdf5DatasetMissingOrAmbiguous) {
  ScratchDir dir;
  std::vector<double> ones(60, 1.0);
  writeH5(dir / "two.h5",
          {{"raw_data", {3, 4, 5}, H5T_STD_U8LE}, {"/results/probabilities", {3, 4, 5}, H5T_IEEE_F32LE}},
          ones);
  expectInputError([&] { open(dir / "two.h5", "exported_data"); },
                   {"two.h5", "no dataset 'exported_data'", "/raw_data", "/results/probabilities"});
  expectInputError([&] { open(dir / "two.h5", ""); },
                   {"two.h5", "several datasets", "/raw_data", "/results/probabilities", "`dataset`"});

  hid_t f = H5Fcreate((dir / "none.h5").c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  H5Fclose(f);
  expectInputError([&] { open(dir / "none.h5"); }, {"none.h5", "no dataset"});

  writeBytes(dir / "fake.h5", "this is not HDF5");
  expectInputError([&] { open(dir / "fake.h5"); }, {"fake.h5", "not an HDF5 file"});
}

TEST(VolumeBadInput, Hdf5ValuesAndShapes) {
  ScratchDir dir;
  std::vector<double> v(180, 4.0);
  v[7] = 70000.0;  // dims (3,4,5): index 7 = z 0, y 1, x 2
  writeH5(dir / "big.h5", {{"labels", {3, 4, 5}, H5T_STD_U32LE}}, v);
  expectInputError([&] { openAndReadAll(dir / "big.h5"); }, {"big.h5", "70000", "x 2, y 1, z 0", "0..65535"});

  v[7] = 1.5;
  writeH5(dir / "frac.h5", {{"labels", {3, 4, 5}, H5T_IEEE_F64LE}}, v);
  expectInputError([&] { openAndReadAll(dir / "frac.h5"); }, {"frac.h5", "1.5"});

  v[7] = -2.0;
  writeH5(dir / "neg.h5", {{"labels", {3, 4, 5}, H5T_STD_I16LE}}, v);
  expectInputError([&] { openAndReadAll(dir / "neg.h5"); }, {"neg.h5", "-2"});

  v[7] = 4.0;
  writeH5(dir / "rgb.h5", {{"exported_data", {3, 4, 5, 3}, H5T_STD_U8LE}}, v);
  expectInputError([&] { open(dir / "rgb.h5"); }, {"rgb.h5", "(3, 4, 5, 3)", "size 3", "single channel"});

  writeH5(dir / "vec.h5", {{"v", {60}, H5T_STD_U8LE}}, v);
  expectInputError([&] { open(dir / "vec.h5"); }, {"vec.h5", "1 dimensions"});
}

TEST(VolumeBadInput, RawSizeShapeAndDtype) {
  ScratchDir dir;
  writeBytes(dir / "v.raw", std::string(1000, '\1'));
  VolumeFileSpec s;
  s.path = dir / "v.raw";
  s.rawShape = {10, 10, 5};  // 500 voxels of uint16 = 1000 bytes: fits
  s.rawDtype = "uint16";
  EXPECT_NO_THROW(openVolume(s));
  s.rawShape = {10, 10, 10};  // 2000 bytes expected
  expectInputError([&] { openVolume(s); }, {"v.raw", "1000 bytes", "2000 bytes", "shape"});
  s.rawShape = {10, 10, 5};
  s.rawHeaderBytes = 16;
  expectInputError([&] { openVolume(s); }, {"1000 bytes", "1016 bytes", "header_bytes"});
  s.rawHeaderBytes = 0;
  s.rawDtype = "complex64";
  expectInputError([&] { openVolume(s); }, {"complex64", "uint16be"});
  s.rawDtype = "uint8";
  s.rawShape = {0, 0, 0};
  expectInputError([&] { openVolume(s); }, {"v.raw", "shape: [nz, ny, nx]"});

  // uint32 raw with a value > 65535.
  std::vector<uint32_t> big(8, 1);
  big[5] = 100000;
  writeBytes(dir / "big.bin", std::string(reinterpret_cast<const char*>(big.data()), 32));
  s.path = dir / "big.bin";
  s.rawShape = {2, 2, 2};
  s.rawDtype = "uint32";
  expectInputError(
      [&] {
        std::vector<uint16_t> out;
        openVolume(s)->read(Box3{{0, 0, 0}, {2, 2, 2}}, out);
      },
      {"big.bin", "100000", "x 1, y 0, z 1"});
}

TEST(VolumeBadInput, BoxOutsideVolumeAndWriterLimits) {
  ScratchDir dir;
  const auto data = patternVolume(kN, {0, 1});
  writeTiff(dir / "v.tif", kN, data, 8);
  std::vector<uint16_t> out;
  expectInputError(
      [&] {
        open(dir / "v.tif")->read(Box3{{20, 0, 0}, {5, 1, 1}}, out);
      },
      {"v.tif", "[20, 25)", "23 voxels along x"});
  std::vector<uint16_t> big(static_cast<size_t>(kN[0] * kN[1] * kN[2]), 1);
  big[3] = 256;
  expectInputError([&] { writeTiff(dir / "w.tif", kN, big, 8); }, {"256", "8 bits"});
  expectInputError([&] { writeHdf5Labels(dir / "w.h5", "labels", kN, big, 8); }, {"256", "8 bits"});
  expectInputError([&] { writeRaw(dir / "w.raw", big, "uint8"); }, {"256", "uint8"});
  EXPECT_FALSE(fs::exists(dir / "w.tif"));
  EXPECT_FALSE(fs::exists(dir / "w.h5"));
}

}  // namespace
}  // namespace ssb::iotest

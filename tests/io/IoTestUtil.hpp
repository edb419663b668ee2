#pragma once
// Helpers for the volume reader/writer tests: a scratch folder, a labelled test volume with a known
// pattern, sub-box extraction done independently of the readers, and a plain libtiff writer so the readers
// are checked against files they did not write themselves.
#include <gtest/gtest.h>
#include <tiffio.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "mesh/VolumeReader.hpp"
#include "solver/core/Error.hpp"

namespace ssb::iotest {

namespace fs = std::filesystem;

// A fresh folder under the system temp dir, removed with its contents at the end of the test.
class ScratchDir {
 public:
  ScratchDir() {
    static std::atomic<int> counter{0};
    m_path = fs::temp_directory_path() /
             ("ssb-io-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    fs::remove_all(m_path);
    fs::create_directories(m_path);
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(m_path, ec);
  }
  const fs::path& path() const { return m_path; }
  fs::path operator/(const std::string& name) const { return m_path / name; }

 private:
  fs::path m_path;
};

inline int64_t index(const std::array<int64_t, 3>& n, int64_t x, int64_t y, int64_t z) {
  return (z * n[1] + y) * n[0] + x;
}

// Labels chosen from `palette` by a pattern that differs along every axis (so a transposed or shifted read
// cannot match): palette[(x*x + 3*y + 5*z + x*z) mod palette.size()].
inline std::vector<uint16_t> patternVolume(const std::array<int64_t, 3>& n,
                                           const std::vector<uint16_t>& palette) {
  std::vector<uint16_t> v(static_cast<size_t>(n[0] * n[1] * n[2]));
  for (int64_t z = 0; z < n[2]; ++z)
    for (int64_t y = 0; y < n[1]; ++y)
      for (int64_t x = 0; x < n[0]; ++x)
        v[static_cast<size_t>(index(n, x, y, z))] = palette[static_cast<size_t>(
            (x * x + 3 * y + 5 * z + x * z) % static_cast<int64_t>(palette.size()))];
  return v;
}

inline std::vector<uint16_t> extract(const std::vector<uint16_t>& v, const std::array<int64_t, 3>& n,
                                     const Box3& b) {
  std::vector<uint16_t> out;
  for (int64_t z = b.lo[2]; z < b.lo[2] + b.size[2]; ++z)
    for (int64_t y = b.lo[1]; y < b.lo[1] + b.size[1]; ++y)
      for (int64_t x = b.lo[0]; x < b.lo[0] + b.size[0]; ++x)
        out.push_back(v[static_cast<size_t>(index(n, x, y, z))]);
  return out;
}

inline std::map<uint16_t, int64_t> histogram(const std::vector<uint16_t>& v) {
  std::map<uint16_t, int64_t> h;
  for (uint16_t x : v) ++h[x];
  return h;
}

// The whole volume, single voxels at opposite corners, interior boxes that cross strip/tile boundaries,
// whole-row slabs, and single lines along each axis.
inline std::vector<Box3> testBoxes(const std::array<int64_t, 3>& n) {
  std::vector<Box3> boxes = {
      Box3{{0, 0, 0}, n},
      Box3{{0, 0, 0}, {1, 1, 1}},
      Box3{{n[0] - 1, n[1] - 1, n[2] - 1}, {1, 1, 1}},
      Box3{{n[0] / 3, n[1] / 4, n[2] / 5}, {n[0] / 2, n[1] / 2, std::max<int64_t>(1, n[2] / 2)}},
      Box3{{0, n[1] / 2, 0}, {n[0], n[1] - n[1] / 2, n[2]}},
      Box3{{0, 0, n[2] - 1}, {n[0], n[1], 1}},
      Box3{{1, 2, 0}, {n[0] - 1, 1, 1}},
      Box3{{n[0] - 2, 0, 0}, {1, n[1], 1}},
      Box3{{2, 3, 0}, {1, 1, n[2]}},
  };
  return boxes;
}

// Reads every test box and compares voxels and per-label counts with the in-memory volume.
inline void expectSameVolume(const VolumeReader& r, const std::vector<uint16_t>& expected,
                             const std::array<int64_t, 3>& n, const std::string& what) {
  SCOPED_TRACE(what);
  ASSERT_EQ(r.info().n, n);
  std::vector<uint16_t> got;
  for (const Box3& b : testBoxes(n)) {
    SCOPED_TRACE(::testing::Message()
                 << "box lo (" << b.lo[0] << "," << b.lo[1] << "," << b.lo[2] << ") size (" << b.size[0]
                 << "," << b.size[1] << "," << b.size[2] << ")");
    r.read(b, got);
    const auto want = extract(expected, n, b);
    ASSERT_EQ(got.size(), want.size());
    EXPECT_TRUE(got == want);
    EXPECT_EQ(histogram(got), histogram(want));
  }
}

inline std::unique_ptr<VolumeReader> open(const fs::path& p, const std::string& dataset = "") {
  VolumeFileSpec s;
  s.path = p;
  s.dataset = dataset;
  return openVolume(s);
}

struct TiffOptions {
  int bits = 8;
  uint16_t format = SAMPLEFORMAT_UINT;
  uint16_t compression = COMPRESSION_NONE;
  uint16_t predictor = 0;     // 2 = horizontal differencing (LZW/deflate)
  uint32_t rowsPerStrip = 0;  // 0: whole page in one strip
  uint32_t tile = 0;          // > 0: tiled, tile x tile pixels (multiple of 16)
  uint16_t photometric = PHOTOMETRIC_MINISBLACK;
  uint16_t samplesPerPixel = 1;
  std::string description;  // ImageDescription of page 0, if not empty
  float xres = 0.0f;        // XResolution / YResolution of every page, if > 0
  uint16_t resUnit = RESUNIT_NONE;
  std::vector<std::array<uint32_t, 2>> pageSizes;  // override (width, height) per page, for bad-input tests
};

// Encodes one sample of `v` (a label, or for float formats any value) into `p`.
inline void putSample(unsigned char* row, int64_t x, int bits, uint16_t format, double v) {
  if (bits == 1) {
    if (v != 0) row[x >> 3] |= static_cast<unsigned char>(0x80u >> (x & 7));
    return;
  }
  unsigned char* p = row + x * (bits / 8);
  if (format == SAMPLEFORMAT_IEEEFP) {
    if (bits == 32) {
      float f = static_cast<float>(v);
      std::memcpy(p, &f, 4);
    } else {
      std::memcpy(p, &v, 8);
    }
  } else if (bits == 8) {
    *p = static_cast<unsigned char>(static_cast<int64_t>(v));
  } else if (bits == 16) {
    uint16_t u = static_cast<uint16_t>(static_cast<int64_t>(v));
    std::memcpy(p, &u, 2);
  } else {
    uint32_t u = static_cast<uint32_t>(static_cast<int64_t>(v));
    std::memcpy(p, &u, 4);
  }
}

// Writes a multi-page TIFF directly with libtiff. `values` (x fastest) may hold doubles for float tests.
inline void writeTiffDirect(const fs::path& path, const std::array<int64_t, 3>& n,
                            const std::vector<double>& values, const TiffOptions& o) {
  TIFF* tif = TIFFOpen(path.c_str(), "w");
  ASSERT_NE(tif, nullptr);
  for (int64_t z = 0; z < n[2]; ++z) {
    uint32_t w = static_cast<uint32_t>(n[0]), h = static_cast<uint32_t>(n[1]);
    if (!o.pageSizes.empty()) {
      w = o.pageSizes[static_cast<size_t>(z)][0];
      h = o.pageSizes[static_cast<size_t>(z)][1];
    }
    TIFFSetField(tif, TIFFTAG_SUBFILETYPE, FILETYPE_PAGE);
    TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, w);
    TIFFSetField(tif, TIFFTAG_IMAGELENGTH, h);
    TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, static_cast<uint16_t>(o.bits));
    TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, o.samplesPerPixel);
    TIFFSetField(tif, TIFFTAG_SAMPLEFORMAT, o.format);
    TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, o.photometric);
    TIFFSetField(tif, TIFFTAG_PLANARCONFIG, static_cast<uint16_t>(PLANARCONFIG_CONTIG));
    TIFFSetField(tif, TIFFTAG_COMPRESSION, o.compression);
    if (o.predictor) TIFFSetField(tif, TIFFTAG_PREDICTOR, o.predictor);
    if (z == 0 && !o.description.empty()) TIFFSetField(tif, TIFFTAG_IMAGEDESCRIPTION, o.description.c_str());
    if (o.xres > 0.0f) {
      TIFFSetField(tif, TIFFTAG_XRESOLUTION, static_cast<double>(o.xres));
      TIFFSetField(tif, TIFFTAG_YRESOLUTION, static_cast<double>(o.xres));
      TIFFSetField(tif, TIFFTAG_RESOLUTIONUNIT, o.resUnit);
    }
    const int64_t rowBytes = (static_cast<int64_t>(w) * o.bits * o.samplesPerPixel + 7) / 8;
    auto value = [&](int64_t x, int64_t y) {
      if (x >= n[0] || y >= n[1]) return 0.0;  // pages larger than n (bad-input tests) are padded with 0
      return values[static_cast<size_t>(index(n, x, y, z))];
    };
    if (o.tile > 0) {
      TIFFSetField(tif, TIFFTAG_TILEWIDTH, o.tile);
      TIFFSetField(tif, TIFFTAG_TILELENGTH, o.tile);
      const int64_t tileRow = (static_cast<int64_t>(o.tile) * o.bits + 7) / 8;
      std::vector<unsigned char> buf(static_cast<size_t>(tileRow * o.tile));
      for (uint32_t ty = 0; ty < h; ty += o.tile)
        for (uint32_t tx = 0; tx < w; tx += o.tile) {
          std::fill(buf.begin(), buf.end(), 0);
          for (uint32_t y = 0; y < o.tile && ty + y < h; ++y)
            for (uint32_t x = 0; x < o.tile && tx + x < w; ++x)
              putSample(buf.data() + y * tileRow, x, o.bits, o.format, value(tx + x, ty + y));
          ASSERT_GE(TIFFWriteTile(tif, buf.data(), tx, ty, 0, 0), 0);
        }
    } else {
      const uint32_t rps = o.rowsPerStrip ? o.rowsPerStrip : h;
      TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, rps);
      std::vector<unsigned char> buf(static_cast<size_t>(rowBytes) * rps);
      for (uint32_t y0 = 0, s = 0; y0 < h; y0 += rps, ++s) {
        const uint32_t rows = std::min(rps, h - y0);
        std::fill(buf.begin(), buf.end(), 0);
        for (uint32_t y = 0; y < rows; ++y)
          for (uint32_t x = 0; x < w; ++x)
            for (uint16_t c = 0; c < o.samplesPerPixel; ++c)
              putSample(buf.data() + y * rowBytes, static_cast<int64_t>(x) * o.samplesPerPixel + c, o.bits,
                        o.format, value(x, y0 + y));
        ASSERT_GE(TIFFWriteEncodedStrip(tif, s, buf.data(), static_cast<tmsize_t>(rowBytes) * rows), 0);
      }
    }
    ASSERT_TRUE(TIFFWriteDirectory(tif));
  }
  TIFFClose(tif);
}

inline std::vector<double> toDouble(const std::vector<uint16_t>& v) { return {v.begin(), v.end()}; }

// The call must throw InputError whose message contains every one of `parts`.
template <typename F>
void expectInputError(F&& f, const std::vector<std::string>& parts) {
  try {
    f();
    ADD_FAILURE() << "no InputError thrown";
  } catch (const InputError& e) {
    const std::string msg = e.what();
    for (const auto& p : parts)
      EXPECT_NE(msg.find(p), std::string::npos) << "message lacks '" << p << "': " << msg;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "expected InputError, got another exception: " << e.what();
  }
}

// Opens the volume and reads all of it: the first point where a corrupt file must be reported.
inline void openAndReadAll(const fs::path& p, const std::string& dataset = "") {
  auto r = open(p, dataset);
  std::vector<uint16_t> out;
  r->read(Box3{{0, 0, 0}, r->info().n}, out);
}

inline void writeBytes(const fs::path& p, const std::string& bytes) {
  std::ofstream os(p, std::ios::binary | std::ios::trunc);
  os.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

inline std::string readBytes(const fs::path& p) {
  std::ifstream is(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(is), std::istreambuf_iterator<char>()};
}

}  // namespace ssb::iotest

// Unit tests of the morphology building blocks that need no volume: the 1-D distance transform, the ball
// containment tables, the PNG encoder and the plot helpers. Each is checked
// against a brute-force or first-principles reference.
#include <gtest/gtest.h>
#include <zlib.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "mesh/DistanceTransform.hpp"
#include "postprocess/LocalThickness.hpp"
#include "postprocess/Plot.hpp"
#include "tests/morphology/MorphTestUtil.hpp"

namespace ssb {
namespace {

TEST(MorphUnit, DistanceTransform1dMatchesBruteForce) {
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<int64_t> v;
  std::vector<double> fv, z;
  for (int trial = 0; trial < 200; ++trial) {
    const int64_t n = 1 + trial % 37;
    const double w = trial % 3 == 0 ? 1.0 : 0.49 + trial * 0.013;
    const bool closed = trial % 2 == 1;
    std::vector<double> f(n), out(n);
    for (int64_t i = 0; i < n; ++i) {
      double u = test::uniform01(trial, i);
      f[i] = u < 0.3 ? 0.0 : u < 0.5 ? std::floor(u * 40) : inf;
    }
    distanceTransform1d(f.data(), n, w, closed, out.data(), v, fv, z);
    for (int64_t x = 0; x < n; ++x) {
      double best = closed ? std::min(w * (x + 1) * (x + 1), w * (n - x) * (n - x)) : inf;
      for (int64_t q = 0; q < n; ++q)
        if (f[q] < inf) best = std::min(best, f[q] + w * (x - q) * (x - q));
      if (best == inf)
        EXPECT_EQ(out[x], inf);
      else
        EXPECT_NEAR(out[x], best, 1e-12 * (1 + best)) << "trial " << trial << " x " << x;
    }
  }
}

TEST(MorphUnit, BallReachMatchesEnumeration) {
  // Largest |y - e|^2 over integer y with |y|^2 < r2, by enumerating the whole ball.
  const int e[3][3] = {{1, 0, 0}, {1, 1, 0}, {1, 1, 1}};
  for (int64_t r2 = 1; r2 <= 230; ++r2) {
    int m = static_cast<int>(std::ceil(std::sqrt(static_cast<double>(r2))));
    for (int cls = 1; cls <= 3; ++cls) {
      int64_t best = -1;
      for (int x = -m; x <= m; ++x)
        for (int y = -m; y <= m; ++y)
          for (int zz = -m; zz <= m; ++zz) {
            if (x * x + y * y + zz * zz >= r2) continue;
            int64_t d = (x - e[cls - 1][0]) * (x - e[cls - 1][0]) +
                        (y - e[cls - 1][1]) * (y - e[cls - 1][1]) +
                        (zz - e[cls - 1][2]) * (zz - e[cls - 1][2]);
            best = std::max(best, d);
          }
      EXPECT_EQ(ballReachSquared(r2, cls), best) << "r2 " << r2 << " class " << cls;
    }
  }
}

uint32_t be32(const std::string& s, size_t at) {
  return (uint32_t(uint8_t(s[at])) << 24) | (uint32_t(uint8_t(s[at + 1])) << 16) |
         (uint32_t(uint8_t(s[at + 2])) << 8) | uint32_t(uint8_t(s[at + 3]));
}

TEST(MorphUnit, PngRoundTripThroughZlib) {
  const int w = 7, h = 5;
  std::vector<uint8_t> rgb(w * h * 3);
  for (size_t i = 0; i < rgb.size(); ++i) rgb[i] = static_cast<uint8_t>(i * 37);
  std::string png = encodePng(w, h, rgb);
  ASSERT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  // Walk the chunks: lengths, CRCs, IHDR fields; inflate IDAT and compare the scanlines.
  size_t at = 8;
  std::string idat;
  std::vector<std::string> types;
  while (at < png.size()) {
    uint32_t len = be32(png, at);
    std::string type = png.substr(at + 4, 4);
    std::string body = png.substr(at + 4, 4 + len);
    uint32_t crc = be32(png, at + 8 + len);
    EXPECT_EQ(crc, crc32(0L, reinterpret_cast<const Bytef*>(body.data()), body.size())) << type;
    if (type == "IHDR") {
      EXPECT_EQ(be32(png, at + 8), uint32_t(w));
      EXPECT_EQ(be32(png, at + 12), uint32_t(h));
      EXPECT_EQ(png[at + 16], 8);  // bit depth
      EXPECT_EQ(png[at + 17], 2);  // RGB
    }
    if (type == "IDAT") idat += png.substr(at + 8, len);
    types.push_back(type);
    at += 12 + len;
  }
  ASSERT_EQ(at, png.size());
  EXPECT_EQ(types.front(), "IHDR");
  EXPECT_EQ(types.back(), "IEND");
  std::vector<uint8_t> raw(h * (w * 3 + 1));
  uLongf rawLen = raw.size();
  ASSERT_EQ(uncompress(raw.data(), &rawLen, reinterpret_cast<const Bytef*>(idat.data()), idat.size()), Z_OK);
  ASSERT_EQ(rawLen, raw.size());
  for (int y = 0; y < h; ++y) {
    EXPECT_EQ(raw[y * (w * 3 + 1)], 0);
    EXPECT_EQ(std::memcmp(&raw[y * (w * 3 + 1) + 1], &rgb[y * w * 3], w * 3), 0);
  }
  EXPECT_THROW(encodePng(3, 3, rgb), RunError);
}

TEST(MorphUnit, NiceTicksAndChart) {
  auto t = niceTicks(0.0, 1.0, 5);
  ASSERT_EQ(t.size(), 6u);
  EXPECT_DOUBLE_EQ(t[1], 0.2);
  t = niceTicks(0.013, 0.087, 6);
  EXPECT_GE(t.front(), 0.013);
  EXPECT_LE(t.back(), 0.087);
  EXPECT_GE(t.size(), 4u);
  PlotChart c;
  c.title = "test";
  c.series.push_back({"a", {0, 1, 2}, {0, 1, 4}});
  auto px = renderChart(c);
  ASSERT_EQ(px.size(), size_t(c.width) * c.height * 3);
  size_t dark = 0;
  for (size_t i = 0; i < px.size(); i += 3) dark += px[i] < 128 && px[i + 1] < 128;
  EXPECT_GT(dark, 500u);  // frame, text and the curve were drawn
}

}  // namespace
}  // namespace ssb

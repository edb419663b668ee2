// Unit tests of the morphology building blocks that need no volume: the 1-D distance transform, the ball
// containment tables and the PNG plots (file structure and size, bad input). Each is checked against a
// brute-force or first-principles reference.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "mesh/DistanceTransform.hpp"
#include "postprocess/LocalThickness.hpp"
#include "solver/core/AtomicFile.hpp"
#include "solver/core/Error.hpp"
#include "solver/core/Plot.hpp"
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

// A PNG file (PNG spec, sec. 5): the 8-byte signature, then chunks (length, type, data, CRC), IHDR first
// (width, height, bit depth, colour type) and IEND last. Checks the structure and returns width x height.
std::pair<uint32_t, uint32_t> pngSize(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::string png((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_GT(png.size(), 8u + 25u + 12u) << path;
  if (png.size() < 45) return {0, 0};
  EXPECT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8)) << path;
  EXPECT_EQ(be32(png, 8), 13u);  // IHDR data length
  EXPECT_EQ(png.substr(12, 4), "IHDR");
  EXPECT_EQ(png[24], 8);  // bit depth
  size_t at = 8;
  std::string last;
  while (at + 12 <= png.size()) {
    last = png.substr(at + 4, 4);
    at += 12 + be32(png, at);
  }
  EXPECT_EQ(at, png.size()) << "chunks do not end with the file: " << path;
  EXPECT_EQ(last, "IEND") << path;
  return {be32(png, 16), be32(png, 20)};
}

// Plots go through PLplot's pngcairo driver; the environment must not matter (PLPLOT_DEV would otherwise
// pick another device, PLPLOT_DRV_DIR / PLPLOT_LIB another install).
class PlotTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("PLPLOT_DEV", "xwin", 1);
    unsetenv("PLPLOT_DRV_DIR");
    unsetenv("PLPLOT_LIB");
    dir = std::filesystem::temp_directory_path() / ("ssb_plot_" + std::to_string(getpid()));
    std::filesystem::create_directories(dir);
  }
  void TearDown() override {
    unsetenv("PLPLOT_DEV");
    std::filesystem::remove_all(dir);
  }
  bool leftTemp() const {
    for (const auto& e : std::filesystem::directory_iterator(dir))
      if (e.path().string().find(kTempSuffix) != std::string::npos) return true;
    return false;
  }
  std::filesystem::path dir;
};

TEST_F(PlotTest, ChartsAndMapAreValidPngsOfTheRequestedSize) {
  PlotChart c;
  c.title = "test #1";
  c.xLabel = "time [h]";
  c.yLabel = "voltage [V]";
  c.width = 640, c.height = 400;
  c.series.push_back({"a", {0, 1, 2, 3}, {3.0, 3.5, std::nan(""), 4.1}});
  c.series.push_back({"b", {0.5, 1.5}, {0.2, 0.4}, true, 0.5});
  c.refLines.push_back({4.3, "4.3 V", 0});
  c.bands.push_back({0.0, 1.0, "CC", 0});
  writeChartPng(dir / "chart.png", c);
  EXPECT_EQ(pngSize(dir / "chart.png"), std::make_pair(640u, 400u));

  PlotChart lg;  // log-log: points <= 0 are left out
  lg.logX = lg.logY = true;
  lg.series.push_back({"power law", {0.0, 1e-3, 1e-2, 1e-1, 1.0}, {-1.0, 1e6, 1e4, 1e2, 1.0}});
  PlotChart second = c;
  second.height = 300;
  writePanelsPng(dir / "panels.png", {lg, second});
  EXPECT_EQ(pngSize(dir / "panels.png"), std::make_pair(900u, 860u));

  PlotMap m;
  m.title = "x(depth, t)";
  m.xLabel = "t [h]";
  m.yLabel = "depth [um]";
  m.zLabel = "x [1]";
  m.x = {0.0, 0.1, 0.5, 2.0};  // uneven, like adaptive time steps
  m.y = {1.0, 3.0, 5.0};
  m.z = {0.1, 0.2, 0.3, 0.2, std::nan(""), 0.4, 0.3, 0.4, 0.5, 0.4, 0.5, 0.9};
  m.width = 700, m.height = 450;
  writeMapPng(dir / "map.png", m);
  EXPECT_EQ(pngSize(dir / "map.png"), std::make_pair(700u, 450u));
  EXPECT_FALSE(leftTemp());
}

TEST_F(PlotTest, NanEmptyAndMalformedInput) {
  // A series with nothing finite, or no series at all: the frame with a "no data" note, not a crash.
  PlotChart c;
  c.title = "nothing";
  c.series.push_back({"nan", {0, 1}, {std::nan(""), std::nan("")}});
  writeChartPng(dir / "nan.png", c);
  EXPECT_EQ(pngSize(dir / "nan.png"), std::make_pair(900u, 560u));
  writeChartPng(dir / "empty.png", PlotChart{});
  EXPECT_EQ(pngSize(dir / "empty.png"), std::make_pair(900u, 560u));
  PlotMap allNan;
  allNan.x = {0, 1};
  allNan.y = {0};
  allNan.z = {std::nan(""), std::nan("")};
  writeMapPng(dir / "nanmap.png", allNan);
  EXPECT_EQ(pngSize(dir / "nanmap.png"), std::make_pair(900u, 560u));

  // Malformed: a clear RunError naming the file, nothing left behind.
  auto throwsNaming = [&](const std::function<void()>& f, const std::string& what) {
    try {
      f();
      ADD_FAILURE() << "no error for " << what;
    } catch (const RunError& e) {
      EXPECT_NE(std::string(e.what()).find("bad.png"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
    }
  };
  PlotChart mismatch;
  mismatch.series.push_back({"m", {0, 1, 2}, {0, 1}});
  throwsNaming([&] { writeChartPng(dir / "bad.png", mismatch); }, "3 x values but 2 y values");
  PlotChart badLog;
  badLog.logY = true;
  badLog.yRange = std::make_pair(0.0, 1.0);
  throwsNaming([&] { writeChartPng(dir / "bad.png", badLog); }, "log axis");
  PlotMap wrongZ = allNan;
  wrongZ.z.push_back(1.0);
  throwsNaming([&] { writeMapPng(dir / "bad.png", wrongZ); }, "x * y values");
  PlotMap unsorted = allNan;
  unsorted.x = {1, 0};
  throwsNaming([&] { writeMapPng(dir / "bad.png", unsorted); }, "strictly increasing");
  throwsNaming([&] { writeChartPng(dir / "missing_dir" / "bad.png", c); }, "cannot write");
  EXPECT_FALSE(std::filesystem::exists(dir / "bad.png"));
  EXPECT_FALSE(leftTemp());
}

}  // namespace
}  // namespace ssb

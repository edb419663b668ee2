#pragma once
// Small PNG charts (lines, bars, dashed reference lines) for the morphology outputs: histograms, slice
// profiles, REV curves. Self-contained: an RGB canvas, a 5x7 bitmap font (ASCII 32..126, drawn at 2x) and a
// PNG encoder on zlib. Not collective: call on one rank.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ssb {

struct PlotSeries {
  std::string name;
  std::vector<double> x, y;
  bool bars = false;  // x = bin centres, bars of width barWidth
  double barWidth = 0.0;
};

struct PlotRefLine {
  double y = 0.0;
  std::string label;
  int series = -1;  // colour of that series, or grey
};

struct PlotChart {
  std::string title, xLabel, yLabel;
  std::vector<PlotSeries> series;
  std::vector<PlotRefLine> refLines;                // dashed horizontal lines
  std::optional<std::pair<double, double>> yRange;  // default: from the data (bars start at 0)
  int width = 900, height = 560;
};

// The PNG file bytes of an RGB image (row-major, 3 bytes per pixel).
std::string encodePng(int width, int height, const std::vector<uint8_t>& rgb);
// The chart's RGB pixels (width * height * 3).
std::vector<uint8_t> renderChart(const PlotChart& chart);
// Render and write atomically (temp + rename). Throws RunError if the file cannot be written.
void writeChartPng(const std::filesystem::path& path, const PlotChart& chart);

// "Nice" tick positions covering [lo, hi] (about `target` of them). Exposed for tests.
std::vector<double> niceTicks(double lo, double hi, int target);

}  // namespace ssb

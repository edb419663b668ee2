#pragma once
// PNG charts for the outputs: line and bar charts (linear or log axes, dashed reference lines, shaded x
// bands, several panels in one file) and heat maps with a labelled colour bar. Drawn by PLplot's cairo PNG
// driver ("pngcairo", Debian plplot-driver-cairo), text through pango/fontconfig (fonts-dejavu-core).
//
// PLplot keeps global state (a stream table, the current stream, loaded drivers): every call here takes
// one process-wide lock, draws on a fresh stream and ends it (plend1), and restores the stream that was
// current before. Not collective: call on one rank. Never reads PLPLOT_DEV; works without PLPLOT_DRV_DIR or
// PLPLOT_LIB (the Debian library has both directories compiled in).
//
// Data that cannot be drawn: non-finite points are left out (a line breaks there), a series or map with no
// finite value is drawn as an empty frame with the note "no data" (a plot never ends a study); malformed
// charts (x and y of different lengths, a map whose z does not match x and y, coordinates not increasing,
// a non-positive size, a log axis with a non-positive fixed range) throw RunError naming the file.
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
  bool line = true;  // false: markers only, at every point (scatter plots)
};

struct PlotRefLine {
  double y = 0.0;
  std::string label;
  int series = -1;  // colour of that series, or grey
};

// A shaded vertical band [x0, x1] with a label at its top (e.g. one step of a cycling protocol).
struct PlotBand {
  double x0 = 0.0, x1 = 0.0;
  std::string label;
  int shade = 0;  // 0..3: four light tints
};

struct PlotChart {
  std::string title, xLabel, yLabel;
  std::vector<PlotSeries> series;
  std::vector<PlotRefLine> refLines;                // dashed horizontal lines
  std::vector<PlotBand> bands;                      // drawn under the data
  std::optional<std::pair<double, double>> xRange;  // default: from the data
  std::optional<std::pair<double, double>> yRange;  // default: from the data (bars start at 0)
  bool logX = false, logY = false;                  // decades; points <= 0 on a log axis are left out
  int width = 900, height = 560;                    // [pixels]
};

// A heat map z(x, y) on cell centres x (nx, increasing) and y (ny, increasing); cells extend halfway to
// their neighbours (so uneven spacing, e.g. adaptive time steps, is drawn as it is). z[i * ny + j] belongs
// to (x[i], y[j]); NaN leaves a cell blank.
struct PlotMap {
  std::string title, xLabel, yLabel, zLabel;  // zLabel: the colour bar's label (with its unit)
  std::vector<double> x, y, z;
  std::optional<std::pair<double, double>> zRange;  // colour scale; default: the data's range
  int width = 900, height = 560;
};

// Render and write atomically (temp + rename). Throw RunError if the chart is malformed, PLplot or its
// cairo driver is missing, or the file cannot be written.
void writeChartPng(const std::filesystem::path& path, const PlotChart& chart);
// Panels stacked top to bottom in one image (width: the widest panel, height: the sum of the heights).
void writePanelsPng(const std::filesystem::path& path, const std::vector<PlotChart>& panels);
void writeMapPng(const std::filesystem::path& path, const PlotMap& map);

}  // namespace ssb

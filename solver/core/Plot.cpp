#include "solver/core/Plot.hpp"

#include <fmt/format.h>
#include <plplot.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <fstream>
#include <limits>
#include <mutex>

#include "solver/core/AtomicFile.hpp"
#include "solver/core/Error.hpp"

namespace ssb {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// Colour map 0 (indices used below): background, ink, grid, reference grey, 10 series colours (matplotlib's
// tab10, readable on white and distinct in print), their light tints for bar fills, four band shades.
enum : int {
  kBg = 0,
  kInk = 1,
  kGridCol = 2,
  kGreyCol = 3,
  kSeries0 = 4,
  kTint0 = 14,
  kShade0 = 24,
  kNCol = 28
};
constexpr std::array<std::array<int, 3>, 10> kPalette = {{{31, 119, 180},
                                                          {255, 127, 14},
                                                          {44, 160, 44},
                                                          {214, 39, 40},
                                                          {148, 103, 189},
                                                          {140, 86, 75},
                                                          {227, 119, 194},
                                                          {127, 127, 127},
                                                          {188, 189, 34},
                                                          {23, 190, 207}}};
constexpr std::array<std::array<int, 3>, 4> kShades = {
    {{222, 235, 247}, {254, 230, 206}, {229, 245, 224}, {236, 236, 236}}};

// Viridis at nine control points (linear in RGB between them): perceptually ordered, readable in grey.
constexpr std::array<std::array<double, 4>, 9> kViridis = {{{0.000, 68, 1, 84},
                                                            {0.125, 71, 44, 122},
                                                            {0.250, 59, 81, 139},
                                                            {0.375, 44, 113, 142},
                                                            {0.500, 33, 144, 141},
                                                            {0.625, 39, 173, 129},
                                                            {0.750, 92, 200, 99},
                                                            {0.875, 170, 220, 50},
                                                            {1.000, 253, 231, 37}}};

// Layout [pixels].
constexpr int kLeft = 90, kRight = 30, kTop = 46, kBottom = 64, kBarGap = 24, kBarWidth = 22, kBarRight = 120;
constexpr double kCharScale = 0.95;  // relative to PLplot's default character height

std::mutex& plotMutex() {
  static std::mutex m;
  return m;
}

// PLplot calls this instead of exit() on a fatal error (missing driver files, out of memory).
int plplotExitHandler(const char* msg) { throw RunError(fmt::format("PLplot: {}", msg)); }

// '#' starts a PLplot text escape: write it as "##". Text is UTF-8 (pango draws it).
std::string esc(const std::string& s) {
  std::string o;
  for (char c : s) {
    o += c;
    if (c == '#') o += '#';
  }
  return o;
}

// One PLplot stream drawing one PNG into `file`; ended and the previous stream restored on destruction.
class PlotStream {
 public:
  PlotStream(const std::filesystem::path& file, const std::filesystem::path& target, int width, int height)
      : m_lock(plotMutex()), m_target(target) {
    static const bool installed = [] {
      plsexit(plplotExitHandler);
      return true;
    }();
    (void)installed;
    requireDriver();
    {
      // PLplot would prompt on stdin when it cannot open the file: find out first.
      std::ofstream probe(file, std::ios::binary | std::ios::trunc);
      if (!probe)
        throwRun("cannot write the plot {} (check the output directory's permissions)", target.string());
    }
    plgstrm(&m_guard.previous);
    PLINT s = -1;
    plmkstrm(&s);
    if (s < 0) {
      plsstrm(m_guard.previous);
      throwRun("plot {}: PLplot has no free stream", target.string());
    }
    m_guard.open = true;
    m_errmsg.fill('\0');
    plsError(&m_errcode, m_errmsg.data());
    plsdev("pngcairo");
    plsfnam(file.c_str());
    plspage(0.0, 0.0, width, height, 0, 0);
    std::vector<PLINT> r(kNCol), g(kNCol), b(kNCol);
    auto set = [&](int i, int rr, int gg, int bb) { r[i] = rr, g[i] = gg, b[i] = bb; };
    set(kBg, 255, 255, 255);
    set(kInk, 0, 0, 0);
    set(kGridCol, 225, 225, 225);
    set(kGreyCol, 110, 110, 110);
    for (int i = 0; i < 10; ++i) {
      const auto& c = kPalette[static_cast<size_t>(i)];
      set(kSeries0 + i, c[0], c[1], c[2]);
      set(kTint0 + i, (c[0] + 2 * 255) / 3, (c[1] + 2 * 255) / 3, (c[2] + 2 * 255) / 3);
    }
    for (int i = 0; i < 4; ++i) {
      const auto& c = kShades[static_cast<size_t>(i)];
      set(kShade0 + i, c[0], c[1], c[2]);
    }
    plscmap0(r.data(), g.data(), b.data(), kNCol);
    std::array<PLFLT, 9> pos{}, cr{}, cg{}, cb{};
    for (size_t i = 0; i < kViridis.size(); ++i) {
      pos[i] = kViridis[i][0];
      cr[i] = kViridis[i][1] / 255.0;
      cg[i] = kViridis[i][2] / 255.0;
      cb[i] = kViridis[i][3] / 255.0;
    }
    plscmap1n(256);
    plscmap1l(1, static_cast<PLINT>(pos.size()), pos.data(), cr.data(), cg.data(), cb.data(), nullptr);
    plinit();
    check("plinit");
    plsfont(PL_FCI_SANS, PL_FCI_UPRIGHT, PL_FCI_MEDIUM);
    plschr(0.0, kCharScale);
    pladv(0);
    check("pladv");
  }
  PlotStream(const PlotStream&) = delete;
  PlotStream& operator=(const PlotStream&) = delete;
  // End the stream (PLplot writes the PNG now) and throw if anything failed on the way.
  void finish() {
    check("drawing");
    m_guard.end();
    if (m_errcode != 0) throwRun("plot {}: PLplot: {}", m_target.string(), trimmed());
  }
  void check(const char* where) const {
    if (m_errcode != 0) throwRun("plot {}: PLplot ({}): {}", m_target.string(), where, trimmed());
  }

 private:
  static void requireDriver() {
    std::array<const char*, 128> menu{}, names{};
    const char** pm = menu.data();
    const char** pn = names.data();
    int n = static_cast<int>(names.size());
    plgDevs(&pm, &pn, &n);
    for (int i = 0; i < n; ++i)
      if (names[static_cast<size_t>(i)] != nullptr &&
          std::string(names[static_cast<size_t>(i)]) == "pngcairo")
        return;
    throwRun(
        "PLplot's PNG driver 'pngcairo' is not available: install the Debian package plplot-driver-cairo "
        "(see "
        ".ci/install-deps), or set plots: false");
  }
  std::string trimmed() const {
    std::string s(m_errmsg.data());
    while (!s.empty() && (s.front() == '\n' || s.front() == ' ')) s.erase(s.begin());
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
  }
  // Ends the stream and makes the previous one current again, also when the constructor throws.
  struct Guard {
    PLINT previous = 0;
    bool open = false;
    void end() {
      if (!open) return;
      open = false;
      plend1();
      plsstrm(previous);
    }
    ~Guard() { end(); }
  };
  std::lock_guard<std::mutex> m_lock;
  Guard m_guard;
  std::filesystem::path m_target;
  PLINT m_errcode = 0;
  std::array<char, 4096> m_errmsg{};
};

// Viewport of a panel occupying pixel rows [top, top + h) of a totalW x totalH image, in normalised
// device coordinates.
struct Box {
  double x0, x1, y0, y1;
};
Box panelBox(int totalW, int totalH, int top, int w, int h, int rightMargin) {
  return {static_cast<double>(kLeft) / totalW, static_cast<double>(w - rightMargin) / totalW,
          1.0 - static_cast<double>(top + h - kBottom) / totalH,
          1.0 - static_cast<double>(top + kTop) / totalH};
}

void noData(const char* what) {
  plcol0(kGreyCol);
  plmtex("t", -3.0, 0.5, 0.5, what);
}

// After the range is known: pad it, keep it positive on log axes, return it in plot coordinates.
std::pair<double, double> finishRange(double lo, double hi, bool log, bool padLow, bool fixed,
                                      double padHigh = 0.05) {
  if (!(hi >= lo)) lo = log ? 1.0 : 0.0, hi = log ? 10.0 : 1.0;
  if (log) {
    lo = std::log10(lo), hi = std::log10(hi);
    if (hi - lo <= 0.0) lo -= 0.5, hi += 0.5;
    return {lo, hi};
  }
  if (hi - lo <= 0.0) {
    const double pad = std::max(std::abs(hi) * 0.05, 1e-12);
    return {lo - pad, hi + pad};
  }
  if (fixed) return {lo, hi};
  const double pad = 0.05 * (hi - lo);
  return {padLow ? lo - pad : lo, hi + padHigh * (hi - lo)};
}

void validate(const PlotChart& c, const std::filesystem::path& path) {
  if (c.width < 200 || c.height < 150 || c.width > 10000 || c.height > 10000)
    throwRun("plot {}: size {} x {} pixels is outside 200 x 150 .. 10000 x 10000", path.string(), c.width,
             c.height);
  for (const auto& s : c.series) {
    if (s.x.size() != s.y.size())
      throwRun("plot {}: series '{}' has {} x values but {} y values", path.string(), s.name, s.x.size(),
               s.y.size());
    if (s.bars && !(s.barWidth > 0.0) && !s.x.empty())
      throwRun("plot {}: bar series '{}' needs a positive barWidth", path.string(), s.name);
  }
  auto badLogRange = [](const std::optional<std::pair<double, double>>& r) {
    return r && !(r->first > 0.0 && r->second > r->first);
  };
  if ((c.logX && badLogRange(c.xRange)) || (c.logY && badLogRange(c.yRange)))
    throwRun("plot {}: a log axis needs a fixed range 0 < lo < hi", path.string());
  if (c.logY)
    for (const auto& s : c.series)
      if (s.bars)
        throwRun("plot {}: bars on a log y axis are not drawn (series '{}')", path.string(), s.name);
}

void drawChart(const PlotChart& c, int totalW, int totalH, int top) {
  const bool lx = c.logX, ly = c.logY;
  auto usable = [&](double x, double y) {
    return std::isfinite(x) && std::isfinite(y) && (!lx || x > 0.0) && (!ly || y > 0.0);
  };
  double xmin = kInf, xmax = -kInf, ymin = kInf, ymax = -kInf;
  bool anyBars = false, anyData = false;
  for (const auto& s : c.series)
    for (size_t i = 0; i < s.x.size(); ++i) {
      if (!usable(s.x[i], s.y[i])) continue;
      anyData = true;
      const double hw = s.bars ? 0.5 * s.barWidth : 0.0;
      xmin = std::min(xmin, s.x[i] - hw);
      xmax = std::max(xmax, s.x[i] + hw);
      ymin = std::min(ymin, s.bars ? 0.0 : s.y[i]);
      ymax = std::max(ymax, s.y[i]);
      anyBars = anyBars || s.bars;
    }
  for (const auto& r : c.refLines)
    if (std::isfinite(r.y) && (!ly || r.y > 0.0)) ymin = std::min(ymin, r.y), ymax = std::max(ymax, r.y);
  if (c.xRange) xmin = c.xRange->first, xmax = c.xRange->second;
  if (c.yRange) ymin = c.yRange->first, ymax = c.yRange->second;
  const auto [wx0, wx1] = finishRange(xmin, xmax, lx, false, true);
  // Labelled bands: head room above the data for their labels.
  bool bandLabels = false;
  for (const auto& band : c.bands) bandLabels = bandLabels || !band.label.empty();
  const auto [wy0, wy1] =
      finishRange(ymin, ymax, ly, !(anyBars && ymin == 0.0), c.yRange.has_value(), bandLabels ? 0.16 : 0.05);
  auto tx = [&](double x) { return lx ? std::log10(x) : x; };
  auto ty = [&](double y) { return ly ? std::log10(y) : y; };

  const Box b = panelBox(totalW, totalH, top, c.width, c.height, kRight);
  plvpor(b.x0, b.x1, b.y0, b.y1);
  plwind(wx0, wx1, wy0, wy1);

  for (const auto& band : c.bands) {
    if (!std::isfinite(band.x0) || !std::isfinite(band.x1) || (lx && (band.x0 <= 0.0 || band.x1 <= 0.0)))
      continue;
    const double a = std::clamp(tx(band.x0), wx0, wx1), z = std::clamp(tx(band.x1), wx0, wx1);
    if (z <= a) continue;
    plcol0(kShade0 + ((band.shade % 4) + 4) % 4);
    const PLFLT px[4] = {a, z, z, a}, py[4] = {wy0, wy0, wy1, wy1};
    plfill(4, px, py);
  }
  plcol0(kGridCol);
  plwidth(1.0);
  plbox(lx ? "gl" : "g", 0.0, 0, ly ? "gl" : "g", 0.0, 0);
  plcol0(kInk);
  for (const auto& band : c.bands) {
    if (band.label.empty() || !std::isfinite(band.x0) || !std::isfinite(band.x1)) continue;
    if (lx && (band.x0 <= 0.0 || band.x1 <= 0.0)) continue;
    const double a = std::clamp(tx(band.x0), wx0, wx1), z = std::clamp(tx(band.x1), wx0, wx1);
    if (z <= a) continue;
    plschr(0.0, kCharScale * 0.8);
    plptex(0.5 * (a + z), wy1 - 0.06 * (wy1 - wy0), 1.0, 0.0, 0.5, esc(band.label).c_str());
    plschr(0.0, kCharScale);
  }

  // Data, clipped to the viewport by PLplot.
  for (size_t si = 0; si < c.series.size(); ++si) {
    const auto& s = c.series[si];
    const int col = kSeries0 + static_cast<int>(si % 10);
    if (s.bars) {
      for (size_t i = 0; i < s.x.size(); ++i) {
        if (!usable(s.x[i], s.y[i])) continue;
        const double a = tx(s.x[i] - 0.5 * s.barWidth), z = tx(s.x[i] + 0.5 * s.barWidth);
        const double base = std::max(0.0, wy0), t = s.y[i];
        const PLFLT px[4] = {a, z, z, a}, py[4] = {base, base, t, t};
        plcol0(kTint0 + static_cast<int>(si % 10));
        plfill(4, px, py);
        plcol0(col);
        plwidth(1.0);
        const PLFLT ox[4] = {a, a, z, z}, oy[4] = {base, t, t, base};
        plline(4, ox, oy);
      }
      continue;
    }
    plcol0(col);
    plwidth(2.0);
    std::vector<PLFLT> px, py;
    auto flush = [&] {
      if (s.line && px.size() >= 2) plline(static_cast<PLINT>(px.size()), px.data(), py.data());
      px.clear(), py.clear();
    };
    std::vector<PLFLT> mx, my;
    for (size_t i = 0; i < s.x.size(); ++i) {
      if (!usable(s.x[i], s.y[i])) {
        flush();
        continue;
      }
      px.push_back(tx(s.x[i]));
      py.push_back(ty(s.y[i]));
      mx.push_back(px.back());
      my.push_back(py.back());
    }
    flush();
    // Markers where points are few (or a series is a single point).
    if (!mx.empty() && (!s.line || s.x.size() <= 40 || mx.size() == 1)) {
      plssym(0.0, s.line ? 1.2 : 1.7);  // scatter markers carry the data alone: larger
      plpoin(static_cast<PLINT>(mx.size()), mx.data(), my.data(), 17);
    }
  }
  plwidth(1.0);
  for (const auto& r : c.refLines) {
    if (!std::isfinite(r.y) || (ly && r.y <= 0.0)) continue;
    plcol0(r.series >= 0 ? kSeries0 + r.series % 10 : kGreyCol);
    pllsty(2);
    const PLFLT px[2] = {wx0, wx1}, py[2] = {ty(r.y), ty(r.y)};
    plline(2, px, py);
    pllsty(1);
    if (!r.label.empty()) {
      plschr(0.0, kCharScale * 0.85);
      plptex(wx0 + 0.01 * (wx1 - wx0), ty(r.y) + 0.015 * (wy1 - wy0), 1.0, 0.0, 0.0, esc(r.label).c_str());
      plschr(0.0, kCharScale);
    }
  }

  plcol0(kInk);
  plwidth(1.0);
  plbox(lx ? "bcnstl" : "bcnst", 0.0, 0, ly ? "bcnstvl" : "bcnstv", 0.0, 0);
  pllab(esc(c.xLabel).c_str(), esc(c.yLabel).c_str(), esc(c.title).c_str());
  if (!anyData) noData("no data");

  // Legend: when there is more than one series or the only one has a name.
  if (c.series.size() > 1 || (!c.series.empty() && !c.series[0].name.empty())) {
    const auto n = static_cast<PLINT>(c.series.size());
    std::vector<PLINT> opt(c.series.size()), textCol(c.series.size(), kInk), colour(c.series.size()),
        pattern(c.series.size(), 0), style(c.series.size(), 1), symCol(c.series.size()),
        symNum(c.series.size(), 0);
    std::vector<PLFLT> scale(c.series.size(), 1.0), width(c.series.size(), 2.0),
        symScale(c.series.size(), 1.0), boxWidth(c.series.size(), 1.0);
    std::vector<std::string> names(c.series.size());
    std::vector<const char*> text(c.series.size()), symbols(c.series.size(), "");
    for (size_t si = 0; si < c.series.size(); ++si) {
      const auto& s = c.series[si];
      bool has = false;
      for (size_t i = 0; i < s.x.size() && !has; ++i) has = usable(s.x[i], s.y[i]);
      opt[si] = s.bars ? PL_LEGEND_COLOR_BOX : (s.line ? PL_LEGEND_LINE : PL_LEGEND_SYMBOL);
      if (!s.bars && !s.line) {
        symNum[si] = 1;
        symbols[si] = "#(850)";  // Hershey filled circle, the marker plpoin draws (code 17)
      }
      colour[si] = kSeries0 + static_cast<int>(si % 10);
      symCol[si] = colour[si];
      names[si] = esc(s.name) + (has ? "" : " (no data)");
      text[si] = names[si].c_str();
    }
    PLFLT lw = 0.0, lh = 0.0;
    pllegend(&lw, &lh, PL_LEGEND_BACKGROUND | PL_LEGEND_BOUNDING_BOX,
             PL_POSITION_RIGHT | PL_POSITION_TOP | PL_POSITION_INSIDE, 0.02, 0.02, 0.06, kBg, kGridCol, 1, 0,
             0, n, opt.data(), 1.0, 0.9, 2.0, 0.0, textCol.data(), text.data(), colour.data(), pattern.data(),
             scale.data(), boxWidth.data(), colour.data(), style.data(), width.data(), symCol.data(),
             symScale.data(), symNum.data(), symbols.data());
  }
}

void validate(const PlotMap& m, const std::filesystem::path& path) {
  if (m.width < 300 || m.height < 150 || m.width > 10000 || m.height > 10000)
    throwRun("plot {}: size {} x {} pixels is outside 300 x 150 .. 10000 x 10000", path.string(), m.width,
             m.height);
  if (m.x.empty() || m.y.empty() || m.z.size() != m.x.size() * m.y.size())
    throwRun("plot {}: the map needs x ({} values), y ({}) and z with x * y values ({})", path.string(),
             m.x.size(), m.y.size(), m.z.size());
  for (const auto* v : {&m.x, &m.y})
    for (size_t i = 0; i < v->size(); ++i)
      if (!std::isfinite((*v)[i]) || (i > 0 && !((*v)[i] > (*v)[i - 1])))
        throwRun("plot {}: map coordinates must be finite and strictly increasing ({} at index {})",
                 path.string(), (*v)[i], i);
  if (m.zRange && !(std::isfinite(m.zRange->first) && m.zRange->second > m.zRange->first))
    throwRun("plot {}: the colour range needs lo < hi", path.string());
}

// Cell edges: halfway between centres, the outer ones mirrored.
std::vector<double> edges(const std::vector<double>& c) {
  std::vector<double> e(c.size() + 1);
  if (c.size() == 1) return {c[0] - 0.5, c[0] + 0.5};
  for (size_t i = 1; i < c.size(); ++i) e[i] = 0.5 * (c[i - 1] + c[i]);
  e.front() = c.front() - (e[1] - c.front());
  e.back() = c.back() + (c.back() - e[c.size() - 1]);
  return e;
}

struct Edges {
  const std::vector<double>* x;
  const std::vector<double>* y;
};
// PLplot's image transform: cell corner (i, j) -> (xe[i], ye[j]).
void edgeTransform(PLFLT i, PLFLT j, PLFLT* tx, PLFLT* ty, PLPointer data) {
  const auto* e = static_cast<const Edges*>(data);
  const auto at = [](const std::vector<double>& v, PLFLT k) {
    const auto n = static_cast<long>(v.size()) - 1;
    return v[static_cast<size_t>(std::clamp(std::lround(k), 0L, n))];
  };
  *tx = at(*e->x, i);
  *ty = at(*e->y, j);
}

void drawMap(const PlotMap& m) {
  const size_t nx = m.x.size(), ny = m.y.size();
  double lo = kInf, hi = -kInf;
  for (double v : m.z)
    if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
  const bool anyData = hi >= lo;
  if (m.zRange) lo = m.zRange->first, hi = m.zRange->second;
  if (!(hi >= lo)) lo = 0.0, hi = 1.0;
  if (hi - lo <= 0.0) {
    const double pad = std::max(std::abs(hi) * 0.05, 1e-12);
    lo -= pad, hi += pad;
  }
  const std::vector<double> xe = edges(m.x), ye = edges(m.y);
  const int barSpace = kBarGap + kBarWidth + kBarRight;
  const Box b = panelBox(m.width, m.height, 0, m.width, m.height, barSpace);
  plvpor(b.x0, b.x1, b.y0, b.y1);
  plwind(xe.front(), xe.back(), ye.front(), ye.back());
  std::vector<const PLFLT*> rows(nx);
  for (size_t i = 0; i < nx; ++i) rows[i] = m.z.data() + i * ny;
  Edges e{&xe, &ye};
  // Values outside [zmin, zmax] are not drawn; NaN is never drawn; the colour scale is [lo, hi] (clamped).
  plimagefr(rows.data(), static_cast<PLINT>(nx), static_cast<PLINT>(ny), xe.front(), xe.back(), ye.front(),
            ye.back(), -std::numeric_limits<double>::max(), std::numeric_limits<double>::max(), lo, hi,
            edgeTransform, &e);
  plcol0(kInk);
  plbox("bcnst", 0.0, 0, "bcnstv", 0.0, 0);
  pllab(esc(m.xLabel).c_str(), esc(m.yLabel).c_str(), esc(m.title).c_str());
  if (!anyData) noData("no data");

  // Colour bar: a 1 x 256 image in its own viewport, labelled on the right.
  const double bx0 = b.x1 + static_cast<double>(kBarGap) / m.width,
               bx1 = bx0 + static_cast<double>(kBarWidth) / m.width;
  plvpor(bx0, bx1, b.y0, b.y1);
  plwind(0.0, 1.0, lo, hi);
  constexpr size_t kSteps = 256;
  std::vector<double> bz(kSteps), bc(kSteps), bxc = {0.5};
  for (size_t k = 0; k < kSteps; ++k)
    bz[k] = bc[k] = lo + (hi - lo) * (static_cast<double>(k) + 0.5) / kSteps;
  const std::vector<double> bxe = {0.0, 1.0};
  std::vector<double> bye(kSteps + 1);
  for (size_t k = 0; k <= kSteps; ++k) bye[k] = lo + (hi - lo) * static_cast<double>(k) / kSteps;
  const PLFLT* brow = bz.data();
  Edges be{&bxe, &bye};
  plimagefr(&brow, 1, static_cast<PLINT>(kSteps), 0.0, 1.0, lo, hi, -std::numeric_limits<double>::max(),
            std::numeric_limits<double>::max(), lo, hi, edgeTransform, &be);
  plcol0(kInk);
  plbox("bc", 0.0, 0, "bcmstv", 0.0, 0);
  plmtex("r", 6.0, 0.5, 0.5, esc(m.zLabel).c_str());
}

void finishFile(const std::filesystem::path& tmp, const std::filesystem::path& path, int w, int h) {
  // cairo's PNG writer reports no error to PLplot: check the file it left.
  std::ifstream in(tmp, std::ios::binary);
  std::array<unsigned char, 24> head{};
  in.read(reinterpret_cast<char*>(head.data()), head.size());
  const auto be32 = [&](size_t at) {
    return (static_cast<uint32_t>(head[at]) << 24) | (static_cast<uint32_t>(head[at + 1]) << 16) |
           (static_cast<uint32_t>(head[at + 2]) << 8) | static_cast<uint32_t>(head[at + 3]);
  };
  if (!in || head[0] != 0x89 || head[1] != 'P' || be32(16) != static_cast<uint32_t>(w) ||
      be32(20) != static_cast<uint32_t>(h))
    throwRun("plot {}: PLplot's cairo driver did not write a {} x {} PNG (disk full?)", path.string(), w, h);
}

}  // namespace

void writePanelsPng(const std::filesystem::path& path, const std::vector<PlotChart>& panels) {
  if (panels.empty()) throwRun("plot {}: no panel to draw", path.string());
  int w = 0, h = 0;
  for (const auto& p : panels) {
    validate(p, path);
    w = std::max(w, p.width);
    h += p.height;
  }
  writeThroughTemp(path, [&](const std::filesystem::path& tmp) {
    {
      PlotStream s(tmp, path, w, h);
      int top = 0;
      for (const auto& p : panels) {
        drawChart(p, w, h, top);
        top += p.height;
      }
      s.finish();
    }
    finishFile(tmp, path, w, h);
  });
}

void writeChartPng(const std::filesystem::path& path, const PlotChart& chart) {
  writePanelsPng(path, {chart});
}

void writeMapPng(const std::filesystem::path& path, const PlotMap& map) {
  validate(map, path);
  writeThroughTemp(path, [&](const std::filesystem::path& tmp) {
    {
      PlotStream s(tmp, path, map.width, map.height);
      drawMap(map);
      s.finish();
    }
    finishFile(tmp, path, map.width, map.height);
  });
}

}  // namespace ssb

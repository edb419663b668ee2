#include "postprocess/Plot.hpp"

#include <fmt/format.h>
#include <zlib.h>

#include <algorithm>
#include <cmath>

#include "solver/core/AtomicFile.hpp"
#include "solver/core/Error.hpp"

namespace ssb {

namespace {

// 5x7 glyphs, one byte per row, bit 4 = leftmost column; ASCII 32..126.
const uint8_t kFont[95][7] = {
    {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00},  // ' '
    {0x04, 0x04, 0x04, 0x04, 0x04, 0x00, 0x04},  // '!'
    {0x0A, 0x0A, 0x00, 0x00, 0x00, 0x00, 0x00},  // '"'
    {0x0A, 0x0A, 0x1F, 0x0A, 0x1F, 0x0A, 0x0A},  // '#'
    {0x04, 0x0F, 0x14, 0x0E, 0x05, 0x1E, 0x04},  // '$'
    {0x18, 0x19, 0x02, 0x04, 0x08, 0x13, 0x03},  // '%'
    {0x0C, 0x12, 0x14, 0x08, 0x15, 0x12, 0x0D},  // '&'
    {0x04, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00},  // "'"
    {0x02, 0x04, 0x08, 0x08, 0x08, 0x04, 0x02},  // '('
    {0x08, 0x04, 0x02, 0x02, 0x02, 0x04, 0x08},  // ')'
    {0x00, 0x04, 0x15, 0x0E, 0x15, 0x04, 0x00},  // '*'
    {0x00, 0x04, 0x04, 0x1F, 0x04, 0x04, 0x00},  // '+'
    {0x00, 0x00, 0x00, 0x00, 0x0C, 0x04, 0x08},  // ','
    {0x00, 0x00, 0x00, 0x1F, 0x00, 0x00, 0x00},  // '-'
    {0x00, 0x00, 0x00, 0x00, 0x00, 0x0C, 0x0C},  // '.'
    {0x00, 0x01, 0x02, 0x04, 0x08, 0x10, 0x00},  // '/'
    {0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E},  // '0'
    {0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E},  // '1'
    {0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F},  // '2'
    {0x1E, 0x01, 0x01, 0x0E, 0x01, 0x01, 0x1E},  // '3'
    {0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02},  // '4'
    {0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E},  // '5'
    {0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E},  // '6'
    {0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08},  // '7'
    {0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E},  // '8'
    {0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C},  // '9'
    {0x00, 0x0C, 0x0C, 0x00, 0x0C, 0x0C, 0x00},  // ':'
    {0x00, 0x0C, 0x0C, 0x00, 0x0C, 0x04, 0x08},  // ';'
    {0x02, 0x04, 0x08, 0x10, 0x08, 0x04, 0x02},  // '<'
    {0x00, 0x00, 0x1F, 0x00, 0x1F, 0x00, 0x00},  // '='
    {0x08, 0x04, 0x02, 0x01, 0x02, 0x04, 0x08},  // '>'
    {0x0E, 0x11, 0x01, 0x02, 0x04, 0x00, 0x04},  // '?'
    {0x0E, 0x11, 0x01, 0x0D, 0x15, 0x15, 0x0E},  // '@'
    {0x0E, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11},  // 'A'
    {0x1E, 0x11, 0x11, 0x1E, 0x11, 0x11, 0x1E},  // 'B'
    {0x0E, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0E},  // 'C'
    {0x1C, 0x12, 0x11, 0x11, 0x11, 0x12, 0x1C},  // 'D'
    {0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x1F},  // 'E'
    {0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x10},  // 'F'
    {0x0E, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0F},  // 'G'
    {0x11, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11},  // 'H'
    {0x0E, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E},  // 'I'
    {0x07, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0C},  // 'J'
    {0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11},  // 'K'
    {0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1F},  // 'L'
    {0x11, 0x1B, 0x15, 0x15, 0x11, 0x11, 0x11},  // 'M'
    {0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11},  // 'N'
    {0x0E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E},  // 'O'
    {0x1E, 0x11, 0x11, 0x1E, 0x10, 0x10, 0x10},  // 'P'
    {0x0E, 0x11, 0x11, 0x11, 0x15, 0x12, 0x0D},  // 'Q'
    {0x1E, 0x11, 0x11, 0x1E, 0x14, 0x12, 0x11},  // 'R'
    {0x0F, 0x10, 0x10, 0x0E, 0x01, 0x01, 0x1E},  // 'S'
    {0x1F, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04},  // 'T'
    {0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E},  // 'U'
    {0x11, 0x11, 0x11, 0x11, 0x11, 0x0A, 0x04},  // 'V'
    {0x11, 0x11, 0x11, 0x15, 0x15, 0x15, 0x0A},  // 'W'
    {0x11, 0x11, 0x0A, 0x04, 0x0A, 0x11, 0x11},  // 'X'
    {0x11, 0x11, 0x11, 0x0A, 0x04, 0x04, 0x04},  // 'Y'
    {0x1F, 0x01, 0x02, 0x04, 0x08, 0x10, 0x1F},  // 'Z'
    {0x0E, 0x08, 0x08, 0x08, 0x08, 0x08, 0x0E},  // '['
    {0x00, 0x10, 0x08, 0x04, 0x02, 0x01, 0x00},  // '\\'
    {0x0E, 0x02, 0x02, 0x02, 0x02, 0x02, 0x0E},  // ']'
    {0x04, 0x0A, 0x11, 0x00, 0x00, 0x00, 0x00},  // '^'
    {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x1F},  // '_'
    {0x08, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00},  // '`'
    {0x00, 0x00, 0x0E, 0x01, 0x0F, 0x11, 0x0F},  // 'a'
    {0x10, 0x10, 0x16, 0x19, 0x11, 0x11, 0x1E},  // 'b'
    {0x00, 0x00, 0x0E, 0x10, 0x10, 0x11, 0x0E},  // 'c'
    {0x01, 0x01, 0x0D, 0x13, 0x11, 0x11, 0x0F},  // 'd'
    {0x00, 0x00, 0x0E, 0x11, 0x1F, 0x10, 0x0E},  // 'e'
    {0x06, 0x09, 0x08, 0x1C, 0x08, 0x08, 0x08},  // 'f'
    {0x00, 0x0F, 0x11, 0x11, 0x0F, 0x01, 0x0E},  // 'g'
    {0x10, 0x10, 0x16, 0x19, 0x11, 0x11, 0x11},  // 'h'
    {0x04, 0x00, 0x0C, 0x04, 0x04, 0x04, 0x0E},  // 'i'
    {0x02, 0x00, 0x06, 0x02, 0x02, 0x12, 0x0C},  // 'j'
    {0x10, 0x10, 0x12, 0x14, 0x18, 0x14, 0x12},  // 'k'
    {0x0C, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E},  // 'l'
    {0x00, 0x00, 0x1A, 0x15, 0x15, 0x11, 0x11},  // 'm'
    {0x00, 0x00, 0x16, 0x19, 0x11, 0x11, 0x11},  // 'n'
    {0x00, 0x00, 0x0E, 0x11, 0x11, 0x11, 0x0E},  // 'o'
    {0x00, 0x00, 0x1E, 0x11, 0x1E, 0x10, 0x10},  // 'p'
    {0x00, 0x00, 0x0D, 0x13, 0x0F, 0x01, 0x01},  // 'q'
    {0x00, 0x00, 0x16, 0x19, 0x10, 0x10, 0x10},  // 'r'
    {0x00, 0x00, 0x0E, 0x10, 0x0E, 0x01, 0x1E},  // 's'
    {0x08, 0x08, 0x1C, 0x08, 0x08, 0x09, 0x06},  // 't'
    {0x00, 0x00, 0x11, 0x11, 0x11, 0x13, 0x0D},  // 'u'
    {0x00, 0x00, 0x11, 0x11, 0x11, 0x0A, 0x04},  // 'v'
    {0x00, 0x00, 0x11, 0x11, 0x15, 0x15, 0x0A},  // 'w'
    {0x00, 0x00, 0x11, 0x0A, 0x04, 0x0A, 0x11},  // 'x'
    {0x00, 0x00, 0x11, 0x11, 0x0F, 0x01, 0x0E},  // 'y'
    {0x00, 0x00, 0x1F, 0x02, 0x04, 0x08, 0x1F},  // 'z'
    {0x02, 0x04, 0x04, 0x08, 0x04, 0x04, 0x02},  // '{'
    {0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04},  // '|'
    {0x08, 0x04, 0x04, 0x02, 0x04, 0x04, 0x08},  // '}'
    {0x00, 0x00, 0x08, 0x15, 0x02, 0x00, 0x00},  // '~'
};

constexpr int kScale = 2;             // font pixels per glyph pixel
constexpr int kAdvance = 6 * kScale;  // glyph width + 1 column spacing
constexpr int kGlyphHeight = 7 * kScale;

struct Rgb {
  uint8_t r, g, b;
};
const Rgb kPalette[] = {{31, 119, 180}, {255, 127, 14},  {44, 160, 44},   {214, 39, 40},  {148, 103, 189},
                        {140, 86, 75},  {227, 119, 194}, {127, 127, 127}, {188, 189, 34}, {23, 190, 207}};
const Rgb kBlack{0, 0, 0}, kGrid{225, 225, 225}, kGrey{110, 110, 110}, kWhite{255, 255, 255};

class Canvas {
 public:
  Canvas(int w, int h) : m_w(w), m_h(h), m_px(static_cast<size_t>(w) * h * 3, 255) {}
  void set(int x, int y, Rgb c) {
    if (x < 0 || y < 0 || x >= m_w || y >= m_h) return;
    uint8_t* p = &m_px[(static_cast<size_t>(y) * m_w + x) * 3];
    p[0] = c.r;
    p[1] = c.g;
    p[2] = c.b;
  }
  void fill(int x0, int y0, int x1, int y1, Rgb c) {
    if (x0 > x1) std::swap(x0, x1);
    if (y0 > y1) std::swap(y0, y1);
    for (int y = y0; y <= y1; ++y)
      for (int x = x0; x <= x1; ++x) set(x, y, c);
  }
  // Bresenham, `thick` pixels wide; dashed: on/off runs of 8 pixels.
  void line(int x0, int y0, int x1, int y1, Rgb c, int thick = 1, bool dashed = false) {
    int dx = std::abs(x1 - x0), sx = x0 < x1 ? 1 : -1;
    int dy = -std::abs(y1 - y0), sy = y0 < y1 ? 1 : -1;
    int err = dx + dy, n = 0;
    for (;;) {
      if (!dashed || (n / 8) % 2 == 0)
        for (int t = 0; t < thick; ++t)
          for (int u = 0; u < thick; ++u) set(x0 + t - thick / 2, y0 + u - thick / 2, c);
      ++n;
      if (x0 == x1 && y0 == y1) break;
      int e2 = 2 * err;
      if (e2 >= dy) {
        err += dy;
        x0 += sx;
      }
      if (e2 <= dx) {
        err += dx;
        y0 += sy;
      }
    }
  }
  // Text with its top-left corner at (x, y); vertical text reads bottom to top.
  void text(int x, int y, const std::string& s, Rgb c, bool vertical = false) {
    int pos = 0;
    for (unsigned char ch : s) {
      if (ch < 32 || ch > 126) ch = '?';
      const uint8_t* g = kFont[ch - 32];
      for (int row = 0; row < 7; ++row)
        for (int col = 0; col < 5; ++col) {
          if (!(g[row] & (0x10 >> col))) continue;
          for (int a = 0; a < kScale; ++a)
            for (int b = 0; b < kScale; ++b) {
              int gx = pos + col * kScale + a, gy = row * kScale + b;
              if (vertical)
                set(x + gy, y - gx, c);
              else
                set(x + gx, y + gy, c);
            }
        }
      pos += kAdvance;
    }
  }
  const std::vector<uint8_t>& pixels() const { return m_px; }

 private:
  int m_w, m_h;
  std::vector<uint8_t> m_px;
};

int textWidth(const std::string& s) { return static_cast<int>(s.size()) * kAdvance - kScale; }

std::string tickLabel(double v, double step) {
  if (v == 0.0) return "0";
  double a = std::abs(v);
  if (a >= 1e5 || a < 1e-3) return fmt::format("{:.3g}", v);
  int decimals = std::max(0, static_cast<int>(-std::floor(std::log10(step) + 1e-9)));
  return fmt::format("{:.{}f}", v, std::min(decimals, 6));
}

void appendChunk(std::string& out, const char* type, const std::string& data) {
  auto be32 = [&](uint32_t v) {
    out.push_back(static_cast<char>(v >> 24));
    out.push_back(static_cast<char>(v >> 16));
    out.push_back(static_cast<char>(v >> 8));
    out.push_back(static_cast<char>(v));
  };
  be32(static_cast<uint32_t>(data.size()));
  std::string body = std::string(type, 4) + data;
  out += body;
  be32(static_cast<uint32_t>(
      crc32(0L, reinterpret_cast<const Bytef*>(body.data()), static_cast<uInt>(body.size()))));
}

}  // namespace

std::string encodePng(int width, int height, const std::vector<uint8_t>& rgb) {
  if (width <= 0 || height <= 0 || rgb.size() != static_cast<size_t>(width) * height * 3)
    throwRun("encodePng: {} bytes do not make a {} x {} RGB image", rgb.size(), width, height);
  std::string raw;
  raw.reserve(static_cast<size_t>(height) * (width * 3 + 1));
  for (int y = 0; y < height; ++y) {
    raw.push_back(0);  // filter: none
    raw.append(reinterpret_cast<const char*>(rgb.data()) + static_cast<size_t>(y) * width * 3,
               static_cast<size_t>(width) * 3);
  }
  uLongf len = compressBound(static_cast<uLong>(raw.size()));
  std::string z(len, '\0');
  if (compress2(reinterpret_cast<Bytef*>(z.data()), &len, reinterpret_cast<const Bytef*>(raw.data()),
                static_cast<uLong>(raw.size()), 6) != Z_OK)
    throwRun("encodePng: zlib compression failed");
  z.resize(len);
  std::string out("\x89PNG\r\n\x1a\n", 8);
  std::string ihdr;
  for (uint32_t v : {static_cast<uint32_t>(width), static_cast<uint32_t>(height)})
    for (int s = 24; s >= 0; s -= 8) ihdr.push_back(static_cast<char>(v >> s));
  ihdr += std::string("\x08\x02\x00\x00\x00", 5);  // 8 bit, RGB, deflate, no filter method, no interlace
  appendChunk(out, "IHDR", ihdr);
  appendChunk(out, "IDAT", z);
  appendChunk(out, "IEND", "");
  return out;
}

std::vector<double> niceTicks(double lo, double hi, int target) {
  if (!(hi > lo)) return {lo};
  double raw = (hi - lo) / std::max(1, target);
  double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0})
    if (m * mag >= raw) {
      step = m * mag;
      break;
    }
  std::vector<double> t;
  for (double v = std::ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step)
    t.push_back(std::abs(v) < step * 1e-9 ? 0.0 : v);
  return t;
}

std::vector<uint8_t> renderChart(const PlotChart& c) {
  Canvas cv(c.width, c.height);
  const int left = 100, right = 24, top = 44, bottom = 70;
  const int x0 = left, x1 = c.width - right, y0 = c.height - bottom, y1 = top;  // plot box (y up)

  // Data ranges.
  double xmin = HUGE_VAL, xmax = -HUGE_VAL, ymin = HUGE_VAL, ymax = -HUGE_VAL;
  for (const auto& s : c.series)
    for (size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) continue;
      double hw = s.bars ? 0.5 * s.barWidth : 0.0;
      xmin = std::min(xmin, s.x[i] - hw);
      xmax = std::max(xmax, s.x[i] + hw);
      ymin = std::min(ymin, s.bars ? 0.0 : s.y[i]);
      ymax = std::max(ymax, s.y[i]);
    }
  for (const auto& r : c.refLines) {
    ymin = std::min(ymin, r.y);
    ymax = std::max(ymax, r.y);
  }
  if (!(xmax >= xmin)) xmin = 0, xmax = 1;
  if (!(ymax >= ymin)) ymin = 0, ymax = 1;
  if (c.yRange) ymin = c.yRange->first, ymax = c.yRange->second;
  if (xmax - xmin <= 0) xmin -= 0.5, xmax += 0.5;
  if (ymax - ymin <= 0) {
    double pad = std::max(std::abs(ymax) * 0.05, 1e-12);
    ymin -= pad;
    ymax += pad;
  } else if (!c.yRange) {
    double pad = 0.05 * (ymax - ymin);
    ymax += pad;
    if (ymin != 0.0) ymin -= pad;
  }
  auto px = [&](double x) {
    return x0 + static_cast<int>(std::lround((x - xmin) / (xmax - xmin) * (x1 - x0)));
  };
  auto py = [&](double y) {
    return y0 - static_cast<int>(std::lround((y - ymin) / (ymax - ymin) * (y0 - y1)));
  };

  // Grid (tick marks and labels come after the frame).
  auto xt = niceTicks(xmin, xmax, 8), yt = niceTicks(ymin, ymax, 6);
  double xs = xt.size() > 1 ? xt[1] - xt[0] : 1.0, ys = yt.size() > 1 ? yt[1] - yt[0] : 1.0;
  for (double v : xt) cv.line(px(v), y0, px(v), y1, kGrid);
  for (double v : yt) cv.line(x0, py(v), x1, py(v), kGrid);

  // Data.
  for (size_t si = 0; si < c.series.size(); ++si) {
    const auto& s = c.series[si];
    Rgb col = kPalette[si % 10];
    if (s.bars) {
      Rgb fillCol{static_cast<uint8_t>((col.r + 2 * 255) / 3), static_cast<uint8_t>((col.g + 2 * 255) / 3),
                  static_cast<uint8_t>((col.b + 2 * 255) / 3)};
      for (size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
        if (!std::isfinite(s.y[i])) continue;
        int a = px(s.x[i] - 0.5 * s.barWidth), b = px(s.x[i] + 0.5 * s.barWidth), t = py(s.y[i]),
            z = py(std::max(0.0, ymin));
        cv.fill(a, t, b, z, fillCol);
        cv.line(a, t, b, t, col);
        cv.line(a, t, a, z, col);
        cv.line(b, t, b, z, col);
      }
    } else {
      bool have = false;
      int lx = 0, ly = 0;
      for (size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
        if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) {
          have = false;
          continue;
        }
        int a = px(s.x[i]), b = py(s.y[i]);
        if (have) cv.line(lx, ly, a, b, col, 2);
        if (s.x.size() <= 40) cv.fill(a - 2, b - 2, a + 2, b + 2, col);
        lx = a, ly = b, have = true;
      }
    }
  }
  for (const auto& r : c.refLines) {
    Rgb col = r.series >= 0 ? kPalette[r.series % 10] : kGrey;
    int p = py(r.y);
    cv.line(x0, p, x1, p, col, 1, true);
    if (!r.label.empty()) cv.text(x1 - textWidth(r.label) - 4, p - kGlyphHeight - 3, r.label, col);
  }
  // Frame, clearing whatever was drawn outside it.
  cv.fill(0, 0, c.width - 1, y1 - 1, kWhite);
  cv.fill(0, y0 + 1, c.width - 1, c.height - 1, kWhite);
  cv.fill(0, 0, x0 - 1, c.height - 1, kWhite);
  cv.fill(x1 + 1, 0, c.width - 1, c.height - 1, kWhite);
  cv.line(x0, y0, x1, y0, kBlack);
  cv.line(x0, y1, x1, y1, kBlack);
  cv.line(x0, y0, x0, y1, kBlack);
  cv.line(x1, y0, x1, y1, kBlack);
  for (double v : xt) {
    int p = px(v);
    cv.line(p, y0, p, y0 + 5, kBlack);
    std::string l = tickLabel(v, xs);
    cv.text(p - textWidth(l) / 2, y0 + 10, l, kBlack);
  }
  for (double v : yt) {
    int p = py(v);
    cv.line(x0 - 5, p, x0, p, kBlack);
    std::string l = tickLabel(v, ys);
    cv.text(x0 - 10 - textWidth(l), p - kGlyphHeight / 2, l, kBlack);
  }
  // Labels and legend.
  cv.text((c.width - textWidth(c.title)) / 2, 12, c.title, kBlack);
  cv.text((x0 + x1 - textWidth(c.xLabel)) / 2, c.height - kGlyphHeight - 12, c.xLabel, kBlack);
  cv.text(12, (y0 + y1 + textWidth(c.yLabel)) / 2, c.yLabel, kBlack, true);
  int ly = y1 + 10;
  int lw = 0;
  for (const auto& s : c.series) lw = std::max(lw, textWidth(s.name));
  if (c.series.size() > 1 || (!c.series.empty() && !c.series[0].name.empty())) {
    int lx = x1 - lw - 50;
    cv.fill(lx - 8, ly - 6, x1 - 6, ly + static_cast<int>(c.series.size()) * (kGlyphHeight + 8) - 2, kWhite);
    for (size_t si = 0; si < c.series.size(); ++si) {
      Rgb col = kPalette[si % 10];
      int yy = ly + static_cast<int>(si) * (kGlyphHeight + 8);
      cv.fill(lx, yy + 2, lx + 24, yy + kGlyphHeight - 2, col);
      cv.text(lx + 32, yy, c.series[si].name, kBlack);
    }
  }
  return cv.pixels();
}

void writeChartPng(const std::filesystem::path& path, const PlotChart& chart) {
  writeFileAtomic(path, encodePng(chart.width, chart.height, renderChart(chart)));
}

}  // namespace ssb

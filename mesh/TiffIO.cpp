// TIFF volumes through libtiff: multi-page files (page = z) and folders of single-page slices.
//
// Reading decodes only the pages (z) and the strips or tiles (rows y) that intersect the requested box, so
// each rank touches its own part of the file. Values are the stored sample values (no photometric
// inversion), as tifffile/numpy report them, because a segmentation's labels are the stored numbers.
// libtiff's messages are captured per handle and become the text of an InputError; nothing is printed.
#include <tiffio.h>

#include <algorithm>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <optional>
#include <sstream>

#include "mesh/BoxExchange.hpp"
#include "mesh/VolumeFormats.hpp"
#include "mesh/VolumeWriter.hpp"
#include "solver/core/AtomicFile.hpp"
#include "solver/core/MpiUtil.hpp"

namespace ssb {
namespace volio {
namespace {

namespace fs = std::filesystem;

// A corrupt header can claim strips of many GiB; refuse before allocating rather than after.
constexpr uint64_t kMaxChunkBytes = uint64_t{1} << 31;

void silenceLibtiffGlobally() {
  static const bool done = [] {
    TIFFSetErrorHandler(nullptr);
    TIFFSetWarningHandler(nullptr);
    return true;
  }();
  (void)done;
}

// Owns a TIFF* and collects libtiff's error text for this handle (per-handle handlers, libtiff >= 4.5).
class TiffHandle {
 public:
  TiffHandle(const fs::path& path, const char* mode) {
    silenceLibtiffGlobally();
    TIFFOpenOptions* opts = TIFFOpenOptionsAlloc();
    TIFFOpenOptionsSetErrorHandlerExtR(opts, &TiffHandle::onError, this);
    TIFFOpenOptionsSetWarningHandlerExtR(opts, &TiffHandle::onWarning, this);
    TIFFOpenOptionsSetMaxSingleMemAlloc(opts, static_cast<tmsize_t>(kMaxChunkBytes));
    m_tif = TIFFOpenExt(path.c_str(), mode, opts);
    TIFFOpenOptionsFree(opts);
  }
  TiffHandle(const TiffHandle&) = delete;
  TiffHandle& operator=(const TiffHandle&) = delete;
  ~TiffHandle() { close(); }

  void close() {
    if (m_tif) TIFFClose(m_tif);
    m_tif = nullptr;
  }
  TIFF* get() const { return m_tif; }
  explicit operator bool() const { return m_tif != nullptr; }
  void clearError() { m_error.clear(); }
  const std::string& error() const { return m_error; }
  // "libtiff: <message>" or `fallback` when libtiff said nothing.
  std::string reason(const std::string& fallback) const {
    return m_error.empty() ? fallback : fmt::format("{} (libtiff: {})", fallback, m_error);
  }

 private:
  static int onError(TIFF*, void* user, const char* module, const char* format, va_list ap) {
    char buf[512];
    std::vsnprintf(buf, sizeof buf, format, ap);
    auto* self = static_cast<TiffHandle*>(user);
    if (self->m_error.empty()) self->m_error = buf;  // the first error is the cause; later ones are fallout
    return 1;
  }
  static int onWarning(TIFF*, void*, const char*, const char*, va_list) { return 1; }

  TIFF* m_tif = nullptr;
  std::string m_error;
};

struct TiffPage {
  fs::path file;        // the file holding this page (differs per z for a folder of slices)
  std::string name;     // "page 3" or "slice 'a_3.tif'" for messages
  uint64_t offset = 0;  // IFD offset, so read() jumps straight to the page
  uint32_t width = 0, height = 0;
  uint16_t bits = 0, format = SAMPLEFORMAT_UINT;
};

std::string dtypeName(uint16_t bits, uint16_t format) {
  if (bits == 1) return "bool";
  if (format == SAMPLEFORMAT_IEEEFP) return fmt::format("float{}", bits);
  return fmt::format("{}{}", format == SAMPLEFORMAT_INT ? "int" : "uint", bits);
}

// Reads and checks the current directory's tags. `w` names the file, `page` the page within it.
TiffPage describePage(const TiffHandle& h, const std::string& w, const std::string& page) {
  TIFF* tif = h.get();
  TiffPage p;
  p.name = page;
  p.offset = TIFFCurrentDirOffset(tif);
  uint16_t spp = 1, compression = COMPRESSION_NONE;
  if (!TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &p.width) ||
      !TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &p.height) || p.width == 0 || p.height == 0)
    throwInput("{}: {} has no valid image width/height", w, page);
  TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLESPERPIXEL, &spp);
  TIFFGetFieldDefaulted(tif, TIFFTAG_BITSPERSAMPLE, &p.bits);
  TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLEFORMAT, &p.format);
  TIFFGetFieldDefaulted(tif, TIFFTAG_COMPRESSION, &compression);
  if (spp != 1)
    throwInput(
        "{}: {} has {} samples per pixel (RGB, or gray + alpha); a label volume needs exactly 1 (save it as "
        "a "
        "single-channel 8- or 16-bit grayscale image)",
        w, page, spp);
  if (p.format == SAMPLEFORMAT_VOID) p.format = SAMPLEFORMAT_UINT;
  const bool intOk = (p.format == SAMPLEFORMAT_UINT || p.format == SAMPLEFORMAT_INT) &&
                     (p.bits == 1 || p.bits == 2 || p.bits == 4 || p.bits == 8 || p.bits == 16 ||
                      p.bits == 32 || p.bits == 64);
  const bool floatOk = p.format == SAMPLEFORMAT_IEEEFP && (p.bits == 32 || p.bits == 64);
  if (!intOk && !floatOk)
    throwInput(
        "{}: {} has {} bits per sample with sample format {}; supported are 1/8/16-bit unsigned labels (and "
        "32/64-bit integer or float data holding integers 0..65535)",
        w, page, p.bits, p.format);
  if (!TIFFIsCODECConfigured(compression)) {
    const TIFFCodec* codec = TIFFFindCODEC(compression);
    throwInput(
        "{}: {} uses compression {} ({}), which this libtiff cannot decode; save it uncompressed or with "
        "LZW/deflate",
        w, page, compression, codec && codec->name ? codec->name : "unknown");
  }
  return p;
}

std::optional<double> metersPerUnit(std::string unit) {
  unit = lowerCase(unit);
  if (unit == "um" || unit == "micron" || unit == "microns" || unit == "micrometer" || unit == "\\u00b5m" ||
      unit == "\xc2\xb5m" || unit == "\xce\xbcm" || unit == "\xb5m")
    return 1e-6;
  if (unit == "nm" || unit == "nanometer") return 1e-9;
  if (unit == "mm" || unit == "millimeter") return 1e-3;
  if (unit == "cm" || unit == "centimeter") return 1e-2;
  if (unit == "m" || unit == "meter") return 1.0;
  return std::nullopt;  // "pixel", "inch", empty: no physical calibration
}

// Voxel edges [m] from the resolution tags of the current page, and ImageJ's description when present
// (ImageJ stores pixels per `unit` with ResolutionUnit = none and the slice distance as `spacing=`).
// Inch resolutions are ignored: in practice they are print DPI defaults (72, 96, 300) that image libraries
// write, not a calibration; calibrating tools write centimetres or a unit string.
std::optional<std::array<double, 3>> voxelSpacingOf(TIFF* tif) {
  float xres = 0.0f, yres = 0.0f;
  uint16_t resUnit = RESUNIT_INCH;
  const bool hasX = TIFFGetField(tif, TIFFTAG_XRESOLUTION, &xres) != 0;
  const bool hasY = TIFFGetField(tif, TIFFTAG_YRESOLUTION, &yres) != 0;
  TIFFGetFieldDefaulted(tif, TIFFTAG_RESOLUTIONUNIT, &resUnit);

  std::optional<double> ijUnit, ijSpacing;
  char* desc = nullptr;
  if (TIFFGetField(tif, TIFFTAG_IMAGEDESCRIPTION, &desc) && desc && std::strncmp(desc, "ImageJ=", 7) == 0) {
    std::istringstream is(desc);
    std::string line;
    while (std::getline(is, line)) {
      auto eq = line.find('=');
      if (eq == std::string::npos) continue;
      std::string key = line.substr(0, eq), value = line.substr(eq + 1);
      while (!value.empty() && (value.back() == '\r' || value.back() == ' ')) value.pop_back();
      if (key == "unit") ijUnit = metersPerUnit(value);
      if (key == "spacing") {
        char* end = nullptr;
        double s = std::strtod(value.c_str(), &end);
        if (end != value.c_str() && std::isfinite(s) && s > 0) ijSpacing = s;
      }
    }
  }

  std::optional<double> unit;
  if (resUnit == RESUNIT_CENTIMETER)
    unit = 1e-2;
  else if (resUnit == 4)
    unit = 1e-3;  // tifffile's millimetre extension
  else if (resUnit == 5)
    unit = 1e-6;  // tifffile's micrometre extension
  else if (resUnit == RESUNIT_NONE && ijUnit)
    unit = ijUnit;
  if (!unit || !hasX || !(xres > 0.0f) || !std::isfinite(xres)) return std::nullopt;

  auto sensible = [](double d) { return d >= 1e-10 && d <= 1e-2; };  // 1 Angstrom .. 1 cm
  std::array<double, 3> s{};
  s[0] = *unit / xres;
  s[1] = (hasY && yres > 0.0f && std::isfinite(yres)) ? *unit / yres : s[0];
  s[2] = ijSpacing ? *ijSpacing * *unit : s[0];
  if (!sensible(s[0]) || !sensible(s[1]) || !sensible(s[2])) return std::nullopt;
  return s;
}

// Decodes rows [y0, y0 + ny) and columns [x0, x0 + nx) of the current page into dst (x fastest).
class PageDecoder {
 public:
  PageDecoder(TiffHandle& h, const TiffPage& page, const std::string& w, int64_t z)
      : m_h(h), m_page(page), m_where(w), m_z(z) {}

  void decode(int64_t x0, int64_t nx, int64_t y0, int64_t ny, uint16_t* dst) {
    if (nx <= 0 || ny <= 0) return;
    if (TIFFIsTiled(m_h.get()))
      decodeTiles(x0, nx, y0, ny, dst);
    else
      decodeStrips(x0, nx, y0, ny, dst);
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throwInput("{}: {} (z = {}): {}; the file is corrupt or truncated", m_where, m_page.name, m_z,
               m_h.reason(what));
  }

  uint8_t* buffer(uint64_t bytes) {
    if (bytes == 0 || bytes > kMaxChunkBytes)
      fail(fmt::format("a strip/tile of {} bytes is not plausible", bytes));
    m_buf.resize(bytes);
    return m_buf.data();
  }

  void decodeStrips(int64_t x0, int64_t nx, int64_t y0, int64_t ny, uint16_t* dst) {
    TIFF* tif = m_h.get();
    uint32_t rps = m_page.height;
    TIFFGetFieldDefaulted(tif, TIFFTAG_ROWSPERSTRIP, &rps);
    const int64_t rows = std::clamp<int64_t>(rps, 1, m_page.height);
    const uint64_t scan = TIFFScanlineSize64(tif);
    uint8_t* buf = buffer(TIFFStripSize64(tif));
    for (int64_t s = y0 / rows; s * rows < y0 + ny; ++s) {
      const int64_t first = s * rows, inStrip = std::min<int64_t>(rows, m_page.height - first);
      m_h.clearError();
      const tmsize_t got =
          TIFFReadEncodedStrip(tif, static_cast<uint32_t>(s), buf, static_cast<tmsize_t>(m_buf.size()));
      if (got < 0 || static_cast<uint64_t>(got) < static_cast<uint64_t>(inStrip) * scan)
        fail(fmt::format("cannot decode strip {} (rows {}..{})", s, first, first + inStrip - 1));
      for (int64_t y = std::max(y0, first); y < std::min(y0 + ny, first + inStrip); ++y)
        convertRow(buf + (y - first) * scan, x0, nx, y, dst + (y - y0) * nx);
    }
  }

  void decodeTiles(int64_t x0, int64_t nx, int64_t y0, int64_t ny, uint16_t* dst) {
    TIFF* tif = m_h.get();
    uint32_t tw = 0, th = 0;
    TIFFGetField(tif, TIFFTAG_TILEWIDTH, &tw);
    TIFFGetField(tif, TIFFTAG_TILELENGTH, &th);
    if (tw == 0 || th == 0) fail("tile width/length missing");
    const uint64_t tileRow = TIFFTileRowSize64(tif), tileBytes = TIFFTileSize64(tif);
    uint8_t* buf = buffer(tileBytes);
    for (int64_t ty = y0 / th * th; ty < y0 + ny; ty += th) {
      for (int64_t tx = x0 / tw * tw; tx < x0 + nx; tx += tw) {
        const uint32_t tile =
            TIFFComputeTile(tif, static_cast<uint32_t>(tx), static_cast<uint32_t>(ty), 0, 0);
        m_h.clearError();
        const tmsize_t got = TIFFReadEncodedTile(tif, tile, buf, static_cast<tmsize_t>(m_buf.size()));
        if (got < 0 || static_cast<uint64_t>(got) < tileBytes)
          fail(fmt::format("cannot decode tile {} (x {}, y {})", tile, tx, ty));
        const int64_t xs = std::max(x0, tx), xe = std::min(x0 + nx, tx + static_cast<int64_t>(tw));
        for (int64_t y = std::max(y0, ty); y < std::min(y0 + ny, ty + static_cast<int64_t>(th)); ++y)
          convertRow(buf + (y - ty) * tileRow, xs - tx, xe - xs, y, dst + (y - y0) * nx + (xs - x0), xs);
      }
    }
  }

  // Row bytes `row` (native byte order after libtiff), columns [c0, c0 + n) of that buffer; `xAbs` is the
  // image column of c0 (differs from c0 for tiles) for messages.
  void convertRow(const uint8_t* row, int64_t c0, int64_t n, int64_t y, uint16_t* dst, int64_t xAbs = -1) {
    if (xAbs < 0) xAbs = c0;
    const int bits = m_page.bits;
    if (bits < 8) {
      const unsigned mask = (1u << bits) - 1u;
      for (int64_t i = 0; i < n; ++i) {
        const int64_t pos = (c0 + i) * bits;
        dst[i] = static_cast<uint16_t>((row[pos >> 3] >> (8 - bits - (pos & 7))) & mask);
      }
      return;
    }
    const bool isInt = m_page.format == SAMPLEFORMAT_INT, isFloat = m_page.format == SAMPLEFORMAT_IEEEFP;
    switch (bits) {
      case 8:
        return isInt ? typed<int8_t>(row, c0, n, y, dst, xAbs) : typed<uint8_t>(row, c0, n, y, dst, xAbs);
      case 16:
        return isInt ? typed<int16_t>(row, c0, n, y, dst, xAbs) : typed<uint16_t>(row, c0, n, y, dst, xAbs);
      case 32:
        if (isFloat) return typed<float>(row, c0, n, y, dst, xAbs);
        return isInt ? typed<int32_t>(row, c0, n, y, dst, xAbs) : typed<uint32_t>(row, c0, n, y, dst, xAbs);
      default:
        if (isFloat) return typed<double>(row, c0, n, y, dst, xAbs);
        return isInt ? typed<int64_t>(row, c0, n, y, dst, xAbs) : typed<uint64_t>(row, c0, n, y, dst, xAbs);
    }
  }

  template <typename T>
  void typed(const uint8_t* row, int64_t c0, int64_t n, int64_t y, uint16_t* dst, int64_t xAbs) {
    const uint8_t* p = row + c0 * static_cast<int64_t>(sizeof(T));
    for (int64_t i = 0; i < n; ++i) {
      T v;
      std::memcpy(&v, p + i * static_cast<int64_t>(sizeof(T)), sizeof(T));
      if constexpr (!std::is_same_v<T, uint8_t> && !std::is_same_v<T, uint16_t>) {
        if (!isLabel(v))
          throwBadLabel(m_where,
                        fmt::format("{} (z = {}), row y = {}, column x = {} ({})", m_page.name, m_z, y,
                                    xAbs + i, dtypeName(m_page.bits, m_page.format)),
                        static_cast<double>(v));
      }
      dst[i] = static_cast<uint16_t>(v);
    }
  }

  TiffHandle& m_h;
  const TiffPage& m_page;
  const std::string& m_where;
  int64_t m_z;
  std::vector<uint8_t> m_buf;
};

// Common to a multi-page file and a folder: one TiffPage per z.
class TiffReader final : public VolumeReader {
 public:
  TiffReader(std::string w, std::vector<TiffPage> pages, VolumeInfo info)
      : m_where(std::move(w)), m_pages(std::move(pages)), m_info(std::move(info)) {}

  VolumeInfo info() const override { return m_info; }

  void read(const Box3& box, std::vector<uint16_t>& out) const override {
    checkBox(m_where, box, m_info.n);
    out.assign(static_cast<size_t>(box.voxels()), 0);
    if (box.voxels() == 0) return;
    const int64_t plane = box.size[0] * box.size[1];
    std::unique_ptr<TiffHandle> h;
    for (int64_t z = box.lo[2]; z < box.lo[2] + box.size[2]; ++z) {
      const TiffPage& p = m_pages[static_cast<size_t>(z)];
      const std::string fileWhere =
          m_info.format == "tiff" ? m_where : fmt::format("{} (slice file '{}')", m_where, p.file.string());
      if (!h || m_info.format != "tiff") {
        h = std::make_unique<TiffHandle>(p.file, "r");
        if (!*h) throwInput("{}: cannot open {}", fileWhere, h->reason("not readable as TIFF"));
      }
      h->clearError();
      if (!TIFFSetSubDirectory(h->get(), p.offset))
        throwInput("{}: cannot read {} (z = {}): {}", fileWhere, p.name, z,
                   h->reason("directory unreadable"));
      // The tags were checked at open, but the file may have changed since; check what decoding relies on.
      TiffPage now = describePage(*h, fileWhere, p.name);
      if (now.width != p.width || now.height != p.height || now.bits != p.bits || now.format != p.format)
        throwInput("{}: {} changed since the file was opened", fileWhere, p.name);
      PageDecoder dec(*h, p, fileWhere, z);
      dec.decode(box.lo[0], box.size[0], box.lo[1], box.size[1], out.data() + (z - box.lo[2]) * plane);
    }
  }

 private:
  std::string m_where;
  std::vector<TiffPage> m_pages;
  VolumeInfo m_info;
};

void requireSameSize(const std::string& w, const TiffPage& first, const TiffPage& p) {
  if (p.width != first.width || p.height != first.height)
    throwInput("{}: {} is {} x {} pixels but {} is {} x {}; every page of a volume must have the same size",
               w, p.name, p.width, p.height, first.name, first.width, first.height);
}

// ImageJ hyperstacks interleave channels and time frames with the z slices in the page sequence; reading
// the pages as z would mix them, so only single-channel, single-frame stacks are accepted.
void requireSingleChannelImageJ(const std::string& w, TIFF* tif) {
  char* desc = nullptr;
  if (!TIFFGetField(tif, TIFFTAG_IMAGEDESCRIPTION, &desc) || !desc || std::strncmp(desc, "ImageJ=", 7) != 0)
    return;
  std::istringstream is(desc);
  std::string line;
  while (std::getline(is, line)) {
    for (const char* key : {"channels=", "frames="}) {
      if (line.rfind(key, 0) != 0) continue;
      const long count = std::strtol(line.c_str() + std::strlen(key), nullptr, 10);
      if (count > 1)
        throwInput(
            "{}: this ImageJ hyperstack has {} {}; a label volume needs one channel and one frame (save "
            "a single channel/frame as its own stack)",
            w, count, std::string(key, std::strlen(key) - 1));
    }
  }
}

// A damaged header can claim an image far larger than the file could encode; callers would allocate that
// many voxels before decoding fails. No TIFF codec reaches 1e5:1 on real data (deflate's limit is ~1032:1),
// so a larger ratio means the dimensions are corrupt.
void requirePlausibleSize(const std::string& w, const std::vector<TiffPage>& pages, uint64_t storedBytes) {
  constexpr double kMaxRatio = 1e5;
  double decoded = 0.0;
  for (const TiffPage& p : pages)
    decoded += std::ceil(static_cast<double>(p.width) * p.bits / 8.0) * static_cast<double>(p.height);
  if (decoded > kMaxRatio * static_cast<double>(storedBytes) + double(1 << 20))
    throwInput(
        "{}: the pages declare {} x {} pixels x {} pages ({:.3g} bytes of image data) but the file holds "
        "only {} bytes; the header is corrupt",
        w, pages[0].width, pages[0].height, pages.size(), decoded, storedBytes);
}

VolumeInfo infoFrom(const std::vector<TiffPage>& pages, TIFF* firstPage, const char* format) {
  VolumeInfo info;
  info.n = {pages[0].width, pages[0].height, static_cast<int64_t>(pages.size())};
  info.dtype = dtypeName(pages[0].bits, pages[0].format);
  info.format = format;
  info.voxelSpacing = voxelSpacingOf(firstPage);
  if (info.voxelSpacing) info.voxelSize = (*info.voxelSpacing)[0];
  return info;
}

}  // namespace

std::unique_ptr<VolumeReader> openTiffFile(const VolumeFileSpec& spec) {
  const std::string w = where(spec);
  TiffHandle h(spec.path, "r");
  if (!h) throwInput("{}: cannot open as TIFF: {}", w, h.reason("not a TIFF file"));
  std::vector<TiffPage> pages;
  VolumeInfo info;
  for (;;) {
    pages.push_back(describePage(h, w, fmt::format("page {}", pages.size())));
    pages.back().file = spec.path;
    if (pages.size() == 1) {
      info = infoFrom(pages, h.get(), "tiff");
      requireSingleChannelImageJ(w, h.get());
    }
    requireSameSize(w, pages.front(), pages.back());
    h.clearError();
    if (!TIFFReadDirectory(h.get())) {
      if (!h.error().empty())
        throwInput("{}: cannot read page {}: {}; the file is corrupt or truncated", w, pages.size(),
                   h.error());
      break;
    }
  }
  info.n[2] = static_cast<int64_t>(pages.size());
  std::error_code ec;
  requirePlausibleSize(w, pages, fs::file_size(spec.path, ec));
  return std::make_unique<TiffReader>(w, std::move(pages), std::move(info));
}

std::unique_ptr<VolumeReader> openTiffFolder(const VolumeFileSpec& spec) {
  const std::string w = where(spec);
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(spec.path, ec)) {
    const std::string name = e.path().filename().string(), ext = lowerCase(e.path().extension().string());
    if (!name.empty() && name[0] != '.' && (ext == ".tif" || ext == ".tiff") && e.is_regular_file())
      files.push_back(e.path());
  }
  if (ec) throwInput("{}: cannot list the folder: {}", w, ec.message());
  if (files.empty())
    throwInput(
        "{}: the folder holds no .tif/.tiff slice files (a folder volume is one TIFF file per z slice)", w);
  std::sort(files.begin(), files.end(), [](const fs::path& a, const fs::path& b) {
    return naturalLess(a.filename().string(), b.filename().string());
  });

  std::vector<TiffPage> pages;
  VolumeInfo info;
  uint64_t stored = 0;
  for (const fs::path& f : files) {
    std::error_code sizeError;
    stored += fs::file_size(f, sizeError);
    const std::string name = fmt::format("slice '{}'", f.filename().string());
    TiffHandle h(f, "r");
    if (!h) throwInput("{}: cannot open {} as TIFF: {}", w, name, h.reason("not a TIFF file"));
    pages.push_back(describePage(h, w, name));
    pages.back().file = f;
    if (pages.size() == 1) info = infoFrom(pages, h.get(), "tiff-folder");
    requireSameSize(w, pages.front(), pages.back());
    h.clearError();
    if (TIFFReadDirectory(h.get()))
      throwInput(
          "{}: {} has more than one page; a folder volume needs one single-page TIFF per z slice (open a "
          "multi-page file directly instead)",
          w, name);
  }
  info.n[2] = static_cast<int64_t>(pages.size());
  requirePlausibleSize(w, pages, stored);
  return std::make_unique<TiffReader>(w, std::move(pages), std::move(info));
}

}  // namespace volio

namespace {

// Writes a multi-page TIFF one z page at a time, so a caller never needs the whole volume in memory.
class TiffStackWriter {
 public:
  TiffStackWriter(const std::filesystem::path& file, const std::array<int64_t, 3>& n, int bitsPerSample,
                  double voxelSize)
      : m_file(file),
        m_n(n),
        m_bits(bitsPerSample),
        m_voxelSize(voxelSize),
        m_bytesPerPixel(static_cast<uint64_t>(bitsPerSample / 8)),
        // Classic TIFF offsets are 32-bit; switch to BigTIFF with margin for the directories.
        m_h(file,
            static_cast<uint64_t>(n[0] * n[1] * n[2]) * m_bytesPerPixel > (uint64_t{3} << 30) ? "w8" : "w") {
    if (!m_h) throwRun("cannot create '{}': {}", file.string(), m_h.reason("open failed"));
    m_compression =
        TIFFIsCODECConfigured(COMPRESSION_ADOBE_DEFLATE) ? COMPRESSION_ADOBE_DEFLATE : COMPRESSION_NONE;
    const uint64_t rowBytes = static_cast<uint64_t>(n[0]) * m_bytesPerPixel;
    // Strips of about 256 KiB: small enough that a rank reading a few rows decodes little extra.
    m_rps = static_cast<uint32_t>(
        std::clamp<uint64_t>((uint64_t{256} << 10) / rowBytes, 1, static_cast<uint64_t>(n[1])));
    m_strip.resize(rowBytes * m_rps);
  }

  // One z page of n[0] * n[1] labels (x fastest). Labels above 255 in an 8-bit file are an InputError.
  void addPage(const uint16_t* plane) {
    const int64_t z = m_page++;
    if (m_bits == 8) {
      const int64_t count = m_n[0] * m_n[1];
      const uint16_t* it = std::find_if(plane, plane + count, [](uint16_t v) { return v > 255; });
      if (it != plane + count) {
        const int64_t i = it - plane;
        throwInput(
            "writing '{}': label {} at voxel (x {}, y {}, z {}) does not fit in 8 bits; write 16-bit instead",
            m_file.string(), *it, i % m_n[0], i / m_n[0], z);
      }
    }
    TIFF* tif = m_h.get();
    const uint32_t width = static_cast<uint32_t>(m_n[0]), height = static_cast<uint32_t>(m_n[1]);
    TIFFSetField(tif, TIFFTAG_SUBFILETYPE, FILETYPE_PAGE);
    TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, width);
    TIFFSetField(tif, TIFFTAG_IMAGELENGTH, height);
    TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, static_cast<uint16_t>(m_bits));
    TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, static_cast<uint16_t>(1));
    TIFFSetField(tif, TIFFTAG_SAMPLEFORMAT, static_cast<uint16_t>(SAMPLEFORMAT_UINT));
    TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, static_cast<uint16_t>(PHOTOMETRIC_MINISBLACK));
    TIFFSetField(tif, TIFFTAG_PLANARCONFIG, static_cast<uint16_t>(PLANARCONFIG_CONTIG));
    TIFFSetField(tif, TIFFTAG_COMPRESSION, m_compression);
    TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, m_rps);
    TIFFSetField(tif, TIFFTAG_PAGENUMBER, static_cast<uint16_t>(std::min<int64_t>(z, 65535)),
                 static_cast<uint16_t>(std::min<int64_t>(m_n[2], 65535)));
    if (m_voxelSize > 0.0) {
      // Centimetres: the unit calibrated readers (ImageJ/Fiji, tifffile, ParaView) agree on.
      TIFFSetField(tif, TIFFTAG_RESOLUTIONUNIT, static_cast<uint16_t>(RESUNIT_CENTIMETER));
      TIFFSetField(tif, TIFFTAG_XRESOLUTION, 0.01 / m_voxelSize);
      TIFFSetField(tif, TIFFTAG_YRESOLUTION, 0.01 / m_voxelSize);
    }
    for (uint32_t y0 = 0, s = 0; y0 < height; y0 += m_rps, ++s) {
      const uint32_t rows = std::min(m_rps, height - y0);
      const uint16_t* src = plane + static_cast<int64_t>(y0) * m_n[0];
      const size_t count = static_cast<size_t>(rows) * width;
      if (m_bits == 8)
        for (size_t i = 0; i < count; ++i) m_strip[i] = static_cast<uint8_t>(src[i]);
      else
        std::memcpy(m_strip.data(), src, count * 2);
      if (TIFFWriteEncodedStrip(tif, s, m_strip.data(), static_cast<tmsize_t>(count * m_bytesPerPixel)) < 0)
        throwRun("cannot write '{}' page {}: {}", m_file.string(), z,
                 m_h.reason("write failed (disk full?)"));
    }
    if (!TIFFWriteDirectory(tif))
      throwRun("cannot write '{}' page {}: {}", m_file.string(), z, m_h.reason("write failed (disk full?)"));
  }

  void finish() {
    if (m_page != m_n[2]) throwRun("writing '{}': {} of {} pages written", m_file.string(), m_page, m_n[2]);
    m_h.close();
    if (!m_h.error().empty()) throwRun("cannot finish '{}': {}", m_file.string(), m_h.error());
  }

 private:
  std::filesystem::path m_file;
  std::array<int64_t, 3> m_n;
  int m_bits;
  double m_voxelSize;
  uint64_t m_bytesPerPixel;
  volio::TiffHandle m_h;
  uint16_t m_compression = COMPRESSION_NONE;
  uint32_t m_rps = 1;
  std::vector<uint8_t> m_strip;
  int64_t m_page = 0;
};

void checkTiffArgs(const std::filesystem::path& path, const std::array<int64_t, 3>& n, int bitsPerSample) {
  if (bitsPerSample != 8 && bitsPerSample != 16)
    throwInput("writing '{}': bits per sample must be 8 or 16, not {}", path.string(), bitsPerSample);
  if (n[0] <= 0 || n[1] <= 0 || n[2] <= 0 || n[0] > UINT32_MAX || n[1] > UINT32_MAX)
    throwRun("writing '{}': a TIFF page cannot be {} x {}", path.string(), n[0], n[1]);
}

}  // namespace

void writeTiff(const std::filesystem::path& path, const std::array<int64_t, 3>& n,
               const std::vector<uint16_t>& data, int bitsPerSample, double voxelSize) {
  checkTiffArgs(path, n, bitsPerSample);
  if (static_cast<int64_t>(data.size()) != n[0] * n[1] * n[2])
    throwRun("writing '{}': {} values do not fill a {} x {} x {} volume", path.string(), data.size(), n[0],
             n[1], n[2]);
  // Check every label first, so that an 8-bit overflow names the whole file's first offender.
  if (bitsPerSample == 8) {
    auto it = std::find_if(data.begin(), data.end(), [](uint16_t v) { return v > 255; });
    if (it != data.end()) {
      const int64_t i = it - data.begin();
      throwInput(
          "writing '{}': label {} at voxel (x {}, y {}, z {}) does not fit in 8 bits; write 16-bit instead",
          path.string(), *it, i % n[0], i / n[0] % n[1], i / (n[0] * n[1]));
    }
  }
  writeThroughTemp(path, [&](const std::filesystem::path& tmp) {
    TiffStackWriter w(tmp, n, bitsPerSample, voxelSize);
    for (int64_t z = 0; z < n[2]; ++z) w.addPage(data.data() + z * n[0] * n[1]);
    w.finish();
  });
}

void saveLabelsTiff(const Volume& v, const std::filesystem::path& path, int bitsPerSample, double voxelSize,
                    size_t slabBytes) {
  const MPI_Comm comm = v.grid->comm();
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  const auto& n = v.grid->geometry().n;
  const std::filesystem::path tmp = tempPathFor(path);
  std::optional<RemoveOnTermination> cleanup;
  std::optional<TiffStackWriter> writer;
  std::exception_ptr err;
  if (rank == 0) {
    cleanup.emplace(tmp);
    try {
      checkTiffArgs(path, n, bitsPerSample);
      writer.emplace(tmp, n, bitsPerSample, voxelSize);
    } catch (...) {
      err = std::current_exception();
    }
  }
  // Slabs of whole z pages of at most `slabBytes` travel to rank 0 one after another. After a failure rank 0
  // stops writing but still takes part in every exchange, so no rank is left waiting.
  const int64_t plane = n[0] * n[1];
  const int64_t depth = std::clamp<int64_t>(static_cast<int64_t>(slabBytes) / (2 * plane), 1, n[2]);
  for (int64_t z0 = 0; z0 < n[2]; z0 += depth) {
    const int64_t dz = std::min(depth, n[2] - z0);
    const Box3 slab{{0, 0, z0}, {n[0], n[1], dz}};
    const std::vector<uint16_t> part =
        redistribute(comm, v.grid->owned(), v.labels, rank == 0 ? slab : Box3{});
    if (rank != 0 || err) continue;
    try {
      for (int64_t k = 0; k < dz; ++k) writer->addPage(part.data() + k * plane);
    } catch (...) {
      err = std::current_exception();
    }
  }
  if (rank == 0) {
    try {
      if (!err) {
        writer->finish();
        commitTempFile(path);
      }
    } catch (...) {
      err = std::current_exception();
    }
    writer.reset();
    std::error_code ec;
    if (err) std::filesystem::remove(tmp, ec);
  }
  rethrowCollective(comm, err);
}

}  // namespace ssb

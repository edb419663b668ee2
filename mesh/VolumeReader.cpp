// openVolume: pick the reader from the path (extension or folder) and the helpers every format shares.
// The format-specific code lives in TiffIO.cpp, Hdf5IO.cpp and RawIO.cpp.
#include "mesh/VolumeReader.hpp"

#include <algorithm>
#include <cctype>
#include <system_error>

#include "mesh/VolumeFormats.hpp"
#include "solver/core/Error.hpp"

namespace ssb {
namespace volio {

std::string where(const std::string& context, const std::filesystem::path& path) {
  return fmt::format("{}: '{}'", context, path.string());
}

std::string where(const VolumeFileSpec& spec) { return where(spec.context, spec.path); }

void checkBox(const std::string& w, const Box3& box, const std::array<int64_t, 3>& n) {
  for (int a = 0; a < 3; ++a) {
    if (box.lo[a] < 0 || box.size[a] < 0 || box.lo[a] + box.size[a] > n[a])
      throwInput(
          "{}: requested voxels [{}, {}) along {} lie outside the volume, which has {} voxels along {} "
          "(check "
          "the crop)",
          w, box.lo[a], box.lo[a] + box.size[a], axisName(a), n[a], axisName(a));
  }
}

std::string lowerCase(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool naturalLess(const std::string& a, const std::string& b) {
  auto isDigit = [](char c) { return c >= '0' && c <= '9'; };
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (isDigit(a[i]) && isDigit(b[j])) {
      size_t ie = i, je = j;
      while (ie < a.size() && isDigit(a[ie])) ++ie;
      while (je < b.size() && isDigit(b[je])) ++je;
      // Compare the digit runs as numbers of any length: strip leading zeros, then longer is larger.
      size_t iz = i, jz = j;
      while (iz + 1 < ie && a[iz] == '0') ++iz;
      while (jz + 1 < je && b[jz] == '0') ++jz;
      if (ie - iz != je - jz) return ie - iz < je - jz;
      int c = a.compare(iz, ie - iz, b, jz, je - jz);
      if (c != 0) return c < 0;
      // Equal values: fewer leading zeros first, so the order is total ("1" < "01").
      if (ie - i != je - j) return ie - i < je - j;
      i = ie;
      j = je;
    } else {
      if (a[i] != b[j]) return static_cast<unsigned char>(a[i]) < static_cast<unsigned char>(b[j]);
      ++i;
      ++j;
    }
  }
  return a.size() - i < b.size() - j;
}

void throwBadLabel(const std::string& w, const std::string& position, double value) {
  throwInput(
      "{}: {} holds the value {}, but labels must be integers 0..65535 (segment the volume into integer "
      "labels, e.g. 8- or 16-bit, before using it)",
      w, position, value);
}

}  // namespace volio

std::unique_ptr<VolumeReader> openVolume(const VolumeFileSpec& spec) {
  namespace fs = std::filesystem;
  if (spec.path.empty()) throwInput("{}: no file given", spec.context);
  std::error_code ec;
  const auto status = fs::status(spec.path, ec);
  if (ec || !fs::exists(status))
    throwInput("{}: '{}' does not exist (relative paths are taken from the current directory '{}')",
               spec.context, spec.path.string(), fs::current_path(ec).string());
  if (fs::is_directory(status)) return volio::openTiffFolder(spec);

  const std::string ext = volio::lowerCase(spec.path.extension().string());
  if (ext == ".tif" || ext == ".tiff") return volio::openTiffFile(spec);
  if (ext == ".h5" || ext == ".hdf5") return volio::openHdf5(spec);
  if (ext == ".raw" || ext == ".bin" || ext == ".dat") return volio::openRaw(spec);
  throwInput(
      "{}: unknown volume format '{}'; supported are .tif/.tiff (multi-page TIFF), a folder of .tif/.tiff "
      "slices, .h5/.hdf5 (HDF5, choose the dataset with `dataset`) and .raw/.bin/.dat (raw voxels, with "
      "`shape` and `dtype`)",
      volio::where(spec), ext.empty() ? std::string("(no extension)") : ext);
}

}  // namespace ssb

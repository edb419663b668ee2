#pragma once
// Readers for segmented volumes. File axis order is (z, y, x): TIFF page (or slice file) = z,
// row = y, column = x; HDF5/raw datasets have dims (nz, ny, nx) (HDF5 may have a trailing channel axis
// of size 1). Label values must be integers 0..65535.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mesh/VoxelGrid.hpp"
#include "solver/core/Params.hpp"

namespace ssb {

struct VolumeInfo {
  std::array<int64_t, 3> n{0, 0, 0};  // x, y, z
  std::string dtype;                   // "uint8", "uint16", "bool", ...
  std::optional<double> voxelSize;     // [m] if the file stores it (TIFF resolution tags, HDF5 attribute)
  std::optional<std::array<double, 3>> voxelSpacing;  // [m] x, y, z when stored (ImageJ spacing=)
  std::string format;                  // "tiff", "tiff-folder", "hdf5", "raw"
};

// What the YAML `volume:` section (or `ssbvox info` options) says about a file.
struct VolumeFileSpec {
  std::filesystem::path path;
  std::string dataset;                 // HDF5 dataset path; empty = the only/first dataset
  std::array<int64_t, 3> rawShape{0, 0, 0};  // raw: x, y, z (from YAML shape [nz, ny, nx])
  std::string rawDtype = "uint8";      // raw: uint8 | uint16 | uint16be | int16 | uint32 | ...
  int64_t rawHeaderBytes = 0;          // raw: bytes to skip
  std::string context = "volume.file";  // YAML path used in messages
};

class VolumeReader {
 public:
  virtual ~VolumeReader() = default;
  virtual VolumeInfo info() const = 0;
  // Read box (x, y, z) of the file into `out` (resized; x fastest). Not collective: any rank may read
  // any box. Throws InputError naming the file for malformed content.
  virtual void read(const Box3& box, std::vector<uint16_t>& out) const = 0;
};

// Pick the reader from the extension (.tif/.tiff, a folder of .tif slices, .h5/.hdf5, .raw/.bin).
// Throws InputError (naming spec.context and the path) if the file is missing or unreadable.
std::unique_ptr<VolumeReader> openVolume(const VolumeFileSpec& spec);

// Writers used by `output.save_volume` and by tests. Not collective: write a whole volume held in memory
// (x fastest, dims grid.n). Written to a temp name and renamed.
void writeTiff(const std::filesystem::path& path, const std::array<int64_t, 3>& n, const std::vector<uint16_t>& data,
               int bitsPerSample, double voxelSize = 0.0);
void writeHdf5Labels(const std::filesystem::path& path, const std::string& dataset, const std::array<int64_t, 3>& n,
                     const std::vector<uint16_t>& data, int bitsPerSample, double voxelSize = 0.0);
void writeRaw(const std::filesystem::path& path, const std::vector<uint16_t>& data, const std::string& dtype);

}  // namespace ssb

#pragma once
// Internal to the volume readers/writers (VolumeReader.cpp, TiffIO.cpp, Hdf5IO.cpp, RawIO.cpp): one factory
// per file format and the helpers they share. Not part of the public contract; use mesh/VolumeReader.hpp.
#include <array>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "mesh/VolumeReader.hpp"
#include "solver/core/Error.hpp"

namespace ssb::volio {

// Each factory expects the path to exist (openVolume checked it) and throws InputError for malformed content.
std::unique_ptr<VolumeReader> openTiffFile(const VolumeFileSpec& spec);
std::unique_ptr<VolumeReader> openTiffFolder(const VolumeFileSpec& spec);
std::unique_ptr<VolumeReader> openHdf5(const VolumeFileSpec& spec);
std::unique_ptr<VolumeReader> openRaw(const VolumeFileSpec& spec);

// "volume.file: 'path'" - the prefix of every message about a file, so the user sees both the YAML key and
// the file that is wrong.
std::string where(const VolumeFileSpec& spec);
std::string where(const std::string& context, const std::filesystem::path& path);

// Throws InputError unless `box` lies inside a volume of extents n (x, y, z).
void checkBox(const std::string& where, const Box3& box, const std::array<int64_t, 3>& n);

// Name order for slice files: runs of digits compare by value, so slice_2 sorts before slice_10.
bool naturalLess(const std::string& a, const std::string& b);

std::string lowerCase(std::string s);

// Labels are integers 0..65535; anything else in the file is a segmentation problem the user must fix.
[[noreturn]] void throwBadLabel(const std::string& where, const std::string& position, double value);

template <typename T>
inline bool isLabel(T v) {
  if constexpr (std::is_floating_point_v<T>) {
    return v >= 0 && v <= 65535 && std::floor(v) == v;  // NaN fails the first comparison
  } else if constexpr (std::is_signed_v<T>) {
    return v >= 0 && static_cast<int64_t>(v) <= 65535;
  } else {
    return static_cast<uint64_t>(v) <= 65535;
  }
}

}  // namespace ssb::volio

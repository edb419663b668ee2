#pragma once
// Geometry of a voxel volume: extents, voxel size [m], origin [m]. A value type; no MPI.
//
// Axis convention (everywhere in ssbvox): files store (z, y, x) with x the fastest index; TIFF page
// index = z, TIFF row = y, TIFF column = x. PETSc's DMDA uses (i, j, k) = (x, y, z) and its natural
// ordering is the same x-fastest order, so HDF5 datasets written from it have dims (nz, ny, nx).
#include <array>
#include <cstdint>
#include <string>

namespace ssb {

enum Axis : int { kX = 0, kY = 1, kZ = 2 };
inline const char* axisName(int a) { return a == kX ? "x" : a == kY ? "y" : "z"; }

struct VoxelGrid {
  std::array<int64_t, 3> n{1, 1, 1};            // voxels along x, y, z
  std::array<double, 3> spacing{1.0, 1.0, 1.0};  // voxel edge along x, y, z [m]
  std::array<double, 3> origin{0.0, 0.0, 0.0};   // [m]
  int64_t voxels() const { return n[0] * n[1] * n[2]; }
  double voxelVolume() const { return spacing[0] * spacing[1] * spacing[2]; }
  double length(int axis) const { return static_cast<double>(n[axis]) * spacing[axis]; }
};

// An axis-aligned box of voxels [lo, lo + size) in (x, y, z).
struct Box3 {
  std::array<int64_t, 3> lo{0, 0, 0};
  std::array<int64_t, 3> size{0, 0, 0};
  int64_t voxels() const { return size[0] * size[1] * size[2]; }
};

}  // namespace ssb

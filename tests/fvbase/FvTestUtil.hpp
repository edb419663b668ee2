#pragma once
// Helpers for the finite-volume base tests: grids, rank-independent voxel functions, and an independent
// enumeration of the faces of a box (written from the definition, on global indices, without the iterator).
#include <mpi.h>
#include <petscsys.h>

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "mesh/StructuredGrid.hpp"
#include "physics/FaceIterator.hpp"
#include "solver/core/Random.hpp"

namespace ssb::test {

inline int worldRank() {
  int r = 0;
  MPI_Comm_rank(PETSC_COMM_WORLD, &r);
  return r;
}
inline int worldSize() {
  int s = 1;
  MPI_Comm_size(PETSC_COMM_WORLD, &s);
  return s;
}

inline std::unique_ptr<StructuredGrid> makeGrid(std::array<int64_t, 3> n,
                                                std::array<double, 3> spacing = {1e-6, 1e-6, 1e-6}) {
  VoxelGrid g;
  g.n = n;
  g.spacing = spacing;
  return std::make_unique<StructuredGrid>(PETSC_COMM_WORLD, g);
}

using VoxelFn = std::function<int(int64_t i, int64_t j, int64_t k)>;

// Owned values of f in grid.localIndex order.
template <typename T>
std::vector<T> ownedOf(const StructuredGrid& g, const VoxelFn& f) {
  std::vector<T> out(static_cast<size_t>(g.owned().voxels()));
  g.forEachOwned([&](int64_t i, int64_t j, int64_t k, int64_t l) {
    out[static_cast<size_t>(l)] = static_cast<T>(f(i, j, k));
  });
  return out;
}

// A pseudo-random phase 0 .. nPhases-1 per voxel, independent of the rank count.
inline VoxelFn randomPhases(const std::array<int64_t, 3>& n, int nPhases, uint64_t seed) {
  return [n, nPhases, seed](int64_t i, int64_t j, int64_t k) {
    const uint64_t id = static_cast<uint64_t>((k * n[1] + j) * n[0] + i);
    return static_cast<int>(hashUniform(seed, id) * nPhases) % nPhases;
  };
}

inline int64_t wrapIndex(int64_t x, int64_t n) { return ((x % n) + n) % n; }

// One face of the domain, from its definition: the faces normal to axis a sit on planes p = 0 .. n_a (plane p
// between voxel layers p - 1 and p). On an axis that is periodic with n_a >= 2, plane 0 and plane n_a are the
// same face (between layer n_a - 1 and layer 0); it is listed once, as plane n_a.
struct RefFace {
  int axis;
  int64_t plane;
  std::array<int64_t, 3> low, high;  // the voxels on either side (wrapped); only one of them if one-sided
  bool hasLow, hasHigh;
  bool periodic;
};

// Every face of the domain once, with wrapping per axis. Global enumeration, no MPI.
inline std::vector<RefFace> allFaces(const std::array<int64_t, 3>& n, const std::array<bool, 3>& periodic) {
  std::vector<RefFace> out;
  for (int a = 0; a < 3; ++a) {
    const bool wraps = periodic[a] && n[a] >= 2;
    for (int64_t k = 0; k < n[2]; ++k)
      for (int64_t j = 0; j < n[1]; ++j)
        for (int64_t i = 0; i < n[0]; ++i) {
          std::array<int64_t, 3> c{i, j, k};
          if (c[a] != 0) continue;  // walk the lines along a from their first voxel
          for (int64_t p = wraps ? 1 : 0; p <= n[a]; ++p) {
            RefFace f{a, p, c, c, p > 0, p < n[a] || wraps, wraps && p == n[a]};
            f.low[a] = p - 1;
            f.high[a] = p == n[a] ? 0 : p;
            out.push_back(f);
          }
        }
  }
  return out;
}

// Global id of a face: axis, plane, and the two cross coordinates.
inline int64_t faceId(const std::array<int64_t, 3>& n, int axis, int64_t plane,
                      const std::array<int64_t, 3>& c) {
  const int b1 = axis == 0 ? 1 : 0, b2 = axis == 2 ? 1 : 2;
  const int64_t perAxis = (n[0] + 1) * (n[1] + 1) * (n[2] + 1);
  return axis * perAxis + (plane * (n[b1] + 1) + c[b1]) * (n[b2] + 1) + c[b2];
}
inline int64_t faceIdCount(const std::array<int64_t, 3>& n) {
  return 3 * (n[0] + 1) * (n[1] + 1) * (n[2] + 1);
}

// The plane of a face as the iterator reports it (a, axis, side): a two-voxel face or a high domain face
// lies on plane a[axis] + 1 (the periodic face on plane n), a low domain face on plane 0.
inline int64_t planeOf(const Face& f) { return f.side > 0 ? f.a[f.axis] + 1 : f.a[f.axis]; }
inline int64_t faceIdOf(const std::array<int64_t, 3>& n, const Face& f, const std::array<bool, 3>& periodic) {
  int64_t plane = planeOf(f);
  // Seen from voxel 0 of a wrapping axis, its low face is the periodic face on plane n.
  if (plane == 0 && periodic[f.axis] && n[f.axis] >= 2) plane = n[f.axis];
  return faceId(n, f.axis, plane, f.a);
}

}  // namespace ssb::test

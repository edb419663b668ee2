#pragma once
// Moving boxes of voxel data between ranks, independent of the DMDA layout. One primitive serves every
// communication pattern of the morphology suite: halos of any width (owned box -> owned box grown by g),
// transposes to slabs for the separable distance transform (owned box -> z-slab -> y-slab -> owned box),
// and gathers to one rank (owned box -> whole domain on rank 0, empty box elsewhere).
#include <mpi.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

#include "mesh/StructuredGrid.hpp"
#include "mesh/VoxelGrid.hpp"

namespace ssb {

// Collective: every rank's box, indexed by rank.
std::vector<Box3> allgatherBoxes(MPI_Comm comm, const Box3& mine);

// Intersection of two boxes (size 0 along some axis if they do not overlap).
Box3 intersect(const Box3& a, const Box3& b);
bool isEmpty(const Box3& b);
// `b` grown by g voxels on every side, clipped to the domain n.
Box3 grow(const Box3& b, int64_t g, const std::array<int64_t, 3>& n);
// Rank r's part when axis `axis` of the domain n is split into `parts` contiguous, balanced ranges.
Box3 slabBox(const std::array<int64_t, 3>& n, int axis, int parts, int r);

// Collective. Every rank holds `src` laid out over `srcBox` (x fastest) and receives `dst` laid out over
// `dstBox`; each voxel of dstBox must lie in the srcBox of some rank (the srcBoxes must tile the part of
// the domain that any dstBox covers). Voxels of dstBox not covered by any srcBox are left untouched.
// `elemSize` bytes per voxel.
void redistributeBytes(MPI_Comm comm, const Box3& srcBox, const void* src, const Box3& dstBox, void* dst,
                       size_t elemSize);

template <typename T>
std::vector<T> redistribute(MPI_Comm comm, const Box3& srcBox, const std::vector<T>& src, const Box3& dstBox,
                            T fill = T{}) {
  static_assert(std::is_trivially_copyable_v<T>);
  std::vector<T> dst(static_cast<size_t>(dstBox.voxels()), fill);
  redistributeBytes(comm, srcBox, src.data(), dstBox, dst.data(), sizeof(T));
  return dst;
}

// Collective. Owned data (grid.owned() layout) -> the owned box grown by `width` (box stencil: faces, edges
// and corners), clipped to the domain. Cells outside the domain do not exist in the result.
template <typename T>
std::vector<T> haloExchange(const StructuredGrid& grid, const std::vector<T>& owned, int width, Box3* haloBox,
                            T fill = T{}) {
  *haloBox = grow(grid.owned(), width, grid.geometry().n);
  return redistribute(grid.comm(), grid.owned(), owned, *haloBox, fill);
}

// Collective. Owned data of `from` laid into the owned layout of `to`, a grid of the same extents except
// along `axis`, where `to` has `lo` extra voxels before `from`'s first (and any number after its last);
// voxels of `to` outside `from` get `fill`. Used to add layers to a volume (end layers of a cell).
template <typename T>
std::vector<T> embedAlong(const StructuredGrid& from, const StructuredGrid& to, int axis, int64_t lo,
                          const std::vector<T>& data, T fill) {
  Box3 src = from.owned();
  src.lo[static_cast<size_t>(axis)] += lo;
  return redistribute(from.comm(), src, data, to.owned(), fill);
}
// Collective. The reverse of embedAlong: data laid out on `to`, cut back to `from`'s owned box.
template <typename T>
std::vector<T> extractAlong(const StructuredGrid& to, const StructuredGrid& from, int axis, int64_t lo,
                            const std::vector<T>& data) {
  Box3 src = to.owned();
  src.lo[static_cast<size_t>(axis)] -= lo;
  return redistribute(to.comm(), src, data, from.owned());
}

// Collective. send[r] goes to rank r; returns everything received, ordered by source rank. Messages are
// cut below MPI's int count limit.
void exchangeBytes(MPI_Comm comm, const std::vector<std::vector<char>>& send, std::vector<char>& recv);

template <typename T>
std::vector<T> exchangeVectors(MPI_Comm comm, const std::vector<std::vector<T>>& send) {
  static_assert(std::is_trivially_copyable_v<T>);
  std::vector<std::vector<char>> bytes(send.size());
  for (size_t r = 0; r < send.size(); ++r) {
    bytes[r].resize(send[r].size() * sizeof(T));
    if (!send[r].empty()) std::memcpy(bytes[r].data(), send[r].data(), bytes[r].size());
  }
  std::vector<char> recv;
  exchangeBytes(comm, bytes, recv);
  std::vector<T> out(recv.size() / sizeof(T));
  if (!out.empty()) std::memcpy(out.data(), recv.data(), recv.size());
  return out;
}

// Index of global voxel (i, j, k) inside box b (x fastest); the voxel must lie in b.
inline int64_t boxIndex(const Box3& b, int64_t i, int64_t j, int64_t k) {
  return ((k - b.lo[2]) * b.size[1] + (j - b.lo[1])) * b.size[0] + (i - b.lo[0]);
}

}  // namespace ssb

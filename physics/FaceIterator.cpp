#include "physics/FaceIterator.hpp"

#include <algorithm>
#include <cmath>
#include <exception>

#include "solver/core/Error.hpp"
#include "solver/core/MpiUtil.hpp"

namespace ssb {

FluxBoundary FluxBoundary::drive(int axis, double low, double high, bool periodicSides,
                                 DirichletPlacement placement) {
  FluxBoundary bc;
  for (int a = 0; a < 3; ++a) {
    BoundaryKind side = periodicSides ? BoundaryKind::Periodic : BoundaryKind::NoFlux;
    bc.kind[faceIndex(a, false)] = a == axis ? BoundaryKind::Dirichlet : side;
    bc.kind[faceIndex(a, true)] = a == axis ? BoundaryKind::Dirichlet : side;
  }
  bc.value[faceIndex(axis, false)] = low;
  bc.value[faceIndex(axis, true)] = high;
  bc.placement = placement;
  return bc;
}

const char* faceName(int face) {
  static const char* names[6] = {"x-", "x+", "y-", "y+", "z-", "z+"};
  return face >= 0 && face < 6 ? names[face] : "?";
}

const char* faceKindName(FaceKind k) {
  switch (k) {
    case FaceKind::Interior:
      return "interior";
    case FaceKind::Interface:
      return "interface";
    case FaceKind::Periodic:
      return "periodic";
    case FaceKind::PinnedNeighbour:
      return "pinned_neighbour";
    case FaceKind::Dirichlet:
      return "dirichlet";
    case FaceKind::NoFlux:
      return "no_flux";
  }
  return "?";
}

void validateBoundary(const FluxBoundary& bc, const std::array<int64_t, 3>& n, const char* who) {
  for (int a = 0; a < 3; ++a) {
    const bool lowPeriodic = bc.kind[faceIndex(a, false)] == BoundaryKind::Periodic;
    const bool highPeriodic = bc.kind[faceIndex(a, true)] == BoundaryKind::Periodic;
    if (lowPeriodic != highPeriodic)
      throwRun("{}: axis {} is periodic on one face only; both faces must be periodic", who, axisName(a));
    const bool dirichlet = bc.kind[faceIndex(a, false)] == BoundaryKind::Dirichlet ||
                           bc.kind[faceIndex(a, true)] == BoundaryKind::Dirichlet;
    if (dirichlet && bc.placement == DirichletPlacement::PinnedLayer && n[a] < 2)
      throwRun("{}: pinned Dirichlet layers along {} need at least 2 voxels (the volume has {})", who,
               axisName(a), n[a]);
  }
}

FaceSpace::FaceSpace(const StructuredGrid& grid, GhostBox box, std::vector<uint8_t> ghostedPhase)
    : m_grid(&grid), m_box(box), m_phase(std::move(ghostedPhase)) {
  if (m_phase.size() != m_box.voxels())
    throwRun("FaceSpace: {} ghosted phases for a ghosted box of {} voxels", m_phase.size(), m_box.voxels());
}

FaceSpace FaceSpace::fromGhosted(const StructuredGrid& grid, std::vector<uint8_t> ghostedPhase) {
  return FaceSpace(grid, ghostBoxOf(grid), std::move(ghostedPhase));
}

FaceSpace::FaceSpace(const StructuredGrid& grid, const std::vector<uint8_t>& ownedPhase)
    : m_grid(&grid), m_box(ghostBoxOf(grid)) {
  // The size check is the same on every rank only if the caller is consistent; a mismatch on one rank must
  // not leave the others waiting in the exchange below.
  std::vector<double> owned;
  std::exception_ptr err;
  try {
    if (ownedPhase.size() != static_cast<size_t>(grid.owned().voxels()))
      throwRun("FaceSpace: {} phases for {} owned voxels", ownedPhase.size(), grid.owned().voxels());
    owned.assign(ownedPhase.begin(), ownedPhase.end());
  } catch (...) {
    err = std::current_exception();
  }
  rethrowCollective(grid.comm(), err);
  const std::vector<double> ghosted = exchangeGhosts(grid, owned);
  m_phase.resize(ghosted.size());
  for (size_t q = 0; q < ghosted.size(); ++q)
    m_phase[q] = static_cast<uint8_t>(ghosted[q]);  // exact integers
}

FaceIterator::FaceIterator(const FaceSpace& space, const FluxBoundary& bc, const FaceWeights* weights)
    : m_space(&space), m_bc(bc), m_w(weights) {
  const StructuredGrid& grid = space.grid();
  const VoxelGrid& g = grid.geometry();
  validateBoundary(bc, g.n, "FaceIterator");
  if (weights && !weights->exchanged())
    throwRun("FaceIterator: face weights were changed after FaceWeights::exchange(); call exchange() first");
  if (weights && &weights->grid() != &grid) throwRun("FaceIterator: the face weights belong to another grid");
  m_n = g.n;
  for (int a = 0; a < 3; ++a) {
    m_stride[a] = space.box().stride(a);
    m_h[a] = g.spacing[a];
    m_wraps[a] = bc.kind[faceIndex(a, false)] == BoundaryKind::Periodic && g.n[a] >= 2;
    m_anyPinned = m_anyPinned || (bc.placement == DirichletPlacement::PinnedLayer &&
                                  (bc.kind[faceIndex(a, false)] == BoundaryKind::Dirichlet ||
                                   bc.kind[faceIndex(a, true)] == BoundaryKind::Dirichlet));
  }
  m_area = {g.spacing[1] * g.spacing[2], g.spacing[0] * g.spacing[2], g.spacing[0] * g.spacing[1]};
}

Box3 FaceIterator::walkBox(const Box3* region) const {
  const Box3& owned = m_space->grid().owned();
  if (!region) return owned;
  Box3 w;
  for (int a = 0; a < 3; ++a) {
    const int64_t lo = std::max(owned.lo[a], region->lo[a]);
    const int64_t hi = std::min(owned.lo[a] + owned.size[a], region->lo[a] + region->size[a]);
    w.lo[a] = lo;
    w.size[a] = std::max<int64_t>(0, hi - lo);
  }
  return w;
}

}  // namespace ssb

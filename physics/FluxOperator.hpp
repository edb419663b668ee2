#pragma once
// The one discretisation of -div(k grad u) on the voxel grid, used by every physics.
//
// Cell-centred finite volumes on the StructuredGrid's DMDA: one unknown per voxel, 7-point stencil,
// per-axis voxel spacing h_a (grid.geometry().spacing) and face area A_a (product of the two other
// spacings), face conductances A/h * harmonic(k1, k2) (physics/FaceKernels.hpp). For a coefficient k in
// S/m and u in V the rows are current balances in A; other physics use other units consistently.
//
// Boundaries, per domain face (face index 2*axis + (high ? 1 : 0)):
//   NoFlux     nothing crosses the face (the DMDA's wrapped ghosts are ignored);
//   Periodic   the face couples to the opposite face's voxels (both faces of the axis must say so);
//   Dirichlet  u = value, placed either on the face itself, half a voxel from the first cell centres
//              (DirichletPlacement::Face, conductance 2 A/h k: TauFactor's convention; series layers give
//              exactly the harmonic mean), or on the whole first/last voxel layer (PinnedLayer: PuMA,
//              PoreSpy and OpenImpala's HYPRE path), whose voxels then become fixed rows.
//
// Inactive voxels (k <= 0, or 0 in the active mask) become identity rows with zero right-hand side and
// no coupling to any neighbour, so the matrix stays symmetric and non-singular whatever the mask is,
// provided every active cluster touches a Dirichlet face (the caller removes the others: percolation).
// Fixed (pinned) rows are eliminated from their neighbours' rows (moved to the right-hand side) for
// the same reason: the matrix stays symmetric, so CG applies.
//
// The matrix is AIJ on the DMDA's layout and numbering, preallocated with the exact coupling count of
// each row rather than DMCreateMatrix's full 7-point pattern: DMCreateMatrix fills the whole star
// pattern with explicit zeros, which on a 50 % porous volume roughly doubles the stored non-zeros and
// makes algebraic multigrid carry couplings that do not exist.
#include <array>
#include <cstdint>
#include <vector>

#include "mesh/StructuredGrid.hpp"
#include "solver/core/PetscUtil.hpp"

namespace ssb {

enum class BoundaryKind { NoFlux, Periodic, Dirichlet };
enum class DirichletPlacement { Face, PinnedLayer };

inline int faceIndex(int axis, bool high) { return 2 * axis + (high ? 1 : 0); }

struct FluxBoundary {
  std::array<BoundaryKind, 6> kind{BoundaryKind::NoFlux, BoundaryKind::NoFlux, BoundaryKind::NoFlux,
                                   BoundaryKind::NoFlux, BoundaryKind::NoFlux, BoundaryKind::NoFlux};
  std::array<double, 6> value{};  // Dirichlet value per face (unit of u)
  DirichletPlacement placement = DirichletPlacement::Face;

  // Dirichlet `low` / `high` on the two faces normal to `axis`; the four side faces no-flux or periodic.
  static FluxBoundary drive(int axis, double low, double high, bool periodicSides, DirichletPlacement placement);
};

class FluxOperator {
 public:
  // Collective. `coefficient`: owned values in grid.localIndex order (k >= 0). `active`: owned mask in the
  // same order, empty = every voxel with k > 0 is active. Throws RunError for inconsistent input (wrong
  // sizes, negative or non-finite k, a periodic face without its partner, pinned layers on an axis with
  // fewer than 2 voxels).
  FluxOperator(const StructuredGrid& grid, const std::vector<double>& coefficient,
               const std::vector<uint8_t>& active, const FluxBoundary& boundary);

  const StructuredGrid& grid() const { return m_grid; }
  const FluxBoundary& boundary() const { return m_bc; }
  int64_t activeVoxels() const { return m_activeGlobal; }  // global count, fixed (pinned) voxels included
  int64_t pinnedVoxels() const { return m_pinnedGlobal; }  // global count of fixed voxels

  // Collective. The AIJ matrix (exact preallocation, local-to-global mapping and stencil set so that
  // MatSetValuesStencil works on it) and a global Vec, both on the grid's layout.
  MatHandle createMatrix() const;
  VecHandle createVector() const;

  // Collective. Writes every row of A (pattern identical on repeated calls) and b. A is symmetric; the
  // diagonal of inactive rows is a typical active diagonal so that its scale does not upset the solver.
  void assemble(Mat A, Vec b) const;

  // Collective. Current entering the solved region through Dirichlet face `face` (unit of k * u * m,
  // i.e. A for S/m and V): sum over the boundary voxels of g (value - u_inner), where for Face placement
  // g is the half-cell conductance and u_inner the boundary voxel, and for PinnedLayer g couples the
  // pinned voxel to its inward neighbour. Positive when current flows into the domain. 0 for faces that
  // are not Dirichlet.
  double boundaryCurrent(Vec u, int face) const;

  // Collective. Cell-centred magnitude of the current density k grad u per owned voxel (unit of k * u / m,
  // A/m^2 for S/m and V): per axis, the mean of the flux densities through the voxel's two faces; 0 on
  // inactive voxels. Pinned voxels use their prescribed value.
  std::vector<double> currentDensityMagnitude(Vec u) const;

  // Owned values of u in grid.localIndex order with pinned voxels set exactly to their value and
  // inactive voxels to 0 (for output). Collective.
  std::vector<double> potential(Vec u) const;

 private:
  // Per global voxel (i, j, k): Dirichlet face whose pinned layer holds it, or -1.
  int pinnedFace(int64_t i, int64_t j, int64_t k) const;

  const StructuredGrid& m_grid;
  FluxBoundary m_bc;
  VecHandle m_kLocal;  // ghosted effective coefficient: k on active voxels, 0 elsewhere
  double m_identityDiag = 1.0;
  int64_t m_activeGlobal = 0;
  int64_t m_pinnedGlobal = 0;
};

}  // namespace ssb

#pragma once
// The one discretisation of -div(k grad u) on the voxel grid, used by every physics.
//
// Cell-centred finite volumes on the StructuredGrid's DMDA: one value per voxel, 7-point stencil,
// per-axis voxel spacing h_a (grid.geometry().spacing) and face area A_a (product of the two other
// spacings), face conductances A/h * harmonic(k1, k2) (physics/FaceKernels.hpp). For a coefficient k in
// S/m and u in V the rows are current balances in A; other physics use other units consistently.
//
// Boundaries (FluxBoundary, physics/FaceIterator.hpp), per domain face (face index 2*axis + (high ? 1 : 0)):
//   NoFlux     nothing crosses the face (the DMDA's wrapped ghosts are ignored);
//   Periodic   the face couples to the opposite face's voxels (both faces of the axis must say so);
//   Dirichlet  u = value, placed either on the face itself, half a voxel from the first cell centres
//              (DirichletPlacement::Face, conductance 2 A/h k: TauFactor's convention; series layers give
//              exactly the harmonic mean), or on the whole first/last voxel layer (PinnedLayer: PuMA,
//              PoreSpy and OpenImpala's HYPRE path), whose voxels are then fixed values.
//
// Unknowns are the active voxels only: voxels with k <= 0 or outside the active mask (non-conducting, or
// not percolating) and the voxels of pinned layers are not part of the linear system at all, and no row
// couples to them (a fixed neighbour's value goes to the right-hand side). The matrix is therefore
// symmetric, and non-singular provided every active cluster touches a Dirichlet face (the caller removes
// the others: percolation). Leaving the inactive voxels out, rather than carrying them as identity rows on
// the DMDA layout, removes ~45 % of the rows on a typical porous volume, which the algebraic multigrid
// set-up and every Krylov vector operation pay for (measured in docs/conductivity.md).
//
// Built on the finite-volume base of physics/ (docs/discretisation.md): the unknowns are the one field of a
// DofMap (each rank numbers its unknowns in the grid's local x-fastest order, ranks in order, so vectors
// are distributed like the DMDA but compressed), every face loop goes through one FaceIterator (phases:
// kActive for the active voxels, pinned ones included, kInactive for the rest), and optional FaceWeights
// multiply each face's conductance, Dirichlet faces included. The matrix is AIJ, preallocated exactly from
// the rows (DofMap::createMatrix); assemble() rewrites values into the same pattern.
#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "mesh/StructuredGrid.hpp"
#include "physics/DofMap.hpp"
#include "physics/FaceIterator.hpp"
#include "physics/FaceWeights.hpp"
#include "solver/core/PetscUtil.hpp"

namespace ssb {

class FluxOperator {
 public:
  static constexpr uint8_t kInactive = 0, kActive = 1;  // phases of the operator's FaceSpace

  // Collective. `coefficient`: owned values in grid.localIndex order (k >= 0). `active`: owned mask in the
  // same order, empty = every voxel with k > 0 is active. `weights` (optional, exchanged) multiply the face
  // conductances. Throws RunError on every rank when any rank finds inconsistent input (wrong sizes,
  // negative or non-finite k, a periodic face without its partner, pinned layers on an axis with fewer than
  // 2 voxels, weights not exchanged or of another grid) or the system does not fit PetscInt.
  FluxOperator(const StructuredGrid& grid, const std::vector<double>& coefficient,
               const std::vector<uint8_t>& active, const FluxBoundary& boundary,
               std::shared_ptr<const FaceWeights> weights = nullptr);

  const StructuredGrid& grid() const { return m_grid; }
  const FluxBoundary& boundary() const { return m_bc; }
  int64_t activeVoxels() const { return m_activeGlobal; }    // global count, fixed (pinned) voxels included
  int64_t pinnedVoxels() const { return m_pinnedGlobal; }    // global count of fixed voxels
  int64_t unknowns() const { return m_dofs->globalSize(); }  // active minus pinned: the system size
  const DofMap& dofs() const { return *m_dofs; }
  const FaceIterator& faces() const { return *m_faces; }
  const FaceWeights* weights() const { return m_weights.get(); }
  // Effective coefficient (k on active voxels, 0 elsewhere) at ghost-box offset g.
  double coefficientAt(size_t g) const { return m_k[g]; }

  // Collective. The AIJ matrix of the system, exactly preallocated and already holding the operator's
  // values (symmetric; an isolated active voxel with no coupling gets a typical diagonal and u = 0). If
  // `rhs` (a vector from createVector) is given, the right-hand side is written into it in the same pass.
  MatHandle createMatrix(Vec rhs = nullptr) const;
  // Collective. A vector of the system's layout (solution or right-hand side).
  VecHandle createVector() const;

  // Collective. Rewrite the values of A (created by createMatrix, same pattern) and the right-hand side b.
  void assemble(Mat A, Vec b) const;
  void assembleRhs(Vec b) const;

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

  // Collective. Dissipated power sum_faces g (u_i - u_j)^2, Dirichlet faces included (unit of k * u^2 * m,
  // W for S/m and V). For the solution u* it equals the sum over Dirichlet faces of value * current, and
  // for any u with the same boundary values it exceeds that by (u - u*)^T A (u - u*): an estimate of the
  // conductance that converges quadratically with the solver error (the quantity CG minimises).
  double dissipation(Vec u) const;

  // Owned values of u in grid.localIndex order with pinned voxels set exactly to their value and
  // inactive voxels to 0 (for output). Collective.
  std::vector<double> potential(Vec u) const;
  // Collective. The same as a global Vec on grid.dm().
  VecHandle toGrid(Vec u) const;

 private:
  struct Row;
  template <typename F>
  void forEachRow(F&& f) const;  // f(row index, Row) for every owned unknown, in row order
  // Solution at ghost-box offset g; the Dirichlet value for a voxel of a pinned layer.
  double valueAt(const GhostedValues& U, size_t g, int pinned) const {
    return pinned >= 0 ? m_bc.value[static_cast<size_t>(pinned)] : U.at(0, g);
  }

  const StructuredGrid& m_grid;
  FluxBoundary m_bc;
  std::shared_ptr<const FaceWeights> m_weights;
  std::vector<double> m_k;  // ghosted effective coefficient: k on active voxels, 0 elsewhere
  std::unique_ptr<DofMap> m_dofs;
  std::unique_ptr<FaceSpace> m_space;
  std::unique_ptr<FaceIterator> m_faces;
  double m_identityDiag = 1.0;
  int64_t m_activeGlobal = 0;
  int64_t m_pinnedGlobal = 0;
};

}  // namespace ssb

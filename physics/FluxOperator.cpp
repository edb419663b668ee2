#include "physics/FluxOperator.hpp"

#include <mpi.h>

#include <algorithm>
#include <cmath>

#include "physics/FaceKernels.hpp"
#include "solver/core/Error.hpp"

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

namespace {

using Index3 = std::array<int64_t, 3>;

int64_t wrap(int64_t x, int64_t n) { return ((x % n) + n) % n; }

// Dirichlet face whose pinned layer holds in-domain voxel c, or -1. With Dirichlet faces on several axes
// (not used by the studies) the first axis wins at the corners.
int pinnedFaceOf(const FluxBoundary& bc, const std::array<int64_t, 3>& n, const Index3& c) {
  if (bc.placement != DirichletPlacement::PinnedLayer) return -1;
  for (int a = 0; a < 3; ++a) {
    if (bc.kind[faceIndex(a, false)] == BoundaryKind::Dirichlet && c[a] == 0) return faceIndex(a, false);
    if (bc.kind[faceIndex(a, true)] == BoundaryKind::Dirichlet && c[a] == n[a] - 1) return faceIndex(a, true);
  }
  return -1;
}

// Read-only view of the ghosted coefficient array with the geometry the stencil needs.
struct StencilView {
  const PetscScalar* const* const* k = nullptr;  // [z][y][x], global (ghosted) indices
  std::array<int64_t, 3> n{};
  std::array<double, 3> h{};
  std::array<double, 3> area{};
  double coef(const Index3& c) const { return PetscRealPart(k[c[2]][c[1]][c[0]]); }
};

struct Row {
  double diag = 0.0;
  double rhs = 0.0;
  int count = 0;
  std::array<MatStencil, 6> cols{};
  std::array<Index3, 6> wrapped{};  // the column's in-domain coordinates (merging and ownership)
  std::array<double, 6> vals{};

  void addOffDiagonal(const Index3& ghostIdx, const Index3& inDomain, double v) {
    for (int c = 0; c < count; ++c) {
      if (wrapped[c] == inDomain) {  // the same voxel reached through both periodic faces (extent 2)
        vals[c] += v;
        return;
      }
    }
    MatStencil s{};
    s.i = static_cast<PetscInt>(ghostIdx[0]);
    s.j = static_cast<PetscInt>(ghostIdx[1]);
    s.k = static_cast<PetscInt>(ghostIdx[2]);
    cols[count] = s;
    wrapped[count] = inDomain;
    vals[count] = v;
    ++count;
  }
};

}  // namespace

FluxOperator::FluxOperator(const StructuredGrid& grid, const std::vector<double>& coefficient,
                           const std::vector<uint8_t>& active, const FluxBoundary& boundary)
    : m_grid(grid), m_bc(boundary) {
  const Box3& box = grid.owned();
  const auto& n = grid.geometry().n;
  const size_t nOwned = static_cast<size_t>(box.voxels());
  if (coefficient.size() != nOwned)
    throwRun("FluxOperator: coefficient has {} values, this rank owns {} voxels", coefficient.size(), nOwned);
  if (!active.empty() && active.size() != nOwned)
    throwRun("FluxOperator: active mask has {} values, this rank owns {} voxels", active.size(), nOwned);
  for (int a = 0; a < 3; ++a) {
    bool lowPeriodic = m_bc.kind[faceIndex(a, false)] == BoundaryKind::Periodic;
    bool highPeriodic = m_bc.kind[faceIndex(a, true)] == BoundaryKind::Periodic;
    if (lowPeriodic != highPeriodic)
      throwRun("FluxOperator: axis {} is periodic on one face only; both faces must be periodic", axisName(a));
    bool dirichlet = m_bc.kind[faceIndex(a, false)] == BoundaryKind::Dirichlet ||
                     m_bc.kind[faceIndex(a, true)] == BoundaryKind::Dirichlet;
    if (dirichlet && m_bc.placement == DirichletPlacement::PinnedLayer && n[a] < 2)
      throwRun("FluxOperator: pinned Dirichlet layers along {} need at least 2 voxels (the volume has {})",
               axisName(a), n[a]);
  }

  std::vector<double> effective(nOwned, 0.0);
  double kMax = 0.0;
  int64_t activeLocal = 0, pinnedLocal = 0;
  for (int64_t k = box.lo[2]; k < box.lo[2] + box.size[2]; ++k)
    for (int64_t j = box.lo[1]; j < box.lo[1] + box.size[1]; ++j)
      for (int64_t i = box.lo[0]; i < box.lo[0] + box.size[0]; ++i) {
        size_t l = static_cast<size_t>(grid.localIndex(i, j, k));
        double kv = coefficient[l];
        if (!std::isfinite(kv) || kv < 0.0)
          throwRun("FluxOperator: coefficient {} at voxel (x={}, y={}, z={}) is negative or not finite", kv, i, j,
                   k);
        if (kv > 0.0 && (active.empty() || active[l])) {
          effective[l] = kv;
          kMax = std::max(kMax, kv);
          ++activeLocal;
          if (pinnedFace(i, j, k) >= 0) ++pinnedLocal;
        }
      }
  MPI_Allreduce(MPI_IN_PLACE, &kMax, 1, MPI_DOUBLE, MPI_MAX, grid.comm());
  MPI_Allreduce(&activeLocal, &m_activeGlobal, 1, MPI_INT64_T, MPI_SUM, grid.comm());
  MPI_Allreduce(&pinnedLocal, &m_pinnedGlobal, 1, MPI_INT64_T, MPI_SUM, grid.comm());

  // A typical diagonal (an active voxel surrounded by kMax) for the identity rows: keeps inactive rows on
  // the same scale as the active ones (norms, AMG strength of connection).
  const auto& sp = grid.geometry().spacing;
  double sumG = 2.0 * (sp[1] * sp[2] / sp[0] + sp[0] * sp[2] / sp[1] + sp[0] * sp[1] / sp[2]);
  m_identityDiag = kMax > 0.0 ? kMax * sumG : 1.0;

  VecHandle global;
  SSB_PETSC(DMCreateGlobalVector(grid.dm(), global.out()));
  grid.setOwned(global, effective);
  SSB_PETSC(DMCreateLocalVector(grid.dm(), m_kLocal.out()));
  SSB_PETSC(DMGlobalToLocalBegin(grid.dm(), global, INSERT_VALUES, m_kLocal));
  SSB_PETSC(DMGlobalToLocalEnd(grid.dm(), global, INSERT_VALUES, m_kLocal));
}

int FluxOperator::pinnedFace(int64_t i, int64_t j, int64_t k) const {
  return pinnedFaceOf(m_bc, m_grid.geometry().n, Index3{i, j, k});
}

namespace {

// Everything the row builder needs, independent of whether it counts (preallocation) or assembles.
struct RowBuilder {
  const StencilView& v;
  const FluxBoundary& bc;
  double identityDiag;
  int pinned(int64_t i, int64_t j, int64_t k) const { return pinnedFaceOf(bc, v.n, Index3{i, j, k}); }

  void build(const Index3& c, Row& row) const {
    row = Row{};
    const double kc = v.coef(c);
    if (!(kc > 0.0)) {
      row.diag = identityDiag;
      return;
    }
    const int myPin = pinned(c[0], c[1], c[2]);
    for (int a = 0; a < 3; ++a) {
      for (int side = -1; side <= 1; side += 2) {
        Index3 nb = c;
        nb[a] += side;
        const int f = faceIndex(a, side > 0);
        if (nb[a] < 0 || nb[a] >= v.n[a]) {
          const BoundaryKind kind = bc.kind[f];
          if (kind == BoundaryKind::NoFlux) continue;
          if (kind == BoundaryKind::Dirichlet) {
            // A pinned voxel's own outer face carries nothing: the voxel itself holds the value.
            if (bc.placement == DirichletPlacement::Face && myPin < 0) {
              double g = face::boundaryConductance(kc, v.area[a], v.h[a]);
              row.diag += g;
              row.rhs += g * bc.value[f];
            }
            continue;
          }
          if (v.n[a] == 1) continue;  // periodic onto itself: no flux
        }
        const double g = face::faceConductance(kc, v.coef(nb), v.area[a], v.h[a]);
        if (g == 0.0) continue;
        row.diag += g;
        if (myPin >= 0) continue;  // fixed row: only its diagonal scale is needed
        Index3 w{wrap(nb[0], v.n[0]), wrap(nb[1], v.n[1]), wrap(nb[2], v.n[2])};
        int nbPin = pinned(w[0], w[1], w[2]);
        if (nbPin >= 0)
          row.rhs += g * bc.value[nbPin];  // eliminated fixed neighbour keeps the matrix symmetric
        else
          row.addOffDiagonal(nb, w, -g);
      }
    }
    if (myPin >= 0) {
      if (row.diag == 0.0) row.diag = identityDiag;
      row.rhs = row.diag * bc.value[myPin];
      return;
    }
    if (row.diag == 0.0) row.diag = identityDiag;  // an isolated voxel (no coupling, no boundary): u = 0
  }
};

StencilView makeView(const StructuredGrid& grid, const PetscScalar* const* const* arr) {
  StencilView v;
  v.k = arr;
  const auto& g = grid.geometry();
  v.n = g.n;
  v.h = g.spacing;
  v.area = {g.spacing[1] * g.spacing[2], g.spacing[0] * g.spacing[2], g.spacing[0] * g.spacing[1]};
  return v;
}

template <typename F>
void forOwned(const Box3& box, F&& f) {
  for (int64_t k = box.lo[2]; k < box.lo[2] + box.size[2]; ++k)
    for (int64_t j = box.lo[1]; j < box.lo[1] + box.size[1]; ++j)
      for (int64_t i = box.lo[0]; i < box.lo[0] + box.size[0]; ++i) f(Index3{i, j, k});
}

bool contains(const Box3& b, const Index3& c) {
  for (int a = 0; a < 3; ++a)
    if (c[a] < b.lo[a] || c[a] >= b.lo[a] + b.size[a]) return false;
  return true;
}

}  // namespace

VecHandle FluxOperator::createVector() const {
  VecHandle v;
  SSB_PETSC(DMCreateGlobalVector(m_grid.dm(), v.out()));
  return v;
}

MatHandle FluxOperator::createMatrix() const {
  DM dm = m_grid.dm();
  const Box3& box = m_grid.owned();
  const PetscInt nLocal = static_cast<PetscInt>(box.voxels());
  std::vector<PetscInt> dnz(static_cast<size_t>(nLocal), 1), onz(static_cast<size_t>(nLocal), 0);

  const PetscScalar*** arr = nullptr;
  SSB_PETSC(DMDAVecGetArrayRead(dm, m_kLocal, &arr));
  StencilView view = makeView(m_grid, arr);
  RowBuilder rb{view, m_bc, m_identityDiag};
  Row row;
  forOwned(box, [&](const Index3& c) {
    rb.build(c, row);
    size_t l = static_cast<size_t>(m_grid.localIndex(c[0], c[1], c[2]));
    for (int q = 0; q < row.count; ++q) {
      if (contains(box, row.wrapped[q]))
        ++dnz[l];
      else
        ++onz[l];
    }
  });
  SSB_PETSC(DMDAVecRestoreArrayRead(dm, m_kLocal, &arr));

  MatHandle A;
  SSB_PETSC(MatCreate(m_grid.comm(), A.out()));
  SSB_PETSC(MatSetSizes(A, nLocal, nLocal, PETSC_DETERMINE, PETSC_DETERMINE));
  SSB_PETSC(MatSetType(A, MATAIJ));
  SSB_PETSC(MatSeqAIJSetPreallocation(A, 0, dnz.data()));
  SSB_PETSC(MatMPIAIJSetPreallocation(A, 0, dnz.data(), 0, onz.data()));
  ISLocalToGlobalMapping ltog = nullptr;
  SSB_PETSC(DMGetLocalToGlobalMapping(dm, &ltog));
  SSB_PETSC(MatSetLocalToGlobalMapping(A, ltog, ltog));
  PetscInt gs[3], gm[3];
  SSB_PETSC(DMDAGetGhostCorners(dm, &gs[0], &gs[1], &gs[2], &gm[0], &gm[1], &gm[2]));
  SSB_PETSC(MatSetStencil(A, 3, gm, gs, 1));
  SSB_PETSC(MatSetOption(A, MAT_NEW_NONZERO_ALLOCATION_ERR, PETSC_TRUE));
  SSB_PETSC(MatSetOption(A, MAT_SYMMETRIC, PETSC_TRUE));
  SSB_PETSC(MatSetOption(A, MAT_SYMMETRY_ETERNAL, PETSC_TRUE));
  return A;
}

void FluxOperator::assemble(Mat A, Vec b) const {
  DM dm = m_grid.dm();
  const Box3& box = m_grid.owned();
  const PetscScalar*** arr = nullptr;
  PetscScalar*** rhs = nullptr;
  SSB_PETSC(DMDAVecGetArrayRead(dm, m_kLocal, &arr));
  SSB_PETSC(DMDAVecGetArray(dm, b, &rhs));
  StencilView view = makeView(m_grid, arr);
  RowBuilder rb{view, m_bc, m_identityDiag};
  Row row;
  std::exception_ptr err;
  try {
    forOwned(box, [&](const Index3& c) {
      rb.build(c, row);
      MatStencil me{};
      me.i = static_cast<PetscInt>(c[0]);
      me.j = static_cast<PetscInt>(c[1]);
      me.k = static_cast<PetscInt>(c[2]);
      std::array<MatStencil, 7> cols{};
      std::array<PetscScalar, 7> vals{};
      cols[0] = me;
      vals[0] = row.diag;
      for (int q = 0; q < row.count; ++q) {
        cols[q + 1] = row.cols[q];
        vals[q + 1] = row.vals[q];
      }
      SSB_PETSC(MatSetValuesStencil(A, 1, &me, row.count + 1, cols.data(), vals.data(), INSERT_VALUES));
      rhs[c[2]][c[1]][c[0]] = row.rhs;
    });
  } catch (...) {
    err = std::current_exception();
  }
  SSB_PETSC(DMDAVecRestoreArray(dm, b, &rhs));
  SSB_PETSC(DMDAVecRestoreArrayRead(dm, m_kLocal, &arr));
  if (err) std::rethrow_exception(err);  // a local PETSc failure here is a program error on every rank
  SSB_PETSC(MatAssemblyBegin(A, MAT_FINAL_ASSEMBLY));
  SSB_PETSC(MatAssemblyEnd(A, MAT_FINAL_ASSEMBLY));
}

namespace {

// Ghosted copy of u (collective) and its array.
struct GhostedField {
  DM dm;
  VecHandle local;
  const PetscScalar*** arr = nullptr;
  GhostedField(DM d, Vec u) : dm(d) {
    SSB_PETSC(DMCreateLocalVector(dm, local.out()));
    SSB_PETSC(DMGlobalToLocalBegin(dm, u, INSERT_VALUES, local));
    SSB_PETSC(DMGlobalToLocalEnd(dm, u, INSERT_VALUES, local));
    SSB_PETSC(DMDAVecGetArrayRead(dm, local, &arr));
  }
  ~GhostedField() { (void)DMDAVecRestoreArrayRead(dm, local, &arr); }
  GhostedField(const GhostedField&) = delete;
  GhostedField& operator=(const GhostedField&) = delete;
  double at(const Index3& c) const { return PetscRealPart(arr[c[2]][c[1]][c[0]]); }
};

}  // namespace

double FluxOperator::boundaryCurrent(Vec u, int face) const {
  DM dm = m_grid.dm();
  GhostedField U(dm, u);
  const PetscScalar*** arr = nullptr;
  SSB_PETSC(DMDAVecGetArrayRead(dm, m_kLocal, &arr));
  StencilView v = makeView(m_grid, arr);
  const Box3& box = m_grid.owned();
  const int a = face / 2;
  const bool high = face % 2 == 1;
  const int64_t layer = high ? v.n[a] - 1 : 0;
  double local = 0.0;
  if (m_bc.kind[face] == BoundaryKind::Dirichlet && layer >= box.lo[a] && layer < box.lo[a] + box.size[a]) {
    Box3 slab = box;
    slab.lo[a] = layer;
    slab.size[a] = 1;
    const double value = m_bc.value[face];
    forOwned(slab, [&](const Index3& c) {
      const double kc = v.coef(c);
      if (!(kc > 0.0)) return;
      if (m_bc.placement == DirichletPlacement::Face) {
        local += face::boundaryConductance(kc, v.area[a], v.h[a]) * (value - U.at(c));
        return;
      }
      if (pinnedFace(c[0], c[1], c[2]) != face) return;
      Index3 nb = c;
      nb[a] += high ? -1 : 1;
      const double g = face::faceConductance(kc, v.coef(nb), v.area[a], v.h[a]);
      if (g == 0.0) return;
      const int nbPin = pinnedFace(nb[0], nb[1], nb[2]);
      const double un = nbPin >= 0 ? m_bc.value[nbPin] : U.at(nb);
      local += g * (value - un);
    });
  }
  SSB_PETSC(DMDAVecRestoreArrayRead(dm, m_kLocal, &arr));
  double global = 0.0;
  MPI_Allreduce(&local, &global, 1, MPI_DOUBLE, MPI_SUM, m_grid.comm());
  return global;
}

std::vector<double> FluxOperator::currentDensityMagnitude(Vec u) const {
  DM dm = m_grid.dm();
  GhostedField U(dm, u);
  const PetscScalar*** arr = nullptr;
  SSB_PETSC(DMDAVecGetArrayRead(dm, m_kLocal, &arr));
  StencilView v = makeView(m_grid, arr);
  const Box3& box = m_grid.owned();
  std::vector<double> out(static_cast<size_t>(box.voxels()), 0.0);
  auto uAt = [&](const Index3& c) {
    int p = pinnedFace(c[0], c[1], c[2]);
    return p >= 0 ? m_bc.value[p] : U.at(c);
  };
  forOwned(box, [&](const Index3& c) {
    const double kc = v.coef(c);
    if (!(kc > 0.0)) return;
    const double uc = uAt(c);
    double sum2 = 0.0;
    for (int a = 0; a < 3; ++a) {
      // Flux density along +axis through the low (side -1) and the high (side +1) face.
      std::array<double, 2> j{0.0, 0.0};
      std::array<bool, 2> known{true, true};
      for (int s = 0; s < 2; ++s) {
        const int side = s == 0 ? -1 : 1;
        Index3 nb = c;
        nb[a] += side;
        const int f = faceIndex(a, side > 0);
        if (nb[a] < 0 || nb[a] >= v.n[a]) {
          const BoundaryKind kind = m_bc.kind[f];
          if (kind == BoundaryKind::Dirichlet) {
            if (m_bc.placement == DirichletPlacement::Face) {
              double g = face::boundaryConductance(kc, v.area[a], v.h[a]);
              j[s] = g * (side < 0 ? m_bc.value[f] - uc : uc - m_bc.value[f]) / v.area[a];
            } else {
              known[s] = false;  // the pinned layer's outer face: take the inner face's flux
            }
            continue;
          }
          if (kind == BoundaryKind::NoFlux || v.n[a] == 1) continue;
        }
        const double g = face::faceConductance(kc, v.coef(nb), v.area[a], v.h[a]);
        if (g == 0.0) continue;
        Index3 w{wrap(nb[0], v.n[0]), wrap(nb[1], v.n[1]), wrap(nb[2], v.n[2])};
        int nbPin = pinnedFace(w[0], w[1], w[2]);
        const double un = nbPin >= 0 ? m_bc.value[nbPin] : U.at(nb);
        j[s] = g * (side < 0 ? un - uc : uc - un) / v.area[a];
      }
      double comp = known[0] && known[1] ? 0.5 * (j[0] + j[1]) : known[0] ? j[0] : j[1];
      sum2 += comp * comp;
    }
    out[static_cast<size_t>(m_grid.localIndex(c[0], c[1], c[2]))] = std::sqrt(sum2);
  });
  SSB_PETSC(DMDAVecRestoreArrayRead(dm, m_kLocal, &arr));
  return out;
}

std::vector<double> FluxOperator::potential(Vec u) const {
  std::vector<double> owned = m_grid.getOwned(u);
  DM dm = m_grid.dm();
  const PetscScalar*** arr = nullptr;
  SSB_PETSC(DMDAVecGetArrayRead(dm, m_kLocal, &arr));
  StencilView v = makeView(m_grid, arr);
  forOwned(m_grid.owned(), [&](const Index3& c) {
    size_t l = static_cast<size_t>(m_grid.localIndex(c[0], c[1], c[2]));
    if (!(v.coef(c) > 0.0)) {
      owned[l] = 0.0;
      return;
    }
    int p = pinnedFace(c[0], c[1], c[2]);
    if (p >= 0) owned[l] = m_bc.value[p];
  });
  SSB_PETSC(DMDAVecRestoreArrayRead(dm, m_kLocal, &arr));
  return owned;
}

}  // namespace ssb

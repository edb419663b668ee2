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

StencilView makeView(const StructuredGrid& grid, const PetscScalar* const* const* arr) {
  StencilView v;
  v.k = arr;
  const auto& g = grid.geometry();
  v.n = g.n;
  v.h = g.spacing;
  v.area = {g.spacing[1] * g.spacing[2], g.spacing[0] * g.spacing[2], g.spacing[0] * g.spacing[1]};
  return v;
}

// One matrix row: the diagonal, the right-hand side, and up to 6 off-diagonal couplings by global column.
struct Row {
  double diag = 0.0;
  double rhs = 0.0;
  int count = 0;
  std::array<PetscInt, 6> cols{};
  std::array<double, 6> vals{};

  void addOffDiagonal(PetscInt col, double v) {
    for (int c = 0; c < count; ++c) {
      if (cols[c] == col) {  // the same voxel reached through both periodic faces (extent 2)
        vals[c] += v;
        return;
      }
    }
    cols[count] = col;
    vals[count] = v;
    ++count;
  }
};

template <typename F>
void forBox(const Box3& box, F&& f) {
  for (int64_t k = box.lo[2]; k < box.lo[2] + box.size[2]; ++k)
    for (int64_t j = box.lo[1]; j < box.lo[1] + box.size[1]; ++j)
      for (int64_t i = box.lo[0]; i < box.lo[0] + box.size[0]; ++i) f(Index3{i, j, k});
}

// RAII read access to a DMDA local Vec as [z][y][x].
class ArrayRead {
 public:
  ArrayRead(DM dm, Vec v) : m_dm(dm), m_v(v) { SSB_PETSC(DMDAVecGetArrayRead(dm, v, &m_a)); }
  ~ArrayRead() { (void)DMDAVecRestoreArrayRead(m_dm, m_v, &m_a); }
  ArrayRead(const ArrayRead&) = delete;
  ArrayRead& operator=(const ArrayRead&) = delete;
  const PetscScalar* const* const* get() const { return m_a; }
  double at(const Index3& c) const { return PetscRealPart(m_a[c[2]][c[1]][c[0]]); }

 private:
  DM m_dm;
  Vec m_v;
  const PetscScalar*** m_a = nullptr;
};

// Collective: a ghosted local copy of a global DMDA Vec.
VecHandle ghosted(DM dm, Vec global) {
  VecHandle local;
  SSB_PETSC(DMCreateLocalVector(dm, local.out()));
  SSB_PETSC(DMGlobalToLocalBegin(dm, global, INSERT_VALUES, local));
  SSB_PETSC(DMGlobalToLocalEnd(dm, global, INSERT_VALUES, local));
  return local;
}

// What every post-solve kernel reads: the solution on the grid with its ghosts (U) and the coefficient
// stencil (v). Collective to construct (ghost exchange).
struct GhostedSolution {
  GhostedSolution(const StructuredGrid& grid, VecHandle solutionOnGrid, Vec kLocal)
      : onGrid(std::move(solutionOnGrid)),
        local(ghosted(grid.dm(), onGrid)),
        U(grid.dm(), local),
        k(grid.dm(), kLocal),
        v(makeView(grid, k.get())) {}
  // Declaration order is construction order.
  VecHandle onGrid, local;
  const ArrayRead U, k;
  const StencilView v;
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
      throwRun("FluxOperator: axis {} is periodic on one face only; both faces must be periodic",
               axisName(a));
    bool dirichlet = m_bc.kind[faceIndex(a, false)] == BoundaryKind::Dirichlet ||
                     m_bc.kind[faceIndex(a, true)] == BoundaryKind::Dirichlet;
    if (dirichlet && m_bc.placement == DirichletPlacement::PinnedLayer && n[a] < 2)
      throwRun("FluxOperator: pinned Dirichlet layers along {} need at least 2 voxels (the volume has {})",
               axisName(a), n[a]);
  }

  // Effective coefficient (0 = inactive) and the unknown numbering, both in local (x fastest) order.
  std::vector<double> effective(nOwned, 0.0), number(nOwned, -1.0);
  double kMax = 0.0;
  int64_t activeLocal = 0, pinnedLocal = 0;
  PetscInt counter = 0;
  forBox(box, [&](const Index3& c) {
    const size_t l = static_cast<size_t>(grid.localIndex(c[0], c[1], c[2]));
    const double kv = coefficient[l];
    if (!std::isfinite(kv) || kv < 0.0)
      throwRun("FluxOperator: coefficient {} at voxel (x={}, y={}, z={}) is negative or not finite", kv, c[0],
               c[1], c[2]);
    if (!(kv > 0.0) || (!active.empty() && !active[l])) return;
    effective[l] = kv;
    kMax = std::max(kMax, kv);
    ++activeLocal;
    if (pinnedFace(c[0], c[1], c[2]) >= 0)
      ++pinnedLocal;
    else
      number[l] = static_cast<double>(counter++);
  });
  m_nLocal = counter;
  MPI_Allreduce(MPI_IN_PLACE, &kMax, 1, MPI_DOUBLE, MPI_MAX, grid.comm());
  MPI_Allreduce(&activeLocal, &m_activeGlobal, 1, MPI_INT64_T, MPI_SUM, grid.comm());
  MPI_Allreduce(&pinnedLocal, &m_pinnedGlobal, 1, MPI_INT64_T, MPI_SUM, grid.comm());
  int64_t nLocal64 = m_nLocal, start64 = 0;
  MPI_Exscan(&nLocal64, &start64, 1, MPI_INT64_T, MPI_SUM, grid.comm());
  int rank = 0;
  MPI_Comm_rank(grid.comm(), &rank);
  if (rank == 0) start64 = 0;  // MPI_Exscan leaves rank 0's result undefined
  MPI_Allreduce(&nLocal64, &m_nGlobal, 1, MPI_INT64_T, MPI_SUM, grid.comm());
  if (m_nGlobal > static_cast<int64_t>(PETSC_MAX_INT))
    throwRun(
        "FluxOperator: {} unknowns exceed this PETSc build's 32-bit indices; use a PETSc built with "
        "--with-64-bit-indices",
        m_nGlobal);
  m_rowStart = static_cast<PetscInt>(start64);
  for (double& x : number)
    if (x >= 0.0) x += static_cast<double>(m_rowStart);

  // A typical diagonal (an active voxel surrounded by kMax) for isolated voxels: keeps such rows on the
  // same scale as the others (norms, AMG strength of connection).
  const auto& sp = grid.geometry().spacing;
  const double sumG = 2.0 * (sp[1] * sp[2] / sp[0] + sp[0] * sp[2] / sp[1] + sp[0] * sp[1] / sp[2]);
  m_identityDiag = kMax > 0.0 ? kMax * sumG : 1.0;

  DM dm = grid.dm();
  {
    VecHandle global;
    SSB_PETSC(DMCreateGlobalVector(dm, global.out()));
    grid.setOwned(global, effective);
    m_kLocal = ghosted(dm, global);
    grid.setOwned(global, number);  // global unknown indices are exact in a double (< 2^53)
    VecHandle numLocal = ghosted(dm, global);
    PetscInt gs[3], gm[3];
    SSB_PETSC(DMDAGetGhostCorners(dm, &gs[0], &gs[1], &gs[2], &gm[0], &gm[1], &gm[2]));
    m_ghostLo = {gs[0], gs[1], gs[2]};
    m_ghostSize = {gm[0], gm[1], gm[2]};
    const PetscScalar* a = nullptr;
    SSB_PETSC(VecGetArrayRead(numLocal, &a));
    m_unknown.resize(static_cast<size_t>(gm[0]) * gm[1] * gm[2]);
    for (size_t q = 0; q < m_unknown.size(); ++q)
      m_unknown[q] = static_cast<PetscInt>(std::lround(PetscRealPart(a[q])));
    SSB_PETSC(VecRestoreArrayRead(numLocal, &a));
  }
}

int FluxOperator::pinnedFace(int64_t i, int64_t j, int64_t k) const {
  return pinnedFaceOf(m_bc, m_grid.geometry().n, Index3{i, j, k});
}

template <typename F>
void FluxOperator::forEachRow(F&& f) const {
  ArrayRead kArr(m_grid.dm(), m_kLocal);
  const StencilView v = makeView(m_grid, kArr.get());
  Row row;
  forBox(m_grid.owned(), [&](const Index3& c) {
    const PetscInt me = m_unknown[static_cast<size_t>(ghostOffset(c[0], c[1], c[2]))];
    if (me < 0) return;  // inactive or pinned: not an unknown
    row = Row{};
    const double kc = v.coef(c);
    for (int a = 0; a < 3; ++a) {
      for (int side = -1; side <= 1; side += 2) {
        Index3 nb = c;
        nb[a] += side;
        if (nb[a] < 0 || nb[a] >= v.n[a]) {
          const int f = faceIndex(a, side > 0);
          const BoundaryKind kind = m_bc.kind[f];
          if (kind == BoundaryKind::NoFlux) continue;
          if (kind == BoundaryKind::Dirichlet) {
            // Face placement: the value sits on the face, half a cell away. Pinned placement: an unknown is
            // never in the pinned layer, so this face is unreachable.
            if (m_bc.placement == DirichletPlacement::Face) {
              const double g = face::boundaryConductance(kc, v.area[a], v.h[a]);
              row.diag += g;
              row.rhs += g * m_bc.value[f];
            }
            continue;
          }
          if (v.n[a] == 1) continue;  // periodic onto itself: no flux
        }
        const double g = face::faceConductance(kc, v.coef(nb), v.area[a], v.h[a]);
        if (g == 0.0) continue;
        row.diag += g;
        const PetscInt col = m_unknown[static_cast<size_t>(ghostOffset(nb[0], nb[1], nb[2]))];
        if (col >= 0) {
          row.addOffDiagonal(col, -g);
        } else {
          // An active neighbour that is not an unknown is pinned: its value moves to the right-hand side,
          // which keeps the matrix symmetric.
          const Index3 w{wrap(nb[0], v.n[0]), wrap(nb[1], v.n[1]), wrap(nb[2], v.n[2])};
          const int p = pinnedFace(w[0], w[1], w[2]);
          if (p >= 0) row.rhs += g * m_bc.value[p];
        }
      }
    }
    if (row.diag == 0.0) row.diag = m_identityDiag;  // isolated voxel (no coupling, no boundary): u = 0
    f(me, row);
  });
}

VecHandle FluxOperator::createVector() const {
  VecHandle v;
  SSB_PETSC(VecCreate(m_grid.comm(), v.out()));
  SSB_PETSC(VecSetSizes(v, m_nLocal, static_cast<PetscInt>(m_nGlobal)));
  SSB_PETSC(VecSetType(v, VECSTANDARD));
  return v;
}

MatHandle FluxOperator::createMatrix(Vec rhsVec) const {
  PetscScalar* rhs = nullptr;
  if (rhsVec) SSB_PETSC(VecGetArray(rhsVec, &rhs));
  std::vector<PetscInt> ia(1, 0), ja;
  std::vector<PetscScalar> va;
  ia.reserve(static_cast<size_t>(m_nLocal) + 1);
  ja.reserve(static_cast<size_t>(m_nLocal) * 7);
  va.reserve(static_cast<size_t>(m_nLocal) * 7);
  forEachRow([&](PetscInt me, const Row& row) {
    // Sorted columns (PETSc's CSR preallocation wants them so): insertion sort of <= 7 entries.
    const size_t first = ja.size();
    auto insert = [&](PetscInt col, double val) {
      ja.push_back(col);
      va.push_back(val);
      for (size_t q = ja.size() - 1; q > first && ja[q - 1] > ja[q]; --q) {
        std::swap(ja[q - 1], ja[q]);
        std::swap(va[q - 1], va[q]);
      }
    };
    insert(me, row.diag);
    for (int q = 0; q < row.count; ++q) insert(row.cols[q], row.vals[q]);
    ia.push_back(static_cast<PetscInt>(ja.size()));
    if (rhs) rhs[me - m_rowStart] = row.rhs;
  });
  if (rhsVec) SSB_PETSC(VecRestoreArray(rhsVec, &rhs));
  MatHandle A;
  SSB_PETSC(MatCreate(m_grid.comm(), A.out()));
  SSB_PETSC(
      MatSetSizes(A, m_nLocal, m_nLocal, static_cast<PetscInt>(m_nGlobal), static_cast<PetscInt>(m_nGlobal)));
  SSB_PETSC(MatSetType(A, MATAIJ));
  // Each call is a no-op unless the type matches (Seq on one rank, MPI otherwise); both assemble A.
  SSB_PETSC(MatSeqAIJSetPreallocationCSR(A, ia.data(), ja.data(), va.data()));
  SSB_PETSC(MatMPIAIJSetPreallocationCSR(A, ia.data(), ja.data(), va.data()));
  SSB_PETSC(MatSetOption(A, MAT_NEW_NONZERO_ALLOCATION_ERR, PETSC_TRUE));
  SSB_PETSC(MatSetOption(A, MAT_SYMMETRIC, PETSC_TRUE));
  SSB_PETSC(MatSetOption(A, MAT_SYMMETRY_ETERNAL, PETSC_TRUE));
  return A;
}

void FluxOperator::assemble(Mat A, Vec b) const {
  PetscScalar* rhs = nullptr;
  SSB_PETSC(VecGetArray(b, &rhs));
  std::exception_ptr err;
  try {
    forEachRow([&](PetscInt me, const Row& row) {
      std::array<PetscInt, 7> cols{};
      std::array<PetscScalar, 7> vals{};
      cols[0] = me;
      vals[0] = row.diag;
      for (int q = 0; q < row.count; ++q) {
        cols[q + 1] = row.cols[q];
        vals[q + 1] = row.vals[q];
      }
      SSB_PETSC(MatSetValues(A, 1, &me, row.count + 1, cols.data(), vals.data(), INSERT_VALUES));
      rhs[me - m_rowStart] = row.rhs;
    });
  } catch (...) {
    err = std::current_exception();
  }
  SSB_PETSC(VecRestoreArray(b, &rhs));
  if (err) std::rethrow_exception(err);  // a local PETSc failure here is a program error on every rank
  SSB_PETSC(MatAssemblyBegin(A, MAT_FINAL_ASSEMBLY));
  SSB_PETSC(MatAssemblyEnd(A, MAT_FINAL_ASSEMBLY));
}

void FluxOperator::assembleRhs(Vec b) const {
  PetscScalar* rhs = nullptr;
  SSB_PETSC(VecGetArray(b, &rhs));
  forEachRow([&](PetscInt me, const Row& row) { rhs[me - m_rowStart] = row.rhs; });
  SSB_PETSC(VecRestoreArray(b, &rhs));
}

VecHandle FluxOperator::toGrid(Vec u) const {
  VecHandle g;
  SSB_PETSC(DMCreateGlobalVector(m_grid.dm(), g.out()));
  std::vector<double> owned(static_cast<size_t>(m_grid.owned().voxels()), 0.0);
  const PetscScalar* ua = nullptr;
  SSB_PETSC(VecGetArrayRead(u, &ua));
  {
    ArrayRead kArr(m_grid.dm(), m_kLocal);
    forBox(m_grid.owned(), [&](const Index3& c) {
      const size_t l = static_cast<size_t>(m_grid.localIndex(c[0], c[1], c[2]));
      const PetscInt me = m_unknown[static_cast<size_t>(ghostOffset(c[0], c[1], c[2]))];
      if (me >= 0) {
        owned[l] = PetscRealPart(ua[me - m_rowStart]);
      } else if (kArr.at(c) > 0.0) {
        const int p = pinnedFace(c[0], c[1], c[2]);
        if (p >= 0) owned[l] = m_bc.value[p];
      }
    });
  }
  SSB_PETSC(VecRestoreArrayRead(u, &ua));
  m_grid.setOwned(g, owned);
  return g;
}

std::vector<double> FluxOperator::potential(Vec u) const {
  VecHandle g = toGrid(u);
  return m_grid.getOwned(g);
}

double FluxOperator::boundaryCurrent(Vec u, int face) const {
  const GhostedSolution sol(m_grid, toGrid(u), m_kLocal);
  const ArrayRead& U = sol.U;
  const StencilView& v = sol.v;
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
    forBox(slab, [&](const Index3& c) {
      const double kc = v.coef(c);
      if (!(kc > 0.0)) return;
      if (m_bc.placement == DirichletPlacement::Face) {
        local += face::boundaryConductance(kc, v.area[a], v.h[a]) * (value - U.at(c));
        return;
      }
      if (pinnedFace(c[0], c[1], c[2]) != face) return;
      Index3 nb = c;
      nb[a] += high ? -1 : 1;
      const double gc = face::faceConductance(kc, v.coef(nb), v.area[a], v.h[a]);
      local += gc * (value - U.at(nb));  // U holds the pinned values too (toGrid)
    });
  }
  double global = 0.0;
  MPI_Allreduce(&local, &global, 1, MPI_DOUBLE, MPI_SUM, m_grid.comm());
  return global;
}

double FluxOperator::dissipation(Vec u) const {
  const GhostedSolution sol(m_grid, toGrid(u), m_kLocal);
  const ArrayRead& U = sol.U;
  const StencilView& v = sol.v;
  double local = 0.0;
  forBox(m_grid.owned(), [&](const Index3& c) {
    const double kc = v.coef(c);
    if (!(kc > 0.0)) return;
    const double uc = U.at(c);
    for (int a = 0; a < 3; ++a) {
      // Every interior and periodic face once (from its low cell); Dirichlet faces of face placement.
      for (int side = -1; side <= 1; side += 2) {
        Index3 nb = c;
        nb[a] += side;
        const bool outside = nb[a] < 0 || nb[a] >= v.n[a];
        if (!outside) {
          if (side < 0) continue;
        } else {
          const int f = faceIndex(a, side > 0);
          const BoundaryKind kind = m_bc.kind[f];
          if (kind == BoundaryKind::Dirichlet) {
            if (m_bc.placement == DirichletPlacement::Face) {
              const double d = uc - m_bc.value[f];
              local += face::boundaryConductance(kc, v.area[a], v.h[a]) * d * d;
            }
            continue;
          }
          if (kind == BoundaryKind::NoFlux || v.n[a] == 1 || side < 0) continue;
        }
        const double gf = face::faceConductance(kc, v.coef(nb), v.area[a], v.h[a]);
        const double d = uc - U.at(nb);
        local += gf * d * d;
      }
    }
  });
  double global = 0.0;
  MPI_Allreduce(&local, &global, 1, MPI_DOUBLE, MPI_SUM, m_grid.comm());
  return global;
}

std::vector<double> FluxOperator::currentDensityMagnitude(Vec u) const {
  const GhostedSolution sol(m_grid, toGrid(u), m_kLocal);
  const ArrayRead& U = sol.U;
  const StencilView& v = sol.v;
  const Box3& box = m_grid.owned();
  std::vector<double> out(static_cast<size_t>(box.voxels()), 0.0);
  forBox(box, [&](const Index3& c) {
    const double kc = v.coef(c);
    if (!(kc > 0.0)) return;
    const double uc = U.at(c);
    double sum2 = 0.0;
    for (int a = 0; a < 3; ++a) {
      // Flux density along +axis through the low (s = 0) and the high (s = 1) face.
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
              const double gb = face::boundaryConductance(kc, v.area[a], v.h[a]);
              j[s] = gb * (side < 0 ? m_bc.value[f] - uc : uc - m_bc.value[f]) / v.area[a];
            } else {
              known[s] = false;  // the pinned layer's outer face: take the inner face's flux
            }
            continue;
          }
          if (kind == BoundaryKind::NoFlux || v.n[a] == 1) continue;
        }
        const double gf = face::faceConductance(kc, v.coef(nb), v.area[a], v.h[a]);
        if (gf == 0.0) continue;
        const double un = U.at(nb);
        j[s] = gf * (side < 0 ? un - uc : uc - un) / v.area[a];
      }
      const double comp = known[0] && known[1] ? 0.5 * (j[0] + j[1]) : known[0] ? j[0] : j[1];
      sum2 += comp * comp;
    }
    out[static_cast<size_t>(m_grid.localIndex(c[0], c[1], c[2]))] = std::sqrt(sum2);
  });
  return out;
}

}  // namespace ssb

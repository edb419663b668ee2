#include "physics/FluxOperator.hpp"

#include <mpi.h>

#include <algorithm>
#include <cmath>
#include <exception>

#include "physics/FaceKernels.hpp"
#include "solver/core/Error.hpp"
#include "solver/core/MpiUtil.hpp"

namespace ssb {

// One matrix row: the diagonal, the right-hand side, and up to 6 off-diagonal couplings by global column.
struct FluxOperator::Row {
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

namespace {

// RAII write access to a Vec's local array (none for a null Vec).
class VecArray {
 public:
  explicit VecArray(Vec v) : m_v(v) {
    if (m_v) SSB_PETSC(VecGetArray(m_v, &m_a));
  }
  ~VecArray() {
    if (m_v) (void)VecRestoreArray(m_v, &m_a);
  }
  VecArray(const VecArray&) = delete;
  VecArray& operator=(const VecArray&) = delete;
  PetscScalar* get() const { return m_a; }

 private:
  Vec m_v;
  PetscScalar* m_a = nullptr;
};

}  // namespace

FluxOperator::FluxOperator(const StructuredGrid& grid, const std::vector<double>& coefficient,
                           const std::vector<uint8_t>& active, const FluxBoundary& boundary,
                           std::shared_ptr<const FaceWeights> weights)
    : m_grid(grid), m_bc(boundary), m_weights(std::move(weights)) {
  const auto& n = grid.geometry().n;
  const size_t nOwned = static_cast<size_t>(grid.owned().voxels());
  // Effective coefficient (0 = inactive) and the mask of the unknowns (active, not pinned), both in local
  // (x fastest) order. Everything that can fail on one rank only is checked here, before the first
  // collective call, and reaches every rank.
  std::vector<double> effective;
  std::vector<std::vector<uint8_t>> unknown(1);
  double kMax = 0.0;
  int64_t activeLocal = 0, pinnedLocal = 0;
  std::exception_ptr err;
  try {
    if (coefficient.size() != nOwned)
      throwRun("FluxOperator: coefficient has {} values, this rank owns {} voxels", coefficient.size(),
               nOwned);
    if (!active.empty() && active.size() != nOwned)
      throwRun("FluxOperator: active mask has {} values, this rank owns {} voxels", active.size(), nOwned);
    validateBoundary(m_bc, n, "FluxOperator");
    if (m_weights && &m_weights->grid() != &grid)
      throwRun("FluxOperator: the face weights belong to another grid");
    if (m_weights && !m_weights->exchanged())
      throwRun(
          "FluxOperator: face weights were changed after FaceWeights::exchange(); call exchange() first");
    effective.assign(nOwned, 0.0);
    unknown[0].assign(nOwned, 0);
    grid.forEachOwned([&](int64_t i, int64_t j, int64_t k, int64_t l64) {
      const size_t l = static_cast<size_t>(l64);
      const double kv = coefficient[l];
      if (!std::isfinite(kv) || kv < 0.0)
        throwRun("FluxOperator: coefficient {} at voxel (x={}, y={}, z={}) is negative or not finite", kv, i,
                 j, k);
      if (!(kv > 0.0) || (!active.empty() && !active[l])) return;
      effective[l] = kv;
      kMax = std::max(kMax, kv);
      ++activeLocal;
      if (pinnedLayerFace(m_bc, n, {i, j, k}) >= 0)
        ++pinnedLocal;
      else
        unknown[0][l] = 1;
    });
  } catch (...) {
    err = std::current_exception();
  }
  rethrowCollective(grid.comm(), err);

  MPI_Allreduce(MPI_IN_PLACE, &kMax, 1, MPI_DOUBLE, MPI_MAX, grid.comm());
  MPI_Allreduce(&activeLocal, &m_activeGlobal, 1, MPI_INT64_T, MPI_SUM, grid.comm());
  MPI_Allreduce(&pinnedLocal, &m_pinnedGlobal, 1, MPI_INT64_T, MPI_SUM, grid.comm());
  // A typical diagonal (an active voxel surrounded by kMax) for isolated voxels: keeps such rows on the
  // same scale as the others (norms, AMG strength of connection).
  const auto& sp = grid.geometry().spacing;
  const double sumG = 2.0 * (sp[1] * sp[2] / sp[0] + sp[0] * sp[2] / sp[1] + sp[0] * sp[1] / sp[2]);
  m_identityDiag = kMax > 0.0 ? kMax * sumG : 1.0;

  DofMapOptions opt;
  opt.who = "FluxOperator";
  m_dofs = std::make_unique<DofMap>(grid, unknown, opt);
  unknown.clear();
  m_k = exchangeGhosts(grid, effective);
  effective = {};
  std::vector<uint8_t> phase(m_k.size());
  for (size_t q = 0; q < m_k.size(); ++q) phase[q] = m_k[q] > 0.0 ? kActive : kInactive;
  m_space = std::make_unique<FaceSpace>(FaceSpace::fromGhosted(grid, std::move(phase)));
  m_faces = std::make_unique<FaceIterator>(*m_space, m_bc, m_weights.get());
}

template <typename F>
void FluxOperator::forEachRow(F&& f) const {
  const FaceIterator& it = *m_faces;
  const DofMap& dofs = *m_dofs;
  Row row;
  it.forEachCell(PhaseSet{kActive}, [&](const Cell& cell) {
    const PetscInt me = dofs.indexAt(0, cell.g);
    if (me < 0) return;  // pinned: not an unknown
    row = Row{};
    const double kc = m_k[cell.g];
    it.forEachFaceOf(cell, [&](const Face& fc) {
      if (fc.kind == FaceKind::NoFlux) return;
      if (fc.kind == FaceKind::Dirichlet) {  // the value sits on the face, half a cell away
        const double g = fc.weight * face::boundaryConductance(kc, fc.area, fc.h);
        row.diag += g;
        row.rhs += g * m_bc.value[static_cast<size_t>(fc.domainFace)];
        return;
      }
      const double g = fc.weight * face::faceConductance(kc, m_k[fc.gb], fc.area, fc.h);
      if (g == 0.0) return;
      row.diag += g;
      const PetscInt col = dofs.indexAt(0, fc.gb);
      if (col >= 0)
        row.addOffDiagonal(col, -g);
      else if (fc.pinnedB >= 0)
        // A pinned neighbour's value moves to the right-hand side, which keeps the matrix symmetric.
        row.rhs += g * m_bc.value[static_cast<size_t>(fc.pinnedB)];
    });
    if (row.diag == 0.0) row.diag = m_identityDiag;  // isolated voxel (no coupling, no boundary): u = 0
    f(me, static_cast<const Row&>(row));
  });
}

VecHandle FluxOperator::createVector() const { return m_dofs->createVector(); }

MatHandle FluxOperator::createMatrix(Vec rhsVec) const {
  VecArray rhs(rhsVec);
  const PetscInt start = m_dofs->rowStart();
  MatrixOptions opt;
  opt.symmetric = true;
  return m_dofs->createMatrix(
      [&](MatrixSink& sink) {
        std::array<PetscInt, 7> cols{};
        std::array<PetscScalar, 7> vals{};
        forEachRow([&](PetscInt me, const Row& row) {
          cols[0] = me;
          vals[0] = row.diag;
          for (int q = 0; q < row.count; ++q) {
            cols[static_cast<size_t>(q) + 1] = row.cols[static_cast<size_t>(q)];
            vals[static_cast<size_t>(q) + 1] = row.vals[static_cast<size_t>(q)];
          }
          sink.add(me, row.count + 1, cols.data(), vals.data());
          if (rhs.get()) rhs.get()[me - start] = row.rhs;
        });
      },
      opt);
}

void FluxOperator::assemble(Mat A, Vec b) const {
  VecArray rhs(b);
  const PetscInt start = m_dofs->rowStart();
  m_dofs->fillMatrix(A, [&](MatrixSink& sink) {
    std::array<PetscInt, 7> cols{};
    std::array<PetscScalar, 7> vals{};
    forEachRow([&](PetscInt me, const Row& row) {
      cols[0] = me;
      vals[0] = row.diag;
      for (int q = 0; q < row.count; ++q) {
        cols[static_cast<size_t>(q) + 1] = row.cols[static_cast<size_t>(q)];
        vals[static_cast<size_t>(q) + 1] = row.vals[static_cast<size_t>(q)];
      }
      sink.add(me, row.count + 1, cols.data(), vals.data());
      rhs.get()[me - start] = row.rhs;
    });
  });
}

void FluxOperator::assembleRhs(Vec b) const {
  VecArray rhs(b);
  const PetscInt start = m_dofs->rowStart();
  forEachRow([&](PetscInt me, const Row& row) { rhs.get()[me - start] = row.rhs; });
}

VecHandle FluxOperator::toGrid(Vec u) const {
  VecHandle g;
  SSB_PETSC(DMCreateGlobalVector(m_grid.dm(), g.out()));
  std::vector<double> owned(static_cast<size_t>(m_grid.owned().voxels()), 0.0);
  const PetscScalar* ua = nullptr;
  SSB_PETSC(VecGetArrayRead(u, &ua));
  const GhostBox& box = m_dofs->box();
  const PetscInt start = m_dofs->rowStart();
  const auto& n = m_grid.geometry().n;
  m_grid.forEachOwned([&](int64_t i, int64_t j, int64_t k, int64_t l) {
    const size_t gc = box.offset(i, j, k);
    const PetscInt me = m_dofs->indexAt(0, gc);
    if (me >= 0) {
      owned[static_cast<size_t>(l)] = PetscRealPart(ua[me - start]);
    } else if (m_k[gc] > 0.0) {
      const int p = pinnedLayerFace(m_bc, n, {i, j, k});
      if (p >= 0) owned[static_cast<size_t>(l)] = m_bc.value[static_cast<size_t>(p)];
    }
  });
  SSB_PETSC(VecRestoreArrayRead(u, &ua));
  m_grid.setOwned(g, owned);
  return g;
}

std::vector<double> FluxOperator::potential(Vec u) const {
  VecHandle g = toGrid(u);
  return m_grid.getOwned(g);
}

double FluxOperator::boundaryCurrent(Vec u, int face) const {
  const GhostedValues U = m_dofs->ghostValues(u);
  const auto& n = m_grid.geometry().n;
  const int a = face / 2;
  const bool high = face % 2 == 1;
  double local = 0.0;
  if (m_bc.kind[static_cast<size_t>(face)] == BoundaryKind::Dirichlet) {
    const double value = m_bc.value[static_cast<size_t>(face)];
    const bool pinned = m_bc.placement == DirichletPlacement::PinnedLayer;
    // Face placement: the domain face of the boundary layer. Pinned: the faces between the pinned layer and
    // the next one inward, visited from their low voxel.
    Box3 slab;
    slab.lo = {0, 0, 0};
    slab.size = n;
    slab.lo[a] = !high ? 0 : pinned ? n[a] - 2 : n[a] - 1;
    slab.size[a] = 1;
    m_faces->forEachFace(
        FaceVisit::Once, PhaseSet{kActive},
        [&](const Face& f) {
          if (f.axis != a) return;
          const double ka = m_k[f.ga];
          if (!pinned) {
            if (f.kind == FaceKind::Dirichlet && f.domainFace == face)
              local += f.weight * face::boundaryConductance(ka, f.area, f.h) * (value - U.at(0, f.ga));
            return;
          }
          if (f.kind != FaceKind::PinnedNeighbour || f.side < 0) return;
          const double g = f.weight * face::faceConductance(ka, m_k[f.gb], f.area, f.h);
          if (!high && f.pinnedA == face && f.pinnedB != face)
            local += g * (value - valueAt(U, f.gb, f.pinnedB));
          else if (high && f.pinnedB == face && f.pinnedA != face)
            local += g * (value - valueAt(U, f.ga, f.pinnedA));
        },
        &slab);
  }
  double global = 0.0;
  MPI_Allreduce(&local, &global, 1, MPI_DOUBLE, MPI_SUM, m_grid.comm());
  return global;
}

double FluxOperator::dissipation(Vec u) const {
  const GhostedValues U = m_dofs->ghostValues(u);
  double local = 0.0;
  m_faces->forEachFace(FaceVisit::Once, PhaseSet{kActive}, [&](const Face& f) {
    const double ka = m_k[f.ga];  // > 0: both voxels of a visited face are active
    const double ua = valueAt(U, f.ga, f.pinnedA);
    if (f.kind == FaceKind::Dirichlet) {
      const double d = ua - m_bc.value[static_cast<size_t>(f.domainFace)];
      local += f.weight * face::boundaryConductance(ka, f.area, f.h) * d * d;
      return;
    }
    if (!isTwoSided(f.kind)) return;
    const double gf = f.weight * face::faceConductance(ka, m_k[f.gb], f.area, f.h);
    const double d = ua - valueAt(U, f.gb, f.pinnedB);
    local += gf * d * d;
  });
  double global = 0.0;
  MPI_Allreduce(&local, &global, 1, MPI_DOUBLE, MPI_SUM, m_grid.comm());
  return global;
}

std::vector<double> FluxOperator::currentDensityMagnitude(Vec u) const {
  const GhostedValues U = m_dofs->ghostValues(u);
  std::vector<double> out(static_cast<size_t>(m_grid.owned().voxels()), 0.0);
  const FaceIterator& it = *m_faces;
  it.forEachCell(PhaseSet{kActive}, [&](const Cell& cell) {
    const double kc = m_k[cell.g];
    const double uc = valueAt(U, cell.g, cell.pinned);
    // Flux density along +axis through the low (s = 0) and the high (s = 1) face of each axis.
    std::array<std::array<double, 2>, 3> j{};
    std::array<std::array<bool, 2>, 3> known{};
    for (auto& kn : known) kn = {true, true};
    it.forEachFaceOf(cell, [&](const Face& f) {
      const size_t a = static_cast<size_t>(f.axis), s = f.side < 0 ? 0 : 1;
      if (f.kind == FaceKind::Dirichlet) {
        const double v = m_bc.value[static_cast<size_t>(f.domainFace)];
        const double gb = f.weight * face::boundaryConductance(kc, f.area, f.h);
        j[a][s] = gb * (f.side < 0 ? v - uc : uc - v) / f.area;
        return;
      }
      if (f.kind == FaceKind::NoFlux) {
        // The outer face of a pinned layer: its flux is not defined; take the inner face's flux.
        if (f.domainFace >= 0 && m_bc.kind[static_cast<size_t>(f.domainFace)] == BoundaryKind::Dirichlet)
          known[a][s] = false;
        return;
      }
      const double gf = f.weight * face::faceConductance(kc, m_k[f.gb], f.area, f.h);
      if (gf == 0.0) return;
      const double un = valueAt(U, f.gb, f.pinnedB);
      j[a][s] = gf * (f.side < 0 ? un - uc : uc - un) / f.area;
    });
    double sum2 = 0.0;
    for (size_t a = 0; a < 3; ++a) {
      const double comp = known[a][0] && known[a][1] ? 0.5 * (j[a][0] + j[a][1])
                          : known[a][0]              ? j[a][0]
                                                     : j[a][1];
      sum2 += comp * comp;
    }
    out[static_cast<size_t>(m_grid.localIndex(cell.c[0], cell.c[1], cell.c[2]))] = std::sqrt(sum2);
  });
  return out;
}

}  // namespace ssb

// The Q1 voxel elasticity operator; equations, boundary conditions and units in Elasticity.hpp.
#include "physics/Elasticity.hpp"

#include <mpi.h>
#include <petscdmda.h>

#include <algorithm>
#include <chrono>

#include "solver/core/MpiUtil.hpp"

namespace ssb {

using elastic::ElementMatrix;
using elastic::ElementVector;
using elastic::Mat6;
using elastic::Vec6;

std::string domainFaceName(int face) {
  static const char* names[6] = {"x_minus", "x_plus", "y_minus", "y_plus", "z_minus", "z_plus"};
  return names[face];
}

const char* faceConditionName(FaceCondition c) {
  switch (c) {
    case FaceCondition::Free:
      return "free";
    case FaceCondition::Fixed:
      return "fixed";
    case FaceCondition::Roller:
      return "roller";
    case FaceCondition::Traction:
      return "traction";
    case FaceCondition::Displacement:
      return "displacement";
  }
  return "";
}

namespace {
using NullSpaceHandle = PetscHandle<MatNullSpace, MatNullSpaceDestroy>;

int64_t allreduceSum(MPI_Comm comm, int64_t x) {
  int64_t s = 0;
  MPI_Allreduce(&x, &s, 1, MPI_INT64_T, MPI_SUM, comm);
  return s;
}
}  // namespace

ElasticOperator::ElasticOperator(const StructuredGrid& grid, std::vector<int> material,
                                 std::vector<elastic::Mat6> stiffness, ElasticBoundary bc)
    : m_grid(grid), m_material(std::move(material)), m_stiffness(std::move(stiffness)), m_bc(std::move(bc)) {
  const VoxelGrid& g = grid.geometry();
  if (m_material.size() != static_cast<size_t>(grid.owned().voxels()))
    throwRun("ElasticOperator: {} material entries for {} owned voxels", m_material.size(),
             grid.owned().voxels());
  m_h = {g.spacing[0], g.spacing[1], g.spacing[2]};
  m_dm = grid.createNodeDM(3, m_bc.periodic);
  PetscInt lo[3], sz[3];
  SSB_PETSC(DMDAGetGhostCorners(m_dm, &lo[0], &lo[1], &lo[2], &sz[0], &sz[1], &sz[2]));
  for (int a = 0; a < 3; ++a) {
    m_ghostLo[a] = lo[a];
    m_ghostSize[a] = sz[a];
  }
  SSB_PETSC(DMDAGetCorners(m_dm, &lo[0], &lo[1], &lo[2], &sz[0], &sz[1], &sz[2]));
  for (int a = 0; a < 3; ++a) {
    m_nodeLo[a] = lo[a];
    m_nodeSize[a] = sz[a];
    m_nodes[a] = g.n[a] + (m_bc.periodic[a] ? 0 : 1);
  }
  m_Bc = elastic::centreStrainMatrix(m_h);
  m_Ke.reserve(m_stiffness.size());
  double diag = 0.0;
  for (const auto& C : m_stiffness) {
    m_Ke.push_back(elastic::elementStiffness(C, m_h));
    double d = 0.0;
    for (int i = 0; i < 24; ++i) d += m_Ke.back()[static_cast<size_t>(i * 25)];
    diag = std::max(diag, d / 24.0);
  }
  m_diagonal = diag > 0.0 ? diag : 1.0;

  // Which owned nodes are touched by a load-carrying voxel (of any rank): count on the ghosted local vector,
  // then add the ghost contributions into the owners.
  {
    VecHandle loc, glob;
    SSB_PETSC(DMCreateLocalVector(m_dm, loc.out()));
    SSB_PETSC(DMCreateGlobalVector(m_dm, glob.out()));
    SSB_PETSC(VecSet(loc, 0.0));
    PetscScalar* a = nullptr;
    SSB_PETSC(VecGetArray(loc, &a));
    grid.forEachOwned([&](int64_t i, int64_t j, int64_t k, int64_t l) {
      if (m_material[static_cast<size_t>(l)] < 0) return;
      for (int m = 0; m < 8; ++m)
        a[3 * localNode(i + (m & 1), j + ((m >> 1) & 1), k + ((m >> 2) & 1))] += 1.0;
    });
    SSB_PETSC(VecRestoreArray(loc, &a));
    SSB_PETSC(VecSet(glob, 0.0));
    SSB_PETSC(DMLocalToGlobal(m_dm, loc, ADD_VALUES, glob));
    const PetscScalar* ga = nullptr;
    SSB_PETSC(VecGetArrayRead(glob, &ga));
    const int64_t nOwnedNodes = m_nodeSize[0] * m_nodeSize[1] * m_nodeSize[2];
    m_nodeActive.assign(static_cast<size_t>(nOwnedNodes), 0);
    int64_t active = 0;
    for (int64_t n = 0; n < nOwnedNodes; ++n)
      if (ga[3 * n] > 0.0) {
        m_nodeActive[static_cast<size_t>(n)] = 1;
        ++active;
      }
    SSB_PETSC(VecRestoreArrayRead(glob, &ga));
    m_unknowns = 3 * allreduceSum(grid.comm(), active);
  }

  // Traction faces: the load-carrying area on each, so that the force is p times the face area.
  for (int face = 0; face < 6; ++face) {
    const int a = face / 2;
    if (m_bc.periodic[a] || m_bc.faces[static_cast<size_t>(face)] != FaceCondition::Traction) continue;
    const int64_t layer = (face % 2) ? g.n[a] - 1 : 0;
    int64_t count = 0;
    grid.forEachOwned([&](int64_t i, int64_t j, int64_t k, int64_t l) {
      const int64_t idx[3] = {i, j, k};
      if (idx[a] == layer && m_material[static_cast<size_t>(l)] >= 0) ++count;
    });
    count = allreduceSum(grid.comm(), count);
    const int64_t total = g.n[(a + 1) % 3] * g.n[(a + 2) % 3];
    m_tractionScale[static_cast<size_t>(face)] =
        count > 0 ? static_cast<double>(total) / static_cast<double>(count) : 0.0;
  }

  // Dirichlet rows of the owned nodes: face conditions and pins.
  {
    ISLocalToGlobalMapping ltog = nullptr;
    SSB_PETSC(DMGetLocalToGlobalMapping(m_dm, &ltog));
    auto globalRow = [&](int64_t i, int64_t j, int64_t k, int c) {
      PetscInt local = static_cast<PetscInt>(localNode(i, j, k)), global = 0;
      SSB_PETSC(ISLocalToGlobalMappingApplyBlock(ltog, 1, &local, &global));
      return 3 * global + c;
    };
    for (int64_t k = m_nodeLo[2]; k < m_nodeLo[2] + m_nodeSize[2]; ++k)
      for (int64_t j = m_nodeLo[1]; j < m_nodeLo[1] + m_nodeSize[1]; ++j)
        for (int64_t i = m_nodeLo[0]; i < m_nodeLo[0] + m_nodeSize[0]; ++i) {
          const int64_t idx[3] = {i, j, k};
          std::array<bool, 3> held{false, false, false};
          std::array<double, 3> sign{0, 0, 0};
          for (int a = 0; a < 3; ++a) {
            if (m_bc.periodic[a]) continue;
            for (int plus = 0; plus < 2; ++plus) {
              if (idx[a] != (plus ? g.n[a] : 0)) continue;
              switch (m_bc.faces[static_cast<size_t>(domainFace(a, plus))]) {
                case FaceCondition::Fixed:
                  held = {true, true, true};
                  break;
                case FaceCondition::Roller:
                  held[static_cast<size_t>(a)] = true;
                  break;
                case FaceCondition::Displacement:
                  held[static_cast<size_t>(a)] = true;
                  sign[static_cast<size_t>(a)] = plus ? 1.0 : -1.0;
                  break;
                default:
                  break;
              }
            }
          }
          for (const auto& p : m_bc.pins)
            if (p.node[0] == i && p.node[1] == j && p.node[2] == k)
              held[static_cast<size_t>(p.component)] = true;
          for (int c = 0; c < 3; ++c)
            if (held[static_cast<size_t>(c)]) {
              m_dirichletRows.push_back(globalRow(i, j, k, c));
              m_dirichletSign.push_back(sign[static_cast<size_t>(c)]);
            }
        }
  }

  // Preallocated, not filled with zeros: filling the 27-block stencil row by row took 14 s of an 83 s solve
  // at 128^3. The element loop inserts every nonzero there is (the blocks of pore-only nodes stay out), the
  // same pattern on every assembly (the elements are fixed; cracks change values only). The DMDA marks such a
  // matrix MAT_SORTED_FULL (each MatSetValues a whole sorted row), which element insertion is not: without
  // unsetting it, each row kept one element's columns.
  SSB_PETSC(DMSetMatrixPreallocateOnly(m_dm, PETSC_TRUE));
  SSB_PETSC(DMCreateMatrix(m_dm, m_A.out()));
  SSB_PETSC(MatSetOption(m_A, MAT_SORTED_FULL, PETSC_FALSE));
  // Rigid-body modes from the node coordinates: the near-null space smoothed aggregation builds on.
  Vec coords = nullptr;
  SSB_PETSC(DMGetCoordinates(m_dm, &coords));
  NullSpaceHandle nsp;
  SSB_PETSC(MatNullSpaceCreateRigidBody(coords, nsp.out()));
  SSB_PETSC(MatSetNearNullSpace(m_A, nsp));
}

VecHandle ElasticOperator::createVector() const {
  VecHandle v;
  SSB_PETSC(DMCreateGlobalVector(m_dm, v.out()));
  SSB_PETSC(PetscObjectSetName(reinterpret_cast<PetscObject>(v.get()), "displacement"));
  return v;
}

void ElasticOperator::setEigenstrain(std::vector<double> linearStrain) {
  if (!linearStrain.empty() && linearStrain.size() != m_material.size())
    throwRun("ElasticOperator::setEigenstrain: {} values for {} owned voxels", linearStrain.size(),
             m_material.size());
  m_eigenstrain = std::move(linearStrain);
}

void ElasticOperator::setCrackCompliance(const std::vector<std::array<double, 6>>& w) {
  m_crackIndex.clear();
  m_crackedC.clear();
  m_crackedK.clear();
  if (w.empty()) return;
  if (w.size() != m_material.size())
    throwRun("ElasticOperator::setCrackCompliance: {} values for {} owned voxels", w.size(),
             m_material.size());
  m_crackIndex.assign(m_material.size(), -1);
  for (size_t l = 0; l < w.size(); ++l) {
    if (m_material[l] < 0) continue;
    if (std::all_of(w[l].begin(), w[l].end(), [](double x) { return x == 0.0; })) continue;
    m_crackIndex[l] = static_cast<int32_t>(m_crackedC.size());
    m_crackedC.push_back(elastic::crackedStiffness(m_stiffness[static_cast<size_t>(m_material[l])], w[l]));
    m_crackedK.push_back(elastic::elementStiffness(m_crackedC.back(), m_h));
  }
}

const Mat6& ElasticOperator::voxelStiffness(size_t l) const {
  if (!m_crackIndex.empty() && m_crackIndex[l] >= 0) return m_crackedC[static_cast<size_t>(m_crackIndex[l])];
  return m_stiffness[static_cast<size_t>(m_material[l])];
}

const ElementMatrix& ElasticOperator::elementMatrix(size_t l) const {
  if (!m_crackIndex.empty() && m_crackIndex[l] >= 0) return m_crackedK[static_cast<size_t>(m_crackIndex[l])];
  return m_Ke[static_cast<size_t>(m_material[l])];
}

void ElasticOperator::assemble(const ElasticLoad& load, Vec b, Vec u) {
  const VoxelGrid& g = m_grid.geometry();
  const double volume = g.voxelVolume();
  SSB_PETSC(MatZeroEntries(m_A));
  VecHandle bLoc;
  SSB_PETSC(DMCreateLocalVector(m_dm, bLoc.out()));
  SSB_PETSC(VecSet(bLoc, 0.0));
  PetscScalar* fb = nullptr;
  SSB_PETSC(VecGetArray(bLoc, &fb));
  const bool eig = load.eigenstrainFactor != 0.0 && !m_eigenstrain.empty();
  std::array<double, 3> jump{};
  for (int a = 0; a < 3; ++a) jump[a] = m_bc.periodic[a] ? g.length(a) * load.macroStrain[a] : 0.0;
  std::exception_ptr err;
  try {
    m_grid.forEachOwned([&](int64_t i, int64_t j, int64_t k, int64_t l) {
      const size_t lv = static_cast<size_t>(l);
      if (m_material[lv] < 0) return;
      const int64_t idx[3] = {i, j, k};
      const ElementMatrix& Ke = elementMatrix(lv);
      PetscInt nodes[8];
      for (int m = 0; m < 8; ++m)
        nodes[m] = static_cast<PetscInt>(localNode(i + (m & 1), j + ((m >> 1) & 1), k + ((m >> 2) & 1)));
      ElementVector f{};
      if (eig && m_eigenstrain[lv] != 0.0) {
        const double e = m_eigenstrain[lv] * load.eigenstrainFactor;
        f = elastic::eigenstrainLoad(m_Bc, voxelStiffness(lv), {e, e, e, 0, 0, 0}, volume);
      }
      // Elements across a periodic face: the wrapped nodes carry the affine shift L_a E_aa e_a.
      ElementVector shift{};
      bool shifted = false;
      for (int a = 0; a < 3; ++a)
        if (jump[a] != 0.0 && idx[a] == g.n[a] - 1)
          for (int m = 0; m < 8; ++m)
            if ((m >> a) & 1) {
              shift[static_cast<size_t>(3 * m + a)] += jump[a];
              shifted = true;
            }
      if (shifted)
        for (int r = 0; r < 24; ++r) {
          double s = 0.0;
          for (int c = 0; c < 24; ++c)
            s += Ke[static_cast<size_t>(r * 24 + c)] * shift[static_cast<size_t>(c)];
          f[static_cast<size_t>(r)] -= s;
        }
      // Stack pressure on traction faces: a uniform traction gives A_f / 4 to each of the 4 face nodes.
      for (int a = 0; a < 3; ++a) {
        if (m_bc.periodic[a]) continue;
        const double area = g.spacing[(a + 1) % 3] * g.spacing[(a + 2) % 3];
        for (int plus = 0; plus < 2; ++plus) {
          const int face = domainFace(a, plus);
          if (m_bc.faces[static_cast<size_t>(face)] != FaceCondition::Traction) continue;
          if (idx[a] != (plus ? g.n[a] - 1 : 0)) continue;
          const double t =
              (plus ? -1.0 : 1.0) * m_bc.pressure * load.factor * m_tractionScale[static_cast<size_t>(face)];
          for (int m = 0; m < 8; ++m)
            if (((m >> a) & 1) == plus) f[static_cast<size_t>(3 * m + a)] += t * area / 4.0;
        }
      }
      SSB_PETSC(MatSetValuesBlockedLocal(m_A, 8, nodes, 8, nodes, Ke.data(), ADD_VALUES));
      for (int m = 0; m < 8; ++m)
        for (int c = 0; c < 3; ++c) fb[3 * nodes[m] + c] += f[static_cast<size_t>(3 * m + c)];
    });
    // Nodes no load-carrying voxel touches: decoupled diagonal rows with zero right-hand side (they are not
    // unknowns, and nothing reads them: post-processing runs over load-carrying elements). The diagonal is
    // kInactiveRowScale times a solid element's, not a solid's own: a Galerkin coarse operator P^T A P adds
    // these rows to every coarse node whose interpolation reaches into a pore, where at full size they act
    // as springs to the ground that the pore does not have (measured: 41 -> 17 CG iterations at 64^3,
    // docs/benchmarks.md).
    const double dg = m_diagonal * kInactiveRowScale;
    const double one[9] = {dg, 0, 0, 0, dg, 0, 0, 0, dg};
    size_t n = 0;
    for (int64_t k = m_nodeLo[2]; k < m_nodeLo[2] + m_nodeSize[2]; ++k)
      for (int64_t j = m_nodeLo[1]; j < m_nodeLo[1] + m_nodeSize[1]; ++j)
        for (int64_t i = m_nodeLo[0]; i < m_nodeLo[0] + m_nodeSize[0]; ++i, ++n)
          if (!m_nodeActive[n]) {
            PetscInt row = static_cast<PetscInt>(localNode(i, j, k));
            SSB_PETSC(MatSetValuesBlockedLocal(m_A, 1, &row, 1, &row, one, ADD_VALUES));
          }
  } catch (...) {
    err = std::current_exception();
  }
  SSB_PETSC(VecRestoreArray(bLoc, &fb));
  rethrowCollective(m_grid.comm(), err);  // before the collective assembly, so no rank waits there alone
  SSB_PETSC(MatAssemblyBegin(m_A, MAT_FINAL_ASSEMBLY));
  SSB_PETSC(MatAssemblyEnd(m_A, MAT_FINAL_ASSEMBLY));
  SSB_PETSC(VecSet(b, 0.0));
  SSB_PETSC(DMLocalToGlobal(m_dm, bLoc, ADD_VALUES, b));

  // Dirichlet rows: u = prescribed there; the columns are eliminated into b so the matrix stays symmetric.
  SSB_PETSC(VecSet(u, 0.0));
  std::vector<PetscScalar> values(m_dirichletRows.size());
  for (size_t r = 0; r < values.size(); ++r) values[r] = m_dirichletSign[r] * m_bc.displacement * load.factor;
  if (!values.empty())
    SSB_PETSC(VecSetValues(u, static_cast<PetscInt>(values.size()), m_dirichletRows.data(), values.data(),
                           INSERT_VALUES));
  SSB_PETSC(VecAssemblyBegin(u));
  SSB_PETSC(VecAssemblyEnd(u));
  SSB_PETSC(MatZeroRowsColumns(m_A, static_cast<PetscInt>(m_dirichletRows.size()), m_dirichletRows.data(),
                               m_diagonal, u, b));
}

LinearSolveResult ElasticOperator::solve(const ElasticLoad& load, Vec u, double rtol,
                                         const std::string& prefix, const std::string& who) {
  const auto t0 = std::chrono::steady_clock::now();
  VecHandle b;
  SSB_PETSC(VecDuplicate(u, b.out()));
  assemble(load, b, u);
  m_assemblySeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return solveLinear(m_A, b, u, SystemKind::Elasticity, prefix, rtol, who, m_dm.get());
}

ElasticOperator::MatrixInfo ElasticOperator::matrixInfo() const {
  MatInfo info;
  SSB_PETSC(MatGetInfo(m_A, MAT_GLOBAL_SUM, &info));
  MatrixInfo r;
  r.nonzeros = info.nz_used;
  r.nodes = static_cast<double>(m_nodes[0] * m_nodes[1] * m_nodes[2]);
  // AIJ storage with 32-bit indices: a value (8 B) and a column index (4 B) per allocated nonzero, a row
  // pointer (4 B) per row. (MatInfo's `memory` is only filled with PETSc's malloc logging.)
  r.bytes = 12.0 * info.nz_allocated + 4.0 * 3.0 * r.nodes;
  return r;
}

template <typename F>
void ElasticOperator::forEachElement(Vec u, const ElasticLoad& load, F&& f) const {
  const VoxelGrid& g = m_grid.geometry();
  VecHandle loc;
  SSB_PETSC(DMCreateLocalVector(m_dm, loc.out()));
  SSB_PETSC(DMGlobalToLocal(m_dm, u, INSERT_VALUES, loc));
  const PetscScalar* a = nullptr;
  SSB_PETSC(VecGetArrayRead(loc, &a));
  std::array<double, 3> jump{};
  for (int ax = 0; ax < 3; ++ax) jump[ax] = m_bc.periodic[ax] ? g.length(ax) * load.macroStrain[ax] : 0.0;
  m_grid.forEachOwned([&](int64_t i, int64_t j, int64_t k, int64_t l) {
    if (m_material[static_cast<size_t>(l)] < 0) return;
    const int64_t idx[3] = {i, j, k};
    ElementVector U{};
    for (int m = 0; m < 8; ++m) {
      const int64_t node = localNode(i + (m & 1), j + ((m >> 1) & 1), k + ((m >> 2) & 1));
      for (int c = 0; c < 3; ++c) U[static_cast<size_t>(3 * m + c)] = a[3 * node + c];
      for (int ax = 0; ax < 3; ++ax)
        if (jump[ax] != 0.0 && idx[ax] == g.n[ax] - 1 && ((m >> ax) & 1))
          U[static_cast<size_t>(3 * m + ax)] += jump[ax];
    }
    f(static_cast<size_t>(l), idx, U);
  });
  SSB_PETSC(VecRestoreArrayRead(loc, &a));
}

std::vector<Vec6> ElasticOperator::cellStrain(Vec u, const ElasticLoad& load) const {
  std::vector<Vec6> out(m_material.size(), Vec6{});
  forEachElement(u, load, [&](size_t l, const int64_t*, const ElementVector& U) {
    out[l] = elastic::meanStrain(m_Bc, U);
  });
  return out;
}

std::vector<Vec6> ElasticOperator::cellStress(Vec u, const ElasticLoad& load) const {
  std::vector<Vec6> out(m_material.size(), Vec6{});
  const bool eig = load.eigenstrainFactor != 0.0 && !m_eigenstrain.empty();
  forEachElement(u, load, [&](size_t l, const int64_t*, const ElementVector& U) {
    Vec6 e = elastic::meanStrain(m_Bc, U);
    if (eig)
      for (int c = 0; c < 3; ++c) e[c] -= m_eigenstrain[l] * load.eigenstrainFactor;
    out[l] = elastic::multiply(voxelStiffness(l), e);
  });
  return out;
}

Vec6 ElasticOperator::meanStress(const std::vector<Vec6>& stress) const {
  Vec6 s{};
  for (const auto& v : stress)
    for (int c = 0; c < 6; ++c) s[c] += v[c];
  MPI_Allreduce(MPI_IN_PLACE, s.data(), 6, MPI_DOUBLE, MPI_SUM, m_grid.comm());
  const double n = static_cast<double>(m_grid.geometry().voxels());
  for (auto& c : s) c /= n;
  return s;
}

std::vector<std::array<double, 3>> ElasticOperator::cellDisplacement(Vec u, const ElasticLoad& load) const {
  std::vector<std::array<double, 3>> out(m_material.size(), std::array<double, 3>{0, 0, 0});
  forEachElement(u, load, [&](size_t l, const int64_t*, const ElementVector& U) {
    for (int m = 0; m < 8; ++m)
      for (int c = 0; c < 3; ++c) out[l][static_cast<size_t>(c)] += U[static_cast<size_t>(3 * m + c)] / 8.0;
  });
  return out;
}

double ElasticOperator::faceReaction(Vec u, const ElasticLoad& load, int face) const {
  const VoxelGrid& g = m_grid.geometry();
  const int a = face / 2;
  const int plus = face % 2;
  const double volume = g.voxelVolume();
  const bool eig = load.eigenstrainFactor != 0.0 && !m_eigenstrain.empty();
  double force = 0.0;
  forEachElement(u, load, [&](size_t l, const int64_t* idx, const ElementVector& U) {
    if (idx[a] != (plus ? g.n[a] - 1 : 0)) return;
    const ElementMatrix& Ke = elementMatrix(l);
    ElementVector f{};
    if (eig && m_eigenstrain[l] != 0.0) {
      const double e = m_eigenstrain[l] * load.eigenstrainFactor;
      f = elastic::eigenstrainLoad(m_Bc, voxelStiffness(l), {e, e, e, 0, 0, 0}, volume);
    }
    for (int m = 0; m < 8; ++m) {
      if (((m >> a) & 1) != plus) continue;
      const int r = 3 * m + a;
      double s = -f[static_cast<size_t>(r)];
      for (int c = 0; c < 24; ++c) s += Ke[static_cast<size_t>(r * 24 + c)] * U[static_cast<size_t>(c)];
      force += s;
    }
  });
  MPI_Allreduce(MPI_IN_PLACE, &force, 1, MPI_DOUBLE, MPI_SUM, m_grid.comm());
  return plus ? force : -force;
}

double ElasticOperator::strainEnergy(Vec u, const ElasticLoad& load) const {
  const double volume = m_grid.geometry().voxelVolume();
  const bool eig = load.eigenstrainFactor != 0.0 && !m_eigenstrain.empty();
  double w = 0.0;
  // Exact for the element: 1/2 U^T K U - U^T f + 1/2 V eps*^T C eps* (the eigenstrain is uniform per voxel).
  forEachElement(u, load, [&](size_t l, const int64_t*, const ElementVector& U) {
    const ElementMatrix& Ke = elementMatrix(l);
    double uku = 0.0;
    for (int r = 0; r < 24; ++r) {
      double s = 0.0;
      for (int c = 0; c < 24; ++c) s += Ke[static_cast<size_t>(r * 24 + c)] * U[static_cast<size_t>(c)];
      uku += U[static_cast<size_t>(r)] * s;
    }
    w += 0.5 * uku;
    if (eig && m_eigenstrain[l] != 0.0) {
      const double e = m_eigenstrain[l] * load.eigenstrainFactor;
      const Vec6 es{e, e, e, 0, 0, 0};
      const ElementVector f = elastic::eigenstrainLoad(m_Bc, voxelStiffness(l), es, volume);
      for (int r = 0; r < 24; ++r) w -= U[static_cast<size_t>(r)] * f[static_cast<size_t>(r)];
      const Vec6 s = elastic::multiply(voxelStiffness(l), es);
      for (int c = 0; c < 6; ++c) w += 0.5 * volume * es[c] * s[c];
    }
  });
  MPI_Allreduce(MPI_IN_PLACE, &w, 1, MPI_DOUBLE, MPI_SUM, m_grid.comm());
  return w;
}

}  // namespace ssb

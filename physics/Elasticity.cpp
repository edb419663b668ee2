// The Q1 voxel elasticity operator; equations, boundary conditions and units in Elasticity.hpp.
#include "physics/Elasticity.hpp"

#include <mpi.h>
#include <petscdmda.h>

#include <algorithm>
#include <chrono>
#include <utility>

#include "physics/SlenderParts.hpp"
#include "solver/core/Log.hpp"
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

  // Which owned nodes are touched by a load-carrying voxel (of any rank).
  m_nodeActive = ownedNodesOf([&](size_t l) { return m_material[l] >= 0; });
  int64_t active = 0;
  for (uint8_t a : m_nodeActive) active += a;
  m_unknowns = 3 * allreduceSum(grid.comm(), active);

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

namespace {
// Global node index of corner m (bit a: upper along axis a) of the element with lower corner e, on a node
// grid with `nodes` nodes per axis: a periodic axis wraps its last element's upper corner to node 0.
void elementCorner(const int64_t e[3], int m, const std::array<bool, 3>& periodic,
                   const std::array<int64_t, 3>& nodes, int64_t out[3]) {
  for (int a = 0; a < 3; ++a) {
    out[a] = e[a] + ((m >> a) & 1);
    if (periodic[static_cast<size_t>(a)]) out[a] %= nodes[static_cast<size_t>(a)];
  }
}
}  // namespace

unsigned ElasticOperator::heldComponents(const int64_t idx[3], std::array<double, 3>* sign) const {
  unsigned held = 0;
  for (int a = 0; a < 3; ++a) {
    if (m_bc.periodic[static_cast<size_t>(a)]) continue;
    for (int plus = 0; plus < 2; ++plus) {
      if (idx[a] != (plus ? m_nodes[static_cast<size_t>(a)] - 1 : 0)) continue;
      switch (m_bc.faces[static_cast<size_t>(domainFace(a, plus))]) {
        case FaceCondition::Fixed:
          held = 7u;
          break;
        case FaceCondition::Roller:
          held |= 1u << a;
          break;
        case FaceCondition::Displacement:
          held |= 1u << a;
          if (sign) (*sign)[static_cast<size_t>(a)] = plus ? 1.0 : -1.0;
          break;
        default:
          break;
      }
    }
  }
  for (const auto& p : m_bc.pins)
    if (p.node[0] == idx[0] && p.node[1] == idx[1] && p.node[2] == idx[2]) held |= 1u << p.component;
  return held;
}

uint32_t ElasticOperator::elementHeldMask(int64_t i, int64_t j, int64_t k) const {
  const int64_t idx[3] = {i, j, k};
  bool inside = m_bc.pins.empty();
  for (int a = 0; a < 3 && inside; ++a)
    inside = m_bc.periodic[static_cast<size_t>(a)] ||
             (idx[a] > 0 && idx[a] + 1 < m_nodes[static_cast<size_t>(a)] - 1);
  if (inside) return 0;
  uint32_t mask = 0;
  for (int m = 0; m < 8; ++m) {
    int64_t node[3];
    elementCorner(idx, m, m_bc.periodic, m_nodes, node);
    mask |= heldComponents(node) << (3 * m);
  }
  return mask;
}

std::array<double, 3> ElasticOperator::rowDiagonal(unsigned held, size_t ownedNode) const {
  const bool active = m_nodeActive[ownedNode] != 0;
  std::array<double, 3> d{0, 0, 0};
  for (int c = 0; c < 3; ++c)
    d[static_cast<size_t>(c)] =
        ((held >> c) & 1u) ? m_diagonal : (active ? 0.0 : m_diagonal * kInactiveRowScale);
  return d;
}

namespace {
// Takes the held components (bit d of `mask`, element dof d) out of an element matrix: zero rows and columns.
void maskElement(ElementMatrix& K, uint32_t mask) {
  for (int d = 0; d < 24; ++d) {
    if (!((mask >> d) & 1u)) continue;
    for (int e = 0; e < 24; ++e) {
      K[static_cast<size_t>(d * 24 + e)] = 0.0;
      K[static_cast<size_t>(e * 24 + d)] = 0.0;
    }
  }
}

}  // namespace

void ElasticOperator::assemble(const ElasticLoad& load, Vec b, Vec u) {
  const VoxelGrid& g = m_grid.geometry();
  const double volume = g.voxelVolume();
  const double prescribed = m_bc.displacement * load.factor;
  SSB_PETSC(MatZeroEntries(m_A));
  VecHandle bLoc;
  SSB_PETSC(DMCreateLocalVector(m_dm, bLoc.out()));
  SSB_PETSC(VecSet(bLoc, 0.0));
  PetscScalar* fb = nullptr;
  SSB_PETSC(VecGetArray(bLoc, &fb));
  const bool eig = load.eigenstrainFactor != 0.0 && !m_eigenstrain.empty();
  std::array<double, 3> jump{};
  for (int a = 0; a < 3; ++a) jump[a] = m_bc.periodic[a] ? g.length(a) * load.macroStrain[a] : 0.0;
  std::vector<std::pair<size_t, double>> heldRows;  // owned row of b (local index), its value
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
      // Held components: their columns times the prescribed displacement into f, then out of the matrix.
      const uint32_t mask = elementHeldMask(i, j, k);
      if (mask && prescribed != 0.0)
        for (int m = 0; m < 8; ++m) {
          int64_t node[3];
          elementCorner(idx, m, m_bc.periodic, m_nodes, node);
          std::array<double, 3> sign{0, 0, 0};
          heldComponents(node, &sign);
          for (int c = 0; c < 3; ++c) {
            const int d = 3 * m + c;
            const double value = sign[static_cast<size_t>(c)] * prescribed;
            if (((mask >> d) & 1u) && value != 0.0)
              for (int r = 0; r < 24; ++r)
                f[static_cast<size_t>(r)] -= Ke[static_cast<size_t>(r * 24 + d)] * value;
          }
        }
      if (mask) {
        ElementMatrix Km = Ke;
        maskElement(Km, mask);
        SSB_PETSC(MatSetValuesBlockedLocal(m_A, 8, nodes, 8, nodes, Km.data(), ADD_VALUES));
      } else {
        SSB_PETSC(MatSetValuesBlockedLocal(m_A, 8, nodes, 8, nodes, Ke.data(), ADD_VALUES));
      }
      for (int m = 0; m < 8; ++m)
        for (int c = 0; c < 3; ++c) fb[3 * nodes[m] + c] += f[static_cast<size_t>(3 * m + c)];
    });
    // The diagonal block of every owned node: a solid element's diagonal on held components,
    // kInactiveRowScale times that on nodes no load-carrying voxel touches (decoupled rows with zero
    // right-hand side: not unknowns, and nothing reads them), zero elsewhere. The held rows' right-hand
    // side (diagonal times the prescribed value) is noted here and written once b is assembled.
    size_t n = 0;
    for (int64_t k = m_nodeLo[2]; k < m_nodeLo[2] + m_nodeSize[2]; ++k)
      for (int64_t j = m_nodeLo[1]; j < m_nodeLo[1] + m_nodeSize[1]; ++j)
        for (int64_t i = m_nodeLo[0]; i < m_nodeLo[0] + m_nodeSize[0]; ++i, ++n) {
          const int64_t idx[3] = {i, j, k};
          std::array<double, 3> sign{0, 0, 0};
          const unsigned held = heldComponents(idx, &sign);
          const std::array<double, 3> d = rowDiagonal(held, n);
          const double block[9] = {d[0], 0, 0, 0, d[1], 0, 0, 0, d[2]};
          PetscInt row = static_cast<PetscInt>(localNode(i, j, k));
          SSB_PETSC(MatSetValuesBlockedLocal(m_A, 1, &row, 1, &row, block, ADD_VALUES));
          for (int c = 0; c < 3; ++c)
            if ((held >> c) & 1u)
              heldRows.emplace_back(3 * n + static_cast<size_t>(c),
                                    m_diagonal * sign[static_cast<size_t>(c)] * prescribed);
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
  // Held rows: diagonal times the prescribed value.
  PetscScalar* ba = nullptr;
  SSB_PETSC(VecGetArray(b, &ba));
  for (const auto& [r, value] : heldRows) ba[r] = value;
  SSB_PETSC(VecRestoreArray(b, &ba));
  SSB_PETSC(VecSet(u, 0.0));
}

PetscInt ElasticOperator::CoarseLevel::blockIndex(const int64_t idx[3]) const {
  int r[3];
  for (int a = 0; a < 3; ++a) r[a] = rankOf[static_cast<size_t>(a)][static_cast<size_t>(idx[a])];
  const size_t rank = static_cast<size_t>(r[0] + static_cast<int>(count[0].size()) *
                                                     (r[1] + static_cast<int>(count[1].size()) * r[2]));
  const int64_t local =
      ((idx[2] - start[2][static_cast<size_t>(r[2])]) * count[1][static_cast<size_t>(r[1])] +
       (idx[1] - start[1][static_cast<size_t>(r[1])])) *
          count[0][static_cast<size_t>(r[0])] +
      (idx[0] - start[0][static_cast<size_t>(r[0])]);
  return static_cast<PetscInt>(offset[rank] + local);
}

void ElasticOperator::prepareSolver(const std::string& prefix) {
  m_solver = std::make_unique<LinearSolver>(SystemKind::Elasticity, prefix);
  const int levels = elasticityMultigridLevels(m_dm, prefix);
  // The fine matrix: block AIJ (3x3 blocks) under the own multigrid (measured at 128^3: assembly and
  // products faster, a third less storage, docs/benchmarks.md); point AIJ for a preconditioner the user
  // chose (PETSc 3.18's smoothed aggregation builds its graph from AIJ only).
  // Preallocated, not filled with zeros: filling the 27-block stencil row by row took 14 s of an 83 s solve
  // at 128^3. The element loop inserts every nonzero there is (the blocks of pore-only nodes stay out), the
  // same pattern on every assembly (the elements are fixed; cracks change values only). The DMDA marks such a
  // matrix MAT_SORTED_FULL (each MatSetValues a whole sorted row), which element insertion is not: without
  // unsetting it, each row kept one element's columns.
  SSB_PETSC(DMSetMatType(m_dm, levels >= 3 ? MATBAIJ : MATAIJ));
  SSB_PETSC(DMSetMatrixPreallocateOnly(m_dm, PETSC_TRUE));
  SSB_PETSC(DMCreateMatrix(m_dm, m_A.out()));
  SSB_PETSC(MatSetOption(m_A, MAT_SORTED_FULL, PETSC_FALSE));
  // Rigid-body modes from the node coordinates: the near-null space smoothed aggregation builds on.
  Vec coords = nullptr;
  SSB_PETSC(DMGetCoordinates(m_dm, &coords));
  NullSpaceHandle nsp;
  SSB_PETSC(MatNullSpaceCreateRigidBody(coords, nsp.out()));
  SSB_PETSC(MatSetNearNullSpace(m_A, nsp));
  if (levels < 3) return;
  m_coarse.reserve(static_cast<size_t>(levels - 1));
  DM finer = m_dm;
  for (int l = 1; l < levels; ++l) {
    CoarseLevel lv;
    SSB_PETSC(DMCoarsen(finer, MPI_COMM_NULL, lv.dm.out()));
    SSB_PETSC(DMCreateInterpolation(lv.dm, finer, lv.P.out(), nullptr));
    SSB_PETSC(DMSetMatType(lv.dm, MATAIJ));
    SSB_PETSC(DMSetMatrixPreallocateOnly(lv.dm, PETSC_TRUE));
    SSB_PETSC(DMCreateMatrix(lv.dm, lv.A.out()));
    SSB_PETSC(MatSetOption(lv.A, MAT_SORTED_FULL, PETSC_FALSE));
    PetscInt M[3], procs[3];
    SSB_PETSC(DMDAGetInfo(lv.dm, nullptr, &M[0], &M[1], &M[2], &procs[0], &procs[1], &procs[2], nullptr,
                          nullptr, nullptr, nullptr, nullptr, nullptr));
    const PetscInt* own[3] = {nullptr, nullptr, nullptr};
    SSB_PETSC(DMDAGetOwnershipRanges(lv.dm, &own[0], &own[1], &own[2]));
    for (int a = 0; a < 3; ++a) {
      const size_t ua = static_cast<size_t>(a);
      lv.nodes[ua] = M[a];
      lv.rankOf[ua].assign(static_cast<size_t>(M[a]), 0);
      int64_t first = 0;
      for (PetscInt r = 0; r < procs[a]; ++r) {
        lv.start[ua].push_back(first);
        lv.count[ua].push_back(own[a][r]);
        for (PetscInt q = 0; q < own[a][r]; ++q)
          lv.rankOf[ua][static_cast<size_t>(first + q)] = static_cast<int>(r);
        first += own[a][r];
      }
    }
    int64_t next = 0;
    for (PetscInt rz = 0; rz < procs[2]; ++rz)
      for (PetscInt ry = 0; ry < procs[1]; ++ry)
        for (PetscInt rx = 0; rx < procs[0]; ++rx) {
          lv.offset.push_back(next);
          next += own[0][rx] * own[1][ry] * own[2][rz];
        }
    m_coarse.push_back(std::move(lv));
    finer = m_coarse.back().dm;
  }
  for (int p = 0; p + 1 < levels; ++p) {  // PCMG level p (0 coarsest) is our level levels - 1 - p
    const CoarseLevel& lv = m_coarse[static_cast<size_t>(levels - 2 - p)];
    m_hierarchy.operators.push_back(lv.A.get());
    m_hierarchy.interpolations.push_back(lv.P.get());
  }
  markSlenderParts();
}

template <typename Pred>
std::vector<uint8_t> ElasticOperator::ownedNodesOf(Pred&& voxel) const {
  // Mark the corners of this rank's chosen voxels on the ghosted local vector, then add the ghost marks into
  // the owners: a node is marked by the voxels of every rank.
  VecHandle loc, glob;
  SSB_PETSC(DMCreateLocalVector(m_dm, loc.out()));
  SSB_PETSC(DMCreateGlobalVector(m_dm, glob.out()));
  SSB_PETSC(VecSet(loc, 0.0));
  PetscScalar* a = nullptr;
  SSB_PETSC(VecGetArray(loc, &a));
  m_grid.forEachOwned([&](int64_t i, int64_t j, int64_t k, int64_t l) {
    if (!voxel(static_cast<size_t>(l))) return;
    for (int m = 0; m < 8; ++m) a[3 * localNode(i + (m & 1), j + ((m >> 1) & 1), k + ((m >> 2) & 1))] = 1.0;
  });
  SSB_PETSC(VecRestoreArray(loc, &a));
  SSB_PETSC(VecSet(glob, 0.0));
  SSB_PETSC(DMLocalToGlobal(m_dm, loc, ADD_VALUES, glob));
  const PetscScalar* ga = nullptr;
  SSB_PETSC(VecGetArrayRead(glob, &ga));
  std::vector<uint8_t> marked(static_cast<size_t>(m_nodeSize[0] * m_nodeSize[1] * m_nodeSize[2]), 0);
  for (size_t n = 0; n < marked.size(); ++n) marked[n] = ga[3 * n] > 0.0 ? 1 : 0;
  SSB_PETSC(VecRestoreArrayRead(glob, &ga));
  return marked;
}

void ElasticOperator::markSlenderParts() {
  std::vector<uint8_t> load(m_material.size(), 0);
  for (size_t l = 0; l < load.size(); ++l) load[l] = m_material[l] >= 0 ? 1 : 0;
  const auto t0 = std::chrono::steady_clock::now();
  const SlenderParts parts = findSlenderParts(m_grid, load, m_bc.periodic, kSlenderPartVoxels);
  Log::detail(
      "elasticity: {} slender parts ({} voxels, largest {}) solved exactly in the finest smoother, {} larger "
      "slender clusters left to the multigrid (found in {:.2f} s)",
      parts.parts, parts.voxels, parts.largest, parts.skipped,
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  m_hierarchy.fineBlock.clear();
  m_hierarchy.fineBlockAnywhere = parts.parts > 0;
  if (!m_hierarchy.fineBlockAnywhere) return;
  // The parts' nodes (of any rank's voxels); the owned nodes' unknowns are rows lo + 3 n + c.
  const std::vector<uint8_t> nodes = ownedNodesOf([&](size_t l) { return parts.mask[l] != 0; });
  PetscInt lo = 0;
  SSB_PETSC(MatGetOwnershipRange(m_A, &lo, nullptr));
  for (size_t n = 0; n < nodes.size(); ++n)
    if (nodes[n])
      for (PetscInt c = 0; c < 3; ++c) m_hierarchy.fineBlock.push_back(lo + 3 * static_cast<PetscInt>(n) + c);
}

void ElasticOperator::assembleCoarse() {
  const Box3& own = m_grid.owned();
  const int coarseLevels = static_cast<int>(m_coarse.size());
  // Level l's coarse elements that hold an owned voxel (a box), with this rank's part of their matrices when
  // level l + 1 is built from them.
  std::array<int64_t, 3> prevLo{}, prevSize{};
  std::vector<ElementMatrix> prevK;
  std::vector<uint8_t> prevAny;
  for (int l = 1; l <= coarseLevels; ++l) {
    CoarseLevel& lv = m_coarse[static_cast<size_t>(l - 1)];
    SSB_PETSC(MatZeroEntries(lv.A));
    std::array<int64_t, 3> lo{}, size{}, elements{};
    for (int a = 0; a < 3; ++a) {
      lo[a] = own.lo[a] >> l;
      size[a] = ((own.lo[a] + own.size[a] - 1) >> l) - lo[a] + 1;
      elements[a] = m_bc.periodic[a] ? lv.nodes[a] : lv.nodes[a] - 1;
    }
    const bool keep = l >= 2 && l < coarseLevels;
    std::vector<ElementMatrix> curK;
    std::vector<uint8_t> curAny;
    if (keep) {
      curK.assign(static_cast<size_t>(size[0] * size[1] * size[2]), ElementMatrix{});
      curAny.assign(curK.size(), 0);
    }
    // Levels 1 and 2 from the voxels: Q^T K Q per intact material and position in the coarse element.
    const int n = 1 << l;
    std::vector<ElementMatrix> table;
    if (l <= 2) {
      table.assign(static_cast<size_t>(n * n * n) * m_Ke.size(), ElementMatrix{});
      for (int z = 0; z < n; ++z)
        for (int y = 0; y < n; ++y)
          for (int x = 0; x < n; ++x)
            for (size_t mat = 0; mat < m_Ke.size(); ++mat)
              elastic::addGalerkinChild(m_Ke[mat], l, {x, y, z},
                                        table[static_cast<size_t>((z * n + y) * n + x) * m_Ke.size() + mat]);
    }
    std::exception_ptr err;
    try {
      ElementMatrix K, Km;
      for (int64_t ez = lo[2]; ez < lo[2] + size[2]; ++ez)
        for (int64_t ey = lo[1]; ey < lo[1] + size[1]; ++ey)
          for (int64_t ex = lo[0]; ex < lo[0] + size[0]; ++ex) {
            const int64_t E[3] = {ex, ey, ez};
            K.fill(0.0);
            bool any = false;
            if (l <= 2) {
              // The owned voxels inside E: their (held-masked) element matrices.
              int64_t cLo[3], cHi[3];
              for (int a = 0; a < 3; ++a) {
                cLo[a] = std::max(E[a] << l, own.lo[a]);
                cHi[a] = std::min((E[a] + 1) << l, own.lo[a] + own.size[a]);
              }
              for (int64_t k = cLo[2]; k < cHi[2]; ++k)
                for (int64_t j = cLo[1]; j < cHi[1]; ++j)
                  for (int64_t i = cLo[0]; i < cHi[0]; ++i) {
                    const size_t v = static_cast<size_t>(m_grid.localIndex(i, j, k));
                    if (m_material[v] < 0) continue;
                    any = true;
                    const std::array<int, 3> pos{static_cast<int>(i - (ex << l)),
                                                 static_cast<int>(j - (ey << l)),
                                                 static_cast<int>(k - (ez << l))};
                    const uint32_t mask = elementHeldMask(i, j, k);
                    const bool cracked = !m_crackIndex.empty() && m_crackIndex[v] >= 0;
                    if (mask || cracked) {
                      Km = elementMatrix(v);
                      maskElement(Km, mask);
                      elastic::addGalerkinChild(Km, l, pos, K);
                      continue;
                    }
                    const ElementMatrix& T =
                        table[static_cast<size_t>((pos[2] * n + pos[1]) * n + pos[0]) * m_Ke.size() +
                              static_cast<size_t>(m_material[v])];
                    for (size_t q = 0; q < K.size(); ++q) K[q] += T[q];
                  }
              // The owned nodes E takes the diagonal D of (each node once: the last element along a bounded
              // axis takes the last node plane): P^T D P, with D at node weights w_M w_N per component.
              int64_t nLo[3], nHi[3];
              for (int a = 0; a < 3; ++a) {
                const int64_t last = (E[a] + 1) << l;
                const bool closing = !m_bc.periodic[a] && E[a] == elements[a] - 1;
                nLo[a] = std::max(E[a] << l, m_nodeLo[a]);
                nHi[a] = std::min(closing ? last + 1 : last, m_nodeLo[a] + m_nodeSize[a]);
              }
              for (int64_t k = nLo[2]; k < nHi[2]; ++k)
                for (int64_t j = nLo[1]; j < nHi[1]; ++j)
                  for (int64_t i = nLo[0]; i < nHi[0]; ++i) {
                    const int64_t idx[3] = {i, j, k};
                    const size_t on = static_cast<size_t>(
                        ((k - m_nodeLo[2]) * m_nodeSize[1] + (j - m_nodeLo[1])) * m_nodeSize[0] +
                        (i - m_nodeLo[0]));
                    const std::array<double, 3> d = rowDiagonal(heldComponents(idx), on);
                    if (d[0] == 0.0 && d[1] == 0.0 && d[2] == 0.0) continue;
                    any = true;
                    double w[8];
                    for (int M = 0; M < 8; ++M) {
                      w[M] = 1.0;
                      for (int a = 0; a < 3; ++a) {
                        const double t = static_cast<double>(idx[a] - (E[a] << l)) / n;
                        w[M] *= ((M >> a) & 1) ? t : 1.0 - t;
                      }
                    }
                    for (int M = 0; M < 8; ++M)
                      for (int N = 0; N < 8; ++N)
                        for (int c = 0; c < 3; ++c)
                          K[static_cast<size_t>((3 * M + c) * 24 + 3 * N + c)] +=
                              d[static_cast<size_t>(c)] * w[M] * w[N];
                  }
            } else {
              for (int64_t cz = 2 * ez; cz < 2 * ez + 2; ++cz)
                for (int64_t cy = 2 * ey; cy < 2 * ey + 2; ++cy)
                  for (int64_t cx = 2 * ex; cx < 2 * ex + 2; ++cx) {
                    const int64_t c[3] = {cx - prevLo[0], cy - prevLo[1], cz - prevLo[2]};
                    if (c[0] < 0 || c[1] < 0 || c[2] < 0 || c[0] >= prevSize[0] || c[1] >= prevSize[1] ||
                        c[2] >= prevSize[2])
                      continue;
                    const size_t ci = static_cast<size_t>((c[2] * prevSize[1] + c[1]) * prevSize[0] + c[0]);
                    if (!prevAny[ci]) continue;
                    any = true;
                    elastic::addGalerkinChild(prevK[ci], 1,
                                              {static_cast<int>(cx - 2 * ex), static_cast<int>(cy - 2 * ey),
                                               static_cast<int>(cz - 2 * ez)},
                                              K);
                  }
            }
            if (!any) continue;
            if (keep) {
              const size_t ci =
                  static_cast<size_t>(((ez - lo[2]) * size[1] + (ey - lo[1])) * size[0] + (ex - lo[0]));
              curK[ci] = K;
              curAny[ci] = 1;
            }
            PetscInt idx[8];
            for (int m = 0; m < 8; ++m) {
              int64_t node[3];
              elementCorner(E, m, m_bc.periodic, lv.nodes, node);
              idx[m] = lv.blockIndex(node);
            }
            SSB_PETSC(MatSetValuesBlocked(lv.A, 8, idx, 8, idx, K.data(), ADD_VALUES));
          }
    } catch (...) {
      err = std::current_exception();
    }
    rethrowCollective(m_grid.comm(), err);
    SSB_PETSC(MatAssemblyBegin(lv.A, MAT_FINAL_ASSEMBLY));
    SSB_PETSC(MatAssemblyEnd(lv.A, MAT_FINAL_ASSEMBLY));
    if (keep) {
      prevLo = lo;
      prevSize = size;
      prevK = std::move(curK);
      prevAny = std::move(curAny);
    }
  }
}

LinearSolveResult ElasticOperator::solve(const ElasticLoad& load, Vec u, double rtol,
                                         const std::string& prefix, const std::string& who) {
  const auto t0 = std::chrono::steady_clock::now();
  if (!m_solver) prepareSolver(prefix);
  VecHandle b;
  SSB_PETSC(VecDuplicate(u, b.out()));
  assemble(load, b, u);
  m_assemblySeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  // The coarse operators are part of the preconditioner: rebuilt when it is set up afresh, kept (with the
  // preconditioner) while the solver reuses it.
  auto coarse = [&] {
    if (m_coarse.empty()) return;
    const auto t1 = std::chrono::steady_clock::now();
    assembleCoarse();
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
    m_assemblySeconds += s;
    Log::detail("elasticity: {} coarse levels assembled in {:.2f} s", m_coarse.size(), s);
  };
  Log::detail("elasticity: fine operator assembled in {:.2f} s", m_assemblySeconds);
  return m_solver->solve(m_A, b, u, rtol, who, m_dm.get(), m_hierarchy.levels() ? &m_hierarchy : nullptr,
                         coarse);
}

ElasticOperator::MatrixInfo ElasticOperator::matrixInfo() const {
  MatInfo info;
  SSB_PETSC(MatGetInfo(m_A, MAT_GLOBAL_SUM, &info));
  MatrixInfo r;
  r.nonzeros = info.nz_used;
  r.nodes = static_cast<double>(m_nodes[0] * m_nodes[1] * m_nodes[2]);
  // AIJ storage with 32-bit indices: a value (8 B) and a column index (4 B) per allocated nonzero, a row
  // pointer (4 B) per row. (MatInfo's `memory` is only filled with PETSc's malloc logging.)
  // Block AIJ: a column index per 3x3 block and a row pointer per block row.
  MatType type = nullptr;
  SSB_PETSC(MatGetType(m_A, &type));
  const bool blocked = std::string(type).find("baij") != std::string::npos;
  r.bytes = blocked ? (8.0 + 4.0 / 9.0) * info.nz_allocated + 4.0 * r.nodes
                    : 12.0 * info.nz_allocated + 4.0 * 3.0 * r.nodes;
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

#pragma once
// The Q1 voxel elasticity operator (the one discretisation of div sigma = 0 in ssbvox).
//
// PDE: div sigma = 0 in the load-carrying voxels, sigma = C_v : (eps - eps*_v), eps = sym grad u
//   u [m] displacement; C_v [Pa] the (possibly cracked, see ElasticityKernels.hpp) stiffness of voxel v;
//   eps*_v [-] its isotropic eigenstrain (linear strain e_v, eps* = e_v I).
// Discretisation: one trilinear 8-node hexahedron per load-carrying voxel on the node DMDA of the
// StructuredGrid (3 dof per node, StructuredGrid::createNodeDM). Nodes touched only by voxels that carry
// no load (pores, unsupported solid) are not unknowns: decoupled diagonal rows (kInactiveRowScale times a
// solid element's diagonal) with zero right-hand side; post-processing never reads them.
// Boundary conditions per domain face (the face of a bounded axis):
//   free          sigma n = 0
//   fixed         u = 0
//   roller        u_n = 0, tangential traction 0
//   traction      sigma n = -p_s n on the load-carrying part of the face, p_s = p A_face / A_solid so that
//                 the force is p A_face (stack pressure p [Pa] = force per face area; the piston presses on
//                 solid only)
//   displacement  u_n = delta (outward normal, [m]), tangential traction 0
// Periodic axis a: u(x + L_a e_a) = u(x) + L_a E_aa e_a with a prescribed macroscopic normal strain E_aa
// (periodic fluctuation + affine part; macroscopic shear strains are zero). Implemented on the periodic
// node DMDA: an element that wraps across the periodic face sees its wrapped nodes shifted by L_a E_aa e_a,
// which becomes a right-hand-side term -K_e delta_e.
// `pins` hold single displacement components at 0 at chosen nodes: they remove rigid translations that no
// face condition removes, and do not change stresses.
// Held components enter element by element: their rows and columns are taken out of each element matrix
// (the columns times the prescribed value into the right-hand side) and the row gets a diagonal of a solid
// element's size, so the matrix stays symmetric.
//
// Solver: a LinearSolver kept across solves (the preconditioner, with the coarse operators below, is reused
// while it works). CG + geometric multigrid on the node DMDA where it coarsens (LinearSolve decides,
// elasticityMultigridLevels). The coarse operators are assembled here element by element, not as PETSc's
// matrix products: the DMDA's factor-2 interpolation is trilinear, so each fine element lies in one coarse
// element and P^T A P is the assembly of the coarse element matrices sum_children Q^T K_child Q
// (elastic::addGalerkinChild). Coarse level l takes its element matrices from the voxels' (tabulated per
// material and position for l <= 2, so a coarse element costs one sum per voxel; cracked voxels and voxels
// with held components one by one) or from level l - 1's. The fine matrix's diagonal D on held and pore rows
// is carried down as P^T D P, node by node, so every coarse operator is exactly PETSc's P^T A P (test
// Mechanics.CoarseOperatorsAreGalerkinProducts).
// Units: SI throughout (m, Pa, N).
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "mesh/StructuredGrid.hpp"
#include "physics/ElasticityKernels.hpp"
#include "solver/core/LinearSolve.hpp"
#include "solver/core/PetscUtil.hpp"

namespace ssb {

enum class FaceCondition : uint8_t { Free, Fixed, Roller, Traction, Displacement };

// Domain face index 2 * axis + (plus ? 1 : 0) and its YAML name ("x_minus", ..., "z_plus").
inline int domainFace(int axis, bool plus) { return 2 * axis + (plus ? 1 : 0); }
std::string domainFaceName(int face);
const char* faceConditionName(FaceCondition c);

struct NodePin {
  std::array<int64_t, 3> node{0, 0, 0};  // global node indices (x, y, z)
  int component = 0;                     // displacement component held at 0
};

struct ElasticBoundary {
  std::array<FaceCondition, 6> faces{};  // by domainFace(); faces of periodic axes are ignored
  std::array<bool, 3> periodic{false, false, false};
  double pressure = 0.0;      // [Pa] on traction faces (compressive for p > 0)
  double displacement = 0.0;  // [m] outward normal displacement on displacement faces
  std::vector<NodePin> pins;
};

// What varies between solves on one operator.
struct ElasticLoad {
  double factor = 1.0;                         // multiplies pressure and displacement (load stepping)
  double eigenstrainFactor = 1.0;              // multiplies the voxels' eigenstrains
  std::array<double, 3> macroStrain{0, 0, 0};  // E_aa on periodic axes [-]
};

class ElasticOperator {
 public:
  // Diagonal of the rows of nodes that carry no load, relative to a solid element's mean diagonal. Any
  // positive value gives the same solution (the rows are decoupled); a small one keeps Galerkin coarse
  // operators free of them. Public for the tests.
  static constexpr double kInactiveRowScale = 1e-6;
  // Slender parts up to this many voxels are solved exactly in the finest smoother (measured against 256 and
  // 2000 in docs/mechanics.md, Solver: larger parts cost more in LU fill than they save in iterations).
  static constexpr int64_t kSlenderPartVoxels = 64;

  // Collective. material: per owned voxel (grid.localIndex), an index into `stiffness` or -1 (carries no
  // load). The rigid-body near-null space is attached to the matrix here (it is a property of the operator).
  ElasticOperator(const StructuredGrid& grid, std::vector<int> material, std::vector<elastic::Mat6> stiffness,
                  ElasticBoundary bc);
  ElasticOperator(const ElasticOperator&) = delete;
  ElasticOperator& operator=(const ElasticOperator&) = delete;

  const StructuredGrid& grid() const { return m_grid; }
  DM nodeDM() const { return m_dm.get(); }
  VecHandle createVector() const;  // collective: a global displacement vector
  int64_t unknowns() const { return m_unknowns; }
  const std::vector<int>& material() const { return m_material; }
  const elastic::Mat6& intactStiffness(int material) const {
    return m_stiffness[static_cast<size_t>(material)];
  }
  // Stiffness of owned voxel l (cracked if cracks were set).
  const elastic::Mat6& voxelStiffness(size_t l) const;

  // Not collective. Isotropic linear eigenstrain per owned voxel (empty = none).
  void setEigenstrain(std::vector<double> linearStrain);
  const std::vector<double>& eigenstrain() const { return m_eigenstrain; }
  // Not collective. Crack compliances per owned voxel (w[a] normal, w[3 + a] shear of the crack normal to
  // axis a, [1/Pa]); voxels with all zeros are intact. Empty = all intact.
  void setCrackCompliance(const std::vector<std::array<double, 6>>& w);

  // Collective. Assemble for `load`, solve into u (global vector on nodeDM()).
  LinearSolveResult solve(const ElasticLoad& load, Vec u, double rtol, const std::string& prefix,
                          const std::string& who);
  double lastAssemblySeconds() const { return m_assemblySeconds; }  // fine and coarse operators
  // The multigrid levels below the fine one (coarsest first) of the last solve, with their interpolations;
  // empty when the solve took none. Public for the tests.
  const MultigridHierarchy& multigrid() const { return m_hierarchy; }
  // Collective. The fine matrix of the last solve (held rows and columns taken out). Public for the tests.
  Mat matrix() const { return m_A.get(); }
  // Collective, after a solve. The fine matrix: used nonzeros and bytes of its allocated (block) AIJ storage
  // (all ranks).
  struct MatrixInfo {
    double nonzeros = 0.0, bytes = 0.0, nodes = 0.0;
  };
  MatrixInfo matrixInfo() const;

  // Collective post-processing of a solution u for the load it was solved with (the periodic shifts).
  std::vector<elastic::Vec6> cellStrain(Vec u, const ElasticLoad& load) const;  // element mean strain
  std::vector<elastic::Vec6> cellStress(Vec u,
                                        const ElasticLoad& load) const;      // C_v (eps - eps*); 0 off-load
  elastic::Vec6 meanStress(const std::vector<elastic::Vec6>& stress) const;  // over the whole box [Pa]
  std::vector<std::array<double, 3>> cellDisplacement(Vec u,
                                                      const ElasticLoad& load) const;  // mean of 8 nodes
  // Normal force [N] that the support of a domain face exerts on the body, positive outward (pulling): the
  // sum of the element internal forces at the face's nodes (the mean normal stress on the face times its
  // area).
  double faceReaction(Vec u, const ElasticLoad& load, int face) const;
  // Strain energy 1/2 int (eps - eps*) : C : (eps - eps*) dV [J].
  double strainEnergy(Vec u, const ElasticLoad& load) const;

 private:
  // A level of the multigrid below the fine one.
  struct CoarseLevel {
    DMHandle dm;
    MatHandle A;
    MatHandle P;                     // interpolation to the next finer level
    std::array<int64_t, 3> nodes{};  // global node counts
    // Global (PETSc-ordered) block index of a node: per axis, the rank coordinate owning each node index and
    // the first node and node count of each rank coordinate; the first block index of each rank.
    std::array<std::vector<int>, 3> rankOf;
    std::array<std::vector<int64_t>, 3> start, count;
    std::vector<int64_t> offset;
    PetscInt blockIndex(const int64_t idx[3]) const;
  };

  template <typename F>
  void forEachElement(Vec u, const ElasticLoad& load, F&& f) const;
  void assemble(const ElasticLoad& load, Vec b, Vec u);
  void prepareSolver(const std::string& prefix);  // at the first solve: the solver, matrices and multigrid
  void assembleCoarse();
  // The nodes of slender parts (physics/SlenderParts.hpp) into the multigrid's fineBlock.
  void markSlenderParts();
  // Collective. Per owned node (x fastest over the owned node box): 1 if a voxel of any rank for which
  // voxel(l) holds (l: owned voxel of the calling rank, grid.localIndex) has it as a corner.
  template <typename Pred>
  std::vector<uint8_t> ownedNodesOf(Pred&& voxel) const;
  // Held displacement components (bit c) of node idx (global node indices); `sign` (optional) gets the sign
  // of the prescribed displacement per component.
  unsigned heldComponents(const int64_t idx[3], std::array<double, 3>* sign = nullptr) const;
  // Held element dofs (bit 3 m + c) of the element of voxel (i, j, k).
  uint32_t elementHeldMask(int64_t i, int64_t j, int64_t k) const;
  // The diagonal D that the matrix adds to an owned node (owned-box index ownedNode, held components `held`,
  // heldComponents) besides its elements: a solid element's diagonal on held components, kInactiveRowScale
  // times that on nodes no load-carrying voxel touches, 0 elsewhere.
  std::array<double, 3> rowDiagonal(unsigned held, size_t ownedNode) const;
  const elastic::ElementMatrix& elementMatrix(size_t l) const;
  int64_t localNode(int64_t i, int64_t j, int64_t k) const {
    return ((k - m_ghostLo[2]) * m_ghostSize[1] + (j - m_ghostLo[1])) * m_ghostSize[0] + (i - m_ghostLo[0]);
  }

  const StructuredGrid& m_grid;
  std::vector<int> m_material;
  std::vector<elastic::Mat6> m_stiffness;
  ElasticBoundary m_bc;
  DMHandle m_dm;
  MatHandle m_A;
  std::array<double, 3> m_h{};
  std::array<int64_t, 3> m_ghostLo{}, m_ghostSize{}, m_nodeLo{}, m_nodeSize{}, m_nodes{};
  elastic::StrainMatrix m_Bc{};
  std::vector<elastic::ElementMatrix> m_Ke;  // per material
  std::vector<int32_t> m_crackIndex;         // per owned voxel, -1 intact
  std::vector<elastic::Mat6> m_crackedC;
  std::vector<elastic::ElementMatrix> m_crackedK;
  std::vector<double> m_eigenstrain;
  std::vector<uint8_t> m_nodeActive;        // owned nodes (x fastest over the owned node box)
  std::array<double, 6> m_tractionScale{};  // A_face / A_solid per traction face
  double m_diagonal = 1.0;                  // scale of identity and held rows
  std::vector<CoarseLevel> m_coarse;        // multigrid levels 1 (below the fine one) .. L - 1
  std::unique_ptr<LinearSolver> m_solver;   // kept across solves: the preconditioner is reused while it works
  MultigridHierarchy m_hierarchy;
  double m_assemblySeconds = 0.0;
  int64_t m_unknowns = 0;
};

}  // namespace ssb

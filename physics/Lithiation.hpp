#pragma once
// The 3-D transient lithiation solver (issue 7, spec /work/specs/lithiation-model.md, user docs
// docs/lithiation.md) on the voxel grid.
//
// PDEs (SI units; x [-] = c / c_max, potentials [V], currents [A]):
//   electrolyte E:  -div(kappa grad phi_e) = 0
//   active N:       -div(sigma_s(x) grad phi_s) = 0,   c_max dx/dt = div(c_max D_s(x) grad x)
//   N|E faces:      current density i [A/m^2] from the solid into the electrolyte (Butler-Volmer with the
//                   half-cell face values of physics/Electrochem, InterfaceKinetics::faceCurrent), times the
//                   face area and the face weight w (reacting-area correction, contact fraction).
// Boundaries: current-collector face (default z+): N voxels couple to the global unknown phi_cc through the
// Dirichlet half-cell 2 A / h sigma_s; separator face (the opposite one): phi_e = 0 on the face (half-cell
// 2 A / h kappa); every other face, N|pore, E|pore and *|other face carries nothing (side faces optionally
// periodic). Control row of phi_cc (bordered system): cc  I(u) - I_app = 0, cv  phi_cc + I R_sep +
// eta_ce(I) - V_hold = 0, rest  I(u) = 0, with I(u) = sum over the collector faces of 2 A/h sigma_s w
// (phi_cc - phi_s) [A] (> 0 on charge).
//
// Unknowns (DofMap fields 0 phi_e, 1 phi_s, 2 x; scalar 0 phi_cc): E voxels ionically connected to the
// separator face, N voxels electronically connected to the collector face. The others carry nothing and are
// reported (inactive capacity). Every -div(k grad u) term is assembled face by face through the project's
// FaceIterator with the harmonic face conductances of physics/FaceKernels (the one discretisation).
//
// Scaling (issue 12): potential rows are divided by a reference conductance kappa h (rows in V), x rows by
// c_max V_voxel / t_ref with t_ref = h^2 / D_s(x0) (rows dimensionless), the control row is in V.
#include <array>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "mesh/StudyContext.hpp"
#include "physics/DofMap.hpp"
#include "physics/FaceIterator.hpp"
#include "physics/FaceWeights.hpp"
#include "physics/LithiationParams.hpp"
#include "physics/LithiationProtocol.hpp"
#include "solver/core/Json.hpp"
#include "solver/core/NonlinearSolve.hpp"

namespace ssb {

// One accepted time step (or event) of a run, identical on every rank.
struct LithiationSample {
  double t = 0.0;           // [s]
  double voltage = 0.0;     // V vs Li [V]
  double current = 0.0;     // I [A], > 0 on charge
  double charge = 0.0;      // integral of I dt since the start [C]
  double throughput = 0.0;  // integral of |I| dt since the start [C]
  double meanX = 0.0;       // mean x over the solved active voxels
  double dt = 0.0;          // step size [s]
  int newton = 0, linear = 0;
  size_t step = 0;              // protocol step index
  std::vector<double> profile;  // slice-mean x along the transport axis, separator side first (NaN: no N)
};

struct LithiationRunHooks;  // checkpoints and resume (physics/LithiationCheckpoint.hpp)

struct LithiationRunResult {
  std::vector<LithiationSample> samples;
  std::vector<StepRecord> steps;
  long timeSteps = 0, newtonIterations = 0, linearIterations = 0, rejectedSteps = 0;
  double seconds = 0.0;
};

class LithiationSolver {
 public:
  static constexpr uint8_t kElectrolyte = 0, kActive = 1, kInert = 2;  // FaceSpace phases
  static constexpr int kPhiE = 0, kPhiS = 1, kX = 2;                   // DofMap fields

  // Collective. `labels`: owned labels (grid.localIndex order) of the volume; phases from the case. Masks
  // the unconnected voxels, builds the face weights (setup.interfaceArea) and the numbering. RunError on
  // every rank when the volume cannot carry the study (no active voxel connected to the collector face, no
  // electrolyte voxel on the separator face, no reacting face), naming the study.
  LithiationSolver(const StructuredGrid& grid, const std::vector<uint16_t>& labels, const PhaseMap& phases,
                   const LithiationSetup& setup);

  const DofMap& dofs() const { return *m_dofs; }
  const LithiationSetup& setup() const { return m_setup; }
  double activeVolume() const { return m_activeVolume; }        // all N voxels [m^3]
  double solvedActiveVolume() const { return m_solvedVolume; }  // N voxels with unknowns [m^3]
  double inactiveActiveFraction() const { return 1.0 - m_solvedVolume / m_activeVolume; }
  double unconnectedElectrolyteFraction() const { return m_unconnectedE; }
  double cellArea() const { return m_cellArea; }
  double oneCCurrent() const { return m_setup.oneCCurrent(m_activeVolume); }
  double rawInterfaceArea() const { return m_rawArea; }         // [m^2]
  double correctedInterfaceArea() const { return m_corrArea; }  // sum of A w over the reacting faces [m^2]

  // The control of the phi_cc row.
  void setControl(const StepControl& c) { m_control = c; }

  // Collective. Initial state: x = x0 everywhere, phi_e = 0, phi_s = phi_cc = U(x0).
  VecHandle initialState() const;
  // Collective. F(u, udot) and its Jacobian dF/du + shift dF/dudot (same pattern for every control).
  void residual(Vec u, Vec udot, Vec f) const;
  void jacobian(Vec u, double shift, Mat J) const;
  MatHandle createJacobian(Vec u) const;

  // Collective. Cell quantities of a state.
  double current(Vec u) const;  // I [A]
  double voltage(Vec u) const;  // V vs Li [V]
  double meanX(Vec u) const;    // over the solved active voxels
  double lithium(Vec u) const;  // sum c_max V x [mol]
  std::vector<double> sliceProfile(Vec u) const;
  // Collective. Sum over the reacting faces of i A w [A] (equals I at a converged state).
  double reactionCurrent(Vec u) const;
  // Collective. Reaction current density per active voxel [A/m^3] in grid.localIndex order: the sum of i A w
  // over the voxel's reacting faces divided by the voxel volume (> 0 on charge: current from the solid into
  // the electrolyte), 0 elsewhere. Its volume integral is reactionCurrent(u).
  std::vector<double> reactionCurrentDensity(Vec u) const;

  // Coupling to mechanics (issue 10, physics/LithiationMechanics.hpp). Collective. Li fraction x per owned
  // voxel (grid.localIndex order) of a state: the solved value in solved active voxels, the initial x
  // elsewhere (unsolved voxels never react).
  std::vector<double> ownedLiFraction(Vec u) const;
  // Collective. Contact fraction c in [0, 1] of each owned voxel's +x, +y, +z faces (MechanicsModel::
  // contactFraction layout): every active|electrolyte face carries c times its reacting-area weight from now
  // on (c = 0: debonded, no Butler-Volmer current and no ionic flux crosses it); other faces are unchanged.
  void setContact(const std::vector<std::array<double, 3>>& contact);
  // Collective. Share of the NMC surface (faces between solved active voxels and any non-active voxel, raw
  // voxel face areas) that touches electrolyte, weighted by the contact fraction [-].
  double coverage() const;
  // `update(t, u)` runs at t = 0, every `interval` [s] of simulated time and at the end of every protocol
  // step; it may call setContact. The state is made consistent again after it (as at a step switch).
  void setCoupling(double interval, std::function<void(double t, Vec u)> update) {
    m_couplingInterval = interval;
    m_couplingUpdate = std::move(update);
  }

  // Collective. Run the protocol (ProtocolMachine) from the initial state with PETSc TS; `monitor` sees
  // every accepted step. Writes nothing itself; `hooks` (optional) resume from a checkpoint and write
  // checkpoints (after accepted steps when due, at protocol-step boundaries when due, and at the end).
  LithiationRunResult run(const std::function<void(const LithiationSample&, Vec u)>& monitor = {},
                          const LithiationRunHooks* hooks = nullptr);

 private:
  void emitJacobian(const GhostedValues& U, double I, double shift, MatrixSink& sink) const;
  const StructuredGrid& m_grid;
  LithiationSetup m_setup;
  std::unique_ptr<DofMap> m_dofs;
  std::unique_ptr<FaceSpace> m_space;
  std::unique_ptr<FaceWeights> m_weights;
  std::unique_ptr<FaceIterator> m_faces;
  FluxBoundary m_bc;
  std::unique_ptr<FaceWeights> m_coupledWeights;  // reacting-area weights times the contact fraction
  std::unique_ptr<FaceIterator> m_baseFaces;      // the iterator with the uncoupled weights
  std::vector<std::array<double, 3>> m_contact;   // the last setContact (empty: full contact)
  double m_couplingInterval = 0.0;
  std::function<void(double, Vec)> m_couplingUpdate;
  StepControl m_control;
  double m_activeVolume = 0.0, m_solvedVolume = 0.0, m_unconnectedE = 0.0, m_cellArea = 0.0;
  double m_rawArea = 0.0, m_corrArea = 0.0;
  double m_potScale = 1.0, m_xScale = 1.0, m_ctrlScale = 1.0;
};

// Front of a step (spec section 7) from slice profiles: depth [m] where the profile crosses
// x_a + level (x_b - x_a), first crossing from the separator side; NaN when it does not cross.
double frontCrossing(const std::vector<double>& profile, double h, double xa, double xb, double level);

// The `lithiation` study of `ssbvox run`.
Json runLithiation(const StudyContext& ctx, const Params& study);

}  // namespace ssb

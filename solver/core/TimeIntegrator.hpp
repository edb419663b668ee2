#pragma once
// Implicit time integration of F(t, u, du/dt) = 0 (ODEs and index-1 DAEs: rows without du/dt are
// algebraic constraints) with PETSc TS, on the pattern of LinearSolve / NonlinearSolve: the physics gives
// the residual, its Jacobian and an option prefix; the method (BDF2 with adaptive steps by default, see
// docs/solvers.md for the measurements behind the choice), the Newton solver and the linear solver are
// chosen here and tuned from YAML `petsc_options:` or the command line (which wins).
//
// Events are functions of the state that cross zero at a moment to be located in time (a cut-off
// voltage, the end of a CV hold). When one crosses, TS steps back and locates the crossing to the event's
// tolerance; then the event's onEvent callback runs at exactly that time and may change the problem
// (CC -> CV) or stop the integration.
//
// Every callback is collective (all ranks call it with the same t) and may throw: the exception stops
// the integration on every rank and reaches the caller of solve() unchanged (PetscBridge.hpp).
#include <petscts.h>

#include <functional>
#include <string>
#include <vector>

#include "solver/core/LinearSolve.hpp"
#include "solver/core/NonlinearSolve.hpp"
#include "solver/core/PetscUtil.hpp"
#include "solver/core/SolverOptions.hpp"

namespace ssb {

using TSHandle = PetscHandle<TS, TSDestroy>;

struct TimeIntegratorSettings {
  std::string prefix;                           // own PETSc option prefix, e.g. "lithiation_"
  std::string who;                              // names the solver in errors
  SystemKind linearKind = SystemKind::General;  // the linear system inside Newton
  PetscOptionList userOptions;                  // the study's parsed `petsc_options` (may be empty)
  PetscOptionList extraDefaults;                // the physics' defaults (fieldsplit ...), below the user's
  // Adaptive step: the weighted local error estimate |e_i| / (atol + rtol |u_i|) must stay below 1.
  double rtol = 1e-4;
  double atol = 1e-6;
  double initialStep = 0.0;  // [s], required > 0; also the first step after an event that changed the problem
  double minStep = 0.0;      // [s], 0: PETSc's default (1e-20)
  double maxStep = 0.0;      // [s], 0: no limit
  int maxSteps = 10000000;   // per solve()
  // Newton inside each step.
  double snesRtol = 1e-8;
  double snesAtol = 1e-50;
  int snesMaxIterations = 50;
};

// What the per-step hook sees after each accepted step (and once for the initial state, step 0).
struct StepInfo {
  long step = 0;             // accepted steps so far, over every solve() of this integrator
  double time = 0.0;         // [s]
  double stepSize = 0.0;     // [s] of the step just taken (0 for the initial state)
  Vec u = nullptr;           // the state (read only)
  int newtonIterations = 0;  // this step, rejected attempts included
  int linearIterations = 0;  // this step, rejected attempts included
  long rejectedSteps = 0;    // so far
};

enum class EventDirection { Any = 0, Rising = 1, Falling = -1 };  // sign change - to + is Rising
enum class EventAction {
  Continue,        // record it, go on
  ProblemChanged,  // the residual changed (a constraint switched): restart the step history (BDF)
  Stop,            // end this solve() here
};

struct Event {
  std::string name;
  std::function<double(double t, Vec u)> value;  // collective; the same value on every rank
  EventDirection direction = EventDirection::Any;
  double tolerance = 1e-9;  // located when |value| < tolerance (in the units of value), or the bracket
                            // in time has shrunk to `tolerance` relative
  std::function<EventAction(double t, Vec u)> onEvent;  // collective; empty: Stop
};

struct EventRecord {
  std::string name;
  double time = 0.0;
  long step = 0;
};

struct TimeIntegrationResult {
  double time = 0.0;  // where this solve() ended [s]
  long steps = 0;     // accepted steps of this solve()
  long rejectedSteps = 0;
  long nonlinearFailures = 0;
  long newtonIterations = 0;
  long linearIterations = 0;
  double seconds = 0.0;
  std::string reason;               // PETSc's converged reason
  bool stoppedByEvent = false;      // an event's onEvent returned Stop
  std::vector<EventRecord> events;  // located in this solve(), in order
};

class TimeIntegrator {
 public:
  using IFunction = std::function<void(double t, Vec u, Vec udot, Vec f)>;  // f = F(t, u, udot)
  // J = dF/du + shift * dF/dudot at (t, u, udot); assemble into J (and P if it differs).
  using IJacobian = std::function<void(double t, Vec u, Vec udot, double shift, Mat J, Mat P)>;

  // Collective on comm. `r` has the layout of F; J/P are filled by the Jacobian callback (P may be J).
  // The options are read here, so ts()/snes()/ksp() already have their final types afterwards.
  TimeIntegrator(MPI_Comm comm, TimeIntegratorSettings settings, Vec r, IFunction f, Mat J, Mat P,
                 IJacobian jacobian);
  TimeIntegrator(const TimeIntegrator&) = delete;
  TimeIntegrator& operator=(const TimeIntegrator&) = delete;

  // Before solve(). Events stay active for every later solve().
  void addEvent(Event e);
  // Called after every accepted step (and for the initial state): progress lines, time series output.
  void setMonitor(std::function<void(const StepInfo&)> monitor);

  // Collective. Integrate from t0 with state u (in: initial, consistent for the algebraic rows or close
  // to it; out: final) until tEnd or until an event stops it. May be called again to continue (the step
  // history restarts; the step size carries over). Throws RunError naming who if a step fails for good.
  TimeIntegrationResult solve(Vec u, double t0, double tEnd);

  TS ts() const { return m_ts; }
  SNES snes() const;
  KSP ksp() const;
  // Totals over every solve() so far.
  long totalSteps() const { return m_totalSteps; }
  // The step size the next solve() starts with [s] (the last one the controller chose). A checkpoint
  // stores it and a restarted run sets it back, so that the restarted integration takes the same steps;
  // the BDF history itself restarts (first step backward Euler), as after every event.
  double nextStep() const;
  void setNextStep(double dt);

  // For physics tests: compare the IJacobian at (t, u, udot, shift) with central differences of
  // v -> F(t, v, udot + shift (v - u)), whose Jacobian at v = u it must be. Collective.
  JacobianCheck checkIJacobian(double t, Vec u, Vec udot, double shift);

  static PetscOptionList defaultOptions(SystemKind linearKind, const PetscOptionList& extra = {});

 private:
  static PetscErrorCode ifunctionCallback(TS, PetscReal t, Vec u, Vec udot, Vec f, void* ctx);
  static PetscErrorCode ijacobianCallback(TS, PetscReal t, Vec u, Vec udot, PetscReal shift, Mat J, Mat P,
                                          void* ctx);
  static PetscErrorCode eventCallback(TS, PetscReal t, Vec u, PetscScalar* values, void* ctx);
  static PetscErrorCode postEventCallback(TS, PetscInt n, PetscInt* which, PetscReal t, Vec u,
                                          PetscBool forward, void* ctx);
  static PetscErrorCode postStepCallback(TS);
  void report(double stepSize);

  TimeIntegratorSettings m_settings;
  SolverOptions m_options;
  IFunction m_f;
  IJacobian m_jacobian;
  std::vector<Event> m_events;
  std::function<void(const StepInfo&)> m_monitor;
  TSHandle m_ts;
  // Per-solve bookkeeping.
  TimeIntegrationResult* m_current = nullptr;
  long m_totalSteps = 0;
  long m_rejectedBefore = 0;  // rejected steps of earlier solve() calls
  PetscInt m_lastSnesIts = 0, m_lastKspIts = 0;
};

}  // namespace ssb

#include "solver/core/TimeIntegrator.hpp"

#include <algorithm>
#include <chrono>

#include "solver/core/PetscBridge.hpp"

namespace ssb {

namespace {
// The integrator's defaults for these settings. After an event TS restarts the step history, and PETSc
// 3.18 accepts the first step after a restart without an error estimate (BDF has no history yet, theta
// methods none either): without a small first step, the step that follows an event would be as long as
// the remainder of the rolled-back step, unchecked (measured: a CV hold's current 27 % off after the CC ->
// CV switch). So the first step after any event is the initial step.
PetscOptionList defaultsFor(const TimeIntegratorSettings& s) {
  PetscOptionList out = TimeIntegrator::defaultOptions(s.linearKind, s.extraDefaults);
  out.emplace_back("ts_event_post_event_step", fmt::format("{:.17g}", s.initialStep));
  return out;
}

MPI_Comm commOf(TS ts) {
  MPI_Comm c = MPI_COMM_NULL;
  (void)PetscObjectGetComm(reinterpret_cast<PetscObject>(ts), &c);
  return c;
}
}  // namespace

PetscOptionList TimeIntegrator::defaultOptions(SystemKind linearKind, const PetscOptionList& extra) {
  PetscOptionList out(extra.begin(), extra.end());
  // BDF2 with PETSc's basic step controller: measured against backward Euler + the same controller on
  // the stiff and DAE test problems in tests/core/TimeIntegratorTest.cpp (docs/solvers.md). A failed
  // Newton solve halves the step and retries (ts_max_snes_failures -1: no limit of its own); a step
  // rejected 10 times in a row ends the integration with a RunError.
  for (const auto& o : PetscOptionList{{"ts_type", "bdf"},
                                       {"ts_bdf_order", "2"},
                                       {"ts_adapt_type", "basic"},
                                       {"ts_max_snes_failures", "-1"},
                                       {"ts_max_reject", "10"}})
    out.push_back(o);
  for (const auto& o : NonlinearSolve::defaultOptions(linearKind)) out.push_back(o);
  return out;
}

TimeIntegrator::TimeIntegrator(MPI_Comm comm, TimeIntegratorSettings settings, Vec r, IFunction f, Mat J,
                               Mat P, IJacobian jacobian)
    : m_settings(std::move(settings)),
      m_options(m_settings.prefix, m_settings.who, m_settings.userOptions, defaultsFor(m_settings)),
      m_f(std::move(f)),
      m_jacobian(std::move(jacobian)) {
  if (!(m_settings.initialStep > 0))
    throwRun("{}: TimeIntegrator needs an initial step > 0 (got {})", m_settings.who, m_settings.initialStep);
  SSB_PETSC(TSCreate(comm, m_ts.out()));
  SSB_PETSC(TSSetOptionsPrefix(m_ts, m_settings.prefix.c_str()));
  SSB_PETSC(TSSetApplicationContext(m_ts, this));
  SSB_PETSC(TSSetProblemType(m_ts, TS_NONLINEAR));
  SSB_PETSC(TSSetIFunction(m_ts, r, &TimeIntegrator::ifunctionCallback, this));
  SSB_PETSC(TSSetIJacobian(m_ts, J, P ? P : J, &TimeIntegrator::ijacobianCallback, this));
  SSB_PETSC(TSSetTolerances(m_ts, m_settings.atol, nullptr, m_settings.rtol, nullptr));
  SSB_PETSC(TSSetExactFinalTime(m_ts, TS_EXACTFINALTIME_MATCHSTEP));
  SSB_PETSC(TSSetErrorIfStepFails(m_ts, PETSC_FALSE));  // we check the reason and say who failed
  SSB_PETSC(TSSetMaxSteps(m_ts, m_settings.maxSteps));
  SSB_PETSC(TSSetTimeStep(m_ts, m_settings.initialStep));
  SSB_PETSC(TSSetPostStep(m_ts, &TimeIntegrator::postStepCallback));
  TSAdapt adapt = nullptr;
  SSB_PETSC(TSGetAdapt(m_ts, &adapt));
  SSB_PETSC(TSAdaptSetStepLimits(adapt, m_settings.minStep > 0 ? m_settings.minStep : PETSC_DEFAULT,
                                 m_settings.maxStep > 0 ? m_settings.maxStep : PETSC_DEFAULT));
  SNES snes = nullptr;
  SSB_PETSC(TSGetSNES(m_ts, &snes));
  SSB_PETSC(SNESSetTolerances(snes, m_settings.snesAtol, m_settings.snesRtol, PETSC_DEFAULT,
                              m_settings.snesMaxIterations, PETSC_DEFAULT));
  SSB_PETSC(TSSetFromOptions(m_ts));  // reads the SNES's and the KSP's options too
  notePetscOptionsRead(m_settings.prefix);
}

SNES TimeIntegrator::snes() const {
  SNES s = nullptr;
  SSB_PETSC(TSGetSNES(m_ts, &s));
  return s;
}

KSP TimeIntegrator::ksp() const {
  KSP k = nullptr;
  SSB_PETSC(SNESGetKSP(snes(), &k));
  return k;
}

double TimeIntegrator::nextStep() const {
  PetscReal dt = 0;
  SSB_PETSC(TSGetTimeStep(m_ts, &dt));
  return static_cast<double>(dt);
}

void TimeIntegrator::setNextStep(double dt) {
  if (!(dt > 0)) throwRun("{}: a time step must be > 0 (got {})", m_settings.who, dt);
  SSB_PETSC(TSSetTimeStep(m_ts, dt));
}

void TimeIntegrator::addEvent(Event e) {
  if (!e.value) throwRun("{}: event '{}' has no value function", m_settings.who, e.name);
  m_events.push_back(std::move(e));
}

void TimeIntegrator::setMonitor(std::function<void(const StepInfo&)> monitor) {
  m_monitor = std::move(monitor);
}

PetscErrorCode TimeIntegrator::ifunctionCallback(TS ts, PetscReal t, Vec u, Vec udot, Vec f, void* ctx) {
  auto* self = static_cast<TimeIntegrator*>(ctx);
  return petscCallback(commOf(ts), [&] { self->m_f(static_cast<double>(t), u, udot, f); });
}

PetscErrorCode TimeIntegrator::ijacobianCallback(TS ts, PetscReal t, Vec u, Vec udot, PetscReal shift, Mat J,
                                                 Mat P, void* ctx) {
  auto* self = static_cast<TimeIntegrator*>(ctx);
  return petscCallback(commOf(ts), [&] {
    self->m_jacobian(static_cast<double>(t), u, udot, static_cast<double>(shift), J, P);
  });
}

PetscErrorCode TimeIntegrator::eventCallback(TS ts, PetscReal t, Vec u, PetscScalar* values, void* ctx) {
  auto* self = static_cast<TimeIntegrator*>(ctx);
  return petscCallback(commOf(ts), [&] {
    for (size_t i = 0; i < self->m_events.size(); ++i)
      values[i] = static_cast<PetscScalar>(self->m_events[i].value(static_cast<double>(t), u));
  });
}

PetscErrorCode TimeIntegrator::postEventCallback(TS ts, PetscInt n, PetscInt* which, PetscReal t, Vec u,
                                                 PetscBool /*forward*/, void* ctx) {
  auto* self = static_cast<TimeIntegrator*>(ctx);
  return petscCallback(commOf(ts), [&] {
    int action = static_cast<int>(EventAction::Continue);
    for (PetscInt k = 0; k < n; ++k) {
      const Event& e = self->m_events[static_cast<size_t>(which[k])];
      if (self->m_current)
        self->m_current->events.push_back({e.name, static_cast<double>(t), self->m_totalSteps});
      const EventAction a = e.onEvent ? e.onEvent(static_cast<double>(t), u) : EventAction::Stop;
      action = std::max(action, static_cast<int>(a));
    }
    // The events are evaluated identically on every rank; agree anyway, a split decision would hang.
    int agreed = action;
    MPI_Allreduce(&action, &agreed, 1, MPI_INT, MPI_MAX, commOf(ts));
    if (agreed >= static_cast<int>(EventAction::ProblemChanged)) {
      SSB_PETSC(TSRestartStep(ts));
      SSB_PETSC(TSSetPostEventIntervalStep(ts, self->m_settings.initialStep));
    }
    if (agreed == static_cast<int>(EventAction::Stop)) {
      SSB_PETSC(TSSetConvergedReason(ts, TS_CONVERGED_USER));
      if (self->m_current) self->m_current->stoppedByEvent = true;
    }
  });
}

PetscErrorCode TimeIntegrator::postStepCallback(TS ts) {
  void* ctx = nullptr;
  PetscErrorCode ierr = TSGetApplicationContext(ts, &ctx);
  if (ierr) return ierr;
  auto* self = static_cast<TimeIntegrator*>(ctx);
  return petscCallback(commOf(ts), [&] {
    PetscReal t = 0, tPrev = 0;
    SSB_PETSC(TSGetTime(ts, &t));
    SSB_PETSC(TSGetPrevTime(ts, &tPrev));
    ++self->m_totalSteps;
    if (self->m_current) ++self->m_current->steps;
    self->report(static_cast<double>(t - tPrev));
  });
}

void TimeIntegrator::report(double stepSize) {
  PetscInt snesIts = 0, kspIts = 0, rejects = 0;
  SSB_PETSC(TSGetSNESIterations(m_ts, &snesIts));
  SSB_PETSC(TSGetKSPIterations(m_ts, &kspIts));
  SSB_PETSC(TSGetStepRejections(m_ts, &rejects));
  StepInfo info;
  info.step = m_totalSteps;
  PetscReal t = 0;
  SSB_PETSC(TSGetTime(m_ts, &t));
  info.time = static_cast<double>(t);
  info.stepSize = stepSize;
  SSB_PETSC(TSGetSolution(m_ts, &info.u));
  info.newtonIterations = static_cast<int>(snesIts - m_lastSnesIts);
  info.linearIterations = static_cast<int>(kspIts - m_lastKspIts);
  info.rejectedSteps = m_rejectedBefore + static_cast<long>(rejects);
  m_lastSnesIts = snesIts;
  m_lastKspIts = kspIts;
  if (m_monitor) m_monitor(info);
}

TimeIntegrationResult TimeIntegrator::solve(Vec u, double t0, double tEnd) {
  clearPendingCallbackException();
  if (!(tEnd > t0))
    throwRun("{}: time integration needs an end time after the start ({} s -> {} s)", m_settings.who, t0,
             tEnd);
  TimeIntegrationResult res;
  m_current = &res;
  struct Reset {
    TimeIntegrator* self;
    ~Reset() { self->m_current = nullptr; }
  } reset{this};
  auto start = std::chrono::steady_clock::now();

  if (!m_events.empty()) {
    std::vector<PetscInt> dir;
    std::vector<PetscBool> terminate(m_events.size(), PETSC_FALSE);  // onEvent decides
    std::vector<PetscReal> tol;
    for (const auto& e : m_events) {
      dir.push_back(static_cast<PetscInt>(e.direction));
      tol.push_back(static_cast<PetscReal>(e.tolerance));
    }
    SSB_PETSC(TSSetEventHandler(m_ts, static_cast<PetscInt>(m_events.size()), dir.data(), terminate.data(),
                                &TimeIntegrator::eventCallback, &TimeIntegrator::postEventCallback, this));
    SSB_PETSC(TSSetEventTolerances(m_ts, 0.0, tol.data()));
  }
  // A fresh start of the step history at t0; the step size of the previous solve() carries over.
  SSB_PETSC(TSSetTime(m_ts, t0));
  SSB_PETSC(TSSetStepNumber(m_ts, 0));
  SSB_PETSC(TSSetMaxTime(m_ts, tEnd));
  PetscReal dt = 0;
  SSB_PETSC(TSGetTimeStep(m_ts, &dt));
  if (!(dt > 0) || dt > tEnd - t0)
    SSB_PETSC(TSSetTimeStep(m_ts, std::min(m_settings.initialStep, tEnd - t0)));
  m_lastSnesIts = 0;
  m_lastKspIts = 0;
  if (m_totalSteps == 0 && m_monitor) {
    StepInfo info;
    info.time = t0;
    info.u = u;
    m_monitor(info);
  }

  SSB_PETSC(TSSolve(m_ts, u));

  PetscReal t = 0;
  PetscInt rejects = 0, fails = 0, snesIts = 0, kspIts = 0;
  TSConvergedReason reason;
  SSB_PETSC(TSGetTime(m_ts, &t));
  SSB_PETSC(TSGetStepRejections(m_ts, &rejects));
  SSB_PETSC(TSGetSNESFailures(m_ts, &fails));
  SSB_PETSC(TSGetSNESIterations(m_ts, &snesIts));
  SSB_PETSC(TSGetKSPIterations(m_ts, &kspIts));
  SSB_PETSC(TSGetConvergedReason(m_ts, &reason));
  res.time = static_cast<double>(t);
  res.rejectedSteps = rejects;
  m_rejectedBefore += rejects;
  res.nonlinearFailures = fails;
  res.newtonIterations = snesIts;
  res.linearIterations = kspIts;
  res.reason = TSConvergedReasons[reason];
  res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  checkTsConverged(m_ts, m_settings.who, m_settings.prefix);
  return res;
}

JacobianCheck TimeIntegrator::checkIJacobian(double t, Vec u, Vec udot, double shift) {
  Mat J = nullptr, P = nullptr;
  SSB_PETSC(TSGetIJacobian(m_ts, &J, &P, nullptr, nullptr));
  m_jacobian(t, u, udot, shift, J, P);
  VecHandle v0, vdot;
  SSB_PETSC(VecDuplicate(u, v0.out()));
  SSB_PETSC(VecCopy(u, v0));
  SSB_PETSC(VecDuplicate(udot, vdot.out()));
  auto g = [&](Vec v, Vec f) {
    // udot(v) = udot + shift (v - u): the BDF/Euler relation between the state and its derivative.
    SSB_PETSC(VecWAXPY(vdot, -1.0, v0, v));
    SSB_PETSC(VecAYPX(vdot, static_cast<PetscScalar>(shift), udot));
    m_f(t, v, vdot, f);
  };
  return checkJacobian(J, u, g);
}

}  // namespace ssb

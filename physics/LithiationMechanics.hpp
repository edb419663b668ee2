#pragma once
// Coupling of the lithiation study to mechanics (issue 10; docs/mechanics.md "Coupling to lithiation").
//
// One-way staggered coupling, updated at t = 0, every `mechanics_interval` of simulated time and at the end
// of every protocol step (LithiationSolver::setCoupling):
//   1. the Li fraction x of every active voxel (the lithiation state) sets the NMC eigenstrain
//      eps* = e(x) I of the mechanics model (physics/Mechanics.hpp, reference x = the initial x unless
//      given);
//   2. the mechanics model solves elasticity with decohesion at the full load (stack pressure + eigenstrain),
//      damage history carried from update to update (irreversible);
//   3. every active|electrolyte face then carries its contact fraction 1 - d times its reacting-area weight
//      in the lithiation residual: a debonded face (d = 1) carries no Butler-Volmer current and no ionic
//      flux from then on.
// Between updates the contact is frozen; the error this makes is first order in the interval (measured in
// tests/mechanics: the capacity converges as the interval shrinks). Units: SI (m, s, Pa).
#include <petscvec.h>

#include <memory>
#include <string>
#include <vector>

#include "mesh/StudyContext.hpp"
#include "physics/LithiationParams.hpp"
#include "solver/core/Json.hpp"
#include "solver/core/Params.hpp"

namespace ssb {

class LithiationSolver;
class MechanicsModel;

// Not collective. The `mechanics` block of a lithiation study as a validated `mechanics` study: Params
// against mechanicsSchema() with paths under studies[i].mechanics (so errors name the user's key). `type`
// and `name` are implied; reference_li_fraction defaults to `initialX`. InputError if the block is not a
// mapping or asks for mode effective_moduli.
Params lithiationMechanicsParams(const Params& lithiationStudy, double initialX, const std::string& name);

// One coupling update (identical on every rank).
struct MechanicsUpdateRecord {
  double t = 0.0;                     // [s]
  double coverage = 0.0;              // share of the NMC surface touching electrolyte, times contact [-]
  double debondedAreaFraction = 0.0;  // of the active|electrolyte interface area [-]
  double meanDamage = 0.0;            // area mean over the interface [-]
  double meanGap = 0.0;               // area mean opening over the interface [m]
  double maxGap = 0.0;                // [m]
  double gapVolumeFraction = 0.0;     // gap volume / cell volume: the porosity the gaps add [-]
  int iterations = 0;                 // damage-elasticity iterations of the update
};

class LithiationMechanics {
 public:
  // Collective. Builds the mechanics model on the study's volume (every input check of a mechanics study).
  LithiationMechanics(const StudyContext& ctx, const Params& lithiationStudy, const LithiationSetup& setup,
                      LithiationSolver& solver);
  ~LithiationMechanics();
  LithiationMechanics(const LithiationMechanics&) = delete;
  LithiationMechanics& operator=(const LithiationMechanics&) = delete;

  // Collective. The coupling update for state u at time t (see the top of this file).
  void update(double t, Vec u);

  const std::vector<MechanicsUpdateRecord>& history() const { return m_history; }
  // The latest update at or before t (the contact state a sample at t was computed with).
  const MechanicsUpdateRecord& at(double t) const;
  // Collective. results.json section: settings, history, the mechanics model's final results.
  Json results() const;
  // Collective. The mechanics fields of the final state (displacement, stresses, damage, opening).
  void writeFields(FieldWriter& fields, const std::string& prefix) const;

 private:
  LithiationSolver& m_solver;
  std::unique_ptr<MechanicsModel> m_model;
  int m_firstLoadSteps = 1;
  double m_interval = 0.0;
  bool m_warned = false;
  std::vector<MechanicsUpdateRecord> m_history;
  std::vector<double> m_lastX;  // owned Li fractions of the last converged update
  int64_t m_bisections = 0;     // updates split because the damage iteration did not converge
  // Collective. The mechanics from the committed state at x0 to x1; a step whose damage iteration fails is
  // rolled back and done as two halves (x linear in between), at most kMaxBisections deep.
  Json advance(const std::vector<double>& x0, const std::vector<double>& x1, int depth);
  static constexpr int kMaxBisections = 5;
};

}  // namespace ssb

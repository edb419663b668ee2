#pragma once
// The `mechanics` study: small-strain elasticity of the composite under stack pressure / prescribed
// displacements, the lithiation eigenstrain of the active phase, and decohesion of active|electrolyte
// interfaces. Equations: physics/Elasticity.hpp (operator), physics/Decohesion.hpp (interface law);
// the study (inputs, load steps, damage iteration, outputs) in Mechanics.cpp; docs/mechanics.md.
//
// MechanicsModel is the stateful object the coupling to lithiation uses: set the Li fraction per voxel,
// solve (damage history carried from solve to solve), read the per-face contact fractions.
#include <array>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "mesh/StudyContext.hpp"
#include "physics/Decohesion.hpp"
#include "solver/core/Error.hpp"
#include "solver/core/Json.hpp"
#include "solver/core/Params.hpp"

namespace ssb {

// The damage iteration of one load step did not converge (a RunError: the caller may cut the step and retry
// after MechanicsModel::rollbackStep, as the lithiation coupling does).
class DamageIterationError : public RunError {
 public:
  using RunError::RunError;
};

const Schema& mechanicsSchema();
// Collective. Runs the study and returns its results for results.json.
Json runMechanics(const StudyContext& ctx, const Params& study);
std::string mechanicsSummary(const Json& results);  // console lines for `ssbvox run`
// Not collective. Every input check that needs no voxel (moduli against the phases, face conditions against
// the grid, the volume-change table against the Li fraction window, the crack band against the voxel size,
// PETSc options), with the messages the study gives: run by the driver before the volume is loaded.
void prepareMechanics(const PhaseMap& phases, const VoxelGrid& geometry, const Params& study);
// Not collective. The axes a mechanics study's node grid wraps along: those listed in `periodic`, or all
// three in mode effective_moduli. No checks (the study validates the list); the size check uses it before the
// volume exists.
std::array<bool, 3> mechanicsPeriodicAxes(const Params& study);

class MechanicsModel {
 public:
  // Collective. Validates every input (InputError naming the YAML key), builds the load-carrying mask,
  // the operator and the interface bands. `study` must be a `mechanics` study (mechanicsSchema()).
  MechanicsModel(const StudyContext& ctx, const Params& study);
  ~MechanicsModel();
  MechanicsModel(const MechanicsModel&) = delete;
  MechanicsModel& operator=(const MechanicsModel&) = delete;

  // Collective (the x window is checked globally). Li fraction x [-] per owned voxel (grid.localIndex
  // order); only voxels of active phases use it. Throws InputError if x leaves the volume_change table.
  void setLiFraction(const std::vector<double>& ownedX);
  // Not collective. The Li fractions the volume_change table covers [x_min, x_max].
  std::pair<double, double> liFractionRange() const;

  // Collective. Ramp the loads (stack pressure, prescribed displacement, eigenstrain) from the previous
  // solve's level (0 before the first) to full in `steps` equal steps; at each step iterate damage and
  // elasticity to convergence (RunError if it does not converge) and commit the damage history. With the
  // eigenstrain from the current x. Returns one record per step (iterations, reactions, damage statistics).
  Json solve(int steps = 1);
  // Collective. The same from the current load level to `level` (1 = the input loads; any real: a negative
  // level reverses pressure and displacement, e.g. to close a debonded interface again). The eigenstrain
  // follows the same level.
  Json solveTo(double level, int steps);
  // Not collective. After a DamageIterationError: the interface back to its committed state (the damage and
  // history of the last converged step), so that a smaller step can be tried.
  void rollbackStep();
  double loadLevel() const;

  // Collective (ghost exchange). Per owned voxel: mean strain, stress C (eps - eps*) (0 where no load is
  // carried), and the mean of the 8 node displacements [m].
  std::vector<elastic::Vec6> cellStrain() const;
  std::vector<elastic::Vec6> cellStress() const;
  std::vector<std::array<double, 3>> cellDisplacement() const;
  // Not collective. Per owned voxel: does it carry load (connected to the supports, not a pore)?
  std::vector<uint8_t> loadCarrying() const;

  // Collective. Per owned voxel, its +x, +y, +z faces: contact fraction 1 - d on active|electrolyte faces
  // (0 once debonded), 1 on every other face (a neutral weight for the lithiation face loop).
  std::vector<std::array<double, 3>> contactFraction() const;
  InterfaceFaceFields interfaceFaces() const;  // collective; damage, opening, contact per face

  Json results() const;  // collective: the study's results (mean stresses, damage statistics, ...)
  // Collective. The interface statistics of the decohesion (areas, damage, openings, gap volume; SI units);
  // null without a decohesion block.
  Json decohesionStatistics() const;
  // Collective. Displacement (cell means), hydrostatic and von Mises stress, damage and opening per face.
  void writeFields(FieldWriter& fields, const std::string& prefix) const;

 private:
  friend void prepareMechanics(const PhaseMap& phases, const VoxelGrid& geometry, const Params& study);
  struct Impl;
  std::unique_ptr<Impl> m;
};

}  // namespace ssb

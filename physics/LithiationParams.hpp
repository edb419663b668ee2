#pragma once
// Inputs of the `lithiation` study (spec /work/specs/lithiation-model.md, user docs docs/lithiation.md):
// the declared schema, the NMC622 / amorphous Li3PS4 defaults with their sources, and
// prepareLithiation(), which turns a validated `studies[i]` entry plus the case's phases into a
// LithiationSetup before the volume is loaded, so every input error that does not need voxels appears
// in a second. MPI-free; every rank runs it on the same YAML and gets the same setup.
//
// Checks that need the volume (the 3-D solver runs them after loading; see docs/lithiation.md,
// "Input checks"): (1) the volume has active voxels (else a C-rate has no 1C current:
// ProtocolMachine throws naming the c_rate key); (2) some active voxel with an electronic path touches
// the current-collector face; (3) the active phase has at least one face with electrolyte that is
// ionically connected to the separator face; (4) some electrolyte voxel touches the separator face.
#include <string>

#include "mesh/PhaseMap.hpp"
#include "physics/Electrochem.hpp"
#include "physics/LithiationProtocol.hpp"
#include "solver/core/LinearSolve.hpp"
#include "solver/core/Params.hpp"

namespace ssb {

const Schema& lithiationSchema();

struct ElectrolyteSetup {
  int phase = -1;  // index in the PhaseMap
  std::string phaseName;
  double referenceConductivity = 0.0;  // kappa_ref [S/m] at referenceTemperature
  double referenceTemperature = 298.15;
  double activationEnergy = 0.0;  // [J]
  double density = 0.0;           // [kg/m^3] (composite mass in the reported capacity per composite mass)
  double conductivity = 0.0;      // kappa(T) [S/m] at the study temperature
};

struct ActiveSetup {
  int phase = -1;
  std::string phaseName;
  echem::ActiveMaterial material;    // OCV, D_s, sigma_s, i0, alphas, c_max
  double density = 0.0;              // rho_N [kg/m^3]
  double theoreticalCapacity = 0.0;  // q_th [C/kg] (276.6 mAh/g = 995760 C/kg)
  std::string ocvSource;             // built-in name or "table"
};

struct SeparatorSetup {
  double thickness = 0.0;     // L_sep [m]; 0 = none (or resolved in the volume)
  double conductivity = 0.0;  // kappa_sep [S/m] at the study temperature
};

struct CounterElectrodeSetup {
  std::string type;              // li_in | li_metal
  double potential = 0.0;        // U_ce [V vs Li]
  double exchangeCurrent = 0.0;  // i0_ce [A/m^2], 0 = no kinetics
};

struct TimeSteppingSetup {
  double rtol = 1e-4;
  double atolX = 1e-6;
  double initialStep = 1.0;  // [s]
  double maxStep = 0.0;      // [s], 0 = unlimited
  long maxSteps = 1000000;
};

// Checkpoints of a run (physics/LithiationCheckpoint.hpp); 0 switches a criterion off, both 0: none.
struct CheckpointSetup {
  long everySteps = 50;         // accepted time steps between checkpoints
  double everySeconds = 600.0;  // wall time between checkpoints [s]
};

// Everything the lithiation solver (and the 1-D reference solutions in tests/lithiation) needs.
struct LithiationSetup {
  std::string name;
  std::string path;  // YAML path of the study, for messages
  double temperature = 298.15;
  int collectorAxis = 2;      // 0 x, 1 y, 2 z
  bool collectorPlus = true;  // CC on the + face of that axis; the separator face is the opposite one
  bool periodicSides = false;
  std::string interfaceArea = "local_normal";  // local_normal | global | raw
  double contactFraction = 1.0;
  ActiveSetup active;
  ElectrolyteSetup electrolyte;
  SeparatorSetup separator;
  CounterElectrodeSetup counter;
  Cutoffs cutoffs;
  Protocol protocol;
  double initialX = 0.0;
  std::string initialSource;  // "x" or "soc"
  double xUpperCutoff = 0.0;  // x where U(x) = cutoffs.upper (SOC = 1 end; spec section 5)
  double xLowerCutoff = 0.0;  // x where U(x) = cutoffs.lower, or the table end if U stays above it
  double frontSoc = 0.76;
  TimeSteppingSetup timeStepping;
  PetscOptionList petscOptions;       // applied under the prefix lithiation_
  std::string linearSolver = "auto";  // Newton's linear solver: auto | direct | fieldsplit
  bool writeFields = true;
  bool plots = true;
  long progressEvery = 10;
  CheckpointSetup checkpoint;

  // Spec section 5.
  double cMax() const { return active.material.cMax; }
  double activeMass(double activeVolume) const { return active.density * activeVolume; }  // [kg]
  double oneCCurrent(double activeVolume) const;  // q_th m_N / 1 h [A]
  // Capacity [mAh/g] of a throughput [C] over an active mass [kg].
  static double capacityMahPerG(double throughput, double activeMass);
  // SOC = (x_0 - x) / (x_0 - x_cut) with x_0 = initialX and x_cut = xUpperCutoff.
  double stateOfCharge(double x) const { return (initialX - x) / (initialX - xUpperCutoff); }
  // The cell model once the domain cross-section A_cell [m^2] is known: R_sep = L_sep / (kappa_sep A_cell).
  echem::CellModel cellModel(double cellArea) const;
  // The interface kernel of this setup; it refers to active.material, so it is valid while this setup lives.
  echem::InterfaceKinetics kinetics() const {
    return echem::InterfaceKinetics(active.material, electrolyte.conductivity, temperature);
  }
};

// Resolves and checks a validated `studies[i]` entry of type lithiation against the case's phases:
// phase lookup by name or by role, OCV / D_s / sigma_s tables (monotone, covering the x window between the
// cut-offs), unit sanity (activation energy and capacity written without their unit), initial state
// against the cut-offs of the first step, and the protocol (parseProtocol). Errors (InputError) name the
// YAML key and say what to do.
LithiationSetup prepareLithiation(const Params& study, const PhaseMap& phases);

}  // namespace ssb

#pragma once
// Independent 1-D reference solutions of the lithiation model (spec /work/specs/lithiation-model.md) for
// the verification of the 3-D voxel solver (issue 7): they share only the pointwise kernels of
// physics/Electrochem (OCV table, i0, Butler-Volmer, cell model) and the protocol state machine with it,
// not the discretisation. Call them from a gtest with the LithiationSetup the 3-D solver takes
// (prepareLithiation) and the cell geometry:
//
//   auto setup = prepareLithiation(params, phases);
//   auto ref = lithref::solveLayeredCell(setup, {5e-6, 10e-6, 1e-10});
//   ref.steps[0].tEnd, ref.capacity(0), ref.voltageAt(t) ...
//
// ---------------------------------------------------------------------------------------------------
// Model (the spec's continuum equations reduced to 1-D; the half-cell face corrections of the voxel
// kernel are a discretisation device and are not used here: the surface values are exact node values).
//
// Solid diffusion in a domain s in [0, L] with no flux at s = 0 and the reacting surface at s = L:
//     dx/dt = s^-k d/ds (s^k D(x) dx/ds),   k = 0 (planar slab) or 2 (sphere),
//     dx/ds = 0 at s = 0,   -c_max D dx/ds = i / F at s = L       (i > 0: Li leaves, x falls)
// Layered cell (CC | active slab | electrolyte slab | separator face): the slab is s in [0, L_N] with s = 0
// at the current collector (no Li flux there) and s = L_N at the single active|electrolyte plane. All of
// the cell current I = i A_cell crosses the slab electronically and the electrolyte slab ionically, so
//     phi_s(plane) = phi_cc - i * integral_0^L_N ds / sigma_s(x(s)),   phi_e(plane) = i L_e / kappa
// (phi_e = 0 on the separator face, current flowing toward it), and with eta from Butler-Volmer,
//     V = U(x_s) + eta(i, x_s) + i (L_e / kappa + integral ds / sigma_s) + I R_sep + eta_ce(I).
// Sphere of radius R in a perfectly conducting electrolyte: s = r, uniform surface current i on 4 pi R^2,
// I = 4 pi R^2 i, V = U(x_s) + eta(i, x_s) + I (R_series + R_sep) + eta_ce(I).
//
// Control (the same ProtocolMachine the 3-D solver drives): cc fixes I; cv fixes V (i becomes an
// algebraic unknown: a DAE of index 1); rest fixes I = 0. Steps end at events located in time.
//
// Discretisation (deliberately not the voxel finite volumes): vertex-centred finite volumes on a mesh
// graded toward the reacting surface, s_j = L (1 - sinh(beta (1 - j/N)) / sinh(beta)), so a node sits on
// the surface and x_s is a node value; control volumes between the midpoints (shells of volume
// (s_{j+1/2}^3 - s_{j-1/2}^3) / 3 per steradian for the sphere); face diffusivity D((x_j + x_{j+1}) / 2);
// second order in space. Time: the L-stable, stiffly accurate two-stage SDIRK of Alexander
// (gamma = 1 - 1/sqrt(2), order 2, suited to the index-1 DAE of the cv step) with step doubling for the
// local error estimate (err = |y_{h/2,h/2} - y_h| / 3) and step-size control, Newton on every stage with
// the exact Jacobian (tridiagonal, bordered by the algebraic row of i). Events (cut-off, cv current
// threshold) are located by Illinois regula falsi on the step length, re-integrating from the step start;
// time limits are hit exactly. Li conservation is exact (the charge of a step is F c_max times the change
// of the Li content), so capacities equal the time integral of the current of the scheme.
#include <vector>

#include "physics/LithiationParams.hpp"

namespace ssb::lithref {

struct LayeredCell {
  double electrolyteThickness = 0.0;  // L_e [m] (separator face to the active slab)
  double activeThickness = 0.0;       // L_N [m] (active slab to the current collector)
  double area = 0.0;                  // A_cell [m^2]
};

struct SphereCell {
  double radius = 0.0;            // R [m]
  double cellArea = 0.0;          // A_cell [m^2]: current_density steps, R_sep, counter-electrode kinetics
  double seriesResistance = 0.0;  // extra ohmic resistance between particle and collector [Ohm]
};

struct ReferenceOptions {
  int nodes = 400;            // mesh intervals N across the diffusion domain
  double grading = 4.0;       // beta of the sinh grading (0: uniform); surface/centre spacing = 1/cosh(beta)
  double rtol = 1e-8;         // local error tolerance per step, relative
  double atol = 1e-10;        // and absolute on x
  double initialStep = 1e-3;  // first step of every protocol step [s]
  double maxStep = 0.0;       // [s], 0 = none
  long maxSteps = 2000000;
  std::vector<double> outputTimes;  // extra samples exactly at these times [s] (sorted)
};

struct Sample {
  double t = 0.0;         // [s]
  double voltage = 0.0;   // V vs Li [V]
  double current = 0.0;   // I [A], > 0 charge
  double meanX = 0.0;     // volume mean of x
  double surfaceX = 0.0;  // x at the reacting surface
  size_t step = 0;        // protocol step index
};

struct ReferenceSolution {
  std::vector<Sample> samples;  // every accepted time step and every event (and step start)
  std::vector<StepRecord> steps;
  double activeMass = 0.0;    // [kg]
  double oneCCurrent = 0.0;   // [A]
  double reactingArea = 0.0;  // [m^2]
  long acceptedSteps = 0, rejectedSteps = 0;
  std::vector<double> nodes, xFinal;

  double capacity(size_t step) const;  // throughput of a protocol step [mAh/g]
  double voltageAt(double t) const;    // linear interpolation between samples
};

// CC | active slab | electrolyte slab | separator face, exactly 1-D (see above).
ReferenceSolution solveLayeredCell(const LithiationSetup& setup, const LayeredCell& cell,
                                   const ReferenceOptions& options = {});
// One spherical particle in a perfectly conducting electrolyte.
ReferenceSolution solveSphere(const LithiationSetup& setup, const SphereCell& cell,
                              const ReferenceOptions& options = {});

}  // namespace ssb::lithref

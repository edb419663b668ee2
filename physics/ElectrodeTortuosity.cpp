// The `electrode_tortuosity` study: the electrode tortuosity factor tau_e of a porous electrode.
//
// What tau_e is (Nguyen et al., npj Comput. Mater. 6, 123 (2020); TauFactor's electrode solver): the
// tortuosity factor that makes a homogeneous transmission line (ionic resistance R_ion = tau_e L / (eps
// sigma0 A) in the electrolyte, active surface spread uniformly along the thickness) reproduce the impedance
// of the real 3-D electrode measured from the separator side with a blocking current collector. It differs
// from the through-plane tau because the current also has to reach the active surface where it is, not
// only cross the electrode.
//
// Model: ionic conduction in the conducting (electrolyte) phases, -div(sigma grad phi) = 0 [sigma in S/m,
// phi in V]; the separator face (low or high face normal to `direction`) held at the applied potential, the
// current-collector face and non-conducting voxels blocking, the sides no-flux or periodic; at every face
// between a conducting voxel connected to the separator and an `active_phases` voxel a double-layer
// capacitance C_s per area [F/m^2] to the solid at potential 0 (the solid conducts perfectly).
//
// Formulation in real arithmetic - the DC limit of the impedance. For a purely capacitive interface the
// impedance at angular frequency w is Z(w) = 1 / (i w C_s S) + R_0 + O(w), S the active area: as w -> 0 the
// charging current becomes the same per area of surface everywhere, the potential is phi = V(w) + psi with
// V uniform and psi the steady field of that current distribution:
//     -div(sigma grad psi) = -(I / S) * (active area of the voxel) / (voxel volume)   in the electrolyte,
//     psi = 0 on the separator face, no flux elsewhere,
// and R_0 = Re Z(0) = -<psi>_S / I (area-weighted mean over the active surface) = P / I^2, P the power
// dissipated by psi (multiply the equation by psi and sum: P = psi^T A psi = -(I/S) sum_v S_v psi_v). The
// specific capacitance cancels. For the homogeneous line R_0 = R_ion / 3 (the classical low-frequency
// intercept of the blocking transmission line), so tau_e = 3 R_0 eps sigma0 A / L in the continuum.
// Discretely (physics/FluxOperator, the surface current of a voxel taken at its centre, I = 1) the uniform
// line of N cells with the inlet half a cell before the first centre has
//     R_0 / R_ion = 1/3 + 1/(6 N^2)
// (cell k at potential -r I (1/2 + sum_{m=1..k} (1 - m/N)), r = R_ion / N; the mean over the N cells is
// -r I (N/3 + 1/(6N))). tau_e is measured against that same discrete line, R_0 / (R_ion (1/3 + 1/(6N^2))),
// as TauFactor compares against its discrete ideal line: a straight pore gives 1 exactly, not 1 + 1/(2N^2).
// The full spectrum, or a finite-frequency fit, is not computed: the 2x2 real block system for Re/Im Z at
// finite w would fit the same operator but is not needed for the tau_e of a capacitive interface.
//
// Electrolyte not connected to the separator (6-connectivity, periodic across periodic sides) carries no
// current and is left out, with the active surface it touches. Conductivities are divided by the largest
// one (issue 12); R_0 and R_ion are multiplied back [Ohm].
#include "physics/ElectrodeTortuosity.hpp"

#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cmath>

#include "mesh/Connectivity.hpp"
#include "physics/ConductivityTensor.hpp"
#include "physics/FluxOperator.hpp"
#include "solver/core/LinearSolve.hpp"
#include "solver/core/Log.hpp"
#include "solver/core/MpiUtil.hpp"

namespace ssb {

namespace {
double seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}
}  // namespace

double uniformLineResistanceFactor(int64_t n) {
  const double nd = static_cast<double>(n);
  return 1.0 / 3.0 + 1.0 / (6.0 * nd * nd);
}

const Schema& electrodeTortuositySchema() {
  static const Schema s = [] {
    Schema sc("studies[] (type: electrode_tortuosity)",
              "Electrode tortuosity factor tau_e (Nguyen et al. 2020; TauFactor's electrode solver): ionic "
              "conduction in the conducting phases from the separator face, blocking at the current "
              "collector, a capacitive interface at the faces to the active phases; tau_e from the "
              "low-frequency limit of the impedance, R_0 = R_ion / 3. See docs/conductivity.md (Electrode "
              "tortuosity factor).");
    sc.choice("type", std::nullopt, {"electrode_tortuosity"}, "Study type.");
    sc.text("name", "electrode_tortuosity", "Study name (results key).");
    sc.declare("conductivities", ParamType::RealMap, std::nullopt,
               "Conductivity of the ion-conducting phases, e.g. {LPS: 0.3 mS/cm}. Phases not listed conduct "
               "nothing.")
        .withUnit("S/m")
        .range(0.0, kInf);
    sc.declare("active_phases", ParamType::TextList, std::nullopt,
               "Phases whose surface to the conducting phases is the active (capacitive) interface, e.g. "
               "[NMC]. A phase cannot be both conducting and active.");
    sc.choice("direction", "x", {"x", "y", "z"}, "Through-thickness direction of the electrode.");
    sc.choice("separator", "low", {"low", "high"},
              "Which face normal to `direction` is the separator side (the other is the current collector).");
    sc.choice("side_boundaries", "no_flux", {"no_flux", "periodic"},
              "The four faces parallel to `direction`: insulating or periodic.");
    sc.real("bulk_conductivity", std::nullopt, "S/m", 0.0, std::numeric_limits<double>::infinity(),
            "Reference sigma0 in R_ion = tau_e L / (eps sigma0 A). Default: the volume-weighted mean "
            "conductivity of the conducting phases (for one conducting phase its own conductivity).",
            true)
        .optionalKey("bulk_conductivity");
    sc.real("rtol", "1e-8", "", 0.0, 0.1,
            "Relative tolerance on the true residual of the CG solve (R_0 comes from the dissipated power, "
            "whose error is quadratic in the solver error).",
            true);
    sc.declare("petsc_options", ParamType::Any, "{}",
               "PETSc options for this study's solver without the leading dash and prefix; applied under the "
               "prefix electrode_tortuosity_. Default: CG + hypre BoomerAMG.");
    return sc;
  }();
  return s;
}

void checkElectrodeTortuosityInputs(const PhaseMap& phases, const std::array<int64_t, 3>& n,
                                    const Params& study) {
  bool conducts = false;
  std::vector<std::string> conducting;
  for (const auto& [phase, value] : study.realMap("conductivities")) {
    phases.index(phase, study.keyPath("conductivities") + "." + phase);
    if (!std::isfinite(value))
      throwInput("{}.{}: conductivity {} is not a finite number", study.keyPath("conductivities"), phase,
                 value);
    if (value > 0.0) {
      conducts = true;
      conducting.push_back(phase);
    }
  }
  if (!conducts)
    throwInput("{}: no phase conducts; give the electrolyte phase a positive conductivity",
               study.keyPath("conductivities"));
  const auto active = study.texts("active_phases");
  if (active.empty())
    throwInput("{}: the list is empty; name the active phase(s) whose surface charges, e.g. [NMC]",
               study.keyPath("active_phases"));
  for (const auto& a : active) {
    phases.index(a, study.keyPath("active_phases"));
    if (std::find(conducting.begin(), conducting.end(), a) != conducting.end())
      throwInput(
          "{}: phase '{}' is also listed with a positive conductivity under {}; a phase is either the "
          "conducting electrolyte or the active surface",
          study.keyPath("active_phases"), a, study.keyPath("conductivities"));
  }
  (void)n;
  parsePetscOptions(study.raw("petsc_options"), study.keyPath("petsc_options"));
}

Json runElectrodeTortuosity(const StudyContext& ctx, const Params& study) {
  auto t0 = std::chrono::steady_clock::now();
  const StructuredGrid& grid = *ctx.volume.grid;
  const VoxelGrid& geom = grid.geometry();
  const MPI_Comm comm = grid.comm();
  const std::string name = study.text("name");
  const std::string who = fmt::format("{} (electrode_tortuosity study '{}')", study.path(), name);
  checkElectrodeTortuosityInputs(ctx.phases, geom.n, study);
  const ScaledConductivities sc = readScaledConductivities(ctx, study);
  const std::string dirKey = study.text("direction");
  const int axis = dirKey == "x" ? kX : dirKey == "y" ? kY : kZ;
  const bool separatorHigh = study.text("separator") == "high";
  const bool periodicSides = study.text("side_boundaries") == "periodic";
  const double rtol = study.real("rtol");
  const auto petscOptions = parsePetscOptions(study.raw("petsc_options"), study.keyPath("petsc_options"));
  ScopedPetscOptions scopedOptions;
  scopedOptions.insert("electrode_tortuosity_", petscOptions);

  std::vector<uint8_t> isActive(static_cast<size_t>(ctx.phases.size()), 0);
  for (const auto& a : study.texts("active_phases"))
    isActive[static_cast<size_t>(ctx.phases.index(a, study.keyPath("active_phases")))] = 1;

  // Electrolyte connected to the separator face.
  std::array<bool, 3> periodic{periodicSides, periodicSides, periodicSides};
  periodic[static_cast<size_t>(axis)] = false;
  const std::vector<uint8_t> connected =
      labelClusters(grid, sc.conducting, periodic).touchingMask(faceBit(axis, separatorHigh));

  FluxBoundary bc;
  for (int a = 0; a < 3; ++a)
    if (a != axis && periodicSides) {
      bc.kind[static_cast<size_t>(faceIndex(a, false))] = BoundaryKind::Periodic;
      bc.kind[static_cast<size_t>(faceIndex(a, true))] = BoundaryKind::Periodic;
    }
  bc.kind[static_cast<size_t>(faceIndex(axis, separatorHigh))] = BoundaryKind::Dirichlet;
  bc.value[static_cast<size_t>(faceIndex(axis, separatorHigh))] = 0.0;
  bc.placement = DirichletPlacement::Face;

  // Active area per connected electrolyte voxel: its faces to active voxels.
  constexpr uint8_t kElectrolyte = 1, kSurface = 2;
  const size_t nOwned = ctx.volume.labels.size();
  std::vector<uint8_t> phase(nOwned, kNoPhase);
  for (size_t l = 0; l < nOwned; ++l) {
    const int p = ctx.phases.phaseOf(ctx.volume.labels[l]);
    if (connected[l])
      phase[l] = kElectrolyte;
    else if (p >= 0 && isActive[static_cast<size_t>(p)])
      phase[l] = kSurface;
  }
  const FaceSpace space(grid, phase);
  const FaceIterator faces(space, bc);
  std::vector<double> area(nOwned, 0.0);  // owned, localIndex order [m^2]
  double areaLocal = 0.0;
  faces.forEachCell(PhaseSet{kElectrolyte}, [&](const Cell& c) {
    double s = 0.0;
    faces.forEachFaceOf(c, [&](const Face& f) {
      if (isTwoSided(f.kind) && f.phaseB == kSurface) s += f.area * f.weight;
    });
    area[static_cast<size_t>(grid.localIndex(c.c[0], c.c[1], c.c[2]))] = s;
    areaLocal += s;
  });
  double areaTotal = 0.0;
  MPI_Allreduce(&areaLocal, &areaTotal, 1, MPI_DOUBLE, MPI_SUM, comm);
  int64_t connectedLocal = 0, conductingLocal = 0;
  for (size_t l = 0; l < nOwned; ++l) {
    connectedLocal += connected[l] ? 1 : 0;
    conductingLocal += sc.conducting[l] ? 1 : 0;
  }
  std::array<int64_t, 2> counts{connectedLocal, conductingLocal};
  MPI_Allreduce(MPI_IN_PLACE, counts.data(), 2, MPI_INT64_T, MPI_SUM, comm);

  const int b1 = (axis + 1) % 3, b2 = (axis + 2) % 3;
  const double crossSection = geom.length(b1) * geom.length(b2);
  const double length = geom.length(axis);
  const double rIonIdealScaled = length / (sc.eps * sc.sigma0Scaled * crossSection);

  Json out;
  out["direction"] = dirKey;
  out["separator"] = separatorHigh ? "high" : "low";
  out["side_boundaries"] = periodicSides ? "periodic" : "no_flux";
  out["volume_fraction"] = sc.eps;
  out["connected_fraction"] =
      counts[1] > 0 ? static_cast<double>(counts[0]) / static_cast<double>(counts[1]) : 0.0;
  out["active_area"] = areaTotal;
  out["specific_active_area"] = areaTotal / (crossSection * length);
  out["bulk_conductivity"] = sc.sigma0;
  out["bulk_conductivity_source"] = sc.sigma0Source;
  out["reference_conductivity"] = sc.sigmaRef;
  out["ideal_line_factor"] = uniformLineResistanceFactor(geom.n[axis]);
  out["rtol"] = rtol;
  out["units"] = {{"volume_fraction", "1 (all conducting voxels)"},
                  {"connected_fraction", "1 (of the conducting voxels, connected to the separator face)"},
                  {"active_area", "m^2 (faces between connected electrolyte and active voxels)"},
                  {"specific_active_area", "1/m"},
                  {"bulk_conductivity", "S/m"},
                  {"reference_conductivity", "S/m"},
                  {"ideal_line_factor", "1 (R_0 / R_ion of the uniform discrete line: 1/3 + 1/(6 N^2))"},
                  {"low_frequency_resistance", "Ohm (R_0 = Re Z at w -> 0)"},
                  {"surface_mean_resistance", "Ohm (-<psi>_S / I: equals R_0 at convergence)"},
                  {"ionic_resistance", "Ohm (R_ion = tau_e L / (eps sigma0 A))"},
                  {"electrode_tortuosity_factor", "1"},
                  {"electrode_macmullin_number", "1 (tau_e / eps)"},
                  {"relative_residual", "1"},
                  {"seconds", "s"}};
  auto undefined = [&](const std::string& why) {
    Log::warn(fmt::format("{}: {}; electrode_tortuosity_factor null", who, why));
    out["low_frequency_resistance"] = nullptr;
    out["surface_mean_resistance"] = nullptr;
    out["ionic_resistance"] = nullptr;
    out["electrode_tortuosity_factor"] = nullptr;
    out["electrode_macmullin_number"] = nullptr;
    out["iterations"] = 0;
    out["relative_residual"] = nullptr;
    out["seconds"] = seconds(t0);
    return out;
  };
  if (counts[0] == 0) return undefined("no conducting voxel touches the separator face");
  if (!(areaTotal > 0.0))
    return undefined("the electrolyte connected to the separator touches no voxel of the active phases");

  FluxOperator op(grid, sc.sigma, connected, bc);
  VecHandle b = op.createVector();
  VecHandle x = op.createVector();
  MatHandle A = op.createMatrix(b);  // b = 0: the separator value is 0
  {
    PetscScalar* ba = nullptr;
    SSB_PETSC(VecGetArray(b, &ba));
    const PetscInt start = op.dofs().rowStart();
    faces.forEachCell(PhaseSet{kElectrolyte}, [&](const Cell& c) {
      const PetscInt me = op.dofs().indexAt(0, c.g);
      ba[me - start] = -area[static_cast<size_t>(grid.localIndex(c.c[0], c.c[1], c.c[2]))] / areaTotal;
    });
    SSB_PETSC(VecRestoreArray(b, &ba));
  }
  const LinearSolveResult r =
      solveLinear(A, b, x, SystemKind::SymmetricPositiveDefinite, "electrode_tortuosity_", rtol, who);
  const double r0Scaled = op.dissipation(x);  // I = 1
  const std::vector<double> psi = op.potential(x);
  double surfLocal = 0.0;
  for (size_t l = 0; l < nOwned; ++l) surfLocal += area[l] * psi[l];
  double surf = 0.0;
  MPI_Allreduce(&surfLocal, &surf, 1, MPI_DOUBLE, MPI_SUM, comm);
  const double surfScaled = -surf / areaTotal;
  if (!(r0Scaled > 0.0) || !std::isfinite(r0Scaled))
    throwRun(
        "{}: the low-frequency resistance is {} (scaled); the solve failed silently (check petsc_options)",
        who, r0Scaled);
  const double tauE = r0Scaled / (rIonIdealScaled * uniformLineResistanceFactor(geom.n[axis]));
  out["low_frequency_resistance"] = r0Scaled / sc.sigmaRef;
  out["surface_mean_resistance"] = surfScaled / sc.sigmaRef;
  out["ionic_resistance"] = tauE * rIonIdealScaled / sc.sigmaRef;
  out["electrode_tortuosity_factor"] = finiteOrNull(tauE);
  out["electrode_macmullin_number"] = finiteOrNull(tauE / sc.eps);
  out["iterations"] = r.iterations;
  out["relative_residual"] = r.relativeResidual;
  out["unknowns"] = op.unknowns();
  out["seconds"] = seconds(t0);
  Log::info("electrode_tortuosity '{}': tau_e = {:.6f}, R_0 = {:.6g} Ohm, {} iterations", name, tauE,
            r0Scaled / sc.sigmaRef, r.iterations);
  return out;
}

}  // namespace ssb

// The `mechanics` study: stresses in the composite from stack pressure, prescribed displacements and the
// lithiation eigenstrain of the active phase, with decohesion of active|electrolyte interfaces.
//
// PDE: div sigma = 0, sigma = C_phase : (eps - eps*), small strain, in the load-carrying voxels
//   (phases with a Young's modulus that are connected to the supports; pores carry no load);
//   eps* = e(x) I in active phases, e(x) = [(1 + dV/V(x)) / (1 + dV/V(x_ref))]^(1/3) - 1 (the linear strain
//   whose cube is the tabulated volume ratio), plus an optional uniform per-phase eigenstrain.
// Boundary conditions per face: fixed, roller, traction (stack pressure, force per face area), prescribed
//   normal displacement, free; or periodic axes with a macroscopic normal strain that is either zero or
//   free (chosen so that the mean normal stress along that axis vanishes).
// Interfaces: bilinear tension-only cohesive law as a crack band in the electrolyte voxel (Decohesion.hpp);
//   the damage-elasticity problem is solved by secant (fixed-point) iteration: solve with the trial damage,
//   update the trial damage from the new strains, repeat until the damage changes by less than `tolerance`
//   and no damaged face switches between open and closed.
// Units: SI (m, Pa, N, J); Li fraction and strains dimensionless.
#include "physics/Mechanics.hpp"

#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>

#include "mesh/Connectivity.hpp"
#include "physics/Elasticity.hpp"
#include "solver/core/LinearSolve.hpp"
#include "solver/core/Log.hpp"
#include "solver/core/MpiUtil.hpp"

namespace ssb {

using elastic::Mat6;
using elastic::Vec6;

namespace {

// Defaults and their sources (docs/mechanics.md has the discussion).
constexpr double kActiveYoungs = 199e9;  // NMC111 ~199 GPa (thesis, sec. 1.2; NMC622 value not measured)
constexpr double kActivePoisson = 0.2;   // PyBaMM O'Kane2022 / Ai2020 layered-oxide value (no NMC622 value)
constexpr double kElectrolyteYoungs = 15e9;  // LPS, thesis Table 1 (E = 15 GPa, G = 5.9 GPa)
constexpr double kElectrolytePoisson = 15.0 / (2.0 * 5.9) - 1.0;  // nu = E / (2 G) - 1 = 0.271
constexpr double kUnitStrain = 1e-3;  // macroscopic strain of the unit solves (linear: any value works)

const std::vector<std::string> kFaceNames = {"x_minus", "x_plus", "y_minus", "y_plus", "z_minus", "z_plus"};

const Schema& volumeChangeSchema() {
  static const Schema s = [] {
    Schema sc(
        "studies[] (type: mechanics).volume_change",
        "Volume change of the active phase against its Li fraction, piecewise linear in x. Default: "
        "NMC622, -4 % between x = 1 (pristine, lithiated) and x = 0.25 (the end of charge at 4.3 V with "
        "the Chen2020 OCV stand-in of the lithiation model), flat above x = 0.5 and steep below "
        "(docs/mechanics.md: thesis -4 %; shape after Kondrakov 2017 and Jousseaume 2024).");
    sc.declare("li_fraction", ParamType::RealList, "[0.25, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]",
               "Li fractions x of the table, strictly increasing.")
        .range(0.0, 1.0);
    sc.declare("dv_over_v", ParamType::RealList,
               "[-0.04, -0.033, -0.02, -0.01, -0.006, -0.0035, -0.002, -0.001, 0.0]",
               "Volume change dV/V relative to the pristine state at each x (e.g. -0.04 = -4 %).")
        .range(-0.5, 0.5);
    return sc;
  }();
  return s;
}

const Schema& profileSchema() {
  static const Schema s = [] {
    Schema sc(
        "studies[] (type: mechanics).li_fraction_profile",
        "A Li fraction that varies linearly along one axis (voxel centres), e.g. a delithiation front.");
    sc.choice("axis", std::nullopt, {"x", "y", "z"}, "Axis along which x varies.");
    sc.real("from", std::nullopt, "", 0.0, 1.0, "x at the low end of the axis (first voxel centre).");
    sc.real("to", std::nullopt, "", 0.0, 1.0, "x at the high end of the axis (last voxel centre).");
    return sc;
  }();
  return s;
}

const Schema& decohesionSchema() {
  static const Schema s = [] {
    Schema sc(
        "studies[] (type: mechanics).decohesion",
        "Tension-only bilinear traction-separation law on active|electrolyte faces, as a one-voxel crack "
        "band in the electrolyte voxel (docs/mechanics.md). Absent: perfectly bonded interfaces.");
    sc.real("strength", std::nullopt, "Pa", 0.0, kInf,
            "Interface strength sigma_c (peak normal traction). No measured NMC|LPS value exists: calibrate "
            "(e.g. against the thesis coverage loss 76 % -> 42 %).",
            true);
    sc.real(
        "fracture_energy", "4 J/m^2", "J/m^2", 0.0, kInf,
        "Fracture energy G_c per interface area. Default 4 J/m^2: the sulfide-electrolyte fracture energy "
        "threshold of Bucci et al. 2017 (no interface value measured).",
        true);
    sc.integer("max_iterations", "200", 1, 100000,
               "Secant iterations per load step before the solve is declared not converged (RunError).");
    sc.integer(
        "acceleration_depth", "5", 0, 50,
        "Anderson acceleration memory of the damage iteration (0: plain secant/fixed-point iteration).");
    sc.real(
        "tolerance", "1e-4", "", 0.0, 0.1,
        "Converged when no face's damage changes by more than this between two iterations (and no damaged "
        "face switches between open and closed).",
        true);
    return sc;
  }();
  return s;
}

double secondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

int64_t globalSum(MPI_Comm comm, int64_t x) {
  int64_t s = 0;
  MPI_Allreduce(&x, &s, 1, MPI_INT64_T, MPI_SUM, comm);
  return s;
}

// Solve the small dense system A x = b (n <= 3) by Gaussian elimination with partial pivoting.
std::vector<double> solveDense(std::vector<std::vector<double>> A, std::vector<double> b) {
  const size_t n = b.size();
  for (size_t c = 0; c < n; ++c) {
    size_t p = c;
    for (size_t r = c + 1; r < n; ++r)
      if (std::abs(A[r][c]) > std::abs(A[p][c])) p = r;
    std::swap(A[c], A[p]);
    std::swap(b[c], b[p]);
    if (A[c][c] == 0.0) throwRun("mechanics: the macroscopic stiffness of the periodic axes is singular");
    for (size_t r = c + 1; r < n; ++r) {
      const double f = A[r][c] / A[c][c];
      for (size_t k = c; k < n; ++k) A[r][k] -= f * A[c][k];
      b[r] -= f * b[c];
    }
  }
  std::vector<double> x(n);
  for (size_t i = n; i-- > 0;) {
    double s = b[i];
    for (size_t k = i + 1; k < n; ++k) s -= A[i][k] * x[k];
    x[i] = s / A[i][i];
  }
  return x;
}

Json vec6Json(const Vec6& s) { return Json::array({s[0], s[1], s[2], s[3], s[4], s[5]}); }

}  // namespace

const Schema& mechanicsSchema() {
  static const Schema s = [] {
    Schema sc(
        "studies[] (type: mechanics)",
        "Small-strain elasticity on the voxel grid (Q1 voxel elements): stresses from stack pressure, "
        "prescribed displacements and the lithiation eigenstrain of the active phase; optional decohesion "
        "of active|electrolyte interfaces; or effective moduli from periodic unit strains. Results: mean "
        "stresses per phase, reactions, damage and gap statistics, effective moduli; fields: displacement, "
        "hydrostatic and von Mises stress, damage and opening per face. See docs/mechanics.md.");
    sc.choice("type", std::nullopt, {"mechanics"}, "Study type.");
    sc.text("name", "mechanics", "Study name (results key, prefix of field names).");
    sc.choice("mode", "response", {"response", "effective_moduli"},
              "response: solve the loads below. effective_moduli: all axes periodic, three unit normal "
              "macroscopic strains, effective stiffness (normal block), Young's moduli and bulk modulus; no "
              "face conditions, eigenstrains or decohesion.");
    sc.declare(
          "youngs_modulus", ParamType::RealMap, "{}",
          "Young's modulus per phase name. Defaults by role: active 199 GPa (NMC111, thesis), electrolyte "
          "15 GPa (LPS, thesis Table 1); pore phases carry no load; phases of role other need a value.")
        .withUnit("Pa")
        .range(0.0, kInf, true);
    sc.declare(
        "poisson_ratio", ParamType::RealMap, "{}",
        "Poisson ratio per phase name, -1 < nu < 0.5. Defaults by role: active 0.2 (layered-oxide value of "
        "PyBaMM's O'Kane2022 set; none measured for NMC622), electrolyte 0.271 (LPS: E / (2 G) - 1 with "
        "thesis Table 1).");
    const char* facesDoc =
        "Faces (x_minus, x_plus, y_minus, y_plus, z_minus, z_plus) with this condition. When none of fixed, "
        "roller, traction, displacement is given: fixed [z_minus], traction [z_plus], roller on the side "
        "faces "
        "of the non-periodic axes x and y; otherwise faces not listed are traction-free. A face takes one "
        "condition.";
    sc.declare("fixed", ParamType::TextList, std::nullopt, std::string("u = 0. ") + facesDoc)
        .oneOf(kFaceNames)
        .makeOptional();
    sc.declare("roller", ParamType::TextList, std::nullopt, "Normal displacement 0, tangential traction 0.")
        .oneOf(kFaceNames)
        .makeOptional();
    sc.declare(
          "traction", ParamType::TextList, std::nullopt,
          "Compressive normal traction `stack_pressure` (force per face area, carried by the solid part).")
        .oneOf(kFaceNames)
        .makeOptional();
    sc.declare("displacement", ParamType::TextList, std::nullopt,
               "Outward normal displacement `applied_displacement`, tangential traction 0.")
        .oneOf(kFaceNames)
        .makeOptional();
    sc.declare("periodic", ParamType::TextList, "[]",
               "Periodic axes: u(x + L) = u(x) + L E_aa e_a (periodic fluctuation plus a macroscopic normal "
               "strain, see periodic_strain; macroscopic shear 0).")
        .oneOf({"x", "y", "z"});
    sc.choice(
        "periodic_strain", "free", {"free", "zero"},
        "Macroscopic normal strain E_aa of the periodic axes: free (the mean normal stress along the axis "
        "vanishes: a piece of a laterally unconstrained layer) or zero (laterally confined). With a fixed "
        "face it is zero either way.");
    sc.real("stack_pressure", "25 MPa", "Pa", 0.0, kInf,
            "Stack pressure on `traction` faces (thesis: 25 MPa in normal cells, up to ~127 MPa).");
    sc.real("applied_displacement", "0", "m", -kInf, kInf,
            "Outward normal displacement of `displacement` faces.");
    sc.integer(
        "load_steps", "1", 1, 100000,
        "The loads (pressure, displacement, eigenstrain) are ramped together in this many equal steps; "
        "damage is history dependent, so a softening response needs steps.");
    sc.real("li_fraction", std::nullopt, "", 0.0, 1.0,
            "Uniform Li fraction x of the active phases. Absent (and no profile): x = reference_li_fraction, "
            "no "
            "lithiation strain.")
        .optionalKey("li_fraction");
    sc.declare("li_fraction_profile", ParamType::Section, std::nullopt, "Li fraction varying along an axis.")
        .nest(profileSchema())
        .makeOptional();
    sc.real("reference_li_fraction", "1.0", "", 0.0, 1.0,
            "Li fraction at which the microstructure is stress-free (as imaged: pristine NMC, x = 1).");
    sc.declare("volume_change", ParamType::Section, "{}", "dV/V(x) table of the active phase.")
        .nest(volumeChangeSchema());
    sc.declare("eigenstrain", ParamType::RealMap, "{}",
               "Uniform isotropic linear eigenstrain per phase name (thermal-style; added to the Li strain), "
               "e.g. {NMC: -0.0135}.")
        .range(-0.5, 0.5);
    sc.declare("decohesion", ParamType::Section, std::nullopt, "Interface decohesion (absent: bonded).")
        .nest(decohesionSchema())
        .makeOptional();
    sc.real("rtol", "1e-6", "", 0.0, 0.1,
            "Relative tolerance on the true residual norm(b - K u) / norm(b) of the CG solve. Stresses are "
            "linear "
            "in the solver error; at 1e-6 the phase-mean stresses of a 32^3 composite differ by < 1e-6 "
            "(relative) "
            "from those at 1e-10 (docs/mechanics.md).",
            true);
    sc.declare(
        "petsc_options", ParamType::Any, "{}",
        "PETSc options for this study's solver without the leading dash and prefix, applied under the "
        "prefix mechanics_ (command-line -mechanics_... wins). Default: CG + geometric multigrid on the node "
        "grid where it coarsens to >= 3 levels (Galerkin coarse operators, Chebyshev / point-block Jacobi "
        "smoothing), else CG + GAMG (smoothed aggregation on the rigid-body modes); `pc_type` here "
        "overrides that choice (docs/mechanics.md, Solver).");
    sc.boolean("write_fields", "true",
               "Write <name>_displacement_x|y|z [m] (cell means of the nodes), <name>_hydrostatic_stress, "
               "<name>_von_mises_stress [Pa] and, with decohesion, <name>_damage_x|y|z [-] and "
               "<name>_opening_x|y|z [m] of each voxel's +x/+y/+z face.");
    return sc;
  }();
  return s;
}

// ---------------------------------------------------------------------------------------------------------

struct MechanicsModel::Impl {
  const StructuredGrid* gridPtr = nullptr;  // null in an input check before the volume is loaded (prepare)
  const VoxelGrid& geom;
  const PhaseMap& phases;
  std::string path, name, who;
  bool effectiveModuli = false;

  // materials
  std::vector<double> phaseE, phaseNu;  // per phase index (0 for pores)
  std::vector<int> phaseMaterial;       // phase -> material index, -1 pore
  std::vector<Mat6> materialC;
  std::vector<std::string> materialSource;
  std::vector<MechRole> role;     // per owned voxel (None for voxels that carry no load)
  std::vector<int> phaseOfVoxel;  // per owned voxel, -1 unclaimed
  int64_t solidVoxels = 0, keptVoxels = 0;

  // boundary
  ElasticBoundary bc;
  std::vector<int> loadedFaces;
  bool hasFixed = false;
  std::vector<int> freeAxes;  // periodic axes with a free macroscopic strain
  int loadSteps = 1;

  // eigenstrain
  std::vector<double> tableX, tableDv;
  double xRef = 1.0;
  std::vector<double> phaseEigen;  // uniform per phase
  std::vector<double> liFraction;  // per owned voxel
  bool liGiven = false;

  // solver
  double rtol = 1e-6;
  ScopedPetscOptions petscOptions;
  std::unique_ptr<ElasticOperator> op;
  std::unique_ptr<InterfaceDamage> damage;
  int maxIterations = 200;
  int andersonDepth = 5;
  int64_t andersonFallbacks = 0;  // steps whose Anderson mixing stalled and fell back to plain iteration
  int64_t chatteringBands = 0;    // bands accepted while flipping open/closed (summed over steps)
  int64_t frozenBands = 0;        // bands held closed after kFreezeFlips flips in a step (summed over steps)
  int64_t monotoneSteps = 0;      // steps finished by the monotone damage iteration (startMonotone)
  double tolerance = 1e-4;
  double strength = 0.0, fractureEnergy = 0.0;

  // state
  VecHandle u;
  ElasticLoad load;  // the load u was solved for
  double levelReached = 0.0;
  int64_t totalLinearIterations = 0, totalNonlinearIterations = 0, solves = 0;
  double lastRelativeResidual = 0.0, solveSeconds = 0.0;
  std::string preconditioner;  // of the last linear solve (LinearSolveResult::preconditioner)
  double assemblySeconds = 0.0, setupSeconds = 0.0, krylovSeconds = 0.0;
  Json stepRecords = Json::array();
  Json moduli;  // effective_moduli mode

  Impl(const StudyContext& ctx, const Params& p);
  // Input checks only: every rule that needs no voxel (prepareMechanics).
  Impl(const PhaseMap& phaseMap, const VoxelGrid& geometry, const Params& p);
  const StructuredGrid& grid() const { return *gridPtr; }
  void parseInputs(const Params& p);
  void parseMaterials(const Params& p);
  void parseBoundary(const Params& p);
  void parseEigenstrain(const Params& p);
  void buildSupport();
  double linearLiStrain(double x) const;
  double tableDvAt(double x) const;
  void checkWindow(double lo, double hi, const std::string& source) const;
  void updateEigenstrain();
  // Adds one linear solve to the counters and timings (the operator's last assembly included); returns its
  // iterations.
  int recordSolve(const LinearSolveResult& r);
  int solveElastic(double factor);
  Json runStep(double level);
  void runEffectiveModuli();
  std::vector<Vec6> intactStress() const;
};

MechanicsModel::Impl::Impl(const PhaseMap& phaseMap, const VoxelGrid& geometry, const Params& p)
    : geom(geometry), phases(phaseMap), path(p.path()), name(p.text("name")) {
  parseInputs(p);
}

void MechanicsModel::Impl::parseInputs(const Params& p) {
  who = fmt::format("{} (mechanics study '{}')", path, name);
  effectiveModuli = p.text("mode") == "effective_moduli";
  rtol = p.real("rtol");
  loadSteps = static_cast<int>(p.integer("load_steps"));
  const PetscOptionList options = parsePetscOptions(p.raw("petsc_options"), p.keyPath("petsc_options"));
  if (gridPtr)
    petscOptions.insert("mechanics_", options);
  else
    checkPetscOptions(options, "mechanics_", SolverLevel::Linear,
                      defaultSolverOptions(SystemKind::Elasticity));

  parseMaterials(p);
  parseBoundary(p);
  parseEigenstrain(p);
  if (p.has("decohesion")) {
    if (effectiveModuli)
      throwInput("{}: decohesion is not used in mode effective_moduli", p.keyPath("decohesion"));
    Params d = p.section("decohesion");
    if (!d.has("strength"))
      throwInput("{}: give the interface strength (no measured NMC|LPS value exists; e.g. 50 MPa)",
                 d.keyPath("strength"));
    strength = d.real("strength");
    fractureEnergy = d.real("fracture_energy");
    maxIterations = static_cast<int>(d.integer("max_iterations"));
    andersonDepth = static_cast<int>(d.integer("acceleration_depth"));
    tolerance = d.real("tolerance");
    if (!(strength > 0.0)) throwInput("{}: must be > 0", d.keyPath("strength"));
    if (!(fractureEnergy > 0.0)) throwInput("{}: must be > 0", d.keyPath("fracture_energy"));
    // The band must soften, not snap back by itself: delta_0 = sigma_c h / M < delta_f = 2 G_c / sigma_c.
    for (const auto& ph : phases.phases()) {
      if (ph.role != PhaseRole::Electrolyte) continue;
      const int idx = phases.index(ph.name, "phases");
      if (phaseMaterial[static_cast<size_t>(idx)] < 0) continue;
      const double M =
          elastic::pWaveModulus(phaseE[static_cast<size_t>(idx)], phaseNu[static_cast<size_t>(idx)]);
      const double hmax = *std::max_element(geom.spacing.begin(), geom.spacing.end());
      const double limit = 2.0 * fractureEnergy * M / (strength * strength);
      if (hmax >= limit)
        throwInput(
            "{}: with strength {:.4g} Pa, fracture energy {:.4g} J/m^2 and {} (uniaxial-strain modulus "
            "{:.4g} Pa) "
            "a crack band one voxel ({:.4g} m) thick snaps back; the voxel must be smaller than "
            "2 G_c M / sigma_c^2 = {:.4g} m (lower the strength or raise the fracture energy)",
            d.keyPath("strength"), strength, fractureEnergy, ph.name, M, hmax, limit);
    }
  }
  if (p.has("li_fraction") && p.has("li_fraction_profile"))
    throwInput("{}: give either li_fraction or li_fraction_profile, not both",
               p.keyPath("li_fraction_profile"));
  if ((p.has("li_fraction") || p.has("li_fraction_profile")) && effectiveModuli)
    throwInput("{}: the Li fraction is not used in mode effective_moduli",
               p.keyPath(p.has("li_fraction") ? "li_fraction" : "li_fraction_profile"));
  if (p.has("li_fraction"))
    checkWindow(p.real("li_fraction"), p.real("li_fraction"), p.keyPath("li_fraction"));
  if (p.has("li_fraction_profile")) {
    Params pr = p.section("li_fraction_profile");
    const double from = pr.real("from"), to = pr.real("to");
    checkWindow(std::min(from, to), std::max(from, to), p.keyPath("li_fraction_profile"));
  }
}

MechanicsModel::Impl::Impl(const StudyContext& ctx, const Params& p)
    : gridPtr(ctx.volume.grid.get()),
      geom(ctx.volume.grid->geometry()),
      phases(ctx.phases),
      path(p.path()),
      name(p.text("name")) {
  const auto& labels = ctx.volume.labels;
  phaseOfVoxel.resize(labels.size());
  for (size_t l = 0; l < labels.size(); ++l) phaseOfVoxel[l] = phases.phaseOf(labels[l]);
  parseInputs(p);
  buildSupport();

  std::vector<int> voxelMaterial(role.size(), -1);
  std::vector<Mat6> voxelC(role.size(), Mat6{});
  for (size_t l = 0; l < role.size(); ++l) {
    if (role[l] == MechRole::None) continue;
    voxelMaterial[l] = phaseMaterial[static_cast<size_t>(phaseOfVoxel[l])];
    voxelC[l] = materialC[static_cast<size_t>(voxelMaterial[l])];
  }
  op = std::make_unique<ElasticOperator>(grid(), voxelMaterial, materialC, bc);
  if (strength > 0.0)
    damage = std::make_unique<InterfaceDamage>(grid(), role, voxelC, bc.periodic, strength, fractureEnergy);
  u = op->createVector();
  SSB_PETSC(VecSet(u, 0.0));
  load.factor = 0.0;
  load.eigenstrainFactor = 0.0;
  liFraction.assign(role.size(), xRef);
  if (p.has("li_fraction")) {
    std::fill(liFraction.begin(), liFraction.end(), p.real("li_fraction"));
    liGiven = true;
  }
  if (p.has("li_fraction_profile")) {
    if (liGiven)
      throwInput("{}: give either li_fraction or li_fraction_profile, not both",
                 p.keyPath("li_fraction_profile"));
    Params pr = p.section("li_fraction_profile");
    const std::string ax = pr.text("axis");
    const int a = ax == "x" ? 0 : ax == "y" ? 1 : 2;
    const double from = pr.real("from"), to = pr.real("to");
    const int64_t na = geom.n[a];
    grid().forEachOwned([&](int64_t i, int64_t j, int64_t k, int64_t l) {
      const int64_t idx[3] = {i, j, k};
      const double t = na > 1 ? static_cast<double>(idx[a]) / static_cast<double>(na - 1) : 0.0;
      liFraction[static_cast<size_t>(l)] = from + t * (to - from);
    });
    liGiven = true;
  }
  if (liGiven && effectiveModuli)
    throwInput("{}: the Li fraction is not used in mode effective_moduli", p.keyPath("li_fraction"));
  updateEigenstrain();
}

void MechanicsModel::Impl::parseMaterials(const Params& p) {
  const size_t np = static_cast<size_t>(phases.size());
  phaseE.assign(np, 0.0);
  phaseNu.assign(np, 0.0);
  phaseMaterial.assign(np, -1);
  std::vector<bool> eGiven(np, false), nuGiven(np, false);
  for (const auto& [ph, v] : p.realMap("youngs_modulus")) {
    const std::string key = p.keyPath("youngs_modulus") + "." + ph;
    const size_t i = static_cast<size_t>(phases.index(ph, key));
    if (!(v > 0.0)) throwInput("{}: Young's modulus {} Pa must be > 0", key, v);
    phaseE[i] = v;
    eGiven[i] = true;
  }
  for (const auto& [ph, v] : p.realMap("poisson_ratio")) {
    const std::string key = p.keyPath("poisson_ratio") + "." + ph;
    const size_t i = static_cast<size_t>(phases.index(ph, key));
    if (!(v > -1.0) || !(v < 0.5))
      throwInput(
          "{}: Poisson ratio {} is outside (-1, 0.5); nu >= 0.5 is incompressible (no finite bulk modulus, "
          "and the "
          "displacement elements lock)",
          key, v);
    phaseNu[i] = v;
    nuGiven[i] = true;
  }
  for (size_t i = 0; i < np; ++i) {
    const Phase& ph = phases.phases()[i];
    if (ph.role == PhaseRole::Pore) {
      if (eGiven[i] || nuGiven[i])
        throwInput("{}.{}: phase '{}' has role pore and carries no load; give it no moduli (or another role)",
                   p.keyPath(eGiven[i] ? "youngs_modulus" : "poisson_ratio"), ph.name, ph.name);
      continue;
    }
    std::string source = "input";
    if (!eGiven[i] || !nuGiven[i]) {
      if (ph.role == PhaseRole::Active) {
        if (!eGiven[i]) phaseE[i] = kActiveYoungs;
        if (!nuGiven[i]) phaseNu[i] = kActivePoisson;
        source = "default for role active (NMC: E 199 GPa thesis, nu 0.2 PyBaMM O'Kane2022)";
      } else if (ph.role == PhaseRole::Electrolyte) {
        if (!eGiven[i]) phaseE[i] = kElectrolyteYoungs;
        if (!nuGiven[i]) phaseNu[i] = kElectrolytePoisson;
        source = "default for role electrolyte (LPS: E 15 GPa, G 5.9 GPa, thesis Table 1)";
      } else {
        throwInput(
            "{}.{}: phase '{}' (role other) has no default moduli; give youngs_modulus and poisson_ratio "
            "(or role pore if it carries no load)",
            p.keyPath(eGiven[i] ? "poisson_ratio" : "youngs_modulus"), ph.name, ph.name);
      }
      if (eGiven[i] || nuGiven[i]) source = "input and " + source;
    }
    phaseMaterial[i] = static_cast<int>(materialC.size());
    materialC.push_back(elastic::isotropicStiffness(phaseE[i], phaseNu[i]));
    materialSource.push_back(source);
  }
}

std::array<bool, 3> mechanicsPeriodicAxes(const Params& study) {
  std::array<bool, 3> periodic{false, false, false};
  if (study.text("mode") == "effective_moduli") return {true, true, true};
  for (const auto& ax : study.texts("periodic"))
    if (ax == "x" || ax == "y" || ax == "z") periodic[static_cast<size_t>(ax[0] - 'x')] = true;
  return periodic;
}

void MechanicsModel::Impl::parseBoundary(const Params& p) {
  const auto& n = geom.n;
  std::array<bool, 3> listed{false, false, false};
  for (const auto& ax : p.texts("periodic")) {
    const int a = ax == "x" ? 0 : ax == "y" ? 1 : 2;
    if (listed[static_cast<size_t>(a)]) throwInput("{}: axis {} is listed twice", p.keyPath("periodic"), ax);
    if (n[a] < 2)
      throwInput("{}: a periodic axis needs at least 2 voxels ({} has {})", p.keyPath("periodic"), ax, n[a]);
    listed[static_cast<size_t>(a)] = true;
  }
  bc.periodic = mechanicsPeriodicAxes(p);
  const char* keys[4] = {"fixed", "roller", "traction", "displacement"};
  const FaceCondition conds[4] = {FaceCondition::Fixed, FaceCondition::Roller, FaceCondition::Traction,
                                  FaceCondition::Displacement};
  bool anyGiven = false;
  for (const char* k : keys) anyGiven = anyGiven || p.has(k);
  if (effectiveModuli) {
    if (anyGiven)
      throwInput("{}: mode effective_moduli has no face conditions (all axes are periodic)", path);
    if (!p.texts("periodic").empty() && p.texts("periodic").size() != 3)
      throwInput("{}: mode effective_moduli makes every axis periodic; leave periodic out or list x, y, z",
                 p.keyPath("periodic"));
    for (int a = 0; a < 3; ++a) {
      if (n[a] < 2)
        throwInput("{}: mode effective_moduli needs at least 2 voxels along {}", path, axisName(a));
      bc.periodic[static_cast<size_t>(a)] = true;
    }
  }
  std::array<std::string, 6> owner{};  // which key claimed the face
  auto claim = [&](int face, FaceCondition c, const std::string& key) {
    const int a = face / 2;
    if (bc.periodic[static_cast<size_t>(a)])
      throwInput("{}: face {} belongs to periodic axis {}; a periodic axis has no face conditions", key,
                 domainFaceName(face), axisName(a));
    if (!owner[static_cast<size_t>(face)].empty())
      throwInput(
          "{}: face {} is also listed under `{}`; a face takes one condition (a traction face cannot also "
          "be held)",
          key, domainFaceName(face), owner[static_cast<size_t>(face)]);
    owner[static_cast<size_t>(face)] = key.substr(key.rfind('.') + 1);
    bc.faces[static_cast<size_t>(face)] = c;
  };
  if (!effectiveModuli && !anyGiven) {
    if (bc.periodic[2])
      throwInput(
          "{}: with z periodic there is no default support; give fixed/roller/traction/displacement faces",
          p.keyPath("periodic"));
    claim(domainFace(2, false), FaceCondition::Fixed, p.keyPath("fixed"));
    claim(domainFace(2, true), FaceCondition::Traction, p.keyPath("traction"));
    for (int a = 0; a < 2; ++a)
      if (!bc.periodic[static_cast<size_t>(a)])
        for (int plus = 0; plus < 2; ++plus)
          claim(domainFace(a, plus), FaceCondition::Roller, p.keyPath("roller"));
  } else {
    for (int k = 0; k < 4; ++k) {
      if (!p.has(keys[k])) continue;
      for (const auto& f : p.texts(keys[k])) {
        const int face =
            static_cast<int>(std::find(kFaceNames.begin(), kFaceNames.end(), f) - kFaceNames.begin());
        claim(face, conds[k], p.keyPath(keys[k]));
      }
    }
  }
  bc.pressure = p.real("stack_pressure");
  bc.displacement = p.real("applied_displacement");
  for (int f = 0; f < 6; ++f) {
    const FaceCondition c = bc.faces[static_cast<size_t>(f)];
    if (c == FaceCondition::Fixed) hasFixed = true;
    if ((c == FaceCondition::Traction && bc.pressure > 0.0) ||
        (c == FaceCondition::Displacement && bc.displacement != 0.0))
      loadedFaces.push_back(f);
  }
  // A moving face and a fixed face that share an edge prescribe two displacements to the edge's nodes.
  if (bc.displacement != 0.0)
    for (int f = 0; f < 6; ++f)
      for (int g2 = 0; g2 < 6; ++g2)
        if (bc.faces[static_cast<size_t>(f)] == FaceCondition::Displacement &&
            bc.faces[static_cast<size_t>(g2)] == FaceCondition::Fixed && f / 2 != g2 / 2)
          throwInput(
              "{}: displacement face {} and fixed face {} share an edge whose nodes would be both moved and "
              "held; make the adjacent face a roller",
              p.keyPath("displacement"), domainFaceName(f), domainFaceName(g2));
  if (!effectiveModuli && p.text("periodic_strain") == "free" && !hasFixed)
    for (int a = 0; a < 3; ++a)
      if (bc.periodic[static_cast<size_t>(a)]) freeAxes.push_back(a);
}

double MechanicsModel::Impl::tableDvAt(double x) const {
  if (x <= tableX.front()) return tableDv.front();
  if (x >= tableX.back()) return tableDv.back();
  const size_t i = static_cast<size_t>(std::upper_bound(tableX.begin(), tableX.end(), x) - tableX.begin());
  const double t = (x - tableX[i - 1]) / (tableX[i] - tableX[i - 1]);
  return tableDv[i - 1] + t * (tableDv[i] - tableDv[i - 1]);
}

double MechanicsModel::Impl::linearLiStrain(double x) const {
  return std::cbrt((1.0 + tableDvAt(x)) / (1.0 + tableDvAt(xRef))) - 1.0;
}

void MechanicsModel::Impl::checkWindow(double lo, double hi, const std::string& source) const {
  if (lo < tableX.front() || hi > tableX.back())
    throwInput(
        "{}.volume_change: the table covers Li fractions {} to {} but {} reaches {} to {}; extend "
        "li_fraction / "
        "dv_over_v to cover the window",
        path, tableX.front(), tableX.back(), source, lo, hi);
}

void MechanicsModel::Impl::parseEigenstrain(const Params& p) {
  Params vc = p.section("volume_change");
  tableX = vc.reals("li_fraction");
  tableDv = vc.reals("dv_over_v");
  if (tableX.size() < 2 || tableX.size() != tableDv.size())
    throwInput("{}: li_fraction and dv_over_v need the same number of entries (at least 2); got {} and {}",
               vc.path(), tableX.size(), tableDv.size());
  for (size_t i = 1; i < tableX.size(); ++i)
    if (!(tableX[i] > tableX[i - 1]))
      throwInput("{}: li_fraction must increase strictly ({} follows {})", vc.keyPath("li_fraction"),
                 tableX[i], tableX[i - 1]);
  xRef = p.real("reference_li_fraction");
  checkWindow(xRef, xRef, p.keyPath("reference_li_fraction"));
  phaseEigen.assign(static_cast<size_t>(phases.size()), 0.0);
  for (const auto& [ph, v] : p.realMap("eigenstrain")) {
    const std::string key = p.keyPath("eigenstrain") + "." + ph;
    const size_t i = static_cast<size_t>(phases.index(ph, key));
    if (effectiveModuli) throwInput("{}: eigenstrains are not used in mode effective_moduli", key);
    phaseEigen[i] = v;
  }
}

void MechanicsModel::Impl::buildSupport() {
  const MPI_Comm comm = grid().comm();
  const size_t nOwned = phaseOfVoxel.size();
  std::vector<uint8_t> solid(nOwned, 0);
  for (size_t l = 0; l < nOwned; ++l)
    solid[l] = phaseOfVoxel[l] >= 0 && phaseMaterial[static_cast<size_t>(phaseOfVoxel[l])] >= 0 ? 1 : 0;
  const ConnectivityResult conn = labelClusters(grid(), solid, bc.periodic);
  int64_t localSolid = 0;
  for (uint8_t s : solid) localSolid += s;
  solidVoxels = globalSum(comm, localSolid);
  if (solidVoxels == 0)
    throwInput("{}: no voxel carries load (every phase is a pore or has no moduli)", path);

  auto bitsOf = [&](FaceCondition c) {
    uint8_t b = 0;
    for (int f = 0; f < 6; ++f)
      if (bc.faces[static_cast<size_t>(f)] == c && !bc.periodic[static_cast<size_t>(f / 2)])
        b |= static_cast<uint8_t>(1u << f);
    return b;
  };
  const uint8_t fixedBits = bitsOf(FaceCondition::Fixed);
  const uint8_t holdBits =
      static_cast<uint8_t>(bitsOf(FaceCondition::Roller) | bitsOf(FaceCondition::Displacement));
  std::vector<int64_t> kept;
  if (fixedBits) {
    for (const auto& c : conn.clusters)
      if (c.faces & fixedBits) kept.push_back(c.id);
    if (kept.empty())
      throwInput("{}: no load-carrying solid touches the fixed face(s); nothing holds the body", path);
  } else {
    // No fixed face: the largest cluster, held by rollers, periodicity and pins; the rest floats.
    const Cluster* best = nullptr;
    for (const auto& c : conn.clusters)
      if (!best || c.voxels > best->voxels) best = &c;
    kept.push_back(best->id);
    const uint8_t f = best->faces;
    std::array<bool, 3> trans{}, rot{};
    for (int a = 0; a < 3; ++a) {
      const uint8_t axisBits = static_cast<uint8_t>(3u << (2 * a));
      const bool held = (f & holdBits & axisBits) != 0;
      const bool wraps = bc.periodic[static_cast<size_t>(a)] && (f & axisBits) == axisBits;
      trans[static_cast<size_t>(a)] = held;
      for (int c = 0; c < 3; ++c)
        if (c != a && (held || wraps)) rot[static_cast<size_t>(c)] = true;
    }
    for (int c = 0; c < 3; ++c)
      if (!rot[static_cast<size_t>(c)])
        throwInput(
            "{}: the boundary conditions leave the solid free to rotate about the {} axis; hold a face "
            "normal to "
            "another axis (roller, fixed) or make another axis periodic",
            path, axisName(c));
    const int64_t id = best->id;
    const auto& n = geom.n;
    NodePin pin;
    pin.node = {id % n[0], (id / n[0]) % n[1], id / (n[0] * n[1])};
    for (int c = 0; c < 3; ++c)
      if (!trans[static_cast<size_t>(c)]) {
        pin.component = c;
        bc.pins.push_back(pin);
      }
    for (int face : loadedFaces) {
      const int a = face / 2;
      if (bc.faces[static_cast<size_t>(face)] == FaceCondition::Traction && !trans[static_cast<size_t>(a)])
        throwInput(
            "{}: the traction on {} has nothing to push against along {}; hold a face normal to {} (fixed, "
            "roller or displacement)",
            path, domainFaceName(face), axisName(a), axisName(a));
    }
  }
  std::sort(kept.begin(), kept.end());
  role.assign(nOwned, MechRole::None);
  int64_t localKept = 0;
  for (size_t l = 0; l < nOwned; ++l) {
    if (!solid[l] || !std::binary_search(kept.begin(), kept.end(), conn.clusterOf[l])) continue;
    ++localKept;
    switch (phases.phases()[static_cast<size_t>(phaseOfVoxel[l])].role) {
      case PhaseRole::Active:
        role[l] = MechRole::Active;
        break;
      case PhaseRole::Electrolyte:
        role[l] = MechRole::Electrolyte;
        break;
      default:
        role[l] = MechRole::Other;
    }
  }
  keptVoxels = globalSum(comm, localKept);
  for (int face : loadedFaces) {
    bool touched = false;
    for (const auto& c : conn.clusters)
      if (std::binary_search(kept.begin(), kept.end(), c.id) && (c.faces & (1u << face))) touched = true;
    if (!touched) {
      std::string supports;
      for (int f = 0; f < 6; ++f)
        if (fixedBits & (1u << f)) supports += (supports.empty() ? "" : ", ") + domainFaceName(f);
      throwInput(
          "{}: the load-carrying solid does not connect the {} to the loaded face {} ({} face): no cluster "
          "of "
          "load-carrying voxels (6-connected) touches both; check the phases' moduli and roles or the faces",
          path, supports.empty() ? std::string("supports") : "fixed face(s) " + supports,
          domainFaceName(face), faceConditionName(bc.faces[static_cast<size_t>(face)]));
    }
  }
  if (keptVoxels < solidVoxels)
    Log::info("{}: {} of {} solid voxels are not connected to the supports and carry no load", who,
              solidVoxels - keptVoxels, solidVoxels);
}

void MechanicsModel::Impl::updateEigenstrain() {
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (size_t l = 0; l < role.size(); ++l)
    if (role[l] == MechRole::Active) {
      lo = std::min(lo, liFraction[l]);
      hi = std::max(hi, liFraction[l]);
    }
  MPI_Allreduce(MPI_IN_PLACE, &lo, 1, MPI_DOUBLE, MPI_MIN, grid().comm());
  MPI_Allreduce(MPI_IN_PLACE, &hi, 1, MPI_DOUBLE, MPI_MAX, grid().comm());
  if (lo <= hi) checkWindow(lo, hi, "the Li fraction of the active voxels");
  std::vector<double> e(role.size(), 0.0);
  bool any = false;
  for (size_t l = 0; l < role.size(); ++l) {
    if (role[l] == MechRole::None) continue;
    double v = phaseEigen[static_cast<size_t>(phaseOfVoxel[l])];
    if (role[l] == MechRole::Active) v += linearLiStrain(liFraction[l]);
    e[l] = v;
    any = any || v != 0.0;
  }
  op->setEigenstrain(any ? std::move(e) : std::vector<double>{});
}

// Solve the elastic problem at load level `factor` with the current cracks into u. With free periodic
// strains, by superposition: the solution with zero macroscopic strain plus unit-strain solutions, combined
// so that the mean normal stresses of the free axes vanish. Returns the linear iterations.
int MechanicsModel::Impl::recordSolve(const LinearSolveResult& r) {
  ++solves;
  lastRelativeResidual = r.relativeResidual;
  assemblySeconds += op->lastAssemblySeconds();
  setupSeconds += r.setupSeconds;
  krylovSeconds += r.solveSeconds;
  preconditioner = r.preconditioner;
  return r.iterations;
}

int MechanicsModel::Impl::solveElastic(double factor) {
  const auto t0 = std::chrono::steady_clock::now();
  ElasticLoad base;
  base.factor = factor;
  base.eigenstrainFactor = factor;
  int its = 0;
  auto record = [&](const LinearSolveResult& r) { its += recordSolve(r); };
  record(op->solve(base, u, rtol, "mechanics_", who));
  if (!freeAxes.empty()) {
    const Vec6 s0 = op->meanStress(op->cellStress(u, base));
    const size_t nf = freeAxes.size();
    std::vector<VecHandle> unit(nf);
    std::vector<std::vector<double>> A(nf, std::vector<double>(nf));
    std::vector<double> b(nf);
    for (size_t c = 0; c < nf; ++c) {
      ElasticLoad ul;
      ul.factor = 0.0;
      ul.eigenstrainFactor = 0.0;
      ul.macroStrain[static_cast<size_t>(freeAxes[c])] = kUnitStrain;
      unit[c] = op->createVector();
      record(op->solve(ul, unit[c], rtol, "mechanics_", who));
      const Vec6 sc = op->meanStress(op->cellStress(unit[c], ul));
      for (size_t r = 0; r < nf; ++r) A[r][c] = sc[static_cast<size_t>(freeAxes[r])] / kUnitStrain;
    }
    for (size_t r = 0; r < nf; ++r) b[r] = -s0[static_cast<size_t>(freeAxes[r])];
    const std::vector<double> E = solveDense(A, b);
    for (size_t c = 0; c < nf; ++c) {
      SSB_PETSC(VecAXPY(u, E[c] / kUnitStrain, unit[c]));
      base.macroStrain[static_cast<size_t>(freeAxes[c])] = E[c];
    }
  }
  load = base;
  solveSeconds += secondsSince(t0);
  return its;
}

std::vector<Vec6> MechanicsModel::Impl::intactStress() const {
  std::vector<Vec6> eps = op->cellStrain(u, load);
  const auto& eig = op->eigenstrain();
  for (size_t l = 0; l < eps.size(); ++l) {
    if (role[l] != MechRole::Electrolyte) {
      eps[l] = Vec6{};
      continue;
    }
    if (!eig.empty())
      for (int c = 0; c < 3; ++c) eps[l][static_cast<size_t>(c)] -= eig[l] * load.eigenstrainFactor;
    eps[l] = elastic::multiply(
        materialC[static_cast<size_t>(phaseMaterial[static_cast<size_t>(phaseOfVoxel[l])])], eps[l]);
  }
  return eps;
}

Json MechanicsModel::Impl::runStep(double level) {
  int iterations = 0, linear = 0;
  bool converged = false;
  double change = 0.0;
  int64_t switched = 0;
  // Anderson mixing speeds up a smooth contraction but can cycle on this map (clipped to [committed damage,
  // 1] and switching branches): on the generated 255-15h composite in a coupled charge it stalled at a
  // damage change of 0.02-0.07 for 200 iterations where the plain iteration converges in 2-30. So when the
  // change has not reached a new minimum for kStallIterations iterations, the rest of the step iterates
  // plainly; a plain iteration that stalls as well is under-relaxed, halving down to kMinRelaxation.
  constexpr int kStallIterations = 10, kChatterIterations = 5;
  constexpr double kMinRelaxation = 0.125;
  int depth = andersonDepth, sinceBest = 0, quiet = 0;
  double relaxation = 1.0, best = std::numeric_limits<double>::infinity();
  for (int it = 1; it <= (damage ? maxIterations : 1); ++it) {
    if (damage) op->setCrackCompliance(damage->crackCompliance());
    linear += solveElastic(level);
    iterations = it;
    if (!damage) {
      converged = true;
      break;
    }
    const InterfaceDamage::Update up = damage->update(intactStress());
    change = up.maxDamageChange;
    switched = up.switched;
    frozenBands += up.frozen;
    if (change <= tolerance && switched == 0) {
      converged = true;
      break;
    }
    // Contact chatter: a damaged band whose opening is ~0 can flip between open ((1 - d) K) and closed (K)
    // on every iteration while no damage changes (seen during a discharge of the coupled composite: 1 band,
    // damage change 0, for 200 iterations). Accepted after kChatterIterations such iterations when it
    // concerns at most 1 % of the bands (at least 2); counted in `chattering_bands`.
    quiet = change <= tolerance ? quiet + 1 : 0;
    if (quiet >= kChatterIterations &&
        static_cast<double>(switched) <= std::max(2.0, 1e-2 * static_cast<double>(damage->bandCount()))) {
      Log::detail("{}: {} band(s) flipping open/closed with no damage change for {} iterations: accepted",
                  who, switched, quiet);
      chatteringBands += switched;
      converged = true;
      break;
    }
    if (change < best) {
      best = change;
      sinceBest = 0;
    } else if (++sinceBest >= kStallIterations && (depth > 0 || relaxation > kMinRelaxation)) {
      if (depth > 0) {
        depth = 0;
        ++andersonFallbacks;
      } else {
        relaxation *= 0.5;  // the plain iteration cycles too: under-relax it
      }
      Log::detail(
          "{}: damage iteration stalled at a change of {:.3g} (iteration {}); plain iteration with "
          "relaxation {:g} from here",
          who, change, it, relaxation);
      sinceBest = 0;
      best = change;
    }
    const bool exhausted = sinceBest >= kStallIterations && depth == 0 && relaxation <= kMinRelaxation;
    if ((exhausted || 2 * it >= maxIterations) && it < maxIterations && !damage->monotone()) {
      // Every mixing has stalled, or half the iterations are spent (the under-relaxed iteration can creep
      // down for hundreds of iterations, e.g. past a snap-back where the fixed point has vanished): restart
      // the step from the committed damage and let damage only grow within it (InterfaceDamage::
      // startMonotone), with the Anderson extrapolation back on.
      Log::detail(
          "{}: damage iteration stalled at a change of {:.3g} (iteration {}); monotone iteration from "
          "the committed damage from here",
          who, change, it);
      damage->startMonotone();
      ++monotoneSteps;
      depth = andersonDepth;
      relaxation = 1.0;
      sinceBest = 0;
      best = std::numeric_limits<double>::infinity();
      continue;
    }
    damage->advance(depth, relaxation);
  }
  totalNonlinearIterations += iterations;
  totalLinearIterations += linear;
  if (!converged)
    throw DamageIterationError(fmt::format(
        "{}: the damage iteration did not converge at load level {:.4g} after {} iterations (last damage "
        "change {:.3g}, {} faces switching open/closed); use more load_steps or raise "
        "decohesion.max_iterations",
        who, level, iterations, change, switched));
  if (damage) damage->commit();  // u and the stresses stay those of the last solve (damage within tolerance)
  levelReached = level;
  Json r;
  r["load_level"] = level;
  r["nonlinear_iterations"] = iterations;
  r["linear_iterations"] = linear;
  if (damage) {
    r["last_damage_change"] = change;
  }
  Json reactions = Json::object();
  for (int f = 0; f < 6; ++f) {
    const FaceCondition c = bc.faces[static_cast<size_t>(f)];
    if (bc.periodic[static_cast<size_t>(f / 2)] || c == FaceCondition::Free || c == FaceCondition::Traction)
      continue;
    reactions[domainFaceName(f)] = op->faceReaction(u, load, f);
  }
  r["reaction_force"] = reactions;
  r["applied_displacement"] = bc.displacement * level;
  r["stack_pressure"] = bc.pressure * level;
  r["macroscopic_strain"] = Json::array({load.macroStrain[0], load.macroStrain[1], load.macroStrain[2]});
  if (damage) {
    const Json st = damage->statistics();
    r["debonded_area_fraction"] = st["debonded_area_fraction"];
    r["mean_damage"] = st["mean_damage"];
    r["max_opening"] = st["max_opening"];
  }
  return r;
}

void MechanicsModel::Impl::runEffectiveModuli() {
  std::vector<std::vector<double>> C(3, std::vector<double>(3));
  int its = 0;
  for (int a = 0; a < 3; ++a) {
    ElasticLoad ul;
    ul.factor = 0.0;
    ul.eigenstrainFactor = 0.0;
    ul.macroStrain[static_cast<size_t>(a)] = kUnitStrain;
    its += recordSolve(op->solve(ul, u, rtol, "mechanics_", who));
    const Vec6 s = op->meanStress(op->cellStress(u, ul));
    for (int b = 0; b < 3; ++b)
      C[static_cast<size_t>(b)][static_cast<size_t>(a)] = s[static_cast<size_t>(b)] / kUnitStrain;
    load = ul;
  }
  totalLinearIterations += its;
  Mat6 full{};
  for (int i = 0; i < 6; ++i) full[static_cast<size_t>(i * 7)] = 1.0;
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j)
      full[static_cast<size_t>(i * 6 + j)] = C[static_cast<size_t>(i)][static_cast<size_t>(j)];
  const Mat6 S = elastic::invert(full);  // the normal block's inverse (shear rows are identity)
  double sumC = 0.0;
  for (const auto& row : C)
    for (double v : row) sumC += v;
  Json m;
  m["stiffness_normal_block"] = C;
  m["youngs_modulus"] = {{"x", 1.0 / S[0]}, {"y", 1.0 / S[7]}, {"z", 1.0 / S[14]}};
  m["poisson_ratio"] = {{"yx", -S[1] / S[0]}, {"zx", -S[2] / S[0]}, {"zy", -S[8] / S[7]}};
  m["bulk_modulus"] = sumC / 9.0;
  double sumS = 0.0;
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) sumS += S[static_cast<size_t>(i * 6 + j)];
  m["bulk_modulus_uniform_stress"] = 1.0 / sumS;
  m["boundary_conditions"] =
      "periodic fluctuation on all axes plus one macroscopic normal strain at a time (1e-3, others 0, shear "
      "0); "
      "mean stress over the whole box including pores";
  moduli = m;
}

// ---------------------------------------------------------------------------------------------------------

void prepareMechanics(const PhaseMap& phases, const VoxelGrid& geometry, const Params& study) {
  MechanicsModel::Impl check(phases, geometry, study);
}

MechanicsModel::MechanicsModel(const StudyContext& ctx, const Params& study)
    : m(std::make_unique<Impl>(ctx, study)) {}
MechanicsModel::~MechanicsModel() = default;

void MechanicsModel::setLiFraction(const std::vector<double>& ownedX) {
  if (ownedX.size() != m->role.size())
    throwRun("MechanicsModel::setLiFraction: {} values for {} owned voxels", ownedX.size(), m->role.size());
  m->liFraction = ownedX;
  m->liGiven = true;
  m->updateEigenstrain();
}

std::pair<double, double> MechanicsModel::liFractionRange() const {
  return {m->tableX.front(), m->tableX.back()};
}

Json MechanicsModel::solve(int steps) {
  if (m->effectiveModuli) {
    m->runEffectiveModuli();
    return Json::array();
  }
  return solveTo(1.0, steps);
}

double MechanicsModel::loadLevel() const { return m->levelReached; }

void MechanicsModel::rollbackStep() {
  if (m->damage) m->damage->rollback();
}

Json MechanicsModel::solveTo(double target, int steps) {
  if (m->effectiveModuli) throwRun("MechanicsModel::solveTo: mode effective_moduli has no load level");
  if (steps < 1) throwRun("MechanicsModel::solveTo: steps must be >= 1");
  Json records = Json::array();
  const double start = m->levelReached;
  for (int s = 1; s <= steps; ++s) {
    const double level = start + (target - start) * static_cast<double>(s) / static_cast<double>(steps);
    Json r = m->runStep(level);
    records.push_back(r);
    m->stepRecords.push_back(r);
    Log::detail("{}: step {} of {} (load level {:.4g}): {} iterations", m->who, s, steps, level,
                r["nonlinear_iterations"].get<int>());
  }
  return records;
}

std::vector<Vec6> MechanicsModel::cellStrain() const { return m->op->cellStrain(m->u, m->load); }
std::vector<Vec6> MechanicsModel::cellStress() const { return m->op->cellStress(m->u, m->load); }
std::vector<std::array<double, 3>> MechanicsModel::cellDisplacement() const {
  return m->op->cellDisplacement(m->u, m->load);
}
std::vector<uint8_t> MechanicsModel::loadCarrying() const {
  std::vector<uint8_t> out(m->role.size());
  for (size_t l = 0; l < out.size(); ++l) out[l] = m->role[l] != MechRole::None ? 1 : 0;
  return out;
}

InterfaceFaceFields MechanicsModel::interfaceFaces() const {
  if (m->damage) return m->damage->faceFields();
  InterfaceFaceFields f;
  const size_t n = m->role.size();
  f.isInterface.assign(n, {0, 0, 0});
  f.damage.assign(n, {0, 0, 0});
  f.opening.assign(n, {0, 0, 0});
  f.contact.assign(n, {1, 1, 1});
  return f;
}

Json MechanicsModel::decohesionStatistics() const { return m->damage ? m->damage->statistics() : Json(); }

std::vector<std::array<double, 3>> MechanicsModel::contactFraction() const {
  return interfaceFaces().contact;
}

Json MechanicsModel::results() const {
  const Impl& s = *m;
  const MPI_Comm comm = s.grid().comm();
  Json out;
  out["mode"] = s.effectiveModuli ? "effective_moduli" : "response";
  Json mats = Json::object();
  for (size_t i = 0; i < s.phaseMaterial.size(); ++i) {
    if (s.phaseMaterial[i] < 0) continue;
    mats[s.phases.phases()[i].name] = {{"youngs_modulus", s.phaseE[i]},
                                       {"poisson_ratio", s.phaseNu[i]},
                                       {"source", s.materialSource[static_cast<size_t>(s.phaseMaterial[i])]}};
  }
  out["materials"] = mats;
  Json faces = Json::object();
  for (int f = 0; f < 6; ++f)
    faces[domainFaceName(f)] = s.bc.periodic[static_cast<size_t>(f / 2)]
                                   ? "periodic"
                                   : faceConditionName(s.bc.faces[static_cast<size_t>(f)]);
  out["faces"] = faces;
  out["unknowns"] = s.op->unknowns();
  out["load_carrying_fraction"] =
      static_cast<double>(s.keptVoxels) / static_cast<double>(s.grid().geometry().voxels());
  out["unsupported_solid_fraction"] =
      static_cast<double>(s.solidVoxels - s.keptVoxels) / static_cast<double>(s.solidVoxels);
  out["linear_solves"] = s.solves;
  out["linear_iterations"] = s.totalLinearIterations;
  out["nonlinear_iterations"] = s.totalNonlinearIterations;
  out["anderson_fallbacks"] = s.andersonFallbacks;
  out["chattering_bands"] = s.chatteringBands;
  out["frozen_bands"] = s.frozenBands;
  out["monotone_steps"] = s.monotoneSteps;
  out["relative_residual"] = s.lastRelativeResidual;
  out["preconditioner"] = s.preconditioner;
  out["solve_seconds"] = s.solveSeconds;
  out["assembly_seconds"] = s.assemblySeconds;
  out["amg_setup_seconds"] = s.setupSeconds;
  out["krylov_seconds"] = s.krylovSeconds;
  out["rtol"] = s.rtol;
  {
    const ElasticOperator::MatrixInfo mi = s.op->matrixInfo();
    out["matrix"] = {{"nonzeros", mi.nonzeros},
                     {"bytes", mi.bytes},
                     {"nonzeros_per_node", mi.nonzeros / mi.nodes},
                     {"bytes_per_node", mi.bytes / mi.nodes}};
  }

  if (s.effectiveModuli) {
    out["effective_moduli"] = s.moduli;
  } else {
    out["stack_pressure"] = s.bc.pressure;
    out["applied_displacement"] = s.bc.displacement;
    out["macroscopic_strain"] =
        Json::array({s.load.macroStrain[0], s.load.macroStrain[1], s.load.macroStrain[2]});
    // Li fraction and eigenstrain of the active voxels.
    double lo = std::numeric_limits<double>::infinity(), hi = -lo, sum = 0.0, cnt = 0.0;
    for (size_t l = 0; l < s.role.size(); ++l)
      if (s.role[l] == MechRole::Active) {
        lo = std::min(lo, s.liFraction[l]);
        hi = std::max(hi, s.liFraction[l]);
        sum += s.liFraction[l];
        cnt += 1.0;
      }
    MPI_Allreduce(MPI_IN_PLACE, &lo, 1, MPI_DOUBLE, MPI_MIN, comm);
    MPI_Allreduce(MPI_IN_PLACE, &hi, 1, MPI_DOUBLE, MPI_MAX, comm);
    double sc[2] = {sum, cnt};
    MPI_Allreduce(MPI_IN_PLACE, sc, 2, MPI_DOUBLE, MPI_SUM, comm);
    if (sc[1] > 0)
      out["li_fraction"] = {{"min", lo},
                            {"max", hi},
                            {"mean", sc[0] / sc[1]},
                            {"reference", s.xRef},
                            {"linear_strain_at_min", s.linearLiStrain(lo)},
                            {"linear_strain_at_max", s.linearLiStrain(hi)}};
    out["steps"] = s.stepRecords;

    const std::vector<Vec6> stress = s.op->cellStress(s.u, s.load);
    out["mean_stress"] = vec6Json(s.op->meanStress(stress));
    // Per phase: volume-mean stress tensor, hydrostatic and von Mises (means and extremes) of load-carrying
    // voxels.
    const size_t np = s.phaseMaterial.size();
    std::vector<double> acc(np * 9, 0.0);                                      // 6 stress, hydro, vm, count
    std::vector<double> mx(np * 2, -std::numeric_limits<double>::infinity());  // max vm, max hydro
    std::vector<double> mn(np, std::numeric_limits<double>::infinity());       // min hydro
    for (size_t l = 0; l < stress.size(); ++l) {
      if (s.role[l] == MechRole::None) continue;
      const size_t p = static_cast<size_t>(s.phaseOfVoxel[l]);
      for (int c = 0; c < 6; ++c) acc[p * 9 + static_cast<size_t>(c)] += stress[l][static_cast<size_t>(c)];
      const double h = elastic::hydrostatic(stress[l]), vm = elastic::vonMises(stress[l]);
      acc[p * 9 + 6] += h;
      acc[p * 9 + 7] += vm;
      acc[p * 9 + 8] += 1.0;
      mx[p * 2] = std::max(mx[p * 2], vm);
      mx[p * 2 + 1] = std::max(mx[p * 2 + 1], h);
      mn[p] = std::min(mn[p], h);
    }
    MPI_Allreduce(MPI_IN_PLACE, acc.data(), static_cast<int>(acc.size()), MPI_DOUBLE, MPI_SUM, comm);
    MPI_Allreduce(MPI_IN_PLACE, mx.data(), static_cast<int>(mx.size()), MPI_DOUBLE, MPI_MAX, comm);
    MPI_Allreduce(MPI_IN_PLACE, mn.data(), static_cast<int>(mn.size()), MPI_DOUBLE, MPI_MIN, comm);
    Json ph = Json::object();
    for (size_t p = 0; p < np; ++p) {
      const double c = acc[p * 9 + 8];
      if (c <= 0) continue;
      Vec6 mean{};
      for (int k = 0; k < 6; ++k) mean[static_cast<size_t>(k)] = acc[p * 9 + static_cast<size_t>(k)] / c;
      ph[s.phases.phases()[p].name] = {{"load_carrying_voxels", static_cast<int64_t>(c)},
                                       {"mean_stress", vec6Json(mean)},
                                       {"mean_hydrostatic_stress", acc[p * 9 + 6] / c},
                                       {"min_hydrostatic_stress", mn[p]},
                                       {"max_hydrostatic_stress", mx[p * 2 + 1]},
                                       {"mean_von_mises_stress", acc[p * 9 + 7] / c},
                                       {"max_von_mises_stress", mx[p * 2]}};
    }
    out["phases"] = ph;
    out["strain_energy"] = s.op->strainEnergy(s.u, s.load);
    if (s.damage) {
      Json d = s.damage->statistics();
      d["strength"] = s.strength;
      d["fracture_energy"] = s.fractureEnergy;
      d["law"] = "bilinear, tension-only, crack band in the electrolyte voxel (docs/mechanics.md)";
      out["decohesion"] = d;
    }
  }
  out["units"] = {
      {"youngs_modulus", "Pa"},
      {"poisson_ratio", "1"},
      {"bulk_modulus", "Pa"},
      {"stiffness_normal_block", "Pa"},
      {"stack_pressure", "Pa"},
      {"applied_displacement", "m"},
      {"macroscopic_strain", "1 (xx, yy, zz)"},
      {"mean_stress", "Pa (xx, yy, zz, yz, xz, xy; tension positive; over the whole box)"},
      {"phases.mean_stress", "Pa (xx, yy, zz, yz, xz, xy; mean over the phase's load-carrying voxels)"},
      {"hydrostatic_stress", "Pa (trace / 3, tension positive)"},
      {"von_mises_stress", "Pa"},
      {"reaction_force", "N (support on body, outward positive)"},
      {"strain_energy", "J"},
      {"li_fraction", "1"},
      {"linear_strain", "1"},
      {"interface_area", "m^2"},
      {"opening", "m (gap width d * delta per face)"},
      {"gap_volume", "m^3"},
      {"fraction", "1"},
      {"strength", "Pa"},
      {"fracture_energy", "J/m^2"},
      {"solve_seconds", "s (assembly + AMG set-up + Krylov, all linear solves)"},
      {"assembly_seconds", "s"},
      {"amg_setup_seconds", "s"},
      {"krylov_seconds", "s"},
      {"matrix.bytes", "B (allocated AIJ storage, all ranks: 12 B per allocated nonzero + 4 B per row)"},
      {"matrix.bytes_per_node", "B per node of the node grid"},
      {"unknowns", "displacement components solved for"}};
  return out;
}

void MechanicsModel::writeFields(FieldWriter& fields, const std::string& prefix) const {
  const Impl& s = *m;
  // The node displacement as one node-centred vector field when every axis is bounded (the node DMDA then
  // has n + 1 nodes per axis and u is the whole displacement); a periodic axis has n nodes and u holds only
  // the periodic fluctuation, so there (and always, for cell-based post-processing) the mean of each
  // voxel's 8 nodes, affine part included, is written per component.
  if (!s.bc.periodic[0] && !s.bc.periodic[1] && !s.bc.periodic[2])
    fields.write(s.u, prefix + "_displacement", "m");
  const auto disp = s.op->cellDisplacement(s.u, s.load);
  for (int c = 0; c < 3; ++c) {
    std::vector<double> v(disp.size());
    for (size_t l = 0; l < v.size(); ++l) v[l] = disp[l][static_cast<size_t>(c)];
    fields.write(v, fmt::format("{}_displacement_{}", prefix, axisName(c)), "m");
  }
  const std::vector<Vec6> stress = s.op->cellStress(s.u, s.load);
  std::vector<double> h(stress.size()), vm(stress.size());
  for (size_t l = 0; l < stress.size(); ++l) {
    h[l] = elastic::hydrostatic(stress[l]);
    vm[l] = elastic::vonMises(stress[l]);
  }
  fields.write(h, prefix + "_hydrostatic_stress", "Pa");
  fields.write(vm, prefix + "_von_mises_stress", "Pa");
  if (s.damage) {
    const InterfaceFaceFields f = s.damage->faceFields();
    for (int a = 0; a < 3; ++a) {
      std::vector<double> d(f.damage.size()), g(f.damage.size());
      for (size_t l = 0; l < d.size(); ++l) {
        d[l] = f.damage[l][static_cast<size_t>(a)];
        g[l] = f.opening[l][static_cast<size_t>(a)];
      }
      fields.write(d, fmt::format("{}_damage_{}", prefix, axisName(a)), "1");
      fields.write(g, fmt::format("{}_opening_{}", prefix, axisName(a)), "m");
    }
  }
}

std::string mechanicsSummary(const Json& r) {
  std::string out;
  auto num = [](const Json& j) {
    return j.is_number() ? fmt::format("{:.4g}", j.get<double>()) : std::string("n/a");
  };
  if (r.contains("effective_moduli")) {
    const Json& m = r["effective_moduli"];
    out += fmt::format("  effective Young's modulus x/y/z [Pa]: {} {} {}\n", num(m["youngs_modulus"]["x"]),
                       num(m["youngs_modulus"]["y"]), num(m["youngs_modulus"]["z"]));
    out += fmt::format("  effective bulk modulus [Pa]: {}\n", num(m["bulk_modulus"]));
    return out;
  }
  if (r.contains("phases"))
    for (const auto& [ph, v] : r["phases"].items())
      out += fmt::format("  {:<12} mean hydrostatic {} Pa, mean von Mises {} Pa\n", ph,
                         num(v["mean_hydrostatic_stress"]), num(v["mean_von_mises_stress"]));
  if (r.contains("decohesion"))
    out += fmt::format("  interface: debonded area fraction {}, mean contact fraction {}, max opening {} m\n",
                       num(r["decohesion"]["debonded_area_fraction"]),
                       num(r["decohesion"]["mean_contact_fraction"]), num(r["decohesion"]["max_opening"]));
  return out;
}

Json runMechanics(const StudyContext& ctx, const Params& study) {
  const auto t0 = std::chrono::steady_clock::now();
  MechanicsModel model(ctx, study);
  model.solve(static_cast<int>(study.integer("load_steps")));
  Json r = model.results();
  r["seconds"] = secondsSince(t0);
  if (study.boolean("write_fields") && ctx.fields)
    model.writeFields(*ctx.fields, ctx.studyName.empty() ? study.text("name") : ctx.studyName);
  Log::info("mechanics '{}': {} unknowns, {} linear solves, {} CG iterations, {:.2f} s", study.text("name"),
            r["unknowns"].get<int64_t>(), r["linear_solves"].get<int64_t>(),
            r["linear_iterations"].get<int64_t>(), r["seconds"].get<double>());
  return r;
}

}  // namespace ssb

// The `conductivity` study: effective conductivity and tortuosity factor of the chosen phases.
//
// PDE, per direction d in {x, y, z}:   -div(sigma grad phi) = 0   in the conducting voxels,
//   sigma [S/m] piecewise constant per phase (phases not listed conduct nothing), phi [V];
//   phi = 1 V on the low face and 0 V on the high face normal to d, no flux (or periodic) on the sides.
// Discretisation: physics/FluxOperator (cell-centred FV, harmonic face conductances). Where the Dirichlet
// values sit and which length and volume fraction enter tau is the `convention`:
//   face                  Dirichlet on the domain faces (half a voxel from the first cell centres),
//                         L = N h, tau = eps_total * sigma0 / sigma_eff   (TauFactor; the default)
//   pinned_L_minus_1      first/last voxel layers held at 1 / 0 V, L = (N - 1) h, eps_total (PuMA, PoreSpy)
//   pinned_L_percolating  first/last voxel layers held, L = N h, eps of the percolating voxels
//                         (OpenImpala's HYPRE path)
// sigma_eff = I L / (A dphi) with I the mean of the inlet and outlet currents [A], A the cross-section
// [m^2]. sigma0 is `bulk_conductivity`, or else the volume-weighted mean conductivity of the conducting
// phases (for one conducting phase: its conductivity), so that eps * sigma0 = sum_p eps_p sigma_p, the
// multi-phase definition of TauFactor.
//
// Scale: the system is solved with the conductivities divided by the largest listed one, sigma_ref (and the
// potentials are already 1 V), so the matrix, the Krylov tolerance and every iteration are the same for
// any positive finite conductivity: tau, the percolating fraction and the iteration count do not depend on
// the units (issue 12: unscaled, 1e160 S/m overflowed inside the solver and 1e-300 S/m "converged" at once).
// Currents, conductivities and current densities are multiplied back by sigma_ref for output. A result
// that cannot be right is a run-time error: tau below its lower bound (Wiener: sigma_eff <= eps * sigma0 for
// the default sigma0, below) or a non-positive or non-finite current.
//
// Voxels that cannot carry a steady current - not connected through conducting voxels to both electrode
// faces (6-connectivity, periodic across the sides when they are periodic) - are taken out of the solve
// (identity rows); their share is reported (`percolating_fraction`). Isolated clusters would otherwise
// make the matrix singular, and dead ends carry no steady current anyway.
//
// Contact conductance (optional `contact_conductance`, physics/ContactConductance.hpp): G [S/m^2] in series
// with the bulk conductance on faces between two particles of one phase (particle ids from the generator
// where it knows them, else from the watershed split of the phase, mesh/Watershed.hpp) and between two
// conducting phases, applied as face weights
// w = 1 / (1 + harmonic(sigma1, sigma2) / (h G)). Without the key no weights are created.
//
// End layers (optional `end_layers`): the DC-polarisation cell Li-In | SE | sample | SE | Li-In. Along each
// direction the volume is solved between two layers of one phase (n = round(t / h) voxels across the whole
// section; the electrodes' Dirichlet faces move to the layers' outer faces), and the sample's resistance is
// the cell's less the layers' bulk 2 t / (sigma_layer A). What the layers add beyond their bulk - current
// spreading into the sample's conducting voxels at the faces (constriction) - stays in the sample's value,
// as in the experiment, which subtracts a separately measured separator resistance.
#include "physics/Conductivity.hpp"

#include <mpi.h>
#include <petscksp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <optional>

#include "mesh/BoxExchange.hpp"
#include "mesh/Connectivity.hpp"
#include "mesh/Watershed.hpp"
#include "physics/ContactConductance.hpp"
#include "physics/FluxOperator.hpp"
#include "solver/core/LinearSolve.hpp"
#include "solver/core/Log.hpp"
#include "solver/core/MpiUtil.hpp"

namespace ssb {

namespace {

enum class Convention { Face, PinnedLMinus1, PinnedLPercolating };

const char* conventionText(Convention c) {
  switch (c) {
    case Convention::Face:
      return "face: potentials 1 V / 0 V on the two domain faces normal to the direction, half a voxel "
             "from the first cell centres (TauFactor's convention); sigma_eff = I * N h / (A * 1 V); "
             "tau = eps_total * sigma0 / sigma_eff with eps_total the volume fraction of all conducting "
             "voxels; a uniform block gives tau = 1";
    case Convention::PinnedLMinus1:
      return "pinned_L_minus_1: the first and last voxel layers are held at 1 V / 0 V (PuMA, PoreSpy); "
             "sigma_eff = I * (N - 1) h / (A * 1 V); tau = eps_total * sigma0 / sigma_eff; a uniform "
             "block gives tau = 1";
    case Convention::PinnedLPercolating:
      return "pinned_L_percolating: the first and last voxel layers are held at 1 V / 0 V, sigma_eff = "
             "I * N h / (A * 1 V), tau = eps_percolating * sigma0 / sigma_eff with eps_percolating the "
             "volume fraction of the voxels connected to both faces (OpenImpala's HYPRE solver); a "
             "uniform block gives (N - 1) / N";
  }
  return "";
}

int64_t globalSum(MPI_Comm comm, int64_t x) {
  int64_t s = 0;
  MPI_Allreduce(&x, &s, 1, MPI_INT64_T, MPI_SUM, comm);
  return s;
}

struct Solution {
  int iterations = 0;
  double relativeResidual = 0.0;
  double assemblySeconds = 0.0;  // operator, matrix pattern and values
  double setupSeconds = 0.0;     // preconditioner set-up (KSPSetUp)
  double solveSeconds = 0.0;
  double currentIn = 0.0;
  double currentOut = 0.0;
  int64_t unknowns = 0;
  double power = 0.0;                             // dissipated power [W] for 1 V
  std::vector<double> potential, currentDensity;  // owned, only if fields are wanted
  ContactFaceCounts contactFaces;
};

// The inputs of the contact-conductance face weights (conductivities and G divided by sigma_ref).
struct ContactSetup {
  std::vector<uint8_t> phase;     // owned: phase index of conducting voxels, kNoPhase elsewhere
  std::vector<double> phaseK;     // per phase index
  std::vector<int64_t> particle;  // owned: particle id within its phase, -1 where none
  ContactRules rules;
};

double seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

// Assemble and solve one direction. Collective.
Solution solveDirection(const StructuredGrid& grid, const std::vector<double>& sigma,
                        const std::vector<uint8_t>& mask, int axis, bool periodicSides, Convention conv,
                        double rtol, bool wantFields, const ContactSetup* contact, const std::string& who) {
  Solution s;
  auto t0 = std::chrono::steady_clock::now();
  const DirichletPlacement placement =
      conv == Convention::Face ? DirichletPlacement::Face : DirichletPlacement::PinnedLayer;
  const FluxBoundary bc = FluxBoundary::drive(axis, 1.0, 0.0, periodicSides, placement);
  std::shared_ptr<FaceWeights> weights;
  if (contact)
    weights = contactWeights(grid, contact->phase, contact->phaseK, contact->particle, contact->rules, bc,
                             &s.contactFaces);
  FluxOperator op(grid, sigma, mask, bc, weights);
  VecHandle b = op.createVector();
  VecHandle x = op.createVector();
  MatHandle A = op.createMatrix(b);
  s.assemblySeconds = seconds(t0);
  s.unknowns = op.unknowns();
  // Currents, dissipated power and fields of the solution x.
  auto collect = [&]() {
    s.currentIn = op.boundaryCurrent(x, faceIndex(axis, false));
    s.currentOut = -op.boundaryCurrent(x, faceIndex(axis, true));
    s.power = op.dissipation(x);
    if (wantFields) {
      s.potential = op.potential(x);
      s.currentDensity = op.currentDensityMagnitude(x);
    }
    return s;
  };
  if (op.unknowns() == 0) return collect();  // every conducting voxel is pinned (2 layers): nothing to solve

  const LinearSolveResult r =
      solveLinear(A, b, x, SystemKind::SymmetricPositiveDefinite, "conductivity_", rtol, who);
  s.iterations = r.iterations;
  s.relativeResidual = r.relativeResidual;
  s.setupSeconds = r.setupSeconds;
  s.solveSeconds = r.solveSeconds;
  return collect();
}

const Schema& contactParticlesSchema() {
  static const Schema s = [] {
    Schema sc(
        "studies[] (type: conductivity).contact_conductance.particles",
        "Particles of each phase listed under grain_boundaries: the generator's (composite and twin "
        "volumes: the active spheres) or a watershed split of the phase (mesh/Watershed, the same split as "
        "the morphology study's particles).");
    sc.choice(
        "source", "auto", {"auto", "generator", "watershed"},
        "Where particle identity comes from: generator (the generator's particles; an error for volumes "
        "without them), watershed (always split), auto (the generator's for the phase that holds its "
        "particle label, a watershed split otherwise).");
    sc.real("min_depth", "1", "", 0.0, 1e6,
            "Peaks of the distance map less than this many (smallest) voxel edges above the pass to a higher "
            "peak are merged into it.",
            false);
    sc.real("min_relative_depth", "0.2", "", 0.0, 1.0,
            "... or less than this share of their own distance value (0.2: two equal balls overlapping with "
            "centres closer than 1.2 radii are one particle).",
            false);
    return sc;
  }();
  return s;
}

const Schema& contactSchema() {
  static const Schema s = [] {
    Schema sc("studies[] (type: conductivity).contact_conductance",
              "Contact conductance G [S/m^2] in series with the bulk face conductance: on a face with a rule "
              "the conductance is 1 / (1 / g_bulk + 1 / (G A)) with A the face area.");
    sc.declare("grain_boundaries", ParamType::RealMap, "{}",
               "G per phase name on the faces between two distinct particles of that phase (watershed "
               "particles), e.g. {LPS: 1e4 S/m^2}.")
        .withUnit("S/m^2")
        .range(0.0, kInf, true);
    sc.declare("interfaces", ParamType::RealMap, "{}",
               "G per pair of phase names 'P|Q' on the faces between those two phases, e.g. {\"LPS|NMC\": "
               "1e3 S/m^2}; both phases must conduct.")
        .withUnit("S/m^2")
        .range(0.0, kInf, true);
    sc.declare("particles", ParamType::Section, "{}", "Options of the watershed split into particles.")
        .nest(contactParticlesSchema());
    return sc;
  }();
  return s;
}

const Schema& endLayersSchema() {
  static const Schema s = [] {
    Schema sc("studies[] (type: conductivity).end_layers",
              "Layers of one phase added on both faces normal to the direction (a cell's separator layers).");
    sc.text("phase", std::nullopt,
            "Phase of the layers (must have a positive conductivity under conductivities), e.g. LPS.");
    sc.real("thickness", std::nullopt, "m", 0.0, kInf,
            "Thickness of each layer, rounded to whole voxels along the direction (at least one).", true);
    return sc;
  }();
  return s;
}

// The contact setup of `study` (nullopt without contact_conductance). Collective (watershed).
std::optional<ContactSetup> contactSetup(const StudyContext& ctx, const Params& study,
                                         const std::vector<double>& phaseScaled, double sigmaRef,
                                         Json& report) {
  if (!study.has("contact_conductance")) return std::nullopt;
  const Params cc = study.section("contact_conductance");
  const size_t nP = phaseScaled.size();
  ContactSetup c;
  c.phaseK = phaseScaled;
  c.rules.grainBoundary.assign(nP, 0.0);
  c.rules.interface.assign(nP * nP, 0.0);
  Json gb = Json::object(), itf = Json::object();
  for (const auto& [name, g] : cc.realMap("grain_boundaries")) {
    const std::string key = cc.keyPath("grain_boundaries") + "." + name;
    const int p = ctx.phases.index(name, key);
    if (!(phaseScaled[static_cast<size_t>(p)] > 0.0))
      throwInput("{}: phase '{}' does not conduct (give it a positive conductivity under conductivities)",
                 key, name);
    c.rules.grainBoundary[static_cast<size_t>(p)] = g / sigmaRef;
    gb[name] = g;
  }
  for (const auto& [pair, g] : cc.realMap("interfaces")) {
    const std::string key = cc.keyPath("interfaces") + "." + pair;
    const size_t bar = pair.find('|');
    if (bar == std::string::npos || pair.find('|', bar + 1) != std::string::npos)
      throwInput("{}: expected a pair of phase names 'P|Q', e.g. \"LPS|NMC\"", key);
    const std::string a = pair.substr(0, bar), b = pair.substr(bar + 1);
    const int p = ctx.phases.index(a, key), q = ctx.phases.index(b, key);
    if (p == q)
      throwInput("{}: both names are phase '{}'; for faces inside one phase use grain_boundaries", key, a);
    for (const auto& [n, i] : {std::pair{a, p}, std::pair{b, q}})
      if (!(phaseScaled[static_cast<size_t>(i)] > 0.0))
        throwInput("{}: phase '{}' does not conduct (give it a positive conductivity under conductivities)",
                   key, n);
    c.rules.interface[static_cast<size_t>(p) * nP + static_cast<size_t>(q)] = g / sigmaRef;
    c.rules.interface[static_cast<size_t>(q) * nP + static_cast<size_t>(p)] = g / sigmaRef;
    itf[pair] = g;
  }
  const Params pp = cc.section("particles");
  WatershedOptions ws;
  ws.minDepth = pp.real("min_depth");
  ws.minRelativeDepth = pp.real("min_relative_depth");

  const StructuredGrid& grid = *ctx.volume.grid;
  const size_t nOwned = ctx.volume.labels.size();
  c.phase.assign(nOwned, kNoPhase);
  c.particle.assign(nOwned, -1);
  std::vector<int> phaseOf(nOwned, -1);
  for (size_t l = 0; l < nOwned; ++l) {
    phaseOf[l] = ctx.phases.phaseOf(ctx.volume.labels[l]);
    if (phaseOf[l] >= 0 && phaseScaled[static_cast<size_t>(phaseOf[l])] > 0.0)
      c.phase[l] = static_cast<uint8_t>(phaseOf[l]);
  }
  const std::string source = pp.text("source");
  const auto& generated = ctx.volume.particles;
  Json particles = Json::object(), sources = Json::object();
  for (size_t p = 0; p < nP; ++p) {
    if (!(c.rules.grainBoundary[p] > 0.0)) continue;
    const std::string& name = ctx.phases.phases()[p].name;
    const bool fromGenerator =
        source != "watershed" && generated && ctx.phases.phaseOf(generated->label) == static_cast<int>(p);
    if (source == "generator" && !fromGenerator)
      throwInput("{}: phase '{}' has no particles from the generator ({}); use source: watershed (or auto)",
                 pp.keyPath("source"), name,
                 generated ? fmt::format("the generator's particles are label {}", generated->label)
                           : fmt::format("volume {} carries none", ctx.volume.source));
    if (fromGenerator) {
      // Voxels of the phase with another label than the generator's have no particle (no grain boundary).
      for (size_t l = 0; l < nOwned; ++l)
        if (phaseOf[l] == static_cast<int>(p)) c.particle[l] = generated->id[l];
      particles[name] = generated->count;
      sources[name] = "generator";
      continue;
    }
    std::vector<uint8_t> mask(nOwned, 0);
    for (size_t l = 0; l < nOwned; ++l) mask[l] = phaseOf[l] == static_cast<int>(p) ? 1 : 0;
    const ParticleLabels labels = particleIds(grid, mask, ws);
    for (size_t l = 0; l < nOwned; ++l)
      if (mask[l]) c.particle[l] = labels.id[l];
    particles[name] = static_cast<int64_t>(labels.particles.size());
    sources[name] = "watershed";
  }
  report["grain_boundaries"] = gb;
  report["interfaces"] = itf;
  report["particles"] = particles;
  report["particle_source"] = sources;
  return c;
}

}  // namespace

const Schema& conductivitySchema() {
  static const Schema s = [] {
    Schema sc(
        "studies[] (type: conductivity)",
        "Steady conduction -div(sigma grad phi) = 0 through the chosen phases along each direction: "
        "effective conductivity, tortuosity factor tau = eps * sigma0 / sigma_eff, MacMullin number, "
        "percolating "
        "fraction. Results per direction under `directions` in results.json; potential and current-density "
        "magnitude to fields.h5. See docs/conductivity.md.");
    sc.choice("type", std::nullopt, {"conductivity"}, "Study type.");
    sc.text("name", "conductivity", "Study name (results key, prefix of field names).");
    sc.declare("conductivities", ParamType::RealMap, std::nullopt,
               "Conductivity per phase name, e.g. {LPS: 0.3 mS/cm, NMC: 8.7e-6 mS/cm, pore: 0}. Phases not "
               "listed conduct nothing.")
        .withUnit("S/m")
        .range(0.0, kInf);
    sc.declare("directions", ParamType::TextList, "[x, y, z]",
               "Directions of the applied potential difference (x = TIFF column, z = page).")
        .oneOf({"x", "y", "z"});
    sc.choice(
        "side_boundaries", "no_flux", {"no_flux", "periodic"},
        "The four faces parallel to the direction: insulating, or periodic (current leaving one side enters "
        "the opposite one; percolation is then also periodic across them).");
    sc.real(
          "bulk_conductivity", std::nullopt, "S/m", 0.0, std::numeric_limits<double>::infinity(),
          "Reference sigma0 in tau and relative_conductivity. Default: the volume-weighted mean conductivity "
          "of the conducting phases (for a single conducting phase its own conductivity).",
          true)
        .optionalKey("bulk_conductivity");
    sc.choice(
        "convention", "face", {"face", "pinned_L_minus_1", "pinned_L_percolating"},
        "Boundary convention: face (TauFactor: Dirichlet on the domain faces, total eps), pinned_L_minus_1 "
        "(PuMA/PoreSpy: first/last layers pinned, length N-1, total eps), pinned_L_percolating (OpenImpala "
        "HYPRE: layers pinned, length N, percolating eps).");
    sc.real(
        "rtol", "1e-5", "", 0.0, 0.1,
        "Relative tolerance on the true residual |b - A phi| / |b| of the CG solve. sigma_eff comes from the "
        "dissipated power, whose error is quadratic in the solver error: at 1e-5 tau is within ~3e-7 of the "
        "fully converged value on the reference volumes (docs/conductivity.md).",
        true);
    sc.declare(
        "petsc_options", ParamType::Any, "{}",
        "PETSc options for this study's solver without the leading dash and prefix, e.g. {ksp_type: gmres, "
        "pc_type: gamg}; applied under the prefix conductivity_ (command-line -conductivity_... wins). "
        "Default: CG + hypre BoomerAMG (PMIS, agg_nl 1, ext+i, P_max 4, strong_threshold 0.5, Chebyshev "
        "smoothing).");
    sc.declare("contact_conductance", ParamType::Section, std::nullopt,
               "Contact conductance per unit area in series with the bulk on grain boundaries and phase "
               "interfaces (see docs/conductivity.md, 'Contact conductance'). Absent: no contact resistance.")
        .nest(contactSchema())
        .makeOptional();
    sc.declare(
          "end_layers", ParamType::Section, std::nullopt,
          "Layers of one conducting phase across the whole section on both faces normal to each "
          "direction, as in a DC-polarisation cell (Li-In | SE | composite | SE | Li-In): the current "
          "enters the sample through them, and their bulk resistance 2 t / (sigma A) is subtracted, so "
          "effective_conductivity is the sample's in that cell (see docs/conductivity.md, 'End layers'). "
          "Absent: the electrodes touch the sample.")
        .nest(endLayersSchema())
        .makeOptional();
    sc.boolean("write_fields", "true",
               "Write <name>_potential_<dir> [V] and <name>_current_density_<dir> [A/m^2] to fields.h5.");
    return sc;
  }();
  return s;
}

Json runConductivity(const StudyContext& ctx, const Params& study) {
  const StructuredGrid& grid = *ctx.volume.grid;
  const VoxelGrid& geom = grid.geometry();
  const MPI_Comm comm = grid.comm();
  const std::string name = study.text("name");
  const std::string fieldPrefix = ctx.studyName.empty() ? name : ctx.studyName;

  // --- inputs ---------------------------------------------------------------------------------------
  std::vector<double> phaseSigma(static_cast<size_t>(ctx.phases.size()), 0.0);
  for (const auto& [phase, value] : study.realMap("conductivities")) {
    int idx = ctx.phases.index(phase, study.keyPath("conductivities") + "." + phase);
    phaseSigma[static_cast<size_t>(idx)] = value;
  }
  if (std::none_of(phaseSigma.begin(), phaseSigma.end(), [](double v) { return v > 0.0; }))
    throwInput("{}: no phase conducts; give at least one phase a positive conductivity",
               study.keyPath("conductivities"));
  // Non-dimensional conductivities: divided by the largest one, so that the largest is exactly 1.
  const double sigmaRef = *std::max_element(phaseSigma.begin(), phaseSigma.end());
  if (!std::isfinite(sigmaRef))
    throwInput("{}: conductivity {} is not a finite number", study.keyPath("conductivities"), sigmaRef);
  std::vector<double> phaseScaled(phaseSigma.size(), 0.0);
  for (size_t p = 0; p < phaseSigma.size(); ++p) phaseScaled[p] = phaseSigma[p] / sigmaRef;

  std::vector<int> axes;
  {
    auto dirs = study.texts("directions");
    if (dirs.empty())
      throwInput("{}: the list is empty; give at least one of x, y, z", study.keyPath("directions"));
    for (const auto& d : dirs) {
      int a = d == "x" ? kX : d == "y" ? kY : kZ;
      if (std::find(axes.begin(), axes.end(), a) != axes.end())
        throwInput("{}: direction '{}' is listed twice", study.keyPath("directions"), d);
      axes.push_back(a);
    }
  }
  const bool periodicSides = study.text("side_boundaries") == "periodic";
  const std::string convKey = study.text("convention");
  const Convention conv = convKey == "face"               ? Convention::Face
                          : convKey == "pinned_L_minus_1" ? Convention::PinnedLMinus1
                                                          : Convention::PinnedLPercolating;
  if (conv != Convention::Face)
    for (int a : axes)
      if (geom.n[a] < 2)
        throwInput(
            "{}: convention {} pins the first and last voxel layers, so it needs at least 2 voxels along {} "
            "(the volume has {}); use convention: face",
            study.keyPath("convention"), convKey, axisName(a), geom.n[a]);
  const double rtol = study.real("rtol");
  const auto petscOptions = parsePetscOptions(study.raw("petsc_options"), study.keyPath("petsc_options"));
  const bool writeFields = study.boolean("write_fields") && ctx.fields != nullptr;
  Json contactReport = Json::object();
  const std::optional<ContactSetup> contact = contactSetup(ctx, study, phaseScaled, sigmaRef, contactReport);

  // End layers: `voxels[axis]` voxels of one conducting phase across the whole section on both faces.
  struct EndLayers {
    int phase = -1;
    std::string phaseName;
    double kScaled = 0.0;  // conductivity / sigma_ref
    std::array<int64_t, 3> voxels{0, 0, 0};
  };
  std::optional<EndLayers> endLayers;
  if (study.has("end_layers")) {
    const Params el = study.section("end_layers");
    EndLayers e;
    e.phaseName = el.text("phase");
    e.phase = ctx.phases.index(e.phaseName, el.keyPath("phase"));
    e.kScaled = phaseScaled[static_cast<size_t>(e.phase)];
    if (!(e.kScaled > 0.0))
      throwInput("{}: phase '{}' does not conduct (give it a positive conductivity under conductivities)",
                 el.keyPath("phase"), e.phaseName);
    if (conv != Convention::Face)
      throwInput(
          "{}: end layers take the place of the electrodes' faces; they work with convention: face only "
          "(this study has convention {})",
          el.path(), convKey);
    const double t = el.real("thickness");
    for (int a : axes) {
      const double n = t / geom.spacing[a];
      if (n < 0.5)
        throwInput(
            "{}: {:.4g} um is less than half a voxel ({:.4g} um along {}); give at least one voxel's "
            "thickness",
            el.keyPath("thickness"), t * 1e6, geom.spacing[a] * 1e6, axisName(a));
      e.voxels[a] = static_cast<int64_t>(std::llround(n));
    }
    endLayers = e;
  }

  // --- coefficient field and volume fractions ---------------------------------------------------------
  const size_t nOwned = ctx.volume.labels.size();
  std::vector<double> sigma(nOwned, 0.0);
  std::vector<uint8_t> conducting(nOwned, 0);
  std::vector<int64_t> phaseCount(phaseSigma.size(), 0);
  for (size_t l = 0; l < nOwned; ++l) {
    int p = ctx.phases.phaseOf(ctx.volume.labels[l]);
    if (p < 0 || !(phaseSigma[static_cast<size_t>(p)] > 0.0)) continue;
    sigma[l] = phaseScaled[static_cast<size_t>(p)];
    conducting[l] = 1;
    ++phaseCount[static_cast<size_t>(p)];
  }
  MPI_Allreduce(MPI_IN_PLACE, phaseCount.data(), static_cast<int>(phaseCount.size()), MPI_INT64_T, MPI_SUM,
                comm);
  const int64_t total = geom.voxels();
  int64_t conductingCount = 0;
  double weighted = 0.0;  // scaled: sum_p N_p sigma_p / sigma_ref cannot overflow
  std::vector<double> distinct;
  for (size_t p = 0; p < phaseSigma.size(); ++p) {
    if (!(phaseSigma[p] > 0.0)) continue;
    conductingCount += phaseCount[p];
    weighted += static_cast<double>(phaseCount[p]) * phaseScaled[p];
    if (std::find(distinct.begin(), distinct.end(), phaseSigma[p]) == distinct.end())
      distinct.push_back(phaseSigma[p]);
  }
  const double epsTotal = static_cast<double>(conductingCount) / static_cast<double>(total);

  double sigma0 = 0.0, sigma0Scaled = 0.0;  // sigma0 [S/m] and sigma0 / sigma_ref
  std::string sigma0Source;
  const bool userSigma0 = study.has("bulk_conductivity");
  if (userSigma0) {
    sigma0 = study.real("bulk_conductivity");
    sigma0Scaled = sigma0 / sigmaRef;
    sigma0Source = "bulk_conductivity (input)";
  } else if (distinct.size() == 1) {
    sigma0 = distinct[0];
    sigma0Scaled = 1.0;
    sigma0Source = "conductivity of the single conducting phase";
  } else if (conductingCount > 0) {
    sigma0Scaled = weighted / static_cast<double>(conductingCount);
    sigma0 = sigma0Scaled * sigmaRef;
    sigma0Source = "volume-weighted mean conductivity of the conducting phases";
  } else {
    sigma0 = sigmaRef;
    sigma0Scaled = 1.0;
    sigma0Source = "highest listed conductivity (no conducting voxel in the volume)";
  }
  // Lower bound of tau where one exists. With the linear potential as trial function, the discrete energy
  // bounds the conductance from above by the harmonic <= arithmetic face means: sigma_eff <= (1 / V)
  // sum_voxels sigma = eps sigma0 for the default sigma0 (face convention; also pinned_L_minus_1 for one
  // conducting phase, where the N - 1 links per column hold at most N (N - 1) / N voxels' worth), so tau >=
  // 1; for pinned_L_percolating with one phase, sigma_eff <= N / (N - 1) eps_perc sigma0, so tau >= (N - 1) /
  // N.
  auto tauLowerBound = [&](int axis) -> double {
    if (userSigma0) return 0.0;
    if (conv == Convention::Face) return 1.0;
    if (distinct.size() != 1) return 0.0;
    if (conv == Convention::PinnedLMinus1) return 1.0;
    const double n = static_cast<double>(geom.n[axis]);
    return (n - 1.0) / n;
  };

  // --- solver options for this study ------------------------------------------------------------------
  ScopedPetscOptions scopedOptions;  // the study's petsc_options, removed again after the study
  scopedOptions.insert("conductivity_", petscOptions);

  // --- per direction ----------------------------------------------------------------------------------
  std::optional<ConnectivityResult> sharedClusters;  // bounded sides: one labelling serves every direction
  Json directions = Json::object();
  for (int axis : axes) {
    const std::string dir = axisName(axis);
    const std::string who =
        fmt::format("{} (conductivity study '{}'), direction {}", study.path(), name, dir);
    auto t0 = std::chrono::steady_clock::now();

    // What this direction solves on: the volume, or the volume between its end layers (a longer grid).
    const int64_t nl = endLayers ? endLayers->voxels[axis] : 0;
    std::unique_ptr<StructuredGrid> cellGrid;
    std::vector<double> cellSigma;
    std::vector<uint8_t> cellConducting;
    std::optional<ContactSetup> cellContact;
    if (endLayers) {
      VoxelGrid cg = geom;
      cg.n[axis] += 2 * nl;
      cg.origin[axis] -= static_cast<double>(nl) * geom.spacing[axis];
      cellGrid = std::make_unique<StructuredGrid>(comm, cg);
      cellSigma = embedAlong(grid, *cellGrid, axis, nl, sigma, endLayers->kScaled);
      cellConducting = embedAlong(grid, *cellGrid, axis, nl, conducting, uint8_t{1});
      if (contact) {
        cellContact = *contact;  // the layers are one piece: no particle ids, so no grain boundaries
        cellContact->phase =
            embedAlong(grid, *cellGrid, axis, nl, contact->phase, static_cast<uint8_t>(endLayers->phase));
        cellContact->particle = embedAlong(grid, *cellGrid, axis, nl, contact->particle, int64_t{-1});
      }
    }
    const StructuredGrid& solveGrid = cellGrid ? *cellGrid : grid;
    const std::vector<double>& solveSigma = cellGrid ? cellSigma : sigma;
    const std::vector<uint8_t>& solveConducting = cellGrid ? cellConducting : conducting;
    const ContactSetup* solveContact =
        cellGrid ? (cellContact ? &*cellContact : nullptr) : (contact ? &*contact : nullptr);

    std::vector<uint8_t> percolating;
    if (periodicSides) {
      std::array<bool, 3> periodic{true, true, true};
      periodic[static_cast<size_t>(axis)] = false;
      percolating = labelClusters(solveGrid, solveConducting, periodic).percolatingMask(axis);
    } else if (cellGrid) {
      percolating = labelClusters(solveGrid, solveConducting).percolatingMask(axis);
    } else {
      if (!sharedClusters) sharedClusters = labelClusters(grid, conducting);
      percolating = sharedClusters->percolatingMask(axis);
    }
    int64_t percolatingLocal = 0;  // counted in the sample, not in its end layers
    for (uint8_t m : cellGrid ? extractAlong(*cellGrid, grid, axis, nl, percolating) : percolating)
      percolatingLocal += m ? 1 : 0;
    const int64_t percolatingCount = globalSum(comm, percolatingLocal);
    const double epsPercolating = static_cast<double>(percolatingCount) / static_cast<double>(total);

    Json r;
    r["volume_fraction"] = epsTotal;
    r["percolating_fraction"] =
        conductingCount > 0
            ? Json(static_cast<double>(percolatingCount) / static_cast<double>(conductingCount))
            : Json(0.0);
    r["bulk_conductivity"] = sigma0;
    r["reference_conductivity"] = sigmaRef;

    if (percolatingCount == 0) {
      Log::warn(
          fmt::format("{}: no conducting path connects the two faces normal to {}; effective conductivity 0, "
                      "tortuosity_factor null",
                      who, dir));
      r["effective_conductivity"] = 0.0;
      r["relative_conductivity"] = 0.0;
      r["tortuosity_factor"] = nullptr;
      r["macmullin_number"] = nullptr;
      r["flux_imbalance"] = nullptr;
      r["iterations"] = 0;
      r["relative_residual"] = nullptr;
      r["seconds"] = seconds(t0);
      r["percolates"] = false;
      directions[dir] = r;
      continue;
    }

    Solution s = solveDirection(solveGrid, solveSigma, percolating, axis, periodicSides, conv, rtol,
                                writeFields, solveContact, who);
    if (cellGrid && writeFields) {  // the fields of the sample's part of the cell
      s.potential = extractAlong(*cellGrid, grid, axis, nl, s.potential);
      s.currentDensity = extractAlong(*cellGrid, grid, axis, nl, s.currentDensity);
    }
    // The electrode current from the dissipated power, I = P / dphi: equal to the inlet and outlet currents
    // at convergence, but its error is quadratic in the solver error (P(phi) - P(phi*) = e^T A e, which CG
    // minimises), so tau is converged to ~1e-7 at rtol 1e-5 where the face currents still differ by 1e-5.
    const double currentScaled = s.power / 1.0;  // [A / (S/m)]: the current for sigma / sigma_ref
    const double current = currentScaled * sigmaRef;
    if (!(currentScaled > 0.0) || !std::isfinite(currentScaled) || !std::isfinite(current))
      throwRun(
          "{}: the computed current is {} A although the phase percolates; the solve failed silently "
          "(check petsc_options)",
          who, current);
    const int b1 = (axis + 1) % 3, b2 = (axis + 2) % 3;
    const double area = geom.length(b1) * geom.length(b2);
    const double nLen = conv == Convention::PinnedLMinus1 ? static_cast<double>(geom.n[axis] - 1)
                                                          : static_cast<double>(geom.n[axis]);
    const double length = nLen * geom.spacing[axis];
    double sigmaEffScaled = currentScaled * length / area;  // potential difference 1 V
    Json layersRecord;
    if (cellGrid) {
      // The cell's resistance less the two layers' bulk resistance 2 t / (sigma A): the sample's, with the
      // spreading between layer and sample (the faces are no longer equipotential) left in it.
      const double t = static_cast<double>(nl) * geom.spacing[axis];
      const double rCell = 1.0 / currentScaled;  // [Ohm sigma_ref]
      const double rLayers = 2.0 * t / (endLayers->kScaled * area);
      const double rSample = rCell - rLayers;
      if (!(rSample > 0.0))
        throwRun(
            "{}: the cell's resistance {:.6g} Ohm is not above its two end layers' {:.6g} Ohm; the linear "
            "solve "
            "did not converge (check `rtol` and `petsc_options`)",
            who, rCell / sigmaRef, rLayers / sigmaRef);
      sigmaEffScaled = length / (rSample * area);
      layersRecord = {{"phase", endLayers->phaseName},
                      {"thickness", t},
                      {"voxels", nl},
                      {"cell_effective_conductivity", (length + 2.0 * t) / (rCell * area) * sigmaRef},
                      {"cell_resistance", rCell / sigmaRef},
                      {"layer_resistance", rLayers / sigmaRef},
                      {"sample_resistance", rSample / sigmaRef}};
    }
    const double sigmaEff = sigmaEffScaled * sigmaRef;
    const double eps = conv == Convention::PinnedLPercolating ? epsPercolating : epsTotal;
    const double tau = eps * sigma0Scaled / sigmaEffScaled;
    const double bound = tauLowerBound(axis);
    // The power converges from above as the solver iterates (tau from below), by e^T A e: at the requested
    // tolerance tau sits well within rtol of its limit, so a value further below the bound is a failed solve.
    if (tau < bound * (1.0 - std::max(rtol, 1e-9)))
      throwRun(
          "{}: tortuosity factor {:.9g} is below {:.9g}, the least value it can take for this convention and "
          "sigma0 (sigma_eff cannot exceed eps * sigma0); the linear solve stopped before converging ({} "
          "iterations, relative residual {:.3g}); check `rtol` and `petsc_options`",
          who, tau, bound, s.iterations, s.relativeResidual);

    r["effective_conductivity"] = sigmaEff;
    r["relative_conductivity"] = sigmaEffScaled / sigma0Scaled;
    r["tortuosity_factor"] = finiteOrNull(tau);
    r["macmullin_number"] = finiteOrNull(sigma0Scaled / sigmaEffScaled);
    r["flux_imbalance"] = std::abs(s.currentIn - s.currentOut) / std::abs(s.currentIn);
    r["iterations"] = s.iterations;
    r["relative_residual"] = s.relativeResidual;
    r["seconds"] = seconds(t0);
    r["percolates"] = true;
    r["assembly_seconds"] = s.assemblySeconds;
    r["setup_seconds"] = s.setupSeconds;
    r["solve_seconds"] = s.solveSeconds;
    r["current"] = current;
    r["current_in"] = s.currentIn * sigmaRef;
    r["current_out"] = s.currentOut * sigmaRef;
    r["unknowns"] = s.unknowns;
    if (cellGrid) r["end_layers"] = layersRecord;
    if (contact) {
      r["contact_faces_grain_boundary"] = s.contactFaces.grainBoundary;
      r["contact_faces_interface"] = s.contactFaces.interface;
    }
    directions[dir] = r;
    Log::info("{} '{}' {}: tau = {:.6f}, sigma_eff = {:.6g} S/m, {} iterations, {:.2f} s", "conductivity",
              name, dir, tau, sigmaEff, s.iterations, r["seconds"].get<double>());

    if (writeFields) {
      ctx.fields->write(s.potential, fmt::format("{}_potential_{}", fieldPrefix, dir), "V");
      for (double& j : s.currentDensity) j *= sigmaRef;
      ctx.fields->write(s.currentDensity, fmt::format("{}_current_density_{}", fieldPrefix, dir), "A/m^2");
    }
  }

  Json out;
  out["convention"] = conventionText(conv);
  out["convention_key"] = convKey;
  out["side_boundaries"] = periodicSides ? "periodic" : "no_flux";
  out["bulk_conductivity_source"] = sigma0Source;
  out["rtol"] = rtol;
  out["units"] = {
      {"volume_fraction", "1"},
      {"percolating_fraction", "1"},
      {"bulk_conductivity", "S/m"},
      {"reference_conductivity", "S/m (the largest listed conductivity; the solve uses sigma / it)"},
      {"effective_conductivity", "S/m"},
      {"relative_conductivity", "1"},
      {"tortuosity_factor", "1"},
      {"macmullin_number", "1"},
      {"flux_imbalance", "1"},
      {"relative_residual", "1"},
      {"seconds", "s"},
      {"assembly_seconds", "s"},
      {"setup_seconds", "s"},
      {"solve_seconds", "s"},
      {"current", "A (for 1 V across the volume; dissipated power / 1 V)"},
      {"current_in", "A (through the inlet face)"},
      {"current_out", "A (through the outlet face)"},
      {"unknowns", "voxels solved for (percolating, not pinned)"}};
  if (endLayers)
    out["units"]["end_layers"] =
        "thickness: m; voxels: count; cell_effective_conductivity: S/m (layers + sample); cell_resistance, "
        "layer_resistance, sample_resistance: Ohm (both layers' bulk resistance; cell less layers)";
  if (contact) {
    out["contact_conductance"] = contactReport;
    out["units"]["contact_conductance"] =
        "grain_boundaries, interfaces: S/m^2 (G per phase or phase pair); particles: count";
    out["units"]["contact_faces_grain_boundary"] = "faces between distinct particles of a phase with a G";
    out["units"]["contact_faces_interface"] = "faces between two phases with a G";
  }
  out["directions"] = directions;
  return out;
}

}  // namespace ssb

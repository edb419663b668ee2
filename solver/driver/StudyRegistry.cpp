#include "solver/driver/StudyRegistry.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "mesh/PhaseMap.hpp"
#include "mesh/VolumeSource.hpp"
#include "physics/Conductivity.hpp"
#include "physics/ConductivityTensor.hpp"
#include "physics/ElectrodeTortuosity.hpp"
#include "physics/Lithiation.hpp"
#include "physics/LithiationMechanics.hpp"
#include "physics/LithiationParams.hpp"
#include "physics/Mechanics.hpp"
#include "postprocess/Morphology.hpp"
#include "solver/core/LinearSolve.hpp"
#include "solver/core/SolverOptions.hpp"
#include "solver/core/TimeIntegrator.hpp"
#include "solver/driver/Calibration.hpp"
#include "solver/driver/Measured.hpp"
#include "solver/driver/Sweep.hpp"

namespace ssb {

namespace {

std::string num(const Json& j, const char* fmtSpec = "{:.4g}") {
  if (j.is_number()) return fmt::format(fmt::runtime(fmtSpec), j.get<double>());
  if (j.is_null()) return "n/a";
  return j.dump();
}

std::string conductivitySummary(const Json& r) {
  std::string out = fmt::format("  {:<4} {:>12} {:>14} {:>12} {:>11} {:>6}\n", "dir", "tortuosity",
                                "sigma_eff [S/m]", "vol. frac.", "percolates", "iters");
  if (!r.contains("directions")) return out;
  for (const auto& [dir, d] : r["directions"].items()) {
    out += fmt::format(
        "  {:<4} {:>12} {:>14} {:>12} {:>11} {:>6}\n", dir, num(d.value("tortuosity_factor", Json())),
        num(d.value("effective_conductivity", Json())), num(d.value("volume_fraction", Json())),
        d.value("percolates", false) ? "yes" : "no", num(d.value("iterations", Json()), "{:.0f}"));
  }
  return out;
}

std::string morphologySummary(const Json& r) {
  std::string out;
  if (r.contains("volume_fractions")) {
    out += "  volume fractions:";
    for (const auto& [ph, v] : r["volume_fractions"].items()) out += fmt::format("  {} {}", ph, num(v));
    out += "\n";
  }
  if (r.contains("coverage"))
    for (const auto& [ph, c] : r["coverage"].items())
      out += fmt::format("  coverage of {} by electrolyte: {}\n", ph,
                         num(c.value("electrolyte_fraction", Json())));
  if (r.contains("geodesic"))
    for (const auto& [ph, g] : r["geodesic"].items())
      for (const auto& [dir, d] : g.items())
        if (d.is_object() && d.contains("mean")) {
          if (d["mean"].is_null())
            out += fmt::format("  geometric tortuosity {} along {}: no path between the faces\n", ph, dir);
          else
            out += fmt::format("  geometric tortuosity {} along {}: mean {} (min {}, max {})\n", ph, dir,
                               num(d["mean"]), num(d.value("min", Json())), num(d.value("max", Json())));
        }
  if (r.contains("local_thickness"))
    for (const auto& [ph, t] : r["local_thickness"].items())
      if (t.is_object() && t.contains("mean"))
        out += fmt::format("  mean local thickness {}: {} m\n", ph, num(t["mean"]));
  return out;
}

// The input checks of runConductivity (physics/Conductivity.cpp) that need no voxel, with its messages, so
// that they fail before the volume is loaded and before any other study runs.
void prepareConductivity(const PrepareContext& ctx, const Params& study) {
  bool conducts = false;
  for (const auto& [phase, value] : study.realMap("conductivities")) {
    ctx.phases.index(phase, study.keyPath("conductivities") + "." + phase);
    conducts = conducts || value > 0.0;
  }
  if (!conducts)
    throwInput("{}: no phase conducts; give at least one phase a positive conductivity",
               study.keyPath("conductivities"));
  const auto dirs = study.texts("directions");
  if (dirs.empty())
    throwInput("{}: the list is empty; give at least one of x, y, z", study.keyPath("directions"));
  std::vector<std::string> seen;
  for (const auto& d : dirs) {
    if (std::find(seen.begin(), seen.end(), d) != seen.end())
      throwInput("{}: direction '{}' is listed twice", study.keyPath("directions"), d);
    seen.push_back(d);
  }
  const std::string conv = study.text("convention");
  if (conv != "face")
    for (const auto& d : dirs) {
      const int a = d == "x" ? kX : d == "y" ? kY : kZ;
      if (ctx.geometry.n[a] < 2)
        throwInput(
            "{}: convention {} pins the first and last voxel layers, so it needs at least 2 voxels along {} "
            "(the volume has {}); use convention: face",
            study.keyPath("convention"), conv, axisName(a), ctx.geometry.n[a]);
    }
  parsePetscOptions(study.raw("petsc_options"), study.keyPath("petsc_options"));
  // The operator's CSR row pointer counts each rank's nonzeros (7 per voxel) in PetscInt.
  const double perRank = 7.0 * static_cast<double>(ctx.geometry.n[0]) *
                         static_cast<double>(ctx.geometry.n[1]) * static_cast<double>(ctx.geometry.n[2]) /
                         ctx.ranks;
  if (perRank > static_cast<double>(PETSC_MAX_INT))
    throwInput(
        "{}: the conductivity matrix would hold about {:.3g} nonzeros per rank on {} ranks, more than {}-bit "
        "PETSc indices count ({}): run on at least {} ranks, or use a PETSc built with 64-bit indices "
        "(Debian: petsc64-dev)",
        study.path(), perRank, ctx.ranks, 8 * sizeof(PetscInt), PETSC_MAX_INT,
        static_cast<long long>(std::ceil(perRank * ctx.ranks / static_cast<double>(PETSC_MAX_INT))));
}

std::string conductivityTensorSummary(const Json& r) {
  std::string out;
  if (!r.contains("principal")) return out;
  out +=
      fmt::format("  {:<10} {:>14} {:>12}  {}\n", "principal", "sigma [S/m]", "tortuosity", "axis (x, y, z)");
  int k = 1;
  for (const auto& p : r["principal"]) {
    const auto& a = p["axis"];
    out += fmt::format("  {:<10} {:>14} {:>12}  ({}, {}, {})\n", k++, num(p["conductivity"]),
                       num(p["tortuosity_factor"]), num(a[0], "{:.3f}"), num(a[1], "{:.3f}"),
                       num(a[2], "{:.3f}"));
  }
  out += fmt::format("  asymmetry {}\n", num(r.value("asymmetry", Json())));
  return out;
}

std::string electrodeTortuositySummary(const Json& r) {
  return fmt::format("  electrode tortuosity factor {}, ionic resistance {} Ohm, volume fraction {}\n",
                     num(r.value("electrode_tortuosity_factor", Json())),
                     num(r.value("ionic_resistance", Json())), num(r.value("volume_fraction", Json())));
}

std::string lithiationSummary(const Json& r) {
  std::string out = fmt::format("  {:<5} {:<5} {:>10} {:>10} {:>13} {:>10}  {}\n", "step", "kind",
                                "t_end [s]", "V_end [V]", "cap. [mAh/g]", "I_end [A]", "ended by");
  if (!r.contains("steps")) return out;
  for (const auto& st : r["steps"])
    out += fmt::format(
        "  {:<5} {:<5} {:>10} {:>10} {:>13} {:>10}  {}\n", num(st.value("index", Json()), "{:.0f}"),
        st.value("kind", std::string()), num(st.value("t_end", Json()), "{:.6g}"),
        num(st.value("voltage_end", Json()), "{:.4f}"), num(st.value("capacity", Json()), "{:.2f}"),
        num(st.value("current_end", Json())), st.value("end_reason", std::string()));
  return out;
}

// Every input check of the lithiation study that needs no voxel (physics/LithiationParams.hpp), plus the
// PETSc options.
void prepareMechanicsStudy(const PrepareContext& ctx, const Params& study);

// Every input check of the lithiation study that needs no voxel (physics/LithiationParams.hpp), plus the
// PETSc options, plus those of a coupled `mechanics` block (physics/LithiationMechanics.hpp).
void prepareLithiationStudy(const PrepareContext& ctx, const Params& study) {
  const LithiationSetup s = prepareLithiation(study, ctx.phases);
  // `auto` decides by the size of the system, known only after the volume is loaded: check against the
  // fieldsplit defaults (the dry run checks the user's values; whether a solver reads them is reported at
  // the end of the run).
  checkPetscOptions(s.petscOptions, "lithiation_", SolverLevel::Transient,
                    TimeIntegrator::defaultOptions(
                        s.linearSolver == "direct" ? SystemKind::Direct : SystemKind::CoupledPotentials));
  if (study.has("mechanics"))
    prepareMechanicsStudy(ctx, lithiationMechanicsParams(study, s.initialX, s.name));
}

void prepareMorphology(const PrepareContext& ctx, const Params& study) {
  checkMorphologyInputs(ctx.phases, study);
}

void prepareMechanicsStudy(const PrepareContext& ctx, const Params& study) {
  prepareMechanics(ctx.phases, ctx.geometry, study);
  // 3 unknowns per node, (n + 1)^3 nodes, and each rank's CSR row pointer counts its ~243 nonzeros per node
  // (docs/mechanics.md) in PetscInt.
  double nodes = 1.0;
  for (int a = 0; a < 3; ++a) nodes *= static_cast<double>(ctx.geometry.n[a] + 1);
  const double unknowns = 3.0 * nodes, perRank = 243.0 * nodes / ctx.ranks;
  if (unknowns > static_cast<double>(PETSC_MAX_INT) || perRank > static_cast<double>(PETSC_MAX_INT))
    throwInput(
        "{}: the elasticity system would have {:.3g} unknowns and about {:.3g} matrix nonzeros per rank on "
        "{} "
        "ranks, more than {}-bit PETSc indices count ({}): use a smaller volume, more ranks, or a PETSc "
        "built "
        "with 64-bit indices (Debian: petsc64-dev; docs/mechanics.md, the path to 1000^3)",
        study.path(), unknowns, perRank, ctx.ranks, 8 * sizeof(PetscInt), PETSC_MAX_INT);
}

// Peak memory per voxel of one mechanics solve (docs/benchmarks.md, Memory estimates): 4000 B where the node
// grid takes the own geometric multigrid (block AIJ fine matrix, element-assembled coarse levels: measured
// ~3.7 kB per voxel above the fixed part at 64^3-128^3 on 2 ranks), 11500 B with smoothed aggregation
// (measured ~11.4 kB at 64^3), which a grid that does not coarsen, or a user's pc_type or pc_mg_levels, gets
// (PETSc's own Galerkin hierarchy, which a user's pc_mg_levels asks for, measured 7.5 kB: also below). The
// decomposition is not known yet: assume every rank splits the smallest axis (the fewest owned nodes, so the
// multigrid is assumed only where it surely applies).
constexpr double kMechanicsMultigridBytes = 4000, kMechanicsAggregationBytes = 11500;

double mechanicsBytesPerVoxel(const PrepareContext& ctx, const Params& study) {
  try {
    const std::array<bool, 3> periodic = mechanicsPeriodicAxes(study);
    for (const auto& [key, value] :
         parsePetscOptions(study.raw("petsc_options"), study.keyPath("petsc_options")))
      if (key == "pc_type" || key == "pc_mg_levels") return kMechanicsAggregationBytes;
    std::array<int64_t, 3> nodes{};
    int64_t smallest = 0;
    for (size_t a = 0; a < 3; ++a) {
      nodes[a] = ctx.geometry.n[a] + (periodic[a] ? 0 : 1);
      smallest = a == 0 ? nodes[a] : std::min(smallest, nodes[a]);
    }
    return geometricLevels(nodes, periodic, 3, smallest / std::max(1, ctx.ranks)) >= 3
               ? kMechanicsMultigridBytes
               : kMechanicsAggregationBytes;
  } catch (const std::exception&) {
    return kMechanicsAggregationBytes;  // bad input: `prepare` names it
  }
}

// A lithiation study holds its fields (3000 B per voxel: the full C/20 protocol at 64^3 on 1 rank peaks at
// 829 MiB, ~2900 B/voxel above the fixed part, fieldsplit) and, with a `mechanics` block, a mechanics
// operator.
constexpr double kLithiationBytes = 3000;

double lithiationBytesPerVoxel(const PrepareContext& ctx, const Params& study) {
  if (!study.has("mechanics")) return kLithiationBytes;
  try {
    const LithiationSetup s = prepareLithiation(study, ctx.phases);
    return kLithiationBytes +
           mechanicsBytesPerVoxel(ctx, lithiationMechanicsParams(study, s.initialX, s.name));
  } catch (const std::exception&) {
    return kLithiationBytes + kMechanicsAggregationBytes;  // bad input: `prepare` names it
  }
}

}  // namespace

const std::vector<StudyType>& studyTypes() {
  // Peak memory per voxel (docs/benchmarks.md): conductivity 323-379 B/voxel at 128^3-256^3 on 1-2 ranks,
  // morphology 103 B/voxel at 256^3 (all metrics); mechanics and lithiation: the functions above (the
  // fixed figure is the conservative one).
  static const std::vector<StudyType> types = {
      {"conductivity",
       &conductivitySchema(),
       runConductivity,
       conductivitySummary,
       prepareConductivity,
       350,
       {}},
      {"morphology", &morphologySchema(), runMorphology, morphologySummary, prepareMorphology, 105, {}},
      {"conductivity_tensor",
       &conductivityTensorSchema(),
       runConductivityTensor,
       conductivityTensorSummary,
       [](const PrepareContext& c, const Params& p) {
         checkConductivityTensorInputs(c.phases, c.geometry.n, p);
       },
       350,
       {}},
      {"electrode_tortuosity",
       &electrodeTortuositySchema(),
       runElectrodeTortuosity,
       electrodeTortuositySummary,
       [](const PrepareContext& c, const Params& p) {
         checkElectrodeTortuosityInputs(c.phases, c.geometry.n, p);
       },
       350,
       {}},
      {"mechanics", &mechanicsSchema(), runMechanics, mechanicsSummary, prepareMechanicsStudy,
       kMechanicsAggregationBytes, mechanicsBytesPerVoxel},
      {"lithiation", &lithiationSchema(), runLithiation, lithiationSummary, prepareLithiationStudy,
       kLithiationBytes, lithiationBytesPerVoxel},
  };
  return types;
}

const StudyType& studyType(const std::string& type, const std::string& context) {
  std::string known;
  for (const auto& t : studyTypes()) {
    if (t.type == type) return t;
    known += (known.empty() ? "" : ", ") + t.type;
  }
  throwInput("{}: unknown study type '{}' (known: {})", context, type, known);
}

const Schema& outputSchema() {
  static const Schema s = [] {
    Schema sc("output",
              "Where and what to write. results.json always; fields.h5 + fields.xdmf unless fields: false.");
    sc.text("dir", "results",
            "Output directory (created if missing). Relative paths are relative to the working "
            "directory.");
    sc.boolean("fields", "true", "Write fields.h5 + fields.xdmf (labels and computed fields) for ParaView.");
    sc.boolean("save_volume", "false",
               "Also write the (generated or cropped) labels as labels.tif, labels.h5 "
               "(dataset `labels`) and labels.raw (uint8, or uint16 little-endian), shape "
               "(z, y, x).");
    return sc;
  }();
  return s;
}

const Schema& caseSchema() {
  static const Schema s = [] {
    Schema sc("(case file)", "Top level of a case YAML file.");
    sc.declare("volume", ParamType::Section, std::nullopt, "The segmented volume (file or generator).")
        .nest(volumeSchema());
    sc.declare("phases", ParamType::SectionList, std::nullopt,
               "Label -> phase table. Every label present in the volume must be claimed.")
        .nest(phaseSchema());
    sc.declare("studies", ParamType::Any, "[]",
               "List of studies, each a mapping with `type:` (conductivity, morphology, conductivity_tensor, "
               "electrode_tortuosity, mechanics) and the keys of that type.");
    sc.declare("output", ParamType::Section, "{}", "Output settings.").nest(outputSchema());
    sc.declare("measured", ParamType::SectionList, "[]",
               "Measured values compared with results (docs/studies.md): simulated, measured, ratio, "
               "within_uncertainty in results.json under `measured`.")
        .nest(measuredSchema());
    sc.declare("sweep", ParamType::Section, std::nullopt,
               "Run the case for many inputs (grid, zip, list); see docs/studies.md.")
        .nest(sweepSchema())
        .makeOptional();
    sc.declare("calibrate", ParamType::Section, std::nullopt,
               "Fit one or two inputs to `measured:` values; see docs/studies.md.")
        .nest(calibrateSchema())
        .makeOptional();
    return sc;
  }();
  return s;
}

std::vector<const Schema*> allSchemas() {
  std::vector<const Schema*> all = {&caseSchema()};
  for (const auto& t : studyTypes()) all.push_back(t.schema);
  return all;
}

}  // namespace ssb

// The `morphology` study: the thesis's quantification suite (sec. 2.6: MorphoLibJ, Local Thickness,
// 3D Suite, the REV script of Appendix B) in one distributed, reproducible run, plus the descriptors twins
// of imaged electrodes are matched on. Each metric lives in its own file (SurfaceArea, Geodesic,
// LocalThickness, PoreSizes, LineStatistics, Particles; the cluster labelling in mesh/Connectivity, the
// particle split in mesh/Watershed); this file validates the study, runs the switched-on metrics and writes
// results, CSV tables and PNG plots. All results are independent of the rank count (integer or fixed-point
// sums are reduced before any division).
#include "postprocess/Morphology.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <numeric>
#include <set>
#include <sstream>

#include "mesh/BoxExchange.hpp"
#include "mesh/Connectivity.hpp"
#include "postprocess/Geodesic.hpp"
#include "postprocess/LineStatistics.hpp"
#include "postprocess/LocalThickness.hpp"
#include "postprocess/Particles.hpp"
#include "postprocess/PoreSizes.hpp"
#include "postprocess/SurfaceArea.hpp"
#include "solver/core/AtomicFile.hpp"
#include "solver/core/Error.hpp"
#include "solver/core/Log.hpp"
#include "solver/core/MpiUtil.hpp"
#include "solver/core/Plot.hpp"

namespace ssb {

namespace {

const std::vector<std::string> kMetrics = {
    "volume_fractions",      "connectivity", "surface_area",    "coverage",
    "triple_phase_boundary", "geodesic",     "local_thickness", "pore_size_distribution",
    "slice_profiles",        "rev",          "inner_porosity",  "chord_lengths",
    "two_point_correlation", "particles"};
const std::vector<std::string> kFaces = {"x-", "x+", "y-", "y+", "z-", "z+"};

// A list-of-strings key (choices empty = free names).
void textList(Schema& sc, std::string key, std::string def, std::vector<std::string> choices,
              std::string doc) {
  sc.declare(std::move(key), ParamType::TextList, std::move(def), std::move(doc)).oneOf(std::move(choices));
}

const Schema& geodesicSchema() {
  static const Schema s = [] {
    Schema sc(
        "studies[] (type: morphology).geodesic",
        "Geodesic distance maps from a domain face through a phase and the geometric tortuosity (path length "
        "to the far face / straight thickness: mean, min, max over the far-face voxels reached).");
    textList(sc, "phases", "[]", {}, "Phases to trace; empty = every phase.");
    textList(sc, "directions", "[]", {"x", "y", "z"},
             "Directions; empty = the study's `directions`. The path runs from the inlet face to the "
             "opposite one.");
    sc.choice("inlet", "minus", {"minus", "plus"}, "Inlet face: the - face (index 0) or the + face.");
    sc.choice("neighbourhood", "6", {"6", "26"},
              "6: face-neighbour steps of one voxel (city-block paths, as the thesis's ImageJ plugin); 26: "
              "steps to "
              "all 26 neighbours with their Euclidean lengths (closer to straight-line distances).");
    return sc;
  }();
  return s;
}

const Schema& thicknessSchema() {
  static const Schema s = [] {
    Schema sc(
        "studies[] (type: morphology).local_thickness",
        "Local thickness (Hildebrand-Ruegsegger): diameter of the largest inscribed ball containing each "
        "voxel (ball centres refined to sub-voxel positions at the distance-map maxima; diameter 2 "
        "sqrt(EDT^2) - "
        "voxel/2).");
    textList(sc, "phases", "[]", {}, "Phases; empty = every phase.");
    sc.choice(
        "border", "open", {"open", "closed"},
        "open: the domain faces do not limit the balls (a particle cut by the face keeps its thickness); "
        "closed: outside the domain counts as another phase.");
    return sc;
  }();
  return s;
}

const Schema& poreSchema() {
  static const Schema s = [] {
    Schema sc(
        "studies[] (type: morphology).pore_size_distribution",
        "Connected (6-neighbour) clusters of the pore phase(s): volume, equivalent diameter, Feret diameter, "
        "number- and volume-weighted cumulative distributions (CSV per phase).");
    textList(sc, "phases", "[]", {}, "Phases treated as pores; empty = the phases with role pore.");
    return sc;
  }();
  return s;
}

const Schema& revSchema() {
  static const Schema s = [] {
    Schema sc("studies[] (type: morphology).rev",
              "Deterministic REV (thesis Appendix B): volume fraction of each phase in cubes of growing edge "
              "2s about the centre voxel (n/2 per axis), for every s up to the largest cube that fits.");
    sc.real("tolerance", "0.05", "", 0.0, 1.0, "Relative band about the full-volume value.", true);
    return sc;
  }();
  return s;
}

const Schema& tpbSchema() {
  static const Schema s = [] {
    Schema sc(
        "studies[] (type: morphology).triple_phase_boundary",
        "Triple-phase boundary: length per volume of the lines where three phases meet (voxel edges with "
        "all three around them, weighted by the line's 1/(|t_x|+|t_y|+|t_z|)); active part: every phase of "
        "the three that has a face in `connected_to` touches the line with voxels connected to that face.");
    textList(sc, "phases", "[]", {},
             "The three phases; empty = the first phase with role active, electrolyte and pore each.");
    return sc;
  }();
  return s;
}

const Schema& twoPointSchema() {
  static const Schema s = [] {
    Schema sc(
        "studies[] (type: morphology).two_point_correlation",
        "Two-point correlation S2(r) per phase along x, y, z: probability that two voxels r apart both lie "
        "in the phase (pairs inside the domain).");
    sc.integer("max_distance_voxels", "0", 0, 100000,
               "Largest lag in voxels; 0 = half the extent along each axis.");
    return sc;
  }();
  return s;
}

const Schema& particlesSchema() {
  static const Schema s = [] {
    Schema sc(
        "studies[] (type: morphology).particles",
        "Particles after a watershed split of the phase's distance map (mesh/Watershed): equivalent "
        "diameter, Feret diameter, sphericity, contacts (count and area) between particles of the phase.");
    textList(sc, "phases", "[]", {}, "Phases to split; empty = the phases with role active.");
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

int parseAxis(const std::string& d) { return d == "x" ? kX : d == "y" ? kY : kZ; }

std::vector<int> parseAxes(const std::vector<std::string>& dirs, const std::string& path) {
  std::vector<int> axes;
  for (const auto& d : dirs) {
    int a = parseAxis(d);
    if (std::find(axes.begin(), axes.end(), a) != axes.end())
      throwInput("{}: direction '{}' is listed twice", path, d);
    axes.push_back(a);
  }
  return axes;
}

std::string safeName(const std::string& s) {
  std::string o;
  for (char c : s) o += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') ? c : '_';
  return o;
}

bool isRank0(MPI_Comm comm) {
  int r = 0;
  MPI_Comm_rank(comm, &r);
  return r == 0;
}

// Phase indices (0..P-1) of a list of names from the study, or the phases selected by `fallback`.
std::vector<int> phaseList(const PhaseMap& phaseMap, const std::vector<std::string>& names,
                           const std::string& path, const std::function<bool(const Phase&)>& fallback) {
  std::vector<int> out;
  if (names.empty()) {
    for (int i = 0; i < phaseMap.size(); ++i)
      if (fallback(phaseMap.phases()[i])) out.push_back(i);
    return out;
  }
  for (size_t k = 0; k < names.size(); ++k) {
    int i = phaseMap.index(names[k], fmt::format("{}[{}]", path, k));
    if (std::find(out.begin(), out.end(), i) != out.end())
      throwInput("{}[{}]: phase '{}' is listed twice", path, k, names[k]);
    out.push_back(i);
  }
  return out;
}

std::string csvNumber(double v) { return std::isfinite(v) ? fmt::format("{:.10g}", v) : std::string(); }

// Collective wrapper: rank 0 runs `f` (file writing); an exception there reaches every rank.
template <typename F>
void onRank0(MPI_Comm comm, F&& f) {
  std::exception_ptr err;
  if (isRank0(comm)) {
    try {
      f();
    } catch (...) {
      err = std::current_exception();
    }
  }
  rethrowCollective(comm, err);
}

// Collective. The distinct values where mask != 0 with their voxel counts, sorted, identical on every rank.
// Local thickness takes few distinct values (one per ball radius), so statistics computed from this table
// in a fixed order are bit-identical whatever the rank count.
std::vector<std::pair<double, int64_t>> valueCounts(MPI_Comm comm, const std::vector<double>& v,
                                                    const std::vector<uint8_t>& mask) {
  std::map<double, int64_t> local;
  for (size_t i = 0; i < v.size(); ++i)
    if (mask[i]) ++local[v[i]];
  int size = 1;
  MPI_Comm_size(comm, &size);
  struct ValueCount {
    double value;
    int64_t count;
  };
  std::vector<std::vector<ValueCount>> send(static_cast<size_t>(size));
  for (const auto& [x, c] : local) send[0].push_back({x, c});
  auto got = exchangeVectors(comm, send);
  std::map<double, int64_t> merged;
  for (const auto& vc : got) merged[vc.value] += vc.count;
  std::vector<std::pair<double, int64_t>> out(merged.begin(), merged.end());
  int64_t n = static_cast<int64_t>(out.size());
  MPI_Bcast(&n, 1, MPI_INT64_T, 0, comm);
  std::vector<double> x(static_cast<size_t>(n));
  std::vector<int64_t> c(static_cast<size_t>(n));
  for (size_t i = 0; i < out.size(); ++i) x[i] = out[i].first, c[i] = out[i].second;
  MPI_Bcast(x.data(), static_cast<int>(n), MPI_DOUBLE, 0, comm);
  MPI_Bcast(c.data(), static_cast<int>(n), MPI_INT64_T, 0, comm);
  out.resize(static_cast<size_t>(n));
  for (size_t i = 0; i < out.size(); ++i) out[i] = {x[i], c[i]};
  return out;
}

}  // namespace

const Schema& morphologySchema() {
  static const Schema s = [] {
    Schema sc(
        "studies[] (type: morphology)",
        "The microscopist's quantification suite (thesis sec. 2.6) in one distributed run: volume fractions, "
        "connectivity, surface and interface areas (active parts), coverage, triple-phase boundary, geodesic "
        "tortuosity, local thickness, pore sizes, slice profiles, REV, inner porosity, chord lengths, "
        "two-point "
        "correlation, particles. Results under the study in results.json (SI units, see `units`), "
        "tables as <name>_*.csv and plots as <name>_*.png in the output directory, maps in fields.h5. See "
        "docs/morphology.md.");
    sc.choice("type", std::nullopt, {"morphology"}, "Study type.");
    sc.text("name", "morphology", "Study name (results key, prefix of file and field names).");
    textList(
        sc, "metrics",
        "[" +
            [] {
              std::string l;
              for (const auto& m : kMetrics) l += (l.empty() ? "" : ", ") + m;
              return l;
            }() +
            "]",
        kMetrics, "Metrics to compute (default: all).");
    textList(sc, "directions", "[x, y, z]", {"x", "y", "z"},
             "Directions for percolation, through-connected fractions and geodesic tortuosity.");
    sc.declare(
        "connected_to", ParamType::TextMap, "{}",
        "Per phase a domain face (x-, x+, y-, y+, z-, z+): share of the phase's volume connected to that "
        "face, e.g. {NMC: z-, LPS: z+} for the current collector and the separator. The same faces define "
        "the active parts of interfaces and triple-phase boundaries: a side is active when its voxels belong "
        "to a cluster touching its phase's face (phases not listed are always active).");
    textList(
        sc, "coverage_phases", "[]", {},
        "Phases whose surface coverage is reported (thesis Eq. 6); empty = the phases with role active.");
    textList(sc, "inner_porosity_phases", "[]", {},
             "Phases whose enclosed pores are counted (3D fill holes); empty = the phases with role active.");
    sc.declare("geodesic", ParamType::Section, "{}", "Options of the geodesic metric.")
        .nest(geodesicSchema());
    sc.declare("local_thickness", ParamType::Section, "{}", "Options of the local thickness metric.")
        .nest(thicknessSchema());
    sc.declare("pore_size_distribution", ParamType::Section, "{}", "Options of the pore size distribution.")
        .nest(poreSchema());
    sc.declare("rev", ParamType::Section, "{}", "Options of the REV curve.").nest(revSchema());
    sc.declare("triple_phase_boundary", ParamType::Section, "{}", "Options of the triple-phase boundary.")
        .nest(tpbSchema());
    sc.declare("two_point_correlation", ParamType::Section, "{}", "Options of the two-point correlation.")
        .nest(twoPointSchema());
    sc.declare("particles", ParamType::Section, "{}", "Options of the particle statistics.")
        .nest(particlesSchema());
    sc.integer("histogram_bins", "40", 2, 10000, "Bins of the local thickness histograms.");
    sc.boolean(
        "plots", "true",
        "Write PNG plots (histograms, slice profiles, REV curves, pore size, chord length, two-point and "
        "particle size distributions).");
    sc.boolean("write_fields", "true",
               "Write <name>_local_thickness_<phase>, <name>_geodesic_<phase>_<dir> [m] and "
               "<name>_particles_<phase> [id] to fields.h5.");
    return sc;
  }();
  return s;
}

namespace {

// The study's options, every one validated against the case's phases: the same function serves the
// driver's check before the volume is loaded (checkMorphologyInputs) and the run.
struct Options {
  std::set<std::string> on;
  std::vector<int> axes;
  std::vector<std::pair<int, int>> connectedTo;  // phase, face index
  std::vector<int> coveragePhases, innerPhases, geoPhases, geoAxes, ltPhases, porePhases;
  bool geoFromPlus = false, ltClosed = false, plots = true, writeFields = true;
  int geoNeighbours = 6, bins = 40;
  double revTol = 0.05;
  std::vector<int> tpbPhases, particlePhases;
  std::string tpbNote;
  int64_t maxLag = 0;
  WatershedOptions wsOpt;
  bool want(const char* m) const { return on.count(m) > 0; }
};

Options parseOptions(const PhaseMap& phaseMap, const Params& study) {
  Options o;
  const int P = phaseMap.size();
  if (P < 1) throwInput("{}: the case defines no phases", study.path());
  if (P > 250) throwInput("{}: {} phases; the morphology study handles at most 250", study.path(), P);
  {
    auto m = study.texts("metrics");
    if (m.empty()) throwInput("{}: the list is empty; name at least one metric", study.keyPath("metrics"));
    o.on.insert(m.begin(), m.end());
  }
  o.axes = parseAxes(study.texts("directions"), study.keyPath("directions"));
  if (o.axes.empty() && (o.want("connectivity") || o.want("geodesic")))
    throwInput("{}: the list is empty; give at least one of x, y, z", study.keyPath("directions"));
  for (const auto& [ph, face] : study.textMap("connected_to")) {
    std::string path = study.keyPath("connected_to") + "." + ph;
    int i = phaseMap.index(ph, path);
    auto it = std::find(kFaces.begin(), kFaces.end(), face);
    if (it == kFaces.end())
      throwInput("{}: '{}' is not a face; use one of x-, x+, y-, y+, z-, z+", path, face);
    o.connectedTo.push_back({i, static_cast<int>(it - kFaces.begin())});
  }
  auto roleIs = [](PhaseRole r) { return [r](const Phase& p) { return p.role == r; }; };
  o.coveragePhases = phaseList(phaseMap, study.texts("coverage_phases"), study.keyPath("coverage_phases"),
                               roleIs(PhaseRole::Active));
  o.innerPhases = phaseList(phaseMap, study.texts("inner_porosity_phases"),
                            study.keyPath("inner_porosity_phases"), roleIs(PhaseRole::Active));
  const Params geo = study.section("geodesic");
  o.geoPhases =
      phaseList(phaseMap, geo.texts("phases"), geo.keyPath("phases"), [](const Phase&) { return true; });
  o.geoAxes = parseAxes(geo.texts("directions"), geo.keyPath("directions"));
  if (o.geoAxes.empty()) o.geoAxes = o.axes;
  o.geoFromPlus = geo.text("inlet") == "plus";
  o.geoNeighbours = std::stoi(geo.text("neighbourhood"));
  const Params lt = study.section("local_thickness");
  o.ltPhases =
      phaseList(phaseMap, lt.texts("phases"), lt.keyPath("phases"), [](const Phase&) { return true; });
  o.ltClosed = lt.text("border") == "closed";
  const Params psd = study.section("pore_size_distribution");
  o.porePhases = phaseList(phaseMap, psd.texts("phases"), psd.keyPath("phases"), roleIs(PhaseRole::Pore));
  o.revTol = study.section("rev").real("tolerance");
  const Params tpbP = study.section("triple_phase_boundary");
  {
    auto names = tpbP.texts("phases");
    if (!names.empty()) {
      if (names.size() != 3)
        throwInput("{}: {} phases given; name exactly three", tpbP.keyPath("phases"), names.size());
      o.tpbPhases = phaseList(phaseMap, names, tpbP.keyPath("phases"), [](const Phase&) { return true; });
    } else {
      const auto& phases = phaseMap.phases();
      for (PhaseRole r : {PhaseRole::Active, PhaseRole::Electrolyte, PhaseRole::Pore})
        for (int q = 0; q < P; ++q)
          if (phases[q].role == r) {
            o.tpbPhases.push_back(q);
            break;
          }
      if (o.tpbPhases.size() != 3) {
        o.tpbPhases.clear();
        o.tpbNote =
            "triple_phase_boundary: no phase with role active, electrolyte and pore each; set "
            "triple_phase_boundary.phases";
      }
    }
  }
  o.maxLag = study.section("two_point_correlation").integer("max_distance_voxels");
  const Params partP = study.section("particles");
  o.particlePhases =
      phaseList(phaseMap, partP.texts("phases"), partP.keyPath("phases"), roleIs(PhaseRole::Active));
  o.wsOpt.minDepth = partP.real("min_depth");
  o.wsOpt.minRelativeDepth = partP.real("min_relative_depth");
  o.bins = static_cast<int>(study.integer("histogram_bins"));
  o.plots = study.boolean("plots");
  o.writeFields = study.boolean("write_fields");
  return o;
}

}  // namespace

void checkMorphologyInputs(const PhaseMap& phases, const Params& study) { (void)parseOptions(phases, study); }

Json runMorphology(const StudyContext& ctx, const Params& study) {
  const StructuredGrid& grid = *ctx.volume.grid;
  const VoxelGrid& g = grid.geometry();
  const MPI_Comm comm = grid.comm();
  const std::string name = ctx.studyName.empty() ? study.text("name") : ctx.studyName;
  const std::string prefix = safeName(name);
  // --- options (all validated before any work) ------------------------------------------------------
  const Options opt = parseOptions(ctx.phases, study);
  const int P = ctx.phases.size();
  const auto& phases = ctx.phases.phases();
  const double N = static_cast<double>(g.voxels());
  const double V = N * g.voxelVolume();
  auto want = [&](const char* m) { return opt.want(m); };
  const std::vector<int>& axes = opt.axes;
  const auto& connectedTo = opt.connectedTo;
  const auto& coveragePhases = opt.coveragePhases;
  const auto& innerPhases = opt.innerPhases;
  const auto& geoPhases = opt.geoPhases;
  const std::vector<int>& geoAxes = opt.geoAxes;
  const bool geoFromPlus = opt.geoFromPlus;
  const int geoNeighbours = opt.geoNeighbours;
  const auto& ltPhases = opt.ltPhases;
  const bool ltClosed = opt.ltClosed;
  const auto& porePhases = opt.porePhases;
  const double revTol = opt.revTol;
  const int bins = opt.bins;
  const bool plots = opt.plots;
  FieldWriter* fields = opt.writeFields ? ctx.fields : nullptr;
  const auto& tpbPhases = opt.tpbPhases;
  const std::string& tpbNote = opt.tpbNote;
  const int64_t maxLag = opt.maxLag;
  const auto& particlePhases = opt.particlePhases;
  const WatershedOptions& wsOpt = opt.wsOpt;

  // An empty outputDir (the twin's tuning loop) computes every metric and writes no file.
  const bool writeFiles = !ctx.outputDir.empty();
  Json result;
  Json units;
  Json files = Json::array();
  Json methods;
  Json notes = Json::array();  // kept out of the per-phase maps, whose entries are all objects
  auto outPath = [&](const std::string& what, const char* ext) {
    std::string f = fmt::format("{}_{}.{}", prefix, what, ext);
    files.push_back(f);
    return ctx.outputDir / f;
  };
  const double um = 1e-6;

  // --- phase index per owned voxel (P = unassigned label) -------------------------------------------
  const std::vector<uint16_t>& labels = ctx.volume.labels;
  std::vector<uint8_t> phase(labels.size());
  for (size_t i = 0; i < labels.size(); ++i) {
    int p = ctx.phases.phaseOf(labels[i]);
    phase[i] = static_cast<uint8_t>(p < 0 ? P : p);
  }
  std::vector<int64_t> counts(static_cast<size_t>(P + 1), 0);
  {
    std::vector<int64_t> local(static_cast<size_t>(P + 1), 0);
    for (uint8_t p : phase) ++local[p];
    MPI_Allreduce(local.data(), counts.data(), P + 1, MPI_INT64_T, MPI_SUM, comm);
  }
  auto maskOf = [&](int p) {
    std::vector<uint8_t> m(phase.size());
    for (size_t i = 0; i < phase.size(); ++i) m[i] = phase[i] == p;
    return m;
  };
  auto fraction = [&](int p) { return static_cast<double>(counts[p]) / N; };

  // --- volume fractions ----------------------------------------------------------------------------
  if (want("volume_fractions")) {
    Json vf;
    for (int p = 0; p < P; ++p) vf[phases[p].name] = fraction(p);
    if (counts[P] > 0) vf["unassigned"] = fraction(P);
    result["volume_fractions"] = vf;
    units["volume_fractions"] = "1";
  }

  // --- slice profiles ------------------------------------------------------------------------------
  if (want("slice_profiles")) {
    ScopedTimer t(name + ": slice profiles");
    const Box3& own = grid.owned();
    Json sp;
    std::array<std::vector<int64_t>, 3> prof;
    for (int a = 0; a < 3; ++a) {
      std::vector<int64_t> local(static_cast<size_t>(g.n[a] * (P + 1)), 0);
      for (int64_t k = 0; k < own.size[2]; ++k)
        for (int64_t j = 0; j < own.size[1]; ++j)
          for (int64_t i = 0; i < own.size[0]; ++i) {
            const int64_t c[3] = {own.lo[0] + i, own.lo[1] + j, own.lo[2] + k};
            ++local[c[a] * (P + 1) + phase[grid.localIndex(c[0], c[1], c[2])]];
          }
      prof[a].resize(local.size());
      MPI_Allreduce(local.data(), prof[a].data(), static_cast<int>(local.size()), MPI_INT64_T, MPI_SUM, comm);
    }
    Json csvFiles;
    for (int a = 0; a < 3; ++a) {
      const double area = static_cast<double>(g.voxels() / g.n[a]);
      for (int p = 0; p < P; ++p) {
        double sum = 0, mn = HUGE_VAL, mx = -HUGE_VAL;
        for (int64_t s = 0; s < g.n[a]; ++s) {
          double f = static_cast<double>(prof[a][s * (P + 1) + p]) / area;
          sum += f;
          mn = std::min(mn, f);
          mx = std::max(mx, f);
        }
        double mean = sum / static_cast<double>(g.n[a]), ss = 0;
        for (int64_t s = 0; s < g.n[a]; ++s) {
          double f = static_cast<double>(prof[a][s * (P + 1) + p]) / area;
          ss += (f - mean) * (f - mean);
        }
        sp[phases[p].name][axisName(a)] = {
            {"mean", mean}, {"std", std::sqrt(ss / static_cast<double>(g.n[a]))}, {"min", mn}, {"max", mx}};
      }
      auto path = outPath(fmt::format("slices_{}", axisName(a)), "csv");
      csvFiles[axisName(a)] = path.filename().string();
      std::filesystem::path png =
          plots ? outPath(fmt::format("slices_{}", axisName(a)), "png") : std::filesystem::path();
      onRank0(comm, [&] {
        std::ostringstream os;
        os << "slice,position_m";
        for (int p = 0; p < P; ++p) os << "," << phases[p].name;
        os << "\n";
        PlotChart ch;
        ch.title = fmt::format("{}: phase fraction per slice along {}", name, axisName(a));
        ch.xLabel = fmt::format("{} position [um]", axisName(a));
        ch.yLabel = "phase fraction";
        ch.series.resize(static_cast<size_t>(P));
        for (int p = 0; p < P; ++p) ch.series[p].name = phases[p].name;
        for (int64_t s = 0; s < g.n[a]; ++s) {
          double pos = (static_cast<double>(s) + 0.5) * g.spacing[a];
          os << s << "," << csvNumber(pos);
          for (int p = 0; p < P; ++p) {
            double f = static_cast<double>(prof[a][s * (P + 1) + p]) / area;
            os << "," << csvNumber(f);
            ch.series[p].x.push_back(pos / um);
            ch.series[p].y.push_back(f);
          }
          os << "\n";
        }
        if (!writeFiles) return;
        writeFileAtomic(path, os.str());
        if (plots) writeChartPng(png, ch);
      });
    }
    sp["csv"] = csvFiles;
    result["slice_profiles"] = sp;
    units["slice_profiles"] = "1 (fraction of the slice area); position_m in the CSV in m";
  }

  // --- REV ---------------------------------------------------------------------------------------
  if (want("rev")) {
    ScopedTimer t(name + ": REV");
    const Box3& own = grid.owned();
    int64_t mid[3], smax = std::numeric_limits<int64_t>::max();
    for (int a = 0; a < 3; ++a) {
      mid[a] = g.n[a] / 2;
      smax = std::min({smax, mid[a], g.n[a] - mid[a]});
    }
    Json rev;
    if (smax < 1) {
      rev["note"] = "the volume is too thin for a cube about its centre";
    } else {
      // A voxel lies in the cube [mid - s, mid + s) of every s >= its step; count voxels per step and phase,
      // then accumulate: O(N) for the whole curve.
      std::vector<int64_t> local(static_cast<size_t>((smax + 1) * (P + 1)), 0);
      for (int64_t k = own.lo[2]; k < own.lo[2] + own.size[2]; ++k)
        for (int64_t j = own.lo[1]; j < own.lo[1] + own.size[1]; ++j)
          for (int64_t i = own.lo[0]; i < own.lo[0] + own.size[0]; ++i) {
            const int64_t c[3] = {i, j, k};
            int64_t s = 0;
            for (int a = 0; a < 3; ++a) s = std::max({s, mid[a] - c[a], c[a] - mid[a] + 1});
            if (s <= smax) ++local[s * (P + 1) + phase[grid.localIndex(i, j, k)]];
          }
      std::vector<int64_t> cnt(local.size());
      MPI_Allreduce(local.data(), cnt.data(), static_cast<int>(local.size()), MPI_INT64_T, MPI_SUM, comm);
      for (int64_t s = 1; s <= smax; ++s)
        for (int p = 0; p <= P; ++p) cnt[s * (P + 1) + p] += cnt[(s - 1) * (P + 1) + p];
      auto frac = [&](int64_t s, int p) {
        double cube = std::pow(2.0 * static_cast<double>(s), 3.0);
        return static_cast<double>(cnt[s * (P + 1) + p]) / cube;
      };
      for (int p = 0; p < P; ++p) {
        double full = fraction(p);
        Json e{{"full_value", full}, {"tolerance", revTol}};
        int64_t first = -1;  // smallest s from which every larger cube stays in the band
        if (full > 0) {
          for (int64_t s = smax; s >= 1; --s) {
            if (std::abs(frac(s, p) - full) > revTol * full) break;
            first = s;
          }
        }
        e["largest_cube_value"] = frac(smax, p);
        e["largest_cube_edge_voxels"] = 2 * smax;
        if (first > 0) {
          e["rev_edge_voxels"] = 2 * first;
          e["rev_edge"] = 2.0 * static_cast<double>(first) * g.spacing[0];
        } else {
          e["rev_edge_voxels"] = nullptr;
          e["rev_edge"] = nullptr;
          e["note"] = full > 0 ? "the largest cube is outside the band: the volume is not representative"
                               : "the phase is absent";
        }
        rev[phases[p].name] = e;
      }
      auto path = outPath("rev", "csv");
      rev["csv"] = path.filename().string();
      std::filesystem::path png = plots ? outPath("rev", "png") : std::filesystem::path();
      onRank0(comm, [&] {
        std::ostringstream os;
        os << "edge_voxels,edge_m";
        for (int p = 0; p < P; ++p) os << "," << phases[p].name;
        os << "\n";
        PlotChart ch;
        ch.title = fmt::format("{}: REV (cubes about the centre), band +-{:g} %", name, revTol * 100);
        ch.xLabel = "cube edge [um]";
        ch.yLabel = "volume fraction";
        ch.series.resize(static_cast<size_t>(P));
        for (int p = 0; p < P; ++p) {
          ch.series[p].name = phases[p].name;
          ch.refLines.push_back({fraction(p) * (1 + revTol), "", p});
          ch.refLines.push_back({fraction(p) * (1 - revTol), "", p});
        }
        for (int64_t s = 1; s <= smax; ++s) {
          double edge = 2.0 * static_cast<double>(s) * g.spacing[0];
          os << 2 * s << "," << csvNumber(edge);
          for (int p = 0; p < P; ++p) {
            os << "," << csvNumber(frac(s, p));
            ch.series[p].x.push_back(edge / um);
            ch.series[p].y.push_back(frac(s, p));
          }
          os << "\n";
        }
        if (!writeFiles) return;
        writeFileAtomic(path, os.str());
        if (plots) writeChartPng(png, ch);
      });
    }
    result["rev"] = rev;
    units["rev"] = "full_value, largest_cube_value: 1; rev_edge: m";
  }

  // --- which voxels are "active": connected to their phase's face in connected_to ---------------------
  // satisfied[li] = 1 if the voxel's phase has no face in connected_to or its cluster touches that face.
  std::vector<uint8_t> satisfied;
  std::vector<uint8_t> hasFace(static_cast<size_t>(P + 1), 0);
  for (const auto& [ph, face] : connectedTo) hasFace[ph] = 1;
  if (!connectedTo.empty() && (want("surface_area") || want("triple_phase_boundary"))) {
    ScopedTimer t(name + ": active parts");
    satisfied.assign(phase.size(), 1);
    for (const auto& [ph, face] : connectedTo) {
      const std::vector<uint8_t> m =
          labelClusters(grid, maskOf(ph)).touchingMask(static_cast<uint8_t>(1u << face));
      for (size_t i = 0; i < phase.size(); ++i)
        if (phase[i] == ph) satisfied[i] = m[i];
    }
  }
  Box3 satBox;
  std::vector<uint8_t> satHalo;
  if (!satisfied.empty()) satHalo = haloExchange(grid, satisfied, 1, &satBox, uint8_t(0));
  auto satAt = [&](int64_t i, int64_t j, int64_t k) { return satHalo[boxIndex(satBox, i, j, k)] != 0; };
  auto pairName = [&](int a, int b) {
    return (a == P ? std::string("unassigned") : phases[a].name) + "|" +
           (b == P ? std::string("unassigned") : phases[b].name);
  };

  // --- surface area and coverage -------------------------------------------------------------------
  const int P1 = P + 1;
  const size_t PP = static_cast<size_t>(P1 * P1);
  std::vector<double> areas(PP, 0.0), activeAreas(PP, 0.0);
  if (want("surface_area") || want("coverage")) {
    ScopedTimer t(name + ": surface area");
    // Fixed-point weight sums per axis and unordered pair: total, then the active part.
    std::vector<int64_t> sums(2 * 3 * PP, 0);
    visitInterfaceFaces(
        grid, phase, P1, [&](int64_t i, int64_t j, int64_t k, int axis, uint8_t a, uint8_t b, double w) {
          const size_t idx = static_cast<size_t>(axis) * PP + std::min(a, b) * P1 + std::max(a, b);
          const int64_t fw = WeightSum::fixed(w);
          sums[idx] += fw;
          if (!satHalo.empty()) {
            int64_t q[3] = {i, j, k};
            ++q[axis];
            if (satAt(i, j, k) && satAt(q[0], q[1], q[2])) sums[3 * PP + idx] += fw;
          }
        });
    MPI_Allreduce(MPI_IN_PLACE, sums.data(), static_cast<int>(sums.size()), MPI_INT64_T, MPI_SUM, comm);
    for (int a = 0; a < P1; ++a)
      for (int b = a + 1; b < P1; ++b)
        for (int part = 0; part < 2; ++part) {
          double v = 0;
          for (int D = 0; D < 3; ++D)
            v += WeightSum::value(sums[part * 3 * PP + D * PP + a * P1 + b]) *
                 (g.voxelVolume() / g.spacing[D]);
          auto& m = part ? activeAreas : areas;
          m[a * P1 + b] = m[b * P1 + a] = v;
        }
    methods["surface_area"] =
        "voxel faces weighted by |n|/(|n_x|+|n_y|+|n_z|) of the local normal n (flat axis-aligned facets: n "
        "= "
        "the face normal; else the gradient of the binomially smoothed phase indicator); domain faces are "
        "not "
        "interfaces";
  }
  auto area = [&](int a, int b) { return areas[static_cast<size_t>(a * P1 + b)]; };
  if (want("surface_area")) {
    Json perVol, pairs, active = Json::object(), inactive = Json::object();
    for (int a = 0; a < P; ++a) {
      double s = 0;
      for (int b = 0; b <= P; ++b) s += area(a, b);
      perVol[phases[a].name] = s / V;
    }
    for (int a = 0; a < P; ++a)
      for (int b = a + 1; b <= P; ++b) {
        if (b == P && counts[P] == 0) continue;
        pairs[pairName(a, b)] = area(a, b) / V;
        if (!satHalo.empty() && (hasFace[a] || hasFace[b])) {
          const double act = activeAreas[static_cast<size_t>(a * P1 + b)];
          active[pairName(a, b)] = act / V;
          inactive[pairName(a, b)] = (area(a, b) - act) / V;
        }
      }
    Json sa = {{"per_volume", perVol}, {"interfaces", pairs}};
    if (!satHalo.empty()) {
      sa["active_interfaces"] = active;
      sa["inactive_interfaces"] = inactive;
    }
    result["surface_area"] = sa;
    units["surface_area"] = "1/m (interface area per total volume)";
  }

  // --- triple-phase boundary -----------------------------------------------------------------------
  if (want("triple_phase_boundary")) {
    ScopedTimer t(name + ": triple-phase boundary");
    Json out = Json::object();
    if (!tpbPhases.empty()) {
      const std::array<uint8_t, 3> tri = {static_cast<uint8_t>(tpbPhases[0]),
                                          static_cast<uint8_t>(tpbPhases[1]),
                                          static_cast<uint8_t>(tpbPhases[2])};
      Box3 phBox;
      const std::vector<uint8_t> phHalo = haloExchange(grid, phase, 1, &phBox, uint8_t(255));
      int64_t sums[6] = {0, 0, 0, 0, 0, 0};  // per axis: total, active
      visitTripleEdges(grid, phase, P1, tri, [&](int64_t i, int64_t j, int64_t k, int axis, double w) {
        const int64_t fw = WeightSum::fixed(w);
        sums[axis] += fw;
        if (satHalo.empty()) return;
        const int t1 = (axis + 1) % 3, t2 = (axis + 2) % 3;
        bool ok = true;
        for (int m = 0; m < 3 && ok; ++m) {
          if (!hasFace[tri[m]]) continue;
          bool any = false;
          for (int c = 0; c < 4; ++c) {
            int64_t v[3] = {i, j, k};
            if (c & 1) ++v[t1];
            if (c & 2) ++v[t2];
            if (phHalo[boxIndex(phBox, v[0], v[1], v[2])] == tri[m] && satAt(v[0], v[1], v[2])) any = true;
          }
          ok = any;
        }
        if (ok) sums[3 + axis] += fw;
      });
      MPI_Allreduce(MPI_IN_PLACE, sums, 6, MPI_INT64_T, MPI_SUM, comm);
      double len = 0, act = 0;
      for (int D = 0; D < 3; ++D) {
        len += WeightSum::value(sums[D]) * g.spacing[D];
        act += WeightSum::value(sums[3 + D]) * g.spacing[D];
      }
      Json e;
      e["length_per_volume"] = len / V;
      if (!satHalo.empty()) {
        e["active_length_per_volume"] = act / V;
        e["inactive_length_per_volume"] = (len - act) / V;
        e["active_fraction"] = len > 0 ? Json(act / len) : Json(nullptr);
      }
      out[phases[tri[0]].name + "|" + phases[tri[1]].name + "|" + phases[tri[2]].name] = e;
    } else {
      notes.push_back(tpbNote);
    }
    result["triple_phase_boundary"] = out;
    units["triple_phase_boundary"] = "1/m^2 (line length per total volume); active_fraction: 1";
    methods["triple_phase_boundary"] =
        "voxel edges with the three phases around them, weighted by |t|/(|t_x|+|t_y|+|t_z|) of the line "
        "tangent "
        "(cross products of the smoothed phase gradients)";
  }
  if (want("coverage")) {
    Json cov = Json::object();
    for (int a : coveragePhases) {
      double total = 0, el = 0, pore = 0;
      for (int b = 0; b <= P; ++b) {
        if (b == a) continue;
        double s = area(a, b);
        total += s;
        if (b < P && phases[b].role == PhaseRole::Electrolyte) el += s;
        if (b < P && phases[b].role == PhaseRole::Pore) pore += s;
      }
      Json c;
      c["area_per_volume"] = total / V;
      if (total > 0) {
        c["electrolyte_fraction"] = el / total;
        c["pore_fraction"] = pore / total;
        c["other_fraction"] = std::max(0.0, (total - el - pore) / total);
      } else {
        c["electrolyte_fraction"] = nullptr;
        c["pore_fraction"] = nullptr;
        c["other_fraction"] = nullptr;
        c["note"] = "the phase has no interface with another phase";
      }
      cov[phases[a].name] = c;
    }
    if (coveragePhases.empty()) notes.push_back("coverage: no phase with role active; set coverage_phases");
    result["coverage"] = cov;
    units["coverage"] = "1 (share of the phase's interface area, thesis Eq. 6); area_per_volume: 1/m";
  }

  // --- connectivity, pore sizes, inner porosity (cluster labelling) -------------------------------
  if (want("connectivity")) {
    ScopedTimer t(name + ": connectivity");
    Json conn;
    for (int p = 0; p < P; ++p) {
      Json c;
      ConnectivityResult cc = labelClusters(grid, maskOf(p));
      const double total = static_cast<double>(counts[p]);
      // Voxel sums over the clusters each rank owns, reduced: every cluster counted once, and no rank
      // holds the list of all clusters. [0] isolated clusters, [1] their voxels, then per axis the voxels
      // of clusters touching both faces, then per connected_to entry the voxels touching that face.
      std::vector<uint8_t> faceSets;
      for (int a : axes) faceSets.push_back(static_cast<uint8_t>(faceBit(a, false) | faceBit(a, true)));
      std::vector<int> connectedFaces;
      for (const auto& [ph, face] : connectedTo)
        if (ph == p) {
          connectedFaces.push_back(face);
          faceSets.push_back(static_cast<uint8_t>(1u << face));
        }
      std::vector<int64_t> sums(2 + faceSets.size(), 0);
      int64_t largest = 0;
      cc.forEachOwned([&](const Cluster& cl) {
        largest = std::max(largest, cl.voxels);
        if (cl.faces == 0) {
          ++sums[0];
          sums[1] += cl.voxels;
        }
        for (size_t f = 0; f < faceSets.size(); ++f)
          if ((cl.faces & faceSets[f]) == faceSets[f]) sums[2 + f] += cl.voxels;
      });
      MPI_Allreduce(MPI_IN_PLACE, sums.data(), static_cast<int>(sums.size()), MPI_INT64_T, MPI_SUM, comm);
      MPI_Allreduce(MPI_IN_PLACE, &largest, 1, MPI_INT64_T, MPI_MAX, comm);
      const int64_t isolated = sums[0], isolatedVox = sums[1];
      c["voxels"] = counts[p];
      c["clusters"] = cc.totalClusters;
      c["isolated_clusters"] = isolated;
      c["largest_cluster_fraction"] = total > 0 ? Json(largest / total) : Json(nullptr);
      c["isolated_fraction"] = total > 0 ? Json(isolatedVox / total) : Json(nullptr);
      Json perc, through;
      for (size_t q = 0; q < axes.size(); ++q) {
        const int64_t v = sums[2 + q];
        perc[axisName(axes[q])] = v > 0;
        through[axisName(axes[q])] = total > 0 ? Json(v / total) : Json(nullptr);
      }
      c["percolates"] = perc;
      c["through_fraction"] = through;
      for (size_t q = 0; q < connectedFaces.size(); ++q) {
        const int64_t v = sums[2 + axes.size() + q];
        c["connected_to"] = {{"face", kFaces[connectedFaces[q]]},
                             {"fraction", total > 0 ? Json(v / total) : Json(nullptr)}};
      }
      conn[phases[p].name] = c;
    }
    result["connectivity"] = conn;
    units["connectivity"] =
        "largest_cluster_fraction, isolated_fraction, fraction, x, y, z: 1 (share of the phase's volume, "
        "through_fraction per direction); clusters, isolated_clusters, voxels: count";
    methods["connectivity"] = "6-connected clusters (voxels sharing a face)";
  }

  if (want("pore_size_distribution")) {
    ScopedTimer t(name + ": pore sizes");
    Json out = Json::object();
    for (int p : porePhases) {
      std::vector<uint8_t> mask = maskOf(p);
      ConnectivityResult cc = labelClusters(grid, mask);
      std::vector<Pore> pores = poreSizes(grid, mask, cc);  // every pore on rank 0, none elsewhere
      const int64_t poreCount = cc.totalClusters;
      cc = ConnectivityResult();
      auto path = outPath(fmt::format("pores_{}", safeName(phases[p].name)), "csv");
      std::filesystem::path png = plots && poreCount > 0
                                      ? outPath(fmt::format("pores_{}", safeName(phases[p].name)), "png")
                                      : std::filesystem::path();
      // Rank 0 holds the table: it computes the summary and writes the CSV, then every rank gets the summary.
      std::string summary;
      onRank0(comm, [&] {
        std::sort(pores.begin(), pores.end(), [](const Pore& a, const Pore& b) {
          return a.equivalentDiameter != b.equivalentDiameter ? a.equivalentDiameter < b.equivalentDiameter
                                                              : a.id < b.id;
        });
        Json e;
        const double totalV = static_cast<double>(counts[p]) * g.voxelVolume();
        e["count"] = static_cast<int64_t>(pores.size());
        e["volume_fraction"] = fraction(p);
        if (!pores.empty()) {
          double sumD = 0, sumVD = 0, maxF = 0, maxV = 0;
          for (const Pore& q : pores) {
            sumD += q.equivalentDiameter;
            sumVD += q.volume * q.equivalentDiameter;
            maxF = std::max(maxF, q.feret);
            maxV = std::max(maxV, q.volume);
          }
          // Quantiles of the number- and volume-weighted cumulative distributions of equivalent diameter.
          auto quantile = [&](double q, bool byVolume) {
            double acc = 0, tot = byVolume ? totalV : static_cast<double>(pores.size());
            for (const Pore& x : pores) {
              acc += byVolume ? x.volume : 1.0;
              if (acc >= q * tot * (1 - 1e-12)) return x.equivalentDiameter;
            }
            return pores.back().equivalentDiameter;
          };
          e["mean_equivalent_diameter"] = sumD / static_cast<double>(pores.size());
          e["volume_weighted_mean_equivalent_diameter"] = sumVD / totalV;
          e["d10"] = quantile(0.1, false);
          e["d50"] = quantile(0.5, false);
          e["d90"] = quantile(0.9, false);
          e["d50_volume_weighted"] = quantile(0.5, true);
          e["max_feret"] = maxF;
          e["largest_pore_share"] = maxV / totalV;
          int64_t cut = 0;
          for (const Pore& q : pores) cut += q.faces != 0;
          e["pores_cut_by_domain"] = cut;
        }
        e["csv"] = path.filename().string();
        summary = e.dump();
        std::ostringstream os;
        os << "id,voxels,volume_m3,equivalent_diameter_m,feret_m,touches_domain_face,cumulative_number,"
              "cumulative_volume\n";
        double acc = 0, accV = 0;
        PlotChart ch;
        ch.title = fmt::format("{}: pore size distribution ({})", name, phases[p].name);
        ch.xLabel = "equivalent diameter [um]";
        ch.yLabel = "cumulative fraction";
        ch.yRange = std::make_pair(0.0, 1.0);
        ch.series.resize(2);
        ch.series[0].name = "by number";
        ch.series[1].name = "by volume";
        for (const Pore& q : pores) {
          acc += 1;
          accV += q.volume;
          double cn = acc / static_cast<double>(pores.size()), cv = accV / totalV;
          os << q.id << "," << q.voxels << "," << csvNumber(q.volume) << ","
             << csvNumber(q.equivalentDiameter) << "," << csvNumber(q.feret) << "," << (q.faces ? 1 : 0)
             << "," << csvNumber(cn) << "," << csvNumber(cv) << "\n";
          for (int s = 0; s < 2; ++s) ch.series[s].x.push_back(q.equivalentDiameter / um);
          ch.series[0].y.push_back(cn);
          ch.series[1].y.push_back(cv);
        }
        if (!writeFiles) return;
        writeFileAtomic(path, os.str());
        if (!png.empty()) writeChartPng(png, ch);
      });
      const Json e = Json::parse(broadcastString(comm, summary));
      out[phases[p].name] = e;
    }
    if (porePhases.empty())
      notes.push_back("pore_size_distribution: no phase with role pore; set pore_size_distribution.phases");
    result["pore_size_distribution"] = out;
    units["pore_size_distribution"] = "diameters: m; volume_fraction, largest_pore_share: 1; count: number";
    methods["pore_size_distribution"] =
        "6-connected clusters; equivalent diameter (6V/pi)^(1/3); Feret = largest voxel-centre caliper over "
        "49 "
        "lattice directions";
  }

  if (want("inner_porosity")) {
    ScopedTimer t(name + ": inner porosity");
    Json out = Json::object();
    int64_t poreTotal = 0;
    for (int p = 0; p < P; ++p)
      if (phases[p].role == PhaseRole::Pore) poreTotal += counts[p];
    for (int a : innerPhases) {
      // Fill holes: the components of "not this phase" that touch no domain face are enclosed by it.
      std::vector<uint8_t> mask(phase.size());
      for (size_t i = 0; i < phase.size(); ++i) mask[i] = phase[i] != a;
      ConnectivityResult cc = labelClusters(grid, mask);
      int64_t local[2] = {0, 0};  // enclosed pore voxels, enclosed voxels of any other phase
      for (size_t i = 0; i < phase.size(); ++i) {
        if (!mask[i]) continue;
        if (cc.cluster(cc.clusterOf[i]).faces != 0) continue;
        ++local[1];
        if (phase[i] < P && phases[phase[i]].role == PhaseRole::Pore) ++local[0];
      }
      int64_t tot[2];
      MPI_Allreduce(local, tot, 2, MPI_INT64_T, MPI_SUM, comm);
      int64_t holes = 0;
      cc.forEachOwned([&](const Cluster& cl) { holes += cl.faces == 0; });
      MPI_Allreduce(MPI_IN_PLACE, &holes, 1, MPI_INT64_T, MPI_SUM, comm);
      Json e;
      e["enclosed_regions"] = holes;
      e["inner_pore_voxels"] = tot[0];
      e["inner_pore_volume_fraction"] = static_cast<double>(tot[0]) / N;
      e["share_of_porosity"] =
          poreTotal > 0 ? Json(static_cast<double>(tot[0]) / static_cast<double>(poreTotal)) : Json(nullptr);
      e["enclosed_volume_fraction"] = static_cast<double>(tot[1]) / N;
      out[phases[a].name] = e;
    }
    if (innerPhases.empty())
      notes.push_back("inner_porosity: no phase with role active; set inner_porosity_phases");
    result["inner_porosity"] = out;
    units["inner_porosity"] = "fractions: 1; voxels and regions: count";
    methods["inner_porosity"] =
        "3D fill holes: 6-connected regions of the other phases that touch no domain face are enclosed";
  }

  // --- local thickness ------------------------------------------------------------------------------
  if (want("local_thickness")) {
    ScopedTimer t(name + ": local thickness");
    Json out;
    for (int p : ltPhases) {
      std::vector<uint8_t> mask = maskOf(p);
      LocalThicknessStats st;
      std::vector<double> th = localThickness(grid, mask, ltClosed, &st);
      Json e;
      e["voxels"] = st.centres;
      if (st.unbounded) {
        e["mean"] = nullptr;
        e["note"] = "the phase fills the volume: its thickness is not bounded inside it (border: open)";
        out[phases[p].name] = e;
        continue;
      }
      if (st.centres == 0) {
        e["mean"] = nullptr;
        e["note"] = "the phase is absent";
        out[phases[p].name] = e;
        continue;
      }
      const auto table = valueCounts(comm, th, mask);
      double sum = 0, ss = 0;
      for (const auto& [x, c] : table) sum += x * static_cast<double>(c);
      const double mean = sum / static_cast<double>(st.centres);
      for (const auto& [x, c] : table) ss += (x - mean) * (x - mean) * static_cast<double>(c);
      const double mx = table.back().first;
      e["mean"] = mean;
      e["std"] = std::sqrt(ss / static_cast<double>(st.centres));
      e["min"] = table.front().first;
      e["max"] = mx;
      e["balls_painted"] = st.keptCentres;
      e["balls_refined"] = st.refined;
      // Histogram over [0, max] in `bins` bins.
      const double width = mx > 0 ? mx / bins : 1.0;
      std::vector<int64_t> hist(static_cast<size_t>(bins), 0);
      for (const auto& [x, c] : table) hist[std::min<size_t>(static_cast<size_t>(x / width), bins - 1)] += c;
      auto path = outPath(fmt::format("local_thickness_{}", safeName(phases[p].name)), "csv");
      e["csv"] = path.filename().string();
      std::filesystem::path png =
          plots ? outPath(fmt::format("local_thickness_{}", safeName(phases[p].name)), "png")
                : std::filesystem::path();
      onRank0(comm, [&] {
        std::ostringstream os;
        os << "bin_low_m,bin_high_m,voxels,volume_fraction_of_phase\n";
        PlotChart ch;
        ch.title = fmt::format("{}: local thickness of {} (mean {:.3g} um)", name, phases[p].name, mean / um);
        ch.xLabel = "local thickness [um]";
        ch.yLabel = "share of the phase volume";
        ch.series.resize(1);
        ch.series[0].bars = true;
        ch.series[0].barWidth = width / um;
        for (size_t b = 0; b < hist.size(); ++b) {
          double f = static_cast<double>(hist[b]) / static_cast<double>(st.centres);
          os << csvNumber(b * width) << "," << csvNumber((b + 1) * width) << "," << hist[b] << ","
             << csvNumber(f) << "\n";
          ch.series[0].x.push_back((b + 0.5) * width / um);
          ch.series[0].y.push_back(f);
        }
        ch.refLines.clear();
        if (!writeFiles) return;
        writeFileAtomic(path, os.str());
        if (plots) writeChartPng(png, ch);
      });
      if (fields)
        fields->write(th, fmt::format("{}_local_thickness_{}", prefix, safeName(phases[p].name)), "m");
      out[phases[p].name] = e;
    }
    result["local_thickness"] = out;
    units["local_thickness"] = "mean, std, min, max: m; voxels, balls_painted, balls_refined: count";
    methods["local_thickness"] = fmt::format(
        "Hildebrand-Ruegsegger on the exact Euclidean distance transform, ball centres refined within the "
        "voxel "
        "at the distance maxima; diameter 2 sqrt(EDT^2) - voxel/2; border {}",
        ltClosed ? "closed" : "open");
  }

  // --- geodesic tortuosity --------------------------------------------------------------------------
  if (want("geodesic")) {
    ScopedTimer t(name + ": geodesic");
    Json out;
    for (int p : geoPhases) {
      std::vector<uint8_t> mask = maskOf(p);
      Json e;
      for (int a : geoAxes) {
        GeodesicResult r = geodesicDistance(grid, mask, a, geoFromPlus, geoNeighbours);
        Json d;
        d["outlet_voxels"] = r.outletVoxels;
        d["reached"] = r.reached;
        d["reached_fraction"] =
            r.outletVoxels > 0 ? Json(static_cast<double>(r.reached) / r.outletVoxels) : Json(nullptr);
        d["thickness"] = r.thickness;
        if (r.reached > 0) {
          d["percolates"] = true;
          d["mean"] = r.meanTortuosity;
          d["min"] = r.minTortuosity;
          d["max"] = r.maxTortuosity;
          d["std"] = r.stdTortuosity;
          d["mean_length"] = r.meanLength;
          d["min_length"] = r.minLength;
          d["max_length"] = r.maxLength;
        } else {
          d["percolates"] = false;
          d["mean"] = nullptr;
          d["min"] = nullptr;
          d["max"] = nullptr;
          d["note"] = fmt::format("no path through {} from the {} face to the opposite face", phases[p].name,
                                  geoFromPlus ? "+" : "-");
        }
        d["exchange_rounds"] = r.rounds;
        if (fields)
          fields->write(r.distance,
                        fmt::format("{}_geodesic_{}_{}", prefix, safeName(phases[p].name), axisName(a)), "m");
        e[axisName(a)] = d;
      }
      out[phases[p].name] = e;
    }
    result["geodesic"] = out;
    units["geodesic"] =
        "mean, min, max, std: 1 (path length / straight thickness); mean_length, min_length, max_length, "
        "thickness: m; reached_fraction: 1; outlet_voxels, reached, exchange_rounds: count";
    methods["geodesic"] =
        fmt::format("{}-neighbour shortest paths from the {} face; sources half a voxel inside",
                    geoNeighbours, geoFromPlus ? "+" : "-");
  }

  // --- chord lengths and two-point correlation ------------------------------------------------------
  if (want("chord_lengths")) {
    ScopedTimer t(name + ": chord lengths");
    const auto chords = chordLengths(grid, phase, P1);
    Json out;
    for (int p = 0; p < P; ++p) {
      Json e;
      std::array<std::vector<double>, 3> freq;
      for (int a : axes) {
        freq[a] = chordFrequencies(chords[p][a], g.n[a]);
        int64_t count = 0;
        double mean = 0, meanW = 0, norm = 0;
        for (size_t L = 1; L < freq[a].size(); ++L) {
          count += chords[p][a].count[L];
          mean += freq[a][L] * static_cast<double>(L);
          meanW += freq[a][L] * static_cast<double>(L * L);
          norm += freq[a][L] * static_cast<double>(L);
        }
        Json d;
        d["chords"] = count;
        d["cut_chords"] = chords[p][a].cut;
        if (count > 0) {
          d["mean"] = mean * g.spacing[a];
          d["mean_length_weighted"] = meanW / norm * g.spacing[a];
        } else {
          d["mean"] = nullptr;
          d["mean_length_weighted"] = nullptr;
          d["note"] = "no chord clear of the domain faces";
        }
        e[axisName(a)] = d;
      }
      auto path = outPath(fmt::format("chords_{}", safeName(phases[p].name)), "csv");
      e["csv"] = path.filename().string();
      std::filesystem::path png = plots ? outPath(fmt::format("chords_{}", safeName(phases[p].name)), "png")
                                        : std::filesystem::path();
      onRank0(comm, [&] {
        std::ostringstream os;
        os << "length_voxels";
        for (int a : axes)
          os << ",length_" << axisName(a) << "_m,count_" << axisName(a) << ",frequency_" << axisName(a);
        os << "\n";
        int64_t longest = 0;
        for (int a : axes) longest = std::max<int64_t>(longest, static_cast<int64_t>(freq[a].size()) - 1);
        PlotChart ch;
        ch.title =
            fmt::format("{}: chord length distribution of {} (domain-corrected)", name, phases[p].name);
        ch.xLabel = "chord length [um]";
        ch.yLabel = "number frequency";
        for (int a : axes) ch.series.push_back({axisName(a), {}, {}});
        for (int64_t L = 1; L <= longest; ++L) {
          os << L;
          for (size_t s = 0; s < axes.size(); ++s) {
            const int a = axes[s];
            const bool has = L < static_cast<int64_t>(freq[a].size());
            os << "," << csvNumber(static_cast<double>(L) * g.spacing[a]) << ","
               << (has ? chords[p][a].count[L] : 0) << "," << csvNumber(has ? freq[a][L] : 0.0);
            if (has && freq[a][L] > 0) {
              ch.series[s].x.push_back(static_cast<double>(L) * g.spacing[a] / um);
              ch.series[s].y.push_back(freq[a][L]);
            }
          }
          os << "\n";
        }
        if (!writeFiles) return;
        writeFileAtomic(path, os.str());
        if (!png.empty()) writeChartPng(png, ch);
      });
      out[phases[p].name] = e;
    }
    result["chord_lengths"] = out;
    units["chord_lengths"] = "mean, mean_length_weighted: m; chords, cut_chords: count";
    methods["chord_lengths"] =
        "runs of one phase along grid lines; chords touching a domain face excluded, the rest weighted by "
        "n/(n - L - 1) (Miles-Lantuejoul) for the distribution and means";
  }

  if (want("two_point_correlation")) {
    ScopedTimer t(name + ": two-point correlation");
    int64_t lag = maxLag;
    if (lag == 0) lag = std::max({g.n[0], g.n[1], g.n[2]}) / 2;
    const TwoPoint tp = twoPointCorrelation(grid, phase, P1, lag);
    Json out;
    for (int p = 0; p < P; ++p) {
      Json e;
      for (int a : axes) {
        const int64_t last = maxLag == 0
                                 ? std::min<int64_t>(g.n[a] / 2, static_cast<int64_t>(tp.pairs[a].size()) - 1)
                                 : static_cast<int64_t>(tp.pairs[a].size()) - 1;
        const double phi = tp.s2(p, a, 0);
        Json d;
        d["s2_0"] = phi;
        d["max_lag"] = static_cast<double>(last) * g.spacing[a];
        d["s2_max_lag"] = tp.s2(p, a, static_cast<size_t>(last));
        if (last >= 1) d["specific_surface_from_slope"] = 4 * (phi - tp.s2(p, a, 1)) / g.spacing[a];
        // Correlation length: the first lag where the normalised covariance (S2 - phi^2) / (phi - phi^2)
        // falls below 1/e.
        Json corr = nullptr;
        if (phi > 0 && phi < 1)
          for (int64_t r = 1; r <= last; ++r)
            if ((tp.s2(p, a, static_cast<size_t>(r)) - phi * phi) / (phi - phi * phi) < std::exp(-1.0)) {
              corr = static_cast<double>(r) * g.spacing[a];
              break;
            }
        d["correlation_length"] = corr;
        e[axisName(a)] = d;
      }
      auto path = outPath(fmt::format("two_point_{}", safeName(phases[p].name)), "csv");
      e["csv"] = path.filename().string();
      std::filesystem::path png = plots
                                      ? outPath(fmt::format("two_point_{}", safeName(phases[p].name)), "png")
                                      : std::filesystem::path();
      onRank0(comm, [&] {
        std::ostringstream os;
        os << "lag_voxels";
        for (int a : axes) os << ",lag_" << axisName(a) << "_m,s2_" << axisName(a);
        os << "\n";
        PlotChart ch;
        ch.title = fmt::format("{}: two-point correlation of {}", name, phases[p].name);
        ch.xLabel = "distance [um]";
        ch.yLabel = "S2";
        const double phi = counts[p] / N;
        ch.refLines.push_back({phi * phi, "phi^2", -1});
        for (int a : axes) ch.series.push_back({axisName(a), {}, {}});
        int64_t longest = 0;
        for (int a : axes) longest = std::max<int64_t>(longest, static_cast<int64_t>(tp.pairs[a].size()) - 1);
        for (int64_t r = 0; r <= longest; ++r) {
          os << r;
          for (size_t s = 0; s < axes.size(); ++s) {
            const int a = axes[s];
            if (r < static_cast<int64_t>(tp.pairs[a].size())) {
              const double v = tp.s2(p, a, static_cast<size_t>(r));
              os << "," << csvNumber(static_cast<double>(r) * g.spacing[a]) << "," << csvNumber(v);
              ch.series[s].x.push_back(static_cast<double>(r) * g.spacing[a] / um);
              ch.series[s].y.push_back(v);
            } else {
              os << ",,";
            }
          }
          os << "\n";
        }
        if (!writeFiles) return;
        writeFileAtomic(path, os.str());
        if (!png.empty()) writeChartPng(png, ch);
      });
      out[phases[p].name] = e;
    }
    result["two_point_correlation"] = out;
    units["two_point_correlation"] =
        "s2_*: 1; max_lag, correlation_length: m; specific_surface_from_slope: 1/m (4 (S2(0) - S2(1)) / h)";
    methods["two_point_correlation"] = "pairs of voxels along each axis inside the domain (no periodic wrap)";
  }

  // --- particles -----------------------------------------------------------------------------------
  if (want("particles")) {
    ScopedTimer t(name + ": particles");
    Json out = Json::object();
    for (int p : particlePhases) {
      ParticleAnalysis pa = analyseParticles(grid, phase, P1, p, wsOpt);
      Json e;
      const auto& ps = pa.particles;
      e["count"] = static_cast<int64_t>(ps.size());
      int64_t cut = 0;
      for (const auto& q : ps) cut += q.faces != 0;
      e["cut_by_domain"] = cut;
      e["contacts"] = static_cast<int64_t>(pa.contacts.size());
      if (!ps.empty()) {
        std::vector<size_t> order(ps.size());
        std::iota(order.begin(), order.end(), size_t(0));
        std::sort(order.begin(), order.end(), [&](size_t x, size_t y) {
          return ps[x].equivalentDiameter != ps[y].equivalentDiameter
                     ? ps[x].equivalentDiameter < ps[y].equivalentDiameter
                     : x < y;
        });
        double totalV = 0, sumD = 0, sumF = 0;
        for (const auto& q : ps) totalV += q.volume, sumD += q.equivalentDiameter, sumF += q.feret;
        auto quantile = [&](double f, bool byVolume) {
          double acc = 0;
          const double tot = byVolume ? totalV : static_cast<double>(ps.size());
          for (size_t x : order) {
            acc += byVolume ? ps[x].volume : 1.0;
            if (acc >= f * tot * (1 - 1e-12)) return ps[x].equivalentDiameter;
          }
          return ps[order.back()].equivalentDiameter;
        };
        e["mean_equivalent_diameter"] = sumD / static_cast<double>(ps.size());
        e["d10"] = quantile(0.1, false);
        e["d50"] = quantile(0.5, false);
        e["d90"] = quantile(0.9, false);
        e["d50_volume_weighted"] = quantile(0.5, true);
        e["mean_feret"] = sumF / static_cast<double>(ps.size());
        // Shape and coordination over the particles clear of the domain faces (a cut particle's surface and
        // neighbours are truncated).
        double sph = 0, coord = 0;
        int64_t whole = 0;
        for (const auto& q : ps)
          if (q.faces == 0) sph += q.sphericity, coord += static_cast<double>(q.contacts), ++whole;
        e["particles_clear_of_domain"] = whole;
        e["mean_sphericity"] = whole > 0 ? Json(sph / static_cast<double>(whole)) : Json(nullptr);
        e["mean_contacts_per_particle"] =
            whole > 0 ? Json(coord / static_cast<double>(whole)) : Json(nullptr);
        double contactArea = 0;
        for (const auto& c : pa.contacts) contactArea += c.area;
        e["contact_area_per_volume"] = contactArea / V;
        e["mean_contact_area"] =
            pa.contacts.empty() ? Json(nullptr) : Json(contactArea / static_cast<double>(pa.contacts.size()));
      }
      auto path = outPath(fmt::format("particles_{}", safeName(phases[p].name)), "csv");
      e["csv"] = path.filename().string();
      std::filesystem::path png = plots && !ps.empty()
                                      ? outPath(fmt::format("particles_{}", safeName(phases[p].name)), "png")
                                      : std::filesystem::path();
      onRank0(comm, [&] {
        std::ostringstream os;
        os << "id,voxels,volume_m3,equivalent_diameter_m,feret_m,surface_area_m2,sphericity,peak_radius_m,"
              "contacts,"
              "contact_area_m2,touches_domain_face\n";
        for (const auto& q : ps)
          os << q.id << "," << q.voxels << "," << csvNumber(q.volume) << ","
             << csvNumber(q.equivalentDiameter) << "," << csvNumber(q.feret) << "," << csvNumber(q.area)
             << "," << csvNumber(q.sphericity) << "," << csvNumber(q.peakRadius) << "," << q.contacts << ","
             << csvNumber(q.contactArea) << "," << (q.faces ? 1 : 0) << "\n";
        if (!writeFiles) return;
        writeFileAtomic(path, os.str());
        if (png.empty()) return;
        std::vector<double> d;
        for (const auto& q : ps) d.push_back(q.equivalentDiameter);
        std::sort(d.begin(), d.end());
        PlotChart ch;
        ch.title = fmt::format("{}: particle size distribution ({})", name, phases[p].name);
        ch.xLabel = "equivalent diameter [um]";
        ch.yLabel = "cumulative number fraction";
        ch.yRange = std::make_pair(0.0, 1.0);
        ch.series.push_back({"by number", {}, {}});
        for (size_t q = 0; q < d.size(); ++q) {
          ch.series[0].x.push_back(d[q] / um);
          ch.series[0].y.push_back(static_cast<double>(q + 1) / static_cast<double>(d.size()));
        }
        writeChartPng(png, ch);
      });
      if (fields) {
        std::vector<double> idf(pa.labels.id.size());
        for (size_t q = 0; q < idf.size(); ++q) idf[q] = static_cast<double>(pa.labels.id[q]);
        fields->write(idf, fmt::format("{}_particles_{}", prefix, safeName(phases[p].name)), "1");
      }
      out[phases[p].name] = e;
    }
    if (particlePhases.empty()) notes.push_back("particles: no phase with role active; set particles.phases");
    result["particles"] = out;
    units["particles"] =
        "diameters, mean_feret: m; mean_contact_area: m^2; contact_area_per_volume: 1/m; sphericity, "
        "mean_contacts_per_particle: 1; count, contacts: number";
    methods["particles"] = fmt::format(
        "watershed of the distance map (steepest-ascent basins merged when the lower peak is less than "
        "max({} voxel, {} x its distance value) above the pass); areas by the surface estimator",
        wsOpt.minDepth, wsOpt.minRelativeDepth);
  }

  result["units"] = units;
  result["methods"] = methods;
  result["files"] = files;
  if (!notes.empty()) result["notes"] = notes;
  return result;
}

}  // namespace ssb

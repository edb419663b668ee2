// Digital twin: tune the composite generator to morphology targets. Each evaluation generates the volume
// (mesh/Generator, kind composite) and measures it with the morphology study (postprocess/Morphology, no
// files written); nothing here estimates a metric of its own.
//
// Tuning. Volume fractions are not tuned: the generator adds particles until the voxel counts meet them (its
// tolerance is set to a quarter of the target's). Each other tuned target has one knob, solved in turn
// (coordinate passes):
//   active_d50             -> radius        (increasing: bigger spheres, bigger watershed particles)
//   electrolyte_thickness  -> pore_radius   (increasing: fewer, bigger pores cut the electrolyte less)
//   electrolyte_d50        -> pore_radius   (only when electrolyte_thickness is absent; else checked)
//   coverage               -> pore_contact  (decreasing: pores placed against the active particles)
//   connected              -> checked only
// A knob's 1-D solve brackets the root by proportional steps (sizes) or +-0.25 steps (pore_contact), then
// uses false position kept 10 % inside the bracket. The metrics are piecewise constant in the knobs (the
// seed fixes the draws, a knob moves the rasterisation), so the solve stops at the first value within the
// tolerance, not at a root. Tuning stops at the first evaluation meeting every target.
#include "postprocess/Twin.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <functional>
#include <limits>
#include <optional>

#include "mesh/Generator.hpp"
#include "mesh/StudyContext.hpp"
#include "postprocess/Morphology.hpp"
#include "solver/core/Error.hpp"
#include "solver/core/Log.hpp"

namespace ssb {

namespace {

enum Knob { kRadius = 0, kPoreRadius = 1, kContact = 2, kNoKnob = -1 };
constexpr std::array<const char*, 3> kKnobKey = {"radius", "pore_radius", "pore_contact"};
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

struct Target {
  std::string name;  // results key: volume_fraction.<phase>, active_d50, ...
  std::string key;   // YAML path for messages
  double value = 0, tol = 0;
  bool length = false;  // m (else 1)
  int knob = kNoKnob;
  std::function<double(const Json&)> measure;
};

struct TwinPlan {
  double h = 0;  // voxel edge [m]
  int64_t minExtent = 0;
  int active = -1, electrolyte = -1, pore = -1;
  double activeFraction = 0, poreFraction = 0, genTolerance = 0.002;
  std::array<double, 3> x0{}, lo{}, hi{};
  std::vector<Target> targets;
  std::string face = "z-";
  int maxPasses = 4, maxEvaluations = 40;
  YAML::Node study;  // the morphology study measuring the targets
};

double numberOrNaN(const Json& j) { return j.is_number() ? j.get<double>() : kNaN; }

// Walk a path of object keys; NaN when a key is missing or the value is null.
double at(const Json& r, std::initializer_list<std::string> path) {
  const Json* j = &r;
  for (const auto& k : path) {
    if (!j->is_object() || !j->contains(k)) return kNaN;
    j = &(*j)[k];
  }
  return numberOrNaN(*j);
}

std::string fmtValue(const Target& t, double v) {
  if (!std::isfinite(v)) return "none";
  return t.length ? fmt::format("{:.4g} um", v * 1e6) : fmt::format("{:.4g}", v);
}

TwinPlan makePlan(const Params& volume, const PhaseMap& phases, const VoxelGrid& g) {
  const Params gen = volume.section("generate");
  const Params tw = gen.section("twin");
  TwinPlan p;
  if (g.spacing[0] != g.spacing[1] || g.spacing[0] != g.spacing[2])
    throwInput("{}: kind twin needs cubic voxels (use voxel_size, not spacing)", volume.keyPath("spacing"));
  p.h = g.spacing[0];
  p.minExtent = std::min({g.n[0], g.n[1], g.n[2]});
  const auto& ph = phases.phases();
  auto phaseOfLabel = [&](const char* key) {
    const long label = gen.integer(key);
    const int i = phases.phaseOf(static_cast<uint16_t>(label));
    if (i < 0)
      throwInput("{}: label {} belongs to no phase of `phases:`; add it to one", gen.keyPath(key), label);
    return i;
  };
  p.active = phaseOfLabel("active_label");
  p.electrolyte = phaseOfLabel("electrolyte_label");
  p.pore = phaseOfLabel("pore_label");
  if (p.active == p.electrolyte || p.active == p.pore || p.electrolyte == p.pore)
    throwInput("{}: active_label, electrolyte_label and pore_label must belong to three different phases",
               gen.path());
  const std::string& actName = ph[p.active].name;
  const std::string& elyName = ph[p.electrolyte].name;
  p.maxPasses = static_cast<int>(tw.integer("max_passes"));
  p.maxEvaluations = static_cast<int>(tw.integer("max_evaluations"));

  // --- volume fractions: resolved into the generator's active_fraction and pore_fraction
  // ---------------------
  const double ftol = tw.real("volume_fraction_tolerance");
  const std::string fkey = tw.keyPath("volume_fractions");
  std::array<std::optional<double>, 3> given;  // active, electrolyte, pore
  double sum = 0;
  for (const auto& [name, v] : tw.realMap("volume_fractions")) {
    const std::string key = fkey + "." + name;
    const int i = phases.index(name, key);
    const int slot = i == p.active ? 0 : i == p.electrolyte ? 1 : i == p.pore ? 2 : -1;
    if (slot < 0)
      throwInput("{}: phase '{}' is none of the generator's three (active {}, electrolyte {}, pore {})", key,
                 name, actName, elyName, ph[p.pore].name);
    given[slot] = v;
    sum += v;
    Target t;
    t.name = "volume_fraction." + name;
    t.key = key;
    t.value = v;
    t.tol = ftol;
    t.measure = [name](const Json& r) { return at(r, {"volume_fractions", name}); };
    p.targets.push_back(t);
  }
  if (sum > 1 + ftol) throwInput("{}: the fractions sum to {:.4g}, over 1", fkey, sum);
  double a = gen.real("active_fraction"), pf = gen.real("pore_fraction");
  const auto& [A, E, P] = given;
  if (A && E && P) {
    if (std::abs(1 - sum) > 1.5 * ftol)
      throwInput(
          "{}: the three fractions sum to {:.4g}; each within volume_fraction_tolerance {:g} needs a sum "
          "within "
          "1 +- {:g}: correct them or raise the tolerance",
          fkey, sum, ftol, 1.5 * ftol);
    const double d = (1 - sum) / 3;  // spread the rounding of measured fractions evenly
    a = *A + d;
    pf = *P + d;
  } else if (A && P) {
    a = *A, pf = *P;
  } else if (A && E) {
    a = *A, pf = 1 - *A - *E;
  } else if (P && E) {
    pf = *P, a = 1 - *P - *E;
  } else if (A) {
    a = *A;
  } else if (P) {
    pf = *P;
  } else if (E) {
    pf = 1 - *E - a;
  }
  a = std::max(a, 0.0), pf = std::max(pf, 0.0);
  if (a > 0.95 || pf > 0.9 || a + pf > 1 + 1e-12)
    throwInput(
        "{}: active fraction {:.4g} and pore fraction {:.4g} (from the targets and the generator's "
        "active_fraction / pore_fraction) are out of the generator's reach (active <= 0.95, pore <= 0.9, sum "
        "<= 1)",
        fkey, a, pf);
  p.activeFraction = a;
  p.poreFraction = pf;
  p.genTolerance = std::clamp(ftol / 4, 1e-6, gen.real("tolerance"));

  // --- size, coverage and connectivity targets ------------------------------------------------------------
  p.x0 = {gen.real("radius"), gen.real("pore_radius"), gen.real("pore_contact")};
  p.lo = {1.0, 0.87, 0.0};  // sqrt(3)/2: a smaller pore ball may hold no voxel centre (slow to place)
  p.hi = {0.5 * static_cast<double>(p.minExtent), std::max(0.5, 0.25 * static_cast<double>(p.minExtent)),
          1.0};
  const double h = p.h;
  auto sizeTarget = [&](const char* key, const std::string& phase, bool thickness, double minVoxels,
                        int knob) {
    const Params s = tw.section(key);
    Target t;
    t.name = key;
    t.key = tw.keyPath(key);
    t.value = s.real("value");
    t.tol = s.real("tolerance");
    t.length = true;
    t.knob = knob;
    if (t.value + t.tol < minVoxels * h)
      throwInput(
          "{}: {:.4g} um is below what a voxel of {:.4g} um resolves ({:.3g} voxels at least): use a "
          "smaller voxel_size",
          t.key, t.value * 1e6, h * 1e6, minVoxels);
    if (t.value - t.tol > static_cast<double>(p.minExtent) * h)
      throwInput(
          "{}: {:.4g} um is larger than the box ({} voxels of {:.4g} um along its shortest side): enlarge "
          "volume.generate.shape",
          t.key, t.value * 1e6, p.minExtent, h * 1e6);
    t.measure = thickness ? std::function<double(const Json&)>([phase](const Json& r) {
      return at(r, {"local_thickness", phase, "mean"});
    })
                          : [phase](const Json& r) {
                              return at(r, {"particles", phase, "d50"});
                            };
    p.targets.push_back(t);
  };
  // Equivalent diameter of one voxel (6/pi)^(1/3) = 1.24; local thickness of a one-voxel line 1.5 voxels.
  if (tw.has("active_d50")) {
    sizeTarget("active_d50", actName, false, 1.24, kRadius);
    const double d = p.targets.back().value / h;
    p.x0[kRadius] =
        std::clamp(0.45 * d, p.lo[kRadius], p.hi[kRadius]);  // watershed merges overlaps: D50 > 2 r
  }
  const bool thick = tw.has("electrolyte_thickness");
  if (thick) sizeTarget("electrolyte_thickness", elyName, true, 1.5, kPoreRadius);
  if (tw.has("electrolyte_d50"))
    sizeTarget("electrolyte_d50", elyName, false, 1.24, thick ? kNoKnob : kPoreRadius);
  if (tw.has("coverage")) {
    const Params s = tw.section("coverage");
    Target t;
    t.name = "coverage";
    t.key = tw.keyPath("coverage");
    t.value = s.real("value");
    t.tol = s.real("tolerance");
    t.knob = kContact;
    if (ph[p.electrolyte].role != PhaseRole::Electrolyte || ph[p.pore].role == PhaseRole::Electrolyte)
      throwInput(
          "{}: the coverage counts phases with role electrolyte: give phase '{}' role electrolyte and "
          "phase '{}' another role",
          t.key, elyName, ph[p.pore].name);
    if (p.poreFraction == 0 && t.value + t.tol < 1)
      throwInput(
          "{}: {:.4g} cannot be met without pores (the electrolyte then covers the whole active surface): "
          "give the pore phase a fraction",
          t.key, t.value);
    if (p.activeFraction + p.poreFraction >= 1 - 1e-12 && t.value - t.tol > 0)
      throwInput("{}: {:.4g} cannot be met without electrolyte", t.key, t.value);
    t.measure = [actName](const Json& r) { return at(r, {"coverage", actName, "electrolyte_fraction"}); };
    p.targets.push_back(t);
  }
  if (tw.has("connected")) {
    const Params s = tw.section("connected");
    Target t;
    t.name = "connected";
    t.key = tw.keyPath("connected");
    t.value = s.real("value");
    t.tol = s.real("tolerance");
    p.face = s.text("face");
    t.measure = [actName](const Json& r) {
      return at(r, {"connectivity", actName, "connected_to", "fraction"});
    };
    p.targets.push_back(t);
  }
  if (p.targets.empty()) throwInput("{}: no target given; name at least one", tw.path());

  // --- the morphology study that measures them ------------------------------------------------------------
  YAML::Node st;
  st["type"] = "morphology";
  st["name"] = "twin";
  st["plots"] = false;
  st["write_fields"] = false;
  st["metrics"].push_back("volume_fractions");
  std::vector<std::string> particlePhases;
  for (const auto& t : p.targets) {
    if (t.name == "active_d50") particlePhases.push_back(actName);
    if (t.name == "electrolyte_d50") particlePhases.push_back(elyName);
    if (t.name == "electrolyte_thickness") {
      st["metrics"].push_back("local_thickness");
      st["local_thickness"]["phases"].push_back(elyName);
    }
    if (t.name == "coverage") {
      st["metrics"].push_back("coverage");
      st["coverage_phases"].push_back(actName);
    }
    if (t.name == "connected") {
      st["metrics"].push_back("connectivity");
      st["connected_to"][actName] = p.face;
      st["directions"].push_back(p.face.substr(0, 1));
    }
  }
  if (!particlePhases.empty()) {
    st["metrics"].push_back("particles");
    for (const auto& n : particlePhases) st["particles"]["phases"].push_back(n);
  }
  p.study = st;
  checkMorphologyInputs(phases, Params(YAML::Clone(st), morphologySchema(), tw.path() + " (morphology)"));
  return p;
}

// Errors only while the tuning loop generates and measures (each evaluation would log a dozen lines).
class QuietLog {
 public:
  QuietLog() : m_level(Log::verbosity()) { Log::setVerbosity(std::min(m_level, 0)); }
  ~QuietLog() { Log::setVerbosity(m_level); }
  QuietLog(const QuietLog&) = delete;
  QuietLog& operator=(const QuietLog&) = delete;

 private:
  int m_level;
};

struct Eval {
  std::array<double, 3> x{};
  std::vector<double> achieved;
  double score = kNaN;  // max |achieved - value| / tolerance over the targets (inf if one is unmeasurable)
  bool allMet = false;
};

class Tuner {
 public:
  Tuner(MPI_Comm comm, const Params& volume, const PhaseMap& phases, TwinPlan plan)
      : m_comm(comm),
        m_gen(volume.raw("generate")),
        m_genPath(volume.keyPath("generate")),
        m_phases(phases),
        m_plan(std::move(plan)),
        m_study(m_plan.study, morphologySchema(), m_genPath + ".twin (morphology)") {}

  TwinResult run() {
    const double t0 = Log::elapsed();
    m_cur = evaluate(m_plan.x0);
    int pass = 0;
    while (!m_done && pass < m_plan.maxPasses && !budgetSpent()) {
      ++pass;
      for (size_t ti = 0; ti < m_plan.targets.size() && !m_done && !budgetSpent(); ++ti)
        if (m_plan.targets[ti].knob != kNoKnob) solveKnob(ti);
      if (!m_done && pass > 1 && m_best.score >= m_bestAtPassStart) break;  // a pass that gained nothing
      m_bestAtPassStart = m_best.score;
    }
    TwinResult out;
    out.report = report(m_done ? m_final : m_best, pass, Log::elapsed() - t0);
    if (!m_done) {
      std::string msg = fmt::format(
          "{}.twin: no generated volume met every target ({} evaluations, {} passes); best evaluation ({}):",
          m_genPath, m_evals, pass, knobText(m_best.x));
      for (size_t i = 0; i < m_plan.targets.size(); ++i) {
        const Target& t = m_plan.targets[i];
        const double v = m_best.achieved[i];
        const bool met = std::abs(v - t.value) <= t.tol;
        msg += fmt::format(" {}: target {} +- {}, achieved {}{}{};", t.key, fmtValue(t, t.value),
                           fmtValue(t, t.tol), fmtValue(t, v), met ? " (met)" : " (NOT met",
                           met                 ? ""
                           : t.knob == kNoKnob ? ", not tuned: no generator parameter moves it alone)"
                                               : fmt::format(", tuned by {})", kKnobKey[t.knob]));
      }
      msg +=
          " (raise the tolerance or max_evaluations, enlarge volume.generate.shape, or change the seed or "
          "the "
          "untuned generator keys; docs/studies.md, Digital twins)";
      throw RunError(msg);
    }
    out.volume = std::move(m_volume);
    out.volume.source = "generated:twin";
    return out;
  }

 private:
  bool budgetSpent() const { return m_evals >= m_plan.maxEvaluations; }

  std::string knobText(const std::array<double, 3>& x) const {
    return fmt::format("radius {:.4g}, pore_radius {:.4g}, pore_contact {:.4g} (voxels, voxels, 1)", x[0],
                       x[1], x[2]);
  }

  // Collective: generate with knobs x, measure, keep the volume if every target is met.
  Eval evaluate(const std::array<double, 3>& x) {
    YAML::Node node = YAML::Clone(m_gen);
    node["kind"] = "composite";
    node.remove("twin");
    node["active_fraction"] = m_plan.activeFraction;
    node["pore_fraction"] = m_plan.poreFraction;
    node["tolerance"] = m_plan.genTolerance;
    for (int k = 0; k < 3; ++k) node[kKnobKey[k]] = x[k];
    Eval e;
    e.x = x;
    Volume v;
    Json r;
    {
      QuietLog quiet;
      try {
        v = generateVolume(m_comm, Params(node, generatorSchema(), m_genPath), m_plan.h);
      } catch (const InputError& err) {
        throwRun("{}.twin: generating with {} failed: {}", m_genPath, knobText(x), err.what());
      }
      StudyContext ctx{v, m_phases, nullptr, std::filesystem::path(), "twin"};
      r = runMorphology(ctx, m_study);
    }
    ++m_evals;
    e.score = 0;
    e.allMet = true;
    for (const auto& t : m_plan.targets) {
      const double a = t.measure(r);
      e.achieved.push_back(a);
      const double s = std::isfinite(a) ? std::abs(a - t.value) / t.tol : HUGE_VAL;
      e.score = std::max(e.score, s);
      if (!(s <= 1)) e.allMet = false;
    }
    Json row = {{"radius", x[0]}, {"pore_radius", x[1]}, {"pore_contact", x[2]}};
    std::string line = fmt::format("twin evaluation {}: {}", m_evals, knobText(x));
    for (size_t i = 0; i < m_plan.targets.size(); ++i) {
      row[m_plan.targets[i].name] = finiteOrNull(e.achieved[i]);
      line += fmt::format("; {} {}", m_plan.targets[i].name, fmtValue(m_plan.targets[i], e.achieved[i]));
    }
    m_history.push_back(row);
    Log::info("{}{}", line, e.allMet ? "  -> every target met" : "");
    if (!(m_best.score <= e.score)) m_best = e;  // NaN-safe: the first evaluation always becomes the best
    if (e.allMet && !m_done) {
      m_done = true;
      m_final = e;
      m_volume = std::move(v);
    }
    return e;
  }

  // One knob, the others fixed at m_cur: bracket and false position on its target's residual.
  void solveKnob(size_t ti) {
    const Target& t = m_plan.targets[ti];
    const int k = t.knob;
    const double sign = k == kContact ? -1.0 : 1.0;  // g = sign * (achieved - value) increases with the knob
    auto g = [&](const Eval& e) { return sign * (e.achieved[ti] - t.value); };
    std::vector<Eval> pts = {m_cur};
    auto best = [&] {
      return *std::min_element(pts.begin(), pts.end(), [&](const Eval& a, const Eval& b) {
        const double ga = std::abs(g(a)), gb = std::abs(g(b));
        return std::isfinite(ga) && (!std::isfinite(gb) || ga < gb || (ga == gb && a.score < b.score));
      });
    };
    const double lo = m_plan.lo[k], hi = m_plan.hi[k];
    for (int it = 0; it < 8 && !m_done && !budgetSpent(); ++it) {
      if (!std::isfinite(g(pts.back())) && pts.size() > 1) break;
      if (std::abs(g(best())) <= t.tol) break;
      const Eval* below = nullptr;  // largest knob with g < 0
      const Eval* above = nullptr;  // smallest knob with g > 0
      for (const auto& e : pts) {
        const double ge = g(e);
        if (!std::isfinite(ge)) continue;
        if (ge < 0 && (!below || e.x[k] > below->x[k])) below = &e;
        if (ge > 0 && (!above || e.x[k] < above->x[k])) above = &e;
      }
      double xn;
      if (below && above && below->x[k] < above->x[k]) {
        const double xl = below->x[k], xu = above->x[k], gl = g(*below), gu = g(*above);
        xn = xl + (xu - xl) * (-gl) / (gu - gl);
        xn = std::clamp(xn, xl + 0.1 * (xu - xl), xu - 0.1 * (xu - xl));
        if (xu - xl < 1e-3 * std::max(1.0, xu)) break;  // the metric jumps across the tolerance here
      } else {
        const Eval& from = below ? *below : above ? *above : pts.back();
        const double gf = g(from);
        if (!std::isfinite(gf)) {
          xn = k == kContact ? 0.5 : 2 * from.x[k];  // nothing measurable (e.g. no particle): try elsewhere
        } else {
          const bool up = gf < 0;
          if (k == kContact) {
            xn = from.x[k] + (up ? 0.25 : -0.25);
          } else {
            // Sizes scale about linearly with the radii: step by the ratio, at least 5 %, at most x2.
            const double ratio = t.value / from.achieved[ti];
            xn = from.x[k] * (up ? std::clamp(ratio, 1.05, 2.0) : std::clamp(ratio, 0.5, 0.95));
          }
        }
        if ((xn >= hi && from.x[k] >= hi) || (xn <= lo && from.x[k] <= lo)) break;  // out of reach
      }
      xn = std::clamp(xn, lo, hi);
      bool seen = false;
      for (const auto& e : pts) seen = seen || e.x[k] == xn;
      if (seen) break;
      std::array<double, 3> x = m_cur.x;
      x[k] = xn;
      pts.push_back(evaluate(x));
    }
    m_cur = best();
  }

  Json report(const Eval& e, int passes, double seconds) const {
    Json targets = Json::object();
    for (size_t i = 0; i < m_plan.targets.size(); ++i) {
      const Target& t = m_plan.targets[i];
      targets[t.name] = {
          {"key", t.key},
          {"value", t.value},
          {"tolerance", t.tol},
          {"achieved", finiteOrNull(e.achieved[i])},
          {"met", std::abs(e.achieved[i] - t.value) <= t.tol},
          {"tuned_by", t.knob == kNoKnob ? (t.name.rfind("volume_fraction", 0) == 0
                                                ? "active_fraction, pore_fraction (voxel counts)"
                                                : "none (checked)")
                                         : kKnobKey[t.knob]}};
    }
    Json units = Json::object();
    for (const auto& t : m_plan.targets) units["targets." + t.name] = t.length ? "m" : "1";
    units["parameters.radius"] = "voxels";
    units["parameters.pore_radius"] = "voxels";
    units["parameters.radius_m"] = "m";
    units["parameters.pore_radius_m"] = "m";
    units["parameters.pore_contact"] = "1";
    units["parameters.active_fraction"] = "1";
    units["parameters.pore_fraction"] = "1";
    units["seconds"] = "s";
    units["history"] = "knobs as parameters; measured values as targets";
    return {{"targets", targets},
            {"parameters",
             {{"radius", e.x[kRadius]},
              {"radius_m", e.x[kRadius] * m_plan.h},
              {"pore_radius", e.x[kPoreRadius]},
              {"pore_radius_m", e.x[kPoreRadius] * m_plan.h},
              {"pore_contact", e.x[kContact]},
              {"active_fraction", m_plan.activeFraction},
              {"pore_fraction", m_plan.poreFraction},
              {"generator_tolerance", m_plan.genTolerance}}},
            {"met", m_done},
            {"passes", passes},
            {"evaluations", m_evals},
            {"seconds", seconds},
            {"history", m_history},
            {"units", units}};
  }

  MPI_Comm m_comm;
  YAML::Node m_gen;
  std::string m_genPath;
  const PhaseMap& m_phases;
  TwinPlan m_plan;
  Params m_study;
  Eval m_cur, m_best, m_final;
  double m_bestAtPassStart = HUGE_VAL;
  bool m_done = false;
  int m_evals = 0;
  Volume m_volume;
  Json m_history = Json::array();
};

}  // namespace

void checkTwinInputs(const Params& volume, const PhaseMap& phases, const VoxelGrid& geometry) {
  (void)makePlan(volume, phases, geometry);
}

TwinResult generateTwin(MPI_Comm comm, const Params& volume, const PhaseMap& phases,
                        const VoxelGrid& geometry) {
  TwinPlan plan = makePlan(volume, phases, geometry);
  Log::info("twin: tuning the composite generator to {} target(s)", plan.targets.size());
  TwinResult r = Tuner(comm, volume, phases, std::move(plan)).run();
  Log::info("{}", twinSummary(r.report));
  return r;
}

std::string twinSummary(const Json& report) {
  std::string s =
      fmt::format("twin: {} after {} evaluations in {} passes ({:.2f} s)\n",
                  report.value("met", false) ? "every target met" : "targets NOT met",
                  report.value("evaluations", 0), report.value("passes", 0), report.value("seconds", 0.0));
  s += fmt::format("  {:<34} {:>12} {:>12} {:>12}  {}\n", "target", "value", "tolerance", "achieved",
                   "tuned by");
  for (const auto& [name, t] : report["targets"].items()) {
    const bool len = report["units"].value("targets." + name, "1") == "m";
    auto show = [&](const Json& v) {
      if (!v.is_number()) return std::string("none");
      return len ? fmt::format("{:.4g} um", v.get<double>() * 1e6) : fmt::format("{:.4g}", v.get<double>());
    };
    s +=
        fmt::format("  {:<34} {:>12} {:>12} {:>12}  {}{}\n", name, show(t["value"]), show(t["tolerance"]),
                    show(t["achieved"]), t.value("tuned_by", ""), t.value("met", false) ? "" : "  (NOT met)");
  }
  const Json& p = report["parameters"];
  s += fmt::format(
      "  tuned: radius {:.4g} voxels ({:.4g} um), pore_radius {:.4g} voxels ({:.4g} um), pore_contact "
      "{:.4g}, "
      "active_fraction {:.4g}, pore_fraction {:.4g}",
      p.value("radius", 0.0), p.value("radius_m", 0.0) * 1e6, p.value("pore_radius", 0.0),
      p.value("pore_radius_m", 0.0) * 1e6, p.value("pore_contact", 0.0), p.value("active_fraction", 0.0),
      p.value("pore_fraction", 0.0));
  return s;
}

}  // namespace ssb

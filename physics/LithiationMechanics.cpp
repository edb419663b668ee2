#include "physics/LithiationMechanics.hpp"

#include <fmt/format.h>
#include <mpi.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>

#include "physics/Lithiation.hpp"
#include "physics/Mechanics.hpp"
#include "solver/core/Error.hpp"
#include "solver/core/Log.hpp"

namespace ssb {

Params lithiationMechanicsParams(const Params& lithiationStudy, double initialX, const std::string& name) {
  const std::string path = lithiationStudy.keyPath("mechanics");
  const YAML::Node block = lithiationStudy.raw("mechanics");
  if (!block.IsMap())
    throwInput(
        "{}: expected a mapping with the keys of a mechanics study (see `ssbvox params`), e.g. "
        "{{decohesion: {{strength: 50 MPa}}}}",
        path);
  for (const char* implied : {"type", "name"})
    if (block[implied]) throwInput("{}.{}: implied by the lithiation study; remove it", path, implied);
  YAML::Node node = YAML::Clone(block);
  node["type"] = "mechanics";
  node["name"] = name + "_mechanics";
  if (!node["reference_li_fraction"]) node["reference_li_fraction"] = initialX;
  Params p(node, mechanicsSchema(), path);
  if (p.text("mode") != "response")
    throwInput("{}: mode {} cannot be coupled to lithiation; only mode response", p.keyPath("mode"),
               p.text("mode"));
  return p;
}

LithiationMechanics::LithiationMechanics(const StudyContext& ctx, const Params& lithiationStudy,
                                         const LithiationSetup& setup, LithiationSolver& solver)
    : m_solver(solver), m_interval(lithiationStudy.real("mechanics_interval")) {
  const Params p = lithiationMechanicsParams(lithiationStudy, setup.initialX, setup.name);
  m_firstLoadSteps = static_cast<int>(p.integer("load_steps"));
  StudyContext mctx{ctx.volume, ctx.phases, nullptr, ctx.outputDir, setup.name + "_mechanics"};
  m_model = std::make_unique<MechanicsModel>(mctx, p);
}

LithiationMechanics::~LithiationMechanics() = default;

void LithiationMechanics::update(double t, Vec u) {
  // Beyond the ends of the volume_change table dV/V holds its end values (a transient surface x can pass
  // the table's end, e.g. below the x of the upper cut-off during a fast charge).
  std::vector<double> x = m_solver.ownedLiFraction(u);
  const auto [lo, hi] = m_model->liFractionRange();
  double beyond = 0.0;
  for (double& v : x) {
    beyond = std::max(beyond, std::max(lo - v, v - hi));
    v = std::clamp(v, lo, hi);
  }
  MPI_Allreduce(MPI_IN_PLACE, &beyond, 1, MPI_DOUBLE, MPI_MAX, m_solver.dofs().grid().comm());
  if (beyond > 0.0 && !m_warned) {
    Log::warn(
        fmt::format("{}: the Li fraction leaves the mechanics volume_change table [{}, {}] by up to "
                    "{:.3g}; dV/V is held at the table's end value there (extend mechanics.volume_change "
                    "to cover it)",
                    m_solver.setup().name, lo, hi, beyond));
    m_warned = true;
  }
  // The first update ramps the stack pressure in load_steps; later ones move the eigenstrain from the
  // previous update's x to the current one at the full load, in halves where the damage iteration needs it.
  Json steps;
  if (m_lastX.empty()) {
    m_model->setLiFraction(x);
    steps = m_model->solve(m_firstLoadSteps);
  } else {
    steps = advance(m_lastX, x, 0);
  }
  m_lastX = x;
  m_solver.setContact(m_model->contactFraction());
  MechanicsUpdateRecord r;
  r.t = t;
  for (const auto& s : steps)
    if (s.contains("nonlinear_iterations")) r.iterations += s["nonlinear_iterations"].get<int>();
  r.coverage = m_solver.coverage();
  const Json st = m_model->decohesionStatistics();
  auto num = [&](const char* k) { return st.is_object() && st[k].is_number() ? st[k].get<double>() : 0.0; };
  r.debondedAreaFraction = num("debonded_area_fraction");
  r.meanDamage = num("mean_damage");
  r.meanGap = num("mean_opening");
  r.maxGap = num("max_opening");
  r.gapVolumeFraction = num("gap_volume_fraction");
  m_history.push_back(r);
  Log::detail(
      "{}: mechanics update at t = {:.6g} s: coverage {:.4f}, debonded {:.4f}, max gap {:.3g} m, {} "
      "iterations",
      m_solver.setup().name, t, r.coverage, r.debondedAreaFraction, r.maxGap, r.iterations);
}

Json LithiationMechanics::advance(const std::vector<double>& x0, const std::vector<double>& x1, int depth) {
  m_model->setLiFraction(x1);
  try {
    return m_model->solve(1);
  } catch (const DamageIterationError& e) {  // thrown on every rank (the convergence test is global)
    if (depth >= kMaxBisections) throw;
    m_model->rollbackStep();
    ++m_bisections;
    Log::detail("{}: {}; the update is split in two (depth {})", m_solver.setup().name, e.what(), depth + 1);
    std::vector<double> mid(x0.size());
    for (size_t i = 0; i < mid.size(); ++i) mid[i] = 0.5 * (x0[i] + x1[i]);
    Json first = advance(x0, mid, depth + 1);
    for (auto& r : advance(mid, x1, depth + 1)) first.push_back(r);
    return first;
  }
}

const MechanicsUpdateRecord& LithiationMechanics::at(double t) const {
  if (m_history.empty()) throwRun("LithiationMechanics::at: no update yet");
  const MechanicsUpdateRecord* best = &m_history.front();
  for (const auto& r : m_history)
    if (r.t <= t) best = &r;
  return *best;
}

Json LithiationMechanics::results() const {
  Json out;
  out["interval"] = m_interval;
  out["updates"] = static_cast<int64_t>(m_history.size());
  out["bisected_updates"] = m_bisections;
  Json h = Json::array();
  for (const auto& r : m_history)
    h.push_back({{"t", r.t},
                 {"coverage", r.coverage},
                 {"debonded_area_fraction", r.debondedAreaFraction},
                 {"mean_damage", r.meanDamage},
                 {"mean_gap", r.meanGap},
                 {"max_gap", r.maxGap},
                 {"porosity_change", r.gapVolumeFraction},
                 {"iterations", r.iterations}});
  out["history"] = h;
  if (!m_history.empty()) {
    out["coverage_initial"] = m_history.front().coverage;
    out["coverage_final"] = m_history.back().coverage;
    out["porosity_change_final"] = m_history.back().gapVolumeFraction;
  }
  out["model"] = m_model->results();
  return out;
}

void LithiationMechanics::writeFields(FieldWriter& fields, const std::string& prefix) const {
  m_model->writeFields(fields, prefix);
}

}  // namespace ssb

#include "physics/LithiationProtocol.hpp"

#include <algorithm>
#include <cmath>

#include "solver/core/Error.hpp"

namespace ssb {

const char* stepKindName(StepKind k) {
  switch (k) {
    case StepKind::ConstantCurrent:
      return "cc";
    case StepKind::ConstantVoltage:
      return "cv";
    case StepKind::Rest:
      return "rest";
  }
  return "rest";
}

const char* endReasonName(EndReason r) {
  switch (r) {
    case EndReason::None:
      return "none";
    case EndReason::VoltageLimit:
      return "voltage_limit";
    case EndReason::TimeLimit:
      return "time_limit";
    case EndReason::CurrentBelowThreshold:
      return "current_below_threshold";
    case EndReason::Duration:
      return "duration";
  }
  return "none";
}

const Schema& cutoffsSchema() {
  static const Schema s = [] {
    Schema sc("studies[] (type: lithiation).cutoffs",
              "Voltage window vs Li+/Li. A cc step ends at the cut-off in its direction (or earlier at its "
              "until_voltage); cv hold voltages and until_voltage values must lie inside the window.");
    sc.real("lower", "2.7 V", "V", 0.0, 10.0, "Lower cut-off (discharge end), thesis 2.7 V vs Li.", true);
    sc.real("upper", "4.3 V", "V", 0.0, 10.0, "Upper cut-off (charge end), thesis 4.3 V vs Li.", true);
    return sc;
  }();
  return s;
}

const Schema& protocolStepSchema() {
  static const Schema s = [] {
    Schema sc("studies[] (type: lithiation).protocol.steps[]",
              "One step. cc: constant current until a voltage (or max_time); cv: constant voltage until the "
              "current falls below a fraction of the preceding cc current (or max_time); rest: zero current "
              "for a duration. Keys of the other kinds are rejected.");
    sc.choice("type", std::nullopt, {"cc", "cv", "rest"}, "Step kind.");
    sc.real("c_rate", std::nullopt, "", 0.0, kInf,
            "cc: current as a multiple of the 1C current q_th * m_active / 1 h (0.05 = C/20). Give c_rate or "
            "current_density.",
            true)
        .optionalKey("c_rate");
    sc.real("current_density", std::nullopt, "A/m^2", 0.0, kInf,
            "cc: current per cell cross-section A_cell (the domain face normal to the transport axis).", true)
        .optionalKey("current_density");
    sc.choice("direction", std::nullopt, {"charge", "discharge"},
              "cc: charge (delithiation, I > 0, voltage rises) or discharge. Required for cc.")
        .optionalKey("direction");
    sc.real("until_voltage", std::nullopt, "V", 0.0, 10.0,
            "cc: end voltage vs Li (default: cutoffs.upper for charge, cutoffs.lower for discharge).", true)
        .optionalKey("until_voltage");
    sc.real("max_time", std::nullopt, "s", 0.0, kInf, "cc, cv: time limit of the step (thesis cv: 1 h).",
            true)
        .optionalKey("max_time");
    sc.real("voltage", std::nullopt, "V", 0.0, 10.0,
            "cv: hold voltage vs Li (default: the end voltage of the nearest cc step before it).", true)
        .optionalKey("voltage");
    sc.real("until_current_ratio", std::nullopt, "", 0.0, 1.0,
            "cv: ends when |I| < ratio * |I of the nearest cc step before it| (default 0.2 = I0/5 of the "
            "thesis); 0 = no current criterion (then max_time is required).")
        .optionalKey("until_current_ratio");
    sc.real("duration", std::nullopt, "s", 0.0, kInf, "rest: duration (thesis: 30 s). Required for rest.",
            true)
        .optionalKey("duration");
    return sc;
  }();
  return s;
}

const Schema& protocolSchema() {
  static const Schema s = [] {
    Schema sc("studies[] (type: lithiation).protocol",
              "Cycling protocol: `steps` run in order, the list repeated `cycles` times. Example (thesis "
              "first cycle): steps: [{type: cc, c_rate: 0.05, direction: charge}, {type: cv, max_time: 1 h}, "
              "{type: rest, duration: 30 s}, {type: cc, c_rate: 0.05, direction: discharge}].");
    sc.declare("steps", ParamType::SectionList, std::nullopt, "The steps (at least one).")
        .nest(protocolStepSchema());
    sc.integer("cycles", "1", 1, 100000, "How many times the step list runs.");
    return sc;
  }();
  return s;
}

Cutoffs parseCutoffs(const Params& p) {
  Cutoffs c;
  c.lower = p.real("lower");
  c.upper = p.real("upper");
  if (!(c.lower < c.upper))
    throwInput("{}: lower cut-off {} V must be below the upper cut-off {} V", p.path(), c.lower, c.upper);
  return c;
}

namespace {

const std::vector<std::string>& keysOf(StepKind k) {
  static const std::vector<std::string> cc = {"c_rate", "current_density", "direction", "until_voltage",
                                              "max_time"};
  static const std::vector<std::string> cv = {"voltage", "until_current_ratio", "max_time"};
  static const std::vector<std::string> rest = {"duration"};
  return k == StepKind::ConstantCurrent ? cc : k == StepKind::ConstantVoltage ? cv : rest;
}

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& e : v) s += (s.empty() ? "" : ", ") + e;
  return s;
}

ProtocolStep parseStep(const Params& sp, int index, const Cutoffs& cut) {
  ProtocolStep st;
  st.path = sp.path();
  st.listIndex = index;
  const std::string type = sp.text("type");
  st.kind = type == "cc"   ? StepKind::ConstantCurrent
            : type == "cv" ? StepKind::ConstantVoltage
                           : StepKind::Rest;
  const auto& allowed = keysOf(st.kind);
  for (const auto& spec : sp.schema().params) {
    if (spec.key == "type" || !sp.has(spec.key)) continue;
    if (std::find(allowed.begin(), allowed.end(), spec.key) == allowed.end())
      throwInput("{}: not a key of a {} step (its keys: type, {})", sp.keyPath(spec.key), type,
                 joined(allowed));
  }
  auto inWindow = [&](double v, const std::string& key, const char* what) {
    if (v < cut.lower || v > cut.upper)
      throwInput("{}: {} {} V is outside the cut-off window [{}, {}] V; it could never be reached",
                 sp.keyPath(key), what, v, cut.lower, cut.upper);
  };
  if (sp.has("max_time")) st.maxTime = sp.real("max_time");
  switch (st.kind) {
    case StepKind::ConstantCurrent: {
      const bool rate = sp.has("c_rate"), density = sp.has("current_density");
      if (rate == density)
        throwInput("{}: a cc step needs exactly one of c_rate (e.g. 0.05 for C/20) or current_density{}",
                   st.path, rate ? " (both are given)" : "");
      if (rate) st.cRate = sp.real("c_rate");
      if (density) st.currentDensity = sp.real("current_density");
      if (!sp.has("direction"))
        throwInput("{}: a cc step needs `direction: charge` or `direction: discharge`",
                   sp.keyPath("direction"));
      st.direction = sp.text("direction") == "charge" ? Direction::Charge : Direction::Discharge;
      st.untilVoltage = st.direction == Direction::Charge ? cut.upper : cut.lower;
      if (sp.has("until_voltage")) {
        st.untilVoltage = sp.real("until_voltage");
        inWindow(st.untilVoltage, "until_voltage", "end voltage");
      }
      break;
    }
    case StepKind::ConstantVoltage:
      st.untilCurrentRatio = sp.has("until_current_ratio") ? sp.real("until_current_ratio") : 0.2;
      if (sp.has("voltage")) {
        st.voltage = sp.real("voltage");
        inWindow(st.voltage, "voltage", "hold voltage");
      }
      if (st.untilCurrentRatio == 0.0 && !std::isfinite(st.maxTime))
        throwInput(
            "{}: until_current_ratio is 0 and no max_time is given, so the step would never end; give "
            "max_time (e.g. 1 h)",
            st.path);
      break;
    case StepKind::Rest:
      if (!sp.has("duration"))
        throwInput("{}: a rest step needs `duration` (e.g. 30 s)", sp.keyPath("duration"));
      st.duration = sp.real("duration");
      break;
  }
  return st;
}

}  // namespace

Protocol parseProtocol(const Params& p, const Cutoffs& cutoffs) {
  Protocol out;
  out.cutoffs = cutoffs;
  out.cycles = static_cast<int>(p.integer("cycles"));
  const auto list = p.sections("steps");
  if (list.empty()) throwInput("{}: the list is empty; give at least one step", p.keyPath("steps"));
  std::vector<ProtocolStep> once;
  for (size_t k = 0; k < list.size(); ++k) once.push_back(parseStep(list[k], static_cast<int>(k), cutoffs));
  out.stepsPerCycle = static_cast<int>(once.size());

  // A cv step takes its default voltage and its current threshold from the nearest cc before it (rests
  // in between allowed). The first cycle decides whether one exists; later cycles only add candidates.
  int lastCc = -1;
  for (int c = 0; c < out.cycles; ++c) {
    for (const auto& s : once) {
      ProtocolStep st = s;
      st.cycle = c;
      const int idx = static_cast<int>(out.steps.size());
      if (st.kind == StepKind::ConstantVoltage) {
        st.referenceStep = lastCc;
        const bool voltageGiven = list[static_cast<size_t>(st.listIndex)].has("voltage");
        if (lastCc < 0) {
          if (!voltageGiven)
            throwInput(
                "{}: a cv step with no cc step before it needs `voltage` (its default is the end voltage "
                "of the preceding cc)",
                list[static_cast<size_t>(st.listIndex)].keyPath("voltage"));
          if (st.untilCurrentRatio > 0.0)
            throwInput(
                "{}: the current threshold is a fraction of the preceding cc current, and there is no cc "
                "step before this cv; put a cc step first, or give until_current_ratio: 0 and max_time",
                list[static_cast<size_t>(st.listIndex)].keyPath("until_current_ratio"));
        } else if (!voltageGiven) {
          st.voltage = out.steps[static_cast<size_t>(lastCc)].untilVoltage;
        }
      }
      if (st.kind == StepKind::ConstantCurrent) lastCc = idx;
      out.steps.push_back(std::move(st));
    }
  }
  return out;
}

double stepCurrent(const ProtocolStep& step, double oneCCurrent, double cellArea) {
  if (step.kind != StepKind::ConstantCurrent) return 0.0;
  const double magnitude = step.cRate ? *step.cRate * oneCCurrent : *step.currentDensity * cellArea;
  return step.direction == Direction::Charge ? magnitude : -magnitude;
}

// ---------------------------------------------------------------------------------------------------
ProtocolMachine::ProtocolMachine(Protocol protocol, double oneCCurrent, double cellArea, double startTime)
    : m_protocol(std::move(protocol)), m_tStart(startTime) {
  for (const auto& s : m_protocol.steps) {
    if (s.kind == StepKind::ConstantCurrent && s.cRate && !(oneCCurrent > 0.0))
      throwInput(
          "{}.c_rate: the 1C current is {} A (no active material in the volume?); a C-rate needs active "
          "material, or give current_density",
          s.path, oneCCurrent);
    if (s.kind == StepKind::ConstantCurrent && s.currentDensity && !(cellArea > 0.0))
      throwInput("{}.current_density: the cell cross-section is {} m^2", s.path, cellArea);
    m_current.push_back(stepCurrent(s, oneCCurrent, cellArea));
  }
}

const ProtocolStep& ProtocolMachine::step() const {
  if (finished()) throwRun("protocol: no active step (the protocol has finished)");
  return m_protocol.steps[m_index];
}

const ProtocolStep* ProtocolMachine::nextStep() const {
  return m_index + 1 < m_protocol.steps.size() ? &m_protocol.steps[m_index + 1] : nullptr;
}

StepControl ProtocolMachine::controlOf(size_t index) const {
  const ProtocolStep& s = m_protocol.steps.at(index);
  StepControl c;
  switch (s.kind) {
    case StepKind::ConstantCurrent:
      c.kind = ControlKind::Galvanostatic;
      c.current = m_current[index];
      break;
    case StepKind::ConstantVoltage:
      c.kind = ControlKind::Potentiostatic;
      c.voltage = s.voltage;
      break;
    case StepKind::Rest:
      c.kind = ControlKind::Rest;
      break;
  }
  return c;
}

StepControl ProtocolMachine::control() const {
  step();  // throws when finished
  return controlOf(m_index);
}

double ProtocolMachine::thresholdCurrent() const {
  const ProtocolStep& s = step();
  if (s.kind != StepKind::ConstantVoltage || s.referenceStep < 0) return 0.0;
  return s.untilCurrentRatio * std::fabs(m_current[static_cast<size_t>(s.referenceStep)]);
}

double ProtocolMachine::deadline() const {
  const ProtocolStep& s = step();
  if (s.kind == StepKind::Rest) return m_tStart + s.duration;
  return m_tStart + s.maxTime;
}

std::vector<StepEvent> ProtocolMachine::events(double t, double voltage, double current) const {
  const ProtocolStep& s = step();
  std::vector<StepEvent> ev;
  switch (s.kind) {
    case StepKind::ConstantCurrent:
      ev.push_back({EndReason::VoltageLimit,
                    s.direction == Direction::Charge ? voltage - s.untilVoltage : s.untilVoltage - voltage});
      break;
    case StepKind::ConstantVoltage:
      if (s.untilCurrentRatio > 0.0)
        ev.push_back({EndReason::CurrentBelowThreshold, thresholdCurrent() - std::fabs(current)});
      break;
    case StepKind::Rest:
      ev.push_back({EndReason::Duration, t - deadline()});
      return ev;
  }
  if (std::isfinite(s.maxTime)) ev.push_back({EndReason::TimeLimit, t - deadline()});
  return ev;
}

EndReason ProtocolMachine::endReached(double t, double voltage, double current) const {
  for (const auto& e : events(t, voltage, current))
    if (e.value >= 0.0) return e.reason;
  return EndReason::None;
}

void ProtocolMachine::restore(const Snapshot& s) {
  if (s.index > m_protocol.steps.size() || s.history.size() != s.index)
    throwRun("protocol checkpoint: step {} with {} finished steps does not fit a protocol of {} steps",
             s.index, s.history.size(), m_protocol.steps.size());
  m_index = s.index;
  m_tStart = s.tStart;
  m_history = s.history;
}

void ProtocolMachine::advance(double t, double voltage, double current, double charge, double throughput,
                              EndReason reason) {
  const ProtocolStep& s = step();
  StepRecord r;
  r.step = static_cast<int>(m_index);
  r.kind = s.kind;
  r.reason = reason;
  r.tStart = m_tStart;
  r.tEnd = t;
  r.charge = charge;
  r.throughput = throughput;
  r.voltageEnd = voltage;
  r.currentEnd = current;
  m_history.push_back(r);
  ++m_index;
  m_tStart = t;
}

}  // namespace ssb

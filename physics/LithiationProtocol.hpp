#pragma once
// Cycling protocol of the lithiation study (spec section 6; docs/lithiation.md "Protocol"): the YAML
// `protocol:` and `cutoffs:` sections parsed into a flat list of steps, and a small state machine the
// time integrator drives (which step is active, what it controls, which events end it, what comes next).
// MPI-free: every rank holds the same machine and feeds it the same (reduced) V and I.
//
// Sign conventions: currents I [A] > 0 on charge (delithiation), voltages V [V vs Li+/Li], times [s].
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "solver/core/Params.hpp"

namespace ssb {

enum class StepKind { ConstantCurrent, ConstantVoltage, Rest };
enum class Direction { Charge, Discharge };
const char* stepKindName(StepKind k);  // "cc", "cv", "rest"

struct Cutoffs {
  double lower = 2.7;  // [V vs Li]
  double upper = 4.3;
};

struct ProtocolStep {
  StepKind kind = StepKind::Rest;
  std::string path;   // YAML path for messages, e.g. "studies[0].protocol.steps[1]"
  int listIndex = 0;  // position in `steps:`
  int cycle = 0;      // 0-based repetition
  // cc
  Direction direction = Direction::Charge;
  std::optional<double> cRate;           // multiple of the 1C current
  std::optional<double> currentDensity;  // [A/m^2] over the cell cross-section A_cell
  double untilVoltage = 0.0;             // resolved end voltage [V]
  // cc and cv
  double maxTime = std::numeric_limits<double>::infinity();  // [s]
  // cv
  double voltage = 0.0;            // resolved hold voltage [V]
  double untilCurrentRatio = 0.0;  // ends when |I| < ratio |I_ref|; 0 = time limit only
  int referenceStep = -1;          // index in Protocol::steps of the cc whose current is I_ref (-1: none)
  // rest
  double duration = 0.0;  // [s]
};

struct Protocol {
  std::vector<ProtocolStep> steps;  // `steps:` repeated `cycles` times, in execution order
  int cycles = 1;
  int stepsPerCycle = 0;
  Cutoffs cutoffs;
};

const Schema& cutoffsSchema();
const Schema& protocolStepSchema();
const Schema& protocolSchema();

// Parses `cutoffs:` (lower < upper).
Cutoffs parseCutoffs(const Params& cutoffs);
// Parses and checks `protocol:` against the cut-offs: step kinds and their keys, cc current given once,
// cv voltage and threshold resolvable from a preceding cc, every end voltage inside the cut-offs, every
// step able to end. Errors (InputError) name the YAML path of the offending key.
Protocol parseProtocol(const Params& protocol, const Cutoffs& cutoffs);

// Applied current of a cc step [A], signed (> 0 charge): c_rate * I_1C or current_density * A_cell.
double stepCurrent(const ProtocolStep& step, double oneCCurrent, double cellArea);

// ---------------------------------------------------------------------------------------------------
enum class EndReason { None, VoltageLimit, TimeLimit, CurrentBelowThreshold, Duration };
const char* endReasonName(
    EndReason r);  // "voltage_limit", "time_limit", "current_below_threshold", "duration"

enum class ControlKind { Galvanostatic, Potentiostatic, Rest };

// What the active step imposes on the cell: the constraint row of phi_cc (spec section 3).
struct StepControl {
  ControlKind kind = ControlKind::Rest;
  double current = 0.0;  // Galvanostatic: I_app [A] (signed); Rest: 0
  double voltage = 0.0;  // Potentiostatic: V_hold [V vs Li]
};

// One end condition of the active step as an event function: `value` rises through zero when the
// condition is met (value < 0 while the step runs). Units: V (voltage), s (time), A (current).
struct StepEvent {
  EndReason reason = EndReason::None;
  double value = 0.0;
};

struct StepRecord {
  int step = 0;  // index in Protocol::steps
  StepKind kind = StepKind::Rest;
  EndReason reason = EndReason::None;
  double tStart = 0.0, tEnd = 0.0;  // [s]
  double charge = 0.0;              // integral of I dt over the step [C], signed
  double throughput = 0.0;          // integral of |I| dt [C]
  double voltageEnd = 0.0, currentEnd = 0.0;
};

class ProtocolMachine {
 public:
  // oneCCurrent [A] = q_th m_N / 1 h, cellArea [m^2] = A_cell (both from the volume).
  ProtocolMachine(Protocol protocol, double oneCCurrent, double cellArea, double startTime = 0.0);

  bool finished() const { return m_index >= m_protocol.steps.size(); }
  size_t stepIndex() const { return m_index; }
  const ProtocolStep& step() const;      // the active step (not when finished)
  const ProtocolStep* nextStep() const;  // the one after it, or null
  double stepStartTime() const { return m_tStart; }
  StepControl control() const;  // of the active step
  StepControl controlOf(size_t stepIndex) const;
  // |I| below which the active cv step ends [A] (0 when it has no current criterion).
  double thresholdCurrent() const;
  // Latest time the active step may run to (t_start + max_time or + duration; infinity if none) [s].
  double deadline() const;

  // The active step's end conditions at time t, voltage V, current I.
  std::vector<StepEvent> events(double t, double voltage, double current) const;
  // The first end condition that holds at (t, V, I), or None.
  EndReason endReached(double t, double voltage, double current) const;
  // Close the active step at time t with the end values and the charge passed during it (signed and
  // absolute, [C]), and start the next one at t.
  void advance(double t, double voltage, double current, double charge, double throughput, EndReason reason);

  const std::vector<StepRecord>& history() const { return m_history; }
  const Protocol& protocol() const { return m_protocol; }

  // Everything that changes while the machine runs, for checkpoints: a machine built from the same
  // protocol and currents and given a snapshot continues exactly where the saved one was.
  struct Snapshot {
    size_t index = 0;
    double tStart = 0.0;
    std::vector<StepRecord> history;
  };
  Snapshot snapshot() const { return {m_index, m_tStart, m_history}; }
  void restore(const Snapshot& s);  // RunError if the snapshot does not fit this protocol

 private:
  Protocol m_protocol;
  std::vector<double> m_current;  // applied current per step [A] (cc), 0 otherwise
  size_t m_index = 0;
  double m_tStart = 0.0;
  std::vector<StepRecord> m_history;
};

}  // namespace ssb

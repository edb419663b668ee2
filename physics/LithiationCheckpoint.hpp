#pragma once
// Checkpoints of the lithiation study (issue 7, "Progress and restart"; docs/lithiation.md "Checkpoints and
// restart"): everything a run needs to continue after it was killed, in <output dir>/<study>_checkpoint.h5.
//
// Contents (FieldWriter/FieldReader, parallel HDF5, natural voxel order, so a restart may use another rank
// count): the cell fields phi_e [V], phi_s [V], x [1] (0 where a voxel has no unknown of the field); and
// small arrays: the cell potential phi_cc [V], TS time [s] and next step size [s], the protocol machine
// (active step, its start time, the records of finished steps), the charge integrals [C], the samples
// recorded so far (so the time series and results.json of the restarted run are complete), the iteration
// counters, and the fingerprint of the inputs that decide the result (the study's keys, the phases, the
// volume's grid and a checksum of its labels). A restart with other inputs is refused (InputError naming the
// keys).
//
// Where the run is saved (LithiationSolver::run): after an accepted time step in the middle of a protocol
// step, and at the boundary between two protocol steps (the step that ends at an event or at a deadline is
// saved after the protocol machine moved on, so an event is never located twice nor missed). A restart from
// a boundary continues exactly as the uninterrupted run; one from the middle of a step restarts the BDF2
// history (TSBDF's own restart: a BDF1 half step, then BDF2), because PETSc 3.18 has no public way to set
// TSBDF's history vectors. The difference is at the level of the time-integration error (measured in
// docs/lithiation.md).
#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "physics/Lithiation.hpp"

namespace ssb {

// The run's state at a checkpoint (identical on every rank).
struct LithiationRunState {
  double time = 0.0;         // [s]
  double nextStep = 0.0;     // step size the integrator continues with [s]
  bool atStepStart = false;  // saved at a protocol-step boundary (before the consistent-potential solve)
  bool complete = false;     // the protocol has finished: nothing is left to compute
  double charge = 0.0, throughput = 0.0;            // since the start [C]
  double stepCharge0 = 0.0, stepThroughput0 = 0.0;  // at the start of the active protocol step [C]
  ProtocolMachine::Snapshot machine;
  LithiationRunResult result;  // samples so far and counters (result.steps unused: machine.history)
};

// What LithiationSolver::run needs to write checkpoints and to resume from one.
struct LithiationRunHooks {
  // Resume from this state (nullptr: from the initial state); resumeU holds the saved fields and phi_cc.
  const LithiationRunState* resume = nullptr;
  Vec resumeU = nullptr;
  // Collective, after every accepted step: whether a checkpoint is due (the same answer on every rank).
  std::function<bool()> due;
  // Collective: write a checkpoint of this state.
  std::function<void(const LithiationRunState&, Vec u)> write;
};

// Collective. The inputs that decide a lithiation study's result, one "key = value" line each: the study's
// keys resolved to SI (except those that only steer output: name, checkpoint, progress_every,
// write_fields), the phases, the grid and a rank-count independent checksum of the labels.
std::string lithiationFingerprint(const Params& study, const PhaseMap& phases, const StructuredGrid& grid,
                                  const std::vector<uint16_t>& labels);

class LithiationCheckpoint {
 public:
  // `who` names the study in messages, `fingerprint` from lithiationFingerprint.
  LithiationCheckpoint(const StructuredGrid& grid, std::filesystem::path dir, const std::string& study,
                       std::string fingerprint, std::string who, const CheckpointSetup& schedule);

  std::filesystem::path file() const { return m_dir / (m_stem + ".h5"); }
  bool enabled() const { return m_schedule.everySteps > 0 || m_schedule.everySeconds > 0.0; }

  // Collective, after every accepted step: due every `every_steps` steps or `every_seconds` of wall time
  // since the last checkpoint (rank 0's clock decides).
  bool due();
  // Collective. Writes the checkpoint atomically (temp + rename); the previous one stays until the rename.
  void write(const DofMap& dofs, Vec u, const LithiationRunState& state);
  // Collective. The saved state and fields (into u, laid out by dofs), or nullopt when there is no
  // checkpoint file. RestartInputError (ends the whole run) when the file cannot be read, is not a checkpoint
  // of this study or was written for other inputs (naming the keys that differ and what to do).
  std::optional<LithiationRunState> read(const DofMap& dofs, Vec u) const;

  double lastWriteSeconds() const { return m_lastWriteSeconds; }

 private:
  LithiationRunState readExisting(const DofMap& dofs, Vec u) const;
  const StructuredGrid& m_grid;
  std::filesystem::path m_dir;
  std::string m_stem;
  std::string m_fingerprint;
  std::string m_who;
  CheckpointSetup m_schedule;
  long m_stepsSince = 0;
  std::chrono::steady_clock::time_point m_last;
  double m_lastWriteSeconds = 0.0;
};

}  // namespace ssb

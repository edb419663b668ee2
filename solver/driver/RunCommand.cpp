#include "solver/driver/RunCommand.hpp"

#include <cstdio>

#include "solver/driver/Calibration.hpp"
#include "solver/driver/CaseRunner.hpp"
#include "solver/driver/Sweep.hpp"

namespace ssb {

namespace {

// Whether the document (after the overrides) has a top-level key. A file that does not parse goes to
// loadCase, which reports the syntax error.
bool hasKey(const CaseInput& input, const char* key) {
  try {
    YAML::Node root = YAML::Load(input.text);
    if (!root.IsMap()) return false;
    for (const auto& o : input.overrides) applyOverride(root, o);
    return static_cast<bool>(root[key]);
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace

int runCommand(MPI_Comm comm, const CaseInput& input) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  for (const char* key : {"sweep", "calibrate"})
    if (input.restart && hasKey(input, key))
      throwInput(
          "--restart: {}: the case file has `{}:`; --restart continues a single case from the checkpoints in "
          "its "
          "output directory. Run the case of the point to continue on its own (its output.dir) with "
          "--restart",
          input.file.string(), key);
  if (hasKey(input, "sweep")) return runSweep(comm, input).exitStatus;
  if (hasKey(input, "calibrate")) return runCalibration(comm, input).exitStatus;
  const Case c = loadCase(comm, input);
  const CaseResult r = runCase(comm, c, c.output.dir, input.restart);
  if (rank == 0) {
    std::printf("%s", caseSummary(r.results, c.output.dir).c_str());
    std::fflush(stdout);
  }
  return r.exitStatus;
}

}  // namespace ssb

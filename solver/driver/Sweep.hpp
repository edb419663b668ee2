#pragma once
// Parameter sweeps: `sweep:` in a case file expands the case into many (docs/studies.md).
//   grid: {path: [v1, v2, ...], ...}     cartesian product (the last key varies fastest)
//   zip:  {path: [v1, v2, ...], ...}     the i-th values of every list together (equal lengths)
//   list: [{path: v, ...}, ...]          each entry one case
// Paths are those of `--set` (`studies[0].conductivities.LPS`, `volume.generate.seed`); values are set as
// the YAML nodes written (numbers, "0.3 mS/cm", lists, mappings). When several are given, the cases are
// grid x zip x list. Case i runs in <output.dir>/case_<iiii> (its own loadCase + runCase); the sweep writes
// <output.dir>/results.csv (one row per case) and sweep.json. A failing case is recorded and the others run;
// a rerun reuses every case whose results.json is complete and hashes the same resolved inputs.
#include <mpi.h>

#include <filesystem>
#include <string>
#include <vector>

#include "solver/core/Json.hpp"
#include "solver/core/Params.hpp"
#include "solver/driver/Case.hpp"

namespace ssb {

struct SweepCase {
  std::string name;                 // case_0000, ...
  std::vector<Override> overrides;  // the swept values of this case, in sweep order
};

const Schema& sweepSchema();

// Expand a validated-or-not `sweep:` node. InputError naming sweep.<key> (empty lists, unequal zip
// lengths, entries that are not mappings, nothing to sweep, output.dir or sweep itself swept).
std::vector<SweepCase> expandSweep(const YAML::Node& sweep);

struct SweepResult {
  Json summary;        // what sweep.json holds (rank 0's, on every rank)
  int exitStatus = 0;  // 0 every case ok, 1 some case failed
  int ran = 0, reused = 0, failed = 0;
};

// Collective on `comm`. The case file (with its `sweep:`) and its command-line overrides, which apply to
// every case. Cases run one after another on groups of `ranks_per_case` ranks (all ranks by default),
// groups concurrently. InputError for a malformed `sweep:` or ranks_per_case; a case's own errors are
// recorded in its row.
SweepResult runSweep(MPI_Comm comm, const CaseInput& input);

// results.csv of a sweep.json record: case, status, swept inputs (as written), every scalar result of
// scalarResults() with its unit in the header ("path [unit]"), error. Numbers with 6 significant digits.
std::string sweepCsv(const Json& summary);

}  // namespace ssb

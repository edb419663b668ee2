#pragma once
// Running a loaded case (Case.hpp): read or generate the volume on a communicator, run every study, write
// the outputs into a directory held with an OutputLock. No MPI_COMM_WORLD below main: a sweep may run
// cases on groups of ranks, each with its own communicator and output directory.
#include <mpi.h>

#include <filesystem>
#include <string>

#include "solver/core/Json.hpp"
#include "solver/driver/Case.hpp"

namespace ssb {

struct CaseResult {
  Json results;        // what results.json holds (rank 0's record, on every rank)
  int exitStatus = 0;  // 0 every study ok; 1 a study failed at run time; 2 a study raised an input error
};

// Collective on `comm`. Creates `outDir`, takes its lock (RunError if another run holds it), removes
// temporary files a killed run left there, writes results.json (after each study, atomically), fields.h5 +
// fields.xdmf and the saved volume. A study that fails is recorded in results.json and the others still run.
// Throws InputError for problems found only in the voxels (unclaimed labels, unreadable file content) and
// RunError for output failures, before or between studies. `restart` (ssbvox run --restart): studies that
// keep checkpoints (lithiation) continue from the one in `outDir`; a checkpoint written for other inputs ends
// the run with a RestartInputError.
CaseResult runCase(MPI_Comm comm, const Case& c, const std::filesystem::path& outDir, bool restart = false);

// The console summary of a run (the tables of each successful study), as `ssbvox run` prints it.
std::string caseSummary(const Json& results, const std::filesystem::path& outDir);

}  // namespace ssb

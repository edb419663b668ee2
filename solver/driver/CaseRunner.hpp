#pragma once
// `ssbvox run CASE.yaml`: read and validate the case, build the volume, run every study, write results.
#include <filesystem>
#include <string>
#include <vector>

namespace ssb {

struct RunOptions {
  std::filesystem::path caseFile;
  std::vector<std::string> overrides;  // --set key.path=value
};

// Collective. Returns the process exit code: 0 if every study succeeded, 1 if some study failed (its
// failure is recorded in results.json). Input errors throw InputError before any output is written.
int runCase(const RunOptions& opts);

}  // namespace ssb

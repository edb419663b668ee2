// ssb_gold_compare [--update] SPEC.yaml RUN_DIR
//   Compare the run in RUN_DIR (results.json, CSV tables) with the gold values named by SPEC (exit 0 if every
//   value is within its tolerance, 1 otherwise, listing each failure). --update writes the gold file from
//   RUN_DIR instead: only from a reviewed run, and the diff goes into the commit (docs/testing.md).
#include <cstdio>
#include <cstring>
#include <fstream>

#include "tests/gold/GoldCompare.hpp"

int main(int argc, char** argv) {
  const bool update = argc == 4 && std::strcmp(argv[1], "--update") == 0;
  if (argc != 3 && !update) {
    std::fprintf(stderr, "usage: ssb_gold_compare [--update] SPEC.yaml RUN_DIR\n");
    return 2;
  }
  const std::filesystem::path specFile = argv[update ? 2 : 1], runDir = argv[update ? 3 : 2];
  try {
    const ssb::Json spec = ssb::gold::loadSpec(specFile);
    const std::filesystem::path goldFile = specFile.parent_path() / spec["gold"].get<std::string>();
    if (update) {
      const ssb::Json gold = ssb::gold::collect(spec, runDir);
      std::ofstream(goldFile) << gold.dump(1) << "\n";
      std::printf("gold: wrote %s from %s (%zu values, %zu tables); review `git diff %s` before committing\n",
                  goldFile.c_str(), runDir.c_str(), gold["json"].size(), gold["csv"].size(),
                  goldFile.c_str());
      return 0;
    }
    std::ifstream is(goldFile);
    if (!is) {
      std::printf("gold: cannot open %s\n", goldFile.c_str());
      return 1;
    }
    const ssb::gold::Outcome o = ssb::gold::compare(spec, ssb::Json::parse(is), runDir);
    if (o.failures.empty()) {
      std::printf("gold: %s: %d values within tolerance\n", specFile.filename().c_str(), o.compared);
      return 0;
    }
    std::printf("gold: %s FAILED: %zu of %d values\nrequirement: %s\n", specFile.filename().c_str(),
                o.failures.size(), o.compared, spec.value("requirement", "").c_str());
    for (const auto& f : o.failures) std::printf("  %s\n", f.c_str());
    return 1;
  } catch (const std::exception& e) {
    std::printf("gold: %s\n", e.what());
    return 1;
  }
}

#pragma once
// Gold-file regression: chosen values of a run's results.json and CSV tables against a reviewed run's values,
// each with a stated tolerance, as MOOSE's JSONDiff / CSVDiff testers do. A spec (YAML, written by hand)
// names the values and tolerances and says in one sentence what it requires; the gold file (JSON, written by
// --update from a reviewed run) holds the values. See docs/testing.md.
//
// Spec:
//   requirement: The quickstart case reproduces ...        # printed when a check fails
//   gold: quickstart.gold.json                             # relative to the spec
//   json:                                                  # checks on results.json
//     - {path: "studies[name=ionic].directions.*.tortuosity_factor", rel: 1e-6, why: "..."}
//   csv:                                                   # checks on CSV tables of the run
//     - {file: morphology_slices_z.csv, columns: [pore, LPS], rel: 1e-9, abs: 0, why: "..."}
// Paths: keys separated by '.', `*` for every key of a mapping, `[i]` an element, `[*]` every element,
// `[key=value]` the element whose `key` is `value` (stable against reordering). A value passes when
// |value - gold| <= abs + rel * |gold|; strings, booleans and nulls must be equal; the set of values a
// pattern expands to must be the gold's set (a value that appears or disappears fails).
#include <filesystem>
#include <string>
#include <vector>

#include "solver/core/Json.hpp"

namespace ssb::gold {

struct Outcome {
  int compared = 0;
  std::vector<std::string> failures;  // one line per failing value
};

// Expand a path pattern against a JSON document: (concrete path, value) pairs in document order.
std::vector<std::pair<std::string, Json>> expand(const Json& doc, const std::string& pattern);

// A CSV table: header and rows of cells (no quoting; ssbvox writes none).
struct Csv {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
};
Csv readCsv(const std::filesystem::path& file);

// The gold values the spec selects from a run (what --update writes).
Json collect(const Json& spec, const std::filesystem::path& runDir);

// Compare a run against gold values under the spec's tolerances.
Outcome compare(const Json& spec, const Json& gold, const std::filesystem::path& runDir);

// The spec file as JSON (YAML read with yaml-cpp).
Json loadSpec(const std::filesystem::path& specFile);

}  // namespace ssb::gold

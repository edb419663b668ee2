#pragma once
// The study types `ssbvox run` knows: YAML `type:` -> schema, run function and console summary.
#include <functional>
#include <string>
#include <vector>

#include "mesh/StudyContext.hpp"
#include "solver/core/Json.hpp"
#include "solver/core/Params.hpp"

namespace ssb {

struct StudyType {
  std::string type;
  const Schema* schema;
  std::function<Json(const StudyContext&, const Params&)> run;
  std::function<std::string(const Json&)> summary;  // short console table of the results
};

const std::vector<StudyType>& studyTypes();
const StudyType& studyType(const std::string& type, const std::string& context);  // InputError if unknown

// Top-level case schema and output schema.
const Schema& caseSchema();
const Schema& outputSchema();
// Every schema, for `ssbvox params` and docs/input-reference.md.
std::vector<const Schema*> allSchemas();

}  // namespace ssb

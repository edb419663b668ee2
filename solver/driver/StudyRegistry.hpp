#pragma once
// The study types `ssbvox run` knows: YAML `type:` -> schema, run function and console summary.
#include <functional>
#include <string>
#include <vector>

#include "mesh/StudyContext.hpp"
#include "solver/core/Json.hpp"
#include "solver/core/Params.hpp"

namespace ssb {

// What a study's input check may look at before the volume is loaded.
struct PrepareContext {
  const PhaseMap& phases;
  const VoxelGrid& geometry;  // the grid the volume will have (extents, voxel size)
  int ranks = 1;              // size of the communicator the case will run on
};

struct StudyType {
  std::string type;
  const Schema* schema;
  std::function<Json(const StudyContext&, const Params&)> run;
  std::function<std::string(const Json&)> summary;  // short console table of the results
  // Every input check that needs no voxel (phase names, directions against the grid, option syntax), run by
  // loadCase before anything is loaded: an InputError from `run` is then a gap in `prepare`. May be empty.
  std::function<void(const PrepareContext&, const Params&)> prepare;
  // Peak memory per voxel of the volume [bytes], measured (docs/benchmarks.md), for the size check before
  // loading. 0 = unknown (the largest known estimate is used).
  double bytesPerVoxel = 0;
  // Where the figure depends on the inputs (the solver a grid allows): the estimate for this study; empty =
  // bytesPerVoxel. Must not throw for bad input (`prepare` reports it): fall back to the conservative figure.
  std::function<double(const PrepareContext&, const Params&)> bytesPerVoxelFor;
};

const std::vector<StudyType>& studyTypes();
const StudyType& studyType(const std::string& type, const std::string& context);  // InputError if unknown

// Top-level case schema and output schema.
const Schema& caseSchema();
const Schema& outputSchema();
// Every schema, for `ssbvox params` and docs/input-reference.md.
std::vector<const Schema*> allSchemas();

}  // namespace ssb

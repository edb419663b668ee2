#pragma once
// The `morphology` study: the microscopist's quantification suite.
#include "mesh/StudyContext.hpp"
#include "solver/core/Json.hpp"
#include "solver/core/Params.hpp"

namespace ssb {
const Schema& morphologySchema();
// Collective. Returns the study's results for results.json.
Json runMorphology(const StudyContext& ctx, const Params& study);
}  // namespace ssb

#pragma once
// The `morphology` study: the microscopist's quantification suite.
#include "mesh/StudyContext.hpp"
#include "solver/core/Json.hpp"
#include "solver/core/Params.hpp"

namespace ssb {
const Schema& morphologySchema();
// Not collective. Every input check of the study that needs only the phases (phase names, faces,
// directions, metrics): what runMorphology checks before any work, for the driver's check before loading.
void checkMorphologyInputs(const PhaseMap& phases, const Params& study);
// Collective. Returns the study's results for results.json.
Json runMorphology(const StudyContext& ctx, const Params& study);
}  // namespace ssb

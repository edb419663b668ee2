#pragma once
// The `conductivity` study: steady -div(sigma grad phi) = 0 through the chosen phases, per direction.
#include "mesh/StudyContext.hpp"
#include "solver/core/Json.hpp"
#include "solver/core/Params.hpp"

namespace ssb {
const Schema& conductivitySchema();
// Collective. Returns the study's results (per direction) for results.json.
Json runConductivity(const StudyContext& ctx, const Params& study);
}  // namespace ssb

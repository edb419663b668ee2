#pragma once
// Result paths and measured values.
//
// A case's scalar results are named by paths: `<study name>.<key>.<key>...` into the study's record in
// results.json (e.g. `ionic.directions.x.effective_conductivity`), and `volume.<phase>.volume_fraction`.
// The same paths are the columns of a sweep's results.csv, the `result:` of a `measured:` entry and the
// `targets` of `calibrate:`. Each carries the unit the study's `units` map gives it.
//
// `measured:` entries (value, uncertainty, unit, source) attached to result paths are compared with the
// simulated values after the studies ran: simulated, measured (converted to the result's SI unit), ratio
// simulated / measured and whether |simulated - measured| <= uncertainty.
#include <array>
#include <string>
#include <vector>

#include "solver/core/Json.hpp"
#include "solver/core/Params.hpp"

namespace ssb {

struct ScalarResult {
  std::string path;
  std::string unit;  // "" if the study's units map does not name one
  Json value;        // number, bool or null (e.g. tau of a volume that does not percolate)
};

// Every physical scalar of a results record, in record order: numbers and booleans of the successful studies
// and the phases' volume fractions, then the measured comparisons (`<path>.measured`, `.uncertainty`,
// `.ratio`, `.within_uncertainty`). Solver settings and diagnostics (timings `*seconds`, `iterations`,
// `relative_residual`, `flux_imbalance`, `current_in` / `current_out` (their mismatch is the solver error;
// `current` is the result), `rtol`) are left out: they are properties of the run, not of the microstructure,
// and differ between rank counts; they stay in results.json.
std::vector<ScalarResult> scalarResults(const Json& results);
// The columns a measured entry adds after its result path (scalarResults, a sweep's results.csv), in order.
inline constexpr std::array<const char*, 4> kMeasuredSuffixes{".measured", ".uncertainty", ".ratio",
                                                              ".within_uncertainty"};
// Whether a result path is one of those comparison columns (<result>.measured, ...).
bool isMeasuredColumn(const std::string& path);

struct MeasuredValue {
  std::string result;  // result path
  double value = 0;    // as given, in `unit`
  double uncertainty = 0;
  std::string unit;     // unit expression of value and uncertainty ("mS/cm", "1")
  std::string source;   // where the number comes from (paper, table, sample)
  std::string keyPath;  // measured[i], for messages
};

const Schema& measuredSchema();  // one entry of `measured:`

// Validates `measured:` (a list of entries; absent = none). InputError naming measured[i].<key>: unknown
// unit, negative uncertainty, zero value, the same result twice.
std::vector<MeasuredValue> parseMeasured(const YAML::Node& node);

// Collective only in the sense that every rank computes the same from the same record; not collective.
// One entry per measured value: result, simulated, measured, uncertainty, unit (the result's SI unit),
// ratio, within_uncertainty, source, as_given. A result path that is missing or not a number, or a unit of
// another dimension than the result's, gives an entry with `error` (the caller reports it as an input error).
Json compareMeasured(const std::vector<MeasuredValue>& measured, const Json& results);

// The simulated number at a result path, or nullopt (missing, not a number, or null).
std::optional<double> resultValue(const Json& results, const std::string& path);

}  // namespace ssb

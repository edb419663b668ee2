#include "solver/driver/Measured.hpp"

#include <fmt/format.h>

#include <cmath>

#include "solver/core/Error.hpp"
#include "solver/core/Text.hpp"
#include "solver/core/Units.hpp"

namespace ssb {

namespace {

bool isDiagnostic(const std::string& key) {
  auto endsWith = [&](const std::string& s) {
    return key.size() >= s.size() && key.compare(key.size() - s.size(), s.size(), s) == 0;
  };
  return key == "seconds" || endsWith("_seconds") || key == "iterations" || key == "relative_residual" ||
         key == "flux_imbalance" || key == "current_in" || key == "current_out" || key == "rtol";
}

// A study's unit text is either "S/m (comment)" or a list "a, b: 1; c: m (comment)" naming keys.
std::string unitFromText(const std::string& text, const std::string& leaf) {
  auto stripComment = [](const std::string& s) { return trim(s.substr(0, s.find(" ("))); };
  const auto colon = text.find(": ");
  if (colon == std::string::npos || text.find(" (") < colon) return stripComment(text);
  size_t start = 0;
  while (start <= text.size()) {
    const auto end = std::min(text.find(';', start), text.size());
    const std::string item = text.substr(start, end - start);
    const auto c = item.find(':');
    if (c != std::string::npos) {
      const std::string names = item.substr(0, c);
      size_t ns = 0;
      while (ns <= names.size()) {
        const auto ne = std::min(names.find(',', ns), names.size());
        if (trim(names.substr(ns, ne - ns)) == leaf) return stripComment(item.substr(c + 1));
        ns = ne + 1;
      }
    }
    start = end + 1;
  }
  return "";
}

std::string unitFor(const Json& units, const std::vector<std::string>& keys) {
  if (!units.is_object()) return "";
  for (auto k = keys.rbegin(); k != keys.rend(); ++k)
    if (units.contains(*k) && units[*k].is_string())
      return unitFromText(units[*k].get<std::string>(), keys.back());
  return "";
}

void walk(const Json& j, const std::string& prefix, std::vector<std::string>& keys, const Json& units,
          std::vector<ScalarResult>& out) {
  for (const auto& [k, v] : j.items()) {
    if (isDiagnostic(k)) continue;
    keys.push_back(k);
    const std::string path = prefix + "." + k;
    if (v.is_object())
      walk(v, path, keys, units, out);
    else if (v.is_number() || v.is_boolean() || v.is_null())
      out.push_back({path, unitFor(units, keys), v});
    keys.pop_back();
  }
}

const char* kStudyMeta[] = {"name", "type", "status", "error", "error_kind", "units"};

}  // namespace

std::vector<ScalarResult> scalarResults(const Json& results) {
  std::vector<ScalarResult> out;
  if (results.contains("volume") && results["volume"].contains("phases"))
    for (const auto& p : results["volume"]["phases"])
      out.push_back(
          {fmt::format("volume.{}.volume_fraction", p.value("name", "")), "1", p["volume_fraction"]});
  if (results.contains("studies"))
    for (const auto& s : results["studies"]) {
      if (s.value("status", "") != "ok") continue;
      const std::string name = s.value("name", "");
      const Json units = s.contains("units") ? s["units"] : Json::object();
      std::vector<std::string> keys;
      for (const auto& [k, v] : s.items()) {
        bool meta = isDiagnostic(k);
        for (const char* m : kStudyMeta) meta = meta || k == m;
        if (meta) continue;
        keys.assign(1, k);
        if (v.is_object())
          walk(v, name + "." + k, keys, units, out);
        else if (v.is_number() || v.is_boolean() || v.is_null())
          out.push_back({name + "." + k, unitFor(units, keys), v});
      }
    }
  if (results.contains("measured"))
    for (const auto& m : results["measured"]) {
      if (m.contains("error")) continue;
      const std::string r = m.value("result", ""), u = m.value("unit", "");
      out.push_back({r + kMeasuredSuffixes[0], u, m["measured"]});
      out.push_back({r + kMeasuredSuffixes[1], u, m["uncertainty"]});
      out.push_back({r + kMeasuredSuffixes[2], "1", m["ratio"]});
      out.push_back({r + kMeasuredSuffixes[3], "", m["within_uncertainty"]});
    }
  return out;
}

bool isMeasuredColumn(const std::string& path) {
  for (const std::string suffix : kMeasuredSuffixes)
    if (path.size() > suffix.size() && path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0)
      return true;
  return false;
}

std::optional<double> resultValue(const Json& results, const std::string& path) {
  for (const auto& s : scalarResults(results))
    if (s.path == path) {
      if (s.value.is_number()) return s.value.get<double>();
      return std::nullopt;
    }
  return std::nullopt;
}

const Schema& measuredSchema() {
  static const Schema s = [] {
    Schema sc(
        "measured[]",
        "A measured value compared with a simulated result (docs/studies.md). The comparison (simulated, "
        "measured, ratio, within_uncertainty) goes to results.json under `measured` and to a sweep's "
        "results.csv; `calibrate:` fits inputs to these values.");
    sc.text(
        "result", std::nullopt,
        "Result path: `<study name>.<key>...` into the study's record in results.json (e.g. "
        "ionic.directions.x.effective_conductivity) or volume.<phase>.volume_fraction; the column names of "
        "a sweep's results.csv.");
    sc.real("value", std::nullopt, "", -kInf, kInf, "Measured value, a bare number in `unit` (not zero).");
    sc.real("uncertainty", "0", "", 0.0, kInf,
            "Uncertainty of the value (same unit), e.g. one standard deviation.");
    sc.text("unit", "1",
            "Unit expression of value and uncertainty (\"mS/cm\", \"S/m\", \"1\" dimensionless).");
    sc.text("source", "''", "Where the value comes from (publication, table, sample).");
    return sc;
  }();
  return s;
}

std::vector<MeasuredValue> parseMeasured(const YAML::Node& node) {
  std::vector<MeasuredValue> out;
  if (!node || node.IsNull()) return out;
  if (!node.IsSequence())
    throwInput("measured: expected a list of entries {{result, value, uncertainty, unit, source}}");
  for (size_t i = 0; i < node.size(); ++i) {
    const std::string path = fmt::format("measured[{}]", i);
    Params p(node[i], measuredSchema(), path);
    MeasuredValue m{p.text("result"), p.real("value"),  p.real("uncertainty"),
                    p.text("unit"),   p.text("source"), path};
    if (m.result.empty())
      throwInput("{}.result: empty; give a result path such as ionic.directions.x.tortuosity_factor", path);
    if (m.value == 0)
      throwInput("{}.value: zero; the comparison divides by the measured value (give the measured number)",
                 path);
    parseUnit(m.unit, path + ".unit");
    for (const auto& e : out)
      if (e.result == m.result)
        throwInput("{}.result: '{}' is measured twice ({} too); give one entry per result", path, m.result,
                   e.keyPath);
    out.push_back(m);
  }
  return out;
}

Json compareMeasured(const std::vector<MeasuredValue>& measured, const Json& results) {
  Json plain = results;
  plain.erase("measured");
  const auto scalars = scalarResults(plain);
  Json out = Json::array();
  for (const auto& m : measured) {
    Json e;
    e["result"] = m.result;
    e["source"] = m.source;
    e["as_given"] = fmt::format("{} +- {} {}", m.value, m.uncertainty, m.unit);
    const ScalarResult* hit = nullptr;
    for (const auto& s : scalars)
      if (s.path == m.result) hit = &s;
    try {
      if (!hit) {
        std::string near;
        const std::string study = m.result.substr(0, m.result.find('.'));
        for (const auto& s : scalars)
          if (s.path.rfind(study + ".", 0) == 0 && near.size() < 600)
            near += (near.empty() ? "" : ", ") + s.path;
        throwInput("{}.result: no scalar result '{}' (results of this case{}: {})", m.keyPath, m.result,
                   near.empty() ? "" : " in that study", near.empty() ? "see results.csv columns" : near);
      }
      if (!hit->value.is_number())
        throwInput("{}.result: '{}' has no number in this run (it is {})", m.keyPath, m.result,
                   hit->value.dump());
      const std::string unit = hit->unit.empty() ? "1" : hit->unit;
      const Quantity given = parseUnit(m.unit, m.keyPath + ".unit");
      const Quantity want = parseUnit(unit, m.keyPath + ".result (unit of the result)");
      if (!(given.dim == want.dim))
        throwInput("{}.unit: '{}' is {}, but {} is in {} ({})", m.keyPath, m.unit, dimensionString(given.dim),
                   m.result, unit, dimensionString(want.dim));
      const double f = given.value / want.value;
      const double sim = hit->value.get<double>(), meas = m.value * f, unc = m.uncertainty * f;
      e["unit"] = unit;
      e["simulated"] = sim;
      e["measured"] = meas;
      e["uncertainty"] = unc;
      e["ratio"] = finiteOrNull(sim / meas);
      e["within_uncertainty"] = std::abs(sim - meas) <= unc;
    } catch (const InputError& err) {
      e["error"] = err.what();
    }
    out.push_back(e);
  }
  return out;
}

}  // namespace ssb

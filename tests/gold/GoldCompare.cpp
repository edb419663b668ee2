#include "tests/gold/GoldCompare.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace ssb::gold {

namespace {

struct Segment {
  std::string key;                     // empty: none (path starts with a selector)
  std::vector<std::string> selectors;  // contents of [..]
};

std::vector<Segment> parsePattern(const std::string& pattern) {
  std::vector<Segment> out;
  size_t i = 0;
  while (i < pattern.size()) {
    Segment s;
    while (i < pattern.size() && pattern[i] != '.' && pattern[i] != '[') s.key += pattern[i++];
    while (i < pattern.size() && pattern[i] == '[') {
      const size_t close = pattern.find(']', i);
      if (close == std::string::npos) throw std::runtime_error("unclosed '[' in path " + pattern);
      s.selectors.push_back(pattern.substr(i + 1, close - i - 1));
      i = close + 1;
    }
    if (i < pattern.size() && pattern[i] == '.') ++i;
    if (s.key.empty() && s.selectors.empty()) throw std::runtime_error("empty part in path " + pattern);
    out.push_back(std::move(s));
  }
  return out;
}

void walk(const Json& node, const std::vector<Segment>& segs, size_t si, size_t sel, const std::string& at,
          std::vector<std::pair<std::string, Json>>& out) {
  if (si == segs.size()) {
    out.emplace_back(at, node);
    return;
  }
  const Segment& s = segs[si];
  if (sel == 0 && !s.key.empty()) {  // the key part
    const std::string prefix = at.empty() ? "" : at + ".";
    if (!node.is_object()) return;
    if (s.key == "*") {
      for (const auto& [k, v] : node.items()) {
        if (s.selectors.empty())
          walk(v, segs, si + 1, 0, prefix + k, out);
        else
          walk(v, segs, si, 1, prefix + k, out);
      }
    } else if (node.contains(s.key)) {
      if (s.selectors.empty())
        walk(node[s.key], segs, si + 1, 0, prefix + s.key, out);
      else
        walk(node[s.key], segs, si, 1, prefix + s.key, out);
    }
    return;
  }
  const size_t k = s.key.empty() ? sel : sel - 1;  // index into selectors
  if (k >= s.selectors.size()) {
    walk(node, segs, si + 1, 0, at, out);
    return;
  }
  const std::string& q = s.selectors[k];
  const size_t nextSel = sel + 1;
  const auto next = [&](const Json& v, const std::string& path) {
    if (k + 1 < s.selectors.size())
      walk(v, segs, si, nextSel, path, out);
    else
      walk(v, segs, si + 1, 0, path, out);
  };
  if (!node.is_array()) return;
  if (q == "*") {
    for (size_t i = 0; i < node.size(); ++i) next(node[i], fmt::format("{}[{}]", at, i));
  } else if (const auto eq = q.find('='); eq != std::string::npos) {
    const std::string key = q.substr(0, eq), value = q.substr(eq + 1);
    for (const auto& e : node)
      if (e.is_object() && e.contains(key) &&
          (e[key].is_string() ? e[key].get<std::string>() == value : e[key].dump() == value))
        next(e, fmt::format("{}[{}]", at, q));
  } else {
    const size_t i = std::stoul(q);
    if (i < node.size()) next(node[i], fmt::format("{}[{}]", at, i));
  }
}

Json yamlToJson(const YAML::Node& n) {
  if (n.IsMap()) {
    Json j = Json::object();
    for (const auto& kv : n) j[kv.first.as<std::string>()] = yamlToJson(kv.second);
    return j;
  }
  if (n.IsSequence()) {
    Json j = Json::array();
    for (const auto& e : n) j.push_back(yamlToJson(e));
    return j;
  }
  if (n.IsScalar()) {
    const std::string s = n.Scalar();
    char* end = nullptr;
    const double d = std::strtod(s.c_str(), &end);
    if (!s.empty() && *end == '\0') return d;
    return s;
  }
  return nullptr;
}

Json loadJson(const std::filesystem::path& file) {
  std::ifstream is(file);
  if (!is) throw std::runtime_error("cannot open " + file.string());
  return Json::parse(is);
}

double num(const Json& check, const char* key) {
  return check.contains(key) ? check[key].get<double>() : 0.0;
}

// One value against its gold; appends a failure line if it does not pass.
void compareValue(const std::string& where, const Json& got, const Json& want, double rel, double abs,
                  Outcome& o) {
  ++o.compared;
  if (got.is_number() && want.is_number()) {
    const double a = got.get<double>(), g = want.get<double>(), tol = abs + rel * std::abs(g);
    if (!(std::abs(a - g) <= tol))
      o.failures.push_back(fmt::format("{}: {:.17g} vs gold {:.17g} (difference {:.3g} > tolerance {:.3g})",
                                       where, a, g, std::abs(a - g), tol));
  } else if (got != want) {
    o.failures.push_back(fmt::format("{}: {} vs gold {}", where, got.dump(), want.dump()));
  }
}

Json csvCell(const std::string& s) {
  if (s.empty()) return nullptr;
  char* end = nullptr;
  const double d = std::strtod(s.c_str(), &end);
  if (*end == '\0') return d;
  return s;
}

}  // namespace

std::vector<std::pair<std::string, Json>> expand(const Json& doc, const std::string& pattern) {
  std::vector<std::pair<std::string, Json>> out;
  walk(doc, parsePattern(pattern), 0, 0, "", out);
  return out;
}

Csv readCsv(const std::filesystem::path& file) {
  std::ifstream is(file);
  if (!is) throw std::runtime_error("cannot open " + file.string());
  Csv c;
  std::string line;
  auto split = [](const std::string& l) {
    std::vector<std::string> cells;
    std::stringstream ss(l);
    std::string cell;
    while (std::getline(ss, cell, ',')) cells.push_back(cell);
    if (!l.empty() && l.back() == ',') cells.emplace_back();
    return cells;
  };
  if (std::getline(is, line)) c.header = split(line);
  while (std::getline(is, line))
    if (!line.empty()) c.rows.push_back(split(line));
  return c;
}

Json loadSpec(const std::filesystem::path& specFile) { return yamlToJson(YAML::LoadFile(specFile.string())); }

Json collect(const Json& spec, const std::filesystem::path& runDir) {
  Json gold;
  gold["json"] = Json::object();
  if (spec.contains("json")) {
    const Json results = loadJson(runDir / "results.json");
    for (const auto& check : spec["json"])
      for (const auto& [path, value] : expand(results, check["path"].get<std::string>()))
        gold["json"][path] = value;
  }
  gold["csv"] = Json::object();
  if (spec.contains("csv")) {
    for (const auto& check : spec["csv"]) {
      const std::string file = check["file"].get<std::string>();
      const Csv c = readCsv(runDir / file);
      Json& t = gold["csv"][file];
      t["rows"] = c.rows.size();
      for (const auto& col : check["columns"]) {
        const std::string name = col.get<std::string>();
        const auto it = std::find(c.header.begin(), c.header.end(), name);
        if (it == c.header.end()) throw std::runtime_error(file + " has no column " + name);
        const size_t k = static_cast<size_t>(it - c.header.begin());
        Json values = Json::array();
        for (const auto& r : c.rows) values.push_back(k < r.size() ? csvCell(r[k]) : Json(nullptr));
        t["columns"][name] = values;
      }
    }
  }
  return gold;
}

Outcome compare(const Json& spec, const Json& gold, const std::filesystem::path& runDir) {
  Outcome o;
  const Json run = collect(spec, runDir);
  if (spec.contains("json")) {
    const Json results = loadJson(runDir / "results.json");
    for (const auto& check : spec["json"]) {
      const std::string pattern = check["path"].get<std::string>();
      const double rel = num(check, "rel"), abs = num(check, "abs");
      const auto values = expand(results, pattern);
      if (values.empty()) o.failures.push_back(pattern + ": selects nothing in the run's results.json");
      for (const auto& [path, value] : values) {
        if (!gold["json"].contains(path)) {
          o.failures.push_back(path + ": in the run but not in the gold file (regenerate it after review)");
          continue;
        }
        compareValue(path, value, gold["json"][path], rel, abs, o);
      }
    }
    // A gold value that no pattern finds in the run any more (a study or direction that disappeared) fails.
    for (const auto& [path, value] : gold["json"].items()) {
      (void)value;
      if (!run["json"].contains(path)) o.failures.push_back(path + ": in the gold file but not in the run");
    }
  }
  if (spec.contains("csv")) {
    for (const auto& check : spec["csv"]) {
      const std::string file = check["file"].get<std::string>();
      const double rel = num(check, "rel"), abs = num(check, "abs");
      if (!gold["csv"].contains(file)) {
        o.failures.push_back(file + ": no gold table (regenerate the gold after review)");
        continue;
      }
      const Json& want = gold["csv"][file];
      const Json& got = run["csv"][file];
      if (got["rows"] != want["rows"]) {
        o.failures.push_back(
            fmt::format("{}: {} rows vs gold {}", file, got["rows"].dump(), want["rows"].dump()));
        continue;
      }
      for (const auto& col : check["columns"]) {
        const std::string name = col.get<std::string>();
        if (!want["columns"].contains(name)) {
          o.failures.push_back(file + ": no gold column " + name);
          continue;
        }
        for (size_t r = 0; r < want["columns"][name].size(); ++r)
          compareValue(fmt::format("{} row {} {}", file, r + 1, name), got["columns"][name][r],
                       want["columns"][name][r], rel, abs, o);
      }
    }
  }
  return o;
}

}  // namespace ssb::gold

#pragma once
// Declared, typed, documented parameters. Every YAML mapping the program reads has a Schema listing its
// keys (type, default, range, unit, description). Params validates a YAML node against its Schema:
// unknown keys, wrong types, out-of-range values and unknown units throw InputError naming the full
// YAML path (e.g. "studies[0].conductivities.LPS"). `ssbvox params` prints every Schema.
#include <yaml-cpp/yaml.h>

#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ssb {

inline constexpr double kInf = std::numeric_limits<double>::infinity();

enum class ParamType {
  Real,  // number, optionally with a unit string ("20 nm"); stored SI
  Integer,
  Boolean,
  Text,      // free string (file names, names)
  Choice,    // one of a fixed set of strings
  RealList,  // [a, b, c] numbers (with units)
  IntList,
  TextList,     // list of strings; `choices` restricts the entries if non-empty
  RealMap,      // {name: quantity, ...}: free keys, values with unit
  TextMap,      // {name: string, ...}
  Section,      // nested mapping with its own Schema
  SectionList,  // list of mappings, each validated against the nested Schema
  Any,          // validated elsewhere (e.g. petsc_options); documented here
};

struct ParamSpec {
  std::string key;
  ParamType type = ParamType::Real;
  std::optional<std::string> defaultValue;  // as YAML text; nullopt = required (unless `optional`)
  bool optional = false;                    // may be absent with no default
  std::string unit;                         // SI unit expression the value is converted to ("m", "S/m")
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
  bool minExclusive = false;
  std::vector<std::string> choices;
  std::string doc;
  const struct Schema* nested = nullptr;  // Section / SectionList

  // Chained refinements for Schema::declare(...).
  ParamSpec& withUnit(std::string u) {
    unit = std::move(u);
    return *this;
  }
  ParamSpec& range(double lo, double hi, bool loExclusive = false) {
    min = lo;
    max = hi;
    minExclusive = loExclusive;
    return *this;
  }
  ParamSpec& oneOf(std::vector<std::string> c) {
    choices = std::move(c);
    return *this;
  }
  ParamSpec& nest(const struct Schema& s) {
    nested = &s;
    return *this;
  }
  ParamSpec& makeOptional() {
    optional = true;
    return *this;
  }
};

struct Schema {
  std::string path;  // documentation path, e.g. "studies[] (type: conductivity)"
  std::string doc;
  std::vector<ParamSpec> params;

  Schema(std::string p, std::string d) : path(std::move(p)), doc(std::move(d)) {}
  const ParamSpec* find(const std::string& key) const;

  // Fluent declaration helpers.
  Schema& real(std::string key, std::optional<std::string> def, std::string unit, double min, double max,
               std::string doc, bool minExclusive = false);
  Schema& integer(std::string key, std::optional<std::string> def, double min, double max, std::string doc);
  Schema& boolean(std::string key, std::string def, std::string doc);
  Schema& text(std::string key, std::optional<std::string> def, std::string doc);
  Schema& choice(std::string key, std::optional<std::string> def, std::vector<std::string> choices,
                 std::string doc);
  Schema& add(ParamSpec spec);
  // Any key: declare it, then refine in the same statement, e.g.
  //   sc.declare("shape", ParamType::IntList, std::nullopt, "[nz, ny, nx]").range(1, kInf);
  // (the reference is valid until the next declaration).
  ParamSpec& declare(std::string key, ParamType type, std::optional<std::string> def, std::string doc);
  Schema& optionalKey(const std::string& key);  // mark the last-declared key as optional (no default)
};

// A validated view of one YAML mapping.
class Params {
 public:
  Params(YAML::Node node, const Schema& schema, std::string path);

  const std::string& path() const { return m_path; }
  std::string keyPath(const std::string& key) const;
  bool has(const std::string& key) const;  // present in the YAML or has a default

  double real(const std::string& key) const;
  long integer(const std::string& key) const;
  bool boolean(const std::string& key) const;
  std::string text(const std::string& key) const;  // Text and Choice
  std::vector<double> reals(const std::string& key) const;
  std::vector<long> integers(const std::string& key) const;
  std::vector<std::string> texts(const std::string& key) const;
  std::vector<std::pair<std::string, double>> realMap(const std::string& key) const;
  std::vector<std::pair<std::string, std::string>> textMap(const std::string& key) const;
  Params section(const std::string& key) const;
  std::vector<Params> sections(const std::string& key) const;
  YAML::Node raw(const std::string& key) const;  // the node or the parsed default
  const Schema& schema() const { return *m_schema; }

 private:
  const ParamSpec& spec(const std::string& key) const;
  YAML::Node value(const std::string& key) const;
  void validate() const;
  void validateValue(const ParamSpec& s, const YAML::Node& v, const std::string& path) const;

  YAML::Node m_node;
  const Schema* m_schema;
  std::string m_path;
};

// Convert a quantity node ("20 nm" or 2e-8) to SI, checking `unit`. `path` names it in errors.
double quantityToSI(const YAML::Node& v, const std::string& unit, const std::string& path);

// Markdown reference of a schema (and nested ones): the `ssbvox params` output.
std::string schemaMarkdown(const std::vector<const Schema*>& schemas);
std::string typeName(ParamType t);

// A typed override of one YAML key: the path as `--set` takes it (a.b[0].c) and the new value as a YAML
// node, so that programs (sweeps, calibration) set numbers, lists and mappings without printing them.
struct Override {
  std::string path;
  YAML::Node value;
};
// "a.b[0].c=value" -> Override (the value parsed as YAML). InputError naming the assignment if malformed.
Override parseOverride(const std::string& assignment);
// Set the key, creating missing mappings on the way. InputError naming the path if it is empty or
// malformed, indexes past a list's end, names a key inside a list or a value, or indexes a mapping.
void applyOverride(YAML::Node& root, const Override& override);
void applyOverride(YAML::Node& root, const std::string& assignment);  // parseOverride + apply

}  // namespace ssb

#include "solver/core/Params.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cmath>
#include <set>
#include <sstream>

#include "solver/core/Error.hpp"
#include "solver/core/Units.hpp"

namespace ssb {

const ParamSpec* Schema::find(const std::string& key) const {
  for (const auto& p : params)
    if (p.key == key) return &p;
  return nullptr;
}

Schema& Schema::add(ParamSpec spec) {
  params.push_back(std::move(spec));
  return *this;
}

ParamSpec& Schema::declare(std::string key, ParamType type, std::optional<std::string> def, std::string d) {
  ParamSpec s;
  s.key = std::move(key);
  s.type = type;
  s.defaultValue = std::move(def);
  s.doc = std::move(d);
  params.push_back(std::move(s));
  return params.back();
}

Schema& Schema::real(std::string key, std::optional<std::string> def, std::string unit, double min,
                     double max, std::string d, bool minExclusive) {
  declare(std::move(key), ParamType::Real, std::move(def), std::move(d))
      .withUnit(std::move(unit))
      .range(min, max, minExclusive);
  return *this;
}

Schema& Schema::integer(std::string key, std::optional<std::string> def, double min, double max,
                        std::string d) {
  declare(std::move(key), ParamType::Integer, std::move(def), std::move(d)).range(min, max);
  return *this;
}

Schema& Schema::boolean(std::string key, std::string def, std::string d) {
  declare(std::move(key), ParamType::Boolean, std::move(def), std::move(d));
  return *this;
}

Schema& Schema::text(std::string key, std::optional<std::string> def, std::string d) {
  declare(std::move(key), ParamType::Text, std::move(def), std::move(d));
  return *this;
}

Schema& Schema::choice(std::string key, std::optional<std::string> def, std::vector<std::string> ch,
                       std::string d) {
  declare(std::move(key), ParamType::Choice, std::move(def), std::move(d)).oneOf(std::move(ch));
  return *this;
}

Schema& Schema::optionalKey(const std::string& key) {
  for (auto& p : params)
    if (p.key == key) p.optional = true;
  return *this;
}

std::string typeName(ParamType t) {
  switch (t) {
    case ParamType::Real:
      return "number";
    case ParamType::Integer:
      return "integer";
    case ParamType::Boolean:
      return "bool";
    case ParamType::Text:
      return "string";
    case ParamType::Choice:
      return "choice";
    case ParamType::RealList:
      return "list of numbers";
    case ParamType::IntList:
      return "list of integers";
    case ParamType::TextList:
      return "list of strings";
    case ParamType::RealMap:
      return "map name -> number";
    case ParamType::TextMap:
      return "map name -> string";
    case ParamType::Section:
      return "mapping";
    case ParamType::SectionList:
      return "list of mappings";
    case ParamType::Any:
      return "any";
  }
  return "?";
}

double quantityToSI(const YAML::Node& v, const std::string& unit, const std::string& path) {
  if (!v.IsScalar())
    throwInput("{}: expected a number{}, got a {}", path, unit.empty() ? "" : " (unit " + unit + ")",
               v.IsSequence() ? "list"
               : v.IsMap()    ? "mapping"
                              : "null");
  return parseQuantity(v.Scalar(), unit, path);
}

namespace {

long toInteger(const YAML::Node& v, const std::string& path) {
  if (!v.IsScalar()) throwInput("{}: expected an integer", path);
  const std::string& s = v.Scalar();
  char* end = nullptr;
  errno = 0;
  long x = std::strtol(s.c_str(), &end, 10);
  if (s.empty() || *end != '\0') throwInput("{}: expected an integer, got '{}'", path, s);
  if (errno == ERANGE)
    throwInput("{}: integer '{}' is too large to represent (at most {})", path, s,
               std::numeric_limits<long>::max());
  return x;
}

bool toBool(const YAML::Node& v, const std::string& path) {
  if (!v.IsScalar()) throwInput("{}: expected true or false", path);
  const std::string& s = v.Scalar();
  if (s == "true" || s == "True" || s == "yes" || s == "on") return true;
  if (s == "false" || s == "False" || s == "no" || s == "off") return false;
  throwInput("{}: expected true or false, got '{}'", path, s);
}

void checkRange(const ParamSpec& s, double x, const std::string& path, const std::string& text) {
  bool lowOk = s.minExclusive ? x > s.min : x >= s.min;
  if (!lowOk || x > s.max) {
    std::string range = fmt::format("{}{}, {}]", s.minExclusive ? "(" : "[", s.min, s.max);
    throwInput("{}: value {} is out of range {}{}", path, text, range, s.unit.empty() ? "" : " " + s.unit);
  }
}

std::string scalarText(const YAML::Node& v) {
  return v.IsScalar() ? v.Scalar() : std::string("<non-scalar>");
}

}  // namespace

Params::Params(YAML::Node node, const Schema& schema, std::string path)
    : m_node(node), m_schema(&schema), m_path(std::move(path)) {
  validate();
}

std::string Params::keyPath(const std::string& key) const {
  return m_path.empty() ? key : m_path + "." + key;
}

void Params::validate() const {
  if (m_node && !m_node.IsNull() && !m_node.IsMap())
    throwInput("{}: expected a mapping (key: value lines)", m_path.empty() ? "<top level>" : m_path);
  if (m_node && m_node.IsMap()) {
    for (const auto& kv : m_node) {
      std::string key = kv.first.as<std::string>();
      const ParamSpec* s = m_schema->find(key);
      if (!s) {
        std::string known;
        for (const auto& p : m_schema->params) known += (known.empty() ? "" : ", ") + p.key;
        throwInput("{}: unknown key '{}' (known keys: {}); see `ssbvox params`", keyPath(key), key, known);
      }
      validateValue(*s, kv.second, keyPath(key));
    }
  }
  for (const auto& s : m_schema->params) {
    bool present = m_node && m_node.IsMap() && m_node[s.key];
    if (!present && !s.defaultValue && !s.optional) throwInput("{}: required key is missing", keyPath(s.key));
  }
}

void Params::validateValue(const ParamSpec& s, const YAML::Node& v, const std::string& path) const {
  switch (s.type) {
    case ParamType::Real: {
      double x = quantityToSI(v, s.unit, path);
      checkRange(s, x, path, scalarText(v));
      break;
    }
    case ParamType::Integer: {
      long x = toInteger(v, path);
      checkRange(s, static_cast<double>(x), path, scalarText(v));
      break;
    }
    case ParamType::Boolean:
      toBool(v, path);
      break;
    case ParamType::Text:
      if (!v.IsScalar()) throwInput("{}: expected a string", path);
      break;
    case ParamType::Choice: {
      if (!v.IsScalar()) throwInput("{}: expected one of the choices", path);
      bool ok = false;
      for (const auto& c : s.choices) ok = ok || c == v.Scalar();
      if (!ok) {
        std::string list;
        for (const auto& c : s.choices) list += (list.empty() ? "" : ", ") + c;
        throwInput("{}: '{}' is not one of: {}", path, v.Scalar(), list);
      }
      break;
    }
    case ParamType::RealList:
    case ParamType::IntList:
    case ParamType::TextList: {
      if (!v.IsSequence()) throwInput("{}: expected a list [..]", path);
      for (size_t i = 0; i < v.size(); ++i) {
        std::string p = fmt::format("{}[{}]", path, i);
        if (s.type == ParamType::RealList) {
          checkRange(s, quantityToSI(v[i], s.unit, p), p, scalarText(v[i]));
        } else if (s.type == ParamType::IntList) {
          checkRange(s, static_cast<double>(toInteger(v[i], p)), p, scalarText(v[i]));
        } else {
          if (!v[i].IsScalar()) throwInput("{}: expected a string", p);
          if (!s.choices.empty()) {
            bool ok = false;
            for (const auto& c : s.choices) ok = ok || c == v[i].Scalar();
            if (!ok) {
              std::string list;
              for (const auto& c : s.choices) list += (list.empty() ? "" : ", ") + c;
              throwInput("{}: '{}' is not one of: {}", p, v[i].Scalar(), list);
            }
          }
        }
      }
      break;
    }
    case ParamType::RealMap:
    case ParamType::TextMap:
      if (!v.IsMap()) throwInput("{}: expected a mapping {{name: value, ...}}", path);
      for (const auto& kv : v) {
        std::string p = path + "." + kv.first.as<std::string>();
        if (s.type == ParamType::RealMap) {
          checkRange(s, quantityToSI(kv.second, s.unit, p), p, scalarText(kv.second));
        } else if (!kv.second.IsScalar()) {
          throwInput("{}: expected a string", p);
        }
      }
      break;
    case ParamType::Section:
      Params(v, *s.nested, path);
      break;
    case ParamType::SectionList:
      if (!v.IsSequence()) throwInput("{}: expected a list of mappings", path);
      for (size_t i = 0; i < v.size(); ++i) Params(v[i], *s.nested, fmt::format("{}[{}]", path, i));
      break;
    case ParamType::Any:
      break;
  }
}

const ParamSpec& Params::spec(const std::string& key) const {
  const ParamSpec* s = m_schema->find(key);
  if (!s) throwRun("internal: key '{}' is not declared in schema {}", key, m_schema->path);
  return *s;
}

bool Params::has(const std::string& key) const {
  const ParamSpec& s = spec(key);
  if (m_node && m_node.IsMap() && m_node[key]) return true;
  return s.defaultValue.has_value();
}

YAML::Node Params::value(const std::string& key) const {
  const ParamSpec& s = spec(key);
  if (m_node && m_node.IsMap() && m_node[key]) return m_node[key];
  if (s.defaultValue) return YAML::Load(*s.defaultValue);
  throwInput("{}: required key is missing", keyPath(key));
}

YAML::Node Params::raw(const std::string& key) const { return value(key); }

double Params::real(const std::string& key) const {
  return quantityToSI(value(key), spec(key).unit, keyPath(key));
}
long Params::integer(const std::string& key) const { return toInteger(value(key), keyPath(key)); }
bool Params::boolean(const std::string& key) const { return toBool(value(key), keyPath(key)); }
std::string Params::text(const std::string& key) const {
  YAML::Node v = value(key);
  if (!v.IsScalar()) throwInput("{}: expected a string", keyPath(key));
  return v.Scalar();
}

std::vector<double> Params::reals(const std::string& key) const {
  YAML::Node v = value(key);
  std::vector<double> out;
  for (size_t i = 0; i < v.size(); ++i)
    out.push_back(quantityToSI(v[i], spec(key).unit, fmt::format("{}[{}]", keyPath(key), i)));
  return out;
}

std::vector<long> Params::integers(const std::string& key) const {
  YAML::Node v = value(key);
  std::vector<long> out;
  for (size_t i = 0; i < v.size(); ++i)
    out.push_back(toInteger(v[i], fmt::format("{}[{}]", keyPath(key), i)));
  return out;
}

std::vector<std::string> Params::texts(const std::string& key) const {
  YAML::Node v = value(key);
  std::vector<std::string> out;
  for (size_t i = 0; i < v.size(); ++i) out.push_back(v[i].Scalar());
  return out;
}

std::vector<std::pair<std::string, double>> Params::realMap(const std::string& key) const {
  YAML::Node v = value(key);
  std::vector<std::pair<std::string, double>> out;
  for (const auto& kv : v) {
    std::string name = kv.first.as<std::string>();
    out.emplace_back(name, quantityToSI(kv.second, spec(key).unit, keyPath(key) + "." + name));
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> Params::textMap(const std::string& key) const {
  YAML::Node v = value(key);
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& kv : v) out.emplace_back(kv.first.as<std::string>(), kv.second.Scalar());
  return out;
}

Params Params::section(const std::string& key) const {
  const ParamSpec& s = spec(key);
  YAML::Node v = (m_node && m_node.IsMap() && m_node[key]) ? m_node[key]
                 : s.defaultValue                          ? YAML::Load(*s.defaultValue)
                                                           : YAML::Node(YAML::NodeType::Map);
  return Params(v, *s.nested, keyPath(key));
}

std::vector<Params> Params::sections(const std::string& key) const {
  const ParamSpec& s = spec(key);
  std::vector<Params> out;
  YAML::Node v = has(key) ? value(key) : YAML::Node(YAML::NodeType::Sequence);
  for (size_t i = 0; i < v.size(); ++i)
    out.emplace_back(v[i], *s.nested, fmt::format("{}[{}]", keyPath(key), i));
  return out;
}

std::string schemaMarkdown(const std::vector<const Schema*>& schemas) {
  std::ostringstream os;
  std::set<const Schema*> done;
  std::function<void(const Schema*)> emit = [&](const Schema* sc) {
    if (!done.insert(sc).second) return;
    os << "### `" << sc->path << "`\n\n" << sc->doc << "\n\n";
    os << "| key | type | default | range / choices | unit | description |\n|---|---|---|---|---|---|\n";
    std::vector<const Schema*> nested;
    for (const auto& p : sc->params) {
      std::string range;
      if (!p.choices.empty()) {
        for (const auto& c : p.choices) range += (range.empty() ? "" : ", ") + ("`" + c + "`");
      } else if (std::isfinite(p.min) || std::isfinite(p.max)) {
        range = fmt::format("{}{}, {}]", p.minExclusive ? "(" : "[",
                            std::isfinite(p.min) ? fmt::format("{}", p.min) : "-inf",
                            std::isfinite(p.max) ? fmt::format("{}", p.max) : "inf");
      }
      std::string def =
          p.defaultValue ? "`" + *p.defaultValue + "`" : (p.optional ? "(optional)" : "**required**");
      os << "| `" << p.key << "` | " << typeName(p.type) << " | " << def << " | " << range << " | "
         << (p.unit.empty() ? "" : p.unit) << " | " << p.doc << " |\n";
      if (p.nested) nested.push_back(p.nested);
    }
    os << "\n";
    for (const auto* n : nested) emit(n);
  };
  for (const auto* s : schemas) emit(s);
  return os.str();
}

Override parseOverride(const std::string& assignment) {
  auto eq = assignment.find('=');
  if (eq == std::string::npos)
    throwInput("--set '{}': expected key.path=value (e.g. --set volume.voxel_size='20 nm')", assignment);
  Override o;
  o.path = assignment.substr(0, eq);
  try {
    o.value = YAML::Load(assignment.substr(eq + 1));
  } catch (const YAML::Exception& e) {
    throwInput("--set '{}': the value is not valid YAML: {}", assignment, e.msg);
  }
  return o;
}

namespace {

struct PathToken {
  std::string text;
  bool bracket = false;  // written as [i]
};

// "a.b[0].c" -> a, b, [0], c. Empty parts ("a..b", "[]", ".", "") are errors naming the path.
std::vector<PathToken> splitKeyPath(const std::string& path) {
  const auto fail = [&](const char* why) {
    throwInput(
        "--set '{}': {}; write the key path as in the case file, e.g. volume.voxel_size or "
        "studies[0].conductivities.LPS",
        path, why);
  };
  if (path.empty()) fail("the key path is empty");
  std::vector<PathToken> toks;
  size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '[') {
      const size_t close = path.find(']', i);
      if (close == std::string::npos) fail("a '[' has no matching ']'");
      const std::string idx = path.substr(i + 1, close - i - 1);
      if (idx.empty() || idx.find_first_not_of("0123456789") != std::string::npos)
        fail("a list index [i] must be a non-negative integer");
      toks.push_back({idx, true});
      i = close + 1;
      if (i < path.size() && path[i] != '.' && path[i] != '[') fail("expected '.' or '[' after ']'");
      if (i < path.size() && path[i] == '.') {
        ++i;
        if (i == path.size()) fail("the key path ends with '.'");
      }
      continue;
    }
    size_t j = i;
    while (j < path.size() && path[j] != '.' && path[j] != '[' && path[j] != ']') ++j;
    if (j == i) fail(path[i] == ']' ? "a ']' has no matching '['" : "the key path has an empty part");
    toks.push_back({path.substr(i, j - i), false});
    i = j;
    if (i < path.size() && path[i] == '.') {
      ++i;
      if (i == path.size()) fail("the key path ends with '.'");
    }
  }
  return toks;
}

std::string describeNode(const YAML::Node& n) {
  if (n.IsScalar()) return fmt::format("a value ('{}')", n.Scalar());
  if (n.IsSequence()) return fmt::format("a list of {}", n.size());
  if (n.IsMap()) return "a mapping";
  return "empty";
}

}  // namespace

void applyOverride(YAML::Node& root, const Override& o) {
  const std::vector<PathToken> toks = splitKeyPath(o.path);
  YAML::Node node;
  node.reset(root);
  std::string prefix;  // the part of the path walked so far, for messages
  for (size_t i = 0; i < toks.size(); ++i) {
    const PathToken& t = toks[i];
    const bool last = i + 1 == toks.size();
    const bool numeric = t.text.find_first_not_of("0123456789") == std::string::npos;
    const std::string here = prefix.empty() ? "(top level)" : "'" + prefix + "'";
    if (node.IsSequence()) {
      if (!numeric)
        throwInput("--set {}: {} is {}, so '{}' cannot be a key there; index it, e.g. {}[0].{}", o.path, here,
                   describeNode(node), t.text, prefix, t.text);
      const size_t k = std::stoul(t.text);
      if (k >= node.size())
        throwInput("--set {}: index {} is past the end of the list {} ({} entries)", o.path, k, here,
                   node.size());
      if (last) {
        node[k] = o.value;
        return;
      }
      YAML::Node next;
      next.reset(node[k]);
      node.reset(next);
    } else if (node.IsMap() || node.IsNull() || !node.IsDefined()) {
      if (t.bracket)
        throwInput("--set {}: {} is {}, not a list, so it has no entry [{}]", o.path, here,
                   describeNode(node), t.text);
      if (last) {
        node[t.text] = o.value;
        return;
      }
      if (!node[t.text]) node[t.text] = YAML::Node(YAML::NodeType::Map);
      YAML::Node next;
      next.reset(node[t.text]);
      node.reset(next);
    } else {
      throwInput("--set {}: {} is {}, not a mapping or a list, so it has no {}{}; set {} itself instead",
                 o.path, here, describeNode(node), t.bracket ? "entry [" : "key '",
                 t.text + (t.bracket ? "]" : "'"), prefix);
    }
    prefix += t.bracket ? "[" + t.text + "]" : (prefix.empty() ? "" : ".") + t.text;
  }
}

void applyOverride(YAML::Node& root, const std::string& assignment) {
  applyOverride(root, parseOverride(assignment));
}

}  // namespace ssb

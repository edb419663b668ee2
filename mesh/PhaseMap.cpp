#include "mesh/PhaseMap.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "solver/core/Error.hpp"

namespace ssb {

PhaseRole parseRole(const std::string& s) {
  if (s == "electrolyte") return PhaseRole::Electrolyte;
  if (s == "active") return PhaseRole::Active;
  if (s == "pore") return PhaseRole::Pore;
  return PhaseRole::Other;
}

const char* roleName(PhaseRole r) {
  switch (r) {
    case PhaseRole::Electrolyte:
      return "electrolyte";
    case PhaseRole::Active:
      return "active";
    case PhaseRole::Pore:
      return "pore";
    case PhaseRole::Other:
      return "other";
  }
  return "other";
}

const Schema& phaseSchema() {
  static const Schema s = [] {
    Schema sc(
        "phases[]",
        "One entry per phase: which label values of the volume belong to it and what it is. Give exactly one "
        "of `label`, `labels` or `range`.");
    sc.text("name", std::nullopt, "Phase name used everywhere else (e.g. LPS, NMC, pore).");
    sc.integer("label", std::nullopt, 0, 65535, "Label value of the phase in the volume.")
        .optionalKey("label");
    sc.declare("labels", ParamType::IntList, std::nullopt, "Several label values that form this phase.")
        .range(0, 65535)
        .makeOptional();
    sc.declare(
          "range", ParamType::IntList, std::nullopt,
          "[first, last] inclusive range of label (grey) values, e.g. [0, 89] to threshold a grey image.")
        .range(0, 65535)
        .makeOptional();
    sc.choice("role", "other", {"electrolyte", "active", "pore", "other"},
              "What the phase is: electrolyte (ion conductor), active (NMC), pore, other.");
    return sc;
  }();
  return s;
}

void requireNameRule(const std::string& name, const std::string& context) {
  const auto allowed = [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '+';
  };
  std::string why;
  if (name.empty()) {
    why = "it is empty";
  } else if (name.size() > 64) {
    why = fmt::format("it has {} characters", name.size());
  } else if (!std::isalnum(static_cast<unsigned char>(name[0])) ||
             !std::all_of(name.begin(), name.end(), allowed)) {
    why = "it has characters outside the rule";
  }
  if (!why.empty())
    throwInput(
        "{}: '{}' cannot be used as a name ({}): names become result keys, field names and file names, so "
        "they must be 1 to 64 characters from A-Z a-z 0-9 _ - +, starting with a letter or a digit (e.g. "
        "LPS, NMC_811, Li-In)",
        context, name, why);
}

void PhaseMap::add(Phase p) {
  requireNameRule(p.name, "phase name");
  for (const auto& q : m_phases)
    if (q.name == p.name) throwInput("phase name '{}' is used twice; phase names must be unique", p.name);
  int idx = static_cast<int>(m_phases.size());
  for (uint16_t l : p.labels) {
    if (m_lookup[l] >= 0)
      throwInput("label {} is claimed by both phase '{}' and phase '{}'", l, m_phases[m_lookup[l]].name,
                 p.name);
    m_lookup[l] = static_cast<int16_t>(idx);
  }
  m_phases.push_back(std::move(p));
}

PhaseMap PhaseMap::fromParams(const std::vector<Params>& phases) {
  PhaseMap map;
  for (const auto& pp : phases) {
    Phase ph;
    ph.name = pp.text("name");
    requireNameRule(ph.name, pp.keyPath("name"));
    ph.role = parseRole(pp.text("role"));
    int given = 0;
    if (pp.has("label")) {
      ph.labels.push_back(static_cast<uint16_t>(pp.integer("label")));
      ++given;
    }
    if (pp.has("labels")) {
      for (long l : pp.integers("labels")) ph.labels.push_back(static_cast<uint16_t>(l));
      ++given;
    }
    if (pp.has("range")) {
      auto r = pp.integers("range");
      if (r.size() != 2 || r[0] > r[1])
        throwInput("{}: expected [first, last] with first <= last", pp.keyPath("range"));
      for (long l = r[0]; l <= r[1]; ++l) ph.labels.push_back(static_cast<uint16_t>(l));
      ++given;
    }
    if (given != 1) throwInput("{}: give exactly one of label, labels or range", pp.path());
    try {
      map.add(std::move(ph));
    } catch (const InputError& e) {
      throwInput("{}: {}", pp.path(), e.what());
    }
  }
  if (map.size() == 0) throwInput("phases: at least one phase is needed");
  return map;
}

int PhaseMap::index(const std::string& name, const std::string& context) const {
  for (int i = 0; i < size(); ++i)
    if (m_phases[i].name == name) return i;
  std::string known;
  for (const auto& p : m_phases) known += (known.empty() ? "" : ", ") + p.name;
  throwInput("{}: no phase named '{}' (phases: {})", context, name, known);
}

void PhaseMap::checkAllClaimed(const std::vector<int64_t>& histogram, const std::string& source) const {
  std::string list;
  int64_t total = 0;
  for (size_t l = 0; l < histogram.size(); ++l) {
    if (histogram[l] > 0 && m_lookup[l] < 0) {
      list += fmt::format("{}label {} ({} voxels)", list.empty() ? "" : ", ", l, histogram[l]);
      total += histogram[l];
    }
  }
  if (!list.empty())
    throwInput(
        "{}: no phase claims {}; add it to `phases:` (e.g. `- {{name: other, label: N, role: other}}`) or "
        "merge it into a phase with `labels: [...]`",
        source, list);
}

}  // namespace ssb

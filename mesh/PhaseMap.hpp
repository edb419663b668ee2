#pragma once
// label value(s) -> named phase with a role. Built from the YAML `phases:` list.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "solver/core/Params.hpp"

namespace ssb {

enum class PhaseRole { Electrolyte, Active, Pore, Other };
PhaseRole parseRole(const std::string& s);
const char* roleName(PhaseRole r);

struct Phase {
  std::string name;
  PhaseRole role = PhaseRole::Other;
  std::vector<uint16_t> labels;  // label values that belong to this phase
};

class PhaseMap {
 public:
  PhaseMap() { m_lookup.fill(-1); }
  // From the `phases` list (see phaseSchema()). Errors name "phases[i].key".
  static PhaseMap fromParams(const std::vector<Params>& phases);

  // Throws InputError if a label is claimed twice, a name is repeated or breaks requireNameRule.
  void add(Phase p);
  const std::vector<Phase>& phases() const { return m_phases; }
  int size() const { return static_cast<int>(m_phases.size()); }
  // Phase index of a label, or -1 if no phase claims it.
  int phaseOf(uint16_t label) const { return m_lookup[label]; }
  // Index of the phase with this name; throws InputError naming `context` if there is none.
  int index(const std::string& name, const std::string& context) const;
  // Throws InputError naming each unclaimed label and its voxel count (histogram from Volume).
  void checkAllClaimed(const std::vector<int64_t>& histogram, const std::string& source) const;

 private:
  std::vector<Phase> m_phases;
  std::array<int16_t, 65536> m_lookup;
};

const Schema& phaseSchema();

// Names of phases and studies become result keys, field names and file names: 1 to 64 characters from
// A-Z a-z 0-9 _ - +, starting with a letter or a digit. Throws InputError naming `context` and the rule.
void requireNameRule(const std::string& name, const std::string& context);

}  // namespace ssb

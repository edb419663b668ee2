// Placeholder: being written.
#include "physics/Conductivity.hpp"
namespace ssb {
const Schema& conductivitySchema() {
  static Schema s("studies[] (type: conductivity)", "placeholder");
  return s;
}
Json runConductivity(const StudyContext&, const Params&) { throwRun("conductivity: not implemented yet"); }
}  // namespace ssb

// Placeholder: being written.
#include "postprocess/Morphology.hpp"
namespace ssb {
const Schema& morphologySchema() {
  static Schema s("studies[] (type: morphology)", "placeholder");
  return s;
}
Json runMorphology(const StudyContext&, const Params&) { throwRun("morphology: not implemented yet"); }
}  // namespace ssb

#pragma once
// What a study (physics or postprocess) gets from the driver: the distributed volume, the phase map,
// where to write, and the shared fields file. Studies return their results as JSON; they never pick
// output paths of their own beyond `outputDir`.
#include <filesystem>
#include <string>

#include "mesh/FieldWriter.hpp"
#include "mesh/PhaseMap.hpp"
#include "mesh/Volume.hpp"

namespace ssb {

struct StudyContext {
  const Volume& volume;
  const PhaseMap& phases;
  FieldWriter* fields;              // may be null (output.fields: false); write only through it
  std::filesystem::path outputDir;  // exists; rank 0 writes CSV/PNG here (temp + rename); empty = no files
                                    // (morphology only: the twin's tuning loop)
  std::string studyName;            // unique per case; prefix for field names and file names
  bool restart = false;             // `ssbvox run --restart`: continue from the study's checkpoint, if any
};

}  // namespace ssb

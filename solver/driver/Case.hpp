#pragma once
// Loading a case: YAML text + typed overrides -> a validated Case, with every check that needs no voxel
// done (schema, phases, names, each study's `prepare`, the volume's size against the machine). Running it
// (CaseRunner.hpp) takes a communicator, so sweeps and calibration loops load once and run in memory, on
// all ranks or on groups of ranks.
#include <mpi.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <string>
#include <vector>

#include "mesh/PhaseMap.hpp"
#include "mesh/VolumeSource.hpp"
#include "solver/core/Params.hpp"
#include "solver/driver/Measured.hpp"
#include "solver/driver/StudyRegistry.hpp"

namespace ssb {

struct CaseInput {
  std::string text;                 // the case file's YAML
  std::filesystem::path file;       // where it came from: relative volume paths and messages (may be empty)
  std::vector<Override> overrides;  // applied in order, before validation
  bool restart = false;             // `ssbvox run --restart` (one case only; refused for sweep / calibrate)
};

struct StudyEntry {
  const StudyType* type;
  Params params;
  std::string name;
};

struct OutputSettings {
  std::filesystem::path dir;  // output.dir as given (runCase takes the directory to write explicitly)
  bool fields = true;
  bool saveVolume = false;
};

struct Case {
  std::filesystem::path file;
  YAML::Node root;        // the document after overrides (volume.file made absolute)
  std::string inputText;  // the document after overrides, as hashed into provenance.input_sha256
  Params volume;
  PhaseMap phases;
  std::vector<StudyEntry> studies;
  OutputSettings output;
  VolumePlan plan;                      // the volume's grid, known before it is read
  std::vector<MeasuredValue> measured;  // `measured:`, compared with the results after the studies ran
};

// The case text as YAML with the overrides applied. Throws InputError for a syntax error or a document
// that is not a mapping (naming the file).
YAML::Node parseCaseInput(const CaseInput& input);

// Collective on `comm` (rank 0 reads the volume file's header; the size check needs the rank count and
// the memory of every node). Throws InputError naming the YAML path, file or limit.
Case loadCase(MPI_Comm comm, const CaseInput& input);

// Collective: rank 0 reads the file, every rank gets the bytes. InputError if it cannot be read.
std::string readCaseFile(MPI_Comm comm, const std::filesystem::path& path);

}  // namespace ssb

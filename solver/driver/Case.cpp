#include "solver/driver/Case.hpp"

#include <fmt/format.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "postprocess/Twin.hpp"
#include "solver/core/Error.hpp"
#include "solver/core/MpiUtil.hpp"
#include "solver/core/Resources.hpp"

namespace ssb {

namespace {

// Reading and labelling the volume alone: labels (2 B), phase and mask arrays, the labels field written as
// doubles to fields.h5 (8 B) and PETSc's scatter for it.
constexpr double kVolumeBytesPerVoxel = 24;
// A twin measures each candidate volume with the morphology metrics (105 B/voxel, StudyRegistry) and keeps
// the volume that met its targets (2 B/voxel).
constexpr double kTwinBytesPerVoxel = 107;
// MPI, PETSc and hypre per process before any voxel (docs/benchmarks.md: ~80 MB at 64^3).
constexpr double kFixedBytesPerRank = 100e6;

std::string gib(double bytes) {
  if (bytes >= 1024.0 * 1024 * 1024 * 1024)
    return fmt::format("{:.3g} TiB", bytes / (1024.0 * 1024 * 1024 * 1024));
  if (bytes >= 1024.0 * 1024 * 1024) return fmt::format("{:.3g} GiB", bytes / (1024.0 * 1024 * 1024));
  return fmt::format("{:.3g} MiB", bytes / (1024.0 * 1024));
}

// Refuse, before anything is allocated, a volume that PETSc's indices cannot count or that cannot fit the
// memory of the ranks at hand. One message with every number the user needs to choose a remedy.
void checkSize(MPI_Comm comm, const Case& c) {
  int ranks = 1;
  MPI_Comm_size(comm, &ranks);
  const auto& n = c.plan.geometry.n;
  const double voxels = static_cast<double>(n[0]) * static_cast<double>(n[1]) * static_cast<double>(n[2]);
  const bool indexOverflow = voxels > static_cast<double>(PETSC_MAX_INT);

  std::string what = "the volume alone";
  double perVoxel = kVolumeBytesPerVoxel;
  if (c.plan.source == "generated:twin") {
    perVoxel = kTwinBytesPerVoxel;
    what = fmt::format("the twin's tuning (morphology metrics on each candidate, ~{:.0f} B/voxel)", perVoxel);
  }
  const PrepareContext ctx{c.phases, c.plan.geometry, ranks};
  for (const auto& s : c.studies) {
    const double b =
        s.type->bytesPerVoxelFor ? s.type->bytesPerVoxelFor(ctx, s.params) : s.type->bytesPerVoxel;
    if (b > perVoxel) {
      perVoxel = b;
      what = fmt::format("study '{}' ({}, ~{:.0f} B/voxel)", s.name, s.type->type, perVoxel);
    }
  }
  const double total = perVoxel * voxels;
  const double perRank = total / ranks + kFixedBytesPerRank;
  const char* env = std::getenv("SSBVOX_MEMORY_CHECK");
  int checkMemory = !(env && std::string(env) == "off");
  MPI_Bcast(&checkMemory, 1, MPI_INT, 0, comm);  // every rank takes the same branch below
  const std::optional<double> avail = checkMemory ? availableMemoryPerRank(comm) : std::nullopt;
  const bool tooBig = avail && perRank > *avail;
  if (!indexOverflow && !tooBig) return;

  std::string msg = fmt::format("{}: the volume has {} x {} x {} = {:.4g} voxels (x, y, z)", c.plan.sizeKey,
                                n[0], n[1], n[2], voxels);
  if (indexOverflow)
    msg += fmt::format(
        "; this PETSc counts with {}-bit indices (at most {} voxels): a PETSc built with 64-bit indices is "
        "needed (Debian: petsc64-dev; PETSc's --with-64-bit-indices)",
        8 * sizeof(PetscInt), PETSC_MAX_INT);
  if (avail) {
    const double usable = *avail - kFixedBytesPerRank;
    const long long need = usable > 0 ? static_cast<long long>(std::ceil(total / usable)) : -1;
    msg += fmt::format(
        "; {} needs about {} in total, {} per rank on {} rank{}, where each rank here can count on {}", what,
        gib(total), gib(perRank), ranks, ranks == 1 ? "" : "s", gib(*avail));
    if (tooBig && need > 0)
      msg += fmt::format(
          ": run on at least {} ranks with that much memory each (more nodes), or crop the volume", need);
    else if (tooBig)
      msg += ": crop the volume or run on nodes with more memory";
  }
  msg += " (estimates per voxel: docs/benchmarks.md; SSBVOX_MEMORY_CHECK=off skips the memory part)";
  throw InputError(msg);
}

}  // namespace

std::string readCaseFile(MPI_Comm comm, const std::filesystem::path& path) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  std::string text;
  std::exception_ptr err;
  if (rank == 0) {
    try {
      std::ifstream is(path, std::ios::binary);
      if (!is) throwInput("case file {}: cannot open it (does it exist? check the path)", path.string());
      std::ostringstream ss;
      ss << is.rdbuf();
      text = ss.str();
    } catch (...) {
      err = std::current_exception();
    }
  }
  rethrowCollective(comm, err);
  return broadcastString(comm, text);
}

YAML::Node parseCaseInput(const CaseInput& input) {
  const std::string where = input.file.empty() ? std::string("case") : "case file " + input.file.string();
  YAML::Node root;
  try {
    root = YAML::Load(input.text);
  } catch (const YAML::Exception& e) {
    throwInput("{}: YAML syntax error at line {}, column {}: {}", where, e.mark.line + 1, e.mark.column + 1,
               e.msg);
  }
  if (!root.IsMap()) throwInput("{}: expected a mapping with volume, phases, studies, output", where);
  for (const auto& o : input.overrides) applyOverride(root, o);
  return root;
}

Case loadCase(MPI_Comm comm, const CaseInput& input) {
  YAML::Node root = parseCaseInput(input);
  const std::string inputText = YAML::Dump(root);

  // Everything is validated before any work, so a typo in the last study fails in a second.
  Params top(root, caseSchema(), "");
  PhaseMap phases = PhaseMap::fromParams(top.sections("phases"));
  const Params outputParams = top.section("output");
  OutputSettings output{outputParams.text("dir"), outputParams.boolean("fields"),
                        outputParams.boolean("save_volume")};
  if (output.dir.empty()) throwInput("output.dir: empty; give a directory (e.g. results)");
  YAML::Node studiesNode = top.raw("studies");
  if (!studiesNode.IsSequence()) throwInput("studies: expected a list of studies");
  std::vector<StudyEntry> studies;
  for (size_t i = 0; i < studiesNode.size(); ++i) {
    std::string path = fmt::format("studies[{}]", i);
    YAML::Node s = studiesNode[i];
    if (!s.IsMap() || !s["type"]) throwInput("{}: each study needs `type:` (conductivity, morphology)", path);
    const StudyType& t = studyType(s["type"].as<std::string>(), path + ".type");
    Params p(s, *t.schema, path);
    std::string name = p.has("name") ? p.text("name") : t.type;
    requireNameRule(name, path + ".name");
    for (const auto& e : studies)
      if (e.name == name)
        throwInput("{}.name: study name '{}' is used twice; give each study a unique name", path, name);
    studies.push_back({&t, p, name});
  }

  // Relative volume paths are relative to the case file.
  if (root["volume"] && root["volume"]["file"] && root["volume"]["file"].IsScalar()) {
    std::filesystem::path f = root["volume"]["file"].as<std::string>();
    if (f.is_relative()) root["volume"]["file"] = (input.file.parent_path() / f).lexically_normal().string();
  }
  Params volume(root["volume"], volumeSchema(), "volume");
  VolumePlan plan = planVolume(comm, volume);
  if (plan.source == "generated:twin") checkTwinInputs(volume, phases, plan.geometry);

  Case c{input.file, root, inputText, volume, std::move(phases), std::move(studies), output, plan, {}};
  c.measured = parseMeasured(root["measured"]);
  checkSize(comm, c);
  int ranks = 1;
  MPI_Comm_size(comm, &ranks);
  const PrepareContext ctx{c.phases, c.plan.geometry, ranks};
  for (const auto& s : c.studies)
    if (s.type->prepare) s.type->prepare(ctx, s.params);
  return c;
}

}  // namespace ssb

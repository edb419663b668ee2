#include "solver/driver/CaseRunner.hpp"

#include <mpi.h>

#include <fstream>
#include <sstream>

#include "mesh/FieldWriter.hpp"
#include "mesh/PhaseMap.hpp"
#include "mesh/VolumeReader.hpp"
#include "mesh/VolumeSource.hpp"
#include "solver/core/AtomicFile.hpp"
#include "solver/core/Json.hpp"
#include "solver/core/Log.hpp"
#include "solver/core/MpiUtil.hpp"
#include "solver/core/Provenance.hpp"
#include "solver/driver/StudyRegistry.hpp"

namespace ssb {

namespace {

bool isRoot() {
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r == 0;
}

// Rank 0 reads the bytes, every rank parses them (PETSc's optionsyaml pattern).
std::string readCaseText(const std::filesystem::path& path) {
  std::string text;
  std::exception_ptr err;
  if (isRoot()) {
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
  rethrowCollective(MPI_COMM_WORLD, err);
  return broadcastString(MPI_COMM_WORLD, text);
}

struct StudyEntry {
  const StudyType* type;
  Params params;
  std::string name;
};

}  // namespace

int runCase(const RunOptions& opts) {
  const double t0 = Log::elapsed();
  const std::string text = readCaseText(opts.caseFile);
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throwInput("case file {}: YAML syntax error at line {}, column {}: {}", opts.caseFile.string(),
               e.mark.line + 1, e.mark.column + 1, e.msg);
  }
  if (!root.IsMap())
    throwInput("case file {}: expected a mapping with volume, phases, studies, output",
               opts.caseFile.string());
  for (const auto& o : opts.overrides) applyOverride(root, o);
  std::string effective = YAML::Dump(root);

  // Validate everything before doing any work, so a typo in the last study fails in a second.
  Params top(root, caseSchema(), "");
  Params volume = top.section("volume");
  auto phaseParams = top.sections("phases");
  PhaseMap phases = PhaseMap::fromParams(phaseParams);
  Params output = top.section("output");
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
    for (const auto& e : studies)
      if (e.name == name)
        throwInput("{}.name: study name '{}' is used twice; give each study a unique name", path, name);
    studies.push_back({&t, p, name});
  }

  // Relative volume paths are relative to the case file.
  if (root["volume"] && root["volume"]["file"]) {
    std::filesystem::path f = root["volume"]["file"].as<std::string>();
    if (f.is_relative())
      root["volume"]["file"] = (opts.caseFile.parent_path() / f).lexically_normal().string();
    volume = Params(root["volume"], volumeSchema(), "volume");
  }

  std::filesystem::path outDir = output.text("dir");
  std::exception_ptr err;
  if (isRoot()) {
    try {
      std::error_code ec;
      std::filesystem::create_directories(outDir, ec);
      if (ec) throwInput("output.dir: cannot create '{}': {}", outDir.string(), ec.message());
    } catch (...) {
      err = std::current_exception();
    }
  }
  rethrowCollective(MPI_COMM_WORLD, err);

  Json results;
  results["provenance"] = provenance(effective);
  results["provenance"]["case_file"] = opts.caseFile.string();

  Volume vol;
  {
    ScopedTimer t("loading volume");
    vol = loadVolume(MPI_COMM_WORLD, volume);
  }
  const auto hist = vol.labelHistogram();
  phases.checkAllClaimed(hist, vol.source);
  const VoxelGrid& g = vol.grid->geometry();
  Json jv;
  jv["source"] = vol.source;
  jv["shape_zyx"] = {g.n[2], g.n[1], g.n[0]};
  jv["voxel_size_zyx_m"] = {g.spacing[2], g.spacing[1], g.spacing[0]};
  Json jp = Json::array();
  for (const auto& ph : phases.phases()) {
    int64_t count = 0;
    for (uint16_t l : ph.labels)
      if (l < hist.size()) count += hist[l];
    double frac = static_cast<double>(count) / static_cast<double>(g.voxels());
    jp.push_back(
        {{"name", ph.name}, {"role", roleName(ph.role)}, {"voxels", count}, {"volume_fraction", frac}});
    Log::info("phase {:<12} ({:<11}) {:>12} voxels  volume fraction {:.4f}", ph.name, roleName(ph.role),
              count, frac);
  }
  jv["phases"] = jp;
  results["volume"] = jv;

  if (output.boolean("save_volume")) {
    ScopedTimer t("saving labels (labels.tif, labels.h5, labels.raw)");
    auto all = gatherLabels(vol);
    try {
      if (isRoot()) {
        int bits = 8;
        for (size_t l = 256; l < hist.size(); ++l)
          if (hist[l]) bits = 16;
        writeTiff(outDir / "labels.tif", g.n, all, bits, g.spacing[0]);
        writeHdf5Labels(outDir / "labels.h5", "labels", g.n, all, bits, g.spacing[0]);
        writeRaw(outDir / "labels.raw", all, bits == 8 ? "uint8" : "uint16");
      }
    } catch (...) {
      err = std::current_exception();
    }
    rethrowCollective(MPI_COMM_WORLD, err);
  }

  std::unique_ptr<FieldWriter> fields;
  if (output.boolean("fields")) {
    fields = std::make_unique<FieldWriter>(*vol.grid, outDir);
    std::vector<double> lab(vol.labels.begin(), vol.labels.end());
    fields->write(lab, "labels", "");
  }

  auto writeResults = [&]() {  // collective: a write failure on rank 0 reaches every rank
    results["provenance"]["wall_seconds"] = Log::elapsed() - t0;
    std::exception_ptr werr;
    try {
      if (isRoot()) writeFileAtomic(outDir / "results.json", results.dump(2) + "\n");
    } catch (...) {
      werr = std::current_exception();
    }
    rethrowCollective(MPI_COMM_WORLD, werr);
  };

  int failed = 0;
  results["studies"] = Json::array();
  std::vector<std::string> summaries;
  for (auto& s : studies) {
    Json entry;
    entry["name"] = s.name;
    entry["type"] = s.type->type;
    StudyContext ctx{vol, phases, fields.get(), outDir, s.name};
    try {
      ScopedTimer t(fmt::format("study '{}' ({})", s.name, s.type->type));
      Json r = s.type->run(ctx, s.params);
      entry["status"] = "ok";
      entry["seconds"] = t.seconds();
      for (auto& [k, v] : r.items()) entry[k] = v;
      summaries.push_back(fmt::format("study '{}' ({}):\n{}", s.name, s.type->type, s.type->summary(r)));
    } catch (const InputError&) {
      throw;
    } catch (const std::exception& e) {
      // Run-time failures (divergence, I/O) are recorded and the remaining studies still run.
      ++failed;
      entry["status"] = "failed";
      entry["error"] = e.what();
      Log::warn(fmt::format("study '{}' failed: {}", s.name, e.what()));
    }
    results["studies"].push_back(entry);
    writeResults();  // after each study, so finished results survive a later crash
  }
  if (fields) fields->close();
  writeResults();

  if (isRoot()) {
    std::printf("\n=== ssbvox results (%s) ===\n", vol.source.c_str());
    for (const auto& s : summaries) std::printf("%s", s.c_str());
    std::printf("results: %s\n", (outDir / "results.json").c_str());
    if (fields) std::printf("fields:  %s (+ fields.xdmf for ParaView)\n", (outDir / "fields.h5").c_str());
    std::fflush(stdout);
  }
  return failed ? 1 : 0;
}

}  // namespace ssb

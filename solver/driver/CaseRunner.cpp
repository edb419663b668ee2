#include "solver/driver/CaseRunner.hpp"

#include <mpi.h>

#include <optional>

#include "mesh/FieldWriter.hpp"
#include "mesh/VolumeWriter.hpp"
#include "postprocess/Twin.hpp"
#include "solver/core/AtomicFile.hpp"
#include "solver/core/Log.hpp"
#include "solver/core/MpiUtil.hpp"
#include "solver/core/OutputLock.hpp"
#include "solver/core/Provenance.hpp"

namespace ssb {

namespace {

bool isRoot(MPI_Comm comm) {
  int r = 0;
  MPI_Comm_rank(comm, &r);
  return r == 0;
}

// Collective: run f on rank 0; its exception reaches every rank.
template <typename F>
void onRoot(MPI_Comm comm, F&& f) {
  std::exception_ptr err;
  if (isRoot(comm)) {
    try {
      f();
    } catch (...) {
      err = std::current_exception();
    }
  }
  rethrowCollective(comm, err);
}

}  // namespace

CaseResult runCase(MPI_Comm comm, const Case& c, const std::filesystem::path& outDir, bool restart) {
  const double t0 = Log::elapsed();

  // The directory, its lock and the leftovers of a killed run.
  std::unique_ptr<OutputLock> lock;
  onRoot(comm, [&] {
    std::error_code ec;
    std::filesystem::create_directories(outDir, ec);
    if (ec) throwInput("output.dir: cannot create '{}': {}", outDir.string(), ec.message());
    lock = std::make_unique<OutputLock>(outDir);
    if (lock->staleOwner())
      Log::warn(fmt::format("{}: took over the lock of a run that ended without releasing it ({})",
                            outDir.string(), *lock->staleOwner()));
    for (const auto& f : removeStaleTempFiles(outDir))
      Log::warn(fmt::format("{}: removed {}, left by an interrupted run", outDir.string(), f));
  });

  CaseResult out;
  Json& results = out.results;
  results["provenance"] = provenance(comm, c.inputText);
  results["provenance"]["case_file"] = c.file.string();
  results["complete"] = false;  // true once every study has run and every file is in place

  Volume vol;
  Json twin;
  if (c.plan.source == "generated:twin") {
    ScopedTimer t("generating the twin");
    TwinResult tr = generateTwin(comm, c.volume, c.phases, c.plan.geometry);
    vol = std::move(tr.volume);
    twin = std::move(tr.report);
  } else {
    ScopedTimer t("loading volume");
    vol = loadVolume(comm, c.volume, c.plan);
  }
  const auto hist = vol.labelHistogram();
  c.phases.checkAllClaimed(hist, vol.source);
  const VoxelGrid& g = vol.grid->geometry();
  Json jv;
  jv["source"] = vol.source;
  jv["shape_zyx"] = {g.n[2], g.n[1], g.n[0]};
  jv["voxel_size_zyx_m"] = {g.spacing[2], g.spacing[1], g.spacing[0]};
  Json jp = Json::array();
  for (const auto& ph : c.phases.phases()) {
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
  if (!twin.is_null()) jv["twin"] = twin;
  results["volume"] = jv;

  if (c.output.saveVolume) {
    ScopedTimer t("saving labels (labels.tif, labels.h5, labels.raw)");
    const int bits = hist.size() > 256 ? 16 : 8;
    saveLabelsTiff(vol, outDir / "labels.tif", bits, g.spacing[0]);
    saveLabelsHdf5(vol, outDir / "labels.h5", "labels", bits, g.spacing[0]);
    saveLabelsRaw(vol, outDir / "labels.raw", bits);
  }

  // fields.h5 is written under its temporary name until close(); a terminated run removes it.
  std::optional<RemoveOnTermination> fieldsCleanup;
  if (isRoot(comm)) fieldsCleanup.emplace(tempPathFor(outDir / "fields.h5"));
  std::unique_ptr<FieldWriter> fields;
  if (c.output.fields) {
    fields = std::make_unique<FieldWriter>(*vol.grid, outDir);
    std::vector<double> lab(vol.labels.begin(), vol.labels.end());
    fields->write(lab, "labels", "");
  }

  auto writeResults = [&]() {  // collective: a write failure on rank 0 reaches every rank
    results["provenance"]["wall_seconds"] = Log::elapsed() - t0;
    onRoot(comm, [&] { writeFileAtomic(outDir / "results.json", results.dump(2) + "\n"); });
  };

  bool failed = false, inputFailed = false;
  results["studies"] = Json::array();
  for (const auto& s : c.studies) {
    Json entry;
    entry["name"] = s.name;
    entry["type"] = s.type->type;
    StudyContext ctx{vol, c.phases, fields.get(), outDir, s.name, restart};
    try {
      ScopedTimer t(fmt::format("study '{}' ({})", s.name, s.type->type));
      Json r = s.type->run(ctx, s.params);
      entry["status"] = "ok";
      entry["seconds"] = t.seconds();
      for (auto& [k, v] : r.items()) entry[k] = v;
    } catch (const RestartInputError&) {
      throw;  // the case does not fit the checkpoints in outDir: nothing more should run or be written
    } catch (const InputError& e) {
      // loadCase ran the study's prepare step: an input error now is a gap there. It is recorded like a
      // run-time failure (the remaining studies still run) and the exit status says input error.
      inputFailed = true;
      entry["status"] = "failed";
      entry["error"] = e.what();
      entry["error_kind"] = "input";
      Log::warn(
          fmt::format("study '{}': input error found only while running (please report: the check "
                      "before loading should have caught it): {}",
                      s.name, e.what()));
    } catch (const std::exception& e) {
      // Run-time failures (divergence, I/O) are recorded and the remaining studies still run.
      failed = true;
      entry["status"] = "failed";
      entry["error"] = e.what();
      entry["error_kind"] = "run";
      Log::warn(fmt::format("study '{}' failed: {}", s.name, e.what()));
    }
    results["studies"].push_back(entry);
    writeResults();  // after each study, so finished results survive a later crash
  }
  if (!c.measured.empty()) {
    results["measured"] = compareMeasured(c.measured, results);
    for (const auto& m : results["measured"])
      if (m.contains("error")) {
        inputFailed = true;  // a result path or unit that only the results could judge
        Log::warn(fmt::format("measured: {}", m["error"].get<std::string>()));
      }
  }
  if (fields) fields->close();
  results["complete"] = true;
  writeResults();
  // Timings differ between ranks: every rank returns rank 0's record, the one in results.json.
  results = Json::parse(broadcastString(comm, isRoot(comm) ? results.dump() : std::string()));
  out.exitStatus = inputFailed ? 2 : failed ? 1 : 0;
  return out;
}

std::string caseSummary(const Json& results, const std::filesystem::path& outDir) {
  std::string s = fmt::format("\n=== ssbvox results ({}) ===\n", results["volume"].value("source", ""));
  if (results["volume"].contains("twin")) s += twinSummary(results["volume"]["twin"]) + "\n";
  for (const auto& e : results["studies"]) {
    if (e.value("status", "") != "ok") continue;
    const std::string type = e.value("type", "");
    for (const auto& t : studyTypes())
      if (t.type == type) s += fmt::format("study '{}' ({}):\n{}", e.value("name", ""), type, t.summary(e));
  }
  s += fmt::format("results: {}\n", (outDir / "results.json").string());
  if (std::filesystem::exists(outDir / "fields.h5"))
    s += fmt::format("fields:  {} (+ fields.xdmf for ParaView)\n", (outDir / "fields.h5").string());
  return s;
}

}  // namespace ssb

#include "solver/driver/Sweep.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#include "solver/core/AtomicFile.hpp"
#include "solver/core/Error.hpp"
#include "solver/core/Log.hpp"
#include "solver/core/MpiUtil.hpp"
#include "solver/core/Provenance.hpp"
#include "solver/driver/CaseRunner.hpp"
#include "solver/driver/Measured.hpp"

namespace ssb {

namespace {

int rankOf(MPI_Comm comm) {
  int r = 0;
  MPI_Comm_rank(comm, &r);
  return r;
}
int sizeOf(MPI_Comm comm) {
  int s = 1;
  MPI_Comm_size(comm, &s);
  return s;
}

double unixSeconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string nodeText(const YAML::Node& n) {
  if (n.IsScalar()) return n.Scalar();
  YAML::Emitter e;
  e << YAML::Flow << n;
  return e.c_str();
}

void checkPath(const std::string& path, const std::string& where) {
  if (path.empty()) throwInput("{}: empty key path", where);
  const std::string head = path.substr(0, path.find_first_of(".["));
  if (head == "sweep" || head == "calibrate")
    throwInput("{}: '{}' cannot be swept (it is part of the study definition)", where, path);
  if (path == "output.dir" || path == "output")
    throwInput("{}: '{}' cannot be swept: each case writes into <output.dir>/case_<i>", where, path);
}

// Ordered (path, values) of a grid or zip mapping.
std::vector<std::pair<std::string, YAML::Node>> listsOf(const YAML::Node& node, const std::string& where) {
  if (!node.IsMap()) throwInput("{}: expected a mapping {{key.path: [values], ...}}", where);
  std::vector<std::pair<std::string, YAML::Node>> out;
  for (const auto& kv : node) {
    const std::string path = kv.first.as<std::string>();
    const std::string at = where + "." + path;
    checkPath(path, at);
    if (!kv.second.IsSequence() || kv.second.size() == 0)
      throwInput("{}: expected a non-empty list of values [v1, v2, ...]", at);
    out.emplace_back(path, kv.second);
  }
  if (out.empty()) throwInput("{}: empty; give at least one key path with its values", where);
  return out;
}

// Gather every rank's string on rank 0 of `comm` (others get an empty vector). Collective.
std::vector<std::string> gatherStrings(MPI_Comm comm, const std::string& s) {
  const int n = sizeOf(comm), rank = rankOf(comm);
  int len = static_cast<int>(s.size());
  std::vector<int> lens(static_cast<size_t>(n)), displs(static_cast<size_t>(n));
  MPI_Gather(&len, 1, MPI_INT, lens.data(), 1, MPI_INT, 0, comm);
  std::string all;
  if (rank == 0) {
    int total = 0;
    for (int i = 0; i < n; ++i) {
      displs[static_cast<size_t>(i)] = total;
      total += lens[static_cast<size_t>(i)];
    }
    all.resize(static_cast<size_t>(total));
  }
  MPI_Gatherv(s.data(), len, MPI_CHAR, all.data(), lens.data(), displs.data(), MPI_CHAR, 0, comm);
  std::vector<std::string> out;
  if (rank == 0)
    for (int i = 0; i < n; ++i)
      out.push_back(all.substr(static_cast<size_t>(displs[static_cast<size_t>(i)]),
                               static_cast<size_t>(lens[static_cast<size_t>(i)])));
  return out;
}

// A case directory's results.json that a rerun may reuse: complete, every study and comparison ok, and
// the same resolved inputs (provenance.input_sha256). Not collective.
std::optional<Json> reusable(const std::filesystem::path& dir, const std::string& inputText) {
  std::ifstream is(dir / "results.json");
  if (!is) return std::nullopt;
  Json r;
  try {
    r = Json::parse(is);
  } catch (const std::exception&) {
    return std::nullopt;  // a truncated or foreign file: the case runs again
  }
  if (r.value("complete", false) != true) return std::nullopt;
  if (!r.contains("provenance") || r["provenance"].value("input_sha256", "") != sha256Hex(inputText))
    return std::nullopt;
  for (const auto& s : r.value("studies", Json::array()))
    if (s.value("status", "") != "ok") return std::nullopt;
  for (const auto& m : r.value("measured", Json::array()))
    if (m.contains("error")) return std::nullopt;
  return r;
}

std::string failures(const Json& results) {
  std::string e;
  for (const auto& s : results.value("studies", Json::array()))
    if (s.value("status", "") != "ok")
      e += fmt::format("{}study '{}': {}", e.empty() ? "" : "; ", s.value("name", ""), s.value("error", ""));
  for (const auto& m : results.value("measured", Json::array()))
    if (m.contains("error")) e += (e.empty() ? "" : "; ") + m["error"].get<std::string>();
  return e;
}

std::string csvField(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string q = "\"";
  for (char ch : s) q += ch == '"' ? std::string("\"\"") : std::string(1, ch);
  return q + "\"";
}

std::string csvValue(const Json& v) {
  if (v.is_null()) return "";
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number_integer()) return v.dump();
  if (v.is_number()) return fmt::format("{:.6g}", v.get<double>());
  return v.is_string() ? v.get<std::string>() : v.dump();
}

}  // namespace

const Schema& sweepSchema() {
  static const Schema s = [] {
    Schema sc(
        "sweep",
        "Run the case for many inputs (docs/studies.md): each case in <output.dir>/case_<i>, one row per "
        "case in <output.dir>/results.csv; rerunning reuses complete cases with unchanged inputs.");
    sc.declare("grid", ParamType::Any, std::nullopt,
               "{key.path: [values], ...}: every combination (cartesian product; the last key varies "
               "fastest). Paths as `--set` takes them, values as YAML (numbers, \"0.3 mS/cm\", lists).")
        .makeOptional();
    sc.declare("zip", ParamType::Any, std::nullopt,
               "{key.path: [values], ...}: lists of equal length, the i-th values together in case i.")
        .makeOptional();
    sc.declare("list", ParamType::Any, std::nullopt, "[{key.path: value, ...}, ...]: each entry one case.")
        .makeOptional();
    sc.integer("ranks_per_case", "0", 0, kInf,
               "Ranks each case runs on; the ranks split into groups of this size that run cases at the same "
               "time (must divide the rank count). 0: every case on all ranks, one after another.");
    return sc;
  }();
  return s;
}

std::vector<SweepCase> expandSweep(const YAML::Node& sweep) {
  if (!sweep || !sweep.IsMap()) throwInput("sweep: expected a mapping with grid, zip and/or list");
  Params p(sweep, sweepSchema(), "sweep");
  if (!sweep["grid"] && !sweep["zip"] && !sweep["list"])
    throwInput("sweep: nothing to sweep; give grid, zip or list (docs/studies.md)");

  // Each part is a list of override sets; the cases are their product.
  std::vector<std::vector<std::vector<Override>>> parts;
  if (sweep["grid"]) {
    std::vector<std::vector<Override>> sets{{}};
    for (const auto& [path, values] : listsOf(sweep["grid"], "sweep.grid")) {
      std::vector<std::vector<Override>> next;
      for (const auto& s : sets)
        for (size_t i = 0; i < values.size(); ++i) {
          next.push_back(s);
          next.back().push_back(Override{path, values[i]});
        }
      sets = std::move(next);
    }
    parts.push_back(std::move(sets));
  }
  if (sweep["zip"]) {
    const auto lists = listsOf(sweep["zip"], "sweep.zip");
    const size_t n = lists.front().second.size();
    for (const auto& [path, values] : lists)
      if (values.size() != n)
        throwInput("sweep.zip.{}: {} values, but sweep.zip.{} has {}; zipped lists need the same length",
                   path, values.size(), lists.front().first, n);
    std::vector<std::vector<Override>> sets(n);
    for (size_t i = 0; i < n; ++i)
      for (const auto& [path, values] : lists) sets[i].push_back(Override{path, values[i]});
    parts.push_back(std::move(sets));
  }
  if (sweep["list"]) {
    const YAML::Node list = sweep["list"];
    if (!list.IsSequence() || list.size() == 0)
      throwInput("sweep.list: expected a non-empty list of mappings [{{key.path: value}}, ...]");
    std::vector<std::vector<Override>> sets;
    for (size_t i = 0; i < list.size(); ++i) {
      const std::string at = fmt::format("sweep.list[{}]", i);
      if (!list[i].IsMap() || list[i].size() == 0)
        throwInput("{}: expected a mapping {{key.path: value, ...}}", at);
      std::vector<Override> set;
      for (const auto& kv : list[i]) {
        const std::string path = kv.first.as<std::string>();
        checkPath(path, at + "." + path);
        set.push_back(Override{path, kv.second});
      }
      sets.push_back(std::move(set));
    }
    parts.push_back(std::move(sets));
  }

  std::vector<std::vector<Override>> all{{}};
  for (const auto& part : parts) {
    std::vector<std::vector<Override>> next;
    for (const auto& a : all)
      for (const auto& b : part) {
        next.push_back(a);
        next.back().insert(next.back().end(), b.begin(), b.end());
      }
    all = std::move(next);
  }
  std::vector<SweepCase> cases;
  for (size_t i = 0; i < all.size(); ++i) cases.push_back({fmt::format("case_{:04d}", i), all[i]});
  return cases;
}

SweepResult runSweep(MPI_Comm comm, const CaseInput& input) {
  const std::string where = input.file.empty() ? std::string("case") : "case file " + input.file.string();
  YAML::Node root = parseCaseInput(input);
  const std::string sweepText = YAML::Dump(root);
  const std::vector<SweepCase> cases = expandSweep(root["sweep"]);
  const long perCase = Params(root["sweep"], sweepSchema(), "sweep").integer("ranks_per_case");
  if (root["calibrate"])
    throwInput("{}: sweep and calibrate in one file are not supported; run them separately", where);
  root.remove("sweep");
  // Every case's swept paths must fit the document (a typo in a path is the sweep's error, not a case's).
  for (const auto& c : cases) {
    YAML::Node probe = YAML::Clone(root);
    for (const auto& o : c.overrides) {
      try {
        applyOverride(probe, o);
      } catch (const InputError& e) {
        std::string msg = e.what();
        if (msg.rfind("--set ", 0) == 0) msg = msg.substr(6);  // the path came from the sweep, not --set
        throwInput("sweep ({}): {}", c.name, msg);
      }
    }
  }
  std::filesystem::path dir = "results";
  if (root["output"] && root["output"]["dir"] && root["output"]["dir"].IsScalar())
    dir = root["output"]["dir"].Scalar();
  if (dir.empty()) throwInput("output.dir: empty; give the sweep's directory (e.g. results/sweep)");
  const std::string baseText = YAML::Dump(root);

  const int worldSize = sizeOf(comm), worldRank = rankOf(comm);
  const int rpc = perCase == 0 ? worldSize : static_cast<int>(perCase);
  if (rpc > worldSize || worldSize % rpc != 0)
    throwInput(
        "sweep.ranks_per_case: {} ranks per case, but the run has {} rank{}; give a divisor of {} (or 0 "
        "for all ranks)",
        rpc, worldSize, worldSize == 1 ? "" : "s", worldSize);
  const int groups = worldSize / rpc, group = worldRank / rpc;
  MPI_Comm gc = MPI_COMM_NULL;
  MPI_Comm_split(comm, group, worldRank, &gc);
  const bool groupRoot = rankOf(gc) == 0;

  std::vector<size_t> mine;
  for (size_t i = static_cast<size_t>(group); i < cases.size(); i += static_cast<size_t>(groups))
    mine.push_back(i);
  const double t0 = Log::elapsed();
  Json rows = Json::array();
  size_t done = 0;
  for (size_t i : mine) {
    const SweepCase& sc = cases[i];
    const std::filesystem::path caseDir = dir / sc.name;
    CaseInput ci{baseText, input.file, sc.overrides};
    ci.overrides.push_back(Override{"output.dir", YAML::Node(caseDir.string())});
    Json row;
    row["index"] = i;
    row["case"] = sc.name;
    row["dir"] = caseDir.string();
    row["group"] = group;
    row["ranks"] = rpc;
    Json inputs = Json::object();
    for (const auto& o : sc.overrides) inputs[o.path] = nodeText(o.value);
    row["inputs"] = inputs;
    row["start_unix"] = unixSeconds();
    const double tc = Log::elapsed();
    bool reused = false;
    Json results;
    try {
      const Case c = loadCase(gc, ci);
      std::string old;
      if (groupRoot)
        if (auto r = reusable(caseDir, c.inputText)) old = r->dump();
      old = broadcastString(gc, old);
      if (!old.empty()) {
        reused = true;
        results = Json::parse(old);
        row["status"] = "ok";
      } else {
        const CaseResult r = runCase(gc, c, caseDir);
        results = r.results;
        row["status"] = r.exitStatus == 0 ? "ok" : "failed";
        if (r.exitStatus != 0) {
          row["error"] = failures(r.results);
          row["error_kind"] = r.exitStatus == 2 ? "input" : "run";
        }
      }
    } catch (const InputError& e) {
      row["status"] = "failed";
      row["error"] = e.what();
      row["error_kind"] = "input";
    } catch (const std::exception& e) {
      row["status"] = "failed";
      row["error"] = e.what();
      row["error_kind"] = "run";
    }
    row["reused"] = reused;
    row["end_unix"] = unixSeconds();
    row["seconds"] = Log::elapsed() - tc;
    Json values = Json::array();
    if (!results.is_null())
      for (const auto& s : scalarResults(results)) values.push_back({s.path, s.unit, s.value});
    row["results"] = values;
    rows.push_back(row);
    ++done;
    if (groupRoot && Log::verbosity() >= 1) {
      const double elapsed = Log::elapsed() - t0;
      const double left = elapsed / static_cast<double>(done) * static_cast<double>(mine.size() - done);
      std::printf("%ssweep: case %zu of %zu (%s) %s in %.2f s; elapsed %.1f s, ~%.1f s remaining%s%s\n",
                  groups > 1 ? fmt::format("[group {}] ", group).c_str() : "", i + 1, cases.size(),
                  sc.name.c_str(),
                  reused ? "reused (complete, same inputs)" : row["status"].get<std::string>().c_str(),
                  row["seconds"].get<double>(), elapsed, left, row.contains("error") ? ": " : "",
                  row.contains("error") ? row["error"].get<std::string>().c_str() : "");
      std::fflush(stdout);
    }
  }
  MPI_Comm_free(&gc);

  // Rows to rank 0 (from each group's first rank), in case order.
  const auto parts = gatherStrings(comm, groupRoot ? rows.dump() : std::string());
  SweepResult out;
  std::exception_ptr err;
  if (worldRank == 0) {
    try {
      std::vector<Json> all;
      for (const auto& p : parts)
        if (!p.empty())
          for (const auto& r : Json::parse(p)) all.push_back(r);
      std::sort(all.begin(), all.end(), [](const Json& a, const Json& b) {
        return a["index"].get<size_t>() < b["index"].get<size_t>();
      });
      Json summary;
      summary["provenance"] = provenance(comm, sweepText);
      summary["provenance"]["case_file"] = input.file.string();
      summary["provenance"]["wall_seconds"] = Log::elapsed() - t0;
      summary["ranks_per_case"] = rpc;
      summary["cases"] = all;
      std::error_code ec;
      std::filesystem::create_directories(dir, ec);
      if (ec) throwInput("output.dir: cannot create '{}': {}", dir.string(), ec.message());
      writeFileAtomic(dir / "sweep.json", summary.dump(2) + "\n");
      writeFileAtomic(dir / "results.csv", sweepCsv(summary));
      out.summary = summary;
    } catch (...) {
      err = std::current_exception();
    }
  }
  rethrowCollective(comm, err);
  out.summary = Json::parse(broadcastString(comm, worldRank == 0 ? out.summary.dump() : std::string()));
  for (const auto& r : out.summary["cases"]) {
    if (r["status"] != "ok")
      ++out.failed;
    else if (r["reused"] == true)
      ++out.reused;
    else
      ++out.ran;
  }
  out.exitStatus = out.failed > 0 ? 1 : 0;
  Log::info("sweep: {} case{} ({} run, {} reused, {} failed); {}", out.summary["cases"].size(),
            out.summary["cases"].size() == 1 ? "" : "s", out.ran, out.reused, out.failed,
            (dir / "results.csv").string());
  return out;
}

std::string sweepCsv(const Json& summary) {
  std::vector<std::string> inputs;
  std::vector<std::pair<std::string, std::string>> columns;  // path, unit
  std::map<std::string, size_t> columnOf;
  for (const auto& r : summary["cases"]) {
    for (const auto& [k, v] : r["inputs"].items())
      if (std::find(inputs.begin(), inputs.end(), k) == inputs.end()) inputs.push_back(k);
    for (const auto& v : r["results"]) {
      const std::string path = v[0].get<std::string>();
      if (!columnOf.count(path)) {
        columnOf[path] = columns.size();
        columns.emplace_back(path, v[1].get<std::string>());
      }
    }
  }
  std::string csv = "case,status";
  auto cell = [&csv](const std::string& field) {
    csv.push_back(',');
    csv.append(field);
  };
  for (const auto& k : inputs) cell(csvField(k));
  for (const auto& [path, unit] : columns) cell(csvField(unit.empty() ? path : path + " [" + unit + "]"));
  csv.append(",error\n");
  for (const auto& r : summary["cases"]) {
    csv.append(csvField(r["case"].get<std::string>()));
    cell(r["status"].get<std::string>());
    for (const auto& k : inputs)
      cell(r["inputs"].contains(k) ? csvField(r["inputs"][k].get<std::string>()) : std::string());
    std::vector<std::string> cells(columns.size());
    for (const auto& v : r["results"]) cells[columnOf[v[0].get<std::string>()]] = csvField(csvValue(v[2]));
    for (const auto& c : cells) cell(c);
    cell(csvField(r.value("error", "")));
    csv.push_back('\n');
  }
  return csv;
}

}  // namespace ssb

// Parameter sweeps (issue 9): grid / zip / list expansion, a failing case recorded while the others finish,
// resume (complete cases with unchanged inputs reused, an edited case rerun), results.csv identical whether a
// case runs on 1 or 2 ranks, and ranks_per_case running two cases at once on groups of ranks.
//
// Analytic reference for the layered volume used below: layers stacked along z, LPS (label 1) 4 voxels,
// NMC (label 2) 12 voxels, period 16 = nz. Along x the layers are parallel conductors between the two
// Dirichlet faces; with no-flux sides the potential is linear in x in every layer, so
//   sigma_eff,x = (4 sigma_LPS + 12 sigma_NMC) / 16 = 0.25 sigma_LPS + 0.75 sigma_NMC,
// exactly, also in the cell-centred discretisation (no face between layers carries current).
#include <gtest/gtest.h>
#include <petscsys.h>

#include <fstream>
#include <sstream>

#include "solver/core/Error.hpp"
#include "solver/driver/Sweep.hpp"
#include "tests/TestSupport.hpp"

namespace ssb {
namespace {

int worldSize() {
  int s = 1;
  MPI_Comm_size(PETSC_COMM_WORLD, &s);
  return s;
}

std::string base() { return "sweep_np" + std::to_string(worldSize()); }

// A directory emptied of what an earlier run of the test left (resume would reuse it). Collective.
std::string fresh(const std::string& dir) {
  int rank = 0;
  MPI_Comm_rank(PETSC_COMM_WORLD, &rank);
  if (rank == 0) std::filesystem::remove_all(dir);
  MPI_Barrier(PETSC_COMM_WORLD);
  return dir;
}

const char* kLayers = R"(volume:
  generate: {kind: layers, shape: [16, 8, 8], thicknesses: [4, 12], layer_labels: [1, 2]}
  voxel_size: 1 um
phases:
  - {name: LPS, label: 1, role: electrolyte}
  - {name: NMC, label: 2, role: active}
studies:
  - {type: conductivity, name: ionic, conductivities: {LPS: 1, NMC: 0}, directions: [x], rtol: 1e-10}
output: {dir: DIR, fields: false}
)";

std::string layersCase(const std::string& dir, const std::string& sweep) {
  std::string t = kLayers;
  t.replace(t.find("DIR"), 3, dir);
  return t + sweep;
}

std::string readFile(const std::filesystem::path& p) {
  std::ifstream is(p);
  std::stringstream ss;
  ss << is.rdbuf();
  return ss.str();
}

std::vector<std::vector<std::string>> readCsv(const std::filesystem::path& p) {
  // The test's CSV has no quoted commas in the cells it reads (errors are the last column).
  std::vector<std::vector<std::string>> rows;
  std::istringstream is(readFile(p));
  std::string line;
  while (std::getline(is, line)) {
    std::vector<std::string> cells;
    std::string cell;
    bool quoted = false;
    for (char ch : line) {
      if (ch == '"')
        quoted = !quoted;
      else if (ch == ',' && !quoted) {
        cells.push_back(cell);
        cell.clear();
      } else
        cell += ch;
    }
    cells.push_back(cell);
    rows.push_back(cells);
  }
  return rows;
}

size_t column(const std::vector<std::string>& header, const std::string& name) {
  for (size_t i = 0; i < header.size(); ++i)
    if (header[i] == name) return i;
  ADD_FAILURE() << "no column " << name;
  return 0;
}

std::vector<std::string> paths(const SweepCase& c) {
  std::vector<std::string> out;
  for (const auto& o : c.overrides) out.push_back(o.path + "=" + o.value.Scalar());
  return out;
}

TEST(SweepExpand, GridIsTheCartesianProductLastKeyFastest) {
  const auto cases = expandSweep(YAML::Load("{grid: {a.b: [1, 2], 'c[0]': [x, y, z]}}"));
  ASSERT_EQ(cases.size(), 6u);
  EXPECT_EQ(cases[0].name, "case_0000");
  EXPECT_EQ(cases[5].name, "case_0005");
  EXPECT_EQ(paths(cases[0]), (std::vector<std::string>{"a.b=1", "c[0]=x"}));
  EXPECT_EQ(paths(cases[1]), (std::vector<std::string>{"a.b=1", "c[0]=y"}));
  EXPECT_EQ(paths(cases[3]), (std::vector<std::string>{"a.b=2", "c[0]=x"}));
  EXPECT_EQ(paths(cases[5]), (std::vector<std::string>{"a.b=2", "c[0]=z"}));
  // Values stay YAML nodes: a number reads as a number, a list stays a list.
  EXPECT_EQ(cases[3].overrides[0].value.as<double>(), 2.0);
  const auto lists = expandSweep(YAML::Load("{grid: {shape: [[4, 4, 4], [8, 8, 8]]}}"));
  ASSERT_EQ(lists.size(), 2u);
  EXPECT_TRUE(lists[1].overrides[0].value.IsSequence());
  EXPECT_EQ(lists[1].overrides[0].value[2].as<int>(), 8);
}

TEST(SweepExpand, ZipPairsListAndProducts) {
  const auto zip = expandSweep(YAML::Load("{zip: {a: [1, 2, 3], b: [4, 5, 6]}}"));
  ASSERT_EQ(zip.size(), 3u);
  EXPECT_EQ(paths(zip[2]), (std::vector<std::string>{"a=3", "b=6"}));
  const auto list = expandSweep(YAML::Load("{list: [{a: 1}, {a: 2, b: 7}]}"));
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(paths(list[1]), (std::vector<std::string>{"a=2", "b=7"}));
  // Several parts: grid x zip x list.
  const auto all =
      expandSweep(YAML::Load("{grid: {g: [1, 2]}, zip: {z: [5, 6, 7]}, list: [{l: a}, {l: b}]}"));
  ASSERT_EQ(all.size(), 12u);
  EXPECT_EQ(paths(all[0]), (std::vector<std::string>{"g=1", "z=5", "l=a"}));
  EXPECT_EQ(paths(all[11]), (std::vector<std::string>{"g=2", "z=7", "l=b"}));
}

TEST(SweepExpand, MalformedSweepsAreInputErrors) {
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"{}", "sweep: nothing to sweep"},
      {"{grid: {a: []}}", "sweep.grid.a: expected a non-empty list"},
      {"{grid: {a: 3}}", "sweep.grid.a: expected a non-empty list"},
      {"{zip: {a: [1, 2], b: [1]}}", "sweep.zip.b: 1 values, but sweep.zip.a has 2"},
      {"{list: []}", "sweep.list: expected a non-empty list"},
      {"{list: [5]}", "sweep.list[0]: expected a mapping"},
      {"{grid: {output.dir: [a, b]}}", "sweep.grid.output.dir: 'output.dir' cannot be swept"},
      {"{grid: {sweep.grid: [a, b]}}", "cannot be swept"},
      {"{grid: {a: [1]}, ranks_per_cas: 2}", "sweep.ranks_per_cas: unknown key"},
      {"{grid: {a: [1]}, ranks_per_case: -1}", "sweep.ranks_per_case"},
  };
  for (const auto& [yaml, want] : bad) {
    std::string got = "(no input error)";
    try {
      expandSweep(YAML::Load(yaml));
    } catch (const InputError& e) {
      got = e.what();
    }
    EXPECT_NE(got.find(want), std::string::npos) << yaml << "\n expected: " << want << "\n      got: " << got;
  }
}

TEST(Sweep, RanksPerCaseMustDivideTheRanks) {
  CaseInput in{
      layersCase(base() + "/divide", "sweep: {grid: {volume.voxel_size: [1 um]}, ranks_per_case: 3}\n"),
      "sweep.yaml",
      {}};
  try {
    runSweep(PETSC_COMM_WORLD, in);
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("sweep.ranks_per_case: 3 ranks per case, but the run has"),
              std::string::npos)
        << e.what();
  }
  // A path that does not fit the document is the sweep's error, before any case runs.
  in.text = layersCase(base() + "/badpath", "sweep:\n  grid:\n    studies[3].name: [a]\n");
  try {
    runSweep(PETSC_COMM_WORLD, in);
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("sweep (case_0000): studies[3].name: index 3 is past the end"),
              std::string::npos)
        << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(base() + "/badpath/case_0000"));
}

// Three cases, the second with a negative conductivity: it is recorded as failed with the input error and
// the others run. A rerun reuses the two complete cases (their results.json untouched) and tries the failed
// one again; editing the third case's value reruns only that one.
TEST(Sweep, FailingCaseRecordedAndResume) {
  const std::string dir = fresh(base() + "/resume");
  const std::string sweep1 =
      "sweep:\n  list:\n    - studies[0].conductivities.LPS: 1\n    - studies[0].conductivities.LPS: -1\n"
      "    - studies[0].conductivities.LPS: 4 S/m\n";
  CaseInput in{layersCase(dir, sweep1), "sweep.yaml", {}};
  const SweepResult r1 = runSweep(PETSC_COMM_WORLD, in);
  EXPECT_EQ(r1.ran, 2);
  EXPECT_EQ(r1.failed, 1);
  EXPECT_EQ(r1.reused, 0);
  EXPECT_EQ(r1.exitStatus, 1);
  MPI_Barrier(PETSC_COMM_WORLD);

  auto csv = readCsv(dir + "/results.csv");
  ASSERT_EQ(csv.size(), 4u);
  const auto& h = csv[0];
  const size_t sig = column(h, "ionic.directions.x.effective_conductivity [S/m]");
  const size_t tau = column(h, "ionic.directions.x.tortuosity_factor [1]");
  const size_t in0 = column(h, "studies[0].conductivities.LPS");
  const size_t vf = column(h, "volume.LPS.volume_fraction [1]");
  EXPECT_EQ(h[0], "case");
  EXPECT_EQ(h.back(), "error");
  EXPECT_EQ(csv[1][0], "case_0000");
  EXPECT_EQ(csv[1][1], "ok");
  EXPECT_EQ(csv[1][in0], "1");
  EXPECT_NEAR(std::stod(csv[1][sig]), 0.25, 1e-6);  // 0.25 sigma_LPS (header derivation)
  EXPECT_NEAR(std::stod(csv[1][tau]), 1.0, 1e-6);
  EXPECT_NEAR(std::stod(csv[1][vf]), 0.25, 1e-12);
  EXPECT_EQ(csv[2][1], "failed");
  EXPECT_EQ(csv[2][sig], "");
  EXPECT_NE(csv[2].back().find("studies[0].conductivities.LPS"), std::string::npos) << csv[2].back();
  EXPECT_EQ(csv[3][1], "ok");
  EXPECT_EQ(csv[3][in0], "4 S/m");
  EXPECT_NEAR(std::stod(csv[3][sig]), 1.0, 4e-6);
  // Solver diagnostics stay out of the table.
  for (const auto& c : h) EXPECT_EQ(c.find("seconds"), std::string::npos) << c;

  const std::string firstRun = readFile(dir + "/case_0000/results.json");
  const SweepResult r2 = runSweep(PETSC_COMM_WORLD, in);
  EXPECT_EQ(r2.reused, 2);
  EXPECT_EQ(r2.failed, 1);
  EXPECT_EQ(r2.ran, 0);
  EXPECT_EQ(readFile(dir + "/case_0000/results.json"), firstRun);  // not run again
  EXPECT_EQ(r2.summary["cases"][0]["reused"], true);

  const std::string sweep3 =
      "sweep:\n  list:\n    - studies[0].conductivities.LPS: 1\n    - studies[0].conductivities.LPS: -1\n"
      "    - studies[0].conductivities.LPS: 8 S/m\n";
  in.text = layersCase(dir, sweep3);
  const SweepResult r3 = runSweep(PETSC_COMM_WORLD, in);
  EXPECT_EQ(r3.reused, 1);
  EXPECT_EQ(r3.ran, 1);
  EXPECT_EQ(r3.summary["cases"][2]["reused"], false);
  MPI_Barrier(PETSC_COMM_WORLD);
  csv = readCsv(dir + "/results.csv");
  EXPECT_NEAR(std::stod(csv[3][sig]), 2.0, 8e-6);
  EXPECT_EQ(csv[3][in0], "8 S/m");
}

// The same grid on all ranks per case and on groups of one rank (two cases at once): results.csv is the same
// byte for byte, and with ranks_per_case: 1 the two cases ran on different groups at overlapping times.
TEST(Sweep, RankIndependentCsvAndRankGroups) {
  SSB_REQUIRE_SEVERAL_RANKS();
  const std::string text = R"(volume:
  generate: {kind: composite, shape: [16, 16, 16], seed: 1, radius: 3, active_fraction: 0.5, pore_fraction: 0.1, pore_radius: 2}
  voxel_size: 100 nm
phases:
  - {name: pore, label: 0, role: pore}
  - {name: LPS, label: 1, role: electrolyte}
  - {name: NMC, label: 2, role: active}
studies:
  - {type: conductivity, name: ionic, conductivities: {LPS: 0.3 mS/cm}, directions: [x, z], rtol: 1e-10}
output: {dir: DIR, fields: false}
sweep:
  grid: {volume.generate.seed: [1, 2]}
  ranks_per_case: RPC
)";
  auto make = [&](const std::string& dir, int rpc) {
    std::string t = text;
    t.replace(t.find("DIR"), 3, dir);
    t.replace(t.find("RPC"), 3, std::to_string(rpc));
    return CaseInput{t, "sweep.yaml", {}};
  };
  const SweepResult all = runSweep(PETSC_COMM_WORLD, make(fresh(base() + "/all"), 0));
  const SweepResult groups = runSweep(PETSC_COMM_WORLD, make(fresh(base() + "/groups"), 1));
  EXPECT_EQ(all.exitStatus, 0);
  EXPECT_EQ(groups.exitStatus, 0);
  MPI_Barrier(PETSC_COMM_WORLD);
  const std::string a = readFile(base() + "/all/results.csv"), g = readFile(base() + "/groups/results.csv");
  EXPECT_FALSE(a.empty());
  EXPECT_EQ(a, g);
  EXPECT_NE(a.find("ionic.directions.z.tortuosity_factor [1]"), std::string::npos);

  const Json& c0 = groups.summary["cases"][0];
  const Json& c1 = groups.summary["cases"][1];
  EXPECT_EQ(c0["group"], 0);
  EXPECT_EQ(c1["group"], 1);
  EXPECT_EQ(c0["ranks"], 1);
  // Overlapping [start, end] intervals: the cases ran at the same time.
  EXPECT_LT(c0["start_unix"].get<double>(), c1["end_unix"].get<double>());
  EXPECT_LT(c1["start_unix"].get<double>(), c0["end_unix"].get<double>());
  for (const char* c : {"case_0000", "case_0001"}) {
    std::ifstream is(base() + "/groups/" + c + "/results.json");
    ASSERT_TRUE(is.good()) << c;
    EXPECT_EQ(Json::parse(is)["provenance"]["mpi_ranks"], 1) << c;
  }
  EXPECT_EQ(all.summary["cases"][0]["ranks"], worldSize());
}

}  // namespace
}  // namespace ssb

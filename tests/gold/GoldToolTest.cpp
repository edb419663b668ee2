// The gold-compare tool itself: path patterns expand to the values they name, a run equal to its gold passes,
// and each way a result can drift fails with the value named: beyond tolerance, a value or table row that
// appears or disappears, a changed string.
#include <gtest/gtest.h>

#include <fstream>

#include "tests/gold/GoldCompare.hpp"

using ssb::Json;
using namespace ssb::gold;
namespace fs = std::filesystem;

namespace {

const char* kResults =
    R"({"volume": {"phases": [{"name": "pore", "volume_fraction": 0.25}, {"name": "LPS", "volume_fraction": 0.75}]},
 "studies": [{"name": "ionic", "status": "ok", "directions": {"x": {"tortuosity_factor": 1.5, "percolates": true},
                                                            "y": {"tortuosity_factor": 2.0, "percolates": true}}},
             {"name": "morph", "status": "ok", "count": 7}]})";

const char* kCsv = "slice,position_m,pore\n0,1e-07,0.25\n1,3e-07,0.5\n";

Json spec() {
  return Json::parse(R"({"requirement": "test", "gold": "unused",
    "json": [{"path": "volume.phases[*].volume_fraction", "abs": 0},
             {"path": "studies[name=ionic].directions.*.tortuosity_factor", "rel": 1e-6},
             {"path": "studies[name=ionic].directions.*.percolates"},
             {"path": "studies[name=morph].status"}],
    "csv": [{"file": "slices.csv", "columns": ["pore"], "rel": 1e-9}]})");
}

fs::path runDir(const std::string& name, const std::string& results, const std::string& csv) {
  const fs::path d = fs::path("gold_tool_runs") / name;
  fs::create_directories(d);
  std::ofstream(d / "results.json") << results;
  std::ofstream(d / "slices.csv") << csv;
  return d;
}

std::string replace(std::string s, const std::string& a, const std::string& b) {
  const auto i = s.find(a);
  EXPECT_NE(i, std::string::npos) << a;
  return s.replace(i, a.size(), b);
}

Outcome against(const std::string& results, const std::string& csv = kCsv) {
  const Json gold = collect(spec(), runDir("reviewed", kResults, kCsv));
  return compare(spec(), gold, runDir("candidate", results, csv));
}

bool mentions(const Outcome& o, const std::string& what) {
  for (const auto& f : o.failures)
    if (f.find(what) != std::string::npos) return true;
  return false;
}

}  // namespace

TEST(GoldTool, PatternsExpandToTheNamedValues) {
  const Json doc = Json::parse(kResults);
  auto v = expand(doc, "studies[name=ionic].directions.*.tortuosity_factor");
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0].first, "studies[name=ionic].directions.x.tortuosity_factor");
  EXPECT_EQ(v[0].second, 1.5);
  EXPECT_EQ(v[1].first, "studies[name=ionic].directions.y.tortuosity_factor");
  v = expand(doc, "volume.phases[*].volume_fraction");
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[1].first, "volume.phases[1].volume_fraction");
  EXPECT_EQ(expand(doc, "studies[1].count")[0].second, 7);
  EXPECT_TRUE(expand(doc, "studies[name=nothing].count").empty());
  EXPECT_TRUE(expand(doc, "volume.missing").empty());
}

TEST(GoldTool, EqualRunPassesAndToleranceIsApplied) {
  Outcome same = against(kResults);
  EXPECT_TRUE(same.failures.empty()) << same.failures.front();
  EXPECT_EQ(same.compared, 2 + 2 + 2 + 1 + 2);
  // tau 1.5 -> 1.5 * (1 + 5e-7): within rel 1e-6; 1.5 * (1 + 2e-6): not.
  EXPECT_TRUE(against(replace(kResults, "1.5,", "1.50000075,")).failures.empty());
  const Outcome off = against(replace(kResults, "1.5,", "1.500003,"));
  EXPECT_TRUE(mentions(off, "studies[name=ionic].directions.x.tortuosity_factor: 1.500003"))
      << off.failures.size();
  // abs 0: any change of a volume fraction fails.
  EXPECT_TRUE(mentions(against(replace(kResults, "0.25}", "0.2500000000000001}")),
                       "volume.phases[0].volume_fraction"));
}

TEST(GoldTool, ValuesThatAppearOrDisappearFail) {
  const std::string noY = replace(kResults, R"(,
                                                            "y": {"tortuosity_factor": 2.0, "percolates": true})",
                                  "");
  EXPECT_TRUE(
      mentions(against(noY),
               "studies[name=ionic].directions.y.tortuosity_factor: in the gold file but not in the run"));
  const std::string withZ =
      replace(kResults, R"("percolates": true}}})",
              R"("percolates": true}, "z": {"tortuosity_factor": 3.0, "percolates": false}}})");
  EXPECT_TRUE(
      mentions(against(withZ), "directions.z.tortuosity_factor: in the run but not in the gold file"));
  EXPECT_TRUE(
      mentions(against(replace(kResults, R"("status": "ok", "count")", R"("status": "failed", "count")")),
               R"(studies[name=morph].status: "failed" vs gold "ok")"));
  EXPECT_TRUE(
      mentions(against(replace(kResults, R"("name": "ionic")", R"("name": "ionic2")")), "selects nothing"));
}

TEST(GoldTool, CsvColumnsAndRows) {
  EXPECT_TRUE(mentions(against(kResults, replace(kCsv, "0.5\n", "0.5000001\n")), "slices.csv row 2 pore"));
  EXPECT_TRUE(
      mentions(against(kResults, std::string(kCsv) + "2,5e-07,0.75\n"), "slices.csv: 3 rows vs gold 2"));
  EXPECT_TRUE(against(kResults, replace(kCsv, "0.5\n", "0.5000000000001\n")).failures.empty());
}

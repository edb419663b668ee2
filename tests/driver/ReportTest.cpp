// `ssbvox report` (issue 9): the Bruggeman fit, the report of a synthetic sweep folder (results.csv,
// sweep.json and case folders with a measured comparison), a single case, a calibration, a folder of result
// folders, and one test per bad input.
//
// Analytic reference for the fit: with tau = gamma eps^(1 - alpha) exactly, log tau = log gamma +
// (1 - alpha) log eps is a straight line in log eps, so linear least squares returns slope 1 - alpha and
// intercept log gamma up to rounding, with zero residual (R^2 = 1).
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "solver/core/Error.hpp"
#include "solver/core/Json.hpp"
#include "solver/driver/ReportCommand.hpp"

namespace ssb {
namespace {

namespace fs = std::filesystem;

fs::path fresh(const std::string& name) {
  const fs::path d = fs::path("report_test") / name;
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

void writeText(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream os(p, std::ios::binary);
  os << text;
}

std::string readText(const fs::path& p) {
  std::ifstream is(p);
  std::stringstream ss;
  ss << is.rdbuf();
  return ss.str();
}

bool nonEmptyFile(const fs::path& p) { return fs::is_regular_file(p) && fs::file_size(p) > 0; }

// The message of the InputError that writeReport throws (fails the test when it throws nothing or another).
std::string inputErrorOf(const ReportOptions& opt) {
  try {
    writeReport(opt);
  } catch (const InputError& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "not an InputError: " << e.what();
    return "";
  }
  ADD_FAILURE() << "no error for " << opt.dir;
  return "";
}

constexpr double kGamma = 1.3, kAlpha = 1.8;
const std::vector<double> kEps = {0.2, 0.3, 0.45, 0.6, 0.8};
double tauOf(double eps) { return kGamma * std::pow(eps, 1.0 - kAlpha); }

TEST(Bruggeman, RecoversExponentAndPrefactorOfExactData) {
  std::vector<double> tau;
  for (double e : kEps) tau.push_back(tauOf(e));
  const BruggemanFit f = fitBruggeman(kEps, tau);
  EXPECT_NEAR(f.alpha, kAlpha, 1e-10);
  EXPECT_NEAR(f.gamma, kGamma, 1e-10);
  EXPECT_NEAR(f.rSquared, 1.0, 1e-12);
  EXPECT_EQ(f.points, 5u);
  // Classical Bruggeman data: alpha 1.5, gamma 1.
  std::vector<double> classic;
  for (double e : kEps) classic.push_back(std::pow(e, -0.5));
  const BruggemanFit c = fitBruggeman(kEps, classic);
  EXPECT_NEAR(c.alpha, 1.5, 1e-10);
  EXPECT_NEAR(c.gamma, 1.0, 1e-10);
}

TEST(Bruggeman, LeavesOutUnusablePointsAndNeedsTwoVolumeFractions) {
  std::vector<double> eps = kEps, tau;
  for (double e : kEps) tau.push_back(tauOf(e));
  eps.push_back(0.1);
  tau.push_back(NAN);  // a volume that does not percolate
  eps.push_back(0.0);
  tau.push_back(3.0);
  const BruggemanFit f = fitBruggeman(eps, tau);
  EXPECT_EQ(f.points, 5u);
  EXPECT_NEAR(f.alpha, kAlpha, 1e-10);
  // Noisy data: R^2 below 1.
  std::vector<double> noisy;
  for (std::size_t i = 0; i < kEps.size(); ++i) noisy.push_back(tauOf(kEps[i]) * (i % 2 ? 1.1 : 0.9));
  EXPECT_LT(fitBruggeman(kEps, noisy).rSquared, 0.99);
  EXPECT_THROW(fitBruggeman({0.3, 0.3}, {2.0, 2.5}), InputError);
  EXPECT_THROW(fitBruggeman({0.3, 0.4}, {2.0, NAN}), InputError);
  EXPECT_THROW(fitBruggeman({0.3, 0.4}, {2.0}), InputError);
}

TEST(ReportCsv, QuotedCellsAndRowLengths) {
  const auto rows = parseCsv("a,b,c\n1,\"x, \"\"y\"\"\nz\",3\r\n", "t.csv");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1][1], "x, \"y\"\nz");
  EXPECT_EQ(rows[1][2], "3");
  try {
    parseCsv("a,b,c\n1,\"two\nlines\",3\n4,5\n", "some/results.csv");
    FAIL() << "no error for a short row";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("some/results.csv line 4: 2 cells, but the header has 3"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(parseCsv("a,b\n1,\"open\n", "t.csv"), InputError);
}

// A sweep over eps (swept as pore_fraction) and two seeds with exact Bruggeman tortuosity factors, one
// failed case, and a measured conductivity in each ok case's results.json.
fs::path writeSweep(const std::string& name) {
  const fs::path d = fresh(name);
  std::string csv =
      "case,status,volume.generate.pore_fraction,volume.generate.seed,ionic.directions.z.volume_fraction [1],"
      "ionic.directions.z.tortuosity_factor [1],ionic.directions.z.effective_conductivity [S/m],"
      "ionic.directions.z.effective_conductivity.measured [S/m],"
      "ionic.directions.z.effective_conductivity.uncertainty [S/m],"
      "ionic.directions.z.effective_conductivity.ratio [1],"
      "ionic.directions.z.effective_conductivity.within_uncertainty,error\n";
  Json sweep;
  sweep["provenance"] = {{"program", "ssbvox"}, {"case_file", "inputs/synthetic_sweep.yaml"}};
  sweep["cases"] = Json::array();
  int k = 0;
  for (double eps : kEps)
    for (int seed : {1, 2}) {
      const std::string c = fmt::format("case_{:04d}", k++);
      const double tau = tauOf(eps), sigma = 0.03 * eps / tau;
      const double measured = 0.0059, unc = 0.0005;
      csv += fmt::format("{},ok,{:.6g},{},{:.6g},{:.6g},{:.6g},{},{},{:.6g},{},\n", c, 1.0 - eps, seed, eps,
                         tau, sigma, measured, unc, sigma / measured,
                         std::abs(sigma - measured) <= unc ? "true" : "false");
      // The recorded folder is where the sweep ran; the report finds the case next to results.csv.
      sweep["cases"].push_back({{"case", c},
                                {"dir", "/elsewhere/" + c},
                                {"status", "ok"},
                                {"inputs",
                                 {{"volume.generate.pore_fraction", fmt::format("{:.6g}", 1.0 - eps)},
                                  {"volume.generate.seed", std::to_string(seed)}}}});
      Json r;
      r["complete"] = true;
      r["measured"] = Json::array();
      r["measured"].push_back({{"result", "ionic.directions.z.effective_conductivity"},
                               {"simulated", sigma},
                               {"measured", measured},
                               {"uncertainty", unc},
                               {"unit", "S/m"},
                               {"ratio", sigma / measured},
                               {"within_uncertainty", std::abs(sigma - measured) <= unc},
                               {"source", "Thesis Table 6, sample " + c},
                               {"as_given", "0.059 +- 0.005 mS/cm"}});
      writeText(d / c / "results.json", r.dump(2));
    }
  csv += "case_0010,failed,0.5,1,,,,,,,,\"study 'ionic': does not percolate, \"\"z\"\"\"\n";
  sweep["cases"].push_back(
      {{"case", "case_0010"},
       {"dir", "/elsewhere/case_0010"},
       {"status", "failed"},
       {"inputs", {{"volume.generate.pore_fraction", "0.5"}, {"volume.generate.seed", "1"}}}});
  writeText(d / "results.csv", csv);
  writeText(d / "sweep.json", sweep.dump(2));
  return d;
}

TEST(Report, SweepFolderHasFitMeasuredTableAndCharts) {
  const fs::path d = writeSweep("sweep");
  ReportOptions opt;
  opt.dir = d;
  const fs::path md = writeReport(opt);
  EXPECT_EQ(md, d / "report.md");
  const std::string text = readText(md);
  EXPECT_NE(text.find("Case file: `inputs/synthetic_sweep.yaml`"), std::string::npos);
  EXPECT_NE(text.find("Cases: 11 (10 ok, 1 failed)"), std::string::npos);
  EXPECT_NE(text.find("- case_0010: study 'ionic': does not percolate, \"z\""), std::string::npos);
  // The fit: alpha 1.8, gamma 1.3 over the ten ok cases, R^2 1.
  EXPECT_NE(text.find("| ionic.directions.z.tortuosity_factor | 10 | 1.8 | 1.3 | 1 | below |"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("alpha = 1.8 (dimensionless), gamma = 1.3 (dimensionless), R^2 = 1, 10 points"),
            std::string::npos);
  // The measured row of case_0004 (eps 0.45): sigma = 0.03 * 0.45 / (1.3 * 0.45^-0.8).
  const double sigma = 0.03 * 0.45 / tauOf(0.45);
  const std::string row = fmt::format(
      "| case_0004 | ionic.directions.z.effective_conductivity | {:.5g} | 0.0059 ± 0.0005 | S/m | {:.5g} | "
      "{} | "
      "Thesis Table 6, sample case_0004 |",
      sigma, sigma / 0.0059, std::abs(sigma - 0.0059) <= 0.0005 ? "yes" : "no");
  EXPECT_NE(text.find(row), std::string::npos) << row << "\n" << text;
  // Units in the tables' headers, seeds as series not axes.
  EXPECT_NE(text.find("ionic.directions.z.effective_conductivity [S/m]"), std::string::npos);
  EXPECT_NE(text.find("`volume.generate.seed` labels replicas"), std::string::npos);
  for (const char* png : {"bruggeman_ionic_directions_z.png", "parity_S_m.png",
                          "ionic_directions_z_tortuosity_factor_vs_volume_generate_pore_fraction.png"}) {
    EXPECT_TRUE(nonEmptyFile(d / "report" / png)) << png;
    EXPECT_NE(text.find(std::string("(report/") + png + ")"), std::string::npos) << png;
  }
}

TEST(Report, SelectionCapAndOutputFile) {
  const fs::path d = writeSweep("sweep_selected");
  ReportOptions opt;
  opt.dir = d;
  opt.out = fs::path("report_test") / "elsewhere" / "sel.md";
  opt.ySelect = {"tortuosity", "effective_conductivity"};
  opt.maxPlots = 1;
  writeReport(opt);
  const std::string text = readText(opt.out);
  EXPECT_TRUE(
      nonEmptyFile(fs::path("report_test") / "elsewhere" / "sel" / "bruggeman_ionic_directions_z.png"));
  EXPECT_NE(text.find("(sel/ionic_directions_z_tortuosity_factor_vs_volume_generate_pore_fraction.png)"),
            std::string::npos)
      << text;
  // Two charts selected (the comparison columns .measured / .ratio are in the measured table, not charted):
  // one drawn, one listed.
  EXPECT_NE(text.find("1 more chart left out"), std::string::npos) << text;
  EXPECT_EQ(text.find("effective_conductivity.ratio` vs"), std::string::npos);
  EXPECT_NE(text.find("`ionic.directions.z.effective_conductivity` vs `volume.generate.pore_fraction`"),
            std::string::npos);
  EXPECT_EQ(text.find("effective_conductivity_vs_"), std::string::npos);
  opt.xColumn = "volume.generate.nothing";
  writeReport(opt);
  EXPECT_NE(readText(opt.out).find("`--x volume.generate.nothing` is not a swept input"), std::string::npos);
}

const char* kCase = R"({
  "provenance": {"case_file": "inputs/one.yaml", "version": "0.1.0"},
  "complete": true,
  "volume": {"phases": [{"name": "LPS", "volume_fraction": 0.4}]},
  "studies": [{"name": "ionic", "type": "conductivity", "status": "ok",
               "units": {"effective_conductivity": "S/m", "tortuosity_factor": "1"},
               "directions": {"x": {"effective_conductivity": 0.0061234567, "tortuosity_factor": 2.5,
                                    "iterations": 12}}}],
  "measured": [{"result": "ionic.directions.x.effective_conductivity", "simulated": 0.0061234567,
                "measured": 0.0059, "uncertainty": 0.0, "unit": "S/m", "ratio": 1.0378740169,
                "within_uncertainty": false, "source": "Paper A"}]
})";

const char* kCalibration = R"({
  "provenance": {"case_file": "inputs/cal.yaml"},
  "complete": true,
  "calibration": {
    "method": "brent", "converged": true, "iterations": 3, "evaluations_count": 4,
    "parameters": [{"path": "studies[0].conductivities.LPS", "value": 0.0123, "min": 0.001, "max": 1.0}],
    "targets": [{"result": "ionic.directions.x.effective_conductivity", "measured": 0.003075,
                 "simulated": 0.003075}],
    "residual": 1e-12, "residual_definition": "2-norm of (simulated - measured) / |measured| over the targets",
    "best_evaluation": 3, "best_dir": "somewhere/eval_003",
    "evaluations": [
      {"index": 0, "dir": "x/eval_000", "parameters": {"studies[0].conductivities.LPS": 0.001},
       "simulated": {"ionic.directions.x.effective_conductivity": 0.00025}, "residual": 0.918699},
      {"index": 1, "dir": "x/eval_001", "parameters": {"studies[0].conductivities.LPS": 1.0},
       "simulated": {"ionic.directions.x.effective_conductivity": 0.25}, "residual": 80.3},
      {"index": 2, "dir": "x/eval_002", "parameters": {"studies[0].conductivities.LPS": 0.0125},
       "simulated": {"ionic.directions.x.effective_conductivity": 0.003125}, "residual": 0.01626},
      {"index": 3, "dir": "x/eval_003", "parameters": {"studies[0].conductivities.LPS": 0.0123},
       "simulated": {"ionic.directions.x.effective_conductivity": 0.003075}, "residual": 1e-12}]
  }
})";

TEST(Report, SingleCaseCalibrationAndFolderOfFolders) {
  const fs::path d = fresh("many");
  writeText(d / "b_case" / "results.json", kCase);
  writeText(d / "a_cal" / "results.json", kCalibration);
  writeText(d / "a_cal" / "eval_003" / "results.json",
            R"({"measured": [{"result": "ionic.directions.x.effective_conductivity", "unit": "S/m",
                "simulated": 0.003075, "measured": 0.003075, "uncertainty": 0, "ratio": 1,
                "within_uncertainty": true, "source": "fit target"}]})");
  fs::create_directories(d / "empty");
  ReportOptions opt;
  opt.dir = d;
  const std::string text = readText(writeReport(opt));
  // Sections sorted by name.
  const auto cal = text.find("## Calibration: a_cal"), one = text.find("## Case: b_case");
  ASSERT_NE(cal, std::string::npos) << text;
  ASSERT_NE(one, std::string::npos) << text;
  EXPECT_LT(cal, one);
  // Single case: every scalar result with its unit (diagnostics such as iterations left out).
  EXPECT_NE(text.find("| ionic.directions.x.effective_conductivity | 0.0061235 | S/m |"), std::string::npos);
  EXPECT_NE(text.find("| volume.LPS.volume_fraction | 0.4 | 1 |"), std::string::npos);
  EXPECT_EQ(text.find("iterations |"), std::string::npos);
  EXPECT_NE(
      text.find("| ionic.directions.x.effective_conductivity | 0.0061235 | 0.0059 ± 0 | S/m | 1.0379 | no | "
                "Paper A |"),
      std::string::npos)
      << text;
  // Calibration: fitted input, target with its unit from the best evaluation, every evaluation, the chart.
  EXPECT_NE(text.find("| studies[0].conductivities.LPS | 0.0123 | 0.001 | 1 |"), std::string::npos);
  EXPECT_NE(text.find("| ionic.directions.x.effective_conductivity | 0.003075 | 0.003075 | S/m | 1 |"),
            std::string::npos);
  EXPECT_NE(text.find("| 1 | 1 | 0.25 | 80.3 |"), std::string::npos);
  EXPECT_NE(text.find("converged after 3 iterations and 4 evaluations"), std::string::npos);
  EXPECT_TRUE(nonEmptyFile(d / "report" / "a_cal_calibration_residual.png"));
}

TEST(Report, BadInputsNameTheFile) {
  ReportOptions opt;
  opt.dir = "report_test/no_such_folder";
  EXPECT_NE(inputErrorOf(opt).find("no directory 'report_test/no_such_folder'"), std::string::npos);

  opt.dir = fresh("nothing");
  fs::create_directories(opt.dir / "sub");
  const std::string none = inputErrorOf(opt);
  EXPECT_NE(none.find("report_test/nothing' holds no results"), std::string::npos) << none;
  EXPECT_NE(none.find("results.csv"), std::string::npos);
  EXPECT_NE(none.find("results.json"), std::string::npos);

  opt.dir = writeSweep("short_row");
  std::string csv = readText(opt.dir / "results.csv");
  csv += "case_0011,ok,0.5\n";
  writeText(opt.dir / "results.csv", csv);
  const std::string shortRow = inputErrorOf(opt);
  EXPECT_NE(shortRow.find("short_row/results.csv line 13: 3 cells, but the header has 12"), std::string::npos)
      << shortRow;

  opt.dir = writeSweep("bad_sweep_json");
  writeText(opt.dir / "sweep.json", "{\"cases\": [");
  EXPECT_NE(inputErrorOf(opt).find("bad_sweep_json/sweep.json is not valid JSON"), std::string::npos);

  opt.dir = writeSweep("bad_case_json");
  writeText(opt.dir / "case_0003" / "results.json", "{not json");
  EXPECT_NE(inputErrorOf(opt).find("bad_case_json/case_0003/results.json is not valid JSON"),
            std::string::npos);

  opt.dir = fresh("bad_results_json");
  writeText(opt.dir / "results.json", "");
  EXPECT_NE(inputErrorOf(opt).find("bad_results_json/results.json is not valid JSON"), std::string::npos);
}

}  // namespace
}  // namespace ssb

// Measured values and calibration (issue 9).
//
// Analytic references on a layered volume: layers stacked along z, LPS (label 1) 4 voxels and NMC (label 2)
// 12 voxels, period 16 = nz, voxel-centred FV with harmonic face conductances and the `face` convention
// (Dirichlet on the domain faces):
//   along x (parallel conductors, linear potential in every layer):
//     sigma_x = (4 sigma_LPS + 12 sigma_NMC) / 16 = 0.25 sigma_LPS + 0.75 sigma_NMC
//   along z (series): the current is uniform and each voxel adds h / sigma of its phase (the half voxels at
//   the two Dirichlet faces and the harmonic face conductances add up to exactly that), so
//     1 / sigma_z = (4 / sigma_LPS + 12 / sigma_NMC) / 16 = 0.25 / sigma_LPS + 0.75 / sigma_NMC.
// A "measurement" computed from these formulas at known conductivities must be matched by the fit.
#include <gtest/gtest.h>
#include <petscsys.h>

#include <fstream>

#include "solver/core/Error.hpp"
#include "solver/driver/Calibration.hpp"
#include "solver/driver/CaseRunner.hpp"
#include "solver/driver/Measured.hpp"
#include "tests/TestSupport.hpp"

namespace ssb {
namespace {

int worldSize() {
  int s = 1;
  MPI_Comm_size(PETSC_COMM_WORLD, &s);
  return s;
}
std::string base() { return "calib_np" + std::to_string(worldSize()); }

std::string layers(const std::string& dir, const std::string& conductivities, const std::string& directions,
                   const std::string& tail) {
  return "volume:\n"
         "  generate: {kind: layers, shape: [16, 8, 8], thicknesses: [4, 12], layer_labels: [1, 2]}\n"
         "  voxel_size: 1 um\n"
         "phases:\n"
         "  - {name: LPS, label: 1, role: electrolyte}\n"
         "  - {name: NMC, label: 2, role: active}\n"
         "studies:\n"
         "  - {type: conductivity, name: ionic, conductivities: " +
         conductivities + ", directions: " + directions +
         ", rtol: 1e-12}\n"
         "output: {dir: " +
         dir + ", fields: false}\n" + tail;
}

CaseResult run(const std::string& text) {
  const Case c = loadCase(PETSC_COMM_WORLD, CaseInput{text, "measured.yaml", {}});
  return runCase(PETSC_COMM_WORLD, c, c.output.dir);
}

// sigma_LPS = 1 S/m: sigma_x = 0.25 S/m = 2.5 mS/cm. Measured 2.6 +- 0.2 mS/cm: ratio 2.5 / 2.6, within;
// the same value +- 0.05 mS/cm: not within. Converted to the result's unit (S/m).
TEST(Measured, ComparedWithUnitsRatioAndUncertainty) {
  const CaseResult r =
      run(layers(base() + "/measured", "{LPS: 1, NMC: 0}", "[x]",
                 "measured:\n"
                 "  - {result: ionic.directions.x.effective_conductivity, value: 2.6, "
                 "uncertainty: 0.2, unit: mS/cm, source: test bench}\n"
                 "  - {result: volume.LPS.volume_fraction, value: 26, uncertainty: 0.5, unit: "
                 "'%'}\n"));
  EXPECT_EQ(r.exitStatus, 0);
  ASSERT_EQ(r.results["measured"].size(), 2u);
  const Json& m = r.results["measured"][0];
  EXPECT_EQ(m["unit"], "S/m");
  EXPECT_NEAR(m["simulated"].get<double>(), 0.25, 1e-9);
  EXPECT_NEAR(m["measured"].get<double>(), 0.26, 1e-15);
  EXPECT_NEAR(m["uncertainty"].get<double>(), 0.02, 1e-15);
  EXPECT_NEAR(m["ratio"].get<double>(), 0.25 / 0.26, 1e-8);
  EXPECT_EQ(m["within_uncertainty"], true);
  EXPECT_EQ(m["source"], "test bench");
  const Json& v = r.results["measured"][1];  // 0.25 against 0.26 +- 0.005: outside
  EXPECT_NEAR(v["ratio"].get<double>(), 0.25 / 0.26, 1e-12);
  EXPECT_EQ(v["within_uncertainty"], false);
  // results.json holds the comparison, and its flattened form names the columns of a sweep.
  MPI_Barrier(PETSC_COMM_WORLD);
  std::ifstream is(base() + "/measured/results.json");
  EXPECT_EQ(Json::parse(is)["measured"], r.results["measured"]);
  bool ratio = false;
  for (const auto& s : scalarResults(r.results))
    ratio = ratio || (s.path == "ionic.directions.x.effective_conductivity.ratio" && s.unit == "1");
  EXPECT_TRUE(ratio);
}

TEST(Measured, BadEntriesAreInputErrors) {
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"  - {result: a.b, value: 1, unit: mS/cx}", "measured[0].unit"},
      {"  - {result: a.b, value: 0}", "measured[0].value: zero"},
      {"  - {result: a.b, value: 1, uncertainty: -1}", "measured[0].uncertainty"},
      {"  - {result: a.b, value: 1}\n  - {result: a.b, value: 2}",
       "measured[1].result: 'a.b' is measured twice"},
      {"  - {value: 1}", "measured[0].result: required key is missing"},
      {"  - {result: a.b, value: 1, unit: S/m, color: red}", "measured[0].color: unknown key"},
  };
  for (const auto& [entries, want] : bad) {
    std::string got = "(no input error)";
    try {
      loadCase(PETSC_COMM_WORLD,
               CaseInput{layers("unused", "{LPS: 1}", "[x]", "measured:\n" + entries + "\n"), "m.yaml", {}});
    } catch (const InputError& e) {
      got = e.what();
    }
    EXPECT_NE(got.find(want), std::string::npos)
        << entries << "\n expected: " << want << "\n      got: " << got;
  }
  // Found only with the results: a missing result path and a unit of another dimension. The studies' results
  // are kept, the comparison records the error and the exit status says input error.
  const CaseResult r =
      run(layers(base() + "/measured_bad", "{LPS: 1}", "[x]",
                 "measured:\n"
                 "  - {result: ionic.directions.y.effective_conductivity, value: 1, unit: S/m}\n"
                 "  - {result: ionic.directions.x.effective_conductivity, value: 1, unit: m}\n"));
  EXPECT_EQ(r.exitStatus, 2);
  EXPECT_EQ(r.results["studies"][0]["status"], "ok");
  const std::string e0 = r.results["measured"][0].value("error", "");
  const std::string e1 = r.results["measured"][1].value("error", "");
  EXPECT_NE(e0.find("measured[0].result: no scalar result 'ionic.directions.y.effective_conductivity'"),
            std::string::npos)
      << e0;
  EXPECT_NE(e0.find("ionic.directions.x.effective_conductivity"), std::string::npos) << e0;  // the known ones
  EXPECT_NE(e1.find("measured[1].unit: 'm' is"), std::string::npos) << e1;
}

// One input: sigma_LPS* = 0.0123 S/m gives sigma_x = 0.25 sigma_LPS* = 3.075e-3 S/m (0.03075 mS/cm). Brent
// on [1e-3, 1] S/m recovers sigma_LPS* to 1e-4 (the solve's error is ~1e-12).
TEST(Calibration, RecoversBulkConductivityFromSyntheticMeasurement) {
  const double truth = 0.0123;
  const std::string text =
      layers(base() + "/one", "{LPS: 0.5, NMC: 0}", "[x]",
             fmt::format("measured:\n"
                         "  - {{result: ionic.directions.x.effective_conductivity, value: "
                         "{:.17g}, unit: mS/cm, source: 0.25 sigma}}\n"
                         "calibrate:\n"
                         "  parameters:\n"
                         "    - {{path: 'studies[0].conductivities.LPS', min: 1e-3, max: 1}}\n"
                         "  targets: [ionic.directions.x.effective_conductivity]\n",
                         0.25 * truth * 10.0));
  const CalibrationResult r = runCalibration(PETSC_COMM_WORLD, CaseInput{text, "calib.yaml", {}});
  const Json& c = r.record["calibration"];
  EXPECT_EQ(r.exitStatus, 0);
  EXPECT_EQ(c["method"], "brent");
  EXPECT_EQ(c["converged"], true);
  const double fit = c["parameters"][0]["value"].get<double>();
  EXPECT_NEAR(fit, truth, 1e-4 * truth);
  EXPECT_LT(c["residual"].get<double>(), 1e-6);
  EXPECT_GE(c["evaluations"].size(), 3u);  // both ends of the bracket and at least one inner point
  EXPECT_EQ(c["evaluations"][0]["parameters"]["studies[0].conductivities.LPS"], 1e-3);
  EXPECT_LE(c["evaluations"].size(), 20u);
  MPI_Barrier(PETSC_COMM_WORLD);
  std::ifstream is(base() + "/one/results.json");
  ASSERT_TRUE(is.good());
  EXPECT_EQ(Json::parse(is)["calibration"]["parameters"], c["parameters"]);
  EXPECT_TRUE(std::filesystem::exists(c["best_dir"].get<std::string>() + "/results.json"));
}

// Two inputs from two directions: sigma_LPS* = 0.02, sigma_NMC* = 0.003 S/m give sigma_x = 7.25e-3 S/m and
// sigma_z = 1 / (0.25 / 0.02 + 0.75 / 0.003) = 1 / 262.5 S/m. The two equations have a second solution
// (eliminating sigma_NMC leaves a quadratic in sigma_LPS): sigma_LPS = 1.381e-3, sigma_NMC = 9.206e-3 S/m.
// The ranges say which one is meant (LPS conducts better than NMC, split at 5e-3 S/m); least squares then
// recovers both to 1e-4.
TEST(Calibration, RecoversTwoConductivitiesByLeastSquares) {
  const double s1 = 0.02, s2 = 0.003;
  const double sx = 0.25 * s1 + 0.75 * s2, sz = 1.0 / (0.25 / s1 + 0.75 / s2);
  const std::string text =
      layers(base() + "/two", "{LPS: 1, NMC: 1}", "[x, z]",
             fmt::format("measured:\n"
                         "  - {{result: ionic.directions.x.effective_conductivity, value: "
                         "{:.17g}, unit: S/m}}\n"
                         "  - {{result: ionic.directions.z.effective_conductivity, value: "
                         "{:.17g}, unit: S/m}}\n"
                         "calibrate:\n"
                         "  parameters:\n"
                         "    - {{path: 'studies[0].conductivities.LPS', min: 5e-3, max: 1}}\n"
                         "    - {{path: 'studies[0].conductivities.NMC', min: 1e-4, max: 5e-3}}\n"
                         "  targets: [ionic.directions.x.effective_conductivity, "
                         "ionic.directions.z.effective_conductivity]\n",
                         sx, sz));
  const CalibrationResult r = runCalibration(PETSC_COMM_WORLD, CaseInput{text, "calib2.yaml", {}});
  const Json& c = r.record["calibration"];
  EXPECT_EQ(r.exitStatus, 0);
  EXPECT_EQ(c["method"], "levenberg_marquardt");
  EXPECT_EQ(c["converged"], true);
  EXPECT_NEAR(c["parameters"][0]["value"].get<double>(), s1, 1e-4 * s1);
  EXPECT_NEAR(c["parameters"][1]["value"].get<double>(), s2, 1e-4 * s2);
  EXPECT_GT(c["iterations"].get<int>(), 0);
  EXPECT_EQ(c["evaluations"].size(), c["evaluations_count"].get<size_t>());
}

TEST(Calibration, BadInputsAreInputErrors) {
  const std::string measured =
      "measured:\n  - {result: ionic.directions.x.effective_conductivity, value: 1, unit: S/m}\n";
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"calibrate:\n  parameters: []\n  targets: [ionic.directions.x.effective_conductivity]\n",
       "calibrate.parameters: 0 inputs"},
      {"calibrate:\n  parameters:\n    - {path: 'studies[0].conductivities.LPS', min: 1, max: 0.1}\n  "
       "targets: "
       "[ionic.directions.x.effective_conductivity]\n",
       "calibrate.parameters[0]: min (1) must be below max (0.1)"},
      {"calibrate:\n  parameters:\n    - {path: 'studies[0].conductivities.LPS', min: 0.1, max: 1}\n  "
       "targets: "
       "[ionic.directions.x.tortuosity_factor]\n",
       "calibrate.targets: 'ionic.directions.x.tortuosity_factor' has no entry in `measured:`"},
      {"calibrate:\n  parameters:\n    - {path: output.dir, min: 0.1, max: 1}\n  targets: "
       "[ionic.directions.x.effective_conductivity]\n",
       "calibrate.parameters[0].path: 'output.dir' cannot be fitted"},
      {"calibrate:\n  parameters:\n    - {path: 'studies[4].x', min: 0.1, max: 1}\n  targets: "
       "[ionic.directions.x.effective_conductivity]\n",
       "calibrate.parameters[0].path: --set studies[4].x: index 4 is past the end"},
      {"calibrate:\n  parameters:\n    - {path: 'studies[0].conductivities.LPS', min: 0.1, max: 1}\n"
       "    - {path: 'studies[0].conductivities.NMC', min: 0.1, max: 1}\n  targets: "
       "[ionic.directions.x.effective_conductivity]\n",
       "calibrate.targets: two inputs need at least two targets; 1 given"},
      // sigma_x = 0.25 sigma_LPS <= 0.25 S/m on [0.1, 1]: a measured 1 S/m is out of reach.
      {"calibrate:\n  parameters:\n    - {path: 'studies[0].conductivities.LPS', min: 0.1, max: 1}\n  "
       "targets: "
       "[ionic.directions.x.effective_conductivity]\n",
       "calibrate.parameters[0]: the measured ionic.directions.x.effective_conductivity is not reached in "
       "[min, "
       "max] = [0.1, 1]"},
  };
  for (const auto& [cal, want] : bad) {
    std::string got = "(no input error)";
    try {
      runCalibration(
          PETSC_COMM_WORLD,
          CaseInput{layers(base() + "/bad", "{LPS: 1, NMC: 0}", "[x]", measured + cal), "c.yaml", {}});
    } catch (const InputError& e) {
      got = e.what();
    }
    EXPECT_NE(got.find(want), std::string::npos) << cal << "\n expected: " << want << "\n      got: " << got;
  }
}

}  // namespace
}  // namespace ssb

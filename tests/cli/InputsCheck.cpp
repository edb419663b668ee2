// Checks the results.json of the example cases in inputs/ against independently known values.
#include <gtest/gtest.h>

#include <fstream>

#include "solver/core/Json.hpp"

using ssb::Json;

namespace {
Json load(const std::string& path) {
  std::ifstream is(path);
  if (!is) return Json();
  return Json::parse(is);
}
const Json& study(const Json& r, const std::string& name) {
  for (const auto& s : r["studies"])
    if (s["name"] == name) return s;
  static Json none;
  return none;
}
}  // namespace

TEST(Inputs, FiberformMatchesPublishedReferences) {
  // Registered only when shared/data holds the volume, so a missing result means the run failed.
  Json r = load("fiberform/results.json");
  ASSERT_FALSE(r.is_null()) << "fiberform/results.json is missing: the cli_input_fiberform run failed";
  // shared/data/README.md: void fraction 0.8329 (grey 0..89).
  EXPECT_NEAR(r["volume"]["phases"][0]["volume_fraction"].get<double>(), 0.8329, 5e-5);
  // Over-converged reference in the face convention: 1.31289 (README table, 6 digits: 1.312885).
  double face = study(r, "face")["directions"]["x"]["tortuosity_factor"].get<double>();
  EXPECT_NEAR(face / 1.312885, 1.0, 1e-5);
  // PuMA's asserted value 1.3133487164843647 (its test: decimal=4); our reference in that
  // convention 1.313346.
  double puma = study(r, "puma")["directions"]["x"]["tortuosity_factor"].get<double>();
  EXPECT_NEAR(puma, 1.3133487164843647, 1e-4);
  EXPECT_NEAR(puma / 1.313346, 1.0, 1e-5);
}

TEST(Inputs, MatboxElectrodeMatchesReference) {
  Json r = load("matbox/results.json");
  ASSERT_FALSE(r.is_null()) << "matbox/results.json is missing: the cli_input_matbox run failed";
  // shared/data/README.md: pore eps_total 0.4005, tau (face, axis 0 = our z) 2.95259 over-converged.
  const Json& d = study(r, "pore_z")["directions"]["z"];
  EXPECT_NEAR(d["volume_fraction"].get<double>(), 0.4005, 5e-5);
  EXPECT_NEAR(d["tortuosity_factor"].get<double>() / 2.95259, 1.0, 1e-5);
}

// Checks the results.json of inputs/mechanics_composite.yaml (run on 2 ranks by the fixture mech_example_np2)
// against what must hold for any microstructure: equilibrium of the mean stress with the stack pressure, the
// support reaction, the damage bookkeeping, and the Hashin-Shtrikman / Voigt bounds on the effective moduli.
#include <gtest/gtest.h>

#include <cmath>
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

double fraction(const Json& r, const std::string& phase) {
  for (const auto& p : r["volume"]["phases"])
    if (p["name"] == phase) return p["volume_fraction"].get<double>();
  return -1;
}

TEST(MechanicsExample, EquilibriumDamageAndBounds) {
  const Json r = load("mech_example/results.json");
  ASSERT_FALSE(r.is_null()) << "mech_example/results.json missing (fixture mech_example_np2)";
  const Json& c = study(r, "charged");
  const Json& m = study(r, "moduli");
  ASSERT_EQ(c["status"], "ok");
  ASSERT_EQ(m["status"], "ok");

  // Mean stress theorem: V <sigma_zz> = sum over the boundary of t_z z dA. Only the top (z = L, total force
  // -p A) contributes: the bottom is at z = 0 and the rollers on the sides carry no z traction. So <sigma_zz>
  // = -p for any microstructure, eigenstrain and damage (the Q1 nodal forces satisfy the same identity
  // exactly).
  const double p = 25e6;
  EXPECT_NEAR(c["mean_stress"][2].get<double>(), -p, 1e-4 * p);
  // The fixed bottom pushes the body up (inward: negative in the outward convention) with the force p A.
  // Box face area normal to z from the volume's shape and voxel size (z, y, x order).
  const Json& vol = r["volume"];
  const double area = vol["shape_zyx"][1].get<double>() * vol["voxel_size_zyx_m"][1].get<double>() *
                      vol["shape_zyx"][2].get<double>() * vol["voxel_size_zyx_m"][2].get<double>();
  EXPECT_NEAR(c["steps"].back()["reaction_force"]["z_minus"].get<double>(), -p * area, 1e-4 * p * area);

  // Damage bookkeeping: contact = 1 - d on every interface face (0 = 1 - 1 once debonded).
  const Json& d = c["decohesion"];
  EXPECT_NEAR(d["mean_contact_fraction"].get<double>(), 1.0 - d["mean_damage"].get<double>(), 1e-12);
  EXPECT_GT(d["debonded_area_fraction"].get<double>(), 0.0);  // the example is chosen to debond somewhere
  EXPECT_LE(d["debonded_area_fraction"].get<double>(), d["damaged_area_fraction"].get<double>());
  // A gap is d delta and delta of a debonded face can grow beyond delta_f, but not beyond the voxel size
  // here.
  EXPECT_LT(d["max_opening"].get<double>(), 1e-6);
  EXPECT_GT(d["gap_volume_fraction"].get<double>(), 0.0);

  // Effective moduli of the same volume (pores carry nothing): the bulk modulus lies below the
  // Hashin-Shtrikman upper bound K+ = [sum f_i / (K_i + 4/3 G_max)]^-1 - 4/3 G_max, Young's moduli below the
  // Voigt bound sum f_i E_i, and both above 0.
  const double fN = fraction(r, "NMC"), fE = fraction(r, "LPS"), fP = fraction(r, "pore");
  const double EN = 199e9, nuN = 0.2, EE = 15e9, nuE = 15.0 / (2 * 5.9) - 1;
  const double KN = EN / (3 * (1 - 2 * nuN)), GN = EN / (2 * (1 + nuN)), KE = EE / (3 * (1 - 2 * nuE));
  const double a = 4.0 / 3.0 * GN;
  const double Kplus = 1.0 / (fN / (KN + a) + fE / (KE + a) + fP / a) - a;
  const Json& em = m["effective_moduli"];
  const double K = em["bulk_modulus"].get<double>();
  EXPECT_GT(K, 0.0);
  EXPECT_LT(K, Kplus);
  for (const char* ax : {"x", "y", "z"}) {
    const double E = em["youngs_modulus"][ax].get<double>();
    EXPECT_GT(E, 0.0);
    EXPECT_LT(E, fN * EN + fE * EE);
  }
}

}  // namespace

// Verification of the electrode_tortuosity study (physics/ElectrodeTortuosity.cpp): pores whose field is
// exactly one-dimensional, compared with a 1-D transmission line computed independently here, and rank
// independence on a random 3-D electrode.
#include <gtest/gtest.h>
#include <petscsys.h>
#include <yaml-cpp/yaml.h>

#include <cmath>
#include <functional>

#include "physics/ElectrodeTortuosity.hpp"
#include "solver/core/Error.hpp"
#include "tests/TestSupport.hpp"
#include "tests/conductivity/CondTestUtil.hpp"

namespace ssb {
namespace {

using test::abPhases;  // A (label 1): electrolyte, B (label 2): active, void (label 0)
using test::makeVolume;

Json runElectrode(const Volume& v, const std::string& yaml) {
  YAML::Node node = YAML::Load(yaml);
  Params p(node, electrodeTortuositySchema(), "studies[0]");
  PhaseMap pm = abPhases();
  StudyContext ctx{v, pm, nullptr, std::filesystem::temp_directory_path(), "electrode"};
  return runElectrodeTortuosity(ctx, p);
}

double num(const Json& r, const char* key) { return r.at(key).get<double>(); }

// The 1-D line, independently of the code under test. A pore sheet one voxel thick (y = 1) between two rows
// y = 0 and y = 2 that are active (B) or void per x layer: layer x carries cnt(x) in {0, 1, 2} active faces
// per voxel, all of the same area h_x h_z, and every voxel of a layer sees the same (the field is exactly
// 1-D). With the surface current uniform per area (the w -> 0 limit of a capacitive interface) resistor k of
// the line carries the share D_k / C of the current, where D_k = sum_{i >= k} cnt(i) is the surface
// downstream of it and C = D_0: the inlet resistor (separator face to the first centre, half a cell, r / 2)
// carries all of it, the resistor between centres k - 1 and k (r = h_x / (sigma A_pore)) carries D_k / C.
// The low-frequency resistance is the surface-weighted mean potential drop per unit current,
//     R_0 = sum_k r_k (D_k / C)^2
// (the drop to cell j is sum_{k <= j} r_k I D_k / C, weighted by cnt(j) / C and summed over j). The ideal
// line of the same N cells has R_0 = R_ion (1/3 + 1/(6 N^2)) (the uniform case of the same sum), R_ion = L /
// (eps sigma A); eps A = A_pore.
struct Line {
  double r0;    // [Ohm]
  double rIon;  // ideal-line R_ion [Ohm]
};
Line lineResistance(const std::function<int(int64_t)>& cnt, int64_t n, double sigma, double hx,
                    double poreArea) {
  const double r = hx / (sigma * poreArea);
  double c = 0;
  for (int64_t i = 0; i < n; ++i) c += cnt(i);
  double r0 = 0.5 * r;  // inlet half cell carries everything
  double down = c;
  for (int64_t k = 1; k < n; ++k) {
    down -= cnt(k - 1);
    r0 += r * (down / c) * (down / c);
  }
  return {r0, static_cast<double>(n) * r};
}

Volume sheet(MPI_Comm comm, int64_t n, int64_t nz, const std::function<int(int64_t)>& cnt,
             std::array<double, 3> h) {
  return makeVolume(
      comm, {n, 3, nz},
      [cnt](int64_t i, int64_t j, int64_t) -> uint16_t {
        if (j == 1) return 1;
        const int c = cnt(i);
        return uint16_t((j == 0 && c >= 1) || (j == 2 && c == 2) ? 2 : 0);
      },
      h);
}

const std::array<double, 3> kH{1e-6, 2e-6, 0.5e-6};

TEST(ElectrodeTortuosity, UniformLineFactorIsTheDiscreteSum) {
  for (int64_t n : {1, 2, 5, 40}) {
    const Line l = lineResistance([](int64_t) { return 1; }, n, 1.0, 1.0, 1.0);
    EXPECT_NEAR(l.r0 / l.rIon, uniformLineResistanceFactor(n), 1e-14) << n;
  }
}

TEST(ElectrodeTortuosity, StraightPoreIsOne) {
  const int64_t n = 16, nz = 3;
  const double sigma = 0.5;
  for (const char* sep : {"low", "high"})
    for (const char* sides : {"no_flux", "periodic"}) {
      SCOPED_TRACE(std::string(sep) + " " + sides);
      Volume v = sheet(
          PETSC_COMM_WORLD, n, nz, [](int64_t) { return 2; }, kH);
      Json r = runElectrode(v, fmt::format("{{type: electrode_tortuosity, conductivities: {{A: 0.5}}, "
                                           "active_phases: [B], separator: {}, side_boundaries: {}}}",
                                           sep, sides));
      EXPECT_NEAR(num(r, "electrode_tortuosity_factor"), 1.0, 1e-7);
      const Line l = lineResistance([](int64_t) { return 2; }, n, sigma, kH[0], kH[1] * kH[2] * nz);
      EXPECT_NEAR(num(r, "low_frequency_resistance"), l.r0, 1e-7 * l.r0);
      EXPECT_NEAR(num(r, "ionic_resistance"), l.rIon, 1e-7 * l.rIon);
      EXPECT_NEAR(num(r, "surface_mean_resistance"), l.r0, 1e-6 * l.r0);
      EXPECT_NEAR(num(r, "volume_fraction"), 1.0 / 3.0, 1e-15);
      // Active area: two faces of h_x h_z per electrolyte voxel.
      EXPECT_NEAR(num(r, "active_area"), 2.0 * n * nz * kH[0] * kH[2], 1e-24);
    }
}

TEST(ElectrodeTortuosity, NonUniformLinesMatchTheOneDimensionalSum) {
  const int64_t n = 20, nz = 2;
  const double sigma = 2.0;
  const std::vector<std::pair<const char*, std::function<int(int64_t)>>> cases = {
      {"pattern", [](int64_t i) { return static_cast<int>((i * 7 + 1) % 3); }},
      {"surface at the collector only", [n](int64_t i) { return i == n - 1 ? 2 : 0; }},
      {"surface near the separator", [](int64_t i) { return i < 5    ? 2
                                                            : i < 10 ? 1
                                                                     : 0; }},
  };
  for (const auto& [label, cnt] : cases) {
    SCOPED_TRACE(label);
    const Line l = lineResistance(cnt, n, sigma, kH[0], kH[1] * kH[2] * nz);
    const double expectTau = l.r0 / (l.rIon * uniformLineResistanceFactor(n));
    Volume v = sheet(PETSC_COMM_WORLD, n, nz, cnt, kH);
    Json r = runElectrode(v, "{type: electrode_tortuosity, conductivities: {A: 2}, active_phases: [B]}");
    EXPECT_NEAR(num(r, "electrode_tortuosity_factor"), expectTau, 1e-7 * expectTau);
    EXPECT_NEAR(num(r, "low_frequency_resistance"), l.r0, 1e-7 * l.r0);
    // The same line seen from the other side: mirror the layers and put the separator on the high face.
    Volume m = sheet(
        PETSC_COMM_WORLD, n, nz, [cnt = cnt, n](int64_t i) { return cnt(n - 1 - i); }, kH);
    Json rm = runElectrode(
        m, "{type: electrode_tortuosity, conductivities: {A: 2}, active_phases: [B], separator: high}");
    EXPECT_NEAR(num(rm, "electrode_tortuosity_factor"), expectTau, 1e-7 * expectTau);
    if (std::string(label) == "surface at the collector only") {
      // All current crosses the whole line: R_0 = r (N - 1/2), tau_e = (1 - 1/(2N)) / (1/3 + 1/(6 N^2)).
      EXPECT_NEAR(expectTau, (1 - 0.5 / n) / uniformLineResistanceFactor(n), 1e-12);
    }
  }
}

// Rank independence on a random 3-D electrode: tau_e equal to 1e-7 on all ranks and on one.
uint16_t randomElectrode(int64_t i, int64_t j, int64_t k) {
  const double u = test::uniform01(23, static_cast<uint64_t>((k * 20 + j) * 20 + i));
  return u < 0.5 ? 1 : u < 0.9 ? 2 : 0;
}

TEST(ElectrodeTortuosity, RankIndependence) {
  SSB_REQUIRE_SEVERAL_RANKS();
  const std::array<int64_t, 3> n{20, 20, 20};
  Volume world = makeVolume(PETSC_COMM_WORLD, n, randomElectrode);
  Volume self = makeVolume(PETSC_COMM_SELF, n, randomElectrode);
  const char* yaml = "{type: electrode_tortuosity, conductivities: {A: 1}, active_phases: [B], rtol: 1e-10}";
  Json a = runElectrode(world, yaml);
  Json b = runElectrode(self, yaml);
  EXPECT_NEAR(num(a, "electrode_tortuosity_factor"), num(b, "electrode_tortuosity_factor"),
              1e-7 * num(b, "electrode_tortuosity_factor"));
  EXPECT_NEAR(num(a, "active_area"), num(b, "active_area"),
              1e-12 * num(b, "active_area"));  // summation order
}

TEST(ElectrodeTortuosity, RandomElectrodeIsPlausible) {
  Volume v = makeVolume(PETSC_COMM_WORLD, {20, 20, 20}, randomElectrode);
  Json r = runElectrode(v, "{type: electrode_tortuosity, conductivities: {A: 1}, active_phases: [B]}");
  const double tauE = num(r, "electrode_tortuosity_factor");
  if ([] {
        int rk = 0;
        MPI_Comm_rank(PETSC_COMM_WORLD, &rk);
        return rk == 0;
      }())
    std::printf("random electrode 20^3 (eps 0.5): tau_e = %.6f, connected %.4f\n", tauE,
                num(r, "connected_fraction"));
  EXPECT_GT(tauE, 1.0);
  EXPECT_LT(tauE, 20.0);
  EXPECT_NEAR(num(r, "surface_mean_resistance"), num(r, "low_frequency_resistance"),
              1e-5 * num(r, "low_frequency_resistance"));
}

TEST(ElectrodeTortuosity, BadInput) {
  Volume v = sheet(
      PETSC_COMM_WORLD, 6, 2, [](int64_t) { return 1; }, kH);
  try {
    runElectrode(v, "{type: electrode_tortuosity, conductivities: {A: 1, B: 1}, active_phases: [B]}");
    ADD_FAILURE() << "no error for a phase both conducting and active";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("active_phases"), std::string::npos) << e.what();
  }
  EXPECT_THROW(runElectrode(v, "{type: electrode_tortuosity, conductivities: {A: 1}, active_phases: []}"),
               InputError);
  EXPECT_THROW(runElectrode(v, "{type: electrode_tortuosity, conductivities: {A: 1}, active_phases: [Q]}"),
               InputError);
  EXPECT_THROW(runElectrode(v, "{type: electrode_tortuosity, conductivities: {A: 0}, active_phases: [B]}"),
               InputError);
  // No active surface reachable: tau_e null, no error.
  Volume bare = sheet(
      PETSC_COMM_WORLD, 6, 2, [](int64_t) { return 0; }, kH);
  Json r = runElectrode(bare, "{type: electrode_tortuosity, conductivities: {A: 1}, active_phases: [B]}");
  EXPECT_TRUE(r["electrode_tortuosity_factor"].is_null());
}

}  // namespace
}  // namespace ssb

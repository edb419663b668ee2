// The whole study on a three-phase composite: results independent of the rank count (the run on all ranks
// against the same run on rank 0 alone), the files it writes, the fields, and one test per bad input.
#include <gtest/gtest.h>

#include <fstream>

#include "mesh/FieldWriter.hpp"
#include "solver/core/AtomicFile.hpp"
#include "solver/core/Error.hpp"
#include "solver/core/MpiUtil.hpp"
#include "tests/TestSupport.hpp"
#include "tests/morphology/MorphTestUtil.hpp"

namespace ssb {
namespace {

constexpr uint16_t kPore = 0, kLps = 1, kNmc = 2;

// NMC balls (radius 4..7) in LPS with pore balls (radius 1.5..3), from a fixed list: the same labels on
// any number of ranks.
test::LabelFn compositeFn(std::array<int64_t, 3> n, uint64_t seed) {
  struct Ball {
    double c[3], r;
    uint16_t label;
  };
  std::vector<Ball> balls;
  for (int b = 0; b < 40; ++b) {
    bool pore = b % 3 == 2;
    double r = pore ? 1.5 + 1.5 * test::uniform01(seed, 5 * b + 3) : 4 + 3 * test::uniform01(seed, 5 * b + 3);
    balls.push_back({{test::uniform01(seed, 5 * b) * n[0], test::uniform01(seed, 5 * b + 1) * n[1],
                      test::uniform01(seed, 5 * b + 2) * n[2]},
                     r,
                     pore ? kPore : kNmc});
  }
  return [balls](int64_t i, int64_t j, int64_t k) {
    for (const auto& b : balls)
      if ((i - b.c[0]) * (i - b.c[0]) + (j - b.c[1]) * (j - b.c[1]) + (k - b.c[2]) * (k - b.c[2]) <=
          b.r * b.r)
        return b.label;
    return kLps;
  };
}

void compare(const Json& a, const Json& b, const std::string& path) {
  if (a.is_number_integer() && b.is_number_integer()) {  // signed vs unsigned after a dump/parse
    EXPECT_EQ(a.get<int64_t>(), b.get<int64_t>()) << path;
    return;
  }
  ASSERT_EQ(a.type(), b.type()) << path;
  if (a.is_object()) {
    ASSERT_EQ(a.size(), b.size()) << path;
    for (const auto& [k, v] : a.items()) {
      if (k == "exchange_rounds") continue;  // halo rounds of the geodesic: a cost, not a result
      ASSERT_TRUE(b.contains(k)) << path << "." << k;
      compare(v, b[k], path + "." + k);
    }
  } else if (a.is_array()) {
    ASSERT_EQ(a.size(), b.size()) << path;
    for (size_t i = 0; i < a.size(); ++i) compare(a[i], b[i], path + "[" + std::to_string(i) + "]");
  } else if (a.is_number_float()) {
    // Everything is reduced as integers or gathered and summed in a fixed order: bit-identical.
    EXPECT_EQ(a.get<double>(), b.get<double>()) << path;
  } else {
    EXPECT_EQ(a, b) << path;
  }
}

const char* kFull = "{type: morphology, name: full, connected_to: {NMC: z-, LPS: z+}, histogram_bins: 12}";

TEST(MorphStudy, RankIndependentSameResultOnAllRanksAndOnOne) {
  SSB_REQUIRE_SEVERAL_RANKS();
  const std::array<int64_t, 3> n{40, 36, 32};
  const double h = 0.25e-6;
  PhaseMap pm = test::composite();
  Volume v = test::makeVolume(PETSC_COMM_WORLD, n, compositeFn(n, 3), {h, h, h});
  std::filesystem::path dir = test::outDir("full");
  Json all;
  {
    FieldWriter fw(*v.grid, dir);
    all = test::runStudy(v, pm, kFull, "full", &fw);
    fw.close();
  }
  int rank = 0;
  MPI_Comm_rank(PETSC_COMM_WORLD, &rank);
  std::string serial;
  if (rank == 0) {
    Volume v1 = test::makeVolume(PETSC_COMM_SELF, n, compositeFn(n, 3), {h, h, h});
    serial = test::runStudy(v1, pm, kFull, "full_self").dump();
  }
  serial = broadcastString(PETSC_COMM_WORLD, serial);
  compare(all, Json::parse(serial), "result");

  // Every metric is there, with the paths the quickstart summary reads.
  for (const char* m :
       {"volume_fractions", "connectivity", "surface_area", "coverage", "triple_phase_boundary", "geodesic",
        "local_thickness", "pore_size_distribution", "slice_profiles", "rev", "inner_porosity",
        "chord_lengths", "two_point_correlation", "particles", "units"})
    EXPECT_TRUE(all.contains(m)) << m;
  // Active parts: with faces for NMC and LPS, every pair involving them is split, active + inactive = all.
  const Json& sa = all["surface_area"];
  for (const char* pair : {"LPS|NMC", "pore|NMC", "pore|LPS"})
    EXPECT_NEAR(sa["active_interfaces"][pair].get<double>() + sa["inactive_interfaces"][pair].get<double>(),
                sa["interfaces"][pair].get<double>(), 1e-9 * sa["interfaces"][pair].get<double>())
        << pair;
  const Json& tpb = all["triple_phase_boundary"]["NMC|LPS|pore"];
  EXPECT_GT(tpb["length_per_volume"].get<double>(), 0.0);
  EXPECT_LE(tpb["active_fraction"].get<double>(), 1.0);
  EXPECT_GT(all["particles"]["NMC"]["count"].get<int64_t>(), 5);
  EXPECT_NEAR(all["two_point_correlation"]["LPS"]["x"]["s2_0"].get<double>(),
              all["volume_fractions"]["LPS"].get<double>(), 1e-15);
  EXPECT_TRUE(all["coverage"]["NMC"]["electrolyte_fraction"].is_number());
  EXPECT_TRUE(all["geodesic"]["LPS"]["z"]["mean"].is_number());
  EXPECT_GE(all["geodesic"]["LPS"]["z"]["mean"].get<double>(), 1.0);
  EXPECT_TRUE(all["local_thickness"]["NMC"]["mean"].is_number());
  double sum = 0;
  for (const auto& [ph, f] : all["volume_fractions"].items()) sum += f.get<double>();
  EXPECT_NEAR(sum, 1.0, 1e-14);
  // Coverage shares add up to one; the NMC area is the sum of its two interfaces.
  const Json& c = all["coverage"]["NMC"];
  EXPECT_NEAR(c["electrolyte_fraction"].get<double>() + c["pore_fraction"].get<double>() +
                  c["other_fraction"].get<double>(),
              1.0, 1e-14);
  const Json& s = all["surface_area"];
  EXPECT_NEAR(s["per_volume"]["NMC"].get<double>(),
              s["interfaces"]["pore|NMC"].get<double>() + s["interfaces"]["LPS|NMC"].get<double>(), 1e-9);

  // Files: every listed file exists; PNGs start with the PNG signature.
  if (rank == 0) {
    ASSERT_TRUE(all["files"].is_array());
    EXPECT_GE(all["files"].size(), 10u);
    for (const auto& f : all["files"]) {
      auto p = dir / f.get<std::string>();
      ASSERT_TRUE(std::filesystem::exists(p)) << p;
      EXPECT_FALSE(std::filesystem::exists(tempPathFor(p))) << p;
      if (p.extension() == ".png") {
        std::ifstream is(p, std::ios::binary);
        char sig[8];
        is.read(sig, 8);
        EXPECT_EQ(std::string(sig, 8), std::string("\x89PNG\r\n\x1a\n", 8)) << p;
      }
    }
    EXPECT_TRUE(std::filesystem::exists(dir / "fields.h5"));
    std::ifstream xdmf(dir / "fields.xdmf");
    std::string text((std::istreambuf_iterator<char>(xdmf)), std::istreambuf_iterator<char>());
    EXPECT_NE(text.find("full_local_thickness_NMC"), std::string::npos);
    EXPECT_NE(text.find("full_geodesic_LPS_z"), std::string::npos);
    EXPECT_NE(text.find("full_particles_NMC"), std::string::npos);
  }
}

TEST(MorphStudy, MetricsSwitchOff) {
  const std::array<int64_t, 3> n{16, 16, 16};
  PhaseMap pm = test::composite();
  Volume v = test::makeVolume(PETSC_COMM_WORLD, n, compositeFn(n, 5));
  Json r =
      test::runStudy(v, pm, "{type: morphology, name: some, metrics: [volume_fractions, rev], plots: false}");
  EXPECT_TRUE(r.contains("volume_fractions"));
  EXPECT_TRUE(r.contains("rev"));
  for (const char* m : {"connectivity", "surface_area", "coverage", "triple_phase_boundary", "geodesic",
                        "local_thickness", "pore_size_distribution", "slice_profiles", "inner_porosity",
                        "chord_lengths", "two_point_correlation", "particles"})
    EXPECT_FALSE(r.contains(m)) << m;
  for (const auto& f : r["files"]) EXPECT_EQ(std::filesystem::path(f.get<std::string>()).extension(), ".csv");
}

TEST(MorphStudy, SingleSliceVolume) {
  // A 2-D image (one slice): every metric runs; geodesic along z crosses one voxel (tortuosity 1), the
  // REV has no centred cube, local thickness is bounded by the in-plane background.
  const std::array<int64_t, 3> n{24, 20, 1};
  PhaseMap pm = test::composite();
  Volume v = test::makeVolume(PETSC_COMM_WORLD, n, compositeFn({24, 20, 8}, 9));
  Json r = test::runStudy(v, pm, "{type: morphology, name: slice, plots: false}", "slice");
  EXPECT_TRUE(r["rev"].contains("note"));
  EXPECT_EQ(r["geodesic"]["LPS"]["z"]["mean"].get<double>(), 1.0);
  EXPECT_EQ(r["geodesic"]["LPS"]["z"]["reached_fraction"].get<double>(), 1.0);
  EXPECT_TRUE(r["local_thickness"]["LPS"]["mean"].is_number());
}

TEST(MorphStudy, NoActiveOrPorePhase) {
  // Two phases with roles electrolyte and other: coverage, pores, inner porosity, triple-phase boundary and
  // particles have nothing to do; they say so under `notes` and leave their per-phase maps empty (every
  // entry there is an object).
  const std::array<int64_t, 3> n{12, 12, 12};
  PhaseMap pm;
  pm.add(Phase{"LPS", PhaseRole::Electrolyte, {0, 1}});
  pm.add(Phase{"rest", PhaseRole::Other, {2}});
  Volume v = test::makeVolume(PETSC_COMM_WORLD, n, compositeFn(n, 2));
  Json r = test::runStudy(v, pm, "{type: morphology, name: roles, plots: false}", "roles");
  EXPECT_TRUE(r["coverage"].empty());
  EXPECT_TRUE(r["pore_size_distribution"].empty());
  EXPECT_TRUE(r["inner_porosity"].empty());
  EXPECT_TRUE(r["triple_phase_boundary"].empty());
  EXPECT_TRUE(r["particles"].empty());
  ASSERT_TRUE(r.contains("notes"));
  EXPECT_EQ(r["notes"].size(), 5u);
}

// One test per bad-input rule: each throws InputError naming the YAML path.
void expectInputError(const std::string& yaml, const std::string& fragment) {
  const std::array<int64_t, 3> n{8, 8, 8};
  PhaseMap pm = test::composite();
  Volume v = test::makeVolume(PETSC_COMM_WORLD, n, compositeFn(n, 1));
  try {
    test::runStudy(v, pm, yaml, "bad");
    ADD_FAILURE() << "no error for " << yaml;
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

TEST(MorphStudy, BadInputs) {
  expectInputError("{type: morphology, metrics: [volume_fractions, tortuosity]}", "studies[0].metrics[1]");
  expectInputError("{type: morphology, metrics: []}", "studies[0].metrics");
  expectInputError("{type: morphology, directions: [x, x]}", "listed twice");
  expectInputError("{type: morphology, connected_to: {NMC: top}}", "studies[0].connected_to.NMC");
  expectInputError("{type: morphology, connected_to: {graphite: z-}}", "graphite");
  expectInputError("{type: morphology, geodesic: {phases: [LPS, LPS]}}", "listed twice");
  expectInputError("{type: morphology, geodesic: {phases: [Li]}}", "studies[0].geodesic.phases[0]");
  expectInputError("{type: morphology, geodesic: {neighbourhood: 18}}", "studies[0].geodesic.neighbourhood");
  expectInputError("{type: morphology, local_thickness: {border: mirror}}",
                   "studies[0].local_thickness.border");
  expectInputError("{type: morphology, rev: {tolerance: 2}}", "studies[0].rev.tolerance");
  expectInputError("{type: morphology, histogram_bins: 1}", "studies[0].histogram_bins");
  expectInputError("{type: morphology, pore_size_distribution: {phases: [air]}}", "air");
  expectInputError("{type: morphology, coverage_phases: [carbon]}", "carbon");
  expectInputError("{type: morphology, inner_porosity_phases: [carbon]}", "carbon");
  expectInputError("{type: morphology, local_thickness: {phase: [LPS]}}", "unknown key 'phase'");
  expectInputError("{type: morphology, geodesics: {}}", "unknown key 'geodesics'");
  expectInputError("{type: morphology, triple_phase_boundary: {phases: [NMC, LPS]}}", "name exactly three");
  expectInputError("{type: morphology, triple_phase_boundary: {phases: [NMC, LPS, NMC]}}", "listed twice");
  expectInputError("{type: morphology, triple_phase_boundary: {phases: [NMC, LPS, air]}}",
                   "studies[0].triple_phase_boundary.phases[2]");
  expectInputError("{type: morphology, particles: {phases: [graphite]}}", "studies[0].particles.phases[0]");
  expectInputError("{type: morphology, particles: {min_relative_depth: 2}}",
                   "studies[0].particles.min_relative_depth");
  expectInputError("{type: morphology, particles: {min_depth: -1}}", "studies[0].particles.min_depth");
  expectInputError("{type: morphology, two_point_correlation: {max_distance_voxels: -3}}",
                   "studies[0].two_point_correlation.max_distance_voxels");
}

}  // namespace
}  // namespace ssb

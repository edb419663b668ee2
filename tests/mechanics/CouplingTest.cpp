// The coupling of lithiation to mechanics (physics/LithiationMechanics.hpp), np 1 and 2.
//
// Checks and their derivations:
// - Contact weights: a face with contact fraction c carries c times its Butler-Volmer current. A uniform
//   c = 0.5 set through setContact must therefore give exactly the run of the uncoupled solver with the
//   uniform `contact_fraction: 0.5` (the same face weights w * 0.5 enter the same residual): the voltage
//   curves agree to round-off.
// - Coverage: the share of the NMC surface (faces between solved NMC voxels and any other voxel) that
//   touches electrolyte, times the contact fraction; counted here directly from the label function.
// - Decohesion during a charge (an NMC cylinder from the collector into LPS, which shrinks radially on
//   delithiation and pulls away from the LPS around it): the coverage falls and never recovers
//   (irreversible damage), a part of the interface opens, and the charge capacity falls below the bonded
//   run's; the capacity converges as the coupling interval halves (the staggered coupling is first order in
//   the interval: successive differences shrink).
// - Rank independence of the coupled run (np 2 against one rank).
#include <gtest/gtest.h>
#include <mpi.h>
#include <yaml-cpp/yaml.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>

#include "mesh/Volume.hpp"
#include "physics/Lithiation.hpp"
#include "physics/LithiationMechanics.hpp"
#include "tests/TestSupport.hpp"

using namespace ssb;

namespace {

constexpr uint16_t kE = 1, kN = 2, kPore = 3;

PhaseMap couplingPhases() {
  PhaseMap m;
  m.add({"LPS", PhaseRole::Electrolyte, {kE}});
  m.add({"NMC", PhaseRole::Active, {kN}});
  m.add({"pore", PhaseRole::Pore, {kPore}});
  return m;
}

// 4 x 4 x 8 voxels of 0.5 um: electrolyte for z < 3; above, NMC for x < 2 and electrolyte for x >= 2, with
// one pore voxel next to the NMC. Every NMC voxel reaches the collector (z+), every electrolyte voxel the
// separator (z-).
uint16_t interdigitated(int64_t i, int64_t j, int64_t k) {
  if (k < 3) return kE;
  if (i == 2 && j == 0 && k == 5) return kPore;
  return i < 2 ? kN : kE;
}

// 6 x 6 x 10 voxels of 0.5 um: an NMC cylinder of radius 2.1 voxels on the axis from z = 3 to the collector
// face z+, LPS everywhere else.
uint16_t cylinder(int64_t i, int64_t j, int64_t k) {
  const double dx = static_cast<double>(i) - 2.5, dy = static_cast<double>(j) - 2.5;
  return k >= 3 && dx * dx + dy * dy < 2.1 * 2.1 ? kN : kE;
}

Volume volumeOf(MPI_Comm comm, std::array<int64_t, 3> n, const LabelFunction& f) {
  VoxelGrid g;
  g.n = n;
  g.spacing = {0.5e-6, 0.5e-6, 0.5e-6};
  return volumeFromFunction(comm, g, f);
}

std::string studyYaml(const std::string& extra) {
  return "{type: lithiation, name: t, separator: {thickness: 50 um}, time_stepping: {rtol: 1e-5, atol_x: "
         "1e-7}, protocol: {steps: [{type: cc, c_rate: 2, direction: charge}]}" +
         extra + "}";
}

Params studyParams(const std::string& yaml) {
  return Params(YAML::Load(yaml), lithiationSchema(), "studies[0]");
}

struct CoupledRun {
  LithiationRunResult run;
  std::vector<MechanicsUpdateRecord> history;
};

CoupledRun runCoupled(MPI_Comm comm, const std::string& yaml) {
  const Params p = studyParams(yaml);
  const LithiationSetup s = prepareLithiation(p, couplingPhases());
  Volume v = volumeOf(comm, {6, 6, 10}, cylinder);
  const PhaseMap pm = couplingPhases();
  LithiationSolver solver(*v.grid, v.labels, pm, s);
  StudyContext ctx{v, pm, nullptr, std::filesystem::temp_directory_path(), "t"};
  CoupledRun out;
  if (p.has("mechanics")) {
    LithiationMechanics mech(ctx, p, s, solver);
    solver.setCoupling(p.real("mechanics_interval"), [&](double t, Vec u) { mech.update(t, u); });
    out.run = solver.run();
    out.history = mech.history();
  } else {
    out.run = solver.run();
  }
  return out;
}

bool rootRank() {
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  return rank == 0;
}

double chargeCapacity(const LithiationRunResult& r) { return r.steps.front().charge; }

const char* kMechanics =
    ", mechanics: {stack_pressure: 1 MPa, decohesion: {strength: 20 MPa, "
    "fracture_energy: 0.5 J/m^2, tolerance: 1e-3}}";

}  // namespace

TEST(LithiationCoupling, ContactWeightsScaleTheReactionLikeContactFraction) {
  const PhaseMap pm = couplingPhases();
  Volume v = volumeOf(MPI_COMM_WORLD, {4, 4, 8}, interdigitated);
  const LithiationSetup half = prepareLithiation(studyParams(studyYaml(", contact_fraction: 0.5")), pm);
  const LithiationSetup full = prepareLithiation(studyParams(studyYaml("")), pm);
  LithiationSolver a(*v.grid, v.labels, pm, half);
  LithiationSolver b(*v.grid, v.labels, pm, full);

  // Coverage from the labels: NMC faces towards a non-NMC voxel inside the domain, and those towards LPS.
  double surface = 0.0, towardsE = 0.0;
  for (int64_t k = 0; k < 8; ++k)
    for (int64_t j = 0; j < 4; ++j)
      for (int64_t i = 0; i < 4; ++i) {
        if (interdigitated(i, j, k) != kN) continue;
        const int64_t nb[6][3] = {{i - 1, j, k}, {i + 1, j, k}, {i, j - 1, k},
                                  {i, j + 1, k}, {i, j, k - 1}, {i, j, k + 1}};
        for (const auto& q : nb) {
          if (q[0] < 0 || q[0] > 3 || q[1] < 0 || q[1] > 3 || q[2] < 0 || q[2] > 7) continue;
          const uint16_t l = interdigitated(q[0], q[1], q[2]);
          if (l == kN) continue;
          surface += 1.0;
          if (l == kE) towardsE += 1.0;
        }
      }
  EXPECT_NEAR(b.coverage(), towardsE / surface, 1e-14);

  const size_t nOwned = static_cast<size_t>(v.grid->owned().voxels());
  b.setContact(std::vector<std::array<double, 3>>(nOwned, {0.5, 0.5, 0.5}));
  EXPECT_NEAR(b.coverage(), 0.5 * towardsE / surface, 1e-14);

  const LithiationRunResult ra = a.run(), rb = b.run();
  ASSERT_EQ(ra.samples.size(), rb.samples.size());
  double worst = 0.0;
  for (size_t k = 0; k < ra.samples.size(); ++k)
    worst = std::max(worst, std::fabs(ra.samples[k].voltage - rb.samples[k].voltage));
  EXPECT_LT(worst, 1e-10) << "contact 0.5 on every face vs contact_fraction 0.5";
  EXPECT_NEAR(ra.steps.front().tEnd, rb.steps.front().tEnd, 1e-9 * ra.steps.front().tEnd);
}

TEST(LithiationCoupling, DecohesionCutsCoverageAndCapacityAndConvergesInTheInterval) {
  const CoupledRun bonded = runCoupled(MPI_COMM_WORLD, studyYaml(""));
  double capacity[3] = {0, 0, 0};
  const double intervals[3] = {400.0, 200.0, 100.0};
  for (int n = 0; n < 3; ++n) {
    const CoupledRun r =
        runCoupled(MPI_COMM_WORLD,
                   studyYaml(", mechanics_interval: " + std::to_string(intervals[n]) + " s" + kMechanics));
    capacity[n] = chargeCapacity(r.run);
    ASSERT_GE(r.history.size(), 3u);
    for (size_t k = 1; k < r.history.size(); ++k)
      EXPECT_LE(r.history[k].coverage, r.history[k - 1].coverage + 1e-12)
          << "coverage recovered at update " << k;
    const double c0 = r.history.front().coverage, c1 = r.history.back().coverage;
    EXPECT_LT(c1, 0.95 * c0) << "interval " << intervals[n] << " s: the interface did not let go";
    EXPECT_GT(r.history.back().maxGap, 0.0);
    EXPECT_GT(r.history.back().gapVolumeFraction, 0.0);
    if (rootRank())
      std::printf(
          "interval %g s: coverage %.4f -> %.4f, debonded %.4f, max gap %.3g m, capacity %.6g C "
          "(bonded %.6g C), %zu updates\n",
          intervals[n], c0, c1, r.history.back().debondedAreaFraction, r.history.back().maxGap, capacity[n],
          chargeCapacity(bonded.run), r.history.size());
  }
  for (double c : capacity) EXPECT_LT(c, chargeCapacity(bonded.run)) << "lost contact must cost capacity";
  const double d1 = std::fabs(capacity[0] - capacity[1]), d2 = std::fabs(capacity[1] - capacity[2]);
  if (rootRank())
    std::printf("capacity differences between intervals: %.3g, %.3g (relative %.3g, %.3g)\n", d1, d2,
                d1 / capacity[2], d2 / capacity[2]);
  EXPECT_LT(d2, d1) << "the capacity must converge as the coupling interval halves";
  EXPECT_LT(d2 / capacity[2], 0.02);
}

TEST(LithiationCoupling, CoupledRunRankIndependent) {
  SSB_REQUIRE_SEVERAL_RANKS();
  const std::string yaml = studyYaml(", mechanics_interval: 400 s" + std::string(kMechanics));
  const CoupledRun all = runCoupled(MPI_COMM_WORLD, yaml);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm self;
  MPI_Comm_split(MPI_COMM_WORLD, rank == 0 ? 0 : MPI_UNDEFINED, 0, &self);
  if (rank == 0) {
    const CoupledRun one = runCoupled(self, yaml);
    ASSERT_EQ(one.history.size(), all.history.size());
    for (size_t k = 0; k < one.history.size(); ++k)
      EXPECT_NEAR(all.history[k].coverage, one.history[k].coverage, 1e-6) << "update " << k;
    EXPECT_NEAR(chargeCapacity(all.run) / chargeCapacity(one.run), 1.0, 1e-6);
    MPI_Comm_free(&self);
  }
}

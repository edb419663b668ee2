// Generators: bit-identity with the reference sphere-pack script, rank-count independence (the same case
// generated on MPI_COMM_WORLD and on MPI_COMM_SELF must give identical voxels), and volume-fraction targets.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <numbers>

#include "mesh/BoxExchange.hpp"
#include "mesh/Generator.hpp"
#include "mesh/VolumeSource.hpp"
#include "solver/core/Provenance.hpp"
#include "tests/TestSupport.hpp"

using namespace ssb;

namespace {

std::vector<uint16_t> generate(MPI_Comm comm, const std::string& yaml) {
  Params p(YAML::Load(yaml), generatorSchema(), "volume.generate");
  Volume v = generateVolume(comm, p, 1e-6);
  return gatherLabels(v);
}

int worldRank() {
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}

// Distributed on all ranks vs. serial on each rank: identical voxels.
void expectRankIndependent(const std::string& yaml) {
  auto distributed = generate(MPI_COMM_WORLD, yaml);
  auto serial = generate(MPI_COMM_SELF, yaml);
  if (worldRank() == 0) {
    ASSERT_EQ(distributed.size(), serial.size());
    EXPECT_TRUE(distributed == serial) << "generator output depends on the rank count: " << yaml;
  }
}

double fraction(const std::vector<uint16_t>& v, uint16_t label) {
  return static_cast<double>(std::count(v.begin(), v.end(), label)) / static_cast<double>(v.size());
}

}  // namespace

TEST(Generator, SpherePackIsBitIdenticalToReferenceScript) {
  // shared/research/tortuosity_baseline/README.md: seed 0, r 6, solid 0.45, 64^3 -> this SHA-256 of the uint8
  // array in the script's C order, index [a0, a1, a2] with a0 the first drawn coordinate (our x).
  auto v = generate(MPI_COMM_WORLD,
                    "{kind: sphere_pack, shape: [64, 64, 64], seed: 0, radius: 6, volume_fraction: 0.45}");
  if (worldRank() != 0) return;
  const int n = 64;
  std::string bytes(static_cast<size_t>(n) * n * n, '\0');
  for (int a0 = 0; a0 < n; ++a0)
    for (int a1 = 0; a1 < n; ++a1)
      for (int a2 = 0; a2 < n; ++a2)
        bytes[(static_cast<size_t>(a0) * n + a1) * n + a2] =
            static_cast<char>(v[(static_cast<size_t>(a2) * n + a1) * n + a0]);
  EXPECT_EQ(sha256Hex(bytes), "164479d2cd660e56c0f59f0ddb8e9a90977a6224730f8a8786b0f65bce280ab9");
  // The script reports solid fraction 0.450504 (label 0 = solid).
  EXPECT_NEAR(fraction(v, 0), 0.450504, 5e-7);
}

TEST(Generator, RankIndependentEveryKind) {
  SSB_REQUIRE_SEVERAL_RANKS();
  expectRankIndependent("{kind: sphere_pack, shape: [20, 24, 28], seed: 3, radius: 4, volume_fraction: 0.4}");
  expectRankIndependent(
      "{kind: spheres, shape: [30, 26, 22], seed: 5, radius: 4, radius_std: 1.5, volume_fraction: 0.2}");
  expectRankIndependent(
      "{kind: spheres, shape: [30, 26, 22], seed: 5, radius: 3, overlap: false, volume_fraction: 0.1, "
      "periodic: true}");
  expectRankIndependent(
      "{kind: ellipsoids, shape: [30, 26, 22], seed: 2, semi_axes: [6, 3, 2], orientation: random, "
      "volume_fraction: 0.2}");
  expectRankIndependent(
      "{kind: layers, shape: [17, 9, 8], axis: z, thicknesses: [2, 3], layer_labels: [4, 9]}");
  expectRankIndependent(
      "{kind: composite, shape: [32, 30, 28], seed: 9, radius: 5, active_radius_std: 1, active_fraction: "
      "0.5, pore_fraction: 0.08}");
}

TEST(Generator, CompositeHitsTargetFractions) {
  auto v = generate(MPI_COMM_WORLD,
                    "{kind: composite, shape: [48, 48, 48], seed: 11, radius: 8, active_radius_std: 2, "
                    "active_fraction: 0.55, pore_fraction: 0.1, pore_radius: 3}");
  if (worldRank() != 0) return;
  EXPECT_NEAR(fraction(v, 2), 0.55, 0.01);  // issue: within 1 % absolute
  EXPECT_NEAR(fraction(v, 0), 0.10, 0.01);
  EXPECT_NEAR(fraction(v, 1), 0.35, 0.01);
}

TEST(Generator, NonOverlappingSpheresReachFractionAndDoNotTouch) {
  auto v = generate(
      MPI_COMM_WORLD,
      "{kind: spheres, shape: [40, 40, 40], seed: 1, radius: 5, overlap: false, volume_fraction: 0.15}");
  if (worldRank() != 0) return;
  EXPECT_NEAR(fraction(v, 1), 0.15, 0.01);
}

TEST(Generator, LayersAreExact) {
  auto v = generate(MPI_COMM_WORLD,
                    "{kind: layers, shape: [10, 3, 2], axis: z, thicknesses: [1, 4], layer_labels: [7, 3]}");
  if (worldRank() != 0) return;
  for (int z = 0; z < 10; ++z) EXPECT_EQ(v[static_cast<size_t>(z) * 6], (z % 5 == 0) ? 7 : 3) << "z=" << z;
}

TEST(Generator, ShapesSphereVolume) {
  // A digitised ball of radius 10 about a voxel corner has 4/3 pi r^3 = 4188.8 voxels to within the
  // lattice-point error (a few tenths of a percent at r = 10).
  auto v = generate(MPI_COMM_WORLD,
                    "{kind: shapes, shape: [30, 30, 30], shapes: [{type: sphere, center: [15, 15, 15], "
                    "radius: 10, label: 1}]}");
  if (worldRank() != 0) return;
  double count = fraction(v, 1) * 27000.0;
  EXPECT_NEAR(count / (4.0 / 3.0 * std::numbers::pi * 1000.0), 1.0, 0.01);
}

TEST(Generator, UnreachableTargetIsAnInputError) {
  EXPECT_THROW(
      generate(
          MPI_COMM_WORLD,
          "{kind: spheres, shape: [12, 12, 12], seed: 1, radius: 5, overlap: false, volume_fraction: 0.6}"),
      InputError);
}

namespace {

// The generator's particle ids of a composite, gathered to rank 0 in natural order (with the labels).
std::pair<std::vector<uint16_t>, std::vector<int64_t>> generateWithIds(MPI_Comm comm, const std::string& yaml,
                                                                       int64_t* count) {
  Params p(YAML::Load(yaml), generatorSchema(), "volume.generate");
  Volume v = generateVolume(comm, p, 1e-6);
  EXPECT_TRUE(v.particles.has_value());
  if (!v.particles) return {};
  *count = v.particles->count;
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  const Box3 whole{{0, 0, 0}, v.grid->geometry().n};
  auto ids = redistribute(comm, v.grid->owned(), v.particles->id, rank == 0 ? whole : Box3{}, int64_t{-2});
  return {gatherLabels(v), ids};
}

const char* kCompositeIds =
    "{kind: composite, shape: [30, 28, 26], seed: 4, radius: 5, active_radius_std: 1, active_fraction: 0.5, "
    "pore_fraction: 0.1, pore_radius: 2}";

}  // namespace

// Particle identity of the composite generator: every active voxel (label 2) belongs to exactly one sphere,
// no other voxel to any; each particle is one 26-connected piece (the deepest-sphere rule splits overlaps on
// the surface of equal depth, so no sphere's share is cut in two; on the lattice a thin sliver between two
// such surfaces may hang on by an edge or a corner), and the count is that of the ids in use.
TEST(Generator, CompositeParticleIdsCoverTheActivePhase) {
  int64_t count = 0;
  auto [labels, ids] = generateWithIds(MPI_COMM_WORLD, kCompositeIds, &count);
  if (worldRank() != 0) return;
  const std::array<int64_t, 3> n{26, 28, 30};
  ASSERT_EQ(ids.size(), labels.size());
  std::map<int64_t, int64_t> voxels;
  for (size_t l = 0; l < ids.size(); ++l) {
    ASSERT_EQ(labels[l] == 2, ids[l] >= 0) << "voxel " << l;
    if (ids[l] >= 0) ++voxels[ids[l]];
  }
  EXPECT_EQ(static_cast<int64_t>(voxels.size()), count);
  EXPECT_GT(count, 20);
  // Connectivity of each particle: flood fill (26 neighbours) from its first voxel within its id.
  std::vector<uint8_t> seen(ids.size(), 0);
  std::map<int64_t, int> pieces;
  for (size_t s = 0; s < ids.size(); ++s) {
    if (ids[s] < 0 || seen[s]) continue;
    ++pieces[ids[s]];
    std::vector<size_t> stack{s};
    seen[s] = 1;
    while (!stack.empty()) {
      const size_t l = stack.back();
      stack.pop_back();
      const int64_t i = static_cast<int64_t>(l) % n[0], j = (static_cast<int64_t>(l) / n[0]) % n[1],
                    k = static_cast<int64_t>(l) / (n[0] * n[1]);
      for (int d = 0; d < 27; ++d) {
        const int64_t q[3] = {i + d % 3 - 1, j + (d / 3) % 3 - 1, k + d / 9 - 1};
        if (q[0] < 0 || q[1] < 0 || q[2] < 0 || q[0] >= n[0] || q[1] >= n[1] || q[2] >= n[2]) continue;
        const auto m = static_cast<size_t>((q[2] * n[1] + q[1]) * n[0] + q[0]);
        if (seen[m] || ids[m] != ids[s]) continue;
        seen[m] = 1;
        stack.push_back(m);
      }
    }
  }
  for (const auto& [id, p] : pieces) EXPECT_EQ(p, 1) << "particle " << id << " is in " << p << " pieces";
}

TEST(Generator, RankIndependentCompositeParticleIds) {
  SSB_REQUIRE_SEVERAL_RANKS();
  int64_t c1 = 0, c2 = 0;
  auto distributed = generateWithIds(MPI_COMM_WORLD, kCompositeIds, &c1);
  auto serial = generateWithIds(MPI_COMM_SELF, kCompositeIds, &c2);
  if (worldRank() != 0) return;
  EXPECT_EQ(c1, c2);
  EXPECT_TRUE(distributed.second == serial.second);
}

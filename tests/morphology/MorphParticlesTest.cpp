// Watershed particle ids (mesh/Watershed) and particle statistics (postprocess/Particles) on balls of known
// size: one ball, two equal overlapping balls (split on their mid-plane: equal halves, the contact is the
// digital disc between the two middle columns), a chain of three, unequal balls, touching balls; ids
// identical on all ranks and on one.
#include <gtest/gtest.h>

#include <cmath>

#include "mesh/BoxExchange.hpp"
#include "mesh/Watershed.hpp"
#include "postprocess/Particles.hpp"
#include "tests/morphology/MorphTestUtil.hpp"

namespace ssb {
namespace {

double sq(double x) { return x * x; }

struct Ball {
  double c[3], r;
};

struct BallVolume {
  std::unique_ptr<StructuredGrid> grid;
  std::vector<uint8_t> phase;  // 1 inside some ball, 0 outside
};

BallVolume balls(std::array<int64_t, 3> n, const std::vector<Ball>& bs, MPI_Comm comm = PETSC_COMM_WORLD) {
  VoxelGrid g;
  g.n = n;
  BallVolume s;
  s.grid = std::make_unique<StructuredGrid>(comm, g);
  s.phase.resize(static_cast<size_t>(s.grid->owned().voxels()));
  s.grid->forEachOwned([&](int64_t i, int64_t j, int64_t k, int64_t li) {
    bool in = false;
    for (const Ball& b : bs) in = in || sq(i - b.c[0]) + sq(j - b.c[1]) + sq(k - b.c[2]) <= b.r * b.r;
    s.phase[li] = in;
  });
  return s;
}

int64_t latticeDisc(double r2) {
  int64_t m = static_cast<int64_t>(std::sqrt(r2)) + 1, c = 0;
  for (int64_t y = -m; y <= m; ++y)
    for (int64_t z = -m; z <= m; ++z) c += y * y + z * z <= r2;
  return c;
}

int64_t latticeBall(double r2) {
  int64_t m = static_cast<int64_t>(std::sqrt(r2)) + 1, c = 0;
  for (int64_t x = -m; x <= m; ++x) c += latticeDisc(r2 - x * x) * (x * x <= r2);
  return c;
}

TEST(MorphParticles, OneBall) {
  for (double off : {0.0, 0.5}) {
    BallVolume s = balls({26, 26, 26}, {{{12 + off, 12 + off, 12.3}, 8.0}});
    ParticleAnalysis a = analyseParticles(*s.grid, s.phase, 2, 1);
    ASSERT_EQ(a.particles.size(), 1u) << off;
    const ParticleStats& p = a.particles[0];
    int64_t count = 0;
    for (int64_t i = 0; i < 26; ++i)
      for (int64_t j = 0; j < 26; ++j)
        for (int64_t k = 0; k < 26; ++k) count += sq(i - 12 - off) + sq(j - 12 - off) + sq(k - 12.3) <= 64;
    EXPECT_EQ(p.voxels, count);
    EXPECT_EQ(p.contacts, 0);
    EXPECT_EQ(p.faces, 0);
    // Sphericity 1 for a ball: area within the estimator's 2 % for radius >= 6 -> sphericity within ~3 %.
    EXPECT_NEAR(p.sphericity, 1.0, 0.03) << off;
    EXPECT_NEAR(p.equivalentDiameter, std::cbrt(6.0 * count / M_PI), 1e-12);
    EXPECT_NEAR(p.feret, 16.0, 1.0);
  }
}

TEST(MorphParticles, TwoEqualOverlappingBalls) {
  // Radius 8, centres 13 apart along x on voxel centres: the union is symmetric about the plane between the
  // columns x = c + 6 and c + 7, each 6 from its own centre. The split falls on that plane: two particles of
  // (union) / 2 voxels each; the contact is the set of faces between those columns inside the union, the
  // lattice disc rho^2 <= 64 - 36 = 28 (flat, normal to x: exact). (The continuous balls' intersection
  // circle, radius sqrt(64 - 6.5^2), is smaller: the digital neck is what the voxels say.)
  BallVolume s = balls({36, 22, 22}, {{{11, 11, 11}, 8.0}, {{24, 11, 11}, 8.0}});
  ParticleAnalysis a = analyseParticles(*s.grid, s.phase, 2, 1);
  ASSERT_EQ(a.particles.size(), 2u);
  const int64_t half = latticeBall(64) - [] {  // the second ball's voxels with x <= c1 + 6 (beyond the plane)
    int64_t c = 0;
    for (int64_t x = -8; x <= -7; ++x) c += latticeDisc(64 - x * x);
    return c;
  }();
  EXPECT_EQ(a.particles[0].voxels, half);
  EXPECT_EQ(a.particles[1].voxels, half);
  ASSERT_EQ(a.contacts.size(), 1u);
  EXPECT_NEAR(a.contacts[0].area, static_cast<double>(latticeDisc(28)), 1e-6);
  EXPECT_EQ(a.particles[0].contacts, 1);
  EXPECT_EQ(a.particles[1].contacts, 1);
  EXPECT_NEAR(a.particles[0].contactArea, a.contacts[0].area, 1e-9);
}

TEST(MorphParticles, TouchingBalls) {
  // Radius 5, centres 10 apart along x: the voxel midway is 5 from both centres, in both balls: the two
  // particles touch through it, one face of contact (the mid voxel belongs to one of them).
  BallVolume s = balls({26, 14, 14}, {{{7, 7, 7}, 5.0}, {{17, 7, 7}, 5.0}});
  ParticleAnalysis a = analyseParticles(*s.grid, s.phase, 2, 1);
  ASSERT_EQ(a.particles.size(), 2u);
  ASSERT_EQ(a.contacts.size(), 1u);
  EXPECT_GT(a.contacts[0].area, 0.5);
  EXPECT_LE(a.contacts[0].area, 1.0);
  EXPECT_EQ(a.particles[0].voxels + a.particles[1].voxels, 2 * latticeBall(25) - 1);
  EXPECT_EQ(std::abs(a.particles[0].voxels - a.particles[1].voxels), 1);
}

TEST(MorphParticles, ChainAndUnequalPair) {
  // A chain of three balls (radii 7, 6, 7, overlapping) and an unequal pair (8 and 5, overlapping). Particles
  // are numbered by their peak voxel's natural index, i.e. along x here: check the count, the contact graph,
  // and that every particle is its ball less at most a quarter (the overlap caps).
  BallVolume s = balls({70, 24, 22}, {{{9, 11, 10}, 7.0},
                                      {{20, 11, 10}, 6.0},
                                      {{31, 11, 10}, 7.0},
                                      {{50, 11, 10}, 8.0},
                                      {{61, 11, 10}, 5.0}});
  ParticleAnalysis a = analyseParticles(*s.grid, s.phase, 2, 1);
  ASSERT_EQ(a.particles.size(), 5u);
  // Peaks are ordered by natural index, i.e. along x here (same y, z for all centres).
  std::vector<int64_t> contacts;
  for (const auto& p : a.particles) contacts.push_back(p.contacts);
  EXPECT_EQ(contacts, (std::vector<int64_t>{1, 2, 1, 1, 1}));
  ASSERT_EQ(a.contacts.size(), 3u);
  EXPECT_EQ(a.contacts[0].a, 0);
  EXPECT_EQ(a.contacts[0].b, 1);
  EXPECT_EQ(a.contacts[1].a, 1);
  EXPECT_EQ(a.contacts[1].b, 2);
  EXPECT_EQ(a.contacts[2].a, 3);
  EXPECT_EQ(a.contacts[2].b, 4);
  // Sizes: each particle within a few % of its ball less the overlap cap (volumes of the digital balls).
  const double radii[5] = {7, 6, 7, 8, 5};
  for (int q = 0; q < 5; ++q) {
    const double ball = 4.0 / 3 * M_PI * radii[q] * radii[q] * radii[q];
    EXPECT_LT(a.particles[q].volume, 1.02 * ball) << q;
    EXPECT_GT(a.particles[q].volume, 0.75 * ball) << q;
  }
  // The same ids on all ranks as on rank 0 alone, voxel for voxel, and the same statistics bit for bit.
  int rank = 0;
  MPI_Comm_rank(PETSC_COMM_WORLD, &rank);
  std::vector<int64_t> nat(static_cast<size_t>(s.grid->owned().voxels()));
  s.grid->forEachOwned(
      [&](int64_t i, int64_t j, int64_t k, int64_t li) { nat[li] = s.grid->naturalIndex(i, j, k); });
  Box3 all;
  all.size = s.grid->geometry().n;
  std::vector<int64_t> gathered =
      redistribute(PETSC_COMM_WORLD, s.grid->owned(), a.labels.id, rank == 0 ? all : Box3{}, int64_t(-9));
  if (rank == 0) {
    BallVolume one = balls({70, 24, 22},
                           {{{9, 11, 10}, 7.0},
                            {{20, 11, 10}, 6.0},
                            {{31, 11, 10}, 7.0},
                            {{50, 11, 10}, 8.0},
                            {{61, 11, 10}, 5.0}},
                           PETSC_COMM_SELF);
    ParticleAnalysis b = analyseParticles(*one.grid, one.phase, 2, 1);
    EXPECT_EQ(b.labels.id, gathered);
    ASSERT_EQ(b.particles.size(), a.particles.size());
    for (size_t q = 0; q < a.particles.size(); ++q) {
      EXPECT_EQ(b.particles[q].area, a.particles[q].area);
      EXPECT_EQ(b.particles[q].contactArea, a.particles[q].contactArea);
      EXPECT_EQ(b.particles[q].feret, a.particles[q].feret);
    }
    for (const auto& p : a.particles)
      std::printf("particle %ld: voxels %ld, peak r %.2f, contacts %ld, contact area %.1f, sphericity %.3f\n",
                  p.id, p.voxels, p.peakRadius, p.contacts, p.contactArea, p.sphericity);
  }
}

}  // namespace
}  // namespace ssb

// Chord-length distributions and two-point correlation (postprocess/LineStatistics) against exact counts
// and analytic laws:
//  - a deterministic layer sequence: every chord along z is known; along x and y every line is one chord
//    cut by the domain;
//  - Bernoulli layers (each z-layer is phase A with probability p, independently): A chords along z are
//    geometric, P(L = k) = p^(k-1) (1 - p) (the discrete exponential; mean 1 / (1 - p)); S2 along z is
//    phi^2 for every lag >= 1, along x it is phi for every lag;
//  - a Boolean model of balls (radius R, Poisson centres; the void is phase 0): the void's two-point
//    function is S2(r) = phi^(2 - K(r)), K(r) = 1 - 3 r / (4 R) + r^3 / (16 R^3) for r <= 2 R (the volume
//    shared by two balls r apart over the ball volume), 0 beyond; the void chords are exponential with rate
//    lambda pi R^2 = -ln(phi) 3 / (4 R) (a segment is void iff no centre lies within R of it); and the first
//    step S2(0) - S2(1) = S_V h / 4 with S_V = -phi ln(phi) 3 / R.
// Statistical checks use deterministic pseudo-random volumes (the same on every rank and run); their
// tolerances are a few standard errors of the sample, stated at each check.
#include <gtest/gtest.h>

#include <cmath>

#include "postprocess/LineStatistics.hpp"
#include "tests/morphology/MorphTestUtil.hpp"

namespace ssb {
namespace {

struct Phases {
  std::unique_ptr<StructuredGrid> grid;
  std::vector<uint8_t> phase;
};

Phases makePhases(std::array<int64_t, 3> n, const std::function<int(int64_t, int64_t, int64_t)>& f) {
  VoxelGrid g;
  g.n = n;
  Phases p;
  p.grid = std::make_unique<StructuredGrid>(PETSC_COMM_WORLD, g);
  p.phase.resize(static_cast<size_t>(p.grid->owned().voxels()));
  p.grid->forEachOwned(
      [&](int64_t i, int64_t j, int64_t k, int64_t li) { p.phase[li] = static_cast<uint8_t>(f(i, j, k)); });
  return p;
}

TEST(MorphLines, DeterministicLayers) {
  // z-runs: 3 x A(0), 5 x B(1), 1 x A, 2 x C(2), 4 x A, 5 x B, 3 x A: 23 layers, 6 x 4 voxels each.
  const std::vector<std::pair<int, int>> runs = {{0, 3}, {1, 5}, {0, 1}, {2, 2}, {0, 4}, {1, 5}, {0, 3}};
  std::vector<int> layer;
  for (auto [ph, len] : runs)
    for (int q = 0; q < len; ++q) layer.push_back(ph);
  const int64_t nx = 6, ny = 4, nz = static_cast<int64_t>(layer.size());
  Phases p = makePhases({nx, ny, nz}, [&](int64_t, int64_t, int64_t k) { return layer[k]; });
  auto c = chordLengths(*p.grid, p.phase, 3);
  // Along z every line has the same chords; the first and last run touch the z faces (cut).
  std::vector<std::vector<int64_t>> expect(3, std::vector<int64_t>(nz + 1, 0));
  for (size_t q = 1; q + 1 < runs.size(); ++q) expect[runs[q].first][runs[q].second] += nx * ny;
  for (int ph = 0; ph < 3; ++ph) {
    EXPECT_EQ(c[ph][2].count, expect[ph]) << ph;
    EXPECT_EQ(c[ph][2].cut, ph == 0 ? 2 * nx * ny : 0);
    // Along x and y: each line lies in one layer: one cut chord per line.
    const int64_t layers = std::count(layer.begin(), layer.end(), ph);
    EXPECT_EQ(c[ph][0].cut, layers * ny);
    EXPECT_EQ(c[ph][1].cut, layers * nx);
    EXPECT_EQ(c[ph][0].cutVoxels, layers * ny * nx);
    for (int64_t v : c[ph][0].count) EXPECT_EQ(v, 0);
  }
  // S2 along z at lag r = (z-pairs both in the phase) / (nz - r), per x-y line, all lines alike.
  TwoPoint tp = twoPointCorrelation(*p.grid, p.phase, 3, 30);
  ASSERT_EQ(tp.pairs[2].size(), size_t(nz));  // lags 0..nz-1
  for (int ph = 0; ph < 3; ++ph)
    for (int64_t r = 0; r < nz; ++r) {
      int64_t both = 0;
      for (int64_t z = 0; z + r < nz; ++z) both += layer[z] == ph && layer[z + r] == ph;
      EXPECT_EQ(tp.both[ph][2][r], both * nx * ny) << ph << " " << r;
      EXPECT_EQ(tp.pairs[2][r], (nz - r) * nx * ny);
    }
  ASSERT_EQ(tp.pairs[0].size(), size_t(nx));
}

TEST(MorphLines, BernoulliLayersGeometricChords) {
  // 4 x 4 x 6000 voxels; layer k is A with probability p = 0.6. The chord histogram along z is one line's
  // histogram times 16; with ~1700 A chords the geometric law's frequencies have standard errors
  // sqrt(P (1 - P) / 1700) <= 0.012: checked within 0.04 for k = 1..6, the mean within 3 %.
  const double pA = 0.6;
  const int64_t nz = 6000;
  auto isA = [&](int64_t k) { return test::uniform01(4242, static_cast<uint64_t>(k)) < pA; };
  Phases p = makePhases({4, 4, nz}, [&](int64_t, int64_t, int64_t k) { return isA(k) ? 0 : 1; });
  auto c = chordLengths(*p.grid, p.phase, 2);
  int64_t chords = 0, voxels = 0;
  for (size_t L = 1; L < c[0][2].count.size(); ++L)
    chords += c[0][2].count[L], voxels += L * c[0][2].count[L];
  ASSERT_GT(chords, 1000);
  for (int k = 1; k <= 6; ++k) {
    const double freq = static_cast<double>(c[0][2].count[k]) / chords;
    EXPECT_NEAR(freq, std::pow(pA, k - 1) * (1 - pA), 0.04) << k;
  }
  EXPECT_NEAR(static_cast<double>(voxels) / chords, 1 / (1 - pA), 0.03 / (1 - pA));
  // S2: along z, independent layers: phi^2 at every lag >= 1 (phi = the sample's fraction; the lag-r
  // estimate averages ~6000 layer pairs: standard error ~0.006, checked within 0.025); along x: phi.
  TwoPoint tp = twoPointCorrelation(*p.grid, p.phase, 2, 20);
  const double phi = tp.s2(0, 2, 0);
  for (size_t r = 1; r <= 20; ++r) EXPECT_NEAR(tp.s2(0, 2, r), phi * phi, 0.025) << r;
  for (size_t r = 0; r < 4; ++r) EXPECT_DOUBLE_EQ(tp.s2(0, 0, r), phi);
}

TEST(MorphLines, BooleanBallsTwoPointAndChords) {
  // Balls of radius R = 4 voxels with Poisson centres (intensity for a void fraction of 0.5) in 72^3; the
  // centres are drawn in the domain grown by R so that the model is stationary up to the faces.
  const int64_t n = 72;
  const double R = 4, target = 0.5;
  const double lambda = -std::log(target) / (4.0 / 3 * M_PI * R * R * R);
  const double ext = n + 2 * R;
  const int64_t count = std::llround(lambda * ext * ext * ext);
  std::vector<uint8_t> solid(static_cast<size_t>(n * n * n), 0);
  for (int64_t b = 0; b < count; ++b) {
    const double c[3] = {test::uniform01(99, 3 * b) * ext - R, test::uniform01(99, 3 * b + 1) * ext - R,
                         test::uniform01(99, 3 * b + 2) * ext - R};
    for (int64_t k = std::max<int64_t>(0, std::ceil(c[2] - R));
         k <= std::min<int64_t>(n - 1, std::floor(c[2] + R)); ++k)
      for (int64_t j = std::max<int64_t>(0, std::ceil(c[1] - R));
           j <= std::min<int64_t>(n - 1, std::floor(c[1] + R)); ++j)
        for (int64_t i = std::max<int64_t>(0, std::ceil(c[0] - R));
             i <= std::min<int64_t>(n - 1, std::floor(c[0] + R)); ++i)
          if ((i - c[0]) * (i - c[0]) + (j - c[1]) * (j - c[1]) + (k - c[2]) * (k - c[2]) <= R * R)
            solid[static_cast<size_t>((k * n + j) * n + i)] = 1;
  }
  Phases p =
      makePhases({n, n, n}, [&](int64_t i, int64_t j, int64_t k) { return solid[(k * n + j) * n + i]; });
  TwoPoint tp = twoPointCorrelation(*p.grid, p.phase, 2, 12);
  const double phi = tp.s2(0, 0, 0);
  EXPECT_NEAR(phi, target, 0.02);  // ~2700 balls: a few standard errors
  // S2 of the void, mean over the three axes, against phi^(2 - K(r)) with the sample's phi. The digitised
  // balls (radius 4) and the finite sample (~2700 balls) leave deviations of a few 1e-3; checked within 0.01.
  double worst = 0;
  for (size_t r = 0; r <= 12; ++r) {
    const double x = r / R;
    const double K = r <= 2 * R ? 1 - 0.75 * x + x * x * x / 16 : 0.0;
    const double model = std::pow(phi, 2 - K);
    const double s = (tp.s2(0, 0, r) + tp.s2(0, 1, r) + tp.s2(0, 2, r)) / 3;
    worst = std::max(worst, std::abs(s - model));
    EXPECT_NEAR(s, model, 0.01) << "lag " << r;
  }
  // First step against S_V / 4 (h = 1), S_V of the Boolean void. Digitisation removes the void chords that
  // hold no voxel centre: a chord of length l < 1 at a random offset holds none with probability 1 - l, so
  // with the exponential void chords (rate mu, below) a fraction 1 - (1 - e^-mu) / mu of them vanish, and
  // with each its two crossings (6.4 % here; short solid chords are rarer by far: 1/(12 R^2)). Within 3 %.
  const double rate = -std::log(phi) * 3 / (4 * R);
  const double lost = 1 - (1 - std::exp(-rate)) / rate;
  const double SV = -phi * std::log(phi) * 3 / R;
  const double step = phi - (tp.s2(0, 0, 1) + tp.s2(0, 1, 1) + tp.s2(0, 2, 1)) / 3;
  EXPECT_NEAR(step / (SV / 4 * (1 - lost)), 1.0, 0.03);
  // Void chords: exponential with rate mu = -ln(phi) 3 / (4 R). The digital chord length is the number of
  // void voxel centres on the chord, whose tail P(L >= k) = e^(-mu (k - 1)) (1 - e^-mu) / mu is geometric
  // with the same ratio; the log slope of the domain-corrected frequencies (chordFrequencies) over k = 4..20
  // (tens of thousands of chords over the three axes) within 5 %.
  auto c = chordLengths(*p.grid, p.phase, 2);
  std::vector<double> tail(22, 0.0);
  for (int a = 0; a < 3; ++a) {
    const std::vector<double> f = chordFrequencies(c[0][a], n);
    for (size_t L = 1; L < f.size(); ++L)
      for (size_t k = 1; k < tail.size() && k <= L; ++k) tail[k] += f[L];
  }
  double sx = 0, sy = 0, sxx = 0, sxy = 0, m = 0;
  for (int k = 4; k <= 20; ++k) {
    const double y = std::log(tail[k]);
    sx += k, sy += y, sxx += k * k, sxy += k * y, ++m;
  }
  const double slope = (m * sxy - sx * sy) / (m * sxx - sx * sx);
  EXPECT_NEAR(-slope / rate, 1.0, 0.05);
  int rank = 0;
  MPI_Comm_rank(PETSC_COMM_WORLD, &rank);
  if (rank == 0)
    std::printf(
        "Boolean void: phi %.4f, S2 worst |deviation| %.4f, first step / (S_V/4 (1 - lost)) %.4f, chord rate "
        "%.4f vs %.4f\n",
        phi, worst, step / (SV / 4 * (1 - lost)), -slope, rate);
}

}  // namespace
}  // namespace ssb

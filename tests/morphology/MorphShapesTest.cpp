// The morphology study on analytic shapes, every metric against its exact value (derivations inline):
// spheres, cylinders, slabs, layers, a tilted plane, straight and zig-zag channels, two touching spheres,
// a hollow particle. Volumes are built from global label functions, so the expected values cannot depend on
// the rank count; the tests run on 1 and 2 ranks.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "postprocess/LocalThickness.hpp"
#include "tests/morphology/MorphTestUtil.hpp"

namespace ssb {
namespace {

using test::num;

constexpr uint16_t kPore = 0, kLps = 1, kNmc = 2;

// Lattice points with |p|^2 <= r2 (counted here by enumeration, independently of the code under test).
int64_t latticeBall(int64_t r2) {
  int64_t m = static_cast<int64_t>(std::sqrt(static_cast<double>(r2))) + 1, c = 0;
  for (int64_t x = -m; x <= m; ++x)
    for (int64_t y = -m; y <= m; ++y)
      for (int64_t z = -m; z <= m; ++z) c += x * x + y * y + z * z <= r2;
  return c;
}

double sq(double x) { return x * x; }

TEST(MorphShapes, SphereVolumeSurfaceThickness) {
  // NMC ball of radius 10 centred on voxel (15,15,15) in LPS, 32^3 voxels of 0.5 um.
  const double h = 0.5e-6;
  Volume v = test::makeVolume(PETSC_COMM_WORLD, {32, 32, 32},
                              [](int64_t i, int64_t j, int64_t k) {
                                return sq(i - 15) + sq(j - 15) + sq(k - 15) <= 100 ? kNmc : kLps;
                              },
                              {h, h, h});
  PhaseMap pm = test::composite();
  Json r = test::runStudy(v, pm,
                          "{type: morphology, name: sphere, metrics: [volume_fractions, surface_area, "
                          "local_thickness, connectivity], local_thickness: {phases: [NMC]}}");
  const double N = 32.0 * 32 * 32;
  const int64_t ball = latticeBall(100);
  EXPECT_DOUBLE_EQ(num(r["volume_fractions"]["NMC"]), ball / N);
  EXPECT_DOUBLE_EQ(num(r["volume_fractions"]["LPS"]), 1 - ball / N);
  EXPECT_DOUBLE_EQ(num(r["volume_fractions"]["pore"]), 0.0);
  // Surface: every ball of radius in [10, sqrt 101) about (15,15,15) has these voxels (|p|^2 <= 100 includes
  // the 30 lattice points exactly on the radius-10 sphere, single-voxel bumps), so the area is known only to
  // lie in 4 pi [100, 101] h^2; the estimator's bound is 2 % of that band (MorphSurfaceTest).
  const double lo = 4 * M_PI * 100 * h * h / (N * h * h * h), hi = lo * 1.01;
  for (double s :
       {num(r["surface_area"]["per_volume"]["NMC"]), num(r["surface_area"]["interfaces"]["LPS|NMC"])}) {
    EXPECT_GT(s, 0.98 * lo);
    EXPECT_LT(s, 1.02 * hi);
  }
  EXPECT_DOUBLE_EQ(num(r["surface_area"]["per_volume"]["LPS"]), num(r["surface_area"]["per_volume"]["NMC"]));
  // Local thickness: the largest inscribed ball is centred on (15,15,15) (a voxel centre: the sub-voxel
  // refinement keeps it there by symmetry); its squared radius is the smallest |p|^2 > 100 on the lattice,
  // 101 = 10^2 + 1^2, and it holds every voxel of the ball, so the thickness is 2 sqrt(101) - 1/2 voxels
  // everywhere: within one voxel of 2R = 20.
  const Json& lt = r["local_thickness"]["NMC"];
  EXPECT_NEAR(num(lt["mean"]), (2 * std::sqrt(101.0) - 0.5) * h, 1e-12 * h);
  EXPECT_NEAR(num(lt["min"]), num(lt["max"]), 1e-12 * h);
  EXPECT_LE(std::abs(num(lt["mean"]) - 20 * h), h);
  EXPECT_NEAR(num(lt["std"]), 0.0, 1e-12 * h);
  // One cluster that touches no domain face.
  EXPECT_EQ(r["connectivity"]["NMC"]["clusters"].get<int64_t>(), 1);
  EXPECT_EQ(r["connectivity"]["NMC"]["isolated_clusters"].get<int64_t>(), 1);
  EXPECT_DOUBLE_EQ(num(r["connectivity"]["NMC"]["largest_cluster_fraction"]), 1.0);
  EXPECT_FALSE(r["connectivity"]["NMC"]["percolates"]["z"].get<bool>());
  EXPECT_TRUE(r["connectivity"]["LPS"]["percolates"]["x"].get<bool>());
  EXPECT_EQ(r["units"]["local_thickness"],
            "mean, std, min, max: m; voxels, balls_painted, balls_refined: count");
}

TEST(MorphShapes, OffCentreSphereSurface) {
  // Radius 12.3 about a point off the lattice: 4 pi R^2 within 2 % (the estimator's bound for spheres of
  // radius >= 6, tests/morphology/MorphSurfaceTest.cpp).
  Volume v = test::makeVolume(PETSC_COMM_WORLD, {34, 33, 32}, [](int64_t i, int64_t j, int64_t k) {
    return sq(i - 16.2) + sq(j - 15.7) + sq(k - 16.4) <= sq(12.3) ? kNmc : kLps;
  });
  PhaseMap pm = test::composite();
  Json r = test::runStudy(v, pm, "{type: morphology, name: sph2, metrics: [surface_area]}");
  const double exact = 4 * M_PI * sq(12.3) / (34.0 * 33 * 32);
  EXPECT_NEAR(num(r["surface_area"]["per_volume"]["NMC"]) / exact, 1.0, 0.02);
}

TEST(MorphShapes, TiltedPlaneSurface) {
  // NMC below the plane z = 14 + 0.3 x + 0.2 y (inside the box for every x, y), LPS above: the interface is
  // 48 x 48 voxels projected, area 48^2 sqrt(1 + 0.3^2 + 0.2^2).
  Volume v = test::makeVolume(PETSC_COMM_WORLD, {48, 48, 40}, [](int64_t i, int64_t j, int64_t k) {
    return (k + 0.5) < 14 + 0.3 * (i + 0.5) + 0.2 * (j + 0.5) ? kNmc : kLps;
  });
  PhaseMap pm = test::composite();
  Json r = test::runStudy(v, pm, "{type: morphology, name: plane, metrics: [surface_area]}");
  const double exact = 48.0 * 48 * std::sqrt(1 + 0.09 + 0.04) / (48.0 * 48 * 40);
  EXPECT_NEAR(num(r["surface_area"]["interfaces"]["LPS|NMC"]) / exact, 1.0, 0.03);
}

TEST(MorphShapes, LayersCoverageSlicesRev) {
  // z layers: pore [0, 8), NMC [8, 20), LPS [20, 32) in 24 x 20 x 32. NMC has two interfaces of 24 x 20,
  // one with each neighbour, both normal to z: coverage by electrolyte is exactly 1/2, and each area is
  // exactly 24 x 20 (flat facets normal to an axis are exact).
  Volume v = test::makeVolume(PETSC_COMM_WORLD, {24, 20, 32}, [](int64_t, int64_t, int64_t k) {
    return k < 8 ? kPore : k < 20 ? kNmc : kLps;
  });
  PhaseMap pm = test::composite();
  Json r = test::runStudy(v, pm,
                          "{type: morphology, name: layers, metrics: [surface_area, coverage, "
                          "slice_profiles, rev, volume_fractions]}");
  const double V = 24.0 * 20 * 32, A = 24.0 * 20;
  EXPECT_NEAR(num(r["surface_area"]["interfaces"]["pore|NMC"]), A / V, 1e-12);
  EXPECT_NEAR(num(r["surface_area"]["interfaces"]["LPS|NMC"]), A / V, 1e-12);
  EXPECT_NEAR(num(r["surface_area"]["interfaces"]["pore|LPS"]), 0.0, 1e-15);
  EXPECT_NEAR(num(r["coverage"]["NMC"]["electrolyte_fraction"]), 0.5, 1e-12);
  EXPECT_NEAR(num(r["coverage"]["NMC"]["pore_fraction"]), 0.5, 1e-12);
  // Slice profiles: along z each slice is all one phase (fraction 0 or 1): std = sqrt(f (1 - f)); along x
  // every slice has the volume fraction: std 0.
  const double f = 12.0 / 32;
  EXPECT_NEAR(num(r["slice_profiles"]["NMC"]["z"]["mean"]), f, 1e-14);
  EXPECT_NEAR(num(r["slice_profiles"]["NMC"]["z"]["std"]), std::sqrt(f * (1 - f)), 1e-14);
  EXPECT_NEAR(num(r["slice_profiles"]["NMC"]["x"]["std"]), 0.0, 1e-14);
  EXPECT_NEAR(num(r["slice_profiles"]["NMC"]["x"]["min"]), f, 1e-14);
  // REV about the centre voxel (12, 10, 16): the cube of edge 2s spans z in [16 - s, 16 + s). NMC = z < 20:
  // for s <= 4 all of it is NMC-free? no: z < 20 and z >= 16 - s -> NMC slices 16 - s .. 19 = min(s, 4) + s
  // slices out of 2s... computed here directly from the layer bounds, for every s up to 10.
  const int smax = 10;  // min over axes of min(mid, n - mid): x 12, y 10, z 16
  EXPECT_EQ(r["rev"]["NMC"]["largest_cube_edge_voxels"].get<int64_t>(), 2 * smax);
  auto nmcFrac = [](int s) {
    int nmc = 0;
    for (int z = 16 - s; z < 16 + s; ++z) nmc += z >= 8 && z < 20;
    return nmc / (2.0 * s);
  };
  EXPECT_NEAR(num(r["rev"]["NMC"]["largest_cube_value"]), nmcFrac(smax), 1e-14);
  // Smallest edge from which every larger cube stays within 5 % of 12/32.
  int first = -1;
  for (int s = smax; s >= 1; --s) {
    if (std::abs(nmcFrac(s) - f) > 0.05 * f) break;
    first = s;
  }
  if (first < 0)
    EXPECT_TRUE(r["rev"]["NMC"]["rev_edge_voxels"].is_null());
  else
    EXPECT_EQ(r["rev"]["NMC"]["rev_edge_voxels"].get<int64_t>(), 2 * first);
  // Files: the CSV of the REV curve has one row per s.
  std::ifstream csv(test::outDir("t") / r["rev"]["csv"].get<std::string>());
  int lines = 0;
  for (std::string l; std::getline(csv, l);) ++lines;
  EXPECT_EQ(lines, 1 + smax);
}

TEST(MorphShapes, ActiveInterfacesAndTriplePhaseBoundary) {
  // 24 x 24 x 30 voxels. NMC layer z < 10 (touches z-, the current collector); above it LPS for y < 12
  // (touches z+, the separator) and pore for y >= 12; a floating NMC block x in [6,14), y in [8,16), z in
  // [16,22) straddles the LPS|pore plane and touches no face. With connected_to {NMC: z-, LPS: z+}:
  //   NMC|LPS: layer 24 x 12 = 288 (active) + block in the LPS half: x-faces 2 x 4 x 6, z-faces 2 x 8 x 4,
  //            y-face 8 x 6 = 160 (inactive: the block is not connected to z-);
  //   NMC|pore: layer 288 (active; pore has no face) + block in the pore half 160 (inactive);
  //   LPS|pore: the plane y = 11.5 above the layer, 24 x 20, less the block's 8 x 6 cross-section = 432
  //   (active).
  // All facets are flat and normal to an axis: exact. Triple line: along x at the layer's edge, 24 voxels
  // (active), and round the block where it crosses the LPS|pore plane, perimeter 2 (8 + 6) = 28 (inactive);
  // straight lines along the axes are exact up to their corners.
  auto f = [](int64_t i, int64_t j, int64_t k) -> uint16_t {
    if (i >= 6 && i < 14 && j >= 8 && j < 16 && k >= 16 && k < 22) return kNmc;
    if (k < 10) return kNmc;
    return j < 12 ? kLps : kPore;
  };
  Volume v = test::makeVolume(PETSC_COMM_WORLD, {24, 24, 30}, f);
  PhaseMap pm = test::composite();
  Json r = test::runStudy(v, pm,
                          "{type: morphology, name: active, metrics: [surface_area, triple_phase_boundary], "
                          "connected_to: {NMC: z-, LPS: z+}}");
  const double V = 24.0 * 24 * 30;
  const Json& sa = r["surface_area"];
  EXPECT_NEAR(num(sa["interfaces"]["LPS|NMC"]) * V, 288 + 160, 1e-9);
  EXPECT_NEAR(num(sa["active_interfaces"]["LPS|NMC"]) * V, 288, 1e-9);
  EXPECT_NEAR(num(sa["inactive_interfaces"]["LPS|NMC"]) * V, 160, 1e-9);
  EXPECT_NEAR(num(sa["interfaces"]["pore|NMC"]) * V, 288 + 160, 1e-9);
  EXPECT_NEAR(num(sa["active_interfaces"]["pore|NMC"]) * V, 288, 1e-9);
  EXPECT_NEAR(num(sa["interfaces"]["pore|LPS"]) * V, 432, 1e-9);
  EXPECT_NEAR(num(sa["active_interfaces"]["pore|LPS"]) * V, 432, 1e-9);
  const Json& t = r["triple_phase_boundary"]["NMC|LPS|pore"];
  EXPECT_NEAR(num(t["active_length_per_volume"]) * V, 24, 1e-9);
  EXPECT_NEAR(num(t["inactive_length_per_volume"]) * V, 28, 1e-9);
  EXPECT_EQ(r["units"]["triple_phase_boundary"], "1/m^2 (line length per total volume); active_fraction: 1");
}

TEST(MorphShapes, AlternatingLayersRevIsTwoVoxels) {
  // x even: LPS, x odd: pore. Every centred cube has an even edge, hence exactly half of each: REV = 2.
  Volume v = test::makeVolume(PETSC_COMM_WORLD, {24, 22, 26},
                              [](int64_t i, int64_t, int64_t) { return i % 2 == 0 ? kLps : kPore; });
  PhaseMap pm = test::composite();
  Json r = test::runStudy(v, pm, "{type: morphology, name: alt, metrics: [rev]}");
  EXPECT_EQ(r["rev"]["LPS"]["rev_edge_voxels"].get<int64_t>(), 2);
  EXPECT_EQ(r["rev"]["pore"]["rev_edge_voxels"].get<int64_t>(), 2);
  EXPECT_TRUE(r["rev"]["NMC"]["rev_edge_voxels"].is_null());
}

TEST(MorphShapes, SlabAndCylinderThickness) {
  // LPS slab of t voxels across z in NMC, 20 x 18 x 30; open border. Odd t: the centre voxel sees the
  // background at (t + 1) / 2, diameter t + 1 - 1/2; even t: the two centre layers are local maxima of the
  // distance and the refined centre sits on the plane between them, (t + 1) / 2 from the background on both
  // sides: t + 1/2 as well. Every voxel of the slab lies in such a ball.
  for (int t : {7, 8}) {
    Volume v = test::makeVolume(PETSC_COMM_WORLD, {20, 18, 30}, [t](int64_t, int64_t, int64_t k) {
      return k >= 10 && k < 10 + t ? kLps : kNmc;
    });
    PhaseMap pm = test::composite();
    Json r = test::runStudy(v, pm,
                            "{type: morphology, name: slab, metrics: [local_thickness], "
                            "local_thickness: {phases: [LPS]}}");
    const double expect = t + 0.5;
    EXPECT_DOUBLE_EQ(num(r["local_thickness"]["LPS"]["min"]), expect);
    EXPECT_DOUBLE_EQ(num(r["local_thickness"]["LPS"]["max"]), expect);
    EXPECT_LE(std::abs(num(r["local_thickness"]["LPS"]["mean"]) - t), 1.0);
  }
  // Cylinder of radius 8 along x about (y, z) = (12, 12): the largest squared radius on its axis is the
  // smallest sum of two squares > 64, 65 = 8^2 + 1^2; the ball holds the whole cross-section, so every
  // voxel has 2 sqrt(65) - 1/2, within one voxel of 16. Closed border: the cylinder's axis runs into the x
  // faces, where the outside now limits the balls (thinner ends), so only the open border is uniform.
  Volume v = test::makeVolume(PETSC_COMM_WORLD, {30, 25, 25}, [](int64_t, int64_t j, int64_t k) {
    return sq(j - 12) + sq(k - 12) <= 64 ? kLps : kNmc;
  });
  PhaseMap pm = test::composite();
  Json r = test::runStudy(v, pm,
                          "{type: morphology, name: cyl, metrics: [local_thickness], "
                          "local_thickness: {phases: [LPS]}}");
  EXPECT_NEAR(num(r["local_thickness"]["LPS"]["min"]), 2 * std::sqrt(65.0) - 0.5, 1e-12);
  EXPECT_NEAR(num(r["local_thickness"]["LPS"]["max"]), 2 * std::sqrt(65.0) - 0.5, 1e-12);
  EXPECT_LE(std::abs(num(r["local_thickness"]["LPS"]["mean"]) - 16), 1.0);
  Json rc = test::runStudy(v, pm,
                           "{type: morphology, name: cylc, metrics: [local_thickness], "
                           "local_thickness: {phases: [LPS], border: closed}}");
  EXPECT_LT(num(rc["local_thickness"]["LPS"]["min"]), num(r["local_thickness"]["LPS"]["min"]));
  EXPECT_NEAR(num(rc["local_thickness"]["LPS"]["max"]), 2 * std::sqrt(65.0) - 0.5, 1e-12);
}

// Largest and smallest thickness over the voxels of `inShape` (all ranks).
std::pair<double, double> thicknessRange(const std::array<int64_t, 3>& n, double h,
                                         const std::function<bool(int64_t, int64_t, int64_t)>& inShape) {
  VoxelGrid g;
  g.n = n;
  g.spacing = {h, h, h};
  StructuredGrid grid(PETSC_COMM_WORLD, g);
  std::vector<uint8_t> mask = test::ownedMask(grid, inShape);
  std::vector<double> t = localThickness(grid, mask, false);
  double mx = 0, mn = 1e300;
  for (size_t q = 0; q < t.size(); ++q)
    if (mask[q]) mx = std::max(mx, t[q]), mn = std::min(mn, t[q]);
  double out[2] = {mx, -mn}, got[2];
  MPI_Allreduce(out, got, 2, MPI_DOUBLE, MPI_MAX, PETSC_COMM_WORLD);
  return {got[0], -got[1]};
}

TEST(MorphShapes, ThicknessOfAnyPlacement) {
  // The acceptance: balls centred on a voxel centre, a face centre, an edge and a corner, and
  // cylinders with their axis anywhere, give their diameter 2R within one voxel (before the sub-voxel
  // refinement a corner-centred ball lost more than two voxels). The thickness of the shape is the largest
  // value over its voxels (the ball about its centre); h = 0.5 um checks the units.
  const double h = 0.5e-6;
  const double place[4][3] = {{0, 0, 0}, {0.5, 0, 0}, {0.5, 0.5, 0}, {0.5, 0.5, 0.5}};
  for (double R : {5.0, 8.0, 12.5})
    for (const auto& o : place) {
      const int64_t dom = static_cast<int64_t>(2 * R) + 5;
      const double c[3] = {dom / 2 + o[0], dom / 2 + o[1], dom / 2 + o[2]};
      auto [mx, mn] = thicknessRange({dom, dom, dom}, h, [&](int64_t i, int64_t j, int64_t k) {
        return sq(i - c[0]) + sq(j - c[1]) + sq(k - c[2]) <= R * R;
      });
      EXPECT_LT(std::abs(mx / h - 2 * R), 1.0)
          << "ball R " << R << " at " << o[0] << "," << o[1] << "," << o[2];
      std::printf("ball R %4.1f at (%.1f,%.1f,%.1f): max %.3f (2R %.1f), min %.3f\n", R, o[0], o[1], o[2],
                  mx / h, 2 * R, mn / h);
    }
  const double axis[6][2] = {{0, 0}, {0.5, 0}, {0.5, 0.5}, {0.3, 0.7}, {0.81, 0.17}, {0.13, 0.42}};
  for (double R : {5.0, 8.0})
    for (const auto& o : axis) {
      const int64_t dom = static_cast<int64_t>(2 * R) + 5;
      const double c[2] = {dom / 2 + o[0], dom / 2 + o[1]};
      auto [mx, mn] = thicknessRange({dom, dom, 6}, h, [&](int64_t i, int64_t j, int64_t) {
        return sq(i - c[0]) + sq(j - c[1]) <= R * R;
      });
      EXPECT_LT(std::abs(mx / h - 2 * R), 1.0) << "cylinder R " << R << " axis at " << o[0] << "," << o[1];
      std::printf("cylinder R %4.1f axis (%.2f,%.2f): max %.3f (2R %.1f), min %.3f\n", R, o[0], o[1], mx / h,
                  2 * R, mn / h);
    }
  // Slabs of every thickness 5..10 at any z (a digital slab is t voxels whatever the continuous placement):
  // t + 1/2 everywhere.
  for (int t = 5; t <= 10; ++t) {
    auto [mx, mn] =
        thicknessRange({10, 9, 24}, h, [&](int64_t, int64_t, int64_t k) { return k >= 7 && k < 7 + t; });
    EXPECT_NEAR(mx / h, t + 0.5, 1e-9);
    EXPECT_NEAR(mn / h, t + 0.5, 1e-9);
  }
}

TEST(MorphShapes, StraightAndZigZagChannels) {
  const double h = 0.5e-6;
  // Straight 3 x 3 LPS channel along z through NMC: every path is straight, tortuosity exactly 1.
  {
    Volume v = test::makeVolume(
        PETSC_COMM_WORLD, {12, 12, 20},
        [](int64_t i, int64_t j, int64_t) { return i >= 4 && i < 7 && j >= 5 && j < 8 ? kLps : kNmc; },
        {h, h, h});
    PhaseMap pm = test::composite();
    for (const char* nb : {"6", "26"}) {
      Json r = test::runStudy(v, pm,
                              fmt::format("{{type: morphology, name: straight, metrics: [geodesic], "
                                          "geodesic: {{phases: [LPS], neighbourhood: {}}}}}",
                                          nb));
      const Json& z = r["geodesic"]["LPS"]["z"];
      EXPECT_EQ(num(z["mean"]), 1.0) << nb;
      EXPECT_EQ(num(z["min"]), 1.0) << nb;
      EXPECT_EQ(num(z["max"]), 1.0) << nb;
      EXPECT_EQ(z["reached"].get<int64_t>(), 9);
      EXPECT_NEAR(num(z["min_length"]), 20 * h, 1e-18);
      EXPECT_FALSE(r["geodesic"]["LPS"]["x"]["percolates"].get<bool>());
      EXPECT_TRUE(r["geodesic"]["LPS"]["x"]["mean"].is_null());
    }
  }
  // Zig-zag: a one-voxel channel at y = 1: up z at x = 2 (z 0..9), across to x = 16 at z = 9, up at x = 16
  // (z 9..19), back to x = 2 at z = 19, up at x = 2 (z 19..29). 10 + 14 + 10 + 14 + 10 = 58 voxels, 57
  // steps; with the half voxels at both faces the 6-neighbour path is 58 voxels long over a thickness of
  // 30. 26 neighbours cut each of the 4 corners by a diagonal step: 2 - sqrt(2) shorter per corner.
  auto zig = [](int64_t i, int64_t j, int64_t k) -> uint16_t {
    if (j != 1) return kNmc;
    bool on = (i == 2 && k <= 9) || (k == 9 && i >= 2 && i <= 16) || (i == 16 && k >= 9 && k <= 19) ||
              (k == 19 && i >= 2 && i <= 16) || (i == 2 && k >= 19);
    return on ? kLps : kNmc;
  };
  Volume v = test::makeVolume(PETSC_COMM_WORLD, {20, 3, 30}, zig, {h, h, h});
  PhaseMap pm = test::composite();
  Json r6 = test::runStudy(v, pm,
                           "{type: morphology, name: zig6, metrics: [geodesic], "
                           "geodesic: {phases: [LPS], directions: [z]}}");
  const Json& z6 = r6["geodesic"]["LPS"]["z"];
  EXPECT_NEAR(num(z6["mean"]), 58.0 / 30, 1e-13);
  EXPECT_NEAR(num(z6["max_length"]), 58 * h, 1e-13 * h);
  EXPECT_EQ(z6["reached"].get<int64_t>(), 1);
  Json r26 = test::runStudy(v, pm,
                            "{type: morphology, name: zig26, metrics: [geodesic], "
                            "geodesic: {phases: [LPS], directions: [z], neighbourhood: 26}}");
  EXPECT_NEAR(num(r26["geodesic"]["LPS"]["z"]["mean"]), (58 - 4 * (2 - std::sqrt(2.0))) / 30, 1e-13);
  // From the + face the path is the same, reversed.
  Json rp = test::runStudy(v, pm,
                           "{type: morphology, name: zigp, metrics: [geodesic], "
                           "geodesic: {phases: [LPS], directions: [z], inlet: plus}}");
  EXPECT_NEAR(num(rp["geodesic"]["LPS"]["z"]["mean"]), 58.0 / 30, 1e-13);
}

TEST(MorphShapes, TwoSpheresConnectivityAndPoreSizes) {
  // Two pore balls of radius 6 (|p - c|^2 <= 36) in LPS, 33 x 21 x 21. Centres 12 apart along x share the
  // voxel midway: one cluster of 2 N(36) - 1 voxels whose Feret diameter is 12 + 2 * 6 = 24 (along x, one
  // of the caliper directions). Centres 14 apart leave a gap: two clusters of N(36), Feret 12 each.
  const double h = 1e-6;
  const int64_t ball = latticeBall(36);
  for (int gap : {12, 14}) {
    Volume v = test::makeVolume(PETSC_COMM_WORLD, {33, 21, 21},
                                [gap](int64_t i, int64_t j, int64_t k) {
                                  bool a = sq(i - 9) + sq(j - 10) + sq(k - 10) <= 36,
                                       b = sq(i - 9 - gap) + sq(j - 10) + sq(k - 10) <= 36;
                                  return a || b ? kPore : kLps;
                                },
                                {h, h, h});
    PhaseMap pm = test::composite();
    Json r = test::runStudy(v, pm,
                            "{type: morphology, name: spheres, metrics: [connectivity, "
                            "pore_size_distribution, volume_fractions], connected_to: {LPS: z-}}");
    const Json& c = r["connectivity"]["pore"];
    const Json& p = r["pore_size_distribution"]["pore"];
    const double N = 33.0 * 21 * 21;
    if (gap == 12) {
      EXPECT_EQ(c["clusters"].get<int64_t>(), 1);
      EXPECT_DOUBLE_EQ(num(c["largest_cluster_fraction"]), 1.0);
      EXPECT_DOUBLE_EQ(num(r["volume_fractions"]["pore"]), (2 * ball - 1) / N);
      EXPECT_EQ(p["count"].get<int64_t>(), 1);
      EXPECT_NEAR(num(p["max_feret"]), 24 * h, 1e-12 * h);
      EXPECT_NEAR(num(p["mean_equivalent_diameter"]), std::cbrt(6.0 * (2 * ball - 1) / M_PI) * h, 1e-12 * h);
    } else {
      EXPECT_EQ(c["clusters"].get<int64_t>(), 2);
      EXPECT_EQ(c["isolated_clusters"].get<int64_t>(), 2);
      EXPECT_DOUBLE_EQ(num(c["largest_cluster_fraction"]), 0.5);
      EXPECT_EQ(p["count"].get<int64_t>(), 2);
      EXPECT_NEAR(num(p["max_feret"]), 12 * h, 1e-12 * h);
      EXPECT_NEAR(num(p["d50"]), std::cbrt(6.0 * ball / M_PI) * h, 1e-12 * h);
      EXPECT_DOUBLE_EQ(num(p["largest_pore_share"]), 0.5);
    }
    EXPECT_DOUBLE_EQ(num(c["isolated_fraction"]), 1.0);
    EXPECT_FALSE(c["percolates"]["x"].get<bool>());
    EXPECT_DOUBLE_EQ(num(r["connectivity"]["LPS"]["connected_to"]["fraction"]), 1.0);
    EXPECT_EQ(r["connectivity"]["LPS"]["connected_to"]["face"], "z-");
    EXPECT_DOUBLE_EQ(num(r["connectivity"]["LPS"]["through_fraction"]["y"]), 1.0);
  }
}

TEST(MorphShapes, ThroughFractionAndFaceConnection) {
  // NMC: a column through z (3 x 3 x 24 = 216 voxels) plus a detached block touching only the z- face
  // (4 x 4 x 5 = 80 voxels) and an isolated cube (2 x 2 x 2 = 8) in the middle.
  Volume v = test::makeVolume(PETSC_COMM_WORLD, {16, 16, 24}, [](int64_t i, int64_t j, int64_t k) {
    bool column = i >= 2 && i < 5 && j >= 2 && j < 5;
    bool block = i >= 9 && i < 13 && j >= 9 && j < 13 && k < 5;
    bool cube = i >= 10 && i < 12 && j >= 3 && j < 5 && k >= 11 && k < 13;
    return column || block || cube ? kNmc : kLps;
  });
  PhaseMap pm = test::composite();
  Json r = test::runStudy(v, pm,
                          "{type: morphology, name: through, metrics: [connectivity], "
                          "connected_to: {NMC: z-}, directions: [z, x]}");
  const Json& c = r["connectivity"]["NMC"];
  EXPECT_EQ(c["voxels"].get<int64_t>(), 304);
  EXPECT_EQ(c["clusters"].get<int64_t>(), 3);
  EXPECT_EQ(c["isolated_clusters"].get<int64_t>(), 1);
  EXPECT_DOUBLE_EQ(num(c["through_fraction"]["z"]), 216.0 / 304);
  EXPECT_DOUBLE_EQ(num(c["through_fraction"]["x"]), 0.0);
  EXPECT_TRUE(c["percolates"]["z"].get<bool>());
  EXPECT_FALSE(c["percolates"]["x"].get<bool>());
  EXPECT_DOUBLE_EQ(num(c["connected_to"]["fraction"]), 296.0 / 304);
  EXPECT_DOUBLE_EQ(num(c["largest_cluster_fraction"]), 216.0 / 304);
  EXPECT_DOUBLE_EQ(num(c["isolated_fraction"]), 8.0 / 304);
  EXPECT_FALSE(c["through_fraction"].contains("y"));
}

TEST(MorphShapes, HollowParticleInnerPorosity) {
  // NMC ball |p - c|^2 <= 81 about (15,15,15) with a pore hole |p - c|^2 <= 9 and an LPS pocket
  // |p - (15,15,21)|^2 <= 2 (19 voxels, |p - c|^2 from 25 to 50; their face neighbours outside the pocket
  // lie between 16 and 65: NMC, so the pocket is sealed off from the hole and from the matrix); LPS matrix
  // around it; a pore layer z < 3 touching the domain face (30 x 30 x 3 voxels).
  auto f = [](int64_t i, int64_t j, int64_t k) -> uint16_t {
    double r2 = sq(i - 15) + sq(j - 15) + sq(k - 15);
    if (k < 3) return kPore;
    if (r2 <= 9) return kPore;
    if (sq(i - 15) + sq(j - 15) + sq(k - 21) <= 2) return kLps;
    if (r2 <= 81) return kNmc;
    return kLps;
  };
  Volume v = test::makeVolume(PETSC_COMM_WORLD, {30, 30, 30}, f);
  PhaseMap pm = test::composite();
  Json r = test::runStudy(v, pm, "{type: morphology, name: hollow, metrics: [inner_porosity]}");
  const Json& e = r["inner_porosity"]["NMC"];
  const int64_t hole = latticeBall(9);
  EXPECT_EQ(e["inner_pore_voxels"].get<int64_t>(), hole);
  EXPECT_EQ(e["enclosed_regions"].get<int64_t>(), 2);
  EXPECT_DOUBLE_EQ(num(e["share_of_porosity"]), static_cast<double>(hole) / (hole + 30 * 30 * 3));
  EXPECT_DOUBLE_EQ(num(e["enclosed_volume_fraction"]), (hole + 19.0) / (30.0 * 30 * 30));
}

}  // namespace
}  // namespace ssb

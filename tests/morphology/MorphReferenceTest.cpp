// The real reference volume with published morphology values (shared/data/README.md):
// taufactor_electrode.tiff (256^3, 0 = pore, 85 = NMC, 170 = carbon-binder), whose TauFactor notebook
// states the volume fractions (pore 0.44992, NMC 0.40047, CBD 0.14962) and the face-connected
// through-fractions "along x" (pore 0.9989, NMC 0.9611, CBD 0.9740). TauFactor's x is the first numpy axis
// of the TIFF, the page index, which is z here (files are (z, y, x)). (In this volume every phase's main
// cluster touches all six faces and the rest are small enclosed clusters, so y and x give the same
// fractions; only the published axis is asserted.)
#include <gtest/gtest.h>

#include "mesh/VolumeReader.hpp"
#include "tests/TestSupport.hpp"
#include "tests/morphology/MorphTestUtil.hpp"

namespace ssb {
namespace {

Volume readVolume(const std::filesystem::path& path, double voxel) {
  VolumeFileSpec spec;
  spec.path = path;
  auto reader = openVolume(spec);
  VoxelGrid g;
  g.n = reader->info().n;
  g.spacing = {voxel, voxel, voxel};
  Volume v;
  v.grid = std::make_unique<StructuredGrid>(PETSC_COMM_WORLD, g);
  reader->read(v.grid->owned(), v.labels);
  v.source = path.string();
  return v;
}

TEST(MorphReference, TauFactorElectrodeFractionsAndThroughConnectivity) {
  const std::filesystem::path path = std::filesystem::path(SSB_DATA_DIR) / "taufactor_electrode.tiff";
  SSB_REQUIRE_DATA_FILE(path);
  Volume v = readVolume(path, 0.390625e-6);  // the notebooks' 100 um cube
  PhaseMap pm;
  pm.add(Phase{"pore", PhaseRole::Pore, {0}});
  pm.add(Phase{"NMC", PhaseRole::Active, {85}});
  pm.add(Phase{"CBD", PhaseRole::Other, {170}});
  Json r = test::runStudy(v, pm,
                          "{type: morphology, name: taufactor, metrics: [volume_fractions, connectivity], "
                          "directions: [z, y, x]}",
                          "taufactor");
  // Volume fractions: the notebook prints 5 digits.
  EXPECT_NEAR(r["volume_fractions"]["pore"].get<double>(), 0.44992, 5e-6);
  EXPECT_NEAR(r["volume_fractions"]["NMC"].get<double>(), 0.40047, 5e-6);
  EXPECT_NEAR(r["volume_fractions"]["CBD"].get<double>(), 0.14962, 5e-6);
  // Through-connected fractions along TauFactor's x = our z, 6-connected: the notebook prints 4 digits.
  EXPECT_NEAR(r["connectivity"]["pore"]["through_fraction"]["z"].get<double>(), 0.9989, 5e-5);
  EXPECT_NEAR(r["connectivity"]["NMC"]["through_fraction"]["z"].get<double>(), 0.9611, 5e-5);
  EXPECT_NEAR(r["connectivity"]["CBD"]["through_fraction"]["z"].get<double>(), 0.9740, 5e-5);
}

// The phase percentages that shared/data/README.md gives for the other real volumes (two decimals, counted
// there with numpy, independently of this code): volume fractions of every TIFF flavour the readers meet
// (8-bit grey with a threshold range, 1-bit, ImageJ 3-phase, uint8 labels).
TEST(MorphReference, ReadmeVolumeFractions) {
  struct Ref {
    const char* file;
    std::vector<std::pair<std::vector<uint16_t>, double>> phases;  // labels, percent
  };
  std::vector<uint16_t> grey(90);
  for (uint16_t l = 0; l < 90; ++l) grey[l] = l;
  std::vector<uint16_t> fibre;
  for (uint32_t l = 90; l <= 255; ++l) fibre.push_back(static_cast<uint16_t>(l));
  const std::vector<Ref> refs = {
      {"puma_100_fiberform.tif", {{grey, 83.29}, {fibre, 16.71}}},
      {"openimpala_SampleData_2Phase_stack_3d_1bit.tif", {{{0}, 60.17}, {{1}, 39.83}}},
      {"openimpala_spheres.tif", {{{1}, 88.80}, {{0}, 11.20}}},
      {"openimpala_legacy2019_SampleData_2Phase.tif", {{{1}, 44.27}, {{0}, 55.73}}},
      {"openimpala_legacy2019_SampleData_3Phase.tif", {{{0}, 40.17}, {{128}, 29.10}, {{255}, 30.73}}},
      // MATBOX: the README's phase line says 40.35 / 50.33 / 10.08 %, but its own reference table gives
      // eps total 0.4005 for the pore, and this volume counts 0.40055 / 0.49945 / 0.10000: the phase line
      // does not match the file (reported); only the pore's 0.4005 is asserted.
      {"matbox_nmc-1-cal_generatedCBD_bridge.tif", {{{0}, 40.05}}},
  };
  for (const Ref& ref : refs) {
    const std::filesystem::path path = std::filesystem::path(SSB_DATA_DIR) / ref.file;
    SSB_REQUIRE_DATA_FILE(path);
    Volume v = readVolume(path, 1e-6);
    PhaseMap pm;
    for (size_t p = 0; p < ref.phases.size(); ++p)
      pm.add(Phase{fmt::format("p{}", p), PhaseRole::Other, ref.phases[p].first});
    Json r = test::runStudy(v, pm, "{type: morphology, name: readme, metrics: [volume_fractions]}", "readme");
    for (size_t p = 0; p < ref.phases.size(); ++p)
      EXPECT_NEAR(r["volume_fractions"][fmt::format("p{}", p)].get<double>(), ref.phases[p].second / 100,
                  5.1e-5)
          << ref.file << " phase " << p;
  }
}

}  // namespace
}  // namespace ssb

// The real reference volume with published morphology values (shared/data/README.md):
// taufactor_electrode.tiff (256^3, 0 = pore, 85 = NMC, 170 = carbon-binder), whose TauFactor notebook
// states the volume fractions (pore 0.44992, NMC 0.40047, CBD 0.14962) and the face-connected
// through-fractions "along x" (pore 0.9989, NMC 0.9611, CBD 0.9740). TauFactor's x is the first numpy axis
// of the TIFF, the page index, which is z here (files are (z, y, x)). (In this volume every phase's main
// cluster touches all six faces and the rest are small enclosed clusters, so y and x give the same
// fractions; only the published axis is asserted.)
#include <gtest/gtest.h>

#include "mesh/VolumeReader.hpp"
#include "tests/morphology/MorphTestUtil.hpp"

namespace ssb {
namespace {

TEST(MorphReference, TauFactorElectrodeFractionsAndThroughConnectivity) {
  const std::filesystem::path path = std::filesystem::path(SSB_DATA_DIR) / "taufactor_electrode.tiff";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "missing " << path;
  VolumeFileSpec spec;
  spec.path = path;
  auto reader = openVolume(spec);
  VoxelGrid g;
  g.n = reader->info().n;
  g.spacing = {0.390625e-6, 0.390625e-6, 0.390625e-6};  // the notebooks' 100 um cube
  Volume v;
  v.grid = std::make_unique<StructuredGrid>(PETSC_COMM_WORLD, g);
  reader->read(v.grid->owned(), v.labels);
  v.source = path.string();
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

}  // namespace
}  // namespace ssb

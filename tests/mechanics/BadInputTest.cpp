// One test per bad-input rule of the mechanics study: each must throw InputError naming the YAML key (or the
// faces) and saying what to do.
#include <gtest/gtest.h>
#include <petscsys.h>

#include "solver/core/Error.hpp"
#include "tests/mechanics/MechTestUtil.hpp"

namespace ssb {
namespace {

using namespace test;

// Expect an InputError whose message contains every fragment.
void expectInputError(const Volume& v, const std::string& yaml,
                      std::initializer_list<const char*> fragments) {
  PhaseMap pm = nmcLpsPhases();
  try {
    runStudy(v, pm, yaml);
    ADD_FAILURE() << "no error for " << yaml;
  } catch (const InputError& e) {
    const std::string msg = e.what();
    for (const char* f : fragments)
      EXPECT_NE(msg.find(f), std::string::npos) << "'" << f << "' not in: " << msg;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "not an InputError: " << e.what();
  }
}

Volume bilayer() {
  return makeVolume(PETSC_COMM_WORLD, {3, 3, 6},
                    [](int64_t, int64_t, int64_t k) { return k < 3 ? kNmc : kLps; });
}

TEST(MechanicsBadInput, NonPositiveYoungsModulus) {
  Volume v = bilayer();
  expectInputError(v, "{type: mechanics, youngs_modulus: {NMC: -5 GPa}}",
                   {"youngs_modulus.NMC", "out of range"});
  expectInputError(v, "{type: mechanics, youngs_modulus: {LPS: 0}}", {"youngs_modulus.LPS"});
}

TEST(MechanicsBadInput, PoissonRatioAtOrAboveOneHalf) {
  Volume v = bilayer();
  expectInputError(v, "{type: mechanics, poisson_ratio: {LPS: 0.5}}",
                   {"poisson_ratio.LPS", "incompressible"});
  expectInputError(v, "{type: mechanics, poisson_ratio: {NMC: 0.7}}", {"poisson_ratio.NMC"});
  expectInputError(v, "{type: mechanics, poisson_ratio: {NMC: -1}}", {"poisson_ratio.NMC"});
}

TEST(MechanicsBadInput, TractionFaceAlsoHeld) {
  Volume v = bilayer();
  expectInputError(v, "{type: mechanics, fixed: [z_minus, z_plus], traction: [z_plus]}",
                   {"studies[0].traction", "z_plus", "`fixed`"});
  expectInputError(v, "{type: mechanics, roller: [z_plus], traction: [z_plus], fixed: [z_minus]}",
                   {"z_plus", "`roller`"});
}

TEST(MechanicsBadInput, EigenstrainTableDoesNotCoverTheWindow) {
  Volume v = bilayer();
  // The default table covers x = 0.25 .. 1.
  expectInputError(v, "{type: mechanics, li_fraction: 0.1}", {"volume_change", "0.25", "0.1"});
  expectInputError(
      v,
      "{type: mechanics, li_fraction: 0.5, volume_change: {li_fraction: [0.6, 1.0], dv_over_v: [-0.01, 0]}}",
      {"volume_change", "0.6", "0.5"});
  expectInputError(v, "{type: mechanics, li_fraction_profile: {axis: z, from: 0.2, to: 1.0}}",
                   {"volume_change", "0.2"});
  // The reference state must be in the table too.
  expectInputError(v, "{type: mechanics, reference_li_fraction: 0.1}",
                   {"reference_li_fraction", "volume_change"});
  // A malformed table.
  expectInputError(v,
                   "{type: mechanics, volume_change: {li_fraction: [0.5, 0.4, 1.0], dv_over_v: [0, 0, 0]}}",
                   {"volume_change.li_fraction", "increase"});
  expectInputError(v, "{type: mechanics, volume_change: {li_fraction: [0.5, 1.0], dv_over_v: [0]}}",
                   {"same number"});
}

TEST(MechanicsBadInput, LoadedFaceNotConnectedToFixedFace) {
  // A pore layer cuts the column: the solid touching the loaded top does not reach the fixed bottom.
  Volume v = makeVolume(PETSC_COMM_WORLD, {3, 3, 7},
                        [](int64_t, int64_t, int64_t k) { return k == 3 ? kPore : (k < 3 ? kNmc : kLps); });
  expectInputError(v, "{type: mechanics}", {"does not connect", "z_minus", "z_plus"});
  // Same with a prescribed displacement.
  expectInputError(
      v,
      "{type: mechanics, fixed: [z_minus], displacement: [z_plus], applied_displacement: 1 nm, roller: "
      "[x_minus]}",
      {"does not connect", "z_plus"});
}

TEST(MechanicsBadInput, OtherRules) {
  Volume v = bilayer();
  // A periodic axis has no face conditions.
  expectInputError(v, "{type: mechanics, periodic: [x], fixed: [z_minus], roller: [x_minus]}",
                   {"periodic axis x"});
  // Rollers on one face only: the body can rotate.
  expectInputError(v, "{type: mechanics, roller: [z_minus]}", {"free to rotate"});
  // Traction with nothing to push against along its axis.
  expectInputError(v, "{type: mechanics, roller: [x_minus, y_minus], traction: [z_plus]}",
                   {"nothing to push against"});
  // Pores carry no load.
  expectInputError(v, "{type: mechanics, youngs_modulus: {pore: 1 GPa}}",
                   {"youngs_modulus.pore", "role pore"});
  // A crack band one voxel thick that would snap back by itself (20 nm voxel, 5 GPa strength).
  expectInputError(v, "{type: mechanics, decohesion: {strength: 5 GPa, fracture_energy: 0.1 J/m^2}}",
                   {"decohesion.strength", "snaps back"});
  // A displacement face next to a fixed face.
  expectInputError(v,
                   "{type: mechanics, fixed: [x_minus], displacement: [z_plus], applied_displacement: 1 nm}",
                   {"share an edge"});
  expectInputError(v, "{type: mechanics, mode: effective_moduli, fixed: [z_minus]}", {"effective_moduli"});
  expectInputError(v, "{type: mechanics, decohesion: {fracture_energy: 1 J/m^2}}", {"strength"});
}

}  // namespace
}  // namespace ssb

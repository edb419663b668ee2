// The mechanics study's input checks run by loadCase before the volume is loaded (StudyType::prepare): each
// rule that needs no voxel fails there, with the message the study itself gives.
#include <gtest/gtest.h>
#include <petscsys.h>

#include "solver/core/Error.hpp"
#include "solver/driver/Case.hpp"

namespace ssb {
namespace {

// loadCase runs the studies' prepare checks and returns before generating the volume.
const char* kCase = R"(volume:
  generate: {kind: composite, shape: [8, 8, 8], seed: 4, radius: 2, active_fraction: 0.5, pore_fraction: 0.1, pore_radius: 1}
  voxel_size: 1 um
phases:
  - {name: pore, label: 0, role: pore}
  - {name: LPS, label: 1, role: electrolyte}
  - {name: NMC, label: 2, role: active}
studies: []
output: {dir: unused}
)";

std::string loadError(const std::string& studies) {
  CaseInput in;
  in.text = kCase;
  in.file = "mech_prepare.yaml";
  in.overrides.push_back(Override{"studies", YAML::Load(studies)});
  try {
    loadCase(PETSC_COMM_WORLD, in);
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(MechanicsPrepare, InputsAreCheckedBeforeTheVolumeIsLoaded) {
  const std::vector<std::pair<std::string, std::vector<std::string>>> cases = {
      {"[{type: mechanics, youngs_modulus: {NMC: -5 GPa}}]", {"studies[0].youngs_modulus.NMC"}},
      {"[{type: mechanics, youngs_modulus: {NCM: 5 GPa}}]", {"NCM"}},
      {"[{type: mechanics, poisson_ratio: {LPS: 0.5}}]", {"studies[0].poisson_ratio.LPS", "incompressible"}},
      {"[{type: mechanics, fixed: [z_minus, z_plus], traction: [z_plus]}]", {"z_plus", "`fixed`"}},
      {"[{type: mechanics, li_fraction: 0.1}]", {"volume_change", "0.25", "0.1"}},
      {"[{type: mechanics, li_fraction_profile: {axis: z, from: 0.2, to: 1.0}}]", {"volume_change", "0.2"}},
      {"[{type: mechanics, decohesion: {strength: 5 GPa, fracture_energy: 0.1 J/m^2}}]",
       {"decohesion.strength", "snaps back"}},
      {"[{type: mechanics, decohesion: {fracture_energy: 1 J/m^2}}]", {"strength"}},
      {"[{type: mechanics, mode: effective_moduli, fixed: [z_minus]}]", {"effective_moduli"}},
      {"[{type: mechanics, petsc_options: {ksp_type: nonsense}}]", {"studies[0].petsc_options.ksp_type"}},
  };
  for (const auto& [studies, fragments] : cases) {
    const std::string got = loadError(studies);
    for (const auto& f : fragments)
      EXPECT_NE(got.find(f), std::string::npos) << studies << "\n  expected '" << f << "' in: " << got;
  }
}

// A `mechanics:` block inside a lithiation study (the coupling) is checked the same way, with paths under
// studies[0].mechanics.
TEST(MechanicsPrepare, CoupledMechanicsBlockIsCheckedBeforeTheVolumeIsLoaded) {
  const std::string lith =
      "[{type: lithiation, protocol: {steps: [{type: cc, c_rate: 1, direction: charge}]}, ";
  const std::vector<std::pair<std::string, std::vector<std::string>>> cases = {
      {lith + "mechanics: {poisson_ratio: {LPS: 0.5}}}]", {"studies[0].mechanics.poisson_ratio.LPS"}},
      {lith + "mechanics: {decohesion: {fracture_energy: 1 J/m^2}}}]",
       {"studies[0].mechanics.decohesion", "strength"}},
      {lith + "mechanics: {mode: effective_moduli}}]", {"studies[0].mechanics.mode", "only mode response"}},
      {lith + "mechanics: {type: mechanics}}]", {"studies[0].mechanics.type", "implied"}},
      {lith + "mechanics: 5}]", {"studies[0].mechanics", "expected a mapping"}},
      {lith + "mechanics: {}, mechanics_interval: -1 s}]", {"studies[0].mechanics_interval"}},
  };
  for (const auto& [studies, fragments] : cases) {
    const std::string got = loadError(studies);
    for (const auto& f : fragments)
      EXPECT_NE(got.find(f), std::string::npos) << studies << "\n  expected '" << f << "' in: " << got;
  }
}

}  // namespace
}  // namespace ssb

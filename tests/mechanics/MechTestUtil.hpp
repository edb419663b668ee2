#pragma once
// Helpers for the mechanics tests: volumes from a global label function (rank-count independent), the
// NMC | LPS | pore phase map, and running the study (or the model) from a YAML string.
#include <yaml-cpp/yaml.h>

#include <array>
#include <cmath>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "mesh/PhaseMap.hpp"
#include "mesh/StudyContext.hpp"
#include "mesh/Volume.hpp"
#include "physics/Mechanics.hpp"

namespace ssb::test {

using LabelFn = std::function<uint16_t(int64_t i, int64_t j, int64_t k)>;
constexpr uint16_t kPore = 0, kLps = 1, kNmc = 2;

inline Volume makeVolume(MPI_Comm comm, std::array<int64_t, 3> n, const LabelFn& f,
                         std::array<double, 3> spacing = {20e-9, 20e-9, 20e-9}) {
  VoxelGrid g;
  g.n = n;
  g.spacing = spacing;
  Volume v = volumeFromFunction(comm, g, f);
  v.source = "test";
  return v;
}

inline PhaseMap nmcLpsPhases() {
  PhaseMap pm;
  pm.add(Phase{"pore", PhaseRole::Pore, {kPore}});
  pm.add(Phase{"LPS", PhaseRole::Electrolyte, {kLps}});
  pm.add(Phase{"NMC", PhaseRole::Active, {kNmc}});
  return pm;
}

inline Params studyParams(const std::string& yaml) {
  return Params(YAML::Load(yaml), mechanicsSchema(), "studies[0]");
}

inline StudyContext context(const Volume& v, const PhaseMap& pm, FieldWriter* fields = nullptr) {
  return StudyContext{v, pm, fields, std::filesystem::temp_directory_path(), "mech"};
}

inline Json runStudy(const Volume& v, const PhaseMap& pm, const std::string& yaml) {
  return runMechanics(context(v, pm), studyParams(yaml));
}

inline double relErr(double a, double b) { return std::abs(a - b) / std::abs(b); }

// Isotropic moduli used by the analytic solutions (the same formulas a textbook gives; written here rather
// than taken from the code under test).
struct Iso {
  double E, nu;
  double K() const { return E / (3 * (1 - 2 * nu)); }
  double G() const { return E / (2 * (1 + nu)); }
  double M() const { return E * (1 - nu) / ((1 + nu) * (1 - 2 * nu)); }  // uniaxial strain
  double biaxial() const { return E / (1 - nu); }                        // equal biaxial stress, sigma_zz = 0
  double lambda() const { return E * nu / ((1 + nu) * (1 - 2 * nu)); }
};
// The defaults the study documents (thesis / PyBaMM); the tests also pass them explicitly where they matter.
inline const Iso kNmcIso{199e9, 0.2};
inline const Iso kLpsIso{15e9, 15.0 / (2 * 5.9) - 1.0};

}  // namespace ssb::test

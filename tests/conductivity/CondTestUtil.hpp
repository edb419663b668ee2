#pragma once
// Helpers for the conductivity tests: volumes built from a global label function (so the answer cannot
// depend on the rank count), phase maps, and running the study from a YAML string.
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "mesh/PhaseMap.hpp"
#include "mesh/StudyContext.hpp"
#include "mesh/Volume.hpp"
#include "physics/Conductivity.hpp"
#include "solver/core/Random.hpp"

namespace ssb::test {

using LabelFn = std::function<uint16_t(int64_t i, int64_t j, int64_t k)>;

inline Volume makeVolume(MPI_Comm comm, std::array<int64_t, 3> n, const LabelFn& f,
                         std::array<double, 3> spacing = {1e-6, 1e-6, 1e-6}) {
  VoxelGrid g;
  g.n = n;
  g.spacing = spacing;
  Volume v = volumeFromFunction(comm, g, f);
  v.source = "test";
  return v;
}

// Phases "A" (label 1) and "B" (label 2); label 0 belongs to phase "void".
inline PhaseMap abPhases() {
  PhaseMap pm;
  pm.add(Phase{"void", PhaseRole::Pore, {0}});
  pm.add(Phase{"A", PhaseRole::Electrolyte, {1}});
  pm.add(Phase{"B", PhaseRole::Active, {2}});
  return pm;
}

inline Json runStudy(const Volume& v, const PhaseMap& pm, const std::string& yaml,
                     FieldWriter* fields = nullptr) {
  YAML::Node node = YAML::Load(yaml);
  Params p(node, conductivitySchema(), "studies[0]");
  StudyContext ctx{v, pm, fields, std::filesystem::temp_directory_path(), "cond"};
  return runConductivity(ctx, p);
}

inline double tau(const Json& r, const std::string& dir) {
  return r.at("directions").at(dir).at("tortuosity_factor").get<double>();
}

inline double relErr(double a, double b) { return std::abs(a - b) / std::abs(b); }

// Rank-count independent pseudo-random numbers: a hash of (seed, counter).
inline double uniform01(uint64_t seed, uint64_t counter) { return hashUniform(seed, counter); }

struct Sphere {
  double c[3];
  double r;
};

// Random sequential addition of non-overlapping spheres (gap >= `gap` voxels between surfaces), fully inside
// the box, until the continuous volume fraction reaches `phi`. Deterministic for a given seed.
inline std::vector<Sphere> nonOverlappingSpheres(std::array<int64_t, 3> n, double r, double phi, double gap,
                                                 uint64_t seed) {
  std::vector<Sphere> out;
  const double vol = static_cast<double>(n[0] * n[1] * n[2]);
  const double sphereVol = 4.0 / 3.0 * 3.14159265358979323846 * r * r * r;
  uint64_t counter = 0;
  int tries = 0;
  while (static_cast<double>(out.size()) * sphereVol < phi * vol && tries < 200000) {
    ++tries;
    Sphere s{{0, 0, 0}, r};
    for (int a = 0; a < 3; ++a)
      s.c[a] = r + 0.5 + uniform01(seed, counter++) * (static_cast<double>(n[a]) - 2.0 * r - 1.0);
    bool ok = true;
    for (const auto& q : out) {
      double d2 = 0;
      for (int a = 0; a < 3; ++a) d2 += (s.c[a] - q.c[a]) * (s.c[a] - q.c[a]);
      if (d2 < (2 * r + gap) * (2 * r + gap)) ok = false;
    }
    if (ok) out.push_back(s);
  }
  return out;
}

// Label 1 (matrix) with label 0 inside the spheres (voxel centre (i + 0.5, ...) within the radius).
inline LabelFn sphereLabels(std::vector<Sphere> spheres) {
  return [spheres = std::move(spheres)](int64_t i, int64_t j, int64_t k) -> uint16_t {
    const double p[3] = {i + 0.5, j + 0.5, k + 0.5};
    for (const auto& s : spheres) {
      double d2 = 0;
      for (int a = 0; a < 3; ++a) d2 += (p[a] - s.c[a]) * (p[a] - s.c[a]);
      if (d2 <= s.r * s.r) return 0;
    }
    return 1;
  };
}

}  // namespace ssb::test

#pragma once
// Helpers for the morphology tests: volumes built from a global label function (the answer cannot depend
// on the rank count), running the study from a YAML string, and brute-force references.
#include <mpi.h>
#include <yaml-cpp/yaml.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "mesh/PhaseMap.hpp"
#include "mesh/StudyContext.hpp"
#include "mesh/Volume.hpp"
#include "postprocess/Morphology.hpp"
#include "solver/core/Random.hpp"

namespace ssb::test {

using LabelFn = std::function<uint16_t(int64_t i, int64_t j, int64_t k)>;

inline Volume makeVolume(MPI_Comm comm, std::array<int64_t, 3> n, const LabelFn& f,
                         std::array<double, 3> spacing = {1.0, 1.0, 1.0}) {
  VoxelGrid g;
  g.n = n;
  g.spacing = spacing;
  Volume v = volumeFromFunction(comm, g, f);
  v.source = "test";
  return v;
}

// Owned mask (grid.localIndex order) of a global predicate.
inline std::vector<uint8_t> ownedMask(const StructuredGrid& grid,
                                      const std::function<bool(int64_t, int64_t, int64_t)>& f) {
  std::vector<uint8_t> m(static_cast<size_t>(grid.owned().voxels()));
  grid.forEachOwned([&](int64_t i, int64_t j, int64_t k, int64_t li) { m[li] = f(i, j, k) ? 1 : 0; });
  return m;
}

// Call f(i, j, k, localIndex) for every owned voxel.
template <typename F>
void forOwned(const StructuredGrid& grid, F&& f) {
  grid.forEachOwned(std::forward<F>(f));
}

// pore (0), LPS electrolyte (1), NMC active (2).
inline PhaseMap composite() {
  PhaseMap pm;
  pm.add(Phase{"pore", PhaseRole::Pore, {0}});
  pm.add(Phase{"LPS", PhaseRole::Electrolyte, {1}});
  pm.add(Phase{"NMC", PhaseRole::Active, {2}});
  return pm;
}

inline std::filesystem::path outDir(const std::string& tag) {
  int size = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  std::filesystem::path d =
      std::filesystem::current_path() / ("morph_out_" + tag + "_np" + std::to_string(size));
  std::filesystem::create_directories(d);
  return d;
}

inline Json runStudy(const Volume& v, const PhaseMap& pm, const std::string& yaml,
                     const std::string& tag = "t", FieldWriter* fields = nullptr) {
  YAML::Node node = YAML::Load(yaml);
  Params p(node, morphologySchema(), "studies[0]");
  StudyContext ctx{v, pm, fields, outDir(tag), p.text("name")};
  return runMorphology(ctx, p);
}

inline double num(const Json& j) { return j.get<double>(); }

// Rank-count independent pseudo-random numbers: a hash of (seed, counter).
inline double uniform01(uint64_t seed, uint64_t counter) { return hashUniform(seed, counter); }

}  // namespace ssb::test

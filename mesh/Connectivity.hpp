#pragma once
// Distributed connected-component labelling (6-connectivity) of a voxel mask, with union-find across rank
// boundaries. Cluster ids are rank-count independent: the id of a cluster is the smallest natural index
// (x fastest) of its voxels. Collective.
#include <cstdint>
#include <vector>

#include "mesh/StructuredGrid.hpp"

namespace ssb {

enum FaceBit : uint8_t {
  kFaceXMinus = 1,
  kFaceXPlus = 2,
  kFaceYMinus = 4,
  kFaceYPlus = 8,
  kFaceZMinus = 16,
  kFaceZPlus = 32,
};
inline uint8_t faceBit(int axis, bool plus) { return static_cast<uint8_t>(1u << (2 * axis + (plus ? 1 : 0))); }

struct Cluster {
  int64_t id = 0;      // smallest natural index in the cluster
  int64_t voxels = 0;  // global voxel count
  uint8_t faces = 0;   // FaceBit set: domain faces the cluster touches
};

struct ConnectivityResult {
  std::vector<int64_t> clusterOf;  // per owned voxel (grid.localIndex): cluster id, -1 outside the mask
  std::vector<Cluster> clusters;   // every cluster, sorted by id, identical on every rank

  const Cluster& cluster(int64_t id) const;  // binary search; id must exist
  // Owned-voxel mask (1/0) of voxels whose cluster touches both faces normal to `axis`.
  std::vector<uint8_t> percolatingMask(int axis) const;
  // Owned-voxel mask of voxels whose cluster touches all faces in `faces` (FaceBit set).
  std::vector<uint8_t> touchingMask(uint8_t faces) const;
};

// mask: owned voxels (grid.localIndex order), non-zero = in the set. `periodic[a]`: clusters connect across
// the domain faces normal to axis a.
ConnectivityResult labelClusters(const StructuredGrid& grid, const std::vector<uint8_t>& mask,
                                 std::array<bool, 3> periodic = {false, false, false});

}  // namespace ssb

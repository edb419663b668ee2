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
inline uint8_t faceBit(int axis, bool plus) {
  return static_cast<uint8_t>(1u << (2 * axis + (plus ? 1 : 0)));
}

struct Cluster {
  int64_t id = 0;      // smallest natural index in the cluster
  int64_t voxels = 0;  // global voxel count
  uint8_t faces = 0;   // FaceBit set: domain faces the cluster touches
};

struct ConnectivityResult {
  std::vector<int64_t> clusterOf;  // per owned voxel (grid.localIndex): cluster id, -1 outside the mask
  // The clusters with at least one voxel in this rank's box, sorted by id, each with its global statistics
  // (voxel count and faces summed over every rank). Memory per rank grows with the rank's own voxels, never
  // with the total number of clusters.
  std::vector<Cluster> clusters;
  // Parallel to `clusters`: the rank that owns each cluster (holds its smallest voxel, the id). Sums over
  // the clusters a rank owns, reduced over the ranks, count every cluster exactly once.
  std::vector<int> owner;
  int rank = 0;               // this rank in the grid's communicator
  int64_t totalClusters = 0;  // number of clusters in the whole domain (identical on every rank)

  const Cluster& cluster(int64_t id) const;  // binary search; id must have a voxel on this rank
  // Owned-voxel mask (1/0) of voxels whose cluster touches both faces normal to `axis`.
  std::vector<uint8_t> percolatingMask(int axis) const;
  // Owned-voxel mask of voxels whose cluster touches all faces in `faces` (FaceBit set).
  std::vector<uint8_t> touchingMask(uint8_t faces) const;
  // Call f(cluster) once for each cluster this rank owns (see `owner`). Not collective.
  template <typename F>
  void forEachOwned(F&& f) const {
    for (size_t c = 0; c < clusters.size(); ++c)
      if (owner[c] == rank) f(clusters[c]);
  }
};

// mask: owned voxels (grid.localIndex order), non-zero = in the set. `periodic[a]`: clusters connect across
// the domain faces normal to axis a.
ConnectivityResult labelClusters(const StructuredGrid& grid, const std::vector<uint8_t>& mask,
                                 std::array<bool, 3> periodic = {false, false, false});

// Collective. Every cluster of the domain, sorted by id, on every rank. Memory grows with the number of
// clusters: for tests and for outputs that list every cluster anyway (gather to one rank: `root` >= 0 gives
// the list on that rank only and an empty list elsewhere).
std::vector<Cluster> gatherClusters(MPI_Comm comm, const ConnectivityResult& result, int root = -1);

}  // namespace ssb

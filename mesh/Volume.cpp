#include "mesh/Volume.hpp"

#include <algorithm>

namespace ssb {

std::vector<int64_t> Volume::labelHistogram() const {
  std::vector<int64_t> local(65536, 0), global(65536, 0);
  for (uint16_t l : labels) ++local[l];
  MPI_Allreduce(local.data(), global.data(), 65536, MPI_INT64_T, MPI_SUM, grid->comm());
  size_t last = 0;
  for (size_t i = 0; i < global.size(); ++i)
    if (global[i]) last = i;
  global.resize(last + 1);
  return global;
}

Volume volumeFromFunction(MPI_Comm comm, const VoxelGrid& geometry, const LabelFunction& f) {
  Volume v;
  v.grid = std::make_unique<StructuredGrid>(comm, geometry);
  v.source = "function";
  v.labels.assign(static_cast<size_t>(v.grid->owned().voxels()), 0);
  v.grid->forEachOwned(
      [&](int64_t i, int64_t j, int64_t k, int64_t li) { v.labels[static_cast<size_t>(li)] = f(i, j, k); });
  return v;
}

}  // namespace ssb

// Placeholder: being written (see the header for the contract).
#include "solver/core/Error.hpp"
#include "mesh/Connectivity.hpp"
namespace ssb {
ConnectivityResult labelClusters(const StructuredGrid&, const std::vector<uint8_t>&, std::array<bool, 3>) {
  throwRun("labelClusters: not implemented yet");
}
}  // namespace ssb

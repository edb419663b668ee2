// Placeholder: being written (see the header for the contract).
#include "solver/core/Error.hpp"
#include "mesh/VolumeReader.hpp"
namespace ssb {
std::unique_ptr<VolumeReader> openVolume(const VolumeFileSpec& spec) { throwRun("openVolume: not implemented yet"); }
void writeTiff(const std::filesystem::path&, const std::array<int64_t, 3>&, const std::vector<uint16_t>&, int, double) {
  throwRun("writeTiff: not implemented yet");
}
void writeHdf5Labels(const std::filesystem::path&, const std::string&, const std::array<int64_t, 3>&,
                     const std::vector<uint16_t>&, int, double) {
  throwRun("writeHdf5Labels: not implemented yet");
}
void writeRaw(const std::filesystem::path&, const std::vector<uint16_t>&, const std::string&) {
  throwRun("writeRaw: not implemented yet");
}
}  // namespace ssb

#include "solver/driver/InfoCommand.hpp"

#include <fmt/format.h>
#include <mpi.h>

#include <cstdio>

#include "solver/core/Json.hpp"
#include "solver/core/MpiUtil.hpp"

namespace ssb {

int infoCommand(MPI_Comm comm, const VolumeFileSpec& spec, bool json) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  std::exception_ptr err;
  std::string out;
  if (rank == 0) {
    try {
      auto reader = openVolume(spec);
      VolumeInfo info = reader->info();
      std::vector<int64_t> hist(65536, 0);
      const int64_t slab = std::max<int64_t>(1, (64ll << 20) / std::max<int64_t>(1, info.n[0] * info.n[1]));
      std::vector<uint16_t> buf;
      for (int64_t z = 0; z < info.n[2]; z += slab) {
        Box3 b{{0, 0, z}, {info.n[0], info.n[1], std::min(slab, info.n[2] - z)}};
        reader->read(b, buf);
        for (uint16_t l : buf) ++hist[l];
      }
      const double total = static_cast<double>(info.n[0] * info.n[1] * info.n[2]);
      Json j;
      j["file"] = spec.path.string();
      j["format"] = info.format;
      j["shape_zyx"] = {info.n[2], info.n[1], info.n[0]};
      j["dtype"] = info.dtype;
      j["voxel_size_m"] = info.voxelSize ? Json(*info.voxelSize) : Json(nullptr);
      Json labels = Json::array();
      for (size_t l = 0; l < hist.size(); ++l)
        if (hist[l])
          labels.push_back({{"label", l}, {"voxels", hist[l]}, {"volume_fraction", hist[l] / total}});
      j["labels"] = labels;
      if (json) {
        out = j.dump(2) + "\n";
      } else {
        out = fmt::format(
            "file:        {}\nformat:      {}\nshape:       {} x {} x {} (z, y, x)\ndtype:       {}\n",
            spec.path.string(), info.format, info.n[2], info.n[1], info.n[0], info.dtype);
        out += info.voxelSize ? fmt::format("voxel size:  {:.6g} m\n", *info.voxelSize)
                              : std::string("voxel size:  not stored in the file\n");
        out += fmt::format("{:>8} {:>14} {:>16}\n", "label", "voxels", "volume fraction");
        for (const auto& e : labels)
          out += fmt::format("{:>8} {:>14} {:>16.6f}\n", e["label"].get<int>(), e["voxels"].get<int64_t>(),
                             e["volume_fraction"].get<double>());
      }
    } catch (...) {
      err = std::current_exception();
    }
  }
  rethrowCollective(comm, err);
  if (rank == 0) std::fputs(out.c_str(), stdout);
  return 0;
}

}  // namespace ssb

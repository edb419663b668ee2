#include "mesh/VolumeSource.hpp"

#include <fmt/ranges.h>

#include <filesystem>

#include "mesh/BoxExchange.hpp"
#include "mesh/Generator.hpp"
#include "mesh/VolumeReader.hpp"
#include "solver/core/Log.hpp"
#include "solver/core/MpiUtil.hpp"

namespace ssb {

namespace {
const Schema& cropSchema() {
  static const Schema s = [] {
    Schema sc("volume.crop",
              "Sub-box of the file to use, in voxels, [first, end) per axis; omitted axes are kept whole.");
    for (const char* a : {"x", "y", "z"})
      sc.declare(a, ParamType::IntList, std::nullopt,
                 std::string("[first, end) voxel range along ") + a + ".")
          .range(0, kInf)
          .makeOptional();
    return sc;
  }();
  return s;
}
}  // namespace

const Schema& volumeSchema() {
  static const Schema s = [] {
    Schema sc("volume",
              "The segmented volume: a file, or a generated microstructure. Files are (z, y, x): TIFF page "
              "= z, row = y, column = x.");
    sc.text("file", std::nullopt,
            "Volume file: .tif/.tiff (multi-page), a folder of TIFF slices, .h5/.hdf5, .raw/.bin. Relative "
            "paths are "
            "relative to the case file.")
        .optionalKey("file");
    sc.text("dataset", "\"\"",
            "HDF5 dataset path (e.g. exported_data); empty = the only dataset in the file.");
    sc.declare("shape", ParamType::IntList, std::nullopt, "Raw files: [nz, ny, nx].")
        .range(1, kInf)
        .makeOptional();
    const std::vector<std::string> dtypes = {"uint8",     "int8",     "uint16",   "uint16be", "int16",
                                             "int16be",   "uint32",   "uint32be", "int32",    "int32be",
                                             "uint64",    "uint64be", "int64",    "int64be",  "float32",
                                             "float32be", "float64",  "float64be"};
    sc.choice("dtype", "uint8", dtypes,
              "Raw files: element type, little-endian unless it ends in `be`; values must be integer labels "
              "0..65535.");
    sc.integer("header_bytes", "0", 0, 1e15, "Raw files: bytes to skip at the start.");
    sc.real("voxel_size", std::nullopt, "m", 0, 1,
            "Voxel edge length (e.g. '20 nm'). Overrides the file's value.", true)
        .optionalKey("voxel_size");
    sc.declare("spacing", ParamType::RealList, std::nullopt,
               "Anisotropic voxels (FIB-SEM): [dz, dy, dx]; instead of voxel_size.")
        .withUnit("m")
        .range(0, kInf, true)
        .makeOptional();
    sc.declare("crop", ParamType::Section, std::nullopt, "Use only a sub-box of the file.")
        .nest(cropSchema())
        .makeOptional();
    sc.declare("generate", ParamType::Section, std::nullopt,
               "Generate a synthetic microstructure instead of reading a file.")
        .nest(generatorSchema())
        .makeOptional();
    return sc;
  }();
  return s;
}

namespace {

std::array<double, 3> spacingFrom(const Params& volume, std::optional<std::array<double, 3>> fromFile) {
  if (volume.has("spacing") && volume.has("voxel_size"))
    throwInput("{}: give either voxel_size or spacing, not both", volume.path());
  if (volume.has("spacing")) {
    auto s = volume.reals("spacing");
    if (s.size() != 3) throwInput("{}: expected [dz, dy, dx]", volume.keyPath("spacing"));
    return {s[2], s[1], s[0]};
  }
  if (volume.has("voxel_size")) {
    double h = volume.real("voxel_size");
    return {h, h, h};
  }
  if (fromFile) return *fromFile;
  throwInput("{}: the file stores no voxel size; add `voxel_size:` (e.g. voxel_size: 20 nm)",
             volume.keyPath("voxel_size"));
}

}  // namespace

namespace {

VolumeFileSpec fileSpec(const Params& volume) {
  VolumeFileSpec spec;
  spec.path = volume.text("file");
  spec.dataset = volume.text("dataset");
  spec.context = volume.keyPath("file");
  if (volume.has("shape")) {
    auto s = volume.integers("shape");
    if (s.size() != 3) throwInput("{}: expected [nz, ny, nx]", volume.keyPath("shape"));
    spec.rawShape = {s[2], s[1], s[0]};
  }
  spec.rawDtype = volume.text("dtype");
  spec.rawHeaderBytes = volume.integer("header_bytes");
  return spec;
}

}  // namespace

VolumePlan planVolume(MPI_Comm comm, const Params& volume) {
  const bool hasFile = volume.has("file"), hasGen = volume.has("generate");
  if (hasFile == hasGen) throwInput("{}: give exactly one of `file` or `generate`", volume.path());
  VolumePlan plan;
  if (hasGen) {
    if (volume.has("crop")) throwInput("{}: crop applies to files only", volume.keyPath("crop"));
    const Params gen = volume.section("generate");
    checkGeneratorParams(gen);
    auto shape = gen.integers("shape");
    plan.geometry.n = {shape[2], shape[1], shape[0]};
    plan.geometry.spacing = spacingFrom(volume, std::array<double, 3>{1e-6, 1e-6, 1e-6});
    plan.sizeKey = gen.keyPath("shape");
    plan.source = "generated:" + gen.text("kind");
    plan.generated = true;
    return plan;
  }

  const VolumeFileSpec spec = fileSpec(volume);
  // Rank 0 reads the header and broadcasts it, so a missing file gives one clear message.
  VolumeInfo info;
  std::exception_ptr err;
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  if (rank == 0) {
    try {
      info = openVolume(spec)->info();
    } catch (...) {
      err = std::current_exception();
    }
  }
  rethrowCollective(comm, err);
  MPI_Bcast(info.n.data(), 3, MPI_INT64_T, 0, comm);
  // The file's voxel size: per-axis spacing if the reader found one (ImageJ z spacing), else isotropic.
  std::array<double, 3> fileSpacing{0, 0, 0};
  if (info.voxelSpacing) {
    fileSpacing = *info.voxelSpacing;
  } else if (info.voxelSize) {
    fileSpacing = {*info.voxelSize, *info.voxelSize, *info.voxelSize};
  }
  MPI_Bcast(fileSpacing.data(), 3, MPI_DOUBLE, 0, comm);
  std::optional<std::array<double, 3>> fromFile;
  if (fileSpacing[0] > 0) fromFile = fileSpacing;

  Box3 crop{{0, 0, 0}, info.n};
  plan.sizeKey = volume.keyPath("file");
  if (volume.has("crop")) {
    Params c = volume.section("crop");
    for (int a = 0; a < 3; ++a) {
      if (!c.has(axisName(a))) continue;
      auto r = c.integers(axisName(a));
      if (r.size() != 2 || r[0] >= r[1] || r[1] > info.n[a])
        throwInput(
            "{}: [{}] is outside the volume, which has {} voxels along {} (use [first, end) with 0 <= first "
            "< "
            "end <= {})",
            c.keyPath(axisName(a)), fmt::join(r, ", "), info.n[a], axisName(a), info.n[a]);
      crop.lo[a] = r[0];
      crop.size[a] = r[1] - r[0];
    }
    plan.sizeKey = volume.keyPath("crop");
  }
  plan.geometry.n = crop.size;
  plan.geometry.spacing = spacingFrom(volume, fromFile);
  plan.crop = crop;
  plan.source = spec.path.string();
  return plan;
}

Volume loadVolume(MPI_Comm comm, const Params& volume) {
  return loadVolume(comm, volume, planVolume(comm, volume));
}

Volume loadVolume(MPI_Comm comm, const Params& volume, const VolumePlan& plan) {
  if (plan.generated) {
    const auto& sp = plan.geometry.spacing;
    Volume v = generateVolume(comm, volume.section("generate"), sp[0]);
    if (volume.has("spacing")) {
      VoxelGrid g = v.grid->geometry();
      g.spacing = sp;
      v.grid = std::make_unique<StructuredGrid>(comm, g);
    }
    return v;
  }
  const VolumeFileSpec spec = fileSpec(volume);
  const VoxelGrid& g = plan.geometry;
  Volume v;
  v.grid = std::make_unique<StructuredGrid>(comm, g);
  v.source = plan.source;
  Box3 fileBox = v.grid->owned();
  for (int a = 0; a < 3; ++a) fileBox.lo[a] += plan.crop.lo[a];
  std::exception_ptr err;
  try {
    openVolume(spec)->read(fileBox, v.labels);
  } catch (...) {
    err = std::current_exception();
  }
  rethrowCollective(comm, err);
  Log::info("volume {}: {} x {} x {} voxels (x, y, z), voxel {:.4g} x {:.4g} x {:.4g} m", v.source, g.n[0],
            g.n[1], g.n[2], g.spacing[0], g.spacing[1], g.spacing[2]);
  return v;
}

std::vector<uint16_t> gatherLabels(const Volume& v) {
  // One copy on rank 0, laid out directly in natural order; messages are split below MPI's int limits.
  int rank = 0;
  MPI_Comm_rank(v.grid->comm(), &rank);
  const Box3 whole{{0, 0, 0}, v.grid->geometry().n};
  return redistribute(v.grid->comm(), v.grid->owned(), v.labels, rank == 0 ? whole : Box3{});
}

}  // namespace ssb

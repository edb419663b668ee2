// HDF5 label volumes: dataset dims (nz, ny, nx), optionally with size-1 channel/time axes as Ilastik writes
// them (`exported_data`, axis order in its `axistags` attribute), or 2-D (ny, nx).
//
// Each rank opens the file read-only with the default (sec2) driver and reads its own box as a hyperslab;
// nothing here is collective, so ranks may read different boxes at different times. HDF5's automatic error
// printing is switched off and the innermost message of its error stack goes into the InputError.
#include <hdf5.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>

#include "mesh/VolumeFormats.hpp"
#include "mesh/VolumeWriter.hpp"
#include "solver/core/AtomicFile.hpp"
#include "solver/core/MpiUtil.hpp"

namespace ssb {
namespace volio {
namespace {

void silenceHdf5() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

// Owns an HDF5 identifier.
class H5Id {
 public:
  using Closer = herr_t (*)(hid_t);
  H5Id() = default;
  H5Id(hid_t id, Closer close) : m_id(id), m_close(close) {}
  H5Id(H5Id&& o) noexcept : m_id(o.m_id), m_close(o.m_close) { o.m_id = -1; }
  H5Id& operator=(H5Id&& o) noexcept {
    std::swap(m_id, o.m_id);
    std::swap(m_close, o.m_close);
    return *this;
  }
  H5Id(const H5Id&) = delete;
  H5Id& operator=(const H5Id&) = delete;
  ~H5Id() { reset(); }
  // Closes now and reports whether closing worked (it flushes when writing).
  bool reset() {
    bool ok = true;
    if (m_id >= 0 && m_close) ok = m_close(m_id) >= 0;
    m_id = -1;
    return ok;
  }
  hid_t get() const { return m_id; }
  bool valid() const { return m_id >= 0; }

 private:
  hid_t m_id = -1;
  Closer m_close = nullptr;
};

// The API-level and the most specific message on HDF5's error stack, then clears it.
std::string hdf5Error() {
  struct Msgs {
    std::string inner, outer;
  } m;
  H5Ewalk2(
      H5E_DEFAULT, H5E_WALK_UPWARD,
      [](unsigned n, const H5E_error2_t* e, void* data) -> herr_t {
        auto* msgs = static_cast<Msgs*>(data);
        if (e->desc && *e->desc) {
          if (n == 0) msgs->inner = e->desc;
          msgs->outer = e->desc;
        }
        return 0;
      },
      &m);
  H5Eclear2(H5E_DEFAULT);
  if (m.inner.empty()) return "HDF5 gave no reason";
  if (m.outer == m.inner) return m.inner;
  return fmt::format("{}: {}", m.outer, m.inner);
}

std::vector<std::string> listDatasets(hid_t file) {
  std::vector<std::string> names;
  H5Lvisit(
      file, H5_INDEX_NAME, H5_ITER_INC,
      [](hid_t g, const char* name, const H5L_info_t* info, void* data) -> herr_t {
        if (info->type != H5L_TYPE_HARD) return 0;
        hid_t o = H5Oopen(g, name, H5P_DEFAULT);
        if (o >= 0) {
          if (H5Iget_type(o) == H5I_DATASET)
            static_cast<std::vector<std::string>*>(data)->push_back("/" + std::string(name));
          H5Oclose(o);
        }
        return 0;
      },
      &names);
  H5Eclear2(H5E_DEFAULT);
  return names;
}

std::string joinNames(const std::vector<std::string>& names) {
  if (names.empty()) return "(none)";
  std::string s;
  for (const auto& n : names) s += (s.empty() ? "" : ", ") + n;
  return s;
}

std::optional<std::string> readStringAttribute(hid_t obj, const char* name) {
  if (H5Aexists(obj, name) <= 0) return std::nullopt;
  H5Id attr(H5Aopen(obj, name, H5P_DEFAULT), H5Aclose);
  H5Id type(H5Aget_type(attr.get()), H5Tclose);
  if (!attr.valid() || !type.valid() || H5Tget_class(type.get()) != H5T_STRING) return std::nullopt;
  H5Id space(H5Aget_space(attr.get()), H5Sclose);
  if (H5Sget_simple_extent_npoints(space.get()) != 1) return std::nullopt;
  if (H5Tis_variable_str(type.get()) > 0) {
    H5Id mem(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(mem.get(), H5T_VARIABLE);
    char* s = nullptr;
    if (H5Aread(attr.get(), mem.get(), &s) < 0 || !s) return std::nullopt;
    std::string out(s);
    H5free_memory(s);
    return out;
  }
  const size_t size = H5Tget_size(type.get());
  std::string out(size, '\0');
  H5Id mem(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(mem.get(), size);
  if (H5Aread(attr.get(), mem.get(), out.data()) < 0) return std::nullopt;
  out.resize(std::strlen(out.c_str()));
  return out;
}

std::vector<double> readNumberAttribute(hid_t obj, const char* name) {
  if (H5Aexists(obj, name) <= 0) return {};
  H5Id attr(H5Aopen(obj, name, H5P_DEFAULT), H5Aclose);
  H5Id type(H5Aget_type(attr.get()), H5Tclose);
  H5Id space(H5Aget_space(attr.get()), H5Sclose);
  if (!attr.valid() || !type.valid() || !space.valid()) return {};
  const H5T_class_t cls = H5Tget_class(type.get());
  if (cls != H5T_FLOAT && cls != H5T_INTEGER) return {};
  const hssize_t count = H5Sget_simple_extent_npoints(space.get());
  if (count < 1 || count > 16) return {};
  std::vector<double> v(static_cast<size_t>(count));
  if (H5Aread(attr.get(), H5T_NATIVE_DOUBLE, v.data()) < 0) return {};
  return v;
}

enum class Kind { kU16, kSigned, kUnsigned, kFloat, kEnum };

class Hdf5Reader final : public VolumeReader {
 public:
  Hdf5Reader(std::string w, H5Id file, H5Id dset, std::string name)
      : m_where(std::move(w)), m_file(std::move(file)), m_dset(std::move(dset)), m_name(std::move(name)) {
    m_info.format = "hdf5";
    describeType();
    describeShape();
    describeVoxelSize();
  }

  VolumeInfo info() const override { return m_info; }

  void read(const Box3& box, std::vector<uint16_t>& out) const override {
    silenceHdf5();
    checkBox(m_where, box, m_info.n);
    out.assign(static_cast<size_t>(box.voxels()), 0);
    if (box.voxels() == 0) return;
    const int64_t plane = box.size[0] * box.size[1];
    // Converted types go through a temporary; read in slabs of z so it stays below ~64 MiB.
    const int64_t slab = m_kind == Kind::kU16
                             ? box.size[2]
                             : std::max<int64_t>(1, (int64_t{8} << 20) / std::max<int64_t>(plane, 1));
    std::vector<unsigned char> tmp;
    for (int64_t z0 = box.lo[2]; z0 < box.lo[2] + box.size[2]; z0 += slab) {
      const int64_t nz = std::min(slab, box.lo[2] + box.size[2] - z0);
      Box3 part = box;
      part.lo[2] = z0;
      part.size[2] = nz;
      uint16_t* dst = out.data() + (z0 - box.lo[2]) * plane;
      const size_t count = static_cast<size_t>(nz * plane);
      switch (m_kind) {
        case Kind::kU16:
          readInto(part, H5T_NATIVE_UINT16, dst);
          break;
        case Kind::kSigned:
          convert<int64_t>(part, H5T_NATIVE_INT64, tmp, count, dst);
          break;
        case Kind::kUnsigned:
          convert<uint64_t>(part, H5T_NATIVE_UINT64, tmp, count, dst);
          break;
        case Kind::kFloat:
          convert<double>(part, H5T_NATIVE_DOUBLE, tmp, count, dst);
          break;
        case Kind::kEnum:
          readEnum(part, tmp, count, dst);
          break;
      }
    }
  }

 private:
  void describeType() {
    H5Id type(H5Dget_type(m_dset.get()), H5Tclose);
    const H5T_class_t cls = H5Tget_class(type.get());
    const size_t size = H5Tget_size(type.get());
    if (cls == H5T_INTEGER) {
      const bool isSigned = H5Tget_sign(type.get()) == H5T_SGN_2;
      m_info.dtype = fmt::format("{}int{}", isSigned ? "" : "u", 8 * size);
      m_kind = isSigned ? Kind::kSigned : (size <= 2 ? Kind::kU16 : Kind::kUnsigned);
    } else if (cls == H5T_FLOAT) {
      m_info.dtype = fmt::format("float{}", 8 * size);
      m_kind = Kind::kFloat;
    } else if (cls == H5T_ENUM) {
      // h5py stores numpy bool as an enum {FALSE = 0, TRUE = 1}; the enum's integer values are the labels.
      H5Id super(H5Tget_super(type.get()), H5Tclose);
      m_enumSigned = H5Tget_sign(super.get()) == H5T_SGN_2;
      m_enumType = H5Id(H5Tget_native_type(type.get(), H5T_DIR_ASCEND), H5Tclose);
      m_enumSize = H5Tget_size(m_enumType.get());
      if (m_enumSize != 1 && m_enumSize != 2 && m_enumSize != 4 && m_enumSize != 8)
        throwInput("{}: dataset '{}' is an enum of {} bytes, which is not supported", m_where, m_name,
                   m_enumSize);
      m_info.dtype = H5Tget_nmembers(type.get()) == 2 && size == 1 ? "bool" : "enum";
      m_kind = Kind::kEnum;
    } else {
      throwInput(
          "{}: dataset '{}' does not hold numbers (HDF5 type class {}); labels must be integers 0..65535",
          m_where, m_name, static_cast<int>(cls));
    }
  }

  // Which file axis is z, y and x. Ilastik's `axistags` names them; otherwise the rank decides.
  void describeShape() {
    H5Id space(H5Dget_space(m_dset.get()), H5Sclose);
    const int rank = H5Sget_simple_extent_ndims(space.get());
    if (rank < 1 || rank > 8)
      throwInput("{}: dataset '{}' has {} dimensions; expected (nz, ny, nx)", m_where, m_name, rank);
    m_dims.assign(static_cast<size_t>(rank), 0);
    H5Sget_simple_extent_dims(space.get(), m_dims.data(), nullptr);

    std::string axes;
    if (auto tags = readStringAttribute(m_dset.get(), "axistags")) {
      try {
        auto j = nlohmann::json::parse(*tags);
        for (const auto& a : j.at("axes")) axes += a.at("key").get<std::string>();
      } catch (const std::exception&) {
        axes.clear();  // unreadable tags: fall back to the rank rule below
      }
      if (axes.size() != static_cast<size_t>(rank)) axes.clear();
    }
    const bool fromTags = !axes.empty();
    if (!fromTags) {
      if (rank == 2)
        axes = "yx";
      else if (rank == 3)
        axes = "zyx";
      else if (rank == 4)
        axes = "zyxc";
      else if (rank == 5)
        axes = "tzyxc";
      else
        throwInput("{}: dataset '{}' has {} dimensions; expected (nz, ny, nx), (ny, nx) or (nz, ny, nx, 1)",
                   m_where, m_name, rank);
    }
    const std::string shape = shapeText();
    m_axis = {-1, -1, -1};
    for (int d = 0; d < rank; ++d) {
      const char k = axes[static_cast<size_t>(d)];
      const int a = k == 'x' ? 0 : k == 'y' ? 1 : k == 'z' ? 2 : -1;
      if (a >= 0) {
        if (m_axis[a] >= 0)
          throwInput("{}: dataset '{}' names axis {} twice in its axistags", m_where, m_name, k);
        m_axis[a] = d;
      } else if (m_dims[static_cast<size_t>(d)] != 1) {
        throwInput(
            "{}: dataset '{}' has shape {} ({}axes '{}'); its '{}' axis has size {}, but a label volume "
            "needs "
            "a single channel (export one label image, e.g. Ilastik's 'Simple Segmentation')",
            m_where, m_name, shape, fromTags ? "axistags " : "", axes, k, m_dims[static_cast<size_t>(d)]);
      }
    }
    if (m_axis[0] < 0 || m_axis[1] < 0)
      throwInput("{}: dataset '{}' (axes '{}') has no x and y axes", m_where, m_name, axes);
    if (m_axis[0] < m_axis[1] || (m_axis[2] >= 0 && m_axis[1] < m_axis[2]))
      throwInput(
          "{}: dataset '{}' stores its axes in the order '{}'; ssbvox needs z, y, x order with x fastest "
          "(export as 'zyxc' or transpose it)",
          m_where, m_name, axes);
    for (int a = 0; a < 3; ++a)
      m_info.n[a] = m_axis[a] >= 0 ? static_cast<int64_t>(m_dims[static_cast<size_t>(m_axis[a])]) : 1;
  }

  std::string shapeText() const {
    std::string s = "(";
    for (size_t d = 0; d < m_dims.size(); ++d) s += fmt::format("{}{}", d ? ", " : "", m_dims[d]);
    return s + ")";
  }

  // `voxel_size_m` (written by ssbvox: one value, or three in z, y, x order) or Fiji's `element_size_um`.
  void describeVoxelSize() {
    std::vector<double> v = readNumberAttribute(m_dset.get(), "voxel_size_m");
    double scale = 1.0;
    if (v.empty()) {
      v = readNumberAttribute(m_dset.get(), "element_size_um");
      scale = 1e-6;
    }
    std::array<double, 3> s{};
    if (v.size() == 1)
      s = {v[0], v[0], v[0]};
    else if (v.size() == 3)
      s = {v[2], v[1], v[0]};
    else
      return;
    for (double& d : s) {
      d *= scale;
      if (!(d > 0.0) || !std::isfinite(d)) return;
    }
    m_info.voxelSpacing = s;
    m_info.voxelSize = s[0];
  }

  void select(const Box3& box, H5Id& fileSpace, H5Id& memSpace) const {
    fileSpace = H5Id(H5Dget_space(m_dset.get()), H5Sclose);
    std::vector<hsize_t> start(m_dims.size(), 0), count(m_dims.size(), 1);
    for (int a = 0; a < 3; ++a) {
      if (m_axis[a] < 0) continue;
      start[static_cast<size_t>(m_axis[a])] = static_cast<hsize_t>(box.lo[a]);
      count[static_cast<size_t>(m_axis[a])] = static_cast<hsize_t>(box.size[a]);
    }
    if (H5Sselect_hyperslab(fileSpace.get(), H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr) <
        0)
      throwInput("{}: dataset '{}': cannot select a box: {}", m_where, m_name, hdf5Error());
    const hsize_t n = static_cast<hsize_t>(box.voxels());
    memSpace = H5Id(H5Screate_simple(1, &n, nullptr), H5Sclose);
  }

  // Reads `box` (axes in increasing file order, so HDF5's row-major order is x fastest) into dst.
  void readInto(const Box3& box, hid_t memType, void* dst) const {
    H5Id fileSpace, memSpace;
    select(box, fileSpace, memSpace);
    if (H5Dread(m_dset.get(), memType, memSpace.get(), fileSpace.get(), H5P_DEFAULT, dst) < 0)
      throwInput("{}: cannot read dataset '{}': {}", m_where, m_name, hdf5Error());
  }

  std::string position(const Box3& box, size_t i) const {
    const int64_t x = box.lo[0] + static_cast<int64_t>(i) % box.size[0];
    const int64_t y = box.lo[1] + static_cast<int64_t>(i) / box.size[0] % box.size[1];
    const int64_t z = box.lo[2] + static_cast<int64_t>(i) / (box.size[0] * box.size[1]);
    return fmt::format("dataset '{}' ({}) at voxel (x {}, y {}, z {})", m_name, m_info.dtype, x, y, z);
  }

  template <typename T>
  void convert(const Box3& box, hid_t memType, std::vector<unsigned char>& tmp, size_t count,
               uint16_t* dst) const {
    tmp.resize(count * sizeof(T));
    readInto(box, memType, tmp.data());
    const T* v = reinterpret_cast<const T*>(tmp.data());
    for (size_t i = 0; i < count; ++i) {
      if (!isLabel(v[i])) throwBadLabel(m_where, position(box, i), static_cast<double>(v[i]));
      dst[i] = static_cast<uint16_t>(v[i]);
    }
  }

  void readEnum(const Box3& box, std::vector<unsigned char>& tmp, size_t count, uint16_t* dst) const {
    tmp.resize(count * m_enumSize);
    readInto(box, m_enumType.get(), tmp.data());
    for (size_t i = 0; i < count; ++i) {
      const unsigned char* p = tmp.data() + i * m_enumSize;
      int64_t v = 0;
      switch (m_enumSize) {
        case 1:
          v = m_enumSigned ? int64_t{*reinterpret_cast<const int8_t*>(p)} : int64_t{*p};
          break;
        case 2: {
          int16_t s;
          uint16_t u;
          std::memcpy(&s, p, 2);
          std::memcpy(&u, p, 2);
          v = m_enumSigned ? s : u;
          break;
        }
        case 4: {
          int32_t s;
          uint32_t u;
          std::memcpy(&s, p, 4);
          std::memcpy(&u, p, 4);
          v = m_enumSigned ? s : int64_t{u};
          break;
        }
        default:
          std::memcpy(&v, p, 8);
          break;
      }
      if (!isLabel(v)) throwBadLabel(m_where, position(box, i), static_cast<double>(v));
      dst[i] = static_cast<uint16_t>(v);
    }
  }

  std::string m_where;
  H5Id m_file, m_dset;
  std::string m_name;
  VolumeInfo m_info;
  Kind m_kind = Kind::kU16;
  std::vector<hsize_t> m_dims;
  std::array<int, 3> m_axis{-1, -1, -1};  // file dimension index of x, y, z (-1: absent, extent 1)
  H5Id m_enumType;
  size_t m_enumSize = 0;
  bool m_enumSigned = false;
};

}  // namespace

std::unique_ptr<VolumeReader> openHdf5(const VolumeFileSpec& spec) {
  silenceHdf5();
  const std::string w = where(spec);
  if (H5Fis_hdf5(spec.path.c_str()) <= 0) {
    H5Eclear2(H5E_DEFAULT);
    throwInput("{}: not an HDF5 file (or not readable)", w);
  }
  H5Id fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
  H5Pset_fapl_sec2(fapl.get());
  // Read-only opens need no lock; do not fail on file systems where locking is disabled (Lustre, NFS).
  H5Pset_file_locking(fapl.get(), true, true);
  H5Id file(H5Fopen(spec.path.c_str(), H5F_ACC_RDONLY, fapl.get()), H5Fclose);
  if (!file.valid()) throwInput("{}: cannot open the HDF5 file: {}", w, hdf5Error());

  std::string name = spec.dataset;
  if (name.empty()) {
    auto names = listDatasets(file.get());
    if (names.size() != 1)
      throwInput("{}: {}; name the one holding the labels with `dataset` (datasets in the file: {})", w,
                 names.empty() ? "the file holds no dataset" : "the file holds several datasets",
                 joinNames(names));
    name = names[0];
  }
  H5Id dset(H5Dopen2(file.get(), name.c_str(), H5P_DEFAULT), H5Dclose);
  if (!dset.valid()) {
    H5Eclear2(H5E_DEFAULT);
    throwInput(
        "{}: no dataset '{}' in the file; datasets in the file: {} (Ilastik's export is usually "
        "'exported_data')",
        w, name, joinNames(listDatasets(file.get())));
  }
  return std::make_unique<Hdf5Reader>(w, std::move(file), std::move(dset), name);
}

}  // namespace volio

void writeHdf5Labels(const std::filesystem::path& path, const std::string& dataset,
                     const std::array<int64_t, 3>& n, const std::vector<uint16_t>& data, int bitsPerSample,
                     double voxelSize) {
  using volio::H5Id;
  if (bitsPerSample != 8 && bitsPerSample != 16)
    throwInput("writing '{}': bits per sample must be 8 or 16, not {}", path.string(), bitsPerSample);
  if (n[0] <= 0 || n[1] <= 0 || n[2] <= 0 || static_cast<int64_t>(data.size()) != n[0] * n[1] * n[2])
    throwRun("writing '{}': {} values do not fill a {} x {} x {} volume", path.string(), data.size(), n[0],
             n[1], n[2]);
  std::vector<uint8_t> bytes;
  if (bitsPerSample == 8) {
    bytes.resize(data.size());
    for (size_t i = 0; i < data.size(); ++i) {
      if (data[i] > 255)
        throwInput(
            "writing '{}': label {} at voxel (x {}, y {}, z {}) does not fit in 8 bits; write 16-bit instead",
            path.string(), data[i], static_cast<int64_t>(i) % n[0], static_cast<int64_t>(i) / n[0] % n[1],
            static_cast<int64_t>(i) / (n[0] * n[1]));
      bytes[i] = static_cast<uint8_t>(data[i]);
    }
  }
  volio::silenceHdf5();
  const std::string name = dataset.empty() ? std::string("labels") : dataset;
  const std::filesystem::path tmp = tempPathFor(path);
  auto fail = [&](const char* what) {
    const std::string why = volio::hdf5Error();
    throwRun("writing '{}' (dataset '{}'): {}: {}", tmp.string(), name, what, why);
  };
  writeThroughTemp(path, [&](const std::filesystem::path&) {
    H5Id fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
    H5Pset_fapl_sec2(fapl.get());
    H5Id file(H5Fcreate(tmp.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get()), H5Fclose);
    if (!file.valid()) fail("cannot create the file");
    H5Id lcpl(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
    H5Pset_create_intermediate_group(lcpl.get(), 1);
    H5Id dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
    const hsize_t dims[3] = {static_cast<hsize_t>(n[2]), static_cast<hsize_t>(n[1]),
                             static_cast<hsize_t>(n[0])};
    if (H5Zfilter_avail(H5Z_FILTER_DEFLATE) > 0) {
      // Chunks of <= 16 x 64 x 256 voxels: label volumes compress well, and a rank reading its box decodes
      // little it does not need.
      const hsize_t chunk[3] = {std::min<hsize_t>(dims[0], 16), std::min<hsize_t>(dims[1], 64),
                                std::min<hsize_t>(dims[2], 256)};
      H5Pset_chunk(dcpl.get(), 3, chunk);
      H5Pset_deflate(dcpl.get(), 4);
    }
    H5Id space(H5Screate_simple(3, dims, nullptr), H5Sclose);
    H5Id dset(H5Dcreate2(file.get(), name.c_str(), bitsPerSample == 8 ? H5T_STD_U8LE : H5T_STD_U16LE,
                         space.get(), lcpl.get(), dcpl.get(), H5P_DEFAULT),
              H5Dclose);
    if (!dset.valid()) fail("cannot create the dataset");
    const herr_t st =
        bitsPerSample == 8
            ? H5Dwrite(dset.get(), H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, bytes.data())
            : H5Dwrite(dset.get(), H5T_NATIVE_UINT16, H5S_ALL, H5S_ALL, H5P_DEFAULT, data.data());
    if (st < 0) fail("cannot write the labels");
    if (voxelSize > 0.0) {
      H5Id scalar(H5Screate(H5S_SCALAR), H5Sclose);
      H5Id attr(
          H5Acreate2(dset.get(), "voxel_size_m", H5T_IEEE_F64LE, scalar.get(), H5P_DEFAULT, H5P_DEFAULT),
          H5Aclose);
      if (!attr.valid() || H5Awrite(attr.get(), H5T_NATIVE_DOUBLE, &voxelSize) < 0)
        fail("cannot write voxel_size_m");
    }
    if (!dset.reset() || !file.reset()) fail("cannot close the file (disk full?)");
  });
}

namespace {

// Every rank's `ok`, combined: all ranks throw together (HDF5's collective calls must not be left half-way).
void requireAll(MPI_Comm comm, bool ok, const std::filesystem::path& file, const std::string& dataset,
                const char* what) {
  int mine = ok ? 1 : 0, all = 0;
  MPI_Allreduce(&mine, &all, 1, MPI_INT, MPI_MIN, comm);
  if (all) return;
  const std::string why = ok ? std::string("it failed on another rank") : volio::hdf5Error();
  throwRun("writing '{}' (dataset '{}'): {}: {}", file.string(), dataset, what, why);
}

}  // namespace

void saveLabelsHdf5(const Volume& v, const std::filesystem::path& path, const std::string& dataset, int bits,
                    double voxelSize) {
  using volio::H5Id;
  const MPI_Comm comm = v.grid->comm();
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  const auto& n = v.grid->geometry().n;
  const Box3& own = v.grid->owned();
  const std::string name = dataset.empty() ? std::string("labels") : dataset;
  const std::filesystem::path tmp = tempPathFor(path);
  std::vector<uint8_t> bytes;
  {
    std::exception_ptr err;
    try {
      if (bits != 8 && bits != 16)
        throwInput("writing '{}': bits per sample must be 8 or 16, not {}", path.string(), bits);
      if (bits == 8) {
        bytes.resize(v.labels.size());
        for (size_t i = 0; i < v.labels.size(); ++i) {
          if (v.labels[i] > 255)
            throwInput("writing '{}': label {} does not fit in 8 bits; write 16-bit instead", path.string(),
                       v.labels[i]);
          bytes[i] = static_cast<uint8_t>(v.labels[i]);
        }
      }
    } catch (...) {
      err = std::current_exception();
    }
    rethrowCollective(comm, err);
  }
  std::optional<RemoveOnTermination> cleanup;
  if (rank == 0) cleanup.emplace(tmp);
  volio::silenceHdf5();
  try {
    {
      H5Id fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
      H5Pset_fapl_mpio(fapl.get(), comm, MPI_INFO_NULL);
      H5Id file(H5Fcreate(tmp.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get()), H5Fclose);
      requireAll(comm, file.valid(), tmp, name, "cannot create the file");
      H5Id lcpl(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
      H5Pset_create_intermediate_group(lcpl.get(), 1);
      H5Id dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
      const hsize_t dims[3] = {static_cast<hsize_t>(n[2]), static_cast<hsize_t>(n[1]),
                               static_cast<hsize_t>(n[0])};
      if (H5Zfilter_avail(H5Z_FILTER_DEFLATE) > 0) {
        // The chunks of writeHdf5Labels; parallel HDF5 (>= 1.10.2) compresses them in collective writes.
        const hsize_t chunk[3] = {std::min<hsize_t>(dims[0], 16), std::min<hsize_t>(dims[1], 64),
                                  std::min<hsize_t>(dims[2], 256)};
        H5Pset_chunk(dcpl.get(), 3, chunk);
        H5Pset_deflate(dcpl.get(), 4);
      }
      H5Id space(H5Screate_simple(3, dims, nullptr), H5Sclose);
      const hid_t type = bits == 8 ? H5T_STD_U8LE : H5T_STD_U16LE;
      H5Id dset(H5Dcreate2(file.get(), name.c_str(), type, space.get(), lcpl.get(), dcpl.get(), H5P_DEFAULT),
                H5Dclose);
      requireAll(comm, dset.valid(), tmp, name, "cannot create the dataset");
      const hsize_t start[3] = {static_cast<hsize_t>(own.lo[2]), static_cast<hsize_t>(own.lo[1]),
                                static_cast<hsize_t>(own.lo[0])};
      const hsize_t count[3] = {static_cast<hsize_t>(own.size[2]), static_cast<hsize_t>(own.size[1]),
                                static_cast<hsize_t>(own.size[0])};
      H5Id fspace(H5Dget_space(dset.get()), H5Sclose);
      H5Sselect_hyperslab(fspace.get(), H5S_SELECT_SET, start, nullptr, count, nullptr);
      H5Id mspace(H5Screate_simple(3, count, nullptr), H5Sclose);
      H5Id dxpl(H5Pcreate(H5P_DATASET_XFER), H5Pclose);
      H5Pset_dxpl_mpio(dxpl.get(), H5FD_MPIO_COLLECTIVE);
      const herr_t st = bits == 8 ? H5Dwrite(dset.get(), H5T_NATIVE_UINT8, mspace.get(), fspace.get(),
                                             dxpl.get(), bytes.data())
                                  : H5Dwrite(dset.get(), H5T_NATIVE_UINT16, mspace.get(), fspace.get(),
                                             dxpl.get(), v.labels.data());
      requireAll(comm, st >= 0, tmp, name, "cannot write the labels");
      if (voxelSize > 0.0) {
        H5Id scalar(H5Screate(H5S_SCALAR), H5Sclose);
        H5Id attr(
            H5Acreate2(dset.get(), "voxel_size_m", H5T_IEEE_F64LE, scalar.get(), H5P_DEFAULT, H5P_DEFAULT),
            H5Aclose);
        requireAll(comm, attr.valid() && H5Awrite(attr.get(), H5T_NATIVE_DOUBLE, &voxelSize) >= 0, tmp, name,
                   "cannot write voxel_size_m");
      }
      fspace.reset();
      mspace.reset();
      const bool closed = dset.reset() && file.reset();
      requireAll(comm, closed, tmp, name, "cannot close the file (disk full?)");
    }
    std::exception_ptr err;
    if (rank == 0) {
      try {
        commitTempFile(path);
      } catch (...) {
        err = std::current_exception();
      }
    }
    rethrowCollective(comm, err);
  } catch (...) {
    if (rank == 0) {
      std::error_code ec;
      std::filesystem::remove(tmp, ec);
    }
    throw;
  }
}

}  // namespace ssb

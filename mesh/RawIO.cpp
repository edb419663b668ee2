// Raw voxel files: an optional header of `header_bytes`, then nx*ny*nz samples of one dtype, x fastest,
// z slowest, no padding. The shape and dtype come from the YAML, so the file size is the only check that the
// description matches the file; it must agree exactly.
#include <mpi.h>

#include <algorithm>
#include <bit>
#include <climits>
#include <cstdio>
#include <cstring>
#include <optional>

#include "mesh/VolumeFormats.hpp"
#include "mesh/VolumeWriter.hpp"
#include "solver/core/AtomicFile.hpp"
#include "solver/core/MpiUtil.hpp"

namespace ssb {
namespace volio {
namespace {

constexpr const char* kRawTypes =
    "uint8, int8, uint16, int16, uint32, int32, uint64, int64, float32, float64 (little-endian; append 'be' "
    "for "
    "big-endian, e.g. uint16be)";

struct RawType {
  int bytes = 1;
  char kind = 'u';  // 'u' unsigned, 'i' signed, 'f' float
  bool bigEndian = false;
};

std::optional<RawType> parseRawType(const std::string& text) {
  std::string s = lowerCase(text);
  if (s.empty()) s = "uint8";
  RawType t;
  if (s.size() > 2 && (s.ends_with("be") || s.ends_with("le"))) {
    t.bigEndian = s.ends_with("be");
    s.resize(s.size() - 2);
  }
  std::string base;
  if (s.starts_with("uint")) {
    t.kind = 'u';
    base = s.substr(4);
  } else if (s.starts_with("int")) {
    t.kind = 'i';
    base = s.substr(3);
  } else if (s.starts_with("float")) {
    t.kind = 'f';
    base = s.substr(5);
  } else {
    return std::nullopt;
  }
  if (base == "8")
    t.bytes = 1;
  else if (base == "16")
    t.bytes = 2;
  else if (base == "32")
    t.bytes = 4;
  else if (base == "64")
    t.bytes = 8;
  else
    return std::nullopt;
  if (t.kind == 'f' && t.bytes < 4) return std::nullopt;
  return t;
}

RawType requireRawType(const std::string& w, const std::string& dtype) {
  auto t = parseRawType(dtype);
  if (!t) throwInput("{}: unknown raw dtype '{}'; supported: {}", w, dtype, kRawTypes);
  return *t;
}

bool needsSwap(const RawType& t) {
  return t.bytes > 1 && t.bigEndian != (std::endian::native == std::endian::big);
}

void swapBytes(unsigned char* p, int bytes) { std::reverse(p, p + bytes); }

template <typename T>
T load(const unsigned char* p, bool swap) {
  unsigned char b[sizeof(T)];
  std::memcpy(b, p, sizeof(T));
  if (swap) swapBytes(b, sizeof(T));
  T v;
  std::memcpy(&v, b, sizeof(T));
  return v;
}

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using FilePtr = std::unique_ptr<std::FILE, FileCloser>;

class RawReader final : public VolumeReader {
 public:
  RawReader(std::string w, std::filesystem::path path, RawType type, int64_t header, VolumeInfo info)
      : m_where(std::move(w)),
        m_path(std::move(path)),
        m_type(type),
        m_header(header),
        m_info(std::move(info)) {}

  VolumeInfo info() const override { return m_info; }

  void read(const Box3& box, std::vector<uint16_t>& out) const override {
    checkBox(m_where, box, m_info.n);
    out.assign(static_cast<size_t>(box.voxels()), 0);
    if (box.voxels() == 0) return;
    FilePtr f(std::fopen(m_path.c_str(), "rb"));
    if (!f) throwInput("{}: cannot open for reading: {}", m_where, std::strerror(errno));
    const auto& n = m_info.n;
    // A box spanning whole rows is contiguous per z plane: one read per plane instead of one per row.
    const int64_t rowsPerRead = box.size[0] == n[0] ? box.size[1] : 1;
    const int64_t bytes = m_type.bytes;
    std::vector<unsigned char> buf(static_cast<size_t>(rowsPerRead * box.size[0] * bytes));
    for (int64_t z = box.lo[2]; z < box.lo[2] + box.size[2]; ++z) {
      for (int64_t y = box.lo[1]; y < box.lo[1] + box.size[1]; y += rowsPerRead) {
        const int64_t offset = m_header + ((z * n[1] + y) * n[0] + box.lo[0]) * bytes;
        const size_t want = static_cast<size_t>(rowsPerRead * box.size[0] * bytes);
        if (fseeko(f.get(), static_cast<off_t>(offset), SEEK_SET) != 0 ||
            std::fread(buf.data(), 1, want, f.get()) != want)
          throwInput("{}: cannot read {} bytes at offset {} (the file is shorter than when it was opened?)",
                     m_where, want, offset);
        const size_t first =
            static_cast<size_t>(((z - box.lo[2]) * box.size[1] + (y - box.lo[1])) * box.size[0]);
        convert(buf.data(), static_cast<size_t>(rowsPerRead * box.size[0]), out.data() + first, box, first);
      }
    }
  }

 private:
  void convert(const unsigned char* src, size_t count, uint16_t* dst, const Box3& box, size_t first) const {
    const bool swap = needsSwap(m_type);
    switch (m_type.kind) {
      case 'u':
        switch (m_type.bytes) {
          case 1:
            return typed<uint8_t>(src, count, dst, swap, box, first);
          case 2:
            return typed<uint16_t>(src, count, dst, swap, box, first);
          case 4:
            return typed<uint32_t>(src, count, dst, swap, box, first);
          default:
            return typed<uint64_t>(src, count, dst, swap, box, first);
        }
      case 'i':
        switch (m_type.bytes) {
          case 1:
            return typed<int8_t>(src, count, dst, swap, box, first);
          case 2:
            return typed<int16_t>(src, count, dst, swap, box, first);
          case 4:
            return typed<int32_t>(src, count, dst, swap, box, first);
          default:
            return typed<int64_t>(src, count, dst, swap, box, first);
        }
      default:
        if (m_type.bytes == 4) return typed<float>(src, count, dst, swap, box, first);
        return typed<double>(src, count, dst, swap, box, first);
    }
  }

  template <typename T>
  void typed(const unsigned char* src, size_t count, uint16_t* dst, bool swap, const Box3& box,
             size_t first) const {
    for (size_t i = 0; i < count; ++i) {
      const T v = load<T>(src + i * sizeof(T), swap);
      if constexpr (!std::is_same_v<T, uint8_t> && !std::is_same_v<T, uint16_t>) {
        if (!isLabel(v)) {
          const int64_t k = static_cast<int64_t>(first + i);
          throwBadLabel(m_where,
                        fmt::format("voxel (x {}, y {}, z {}) ({})", box.lo[0] + k % box.size[0],
                                    box.lo[1] + k / box.size[0] % box.size[1],
                                    box.lo[2] + k / (box.size[0] * box.size[1]), m_info.dtype),
                        static_cast<double>(v));
        }
      }
      dst[i] = static_cast<uint16_t>(v);
    }
  }

  std::string m_where;
  std::filesystem::path m_path;
  RawType m_type;
  int64_t m_header;
  VolumeInfo m_info;
};

}  // namespace

std::unique_ptr<VolumeReader> openRaw(const VolumeFileSpec& spec) {
  const std::string w = where(spec);
  const auto& s = spec.rawShape;
  if (s[0] <= 0 || s[1] <= 0 || s[2] <= 0)
    throwInput(
        "{}: a raw file needs its shape: give `shape: [nz, ny, nx]` (and `dtype`, default uint8) next to "
        "`file` (got nx {}, ny {}, nz {})",
        w, s[0], s[1], s[2]);
  const RawType type = requireRawType(w, spec.rawDtype);
  if (spec.rawHeaderBytes < 0) throwInput("{}: header_bytes must be >= 0, not {}", w, spec.rawHeaderBytes);
  std::error_code ec;
  const auto size = std::filesystem::file_size(spec.path, ec);
  if (ec) throwInput("{}: cannot determine the file size: {}", w, ec.message());
  const int64_t expected = spec.rawHeaderBytes + s[0] * s[1] * s[2] * type.bytes;
  if (static_cast<int64_t>(size) != expected)
    throwInput(
        "{}: the file has {} bytes, but header {} + nx {} * ny {} * nz {} * {} bytes ({}) = {} bytes; check "
        "`shape` (order [nz, ny, nx]), `dtype` and `header_bytes`",
        w, size, spec.rawHeaderBytes, s[0], s[1], s[2], type.bytes,
        spec.rawDtype.empty() ? "uint8" : spec.rawDtype, expected);
  VolumeInfo info;
  info.n = s;
  info.dtype = lowerCase(spec.rawDtype.empty() ? std::string("uint8") : spec.rawDtype);
  info.format = "raw";
  return std::make_unique<RawReader>(w, spec.path, type, spec.rawHeaderBytes, std::move(info));
}

}  // namespace volio

void writeRaw(const std::filesystem::path& path, const std::vector<uint16_t>& data,
              const std::string& dtype) {
  const std::string w = fmt::format("writing '{}'", path.string());
  const volio::RawType t = volio::requireRawType(w, dtype);
  const int64_t maxValue = t.kind == 'u' && t.bytes == 1   ? 255
                           : t.kind == 'i' && t.bytes == 1 ? 127
                           : t.kind == 'i' && t.bytes == 2 ? 32767
                                                           : 65535;
  const bool swap = volio::needsSwap(t);
  std::vector<unsigned char> bytes(data.size() * static_cast<size_t>(t.bytes));
  for (size_t i = 0; i < data.size(); ++i) {
    const uint16_t v = data[i];
    if (v > maxValue) throwInput("{}: label {} (value index {}) does not fit in {}", w, v, i, dtype);
    unsigned char* p = bytes.data() + i * static_cast<size_t>(t.bytes);
    auto put = [&](auto x) {
      std::memcpy(p, &x, sizeof x);
      if (swap) volio::swapBytes(p, sizeof x);
    };
    if (t.kind == 'f') {
      if (t.bytes == 4)
        put(static_cast<float>(v));
      else
        put(static_cast<double>(v));
    } else {
      switch (t.bytes) {
        case 1:
          put(static_cast<uint8_t>(v));
          break;
        case 2:
          put(static_cast<uint16_t>(v));
          break;
        case 4:
          put(static_cast<uint32_t>(v));
          break;
        default:
          put(static_cast<uint64_t>(v));
          break;
      }
    }
  }
  writeFileAtomic(path, std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

void saveLabelsRaw(const Volume& v, const std::filesystem::path& path, int bits) {
  const MPI_Comm comm = v.grid->comm();
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  const auto& n = v.grid->geometry().n;
  const Box3& own = v.grid->owned();
  const std::filesystem::path tmp = tempPathFor(path);
  const std::string dtype = bits == 8 ? "uint8" : "uint16";
  const int es = bits == 8 ? 1 : 2;
  std::vector<unsigned char> bytes(v.labels.size() * static_cast<size_t>(es));
  {
    std::exception_ptr err;
    try {
      if (bits != 8 && bits != 16)
        throwInput("writing '{}': bits per sample must be 8 or 16, not {}", path.string(), bits);
      const bool swap = volio::needsSwap(volio::requireRawType(path.string(), dtype));
      for (size_t i = 0; i < v.labels.size(); ++i) {
        const uint16_t x = v.labels[i];
        if (bits == 8) {
          if (x > 255) throwInput("writing '{}': label {} does not fit in uint8", path.string(), x);
          bytes[i] = static_cast<unsigned char>(x);
        } else {
          std::memcpy(&bytes[2 * i], &x, 2);
          if (swap) volio::swapBytes(&bytes[2 * i], 2);
        }
      }
      if (n[0] * es > INT_MAX || n[1] > INT_MAX || n[2] > INT_MAX || own.size[1] * own.size[2] > INT_MAX)
        throwRun("writing '{}': extents too large for MPI-IO int counts", path.string());
    } catch (...) {
      err = std::current_exception();
    }
    rethrowCollective(comm, err);
  }
  std::optional<RemoveOnTermination> cleanup;
  if (rank == 0) cleanup.emplace(tmp);
  // Every rank writes its own box into one file: a subarray view of the file, rows of x as the unit.
  const auto requireAll = [&](int rc, const char* what) {
    int mine = rc == MPI_SUCCESS ? 1 : 0, all = 0;
    MPI_Allreduce(&mine, &all, 1, MPI_INT, MPI_MIN, comm);
    if (all) return;
    char text[MPI_MAX_ERROR_STRING] = "it failed on another rank";
    int len = 0;
    if (rc != MPI_SUCCESS) MPI_Error_string(rc, text, &len);
    throwRun("writing '{}': {}: {}", tmp.string(), what, text);
  };
  MPI_File fh = MPI_FILE_NULL;
  MPI_Datatype view = MPI_DATATYPE_NULL, row = MPI_DATATYPE_NULL;
  try {
    requireAll(MPI_File_open(comm, tmp.c_str(), MPI_MODE_CREATE | MPI_MODE_WRONLY, MPI_INFO_NULL, &fh),
               "cannot create the file");
    requireAll(MPI_File_set_size(fh, 0), "cannot truncate the file");
    const int sizes[3] = {static_cast<int>(n[2]), static_cast<int>(n[1]), static_cast<int>(n[0] * es)};
    const int sub[3] = {static_cast<int>(own.size[2]), static_cast<int>(own.size[1]),
                        static_cast<int>(own.size[0] * es)};
    const int starts[3] = {static_cast<int>(own.lo[2]), static_cast<int>(own.lo[1]),
                           static_cast<int>(own.lo[0] * es)};
    MPI_Type_create_subarray(3, sizes, sub, starts, MPI_ORDER_C, MPI_BYTE, &view);
    MPI_Type_commit(&view);
    MPI_Type_contiguous(sub[2], MPI_BYTE, &row);
    MPI_Type_commit(&row);
    char native[] = "native";
    requireAll(MPI_File_set_view(fh, 0, MPI_BYTE, view, native, MPI_INFO_NULL), "cannot set the file view");
    requireAll(MPI_File_write_all(fh, bytes.data(), sub[0] * sub[1], row, MPI_STATUS_IGNORE),
               "cannot write the labels (disk full?)");
    requireAll(MPI_File_close(&fh), "cannot close the file (disk full?)");
    MPI_Type_free(&view);
    MPI_Type_free(&row);
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
    if (fh != MPI_FILE_NULL) MPI_File_close(&fh);
    if (view != MPI_DATATYPE_NULL) MPI_Type_free(&view);
    if (row != MPI_DATATYPE_NULL) MPI_Type_free(&row);
    if (rank == 0) {
      std::error_code ec;
      std::filesystem::remove(tmp, ec);
    }
    throw;
  }
}

}  // namespace ssb

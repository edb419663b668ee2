#include "mesh/FieldWriter.hpp"

#include <hdf5.h>

#include <algorithm>
#include <sstream>

#include "solver/core/AtomicFile.hpp"
#include "solver/core/Log.hpp"
#include "solver/core/MpiUtil.hpp"

namespace ssb {

namespace {

bool isRoot(MPI_Comm comm) {
  int r = 0;
  MPI_Comm_rank(comm, &r);
  return r == 0;
}

// Owns an HDF5 identifier (closed with the function given).
class H5 {
 public:
  using Closer = herr_t (*)(hid_t);
  H5(hid_t id, Closer close) : m_id(id), m_close(close) {}
  H5(const H5&) = delete;
  H5& operator=(const H5&) = delete;
  ~H5() {
    if (m_id >= 0) m_close(m_id);
  }
  hid_t get() const { return m_id; }
  bool ok() const { return m_id >= 0; }

 private:
  hid_t m_id;
  Closer m_close;
};

// The innermost message on HDF5's error stack (its automatic printing is off), then clear the stack.
std::string hdf5Reason() {
  std::string inner;
  H5Ewalk2(
      H5E_DEFAULT, H5E_WALK_UPWARD,
      [](unsigned n, const H5E_error2_t* e, void* data) -> herr_t {
        if (n == 0 && e->desc) *static_cast<std::string*>(data) = e->desc;
        return 0;
      },
      &inner);
  H5Eclear2(H5E_DEFAULT);
  return inner.empty() ? "HDF5 gave no reason" : inner;
}

// Every rank learns whether every rank succeeded; throws RunError (or InputError) on all of them if not.
// HDF5 calls in parallel mode are collective: a failure on one rank must not leave the others waiting.
void agree(MPI_Comm comm, bool ok, const std::string& what, bool input = false) {
  std::exception_ptr err;
  if (!ok) {
    const std::string msg = fmt::format("{}: {}", what, hdf5Reason());
    err = input ? std::make_exception_ptr(InputError(msg)) : std::make_exception_ptr(RunError(msg));
  }
  rethrowCollective(comm, err);
}

hid_t parallelAccess(MPI_Comm comm) {
  hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
  H5Pset_fapl_mpio(fapl, comm, MPI_INFO_NULL);
  return fapl;
}

struct DaLayout {
  std::array<hsize_t, 3> n{};        // global points per axis (x, y, z)
  std::array<hsize_t, 3> lo{}, m{};  // owned corner and size (x, y, z)
  int dof = 1;
};

DaLayout layoutOf(Vec v, const std::string& what) {
  DM dm = nullptr;
  SSB_PETSC(VecGetDM(v, &dm));
  if (!dm)
    throwRun("{}: the Vec has no DMDA; FieldWriter writes DMDA Vecs (or owned values of the grid)", what);
  PetscBool isDa = PETSC_FALSE;
  SSB_PETSC(PetscObjectTypeCompare(reinterpret_cast<PetscObject>(dm), DMDA, &isDa));
  if (!isDa) throwRun("{}: the Vec's DM is not a DMDA", what);
  PetscInt dim = 0, M = 0, N = 0, P = 0, dof = 0, xs, ys, zs, xm, ym, zm;
  SSB_PETSC(DMDAGetInfo(dm, &dim, &M, &N, &P, nullptr, nullptr, nullptr, &dof, nullptr, nullptr, nullptr,
                        nullptr, nullptr));
  if (dim != 3) throwRun("{}: the DMDA is {}-D; fields are 3-D", what, static_cast<int>(dim));
  SSB_PETSC(DMDAGetCorners(dm, &xs, &ys, &zs, &xm, &ym, &zm));
  DaLayout l;
  l.n = {static_cast<hsize_t>(M), static_cast<hsize_t>(N), static_cast<hsize_t>(P)};
  l.lo = {static_cast<hsize_t>(xs), static_cast<hsize_t>(ys), static_cast<hsize_t>(zs)};
  l.m = {static_cast<hsize_t>(xm), static_cast<hsize_t>(ym), static_cast<hsize_t>(zm)};
  l.dof = static_cast<int>(dof);
  return l;
}

std::string xmlEscape(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '&':
        o += "&amp;";
        break;
      case '<':
        o += "&lt;";
        break;
      case '>':
        o += "&gt;";
        break;
      case '"':
        o += "&quot;";
        break;
      default:
        o += c;
    }
  }
  return o;
}

void checkName(const std::string& name, const char* what) {
  if (name.empty() || name.find_first_of("/\"<>&") != std::string::npos || name.front() == '.')
    throwRun("FieldWriter: {} name '{}' must be non-empty and contain none of / \" < > &", what, name);
}

void writeStringAttribute(hid_t obj, const char* key, const std::string& value) {
  H5 type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type.get(), std::max<size_t>(value.size(), 1));
  H5 space(H5Screate(H5S_SCALAR), H5Sclose);
  H5 attr(H5Acreate2(obj, key, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  if (attr.ok()) H5Awrite(attr.get(), type.get(), value.empty() ? " " : value.c_str());
}

}  // namespace

// ---------------------------------------------------------------------------------------------------------

FieldWriter::FieldWriter(const StructuredGrid& grid, std::filesystem::path dir, std::string stem, bool xdmf)
    : m_grid(grid), m_dir(std::move(dir)), m_stem(std::move(stem)), m_xdmf(xdmf) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  const auto tmp = tempPathFor(h5Path());
  H5 fapl(parallelAccess(grid.comm()), H5Pclose);
  m_file = H5Fcreate(tmp.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get());
  agree(grid.comm(), m_file >= 0, fmt::format("cannot create {}", tmp.string()));
}

FieldWriter::~FieldWriter() {
  if (m_file >= 0) H5Fclose(m_file);
  if (!m_closed && isRoot(m_grid.comm())) {
    std::error_code ec;
    std::filesystem::remove(tempPathFor(h5Path()), ec);
  }
}

std::string FieldWriter::seriesDataset(const std::string& series, int index, const std::string& name) {
  return fmt::format("/{}/{:06d}/{}", series, index, name);
}

FieldWriter::Entry FieldWriter::writeDataset(const std::string& dataset, Vec v, const std::string& name,
                                             const std::string& unit, Precision precision) {
  const std::string what = fmt::format("{}: field {}", h5Path().string(), dataset);
  if (std::find(m_datasets.begin(), m_datasets.end(), dataset) != m_datasets.end())
    throwRun("{}: written twice; give each field its own name", what);
  const DaLayout l = layoutOf(v, what);
  const auto& g = m_grid.geometry().n;
  Entry e;
  e.dataset = dataset;
  e.name = name;
  e.unit = unit;
  bool cell = true, node = true;
  for (int a = 0; a < 3; ++a) {
    cell = cell && l.n[a] == static_cast<hsize_t>(g[a]);
    node = node && l.n[a] == static_cast<hsize_t>(g[a] + 1);
  }
  if (!cell && !node)
    throwRun(
        "{}: the DMDA has {} x {} x {} points; expected the grid's {} x {} x {} cells or their {} x {} x {} "
        "corners",
        what, l.n[0], l.n[1], l.n[2], g[0], g[1], g[2], g[0] + 1, g[1] + 1, g[2] + 1);
  if (l.dof != 1 && l.dof != 3)
    throwRun("{}: dof {} per point; FieldWriter writes scalars (1) and vectors (3)", what, l.dof);
  e.node = !cell;
  e.components = l.dof;
  const bool single = precision == Precision::Single;
  e.numberType = "Float";
  e.bytes = single ? 4 : 8;

  const int rank = l.dof == 1 ? 3 : 4;
  hsize_t dims[4] = {l.n[2], l.n[1], l.n[0], 3};
  hsize_t start[4] = {l.lo[2], l.lo[1], l.lo[0], 0};
  hsize_t count[4] = {l.m[2], l.m[1], l.m[0], 3};
  const hid_t fileType = single ? H5T_IEEE_F32LE : H5T_IEEE_F64LE;

  H5 lcpl(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
  H5Pset_create_intermediate_group(lcpl.get(), 1);
  H5 space(H5Screate_simple(rank, dims, nullptr), H5Sclose);
  H5 dset(H5Dcreate2(m_file, dataset.c_str(), fileType, space.get(), lcpl.get(), H5P_DEFAULT, H5P_DEFAULT),
          H5Dclose);
  agree(m_grid.comm(), dset.ok(), fmt::format("cannot create {}", what));

  PetscInt nLocal = 0;
  SSB_PETSC(VecGetLocalSize(v, &nLocal));
  const PetscScalar* a = nullptr;
  SSB_PETSC(VecGetArrayRead(v, &a));
  std::vector<float> f;
  const void* buf = a;
  if (single) {
    f.assign(a, a + nLocal);
    buf = f.data();
  }
  H5 mem(H5Screate_simple(rank, count, nullptr), H5Sclose);
  H5 fsel(H5Dget_space(dset.get()), H5Sclose);
  if (nLocal > 0) {
    H5Sselect_hyperslab(fsel.get(), H5S_SELECT_SET, start, nullptr, count, nullptr);
  } else {
    H5Sselect_none(fsel.get());
    H5Sselect_none(mem.get());
  }
  H5 dxpl(H5Pcreate(H5P_DATASET_XFER), H5Pclose);
  H5Pset_dxpl_mpio(dxpl.get(), H5FD_MPIO_COLLECTIVE);
  const herr_t st = H5Dwrite(dset.get(), single ? H5T_NATIVE_FLOAT : H5T_NATIVE_DOUBLE, mem.get(), fsel.get(),
                             dxpl.get(), buf);
  SSB_PETSC(VecRestoreArrayRead(v, &a));
  writeStringAttribute(dset.get(), "unit", unit);
  agree(m_grid.comm(), st >= 0, fmt::format("cannot write {}", what));
  m_datasets.push_back(dataset);
  Log::detail("{}: wrote {}", h5Path().filename().string(), dataset);
  return e;
}

void FieldWriter::write(Vec v, const std::string& name, const std::string& unit, Precision precision) {
  checkName(name, "field");
  m_fields.push_back(writeDataset("/" + name, v, name, unit, precision));
}

void FieldWriter::write(const std::vector<double>& owned, const std::string& name, const std::string& unit,
                        Precision precision) {
  VecHandle v = m_grid.createField(name);
  m_grid.setOwned(v, owned);
  write(v, name, unit, precision);
}

void FieldWriter::writeLabels(const std::vector<uint16_t>& owned, const std::string& name) {
  checkName(name, "field");
  const std::string dataset = "/" + name;
  const std::string what = fmt::format("{}: labels {}", h5Path().string(), dataset);
  if (std::find(m_datasets.begin(), m_datasets.end(), dataset) != m_datasets.end())
    throwRun("{}: written twice; give each field its own name", what);
  const Box3& box = m_grid.owned();
  if (static_cast<int64_t>(owned.size()) != box.voxels())
    throwRun("{}: {} values for {} owned voxels", what, owned.size(), box.voxels());
  int localMax = 0, globalMax = 0;
  for (uint16_t l : owned) localMax = std::max(localMax, static_cast<int>(l));
  MPI_Allreduce(&localMax, &globalMax, 1, MPI_INT, MPI_MAX, m_grid.comm());
  const bool byte = globalMax < 256;
  const auto& g = m_grid.geometry().n;
  hsize_t dims[3] = {static_cast<hsize_t>(g[2]), static_cast<hsize_t>(g[1]), static_cast<hsize_t>(g[0])};
  hsize_t start[3] = {static_cast<hsize_t>(box.lo[2]), static_cast<hsize_t>(box.lo[1]),
                      static_cast<hsize_t>(box.lo[0])};
  hsize_t count[3] = {static_cast<hsize_t>(box.size[2]), static_cast<hsize_t>(box.size[1]),
                      static_cast<hsize_t>(box.size[0])};
  H5 space(H5Screate_simple(3, dims, nullptr), H5Sclose);
  H5 dset(H5Dcreate2(m_file, dataset.c_str(), byte ? H5T_STD_U8LE : H5T_STD_U16LE, space.get(), H5P_DEFAULT,
                     H5P_DEFAULT, H5P_DEFAULT),
          H5Dclose);
  agree(m_grid.comm(), dset.ok(), fmt::format("cannot create {}", what));
  std::vector<uint8_t> bytes;
  if (byte) bytes.assign(owned.begin(), owned.end());
  H5 mem(H5Screate_simple(3, count, nullptr), H5Sclose);
  H5 fsel(H5Dget_space(dset.get()), H5Sclose);
  if (!owned.empty()) {
    H5Sselect_hyperslab(fsel.get(), H5S_SELECT_SET, start, nullptr, count, nullptr);
  } else {
    H5Sselect_none(fsel.get());
    H5Sselect_none(mem.get());
  }
  H5 dxpl(H5Pcreate(H5P_DATASET_XFER), H5Pclose);
  H5Pset_dxpl_mpio(dxpl.get(), H5FD_MPIO_COLLECTIVE);
  const herr_t st =
      byte ? H5Dwrite(dset.get(), H5T_NATIVE_UINT8, mem.get(), fsel.get(), dxpl.get(), bytes.data())
           : H5Dwrite(dset.get(), H5T_NATIVE_UINT16, mem.get(), fsel.get(), dxpl.get(), owned.data());
  writeStringAttribute(dset.get(), "unit", "");
  agree(m_grid.comm(), st >= 0, fmt::format("cannot write {}", what));
  m_datasets.push_back(dataset);
  Entry e;
  e.dataset = dataset;
  e.name = name;
  e.numberType = byte ? "UChar" : "UInt";  // "UInt" with Precision 2 reads as uint16 in XDMF 2 and 3
  e.bytes = byte ? 1 : 2;
  m_fields.push_back(e);
}

void FieldWriter::writeAt(const std::string& series, double time, Vec v, const std::string& name,
                          const std::string& unit, Precision precision) {
  checkName(series, "series");
  checkName(name, "field");
  auto& steps = m_series[series];
  if (!steps.empty() && time < steps.back().time)
    throwRun("{}: series '{}' is at t = {} s; a field at the earlier t = {} s cannot be appended",
             h5Path().string(), series, steps.back().time, time);
  const bool newTime = steps.empty() || time > steps.back().time;
  const int index = static_cast<int>(steps.size()) - (newTime ? 0 : 1);
  Entry e = writeDataset(seriesDataset(series, index, name), v, name, unit, precision);
  if (newTime) {
    H5 group(H5Gopen2(m_file, fmt::format("/{}/{:06d}", series, index).c_str(), H5P_DEFAULT), H5Gclose);
    H5 space(H5Screate(H5S_SCALAR), H5Sclose);
    H5 attr(H5Acreate2(group.get(), "time", H5T_IEEE_F64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
    const bool ok = attr.ok() && H5Awrite(attr.get(), H5T_NATIVE_DOUBLE, &time) >= 0;
    agree(m_grid.comm(), ok,
          fmt::format("{}: cannot record the time of {}/{}", h5Path().string(), series, index));
    steps.push_back({time, {}});
  }
  steps.back().fields.push_back(e);
}

void FieldWriter::writeAt(const std::string& series, double time, const std::vector<double>& owned,
                          const std::string& name, const std::string& unit, Precision precision) {
  VecHandle v = m_grid.createField(name);
  m_grid.setOwned(v, owned);
  writeAt(series, time, v, name, unit, precision);
}

void FieldWriter::writeArray(const std::string& name, const std::vector<double>& values) {
  checkName(name, "array");
  const std::string dataset = "/" + name;
  if (std::find(m_datasets.begin(), m_datasets.end(), dataset) != m_datasets.end())
    throwRun("{}: array {} written twice", h5Path().string(), dataset);
  hsize_t n = values.size();
  H5 space(H5Screate_simple(1, &n, nullptr), H5Sclose);
  H5 dset(
      H5Dcreate2(m_file, dataset.c_str(), H5T_IEEE_F64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
      H5Dclose);
  agree(m_grid.comm(), dset.ok(), fmt::format("{}: cannot create array {}", h5Path().string(), dataset));
  // Every rank holds the same values; rank 0 writes them (collectively, the others select nothing).
  H5 mem(H5Screate_simple(1, &n, nullptr), H5Sclose);
  H5 fsel(H5Dget_space(dset.get()), H5Sclose);
  if (!isRoot(m_grid.comm()) || n == 0) {
    H5Sselect_none(mem.get());
    H5Sselect_none(fsel.get());
  }
  H5 dxpl(H5Pcreate(H5P_DATASET_XFER), H5Pclose);
  H5Pset_dxpl_mpio(dxpl.get(), H5FD_MPIO_COLLECTIVE);
  const herr_t st = H5Dwrite(dset.get(), H5T_NATIVE_DOUBLE, mem.get(), fsel.get(), dxpl.get(), values.data());
  agree(m_grid.comm(), st >= 0, fmt::format("{}: cannot write array {}", h5Path().string(), dataset));
  m_datasets.push_back(dataset);
}

std::string FieldWriter::xdmf() const {
  const auto& g = m_grid.geometry();
  const std::string file = xmlEscape(h5Path().filename().string());
  std::ostringstream mesh;
  mesh.precision(17);
  mesh << "   <Topology TopologyType=\"3DCoRectMesh\" Dimensions=\"" << g.n[2] + 1 << " " << g.n[1] + 1 << " "
       << g.n[0] + 1 << "\"/>\n";
  mesh << "   <Geometry GeometryType=\"ORIGIN_DXDYDZ\">\n";
  mesh << "    <DataItem Dimensions=\"3\" NumberType=\"Float\" Precision=\"8\" Format=\"XML\">" << g.origin[2]
       << " " << g.origin[1] << " " << g.origin[0] << "</DataItem>\n";
  mesh << "    <DataItem Dimensions=\"3\" NumberType=\"Float\" Precision=\"8\" Format=\"XML\">"
       << g.spacing[2] << " " << g.spacing[1] << " " << g.spacing[0] << "</DataItem>\n   </Geometry>\n";
  auto attribute = [&](const Entry& e, const std::string& indent) {
    std::ostringstream a;
    const auto n0 = g.n[0] + (e.node ? 1 : 0), n1 = g.n[1] + (e.node ? 1 : 0), n2 = g.n[2] + (e.node ? 1 : 0);
    a << indent << "<Attribute Name=\"" << xmlEscape(e.name + (e.unit.empty() ? "" : " [" + e.unit + "]"))
      << "\" AttributeType=\"" << (e.components == 3 ? "Vector" : "Scalar") << "\" Center=\""
      << (e.node ? "Node" : "Cell") << "\">\n";
    a << indent << " <DataItem Dimensions=\"" << n2 << " " << n1 << " " << n0
      << (e.components == 3 ? " 3" : "") << "\" NumberType=\"" << e.numberType << "\" Precision=\"" << e.bytes
      << "\" Format=\"HDF\">" << file << ":" << xmlEscape(e.dataset) << "</DataItem>\n";
    a << indent << "</Attribute>\n";
    return a.str();
  };
  std::ostringstream x;
  x.precision(17);
  x << "<?xml version=\"1.0\" ?>\n<Xdmf Version=\"3.0\">\n <Domain>\n";
  x << "  <Grid Name=\"voxels\" GridType=\"Uniform\">\n" << mesh.str();
  for (const auto& e : m_fields) x << attribute(e, "   ");
  x << "  </Grid>\n";
  for (const auto& [series, steps] : m_series) {
    x << "  <Grid Name=\"" << xmlEscape(series)
      << "\" GridType=\"Collection\" CollectionType=\"Temporal\">\n";
    for (size_t i = 0; i < steps.size(); ++i) {
      x << "   <Grid Name=\"" << xmlEscape(series) << "_" << i << "\" GridType=\"Uniform\">\n";
      x << "    <Time Value=\"" << steps[i].time << "\"/>\n";
      std::string m = mesh.str();
      std::string indented;  // the mesh block one level deeper
      std::istringstream lines(m);
      for (std::string line; std::getline(lines, line);) indented += " " + line + "\n";
      x << indented;
      for (const auto& e : steps[i].fields) x << attribute(e, "    ");
      x << "   </Grid>\n";
    }
    x << "  </Grid>\n";
  }
  x << " </Domain>\n</Xdmf>\n";
  return x.str();
}

void FieldWriter::close() {
  const bool ok = H5Fclose(m_file) >= 0;
  m_file = -1;
  agree(m_grid.comm(), ok, fmt::format("cannot finish {}", tempPathFor(h5Path()).string()));
  MPI_Barrier(m_grid.comm());
  // Rank 0 renames and writes the sidecar; a failure there must reach every rank (no hang).
  std::exception_ptr err;
  try {
    if (isRoot(m_grid.comm())) {
      commitTempFile(h5Path());
      if (m_xdmf) writeFileAtomic(xdmfPath(), xdmf());
    }
  } catch (...) {
    err = std::current_exception();
  }
  rethrowCollective(m_grid.comm(), err);
  m_closed = true;
}

// ---------------------------------------------------------------------------------------------------------

FieldReader::FieldReader(MPI_Comm comm, const std::filesystem::path& file) : m_comm(comm), m_path(file) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  int exists = 0;
  if (isRoot(comm)) exists = std::filesystem::is_regular_file(file) ? 1 : 0;
  MPI_Bcast(&exists, 1, MPI_INT, 0, comm);
  if (!exists)
    throwInput("{}: no such file (a checkpoint or fields file written by ssbvox was expected)",
               file.string());
  H5 fapl(parallelAccess(comm), H5Pclose);
  m_file = H5Fopen(file.c_str(), H5F_ACC_RDONLY, fapl.get());
  agree(comm, m_file >= 0, fmt::format("{}: cannot open it as HDF5", file.string()), true);
}

FieldReader::~FieldReader() {
  if (m_file >= 0) H5Fclose(m_file);
}

bool FieldReader::has(const std::string& dataset) const {
  // Walk the path: H5Lexists on "a/b/c" fails if "a/b" does not exist.
  std::string path;
  std::istringstream parts(dataset);
  for (std::string part; std::getline(parts, part, '/');) {
    if (part.empty()) continue;
    path += "/" + part;
    if (H5Lexists(m_file, path.c_str(), H5P_DEFAULT) <= 0) return false;
  }
  return !path.empty();
}

void FieldReader::read(const std::string& dataset, Vec v) const {
  const std::string what = fmt::format("{}: dataset {}", m_path.string(), dataset);
  if (!has(dataset)) throwInput("{}: not found (was the file written by this kind of study?)", what);
  const DaLayout l = layoutOf(v, what);
  H5 dset(H5Dopen2(m_file, dataset.c_str(), H5P_DEFAULT), H5Dclose);
  agree(m_comm, dset.ok(), fmt::format("cannot open {}", what), true);
  H5 space(H5Dget_space(dset.get()), H5Sclose);
  const int rank = H5Sget_simple_extent_ndims(space.get());
  hsize_t dims[4] = {0, 0, 0, 1};
  if (rank == 3 || rank == 4) H5Sget_simple_extent_dims(space.get(), dims, nullptr);
  const int comps = rank == 4 ? static_cast<int>(dims[3]) : 1;
  if ((rank != 3 && rank != 4) || dims[0] != l.n[2] || dims[1] != l.n[1] || dims[2] != l.n[0] ||
      comps != l.dof)
    throwInput(
        "{}: holds {}-D data of dims ({}) but the run needs ({} {} {}{}): the file belongs to another volume "
        "or "
        "study",
        what, rank,
        fmt::format("{} {} {}{}", dims[0], dims[1], dims[2], rank == 4 ? fmt::format(" {}", dims[3]) : ""),
        l.n[2], l.n[1], l.n[0], l.dof > 1 ? fmt::format(" {}", l.dof) : "");
  hsize_t start[4] = {l.lo[2], l.lo[1], l.lo[0], 0};
  hsize_t count[4] = {l.m[2], l.m[1], l.m[0], static_cast<hsize_t>(l.dof)};
  PetscInt nLocal = 0;
  SSB_PETSC(VecGetLocalSize(v, &nLocal));
  H5 mem(H5Screate_simple(rank, count, nullptr), H5Sclose);
  if (nLocal > 0) {
    H5Sselect_hyperslab(space.get(), H5S_SELECT_SET, start, nullptr, count, nullptr);
  } else {
    H5Sselect_none(space.get());
    H5Sselect_none(mem.get());
  }
  H5 dxpl(H5Pcreate(H5P_DATASET_XFER), H5Pclose);
  H5Pset_dxpl_mpio(dxpl.get(), H5FD_MPIO_COLLECTIVE);
  PetscScalar* a = nullptr;
  SSB_PETSC(VecGetArray(v, &a));
  const herr_t st = H5Dread(dset.get(), H5T_NATIVE_DOUBLE, mem.get(), space.get(), dxpl.get(), a);
  SSB_PETSC(VecRestoreArray(v, &a));
  agree(m_comm, st >= 0, fmt::format("cannot read {}", what), true);
}

std::vector<double> FieldReader::readOwned(const StructuredGrid& grid, const std::string& dataset) const {
  VecHandle v = grid.createField(dataset);
  read(dataset, v);
  return grid.getOwned(v);
}

std::vector<double> FieldReader::readArray(const std::string& name) const {
  const std::string dataset = name.front() == '/' ? name : "/" + name;
  const std::string what = fmt::format("{}: array {}", m_path.string(), dataset);
  if (!has(dataset)) throwInput("{}: not found (was the file written by this kind of study?)", what);
  H5 dset(H5Dopen2(m_file, dataset.c_str(), H5P_DEFAULT), H5Dclose);
  H5 space(dset.ok() ? H5Dget_space(dset.get()) : -1, H5Sclose);
  const bool shapeOk = space.ok() && H5Sget_simple_extent_ndims(space.get()) == 1;
  agree(m_comm, shapeOk, fmt::format("{} is not a 1-D array", what), true);
  hsize_t n = 0;
  H5Sget_simple_extent_dims(space.get(), &n, nullptr);
  std::vector<double> out(static_cast<size_t>(n));
  const herr_t st = n ? H5Dread(dset.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()) : 0;
  agree(m_comm, st >= 0, fmt::format("cannot read {}", what), true);
  return out;
}

std::vector<double> FieldReader::times(const std::string& series) const {
  std::vector<double> out;
  if (!has("/" + series)) return out;
  for (int i = 0;; ++i) {
    const std::string group = fmt::format("/{}/{:06d}", series, i);
    if (!has(group)) break;
    H5 attr(H5Aopen_by_name(m_file, group.c_str(), "time", H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
    double t = 0;
    const bool ok = attr.ok() && H5Aread(attr.get(), H5T_NATIVE_DOUBLE, &t) >= 0;
    agree(m_comm, ok, fmt::format("{}: {} has no time", m_path.string(), group), true);
    out.push_back(t);
  }
  return out;
}

}  // namespace ssb

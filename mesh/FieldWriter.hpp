#pragma once
// fields.h5 + fields.xdmf: every field of a run in one HDF5 file, whatever the rank count, with an XDMF
// sidecar that ParaView opens; and FieldReader, which reads such a file back (checkpoints, restart).
//
// The HDF5 file is written with parallel HDF5: every rank writes its owned box of a DMDA Vec as a
// hyperslab of a dataset in natural order, dims (nz, ny, nx) for cell fields, (nz+1, ny+1, nx+1) for node
// fields (the voxel corners), with a trailing 3 for vectors (components x, y, z). The file and the
// sidecar are written to temporary names and renamed into place at close(): a run that dies leaves
// either the previous complete files or none, never half a file.
//
// HDF5 layout:
//   /<name>                                  a field written with write() (attribute "unit")
//   /<series>/<index:06d>/<name>             a field of a time series at the index-th time (the group
//                                            carries the attribute "time" [s])
//   /<name> (1-D, double)                    a small array written with writeArray() (checkpoint data)
// XDMF (version 3): one uniform grid "voxels" (3DCoRectMesh) with the fields written by write(), and per
// series a temporal collection of grids, one per time with <Time Value=...>.
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "mesh/StructuredGrid.hpp"

namespace ssb {

enum class Precision { Double, Single };  // single halves the file; checkpoints must stay Double

class FieldWriter {
 public:
  // Collective. Writes <dir>/<stem>.h5 and, if `xdmf`, <dir>/<stem>.xdmf (checkpoints need no sidecar).
  FieldWriter(const StructuredGrid& grid, std::filesystem::path dir, std::string stem = "fields",
              bool xdmf = true);
  FieldWriter(const FieldWriter&) = delete;
  FieldWriter& operator=(const FieldWriter&) = delete;
  ~FieldWriter();  // leaves no temp file behind if close() was not reached

  // Collective. A global Vec on a 3-D DMDA of this grid: cell-centred (n per axis, e.g. grid.dm() or a
  // DMDACreateCompatibleDMDA of it) or node-centred (n + 1 per axis, e.g. the mechanics' displacement
  // DMDA), with dof 1 (scalar) or 3 (vector, components x, y, z). Its PETSc name is ignored; `name` is the
  // dataset name, and "name [unit]" the XDMF attribute name.
  void write(Vec v, const std::string& name, const std::string& unit,
             Precision precision = Precision::Double);
  // Collective. Owned cell values in grid.localIndex order.
  void write(const std::vector<double>& owned, const std::string& name, const std::string& unit,
             Precision precision = Precision::Double);
  // Collective. Label volume (owned, grid.localIndex order) as uint8 if every label is < 256, else uint16.
  void writeLabels(const std::vector<uint16_t>& owned, const std::string& name);

  // Collective. The value of `name` at time `time` [s] in the time series `series` (an XDMF temporal
  // collection). Times of a series must not decrease; fields written at the same time join that time.
  void writeAt(const std::string& series, double time, Vec v, const std::string& name,
               const std::string& unit, Precision precision = Precision::Double);
  void writeAt(const std::string& series, double time, const std::vector<double>& owned,
               const std::string& name, const std::string& unit, Precision precision = Precision::Double);

  // Collective. A small array, the same on every rank (time, step, protocol state of a checkpoint).
  void writeArray(const std::string& name, const std::vector<double>& values);

  // Collective. Finish both files and rename them into place.
  void close();
  std::filesystem::path h5Path() const { return m_dir / (m_stem + ".h5"); }
  std::filesystem::path xdmfPath() const { return m_dir / (m_stem + ".xdmf"); }

  // Dataset path of a time-series field, as FieldReader expects it.
  static std::string seriesDataset(const std::string& series, int index, const std::string& name);

 private:
  struct Entry {
    std::string dataset, name, unit;
    bool node = false;
    int components = 1;
    std::string numberType;  // XDMF NumberType
    int bytes = 8;           // XDMF Precision
  };
  struct Step {
    double time;
    std::vector<Entry> fields;
  };
  Entry writeDataset(const std::string& dataset, Vec v, const std::string& name, const std::string& unit,
                     Precision precision);
  std::string xdmf() const;

  const StructuredGrid& m_grid;
  std::filesystem::path m_dir;
  std::string m_stem;
  bool m_xdmf;
  int64_t m_file = -1;  // hid_t
  std::vector<Entry> m_fields;
  std::map<std::string, std::vector<Step>> m_series;
  std::vector<std::string> m_datasets;  // every dataset written, to refuse duplicates
  bool m_closed = false;
};

// Reads fields and arrays back from a file written by FieldWriter (checkpoints for --restart). Errors
// name the file and the dataset (InputError: a missing or mismatched checkpoint is a problem of the
// input the user pointed us to).
class FieldReader {
 public:
  FieldReader(MPI_Comm comm, const std::filesystem::path& file);  // collective
  FieldReader(const FieldReader&) = delete;
  FieldReader& operator=(const FieldReader&) = delete;
  ~FieldReader();

  bool has(const std::string& dataset) const;  // collective
  // Collective. Into a global Vec on a DMDA whose sizes and dof match the dataset (any rank count).
  void read(const std::string& dataset, Vec v) const;
  // Collective. A cell field into owned values on `grid` (grid.localIndex order).
  std::vector<double> readOwned(const StructuredGrid& grid, const std::string& dataset) const;
  std::vector<double> readArray(const std::string& name) const;  // collective
  // Collective. The times of a series, by index (empty if the series does not exist).
  std::vector<double> times(const std::string& series) const;

 private:
  MPI_Comm m_comm;
  std::filesystem::path m_path;
  int64_t m_file = -1;  // hid_t
};

}  // namespace ssb

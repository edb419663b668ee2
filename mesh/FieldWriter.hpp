#pragma once
// fields.h5 + fields.xdmf: every field of a run in one HDF5 file, whatever the rank count (PETSc's
// parallel HDF5 viewer writes DMDA Vecs in natural order, dims (nz, ny, nx)), with an XDMF sidecar that
// ParaView opens (3DCoRectMesh, cell-centred attributes). Written to temp names and renamed at close().
#include <filesystem>
#include <string>
#include <vector>

#include "mesh/StructuredGrid.hpp"

namespace ssb {

class FieldWriter {
 public:
  FieldWriter(const StructuredGrid& grid, std::filesystem::path dir);  // collective
  FieldWriter(const FieldWriter&) = delete;
  FieldWriter& operator=(const FieldWriter&) = delete;
  ~FieldWriter();  // leaves no temp file behind if close() was not reached

  // Collective. Write a global Vec on grid.dm() (its PETSc name is ignored; `name` is used). `unit` goes
  // into the XDMF attribute name as "name [unit]" only in the XDMF description, the dataset is `name`.
  void write(Vec v, const std::string& name, const std::string& unit);
  // Collective. Write owned values (grid.localIndex order).
  void write(const std::vector<double>& owned, const std::string& name, const std::string& unit);
  // Collective. Finish both files and rename them into place.
  void close();
  std::filesystem::path h5Path() const { return m_dir / "fields.h5"; }

 private:
  const StructuredGrid& m_grid;
  std::filesystem::path m_dir;
  PetscViewer m_viewer = nullptr;
  std::vector<std::pair<std::string, std::string>> m_fields;  // name, unit
  bool m_closed = false;
};

}  // namespace ssb

#include "mesh/FieldWriter.hpp"

#include <petscviewerhdf5.h>

#include <fstream>
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
}  // namespace

FieldWriter::FieldWriter(const StructuredGrid& grid, std::filesystem::path dir)
    : m_grid(grid), m_dir(std::move(dir)) {
  auto tmp = tempPathFor(h5Path());
  SSB_PETSC(PetscViewerHDF5Open(grid.comm(), tmp.c_str(), FILE_MODE_WRITE, &m_viewer));
}

FieldWriter::~FieldWriter() {
  if (m_viewer) (void)PetscViewerDestroy(&m_viewer);
  if (!m_closed && isRoot(m_grid.comm())) {
    std::error_code ec;
    std::filesystem::remove(tempPathFor(h5Path()), ec);
  }
}

void FieldWriter::write(Vec v, const std::string& name, const std::string& unit) {
  const char* old = nullptr;
  SSB_PETSC(PetscObjectGetName(reinterpret_cast<PetscObject>(v), &old));
  std::string keep = old ? old : "";
  SSB_PETSC(PetscObjectSetName(reinterpret_cast<PetscObject>(v), name.c_str()));
  SSB_PETSC(VecView(v, m_viewer));
  SSB_PETSC(PetscObjectSetName(reinterpret_cast<PetscObject>(v), keep.c_str()));
  m_fields.emplace_back(name, unit);
  Log::detail("fields.h5: wrote {}", name);
}

void FieldWriter::write(const std::vector<double>& owned, const std::string& name, const std::string& unit) {
  VecHandle v = m_grid.createField(name);
  m_grid.setOwned(v, owned);
  write(v, name, unit);
}

void FieldWriter::close() {
  SSB_PETSC(PetscViewerDestroy(&m_viewer));
  m_viewer = nullptr;
  MPI_Barrier(m_grid.comm());
  // Rank 0 renames and writes the sidecar; a failure there must reach every rank (no hang).
  std::exception_ptr err;
  try {
    if (isRoot(m_grid.comm())) {
      const auto& g = m_grid.geometry();
      std::ostringstream x;
      x << "<?xml version=\"1.0\" ?>\n<Xdmf Version=\"3.0\">\n <Domain>\n  <Grid Name=\"voxels\" "
           "GridType=\"Uniform\">\n";
      x << "   <Topology TopologyType=\"3DCoRectMesh\" Dimensions=\"" << g.n[2] + 1 << " " << g.n[1] + 1
        << " " << g.n[0] + 1 << "\"/>\n";
      x << "   <Geometry GeometryType=\"ORIGIN_DXDYDZ\">\n";
      x << "    <DataItem Dimensions=\"3\" Format=\"XML\">" << g.origin[2] << " " << g.origin[1] << " "
        << g.origin[0] << "</DataItem>\n";
      x << "    <DataItem Dimensions=\"3\" Format=\"XML\">" << g.spacing[2] << " " << g.spacing[1] << " "
        << g.spacing[0] << "</DataItem>\n   </Geometry>\n";
      for (const auto& [name, unit] : m_fields) {
        x << "   <Attribute Name=\"" << name << (unit.empty() ? "" : " [" + unit + "]")
          << "\" AttributeType=\"Scalar\" Center=\"Cell\">\n";
        x << "    <DataItem Dimensions=\"" << g.n[2] << " " << g.n[1] << " " << g.n[0]
          << "\" NumberType=\"Float\" Precision=\"8\" Format=\"HDF\">fields.h5:/" << name << "</DataItem>\n";
        x << "   </Attribute>\n";
      }
      x << "  </Grid>\n </Domain>\n</Xdmf>\n";
      commitTempFile(h5Path());
      writeFileAtomic(m_dir / "fields.xdmf", x.str());
    }
  } catch (...) {
    err = std::current_exception();
  }
  rethrowCollective(m_grid.comm(), err);
  m_closed = true;
}

}  // namespace ssb

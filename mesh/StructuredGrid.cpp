#include "mesh/StructuredGrid.hpp"

#include "solver/core/MpiUtil.hpp"

namespace ssb {

StructuredGrid::StructuredGrid(MPI_Comm comm, const VoxelGrid& geometry) : m_comm(comm), m_geom(geometry) {
  for (int a = 0; a < 3; ++a)
    if (m_geom.n[a] < 1)
      throwInput("grid extent along {} is {}; every extent must be >= 1", axisName(a), m_geom.n[a]);
  auto bt = [&](int a) { return m_geom.n[a] >= 2 ? DM_BOUNDARY_PERIODIC : DM_BOUNDARY_NONE; };
  int size = 1;
  MPI_Comm_size(comm, &size);
  // PETSc needs at least one voxel per rank along each split axis; a thin axis must not be split.
  PetscInt m = PETSC_DECIDE, nn = PETSC_DECIDE, p = PETSC_DECIDE;
  // PETSc counts the grid's cells in PetscInt: past its range DMSetUp fails with "Overflow in integer
  // operation" (error 84). Checked in floating point, since the product itself may overflow int64.
  const double cells =
      static_cast<double>(m_geom.n[0]) * static_cast<double>(m_geom.n[1]) * static_cast<double>(m_geom.n[2]);
  if (cells > static_cast<double>(PETSC_MAX_INT))
    throwInput(
        "a grid of {} x {} x {} = {:.4g} voxels exceeds what {}-bit PETSc indices count ({} at most): a "
        "PETSc "
        "built with 64-bit indices is needed (Debian: petsc64-dev; PETSc's --with-64-bit-indices)",
        m_geom.n[0], m_geom.n[1], m_geom.n[2], cells, 8 * sizeof(PetscInt), PETSC_MAX_INT);
  if (m_geom.n[0] * m_geom.n[1] * m_geom.n[2] < size)
    throwInput("volume of {} voxels is smaller than the {} MPI ranks", m_geom.voxels(), size);
  SSB_PETSC(DMDACreate3d(comm, bt(0), bt(1), bt(2), DMDA_STENCIL_STAR, static_cast<PetscInt>(m_geom.n[0]),
                         static_cast<PetscInt>(m_geom.n[1]), static_cast<PetscInt>(m_geom.n[2]), m, nn, p, 1,
                         1, nullptr, nullptr, nullptr, m_dm.out()));
  SSB_PETSC(DMSetUp(m_dm));
  SSB_PETSC(
      DMDASetUniformCoordinates(m_dm, 0.0, m_geom.length(0), 0.0, m_geom.length(1), 0.0, m_geom.length(2)));
  PetscInt xs, ys, zs, xm, ym, zm;
  SSB_PETSC(DMDAGetCorners(m_dm, &xs, &ys, &zs, &xm, &ym, &zm));
  m_owned.lo = {xs, ys, zs};
  m_owned.size = {xm, ym, zm};
}

VecHandle StructuredGrid::createField(const std::string& name) const {
  VecHandle v;
  SSB_PETSC(DMCreateGlobalVector(m_dm, v.out()));
  SSB_PETSC(PetscObjectSetName(reinterpret_cast<PetscObject>(v.get()), name.c_str()));
  return v;
}

void StructuredGrid::setOwned(Vec v, const std::vector<double>& owned) const {
  PetscInt n = 0;
  SSB_PETSC(VecGetLocalSize(v, &n));
  // Callers go on to collective calls (VecView, solves): a size mismatch on one rank must stop every rank.
  std::exception_ptr err;
  try {
    if (static_cast<int64_t>(owned.size()) != n)
      throwRun("setOwned: {} values for {} owned voxels", owned.size(), n);
  } catch (...) {
    err = std::current_exception();
  }
  rethrowCollective(m_comm, err);
  PetscScalar* a = nullptr;
  SSB_PETSC(VecGetArray(v, &a));
  std::copy(owned.begin(), owned.end(), a);  // DMDA global Vec storage is the owned box, x fastest
  SSB_PETSC(VecRestoreArray(v, &a));
}

std::vector<double> StructuredGrid::getOwned(Vec v) const {
  PetscInt n = 0;
  SSB_PETSC(VecGetLocalSize(v, &n));
  const PetscScalar* a = nullptr;
  SSB_PETSC(VecGetArrayRead(v, &a));
  std::vector<double> out(a, a + n);
  SSB_PETSC(VecRestoreArrayRead(v, &a));
  return out;
}

}  // namespace ssb

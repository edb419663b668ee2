#include "mesh/StructuredGrid.hpp"

#include <vector>

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

DMHandle StructuredGrid::createNodeDM(int dof, std::array<bool, 3> periodic) const {
  PetscInt procs[3];
  const PetscInt* cellRanges[3];
  SSB_PETSC(DMDAGetInfo(m_dm, nullptr, nullptr, nullptr, nullptr, &procs[0], &procs[1], &procs[2], nullptr,
                        nullptr, nullptr, nullptr, nullptr, nullptr));
  SSB_PETSC(DMDAGetOwnershipRanges(m_dm, &cellRanges[0], &cellRanges[1], &cellRanges[2]));
  std::array<std::vector<PetscInt>, 3> ranges;
  PetscInt nodes[3];
  DMBoundaryType bt[3];
  for (int a = 0; a < 3; ++a) {
    if (periodic[a] && m_geom.n[a] < 2)
      throwInput("a periodic node grid needs at least 2 voxels along {} (the volume has {})", axisName(a),
                 m_geom.n[a]);
    ranges[a].assign(cellRanges[a], cellRanges[a] + procs[a]);
    nodes[a] = static_cast<PetscInt>(m_geom.n[a]) + (periodic[a] ? 0 : 1);
    if (!periodic[a]) ranges[a].back() += 1;  // the closing node plane belongs to the last rank
    bt[a] = periodic[a] ? DM_BOUNDARY_PERIODIC : DM_BOUNDARY_NONE;
  }
  DMHandle dm;
  SSB_PETSC(DMDACreate3d(m_comm, bt[0], bt[1], bt[2], DMDA_STENCIL_BOX, nodes[0], nodes[1], nodes[2],
                         procs[0], procs[1], procs[2], dof, 1, ranges[0].data(), ranges[1].data(),
                         ranges[2].data(), dm.out()));
  SSB_PETSC(DMSetUp(dm));
  // PETSc spaces a periodic axis's n nodes over [0, L) and a bounded axis's n + 1 nodes over [0, L], so
  // node i sits at i h either way.
  SSB_PETSC(
      DMDASetUniformCoordinates(dm, 0.0, m_geom.length(0), 0.0, m_geom.length(1), 0.0, m_geom.length(2)));
  return dm;
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

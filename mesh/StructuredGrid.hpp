#pragma once
// The distributed voxel grid: owns a 3-D DMDA (cell-centred, one dof, star stencil of width 1,
// periodic ghost wrapping in all directions so that physics can choose periodic or bounded sides
// without a second DM; a bounded physics simply ignores the wrapped ghosts at the domain faces).
#include <petscdmda.h>

#include <string>
#include <vector>

#include "mesh/VoxelGrid.hpp"
#include "solver/core/PetscUtil.hpp"

namespace ssb {

class StructuredGrid {
 public:
  // Collective on comm. Every extent must be >= 1; PETSc's periodic DMDA needs >= 2 per axis, so
  // extents of 1 use a bounded (non-periodic) DMDA along that axis.
  StructuredGrid(MPI_Comm comm, const VoxelGrid& geometry);

  MPI_Comm comm() const { return m_comm; }
  DM dm() const { return m_dm.get(); }
  const VoxelGrid& geometry() const { return m_geom; }
  const Box3& owned() const { return m_owned; }  // this rank's voxels (x, y, z), global indices

  // Local (owned) linear index of owned voxel (i, j, k) given in global indices; x fastest.
  int64_t localIndex(int64_t i, int64_t j, int64_t k) const {
    return ((k - m_owned.lo[2]) * m_owned.size[1] + (j - m_owned.lo[1])) * m_owned.size[0] +
           (i - m_owned.lo[0]);
  }
  int64_t naturalIndex(int64_t i, int64_t j, int64_t k) const {
    return (k * m_geom.n[1] + j) * m_geom.n[0] + i;
  }
  // Call f(i, j, k, localIndex) for every owned voxel, x fastest (global indices). Not collective.
  template <typename F>
  void forEachOwned(F&& f) const {
    for (int64_t k = m_owned.lo[2]; k < m_owned.lo[2] + m_owned.size[2]; ++k)
      for (int64_t j = m_owned.lo[1]; j < m_owned.lo[1] + m_owned.size[1]; ++j)
        for (int64_t i = m_owned.lo[0]; i < m_owned.lo[0] + m_owned.size[0]; ++i)
          f(i, j, k, localIndex(i, j, k));
  }

  // A new global Vec on the DM with the given name (the HDF5 dataset / XDMF attribute name). Collective.
  VecHandle createField(const std::string& name) const;
  // Collective. Fill `v` (global Vec on dm()) from owned values in local x-fastest order (a wrong count on
  // any rank throws RunError on every rank), and back.
  void setOwned(Vec v, const std::vector<double>& owned) const;
  std::vector<double> getOwned(Vec v) const;

  // Collective. A vertex (node) DMDA with `dof` values per node and a box stencil of width 1 (the 27
  // nodes of the 8 voxels around a node: Q1 voxel elements). Node (i, j, k) is the lower corner of voxel
  // (i, j, k). Ownership follows the cell DMDA: a rank owns the nodes of its voxels' lower corners, so the
  // data of an owned voxel (labels, Li fraction) sits on the rank that owns its first node; along a bounded
  // axis there are n + 1 nodes and the last rank along that axis also owns the last node plane; along a
  // periodic axis there are n nodes (node n is node 0) and the ranges are exactly the cell ranges.
  // Coordinates: uniform, node (i, j, k) at (i h_x, j h_y, k h_z).
  DMHandle createNodeDM(int dof, std::array<bool, 3> periodic) const;

 private:
  MPI_Comm m_comm;
  VoxelGrid m_geom;
  DMHandle m_dm;
  Box3 m_owned;
};

}  // namespace ssb

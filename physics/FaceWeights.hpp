#pragma once
// Per-face weights w >= 0 (default 1) that multiply the conductance of a voxel face: the hook through
// which physics changes what crosses individual faces without touching the discretisation - a reacting
// area correction on curved interfaces, a contact conductance between particles, a debonded face (w = 0
// blocks the flux). Dimensionless.
//
// Storage: one value per face, kept by the voxel on the face's low side: the "high face" of voxel c along
// axis a is the face between c and c + e_a (for the last voxel along a: the periodic face to voxel 0 when
// the axis is periodic, else the high domain face). The low domain face of each voxel of the first layer
// is kept separately (it is a face of its own only when the axis is bounded). The high faces live on the
// ghosted box (physics/GhostBox.hpp), so after exchange() every face of every owned voxel can be read,
// including the low faces of voxels whose low neighbour belongs to another rank or lies across a periodic
// face. Memory: 3 doubles per ghosted voxel.
//
// Typical use (FaceIterator.hpp):
//   FaceWeights w(grid);
//   iter.forEachFace(FaceVisit::Once, PhaseSet::all(), [&](const Face& f) { w.set(f, rule(f)); });
//   w.exchange();                        // collective
//   FaceIterator weighted(space, bc, &w);
#include <array>
#include <cstdint>
#include <vector>

#include "mesh/StructuredGrid.hpp"
#include "physics/GhostBox.hpp"

namespace ssb {

struct Face;

class FaceWeights {
 public:
  // Not collective. Every face starts at `value` (>= 0).
  explicit FaceWeights(const StructuredGrid& grid, double value = 1.0);

  // Not collective. The high face of owned voxel `cell` along `axis` (see above).
  void setHigh(int axis, const Index3& cell, double w);
  // Not collective. The low domain face of owned voxel `cell`, which must lie in the first layer
  // (cell[axis] == 0); used only when the axis is bounded.
  void setLowDomain(int axis, const Index3& cell, double w);
  // Not collective. A face as visited by FaceIterator::forEachFace in FaceVisit::Once mode (so owned by this
  // rank); throws RunError for a face this rank does not keep.
  void set(const Face& f, double w);

  // Collective. Checks the values this rank set (finite and >= 0, else RunError naming the face, thrown on
  // every rank) and copies the neighbours' high faces into the ghost layer. Call after the last set() and
  // before a FaceIterator reads the weights (it refuses weights that were changed after exchange()).
  void exchange();
  bool exchanged() const { return m_exchanged; }

  const StructuredGrid& grid() const { return m_grid; }
  // Read access for the face iterator: g is a ghost-box offset.
  double high(int axis, size_t g) const { return m_high[static_cast<size_t>(axis)][g]; }
  double lowDomain(int axis, const Index3& cell) const {
    return m_low[static_cast<size_t>(axis)][lowIndex(axis, cell)];
  }

 private:
  size_t lowIndex(int axis, const Index3& cell) const;
  bool owns(const Index3& cell) const;

  const StructuredGrid& m_grid;
  GhostBox m_box;
  std::array<std::vector<double>, 3> m_high;  // ghosted box
  std::array<std::vector<double>, 3> m_low;   // owned cross-section of layer 0 (empty if not owned)
  bool m_exchanged = false;
};

}  // namespace ssb

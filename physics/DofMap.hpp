#pragma once
// The numbering of the unknowns of one system on the voxel grid: several fields, each living on its own
// set of voxels (an owned mask per field), plus optional global scalar unknowns (a current-collector
// potential, a Lagrange multiplier) - compressed, distributed, and readable on the ghosted box.
//
// Ordering: per rank, field by field, each field's voxels in the grid's local (x fastest) order; ranks in
// order; the S scalars are the last S rows of the last rank (global indices N - S ... N - 1):
//     rank 0: [field 0 | field 1 | ...]  rank 1: [field 0 | field 1 | ...]  ...  last rank: [... | scalars]
// Why per field and not interlaced per voxel: the fields live on different voxels (phi_e on electrolyte,
// phi_s and x on active material), so there is no fixed block size an interlaced layout (BAIJ, DMDA dof)
// could exploit; per-field blocks make every field's index set a contiguous stride on each rank (cheap
// PCFieldSplitSetIS and MatCreateSubMatrix, AMG on one block), and a single field is numbered exactly as
// the conductivity solver always was. Locality between the fields of one voxel is what an interlaced
// layout would buy; the fieldsplit preconditioners the coupled physics plan to use work on the blocks.
//
// Ghost access: index(field, voxel) answers for every voxel of the ghosted box (physics/GhostBox.hpp),
// and ghostValues(u) brings every field of a solution Vec onto the ghosted box with one exchange (a DMDA
// with one value per field, grid.dm() itself for one field) plus the scalars on every rank.
//
// Matrices: the physics describes its rows through a fill callback (MatrixFill), called once by
// createMatrix - which preallocates exactly from what was emitted (per row: distinct columns in and out of
// the rank's diagonal block) and inserts the values - and once per fillMatrix for new values in the same
// pattern. Rows of voxel unknowns are emitted whole, by the rank owning them; rows of scalar unknowns may
// be emitted in pieces from any rank (the constraint row of a current collector gathers every boundary
// voxel), and any row may hold scalar columns.
//
// Sizes: counts are 64-bit; a system whose global size, or whose nonzeros on one rank, exceed what this
// PETSc's PetscInt can index is refused with a RunError naming the count and the ranks it would need.
#include <petscis.h>
#include <petscmat.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "mesh/StructuredGrid.hpp"
#include "physics/GhostBox.hpp"
#include "solver/core/PetscUtil.hpp"

namespace ssb {

using ISHandle = PetscHandle<IS, ISDestroy>;

struct DofMapOptions {
  int scalars = 0;             // global scalar unknowns, owned by the last rank
  std::string who = "DofMap";  // names the system in errors
  int64_t indexLimit =
      static_cast<int64_t>(PETSC_MAX_INT);  // largest index a PetscInt holds (tests lower it)
};

// Where a fill callback sends its entries.
class MatrixSink {
 public:
  virtual ~MatrixSink() = default;
  // Entries (global column indices, values) of global row `row`: the whole row of a voxel unknown owned by
  // this rank (exactly once per fill), or any part of a scalar unknown's row. Duplicate columns are summed.
  virtual void add(PetscInt row, int n, const PetscInt* cols, const PetscScalar* vals) = 0;
  void add(PetscInt row, PetscInt col, PetscScalar val) { add(row, 1, &col, &val); }
};
using MatrixFill = std::function<void(MatrixSink&)>;

struct MatrixOptions {
  bool symmetric = false;        // sets MAT_SYMMETRIC and MAT_SYMMETRY_ETERNAL
  size_t entriesPerRowHint = 7;  // reserves the emission buffer (7-point stencil)
};

// Values of every field and scalar of a Vec, on this rank's ghosted box. Holds a DMDA local Vec.
class GhostedValues {
 public:
  GhostedValues(VecHandle local, int fields, std::vector<double> scalars);
  ~GhostedValues();
  GhostedValues(const GhostedValues&) = delete;
  GhostedValues& operator=(const GhostedValues&) = delete;
  // Value of `field` at ghost-box offset g (the fill value where the field has no unknown).
  double at(int field, size_t g) const {
    return PetscRealPart(m_a[g * static_cast<size_t>(m_fields) + static_cast<size_t>(field)]);
  }
  double scalar(int s) const { return m_scalars[static_cast<size_t>(s)]; }

 private:
  VecHandle m_local;
  int m_fields;
  std::vector<double> m_scalars;
  const PetscScalar* m_a = nullptr;
};

class DofMap {
 public:
  // Collective. masks[f]: owned mask of field f in grid.localIndex order (non-zero = an unknown). Throws
  // RunError on every rank if a mask has the wrong size on any rank, or the sizes do not fit PetscInt.
  DofMap(const StructuredGrid& grid, const std::vector<std::vector<uint8_t>>& masks,
         const DofMapOptions& opt = {});
  DofMap(const DofMap&) = delete;
  DofMap& operator=(const DofMap&) = delete;

  const StructuredGrid& grid() const { return m_grid; }
  const GhostBox& box() const { return m_box; }
  int fields() const { return m_fields; }
  int scalars() const { return m_scalars; }
  bool ownsScalars() const { return m_ownsScalars; }
  int scalarOwner() const { return m_size - 1; }

  PetscInt localSize() const { return m_nLocal; }  // rows on this rank, scalars included
  PetscInt globalSize() const { return m_nGlobal; }
  PetscInt rowStart() const { return m_rowStart; }  // first global row of this rank
  int64_t fieldLocalCount(int f) const { return m_fieldLocal[static_cast<size_t>(f)]; }
  int64_t fieldGlobalCount(int f) const { return m_fieldGlobal[static_cast<size_t>(f)]; }
  PetscInt fieldStart(int f) const { return m_fieldStart[static_cast<size_t>(f)]; }  // first row of f here

  // Global index of field f at ghost-box offset g, or -1 if the voxel holds no unknown of f. Not collective.
  PetscInt indexAt(int f, size_t g) const {
    return m_index[g * static_cast<size_t>(m_fields) + static_cast<size_t>(f)];
  }
  // The same for voxel (i, j, k) of the ghosted box (global coordinates; -1 and n address the ghost copies
  // across periodic faces).
  PetscInt index(int f, int64_t i, int64_t j, int64_t k) const { return indexAt(f, m_box.offset(i, j, k)); }
  PetscInt scalarIndex(int s) const { return m_nGlobal - m_scalars + s; }

  // Collective. Index sets (global rows) of field f, and of the scalars (empty except on the last rank).
  ISHandle fieldIS(int f) const;
  ISHandle scalarIS() const;

  // Collective. A vector with this layout.
  VecHandle createVector() const;
  // Not collective. Owned values of field f in grid.localIndex order into u (voxels without an unknown of f
  // are skipped), and back (`fill` where f has no unknown).
  void setField(Vec u, int f, const std::vector<double>& owned) const;
  std::vector<double> getField(Vec u, int f, double fill = 0.0) const;
  // Not collective: only the last rank writes. Collective: every rank receives the value.
  void setScalar(Vec u, int s, double value) const;
  double getScalar(Vec u, int s) const;
  // Collective. Every field of u on the ghosted box (`fill` where a field has no unknown) and every scalar.
  GhostedValues ghostValues(Vec u, double fill = 0.0) const;

  // Collective. An AIJ matrix of this layout, preallocated exactly from the entries `fill` emits, holding
  // their values. Every row must receive at least one entry. A throw inside `fill` on any rank reaches
  // every rank.
  MatHandle createMatrix(const MatrixFill& fill, const MatrixOptions& opt = {}) const;
  // Collective. Zero A (from createMatrix with the same pattern) and add the entries `fill` emits.
  void fillMatrix(Mat A, const MatrixFill& fill) const;

  // Collective. RunError on every rank if `perRank` (a count on this rank, e.g. nonzeros) exceeds the index
  // limit on any rank: the message names `what`, the largest count and the number of ranks that would fit.
  void checkPerRankCount(int64_t perRank, const std::string& what) const;

 private:
  const StructuredGrid& m_grid;
  GhostBox m_box;
  DofMapOptions m_opt;
  int m_fields = 0, m_scalars = 0, m_rank = 0, m_size = 1;
  bool m_ownsScalars = false;
  DMHandle m_fieldDM;  // DMDA with one value per field (unset for one field: grid.dm())
  std::vector<int64_t> m_fieldLocal, m_fieldGlobal;
  std::vector<PetscInt> m_fieldStart;
  std::vector<PetscInt> m_index;  // ghosted box x fields, interlaced
  PetscInt m_nLocal = 0, m_nGlobal = 0, m_rowStart = 0;
  DM fieldDM() const { return m_fieldDM ? m_fieldDM.get() : m_grid.dm(); }
};

}  // namespace ssb

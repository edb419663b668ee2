#include "physics/DofMap.hpp"

#include <mpi.h>

#include <algorithm>
#include <cmath>
#include <exception>

#include "mesh/BoxExchange.hpp"
#include "solver/core/Error.hpp"
#include "solver/core/MpiUtil.hpp"

namespace ssb {

GhostedValues::GhostedValues(VecHandle local, int fields, std::vector<double> scalars)
    : m_local(std::move(local)), m_fields(fields), m_scalars(std::move(scalars)) {
  SSB_PETSC(VecGetArrayRead(m_local, &m_a));
}

GhostedValues::~GhostedValues() {
  if (m_local) (void)VecRestoreArrayRead(m_local, &m_a);
}

DofMap::DofMap(const StructuredGrid& grid, const std::vector<std::vector<uint8_t>>& masks,
               const DofMapOptions& opt)
    : m_grid(grid), m_box(ghostBoxOf(grid)), m_opt(opt) {
  const MPI_Comm comm = grid.comm();
  MPI_Comm_rank(comm, &m_rank);
  MPI_Comm_size(comm, &m_size);
  m_fields = static_cast<int>(masks.size());
  m_scalars = opt.scalars;
  const size_t nOwned = static_cast<size_t>(grid.owned().voxels());
  std::exception_ptr err;
  try {
    if (m_fields < 1) throwRun("{}: a DofMap needs at least one field", opt.who);
    if (m_scalars < 0) throwRun("{}: {} scalar unknowns requested", opt.who, m_scalars);
    for (int f = 0; f < m_fields; ++f)
      if (masks[static_cast<size_t>(f)].size() != nOwned)
        throwRun("{}: the mask of field {} has {} values, this rank owns {} voxels", opt.who, f,
                 masks[static_cast<size_t>(f)].size(), nOwned);
  } catch (...) {
    err = std::current_exception();
  }
  rethrowCollective(comm, err);

  m_ownsScalars = m_scalars > 0 && m_rank == m_size - 1;
  const size_t F = static_cast<size_t>(m_fields);
  m_fieldLocal.assign(F, 0);
  m_fieldGlobal.assign(F, 0);
  for (size_t f = 0; f < F; ++f)
    for (uint8_t m : masks[f]) m_fieldLocal[f] += m ? 1 : 0;
  MPI_Allreduce(m_fieldLocal.data(), m_fieldGlobal.data(), m_fields, MPI_INT64_T, MPI_SUM, comm);
  int64_t nLocal = m_ownsScalars ? m_scalars : 0, nGlobal = m_scalars;
  for (size_t f = 0; f < F; ++f) {
    nLocal += m_fieldLocal[f];
    nGlobal += m_fieldGlobal[f];
  }
  // The global size is an index, so more ranks do not help; every rank computes the same answer.
  if (nGlobal > opt.indexLimit)
    throwRun(
        "{}: {} unknowns exceed the {} that this PETSc build's 32-bit indices can number (more ranks do not "
        "help); crop or coarsen the volume, or use a PETSc configured with --with-64-bit-indices",
        opt.who, nGlobal, opt.indexLimit);
  int64_t start = 0;
  MPI_Exscan(&nLocal, &start, 1, MPI_INT64_T, MPI_SUM, comm);
  if (m_rank == 0) start = 0;  // MPI_Exscan leaves rank 0's result undefined
  m_nLocal = static_cast<PetscInt>(nLocal);
  m_nGlobal = static_cast<PetscInt>(nGlobal);
  m_rowStart = static_cast<PetscInt>(start);
  m_fieldStart.assign(F, 0);
  int64_t next = start;
  for (size_t f = 0; f < F; ++f) {
    m_fieldStart[f] = static_cast<PetscInt>(next);
    next += m_fieldLocal[f];
  }

  // Global numbers, exchanged as doubles through the DMDA (exact below 2^53).
  std::vector<double> number(nOwned * F, -1.0);
  {
    std::vector<int64_t> counter(m_fieldStart.begin(), m_fieldStart.end());
    for (size_t l = 0; l < nOwned; ++l)
      for (size_t f = 0; f < F; ++f)
        if (masks[f][l]) number[l * F + f] = static_cast<double>(counter[f]++);
  }
  if (m_fields > 1) SSB_PETSC(DMDACreateCompatibleDMDA(grid.dm(), m_fields, m_fieldDM.out()));
  // Edge and corner entries of the box are never face neighbours; -1 keeps them from reading as row 0.
  const std::vector<double> ghosted = exchangeGhosts(grid, fieldDM(), m_fields, number, -1.0);
  number = {};
  m_index.resize(ghosted.size());
  // Exact integers in a double: the cast is exact (no rounding call per voxel).
  for (size_t q = 0; q < ghosted.size(); ++q) m_index[q] = static_cast<PetscInt>(ghosted[q]);
}

ISHandle DofMap::fieldIS(int f) const {
  ISHandle is;
  SSB_PETSC(
      ISCreateStride(m_grid.comm(), static_cast<PetscInt>(fieldLocalCount(f)), fieldStart(f), 1, is.out()));
  return is;
}

ISHandle DofMap::scalarIS() const {
  ISHandle is;
  SSB_PETSC(ISCreateStride(m_grid.comm(), m_ownsScalars ? m_scalars : 0, m_nGlobal - m_scalars, 1, is.out()));
  return is;
}

VecHandle DofMap::createVector() const {
  VecHandle v;
  SSB_PETSC(VecCreate(m_grid.comm(), v.out()));
  SSB_PETSC(VecSetSizes(v, m_nLocal, m_nGlobal));
  SSB_PETSC(VecSetType(v, VECSTANDARD));
  return v;
}

void DofMap::setField(Vec u, int f, const std::vector<double>& owned) const {
  if (owned.size() != static_cast<size_t>(m_grid.owned().voxels()))
    throwRun("{}: setField: {} values for {} owned voxels", m_opt.who, owned.size(), m_grid.owned().voxels());
  PetscScalar* a = nullptr;
  SSB_PETSC(VecGetArray(u, &a));
  m_grid.forEachOwned([&](int64_t i, int64_t j, int64_t k, int64_t l) {
    const PetscInt idx = index(f, i, j, k);
    if (idx >= 0) a[idx - m_rowStart] = owned[static_cast<size_t>(l)];
  });
  SSB_PETSC(VecRestoreArray(u, &a));
}

std::vector<double> DofMap::getField(Vec u, int f, double fill) const {
  std::vector<double> out(static_cast<size_t>(m_grid.owned().voxels()), fill);
  const PetscScalar* a = nullptr;
  SSB_PETSC(VecGetArrayRead(u, &a));
  m_grid.forEachOwned([&](int64_t i, int64_t j, int64_t k, int64_t l) {
    const PetscInt idx = index(f, i, j, k);
    if (idx >= 0) out[static_cast<size_t>(l)] = PetscRealPart(a[idx - m_rowStart]);
  });
  SSB_PETSC(VecRestoreArrayRead(u, &a));
  return out;
}

void DofMap::setScalar(Vec u, int s, double value) const {
  if (!m_ownsScalars) return;
  PetscScalar* a = nullptr;
  SSB_PETSC(VecGetArray(u, &a));
  a[m_nLocal - m_scalars + s] = value;
  SSB_PETSC(VecRestoreArray(u, &a));
}

double DofMap::getScalar(Vec u, int s) const {
  double v = 0.0;
  if (m_ownsScalars) {
    const PetscScalar* a = nullptr;
    SSB_PETSC(VecGetArrayRead(u, &a));
    v = PetscRealPart(a[m_nLocal - m_scalars + s]);
    SSB_PETSC(VecRestoreArrayRead(u, &a));
  }
  MPI_Bcast(&v, 1, MPI_DOUBLE, scalarOwner(), m_grid.comm());
  return v;
}

GhostedValues DofMap::ghostValues(Vec u, double fill) const {
  const DM dm = fieldDM();
  const size_t F = static_cast<size_t>(m_fields);
  VecHandle global, local;
  SSB_PETSC(DMCreateGlobalVector(dm, global.out()));
  {
    PetscScalar* g = nullptr;
    const PetscScalar* a = nullptr;
    SSB_PETSC(VecGetArray(global, &g));
    SSB_PETSC(VecGetArrayRead(u, &a));
    m_grid.forEachOwned([&](int64_t i, int64_t j, int64_t k, int64_t l) {
      const size_t q = m_box.offset(i, j, k) * F;
      for (size_t f = 0; f < F; ++f) {
        const PetscInt idx = m_index[q + f];
        g[static_cast<size_t>(l) * F + f] = idx >= 0 ? a[idx - m_rowStart] : fill;
      }
    });
    SSB_PETSC(VecRestoreArrayRead(u, &a));
    SSB_PETSC(VecRestoreArray(global, &g));
  }
  SSB_PETSC(DMCreateLocalVector(dm, local.out()));
  SSB_PETSC(VecSet(local, fill));
  SSB_PETSC(DMGlobalToLocalBegin(dm, global, INSERT_VALUES, local));
  SSB_PETSC(DMGlobalToLocalEnd(dm, global, INSERT_VALUES, local));
  global.reset();
  std::vector<double> scalars(static_cast<size_t>(m_scalars), 0.0);
  if (m_scalars > 0) {
    if (m_ownsScalars) {
      const PetscScalar* a = nullptr;
      SSB_PETSC(VecGetArrayRead(u, &a));
      for (int s = 0; s < m_scalars; ++s)
        scalars[static_cast<size_t>(s)] = PetscRealPart(a[m_nLocal - m_scalars + s]);
      SSB_PETSC(VecRestoreArrayRead(u, &a));
    }
    MPI_Bcast(scalars.data(), m_scalars, MPI_DOUBLE, scalarOwner(), m_grid.comm());
  }
  return GhostedValues(std::move(local), m_fields, std::move(scalars));
}

void DofMap::checkPerRankCount(int64_t perRank, const std::string& what) const {
  struct {
    double count;
    int rank;
  } mine{static_cast<double>(perRank), m_rank}, most{};
  MPI_Allreduce(&mine, &most, 1, MPI_DOUBLE_INT, MPI_MAXLOC, m_grid.comm());
  int64_t total = 0;
  MPI_Allreduce(&perRank, &total, 1, MPI_INT64_T, MPI_SUM, m_grid.comm());
  const double limit = static_cast<double>(m_opt.indexLimit);
  if (most.count <= limit) return;
  // With the present balance between ranks: the largest share shrinks as 1 / ranks.
  const double need = std::ceil(most.count * static_cast<double>(m_size) / limit);
  throwRun(
      "{}: rank {} would hold {:.0f} {} ({} on all {} ranks), more than the {} that this PETSc build's "
      "32-bit "
      "indices can count per rank; run on at least {:.0f} MPI ranks, or use a PETSc configured with "
      "--with-64-bit-indices",
      m_opt.who, most.rank, most.count, what, total, m_size, m_opt.indexLimit, need);
}

namespace {

// Collects what a fill emits, for createMatrix: the rows of this rank's voxel unknowns (whole, in emission
// order) and the pieces of scalar rows (from any rank).
class BufferSink final : public MatrixSink {
 public:
  BufferSink(const DofMap& map, PetscInt voxelRows, size_t entriesHint, std::string who)
      : m_map(map), m_voxelRows(voxelRows), m_who(std::move(who)), seen(static_cast<size_t>(voxelRows), 0) {
    rows.reserve(static_cast<size_t>(voxelRows));
    count.reserve(static_cast<size_t>(voxelRows));
    cols.reserve(static_cast<size_t>(voxelRows) * entriesHint);
    vals.reserve(static_cast<size_t>(voxelRows) * entriesHint);
  }
  void add(PetscInt row, int n, const PetscInt* c, const PetscScalar* v) override {
    const PetscInt N = m_map.globalSize();
    for (int q = 0; q < n; ++q)
      if (c[q] < 0 || c[q] >= N)
        throwRun("{}: row {} has column {} outside the system (0 .. {})", m_who, row, c[q], N - 1);
    const PetscInt local = row - m_map.rowStart();
    if (local >= 0 && local < m_voxelRows) {
      if (seen[static_cast<size_t>(local)])
        throwRun("{}: row {} was emitted twice; a voxel row must be emitted whole, once", m_who, row);
      seen[static_cast<size_t>(local)] = 1;
      rows.push_back(local);
      count.push_back(n);
      cols.insert(cols.end(), c, c + n);
      vals.insert(vals.end(), v, v + n);
      return;
    }
    if (row >= N - m_map.scalars() && row < N) {
      for (int q = 0; q < n; ++q) pieces.push_back({row, c[q], v[q]});
      return;
    }
    throwRun(
        "{}: row {} is neither a voxel row of this rank nor a scalar row; emit voxel rows on their owner",
        m_who, row);
  }
  void release() {
    seen = {};
    rows = {};
    count = {};
    cols = {};
    vals = {};
    pieces = {};
  }

  struct Piece {
    PetscInt row, col;
    PetscScalar val;
  };

 private:
  const DofMap& m_map;
  PetscInt m_voxelRows;
  std::string m_who;

 public:
  std::vector<uint8_t> seen;
  std::vector<PetscInt> rows;  // local row index of each emitted voxel row, in emission order
  std::vector<int> count;      // its number of entries
  std::vector<PetscInt> cols;  // entries of all rows, concatenated
  std::vector<PetscScalar> vals;
  std::vector<Piece> pieces;  // entries of scalar rows
};

// Adds what a fill emits straight into a matrix with the pattern in place (fillMatrix).
class DirectSink final : public MatrixSink {
 public:
  DirectSink(const DofMap& map, Mat A, PetscInt voxelRows, std::string who)
      : m_map(map),
        m_A(A),
        m_voxelRows(voxelRows),
        m_seen(static_cast<size_t>(voxelRows), 0),
        m_who(std::move(who)) {}
  void add(PetscInt row, int n, const PetscInt* cols, const PetscScalar* vals) override {
    const PetscInt local = row - m_map.rowStart();
    if (local >= 0 && local < m_voxelRows) {
      if (m_seen[static_cast<size_t>(local)])
        throwRun("{}: row {} was emitted twice; a voxel row must be emitted whole, once", m_who, row);
      m_seen[static_cast<size_t>(local)] = 1;
    } else if (!(row >= m_map.globalSize() - m_map.scalars() && row < m_map.globalSize())) {
      throwRun(
          "{}: row {} is neither a voxel row of this rank nor a scalar row; emit voxel rows on their owner",
          m_who, row);
    }
    SSB_PETSC(MatSetValues(m_A, 1, &row, n, cols, vals, ADD_VALUES));
  }

 private:
  const DofMap& m_map;
  Mat m_A;
  PetscInt m_voxelRows;
  std::vector<uint8_t> m_seen;
  std::string m_who;
};

// Distinct values of c[0..n): how many lie in [lo, hi) (d) and outside (o). Rows are short (7 entries for a
// 7-point stencil): pairwise comparison, no copy; long rows (scalar couplings) are sorted.
void countDistinct(const PetscInt* c, int n, PetscInt lo, PetscInt hi, std::vector<PetscInt>& scratch,
                   PetscInt& d, PetscInt& o) {
  d = o = 0;
  if (n <= 32) {
    for (int q = 0; q < n; ++q) {
      bool seenBefore = false;
      for (int p = 0; p < q; ++p) seenBefore = seenBefore || c[p] == c[q];
      if (!seenBefore) ++(c[q] >= lo && c[q] < hi ? d : o);
    }
    return;
  }
  scratch.assign(c, c + n);
  std::sort(scratch.begin(), scratch.end());
  for (size_t q = 0; q < scratch.size(); ++q)
    if (q == 0 || scratch[q] != scratch[q - 1]) ++(scratch[q] >= lo && scratch[q] < hi ? d : o);
}

}  // namespace

MatHandle DofMap::createMatrix(const MatrixFill& fill, const MatrixOptions& opt) const {
  const MPI_Comm comm = m_grid.comm();
  const PetscInt voxelRows = m_nLocal - (m_ownsScalars ? m_scalars : 0);
  BufferSink buf(*this, voxelRows, opt.entriesPerRowHint, m_opt.who);
  std::exception_ptr err;
  try {
    fill(buf);
  } catch (...) {
    err = std::current_exception();
  }
  rethrowCollective(comm, err);

  // Every voxel row emitted in row order and no scalar unknowns (every single-field operator): the buffer
  // is already CSR. Sort and merge each row in place and let PETSc preallocate from it, which also inserts
  // the values without a MatSetValues call per row (measured: 6 % fewer instructions for the matrix). The
  // choice must be the same on every rank (different collective calls otherwise).
  int ordered = m_scalars == 0 && buf.rows.size() == static_cast<size_t>(voxelRows) ? 1 : 0;
  for (size_t r = 0; ordered && r < buf.rows.size(); ++r) ordered = buf.rows[r] == static_cast<PetscInt>(r);
  MPI_Allreduce(MPI_IN_PLACE, &ordered, 1, MPI_INT, MPI_MIN, comm);
  if (ordered) {
    std::vector<int64_t> rowEnd(buf.rows.size());
    size_t write = 0, read = 0;
    err = nullptr;
    try {
      for (size_t r = 0; r < buf.rows.size(); ++r) {
        const int n = buf.count[r];
        PetscInt* c = buf.cols.data() + read;
        PetscScalar* v = buf.vals.data() + read;
        for (int q = 1; q < n; ++q)
          for (int p = q; p > 0 && c[p - 1] > c[p]; --p) {
            std::swap(c[p - 1], c[p]);
            std::swap(v[p - 1], v[p]);
          }
        const size_t start = write;
        for (int q = 0; q < n; ++q) {  // write <= read + q: compacting in place is safe
          if (write > start && buf.cols[write - 1] == c[q]) {
            buf.vals[write - 1] += v[q];
          } else {
            buf.cols[write] = c[q];
            buf.vals[write] = v[q];
            ++write;
          }
        }
        if (write == start)
          throwRun("{}: row {} received no entry; every unknown needs its row", m_opt.who,
                   m_rowStart + static_cast<PetscInt>(r));
        read += static_cast<size_t>(n);
        rowEnd[r] = static_cast<int64_t>(write);
      }
    } catch (...) {
      err = std::current_exception();
    }
    rethrowCollective(comm, err);
    checkPerRankCount(static_cast<int64_t>(write), "matrix nonzeros");
    std::vector<PetscInt> ia(rowEnd.size() + 1, 0);
    for (size_t r = 0; r < rowEnd.size(); ++r) ia[r + 1] = static_cast<PetscInt>(rowEnd[r]);
    rowEnd = {};
    MatHandle A;
    SSB_PETSC(MatCreate(comm, A.out()));
    SSB_PETSC(MatSetSizes(A, m_nLocal, m_nLocal, m_nGlobal, m_nGlobal));
    SSB_PETSC(MatSetType(A, MATAIJ));
    // Each call is a no-op unless the type matches (Seq on one rank, MPI otherwise); both assemble A.
    SSB_PETSC(MatSeqAIJSetPreallocationCSR(A, ia.data(), buf.cols.data(), buf.vals.data()));
    SSB_PETSC(MatMPIAIJSetPreallocationCSR(A, ia.data(), buf.cols.data(), buf.vals.data()));
    SSB_PETSC(MatSetOption(A, MAT_NEW_NONZERO_ALLOCATION_ERR, PETSC_TRUE));
    if (opt.symmetric) {
      SSB_PETSC(MatSetOption(A, MAT_SYMMETRIC, PETSC_TRUE));
      SSB_PETSC(MatSetOption(A, MAT_SYMMETRY_ETERNAL, PETSC_TRUE));
    }
    return A;
  }

  // Exact preallocation: distinct columns per row, inside / outside this rank's diagonal block.
  const PetscInt lo = m_rowStart, hi = m_rowStart + m_nLocal;
  std::vector<PetscInt> dnnz(static_cast<size_t>(m_nLocal), 0), onnz(static_cast<size_t>(m_nLocal), 0);
  int64_t nnz = 0;
  {
    std::vector<PetscInt> scratch;
    size_t pos = 0;
    for (size_t r = 0; r < buf.rows.size(); ++r) {
      const int n = buf.count[r];
      PetscInt d = 0, o = 0;
      countDistinct(buf.cols.data() + pos, n, lo, hi, scratch, d, o);
      pos += static_cast<size_t>(n);
      dnnz[static_cast<size_t>(buf.rows[r])] = d;
      onnz[static_cast<size_t>(buf.rows[r])] = o;
      nnz += d + o;
    }
  }
  // Scalar rows: every rank's pieces go to the last rank, which counts their distinct columns.
  if (m_scalars > 0) {
    std::vector<std::vector<int64_t>> send(static_cast<size_t>(m_size));
    auto& toOwner = send[static_cast<size_t>(scalarOwner())];
    toOwner.reserve(2 * buf.pieces.size());
    for (const auto& p : buf.pieces) {
      toOwner.push_back(p.row);
      toOwner.push_back(p.col);
    }
    const std::vector<int64_t> recv = exchangeVectors(comm, send);
    if (m_ownsScalars) {
      std::vector<std::vector<PetscInt>> cols(static_cast<size_t>(m_scalars));
      for (size_t q = 0; q + 1 < recv.size(); q += 2)
        cols[static_cast<size_t>(recv[q] - (m_nGlobal - m_scalars))].push_back(
            static_cast<PetscInt>(recv[q + 1]));
      for (int s = 0; s < m_scalars; ++s) {
        auto& c = cols[static_cast<size_t>(s)];
        std::sort(c.begin(), c.end());
        c.erase(std::unique(c.begin(), c.end()), c.end());
        PetscInt d = 0;
        for (PetscInt col : c) d += (col >= lo && col < hi) ? 1 : 0;
        const size_t row =
            static_cast<size_t>(m_nLocal) - static_cast<size_t>(m_scalars) + static_cast<size_t>(s);
        dnnz[row] = d;
        onnz[row] = static_cast<PetscInt>(c.size()) - d;
        nnz += static_cast<int64_t>(c.size());
      }
    }
  }
  // Every row needs an entry: a forgotten row would be an empty (singular) row of the system.
  err = nullptr;
  try {
    for (size_t r = 0; r < dnnz.size(); ++r)
      if (dnnz[r] + onnz[r] == 0) {
        const PetscInt row = m_rowStart + static_cast<PetscInt>(r);
        if (static_cast<PetscInt>(r) >= voxelRows)
          throwRun("{}: the row of scalar unknown {} received no entry", m_opt.who,
                   row - (m_nGlobal - m_scalars));
        int f = 0;
        while (f + 1 < m_fields && row >= m_fieldStart[static_cast<size_t>(f) + 1]) ++f;
        throwRun("{}: row {} (field {}) received no entry; every unknown needs its row", m_opt.who, row, f);
      }
  } catch (...) {
    err = std::current_exception();
  }
  rethrowCollective(comm, err);
  checkPerRankCount(nnz, "matrix nonzeros");

  MatHandle A;
  SSB_PETSC(MatCreate(comm, A.out()));
  SSB_PETSC(MatSetSizes(A, m_nLocal, m_nLocal, m_nGlobal, m_nGlobal));
  SSB_PETSC(MatSetType(A, MATAIJ));
  // Each call is a no-op unless the type matches (Seq on one rank, MPI otherwise).
  SSB_PETSC(MatSeqAIJSetPreallocation(A, 0, dnnz.data()));
  SSB_PETSC(MatMPIAIJSetPreallocation(A, 0, dnnz.data(), 0, onnz.data()));
  dnnz = {};
  onnz = {};
  SSB_PETSC(MatSetOption(A, MAT_NEW_NONZERO_ALLOCATION_ERR, PETSC_TRUE));
  if (m_scalars == 0) SSB_PETSC(MatSetOption(A, MAT_NO_OFF_PROC_ENTRIES, PETSC_TRUE));
  {
    size_t pos = 0;
    for (size_t r = 0; r < buf.rows.size(); ++r) {
      const PetscInt row = m_rowStart + buf.rows[r];
      const int n = buf.count[r];
      SSB_PETSC(MatSetValues(A, 1, &row, n, buf.cols.data() + pos, buf.vals.data() + pos, ADD_VALUES));
      pos += static_cast<size_t>(n);
    }
    for (const auto& p : buf.pieces) SSB_PETSC(MatSetValues(A, 1, &p.row, 1, &p.col, &p.val, ADD_VALUES));
  }
  buf.release();  // before assembly, which allocates
  SSB_PETSC(MatAssemblyBegin(A, MAT_FINAL_ASSEMBLY));
  SSB_PETSC(MatAssemblyEnd(A, MAT_FINAL_ASSEMBLY));
  if (opt.symmetric) {
    SSB_PETSC(MatSetOption(A, MAT_SYMMETRIC, PETSC_TRUE));
    SSB_PETSC(MatSetOption(A, MAT_SYMMETRY_ETERNAL, PETSC_TRUE));
  }
  return A;
}

void DofMap::fillMatrix(Mat A, const MatrixFill& fill) const {
  SSB_PETSC(MatZeroEntries(A));
  DirectSink sink(*this, A, m_nLocal - (m_ownsScalars ? m_scalars : 0), m_opt.who);
  std::exception_ptr err;
  try {
    fill(sink);
  } catch (...) {
    err = std::current_exception();
  }
  rethrowCollective(m_grid.comm(), err);
  SSB_PETSC(MatAssemblyBegin(A, MAT_FINAL_ASSEMBLY));
  SSB_PETSC(MatAssemblyEnd(A, MAT_FINAL_ASSEMBLY));
}

}  // namespace ssb

// DofMap (physics/DofMap.hpp): numbering of several fields with their own masks plus global scalars, index
// sets, ghost access, vectors, exact preallocation with scalar rows coupling to every rank, and the refusals
// (sizes beyond PetscInt, rows emitted twice or never, a bad mask on one rank). Every expected value comes
// from a global enumeration in the test (rank-count independent), gathered from all ranks where needed.
#include <gtest/gtest.h>

#include <map>
#include <numeric>
#include <set>

#include "physics/DofMap.hpp"
#include "solver/core/Error.hpp"
#include "tests/fvbase/FvTestUtil.hpp"

namespace ssb {
namespace {

using test::makeGrid;
using test::wrapIndex;

const std::array<int64_t, 3> kN{7, 5, 4};

// Field 0 on about two thirds of the voxels, field 1 on about half (overlapping): rank independent.
int inField(int f, int64_t i, int64_t j, int64_t k) {
  const uint64_t id = static_cast<uint64_t>((k * kN[1] + j) * kN[0] + i);
  return hashUniform(f == 0 ? 21 : 22, id) < (f == 0 ? 0.66 : 0.5) ? 1 : 0;
}

std::vector<std::vector<uint8_t>> masks(const StructuredGrid& g) {
  return {test::ownedOf<uint8_t>(g, [](int64_t i, int64_t j, int64_t k) { return inField(0, i, j, k); }),
          test::ownedOf<uint8_t>(g, [](int64_t i, int64_t j, int64_t k) { return inField(1, i, j, k); })};
}

int64_t natural(int64_t i, int64_t j, int64_t k) { return (k * kN[1] + j) * kN[0] + i; }

// Every rank's (field, natural voxel) -> global index, gathered on every rank.
std::map<std::pair<int, int64_t>, int64_t> gatherNumbering(const DofMap& m) {
  const StructuredGrid& g = m.grid();
  std::vector<int64_t> mine;
  g.forEachOwned([&](int64_t i, int64_t j, int64_t k, int64_t) {
    for (int f = 0; f < m.fields(); ++f) {
      const PetscInt idx = m.index(f, i, j, k);
      if (idx >= 0) mine.insert(mine.end(), {f, natural(i, j, k), idx});
    }
  });
  int n = static_cast<int>(mine.size()), size = test::worldSize();
  std::vector<int> counts(static_cast<size_t>(size)), displs(static_cast<size_t>(size), 0);
  MPI_Allgather(&n, 1, MPI_INT, counts.data(), 1, MPI_INT, PETSC_COMM_WORLD);
  for (int r = 1; r < size; ++r) displs[r] = displs[r - 1] + counts[r - 1];
  std::vector<int64_t> all(static_cast<size_t>(displs.back() + counts.back()));
  MPI_Allgatherv(mine.data(), n, MPI_INT64_T, all.data(), counts.data(), displs.data(), MPI_INT64_T,
                 PETSC_COMM_WORLD);
  std::map<std::pair<int, int64_t>, int64_t> out;
  for (size_t q = 0; q < all.size(); q += 3) out[{static_cast<int>(all[q]), all[q + 1]}] = all[q + 2];
  return out;
}

TEST(DofMap, NumberingIsCompressedPerFieldPerRankAndGhostsAgree) {
  auto grid = makeGrid(kN);
  DofMapOptions opt;
  opt.scalars = 2;
  DofMap m(*grid, masks(*grid), opt);
  ASSERT_EQ(m.fields(), 2);
  // Global counts from the definition.
  std::array<int64_t, 2> count{0, 0};
  for (int64_t k = 0; k < kN[2]; ++k)
    for (int64_t j = 0; j < kN[1]; ++j)
      for (int64_t i = 0; i < kN[0]; ++i)
        for (int f = 0; f < 2; ++f) count[static_cast<size_t>(f)] += inField(f, i, j, k);
  EXPECT_EQ(m.fieldGlobalCount(0), count[0]);
  EXPECT_EQ(m.fieldGlobalCount(1), count[1]);
  EXPECT_EQ(m.globalSize(), count[0] + count[1] + 2);
  EXPECT_EQ(m.scalarIndex(0), count[0] + count[1]);
  EXPECT_EQ(m.scalarIndex(1), count[0] + count[1] + 1);
  EXPECT_EQ(m.ownsScalars(), test::worldRank() == test::worldSize() - 1);

  // A bijection onto 0 .. N - S - 1.
  const auto num = gatherNumbering(m);
  EXPECT_EQ(static_cast<int64_t>(num.size()), count[0] + count[1]);
  std::set<int64_t> used;
  for (const auto& [key, idx] : num) used.insert(idx);
  EXPECT_EQ(static_cast<int64_t>(used.size()), count[0] + count[1]);
  EXPECT_EQ(*used.begin(), 0);
  EXPECT_EQ(*used.rbegin(), count[0] + count[1] - 1);

  // This rank's rows: field 0 in local order, then field 1, then (last rank) the scalars.
  PetscInt next = m.rowStart();
  for (int f = 0; f < 2; ++f) {
    EXPECT_EQ(m.fieldStart(f), next);
    grid->forEachOwned([&](int64_t i, int64_t j, int64_t k, int64_t) {
      if (inField(f, i, j, k))
        EXPECT_EQ(m.index(f, i, j, k), next++);
      else
        EXPECT_EQ(m.index(f, i, j, k), -1);
    });
  }
  EXPECT_EQ(next + (m.ownsScalars() ? 2 : 0), m.rowStart() + m.localSize());

  // Ghosts: every face neighbour (wrapped across the domain faces, where the DMDA keeps copies) reads the
  // number its owner gave it.
  const Box3& o = grid->owned();
  grid->forEachOwned([&](int64_t i, int64_t j, int64_t k, int64_t) {
    for (int a = 0; a < 3; ++a)
      for (int s = -1; s <= 1; s += 2) {
        std::array<int64_t, 3> c{i, j, k}, w{i, j, k};
        c[a] += s;
        w[a] = wrapIndex(c[a], kN[a]);
        for (int f = 0; f < 2; ++f) {
          const auto it = num.find({f, natural(w[0], w[1], w[2])});
          EXPECT_EQ(m.index(f, c[0], c[1], c[2]), it == num.end() ? -1 : it->second)
              << "field " << f << " at " << c[0] << "," << c[1] << "," << c[2] << " owned lo " << o.lo[0];
        }
      }
  });

  // Index sets: exactly this rank's rows of each field, and the scalars on the last rank.
  for (int f = 0; f < 2; ++f) {
    ISHandle is = m.fieldIS(f);
    PetscInt n = 0;
    SSB_PETSC(ISGetLocalSize(is, &n));
    EXPECT_EQ(n, m.fieldLocalCount(f));
    const PetscInt* idx = nullptr;
    SSB_PETSC(ISGetIndices(is, &idx));
    std::set<PetscInt> fromIs(idx, idx + n);
    SSB_PETSC(ISRestoreIndices(is, &idx));
    std::set<PetscInt> fromMap;
    grid->forEachOwned([&](int64_t i, int64_t j, int64_t k, int64_t) {
      if (m.index(f, i, j, k) >= 0) fromMap.insert(m.index(f, i, j, k));
    });
    EXPECT_EQ(fromIs, fromMap);
  }
  ISHandle sis = m.scalarIS();
  PetscInt ns = 0;
  SSB_PETSC(ISGetLocalSize(sis, &ns));
  EXPECT_EQ(ns, m.ownsScalars() ? 2 : 0);
}

TEST(DofMap, FieldValuesGhostValuesAndScalars) {
  auto grid = makeGrid(kN);
  DofMapOptions opt;
  opt.scalars = 2;
  DofMap m(*grid, masks(*grid), opt);
  VecHandle u = m.createVector();
  SSB_PETSC(VecSet(u, -99.0));
  auto value = [](int f, int64_t i, int64_t j, int64_t k) {
    return 1000.0 * f + static_cast<double>(natural(i, j, k));
  };
  for (int f = 0; f < 2; ++f) {
    std::vector<double> owned(static_cast<size_t>(grid->owned().voxels()));
    grid->forEachOwned([&](int64_t i, int64_t j, int64_t k, int64_t l) {
      owned[static_cast<size_t>(l)] = value(f, i, j, k);
    });
    m.setField(u, f, owned);
  }
  m.setScalar(u, 0, 3.5);
  m.setScalar(u, 1, -4.25);
  // Round trip, with the fill value where a field has no unknown.
  for (int f = 0; f < 2; ++f) {
    const auto back = m.getField(u, f, -7.0);
    grid->forEachOwned([&](int64_t i, int64_t j, int64_t k, int64_t l) {
      EXPECT_EQ(back[static_cast<size_t>(l)], inField(f, i, j, k) ? value(f, i, j, k) : -7.0);
    });
  }
  EXPECT_EQ(m.getScalar(u, 0), 3.5);
  EXPECT_EQ(m.getScalar(u, 1), -4.25);
  // Every entry of u was written (no -99 left): the fields and scalars tile the vector.
  PetscReal mn = 0;
  SSB_PETSC(VecMin(u, nullptr, &mn));
  EXPECT_GT(mn, -10.0);

  const GhostedValues gv = m.ghostValues(u, -7.0);
  EXPECT_EQ(gv.scalar(0), 3.5);
  EXPECT_EQ(gv.scalar(1), -4.25);
  const GhostBox& b = m.box();
  grid->forEachOwned([&](int64_t i, int64_t j, int64_t k, int64_t) {
    for (int a = 0; a < 3; ++a)
      for (int s = -1; s <= 1; s += 2) {
        std::array<int64_t, 3> c{i, j, k}, w{i, j, k};
        c[a] += s;
        w[a] = wrapIndex(c[a], kN[a]);
        for (int f = 0; f < 2; ++f)
          EXPECT_EQ(gv.at(f, b.offset(c[0], c[1], c[2])),
                    inField(f, w[0], w[1], w[2]) ? value(f, w[0], w[1], w[2]) : -7.0);
      }
  });
}

// Rows of a test system: per voxel unknown, a diagonal, -1 to each face neighbour of the same field
// (wrapped: periodic), -0.5 to the other field at the same voxel, and for field 0 on the x-low layer a
// coupling -2 to scalar 0 (when the map has scalars), whose row gathers the transposed entries from every
// rank plus its diagonal. Scalar 1 couples to nothing but itself. `scale` multiplies every value.
MatrixFill testFill(const DofMap& m, double scale) {
  return [&m, scale](MatrixSink& sink) {
    const StructuredGrid& g = m.grid();
    std::vector<PetscInt> cols;
    std::vector<PetscScalar> vals;
    g.forEachOwned([&](int64_t i, int64_t j, int64_t k, int64_t) {
      for (int f = 0; f < 2; ++f) {
        const PetscInt me = m.index(f, i, j, k);
        if (me < 0) continue;
        cols.assign(1, me);
        vals.assign(1, scale * (10.0 + static_cast<double>(natural(i, j, k))));
        for (int a = 0; a < 3; ++a)
          for (int s = -1; s <= 1; s += 2) {
            std::array<int64_t, 3> c{i, j, k};
            c[a] += s;
            const PetscInt nb = m.index(f, c[0], c[1], c[2]);
            if (nb >= 0) {
              cols.push_back(nb);  // duplicates (extent-2 axes) are summed
              vals.push_back(-scale);
            }
          }
        const PetscInt other = m.index(1 - f, i, j, k);
        if (other >= 0) {
          cols.push_back(other);
          vals.push_back(-0.5 * scale);
        }
        if (f == 0 && i == 0 && m.scalars() > 0) {
          cols.push_back(m.scalarIndex(0));
          vals.push_back(-2.0 * scale);
          sink.add(m.scalarIndex(0), me, -2.0 * scale);
        }
        sink.add(me, static_cast<int>(cols.size()), cols.data(), vals.data());
      }
    });
    if (m.ownsScalars() && m.scalars() == 2) {
      sink.add(m.scalarIndex(0), m.scalarIndex(0), 100.0 * scale);
      sink.add(m.scalarIndex(1), m.scalarIndex(1), scale);
    }
  };
}

TEST(DofMap, ExactPreallocationWithScalarRowsFromEveryRank) {
  auto grid = makeGrid(kN);
  DofMapOptions opt;
  opt.scalars = 2;
  DofMap m(*grid, masks(*grid), opt);
  MatrixOptions mo;
  mo.symmetric = true;
  MatHandle A = m.createMatrix(testFill(m, 1.0), mo);
  MatInfo info;
  SSB_PETSC(MatGetInfo(A, MAT_GLOBAL_SUM, &info));
  EXPECT_EQ(info.nz_allocated, info.nz_used);  // exact: nothing allocated that is not used
  EXPECT_EQ(info.nz_unneeded, 0.0);
  PetscBool sym = PETSC_FALSE;
  SSB_PETSC(MatIsSymmetric(A, 0.0, &sym));
  EXPECT_TRUE(sym);

  // Nonzeros from the definition: per unknown 1 + distinct same-field neighbours + other field + scalar.
  int64_t nnz = 2 + 0, xLow = 0;  // the two scalar diagonals
  for (int64_t k = 0; k < kN[2]; ++k)
    for (int64_t j = 0; j < kN[1]; ++j)
      for (int64_t i = 0; i < kN[0]; ++i)
        for (int f = 0; f < 2; ++f) {
          if (!inField(f, i, j, k)) continue;
          std::set<int64_t> nb;
          for (int a = 0; a < 3; ++a)
            for (int s = -1; s <= 1; s += 2) {
              std::array<int64_t, 3> c{i, j, k};
              c[a] = wrapIndex(c[a] + s, kN[a]);
              if (inField(f, c[0], c[1], c[2])) nb.insert(natural(c[0], c[1], c[2]));
            }
          nnz += 1 + static_cast<int64_t>(nb.size()) + inField(1 - f, i, j, k);
          if (f == 0 && i == 0) {
            nnz += 2;  // the scalar column in this row and this voxel's column in the scalar row
            ++xLow;
          }
        }
  EXPECT_EQ(static_cast<int64_t>(info.nz_used), nnz);
  // The scalar row: its diagonal and every x-low voxel of field 0, whichever rank owns it.
  if (m.ownsScalars()) {
    PetscInt ncols = 0;
    const PetscInt row = m.scalarIndex(0);
    SSB_PETSC(MatGetRow(A, row, &ncols, nullptr, nullptr));
    EXPECT_EQ(ncols, xLow + 1);
    SSB_PETSC(MatRestoreRow(A, row, &ncols, nullptr, nullptr));
  }
  // New values into the same pattern: twice every value.
  PetscReal before = 0, after = 0;
  SSB_PETSC(MatNorm(A, NORM_FROBENIUS, &before));
  m.fillMatrix(A, testFill(m, 2.0));
  SSB_PETSC(MatNorm(A, NORM_FROBENIUS, &after));
  EXPECT_NEAR(after, 2.0 * before, 1e-12 * after);
}

TEST(DofMap, RowsInOrderAndOutOfOrderGiveTheSameMatrix) {
  // Without scalars, rows emitted in row order take the CSR path (sorted and merged in place); the same rows
  // emitted in reverse order take the general path (counted, then MatSetValues). Same matrix, both exact.
  auto grid = makeGrid(kN);
  DofMap m(*grid, masks(*grid));
  struct Collect final : MatrixSink {
    std::vector<std::pair<PetscInt, std::pair<std::vector<PetscInt>, std::vector<PetscScalar>>>> rows;
    void add(PetscInt row, int n, const PetscInt* c, const PetscScalar* v) override {
      rows.push_back({row, {std::vector<PetscInt>(c, c + n), std::vector<PetscScalar>(v, v + n)}});
    }
  } rows;
  testFill(m, 1.0)(rows);
  std::sort(rows.rows.begin(), rows.rows.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  auto emit = [&](bool reverse) {
    return [&rows, reverse](MatrixSink& sink) {
      const size_t n = rows.rows.size();
      for (size_t q = 0; q < n; ++q) {
        const auto& r = rows.rows[reverse ? n - 1 - q : q];
        sink.add(r.first, static_cast<int>(r.second.first.size()), r.second.first.data(),
                 r.second.second.data());
      }
    };
  };
  MatHandle inOrder = m.createMatrix(emit(false)), reversed = m.createMatrix(emit(true));
  PetscBool same = PETSC_FALSE;
  SSB_PETSC(MatEqual(inOrder, reversed, &same));
  EXPECT_TRUE(same);
  for (Mat A : {inOrder.get(), reversed.get()}) {
    MatInfo info;
    SSB_PETSC(MatGetInfo(A, MAT_GLOBAL_SUM, &info));
    EXPECT_EQ(info.nz_allocated, info.nz_used);
  }
  // And new values into the pattern of the CSR-path matrix.
  PetscReal before = 0, after = 0;
  SSB_PETSC(MatNorm(inOrder, NORM_FROBENIUS, &before));
  m.fillMatrix(inOrder, testFill(m, 3.0));
  SSB_PETSC(MatNorm(inOrder, NORM_FROBENIUS, &after));
  EXPECT_NEAR(after, 3.0 * before, 1e-12 * after);
}

TEST(DofMap, RowsEmittedTwiceOrNeverOrElsewhereAreErrors) {
  auto grid = makeGrid(kN);
  DofMap m(*grid, masks(*grid));
  const bool last = test::worldRank() == test::worldSize() - 1;
  // One rank emits its first row twice: every rank throws.
  auto twice = [&](MatrixSink& sink) {
    testFill(m, 1.0)(sink);
    if (last) sink.add(m.fieldStart(0), m.fieldStart(0), 1.0);
  };
  try {
    m.createMatrix(twice);
    ADD_FAILURE() << "no error";
  } catch (const RunError& e) {
    EXPECT_NE(std::string(e.what()).find("emitted twice"), std::string::npos) << e.what();
  }
  // One rank forgets a row.
  auto forgets = [&](MatrixSink& sink) {
    struct Skip final : MatrixSink {
      MatrixSink& inner;
      PetscInt skip;
      Skip(MatrixSink& s, PetscInt r) : inner(s), skip(r) {}
      void add(PetscInt row, int n, const PetscInt* c, const PetscScalar* v) override {
        if (row != skip) inner.add(row, n, c, v);
      }
    } skip(sink, last ? m.fieldStart(1) : -1);
    testFill(m, 1.0)(skip);
  };
  try {
    m.createMatrix(forgets);
    ADD_FAILURE() << "no error";
  } catch (const RunError& e) {
    EXPECT_NE(std::string(e.what()).find("field 1) received no entry"), std::string::npos) << e.what();
  }
  // A row of another rank's voxel (there are no scalars here).
  auto foreign = [&](MatrixSink& sink) {
    testFill(m, 1.0)(sink);
    if (last && test::worldSize() > 1) sink.add(0, 0, 1.0);
    if (last && test::worldSize() == 1) sink.add(m.globalSize(), 0, 1.0);
  };
  EXPECT_THROW(m.createMatrix(foreign), RunError);
  // A throw inside the physics' fill on one rank reaches every rank.
  auto throws = [&](MatrixSink& sink) {
    if (last) throwRun("kernel failed at voxel 3");
    testFill(m, 1.0)(sink);
  };
  try {
    m.createMatrix(throws);
    ADD_FAILURE() << "no error";
  } catch (const RunError& e) {
    EXPECT_NE(std::string(e.what()).find("kernel failed"), std::string::npos) << e.what();
  }
}

TEST(DofMap, SizesBeyondPetscIntAreRefusedWithTheRanksNeeded) {
  auto grid = makeGrid(kN);
  const auto mk = masks(*grid);
  DofMap probe(*grid, mk);
  const int64_t unknowns = probe.globalSize();
  // The global size is an index: refused whatever the rank count.
  DofMapOptions small;
  small.indexLimit = unknowns - 1;
  small.who = "test system";
  try {
    DofMap m(*grid, mk, small);
    ADD_FAILURE() << "no error";
  } catch (const RunError& e) {
    const std::string w = e.what();
    EXPECT_NE(w.find(fmt::format("test system: {} unknowns exceed the {}", unknowns, unknowns - 1)),
              std::string::npos)
        << w;
    EXPECT_NE(w.find("64-bit-indices"), std::string::npos) << w;
  }
  // Nonzeros per rank: the CSR counts of one rank; more ranks help, and the message says how many.
  DofMapOptions nnzLimit;
  nnzLimit.indexLimit = unknowns + 10;  // fits the unknowns, not the ~3-8 nonzeros per row
  DofMap m(*grid, mk, nnzLimit);
  try {
    m.createMatrix(testFill(m, 1.0));
    ADD_FAILURE() << "no error";
  } catch (const RunError& e) {
    const std::string w = e.what();
    EXPECT_NE(w.find("matrix nonzeros"), std::string::npos) << w;
    EXPECT_NE(w.find("run on at least"), std::string::npos) << w;
  }
  // The same check stands alone for any per-rank count.
  EXPECT_NO_THROW(m.checkPerRankCount(unknowns + 10, "things"));
  EXPECT_THROW(m.checkPerRankCount(test::worldRank() == 0 ? unknowns + 11 : 0, "things"), RunError);
}

TEST(DofMap, BadMaskOnOneRankIsAnErrorOnEveryRank) {
  auto grid = makeGrid(kN);
  auto mk = masks(*grid);
  if (test::worldRank() == test::worldSize() - 1) mk[1].pop_back();
  try {
    DofMap m(*grid, mk);
    ADD_FAILURE() << "no error";
  } catch (const RunError& e) {
    EXPECT_NE(std::string(e.what()).find("the mask of field 1 has"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace ssb

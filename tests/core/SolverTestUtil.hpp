#pragma once
// Small distributed vectors and matrices for the solver-layer tests (no grid: the wrappers know nothing of
// voxels either).
#include <mpi.h>
#include <petscmat.h>
#include <petscvec.h>

#include <functional>

#include "solver/core/PetscUtil.hpp"

namespace ssb::test {

inline int rank() {
  int r = 0;
  MPI_Comm_rank(PETSC_COMM_WORLD, &r);
  return r;
}
inline int size() {
  int s = 1;
  MPI_Comm_size(PETSC_COMM_WORLD, &s);
  return s;
}

// A Vec of global size n split by PETSc, or with `local` entries on this rank.
inline VecHandle makeVec(PetscInt n, PetscInt local = PETSC_DECIDE) {
  VecHandle v;
  SSB_PETSC(VecCreateMPI(PETSC_COMM_WORLD, local, local == PETSC_DECIDE ? n : PETSC_DETERMINE, v.out()));
  return v;
}

// An AIJ matrix with the row layout of v and room for `perRow` entries per row (diagonal and off-diagonal
// blocks): the test matrices are small, generous preallocation keeps them simple.
inline MatHandle makeMat(Vec v, PetscInt perRow) {
  PetscInt n = 0, nl = 0;
  SSB_PETSC(VecGetSize(v, &n));
  SSB_PETSC(VecGetLocalSize(v, &nl));
  MatHandle A;
  SSB_PETSC(MatCreateAIJ(PETSC_COMM_WORLD, nl, nl, n, n, perRow, nullptr, perRow, nullptr, A.out()));
  SSB_PETSC(MatSetOption(A, MAT_NEW_NONZERO_ALLOCATION_ERR, PETSC_FALSE));
  return A;
}

// Fill v with f(global index) on the owned entries.
inline void fill(Vec v, const std::function<double(PetscInt)>& f) {
  PetscInt lo = 0, hi = 0;
  SSB_PETSC(VecGetOwnershipRange(v, &lo, &hi));
  PetscScalar* a = nullptr;
  SSB_PETSC(VecGetArray(v, &a));
  for (PetscInt i = lo; i < hi; ++i) a[i - lo] = f(i);
  SSB_PETSC(VecRestoreArray(v, &a));
}

// max_i |v_i - f(i)| over all ranks.
inline double maxError(Vec v, const std::function<double(PetscInt)>& f) {
  PetscInt lo = 0, hi = 0;
  SSB_PETSC(VecGetOwnershipRange(v, &lo, &hi));
  const PetscScalar* a = nullptr;
  SSB_PETSC(VecGetArrayRead(v, &a));
  double e = 0;
  for (PetscInt i = lo; i < hi; ++i) e = std::max(e, std::abs(static_cast<double>(a[i - lo]) - f(i)));
  SSB_PETSC(VecRestoreArrayRead(v, &a));
  double g = 0;
  MPI_Allreduce(&e, &g, 1, MPI_DOUBLE, MPI_MAX, PETSC_COMM_WORLD);
  return g;
}

// The 1-D Dirichlet Laplacian (tridiagonal 2, -1 scaled by `scale`) on the rows of A.
inline void assembleLaplacian(Mat A, double scale) {
  PetscInt n = 0, lo = 0, hi = 0;
  SSB_PETSC(MatGetSize(A, &n, nullptr));
  SSB_PETSC(MatGetOwnershipRange(A, &lo, &hi));
  for (PetscInt i = lo; i < hi; ++i) {
    SSB_PETSC(MatSetValue(A, i, i, 2.0 * scale, INSERT_VALUES));
    if (i > 0) SSB_PETSC(MatSetValue(A, i, i - 1, -scale, INSERT_VALUES));
    if (i + 1 < n) SSB_PETSC(MatSetValue(A, i, i + 1, -scale, INSERT_VALUES));
  }
  SSB_PETSC(MatAssemblyBegin(A, MAT_FINAL_ASSEMBLY));
  SSB_PETSC(MatAssemblyEnd(A, MAT_FINAL_ASSEMBLY));
}

}  // namespace ssb::test

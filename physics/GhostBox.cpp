#include "physics/GhostBox.hpp"

#include <algorithm>

#include "solver/core/Error.hpp"

namespace ssb {

GhostBox ghostBoxOf(const StructuredGrid& grid) {
  PetscInt gs[3], gm[3];
  SSB_PETSC(DMDAGetGhostCorners(grid.dm(), &gs[0], &gs[1], &gs[2], &gm[0], &gm[1], &gm[2]));
  GhostBox b;
  b.lo = {gs[0], gs[1], gs[2]};
  b.size = {gm[0], gm[1], gm[2]};
  return b;
}

std::vector<double> exchangeGhosts(const StructuredGrid& grid, DM dm, int dof,
                                   const std::vector<double>& owned, double fill) {
  const size_t nOwned = static_cast<size_t>(grid.owned().voxels()) * static_cast<size_t>(dof);
  if (owned.size() != nOwned)
    throwRun("exchangeGhosts: {} values for {} owned voxels x {} values", owned.size(), grid.owned().voxels(),
             dof);
  VecHandle global, local;
  SSB_PETSC(DMCreateGlobalVector(dm, global.out()));
  PetscScalar* g = nullptr;
  SSB_PETSC(VecGetArray(global, &g));
  std::copy(owned.begin(), owned.end(), g);  // DMDA global storage: the owned box, x fastest, dofs interlaced
  SSB_PETSC(VecRestoreArray(global, &g));
  SSB_PETSC(DMCreateLocalVector(dm, local.out()));
  SSB_PETSC(VecSet(local, fill));  // edge and corner ghosts are not part of the star stencil's scatter
  SSB_PETSC(DMGlobalToLocalBegin(dm, global, INSERT_VALUES, local));
  SSB_PETSC(DMGlobalToLocalEnd(dm, global, INSERT_VALUES, local));
  PetscInt n = 0;
  SSB_PETSC(VecGetLocalSize(local, &n));
  const PetscScalar* l = nullptr;
  SSB_PETSC(VecGetArrayRead(local, &l));
  std::vector<double> out(l, l + n);
  SSB_PETSC(VecRestoreArrayRead(local, &l));
  return out;
}

}  // namespace ssb

// The machinery a coupled physics uses, end to end: two fields on different voxels, coupled through the
// faces between their phases by a linear exchange term, with a global scalar unknown held by a constraint
// row that gathers voxels of every rank - the shape of the lithiation system (phi_e | phi_s, Butler-Volmer
// linearised, the current-collector potential under galvanostatic control). Checked against the exact
// 1-D layered answer.
//
// Geometry: an nx x ny x nz box (anisotropic voxels h = (hx, hy, hz)), phase A for x < xI = nA hx, phase B
// above. Field u lives on A, field v on B; conductivities kA, kB [S/m]. Across every A|B face the current
// density is j = w G (u_s - v_s) with G [S/m^2] and the face weight w (FaceWeights, here 0.5 on every
// interface face); u_s, v_s are the face values. The x-low face holds u = phi, phi a global unknown (an
// electrode potential); the x-high face holds v = 0; the side faces are periodic along y and insulating
// along z. The electrode feeds a total current I (galvanostatic): sum over x-low faces of the current = I.
//
// Exact solution (1-D along x, current density J = I / (ny hy nz hz) everywhere):
//   v(x) = J (L - x) / kB                      for x in B,   L = nx hx
//   v_s = J (L - xI) / kB,   u_s = v_s + J / (w G)
//   u(x) = u_s + J (xI - x) / kA               for x in A
//   phi  = u(0) = u_s + J xI / kA
// The finite-volume scheme reproduces it exactly at the cell centres (piecewise linear, and each face
// conductance is the exact series resistance of the half-cells and the interface):
//   A|A, B|B faces:  g = area / h * k            (FaceKernels, harmonic mean of equal k)
//   A|B faces:       g = area / (h / (2 kA) + 1 / (w G) + h / (2 kB))
//   x-low face:      g = 2 area kA / h  between u and phi;   x-high face: g = 2 area kB / h to 0 V.
// The rows are current balances (A); the phi row is  sum_faces g (phi - u) = I.
#include <gtest/gtest.h>
#include <petscksp.h>

#include "physics/DofMap.hpp"
#include "physics/FaceIterator.hpp"
#include "physics/FaceKernels.hpp"
#include "physics/FaceWeights.hpp"
#include "tests/fvbase/FvTestUtil.hpp"

namespace ssb {
namespace {

constexpr uint8_t kA = 0, kB = 1;

TEST(MultiField, TwoFieldsThroughInterfaceFacesWithAGalvanostaticScalarMatchThe1DLayeredAnswer) {
  const std::array<int64_t, 3> n{12, 3, 2};
  const std::array<double, 3> h{2e-6, 1e-6, 1.5e-6};
  const int64_t nA = 5;
  const double condA = 2.0, condB = 0.5, G = 3e5, wI = 0.5, I = 1e-9;
  auto grid = test::makeGrid(n, h);
  const auto phaseOf = [&](int64_t i, int64_t, int64_t) { return i < nA ? kA : kB; };
  FaceSpace space(*grid, test::ownedOf<uint8_t>(*grid, phaseOf));

  FluxBoundary bc;  // x: Dirichlet on both faces (u to phi, v to 0), y periodic, z no flux
  bc.kind = {BoundaryKind::Dirichlet, BoundaryKind::Dirichlet, BoundaryKind::Periodic,
             BoundaryKind::Periodic,  BoundaryKind::NoFlux,    BoundaryKind::NoFlux};
  // Interface weights, set once per face on its owner.
  FaceWeights weights(*grid);
  FaceIterator(space, bc).forEachFace(FaceVisit::Once, PhaseSet::all(), [&](const Face& f) {
    if (f.kind == FaceKind::Interface) weights.set(f, wI);
  });
  weights.exchange();
  const FaceIterator faces(space, bc, &weights);

  // Field 0 = u on A, field 1 = v on B, one scalar = phi.
  const auto owned = test::ownedOf<uint8_t>(*grid, phaseOf);
  std::vector<std::vector<uint8_t>> masks(2, std::vector<uint8_t>(owned.size()));
  for (size_t l = 0; l < owned.size(); ++l) {
    masks[0][l] = owned[l] == kA;
    masks[1][l] = owned[l] == kB;
  }
  DofMapOptions opt;
  opt.scalars = 1;
  opt.who = "two-field test";
  const DofMap dofs(*grid, masks, opt);
  const PetscInt phi = dofs.scalarIndex(0);
  ASSERT_EQ(dofs.globalSize(), n[0] * n[1] * n[2] + 1);

  auto conductance = [&](const Face& f) {
    const double ka = f.phaseA == kA ? condA : condB;
    switch (f.kind) {
      case FaceKind::Interior:
      case FaceKind::Periodic:
        return face::faceConductance(ka, ka, f.area, f.h);
      case FaceKind::Interface:
        return f.area / (f.h / (2 * condA) + 1.0 / (f.weight * G) + f.h / (2 * condB));
      case FaceKind::Dirichlet:
        return face::boundaryConductance(ka, f.area, f.h);
      default:
        return 0.0;
    }
  };
  auto field = [](uint8_t phase) { return phase == kA ? 0 : 1; };
  VecHandle b = dofs.createVector();
  MatrixOptions mo;
  mo.symmetric = true;
  MatHandle A = dofs.createMatrix(
      [&](MatrixSink& sink) {
        faces.forEachCell(PhaseSet::all(), [&](const Cell& cell) {
          const PetscInt me = dofs.indexAt(field(cell.phase), cell.g);
          std::vector<PetscInt> cols{me};
          std::vector<PetscScalar> vals{0.0};
          faces.forEachFaceOf(cell, [&](const Face& f) {
            const double g = conductance(f);
            if (g == 0.0) return;
            vals[0] += g;
            if (f.kind == FaceKind::Dirichlet) {
              if (f.domainFace == faceIndex(kX, false)) {  // to the electrode potential phi
                cols.push_back(phi);
                vals.push_back(-g);
                sink.add(phi, me, -g);  // the constraint row, from the rank that owns the voxel
                sink.add(phi, phi, g);
              }
              return;  // x-high: v = 0 V, nothing on the right-hand side
            }
            cols.push_back(dofs.indexAt(field(f.phaseB), f.gb));
            vals.push_back(-g);
          });
          sink.add(me, static_cast<int>(cols.size()), cols.data(), vals.data());
        });
      },
      mo);
  SSB_PETSC(VecSet(b, 0.0));
  dofs.setScalar(b, 0, I);
  SSB_PETSC(VecAssemblyBegin(b));
  SSB_PETSC(VecAssemblyEnd(b));

  // Solve with a field split on the DofMap's index sets (u | v | phi): they must be valid, disjoint and
  // cover the layout for PCFIELDSPLIT to accept them.
  VecHandle x = dofs.createVector();
  KSPHandle ksp;
  SSB_PETSC(KSPCreate(grid->comm(), ksp.out()));
  SSB_PETSC(KSPSetOperators(ksp, A, A));
  SSB_PETSC(KSPSetType(ksp, KSPGMRES));
  SSB_PETSC(KSPGMRESSetRestart(ksp, 200));
  SSB_PETSC(KSPSetTolerances(ksp, 1e-13, 0.0, PETSC_DEFAULT, 2000));
  PC pc;
  SSB_PETSC(KSPGetPC(ksp, &pc));
  SSB_PETSC(PCSetType(pc, PCFIELDSPLIT));
  ISHandle isU = dofs.fieldIS(0), isV = dofs.fieldIS(1), isPhi = dofs.scalarIS();
  SSB_PETSC(PCFieldSplitSetIS(pc, "u", isU));
  SSB_PETSC(PCFieldSplitSetIS(pc, "v", isV));
  SSB_PETSC(PCFieldSplitSetIS(pc, "phi", isPhi));
  SSB_PETSC(KSPSolve(ksp, b, x));
  KSPConvergedReason reason;
  SSB_PETSC(KSPGetConvergedReason(ksp, &reason));
  ASSERT_GT(reason, 0) << KSPConvergedReasons[reason];

  // The exact answer at the cell centres.
  const double area = static_cast<double>(n[1]) * h[1] * static_cast<double>(n[2]) * h[2];
  const double J = I / area, L = static_cast<double>(n[0]) * h[0], xI = static_cast<double>(nA) * h[0];
  const double vs = J * (L - xI) / condB, us = vs + J / (wI * G), phiExact = us + J * xI / condA;
  const GhostedValues U = dofs.ghostValues(x);
  EXPECT_NEAR(U.scalar(0), phiExact, 1e-10 * phiExact);
  faces.forEachCell(PhaseSet::all(), [&](const Cell& cell) {
    const double xc = (static_cast<double>(cell.c[0]) + 0.5) * h[0];
    const double exact = cell.phase == kA ? us + J * (xI - xc) / condA : J * (L - xc) / condB;
    EXPECT_NEAR(U.at(field(cell.phase), cell.g), exact, 1e-10 * phiExact) << "x index " << cell.c[0];
  });

  // Integrals in Once mode: the current through the interface and out through the x-high face equal I.
  double interfaceCurrent = 0.0, outCurrent = 0.0;
  faces.forEachFace(FaceVisit::Once, PhaseSet::all(), [&](const Face& f) {
    if (f.between(kA, kB)) {
      const double ua = U.at(field(f.phaseA), f.ga), ub = U.at(field(f.phaseB), f.gb);
      interfaceCurrent += conductance(f) * (ua - ub);
    } else if (f.kind == FaceKind::Dirichlet && f.domainFace == faceIndex(kX, true)) {
      outCurrent += conductance(f) * U.at(1, f.ga);
    }
  });
  MPI_Allreduce(MPI_IN_PLACE, &interfaceCurrent, 1, MPI_DOUBLE, MPI_SUM, grid->comm());
  MPI_Allreduce(MPI_IN_PLACE, &outCurrent, 1, MPI_DOUBLE, MPI_SUM, grid->comm());
  EXPECT_NEAR(interfaceCurrent, I, 1e-10 * I);
  EXPECT_NEAR(outCurrent, I, 1e-10 * I);
}

}  // namespace
}  // namespace ssb

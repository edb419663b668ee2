#pragma once
// Per-face arithmetic of the cell-centred finite-volume operator -div(k grad u): small inline kernels,
// no MPI, no PETSc, so they can be unit-tested alone and reused by every physics (and a GPU port).
//
// Geometry: voxels are boxes of edge h along the axis of the face and face area A (the product of the
// two other edges). Cell centres of two face neighbours are h apart; each half-cell of length h/2 is a
// resistor h / (2 k A). Two half-cells in series give
//     g = A / (h/2/k1 + h/2/k2) = A/h * 2 k1 k2 / (k1 + k2) = A/h * harmonic(k1, k2),
// which is exact for a piecewise-constant k (layers in series reproduce the harmonic mean), unlike the
// arithmetic mean of cell values, which lets an insulator leak current.
// A Dirichlet value placed on the domain face sits half a cell from the first centre:
//     g_boundary = A / (h/2/k) = 2 A/h * k.
#include <cmath>

namespace ssb::face {

// Harmonic mean 2ab/(a+b); zero if either side does not conduct (also guards 0/0).
inline double harmonicMean(double a, double b) {
  if (!(a > 0.0) || !(b > 0.0)) return 0.0;
  return 2.0 * a * b / (a + b);
}

// Conductance between the centres of two face neighbours with coefficients k1, k2 [e.g. S/m], face area
// `area` [m^2] and centre distance `h` [m]: result in [S] (coefficient unit times m).
inline double faceConductance(double k1, double k2, double area, double h) {
  return area / h * harmonicMean(k1, k2);
}

// Conductance between a cell centre and its own face (half a cell away): the Dirichlet value of a
// boundary condition applied on the domain face.
inline double boundaryConductance(double k, double area, double h) {
  return k > 0.0 ? 2.0 * area / h * k : 0.0;
}

}  // namespace ssb::face

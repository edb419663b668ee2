#pragma once
// Interface areas and triple-phase boundary lengths from weighted voxel faces and edges.
//
// Area. Every voxel face between two different phases a | b is weighted by w = |n| / (|n_x| + |n_y| + |n_z|)
// (n = local interface normal in physical units, any length): a surface of normal n is cut by the voxel
// faces normal to axis D in a staircase whose face count per unit area is |n_D| / |n| per face area, so the
// faces of all three orientations together count (|n_x| + |n_y| + |n_z|) / |n| per unit area and w undoes
// exactly that. The weight depends on the normal only, not on the face's own orientation, which makes it
// insensitive to the staircase correlation between face orientation and local normal (weighting by the
// projection |n_D| / |n| instead gives +2..+6 % on planes; measured, docs/morphology.md).
//
// Normal. (1) Flat facets: a face whose a|b crossing continues at the same height in the neighbouring
// columns along both in-plane axes (at least kFlatRun columns in all, up to an edge where the column has no
// a|b crossing within kFlatSearch voxels, or the domain face) lies on a facet normal to its own axis: n = e_D
// exactly, so axis-aligned boxes are exact up to their edges and corners. (2) Otherwise n = the gradient of
// the indicators smoothed with the binomial kernel 1 4 6 4 1 (sigma = 1 voxel) per axis, S_a, of the lower-
// numbered phase of the pair, by central differences at the face centre; outside the domain the volume is
// mirrored (so a domain face is not an interface and a surface meeting it at right angles keeps its normal).
// Everything before the final square root is integer arithmetic on the labels, so the weight of a face
// does not depend on the rank count, and a mirrored or axis-permuted volume gives the same weights (the
// sums are fixed-point integers: bit-identical totals).
//
// Triple lines. A voxel edge along axis D whose four surrounding voxels contain all three phases a, b, c
// is one step of the triple line; with t = the line's tangent (cross products of the smoothed phase
// gradients at the edge, t = g_a x g_b + g_b x g_c + g_c x g_a, consistently oriented), the same argument
// gives the weight |t| / (|t_x| + |t_y| + |t_z|) per edge length h_D; an edge whose neighbours along D
// continue the line (kFlatRun of them, as for flat facets) lies on a straight line along D: weight 1.
//
// Measured accuracy (tests/morphology and docs/morphology.md): axis-aligned boxes exact; planes of any
// orientation within 0.5 % (2 % with voxels 2:1:1); spheres and cylinders of radius >= 7.5 voxels within
// 2 % (radius 5: 4 %, the digitisation itself is that ambiguous); triple lines exact along an axis,
// within ~5 % for 120-degree junctions of any orientation.
#include <array>
#include <cstdint>
#include <functional>
#include <vector>

#include "mesh/StructuredGrid.hpp"

namespace ssb {

// Fixed-point sum of dimensionless weights: integer addition is exact and associative, so a total is the
// same whatever the order of the terms and the rank count.
class WeightSum {
 public:
  static constexpr double kScale = 1073741824.0;  // 2^30: 1e-9 per term; room for 8e9 unit terms
  static int64_t fixed(double w) { return static_cast<int64_t>(w * kScale + 0.5); }
  static double value(int64_t s) { return static_cast<double>(s) / kScale; }
};

// visit(i, j, k, axis, a, b, w): the face between owned voxel (i, j, k) (global) and (i, j, k) + e_axis,
// phases a and b (a != b), dimensionless weight w in (0, 1]: its area is w * (voxel volume / h_axis).
using FaceVisitor =
    std::function<void(int64_t i, int64_t j, int64_t k, int axis, uint8_t a, uint8_t b, double w)>;
// visit(i, j, k, axis, w): the voxel edge along `axis` at the corner shared by (i, j, k) and its + neighbours
// along the two other axes (all four inside the domain); its length is w * h_axis.
using EdgeVisitor = std::function<void(int64_t i, int64_t j, int64_t k, int axis, double w)>;

// Collective. Calls `visit` once for every interface face whose lower voxel is owned (faces on the domain
// boundary do not exist). `phase`: owned voxels' phase index in [0, nPhases); nPhases <= 255.
void visitInterfaceFaces(const StructuredGrid& grid, const std::vector<uint8_t>& phase, int nPhases,
                         const FaceVisitor& visit);

// Collective. Symmetric matrix of interface areas [m^2], A[a * nPhases + b] = A[b * nPhases + a] (diagonal
// 0).
std::vector<double> interfaceAreas(const StructuredGrid& grid, const std::vector<uint8_t>& phase,
                                   int nPhases);

// Collective. Calls `visit` once for every voxel edge (owned by the rank owning its lowest voxel) around
// which the phases `triple` all occur.
void visitTripleEdges(const StructuredGrid& grid, const std::vector<uint8_t>& phase, int nPhases,
                      const std::array<uint8_t, 3>& triple, const EdgeVisitor& visit);

// Not collective. The weight of the face between voxels p and p + e_axis of a volume of integer labels
// (domain extents n), with the same flat-facet rule and the normal from the smoothed difference of the two
// labels' indicators, evaluated directly (~900 label reads: meant for the few faces between particles of one
// phase). `labels` is laid out over `box` (x fastest), which must hold every voxel inside the domain within 4
// of the face; the volume is mirrored at the domain faces.
double labelFaceWeight(const std::vector<int64_t>& labels, const Box3& box, const std::array<int64_t, 3>& n,
                       const std::array<double, 3>& spacing, const std::array<int64_t, 3>& p, int axis);

}  // namespace ssb

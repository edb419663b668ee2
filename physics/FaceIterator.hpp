#pragma once
// The one iterator over the voxel faces of the grid: every face loop of physics/ (matrix rows, boundary
// currents, dissipated power, flux densities, interface reactions, face weights) goes through it, so
// face kinds, periodic wrapping, Dirichlet placement, pinned layers and weights are decided in one place.
//
// A FaceSpace holds the phase index of every voxel of the ghosted box (physics/GhostBox.hpp): any small
// integer the physics chooses (a PhaseMap index, "conducting or not", ...), kNoPhase for none. A
// FaceIterator adds the rules of one field: the domain boundary (FluxBoundary: per domain face no-flux,
// periodic or Dirichlet, and where Dirichlet values sit) and optional FaceWeights. Each visited face is a
// `Face`: its kind, axis, side, the two voxels (global indices, the neighbour wrapped into the domain) with
// their ghost-box offsets and phases, face area, centre distance and weight.
//
// Face kinds (seen from voxel a; b is the neighbour across the face):
//   Interior         two voxels of the same phase inside the domain
//   Interface        two voxels of different phases (inside the domain or across a periodic face)
//   Periodic         two voxels of the same phase across a periodic domain face
//   PinnedNeighbour  two voxels, at least one of them in a pinned Dirichlet layer (PinnedLayer placement:
//                    the first/last voxel layer holds the Dirichlet value); pinnedA / pinnedB say which
//   Dirichlet        a domain face holding a Dirichlet value on the face itself (Face placement), one voxel
//   NoFlux           a domain face nothing crosses, one voxel: no-flux faces, the outer face of a pinned
//                    layer (its value sits on the voxels), both faces of a periodic axis of extent 1
// Two visiting modes:
//   FaceVisit::PerCell  every owned voxel whose phase is in the set, its 6 faces in the order x-low,
//                       x-high, y-low, y-high, z-low, z-high (a is the voxel): for assembling rows.
//   FaceVisit::Once     every face of the domain exactly once over all ranks, on the rank owning its low
//                       voxel (domain faces: the rank owning the voxel), if the phases of the voxels on
//                       both sides (of the one voxel of a domain face) are in the set: for integrals
//                       (dissipated power; reaction rates on P|Q faces: set {P, Q}, then Face::between)
//                       and for setting face weights. Two-voxel faces come with a = low voxel, b = high
//                       voxel, side = +1; domain faces with side = -1 (low) or +1 (high). Per voxel the order
//                       is x-low domain face, x-high face, y-low, y-high, z-low, z-high.
// Both modes walk the owned voxels in x-fastest order (optionally restricted to a sub-box).
#include <algorithm>
#include <array>
#include <bitset>
#include <cstdint>
#include <initializer_list>
#include <vector>

#include "mesh/StructuredGrid.hpp"
#include "physics/FaceWeights.hpp"
#include "physics/GhostBox.hpp"

namespace ssb {

enum class BoundaryKind { NoFlux, Periodic, Dirichlet };
enum class DirichletPlacement { Face, PinnedLayer };

inline int faceIndex(int axis, bool high) { return 2 * axis + (high ? 1 : 0); }
const char* faceName(int face);  // "x-", "x+", ..., "z+"

// Domain boundary of one field. Dirichlet values (unit of the field) are read by the physics; the
// iterator uses the kinds and the placement.
//   NoFlux     nothing crosses the face (the DMDA's wrapped ghosts are ignored);
//   Periodic   the face couples to the opposite face's voxels (both faces of the axis must say so; an axis of
//              extent 1 is periodic onto itself: no flux);
//   Dirichlet  u = value, placed either on the face itself, half a voxel from the first cell centres
//              (Face), or on the whole first/last voxel layer (PinnedLayer), whose voxels then hold the
//              value.
struct FluxBoundary {
  std::array<BoundaryKind, 6> kind{BoundaryKind::NoFlux, BoundaryKind::NoFlux, BoundaryKind::NoFlux,
                                   BoundaryKind::NoFlux, BoundaryKind::NoFlux, BoundaryKind::NoFlux};
  std::array<double, 6> value{};  // Dirichlet value per face (unit of u)
  DirichletPlacement placement = DirichletPlacement::Face;

  // Dirichlet `low` / `high` on the two faces normal to `axis`; the four side faces no-flux or periodic.
  static FluxBoundary drive(int axis, double low, double high, bool periodicSides,
                            DirichletPlacement placement);
};

// Not collective (the same answer on every rank). RunError naming `who` for a periodic face without its
// partner, or pinned layers along an axis with fewer than 2 voxels.
void validateBoundary(const FluxBoundary& bc, const std::array<int64_t, 3>& n, const char* who);

// Dirichlet face whose pinned layer holds in-domain voxel c, or -1 (always -1 for Face placement). With
// Dirichlet faces on several axes the first axis wins at the corners.
inline int pinnedLayerFace(const FluxBoundary& bc, const std::array<int64_t, 3>& n,
                           const std::array<int64_t, 3>& c) {
  if (bc.placement != DirichletPlacement::PinnedLayer) return -1;
  for (int a = 0; a < 3; ++a) {
    if (bc.kind[faceIndex(a, false)] == BoundaryKind::Dirichlet && c[a] == 0) return faceIndex(a, false);
    if (bc.kind[faceIndex(a, true)] == BoundaryKind::Dirichlet && c[a] == n[a] - 1) return faceIndex(a, true);
  }
  return -1;
}

enum class FaceKind : uint8_t { Interior, Interface, Periodic, PinnedNeighbour, Dirichlet, NoFlux };
const char* faceKindName(FaceKind k);
inline bool isTwoSided(FaceKind k) { return k <= FaceKind::PinnedNeighbour; }

enum class FaceVisit { PerCell, Once };

inline constexpr uint8_t kNoPhase = 255;

// A set of phase indices (0..255).
class PhaseSet {
 public:
  PhaseSet() = default;
  PhaseSet(std::initializer_list<int> phases) {
    for (int p : phases) m_bits.set(static_cast<size_t>(p));
  }
  static PhaseSet all() {
    PhaseSet s;
    s.m_bits.set();
    return s;
  }
  PhaseSet& add(int p) {
    m_bits.set(static_cast<size_t>(p));
    return *this;
  }
  bool contains(uint8_t p) const { return m_bits[p]; }

 private:
  std::bitset<256> m_bits;
};

struct Cell {
  Index3 c{};    // global indices
  size_t g = 0;  // ghost-box offset
  uint8_t phase = kNoPhase;
  int pinned = -1;  // Dirichlet face whose pinned layer holds the voxel, or -1
};

// One face as the iterator hands it to a visitor. Every field is set by the iterator before each visit (no
// default initialisers: zeroing the struct per voxel measurably slowed the face loops).
struct Face {
  FaceKind kind;
  int axis;
  int side;       // +1: the face (and b) lies on the high side of a along axis; -1: the low side
  Index3 a, b;    // a: the visited voxel; b: the neighbour wrapped into the domain (b == a if one-sided)
  size_t ga, gb;  // ghost-box offsets (gb: the ghost copy for a neighbour across a rank or periodic face)
  uint8_t phaseA, phaseB;  // phaseB = kNoPhase for one-sided faces
  bool periodic;           // crosses a periodic domain face
  int domainFace;          // one-sided faces and periodic faces: the domain face index 0..5, else -1
  int pinnedA, pinnedB;    // Dirichlet face whose pinned layer holds a / b, or -1
  double area;             // [m^2]
  double h;                // voxel edge along the axis [m]
  double distance;  // between the centres of a and b (h), or from a's centre to the domain face (h/2) [m]
  double weight;    // FaceWeights value (1 without weights)

  bool between(uint8_t p, uint8_t q) const {
    return isTwoSided(kind) && ((phaseA == p && phaseB == q) || (phaseA == q && phaseB == p));
  }
};

class FaceSpace {
 public:
  // Collective. `ownedPhase`: phase index per owned voxel in grid.localIndex order (kNoPhase for none).
  FaceSpace(const StructuredGrid& grid, const std::vector<uint8_t>& ownedPhase);
  // Not collective. Phases already given on the ghosted box (ghostBoxOf(grid) layout, face ghosts filled).
  static FaceSpace fromGhosted(const StructuredGrid& grid, std::vector<uint8_t> ghostedPhase);

  const StructuredGrid& grid() const { return *m_grid; }
  const GhostBox& box() const { return m_box; }
  uint8_t phaseAt(size_t g) const { return m_phase[g]; }

 private:
  FaceSpace(const StructuredGrid& grid, GhostBox box, std::vector<uint8_t> ghostedPhase);
  const StructuredGrid* m_grid;
  GhostBox m_box;
  std::vector<uint8_t> m_phase;
};

class FaceIterator {
 public:
  // Not collective. `bc` is validated (validateBoundary); `weights`, if given, must be exchanged and must
  // outlive the iterator. Both are copied/referenced for the iterator's lifetime.
  FaceIterator(const FaceSpace& space, const FluxBoundary& bc, const FaceWeights* weights = nullptr);

  const FaceSpace& space() const { return *m_space; }
  const FluxBoundary& boundary() const { return m_bc; }
  // Dirichlet face whose pinned layer holds in-domain voxel c, or -1 (pinnedLayerFace).
  int pinnedFace(const Index3& c) const { return m_anyPinned ? pinnedLayerFace(m_bc, m_n, c) : -1; }

  // Not collective. visit(const Cell&) for every owned voxel whose phase is in `cells`, x fastest;
  // `region` (global indices) restricts the walk to part of the owned box.
  template <typename V>
  void forEachCell(PhaseSet cells, V&& visit, const Box3* region = nullptr) const;
  // Not collective. visit(const Face&) for the 6 faces of owned voxel `cell` (order above).
  template <typename V>
  void forEachFaceOf(const Cell& cell, V&& visit) const;
  // Not collective. visit(const Face&) per mode (above).
  template <typename V>
  void forEachFace(FaceVisit mode, PhaseSet cells, V&& visit, const Box3* region = nullptr) const;

 private:
  Box3 walkBox(const Box3* region) const;
  // The face of f.a on side S along axis A. Axis and side are template parameters so that the six faces of a
  // voxel unroll with constant indices: the compiler then keeps the Face in registers and drops the fields
  // a visitor does not read (measured: about half the instructions of a runtime-indexed loop).
  template <int A, int S>
  void fill(Face& f) const {
    f.axis = A;
    f.side = S;
    f.area = m_area[A];
    f.h = m_h[A];
    const int64_t x = f.a[A] + S;
    if ((S < 0 ? x < 0 : x >= m_n[A]) && !m_wraps[A])
      oneSided<A, S>(f);
    else
      twoSided<A, S>(f, x);
  }
  // A two-voxel face: b at coordinate x along A (may be -1 or n: across a periodic face).
  template <int A, int S>
  void twoSided(Face& f, int64_t x) const {
    f.b = f.a;
    f.periodic = S < 0 ? x < 0 : x >= m_n[A];
    f.b[A] = !f.periodic ? x : S < 0 ? m_n[A] - 1 : 0;
    f.domainFace = f.periodic ? faceIndex(A, S > 0) : -1;
    f.gb = static_cast<size_t>(static_cast<int64_t>(f.ga) + S * m_stride[A]);
    f.phaseB = m_space->phaseAt(f.gb);
    f.pinnedB = pinnedFace(f.b);
    // Selects rather than branches: on a random microstructure "same phase?" is a coin toss per face.
    uint8_t kind = static_cast<uint8_t>(f.periodic ? FaceKind::Periodic : FaceKind::Interior);
    kind = f.phaseA != f.phaseB ? static_cast<uint8_t>(FaceKind::Interface) : kind;
    kind = std::max(f.pinnedA, f.pinnedB) >= 0 ? static_cast<uint8_t>(FaceKind::PinnedNeighbour) : kind;
    f.kind = static_cast<FaceKind>(kind);
    f.distance = m_h[A];
    f.weight = !m_w ? 1.0 : S > 0 ? m_w->high(A, f.ga) : m_w->high(A, f.gb);
  }
  // A domain face of f.a.
  template <int A, int S>
  void oneSided(Face& f) const {
    constexpr int df = 2 * A + (S > 0 ? 1 : 0);
    f.b = f.a;
    f.gb = f.ga;
    f.phaseB = kNoPhase;
    f.pinnedB = -1;
    f.periodic = false;
    f.domainFace = df;
    f.kind = m_bc.kind[df] == BoundaryKind::Dirichlet && m_bc.placement == DirichletPlacement::Face
                 ? FaceKind::Dirichlet
                 : FaceKind::NoFlux;
    f.distance = 0.5 * m_h[A];
    f.weight = !m_w ? 1.0 : S > 0 ? m_w->high(A, f.ga) : m_w->lowDomain(A, f.a);
  }
  // Once mode, one axis of one voxel: its low domain face (first layer of a bounded axis) and its high face.
  template <int A, typename V>
  void onceAxis(Face& f, PhaseSet cells, V& visit) const {
    if (f.a[A] == 0 && !m_wraps[A]) {
      fill<A, -1>(f);
      visit(static_cast<const Face&>(f));
    }
    const bool inside = f.a[A] + 1 < m_n[A] || m_wraps[A];
    // Filter on the neighbour's phase before building the face.
    if (inside &&
        !cells.contains(m_space->phaseAt(static_cast<size_t>(static_cast<int64_t>(f.ga) + m_stride[A]))))
      return;
    fill<A, 1>(f);
    visit(static_cast<const Face&>(f));
  }

  const FaceSpace* m_space;
  FluxBoundary m_bc;
  const FaceWeights* m_w;
  std::array<int64_t, 3> m_n{};
  std::array<int64_t, 3> m_stride{};
  std::array<double, 3> m_h{}, m_area{};
  std::array<bool, 3> m_wraps{};  // periodic with extent >= 2: faces across the domain face couple voxels
  bool m_anyPinned = false;
};

template <typename V>
void FaceIterator::forEachCell(PhaseSet cells, V&& visit, const Box3* region) const {
  const Box3 w = walkBox(region);
  const GhostBox& gb = m_space->box();
  Cell cell;
  for (int64_t k = w.lo[2]; k < w.lo[2] + w.size[2]; ++k)
    for (int64_t j = w.lo[1]; j < w.lo[1] + w.size[1]; ++j) {
      size_t g = gb.offset(w.lo[0], j, k);
      for (int64_t i = w.lo[0]; i < w.lo[0] + w.size[0]; ++i, ++g) {
        const uint8_t p = m_space->phaseAt(g);
        if (!cells.contains(p)) continue;
        cell.c = {i, j, k};
        cell.g = g;
        cell.phase = p;
        cell.pinned = pinnedFace(cell.c);
        visit(static_cast<const Cell&>(cell));
      }
    }
}

template <typename V>
void FaceIterator::forEachFaceOf(const Cell& cell, V&& visit) const {
  Face f;
  f.a = cell.c;
  f.ga = cell.g;
  f.phaseA = cell.phase;
  f.pinnedA = cell.pinned;
  fill<0, -1>(f);
  visit(static_cast<const Face&>(f));
  fill<0, 1>(f);
  visit(static_cast<const Face&>(f));
  fill<1, -1>(f);
  visit(static_cast<const Face&>(f));
  fill<1, 1>(f);
  visit(static_cast<const Face&>(f));
  fill<2, -1>(f);
  visit(static_cast<const Face&>(f));
  fill<2, 1>(f);
  visit(static_cast<const Face&>(f));
}

template <typename V>
void FaceIterator::forEachFace(FaceVisit mode, PhaseSet cells, V&& visit, const Box3* region) const {
  if (mode == FaceVisit::PerCell) {
    forEachCell(
        cells, [&](const Cell& c) { forEachFaceOf(c, visit); }, region);
    return;
  }
  // A face's low voxel must be in the set, so voxels outside it are skipped whole.
  forEachCell(
      cells,
      [&](const Cell& cell) {
        Face f;
        f.a = cell.c;
        f.ga = cell.g;
        f.phaseA = cell.phase;
        f.pinnedA = cell.pinned;
        onceAxis<0>(f, cells, visit);
        onceAxis<1>(f, cells, visit);
        onceAxis<2>(f, cells, visit);
      },
      region);
}

}  // namespace ssb

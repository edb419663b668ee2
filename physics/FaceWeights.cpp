#include "physics/FaceWeights.hpp"

#include <cmath>
#include <exception>
#include <string>

#include "physics/FaceIterator.hpp"
#include "solver/core/Error.hpp"
#include "solver/core/MpiUtil.hpp"

namespace ssb {

namespace {
// The two axes other than `axis`, in increasing order.
std::array<int, 2> crossAxes(int axis) {
  return axis == 0   ? std::array<int, 2>{1, 2}
         : axis == 1 ? std::array<int, 2>{0, 2}
                     : std::array<int, 2>{0, 1};
}
}  // namespace

FaceWeights::FaceWeights(const StructuredGrid& grid, double value) : m_grid(grid), m_box(ghostBoxOf(grid)) {
  if (!std::isfinite(value) || value < 0.0)
    throwRun("FaceWeights: the initial weight {} is negative or not finite", value);
  const Box3& o = grid.owned();
  for (int a = 0; a < 3; ++a) {
    m_high[static_cast<size_t>(a)].assign(m_box.voxels(), value);
    if (o.lo[a] == 0) {
      const auto [b1, b2] = crossAxes(a);
      m_low[static_cast<size_t>(a)].assign(static_cast<size_t>(o.size[b1] * o.size[b2]), value);
    }
  }
  m_exchanged = true;  // uniform: the ghosts already hold the neighbours' values
}

bool FaceWeights::owns(const Index3& c) const {
  const Box3& o = m_grid.owned();
  for (int a = 0; a < 3; ++a)
    if (c[a] < o.lo[a] || c[a] >= o.lo[a] + o.size[a]) return false;
  return true;
}

size_t FaceWeights::lowIndex(int axis, const Index3& c) const {
  const Box3& o = m_grid.owned();
  const auto [b1, b2] = crossAxes(axis);
  return static_cast<size_t>((c[b2] - o.lo[b2]) * o.size[b1] + (c[b1] - o.lo[b1]));
}

void FaceWeights::setHigh(int axis, const Index3& cell, double w) {
  if (!owns(cell))
    throwRun("FaceWeights: voxel (x={}, y={}, z={}) is not owned by this rank", cell[0], cell[1], cell[2]);
  m_high[static_cast<size_t>(axis)][m_box.offset(cell)] = w;
  m_exchanged = false;
}

void FaceWeights::setLowDomain(int axis, const Index3& cell, double w) {
  if (!owns(cell) || cell[axis] != 0)
    throwRun("FaceWeights: voxel (x={}, y={}, z={}) is not an owned voxel of the first layer along {}",
             cell[0], cell[1], cell[2], axisName(axis));
  m_low[static_cast<size_t>(axis)][lowIndex(axis, cell)] = w;
  m_exchanged = false;
}

void FaceWeights::set(const Face& f, double w) {
  if (f.side > 0)
    setHigh(f.axis, f.a, w);
  else if (!isTwoSided(f.kind))
    setLowDomain(f.axis, f.a, w);
  else
    throwRun(
        "FaceWeights: the low face of voxel (x={}, y={}, z={}) along {} is kept by its low neighbour; set it "
        "from a FaceVisit::Once walk",
        f.a[0], f.a[1], f.a[2], axisName(f.axis));
}

void FaceWeights::exchange() {
  std::exception_ptr err;
  try {
    const Box3& o = m_grid.owned();
    auto check = [&](double w, int axis, const Index3& c, const char* which) {
      if (!std::isfinite(w) || w < 0.0)
        throwRun(
            "face weight {} on the {} face along {} of voxel (x={}, y={}, z={}) is negative or not finite; "
            "weights must be finite and >= 0",
            w, which, axisName(axis), c[0], c[1], c[2]);
    };
    m_grid.forEachOwned([&](int64_t i, int64_t j, int64_t k, int64_t) {
      const Index3 c{i, j, k};
      for (int a = 0; a < 3; ++a) {
        check(m_high[static_cast<size_t>(a)][m_box.offset(c)], a, c, "high");
        if (c[a] == 0 && o.lo[a] == 0)
          check(m_low[static_cast<size_t>(a)][lowIndex(a, c)], a, c, "low domain");
      }
    });
  } catch (...) {
    err = std::current_exception();
  }
  rethrowCollective(m_grid.comm(), err);
  std::vector<double> owned(static_cast<size_t>(m_grid.owned().voxels()));
  for (int a = 0; a < 3; ++a) {
    auto& high = m_high[static_cast<size_t>(a)];
    m_grid.forEachOwned([&](int64_t i, int64_t j, int64_t k, int64_t l) {
      owned[static_cast<size_t>(l)] = high[m_box.offset(i, j, k)];
    });
    high = exchangeGhosts(m_grid, owned);
  }
  m_exchanged = true;
}

}  // namespace ssb

#include "mesh/DistanceTransform.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "mesh/BoxExchange.hpp"

namespace ssb {

void distanceTransform1d(const double* f, int64_t n, double w, bool closedBorder, double* out,
                         std::vector<int64_t>& v, std::vector<double>& fv, std::vector<double>& z,
                         int64_t* site) {
  const double inf = std::numeric_limits<double>::infinity();
  if (static_cast<int64_t>(v.size()) < n + 2) {
    v.resize(static_cast<size_t>(n + 2));
    fv.resize(static_cast<size_t>(n + 2));
    z.resize(static_cast<size_t>(n + 3));
  }
  int64_t k = -1;
  auto addSite = [&](int64_t q, double fq) {
    double s = -inf;
    while (k >= 0) {
      double p = static_cast<double>(v[k]);
      double qq = static_cast<double>(q);
      s = ((fq + w * qq * qq) - (fv[k] + w * p * p)) / (2.0 * w * (qq - p));
      if (s > z[k]) break;
      --k;
      s = -inf;
    }
    ++k;
    v[k] = q;
    fv[k] = fq;
    z[k] = s;
  };
  if (closedBorder) addSite(-1, 0.0);
  for (int64_t q = 0; q < n; ++q)
    if (f[q] < inf) addSite(q, f[q]);
  if (closedBorder) addSite(n, 0.0);
  if (k < 0) {
    for (int64_t x = 0; x < n; ++x) out[x] = inf;
    if (site)
      for (int64_t x = 0; x < n; ++x) site[x] = -2;
    return;
  }
  z[k + 1] = inf;
  int64_t j = 0;
  for (int64_t x = 0; x < n; ++x) {
    double xd = static_cast<double>(x);
    while (z[j + 1] < xd) ++j;
    int64_t d = x - v[j];
    // w * d^2 first, then the earlier passes' value: the same order as the ball test in LocalThickness.
    out[x] = w * static_cast<double>(d * d) + fv[j];
    if (site) site[x] = v[j];
  }
}

namespace {

// One voxel of the transform in flight: value and (when features are tracked) the nearest site so far, packed
// into one integer (16 bytes a voxel instead of 24 in the transposes): coordinates offset by one so that the
// closed border's -1 .. n fit.
struct Cell {
  double d;
  int64_t f;
};

// The three passes, generic in what travels with the value (double alone, or Cell with the feature).
template <bool Features>
std::vector<std::conditional_t<Features, Cell, double>> transform(const StructuredGrid& grid,
                                                                  const std::vector<uint8_t>& mask,
                                                                  bool closedBorder) {
  using T = std::conditional_t<Features, Cell, double>;
  MPI_Comm comm = grid.comm();
  int rank = 0, size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  const auto& n = grid.geometry().n;
  const auto& h = grid.geometry().spacing;
  const double inf = std::numeric_limits<double>::infinity();
  auto value = [](T& c) -> double& {
    if constexpr (Features)
      return c.d;
    else
      return c;
  };

  const int64_t m0 = n[0] + 2, m1 = n[1] + 2;
  auto pack = [m0, m1](int64_t i, int64_t j, int64_t k) { return ((k + 1) * m1 + (j + 1)) * m0 + (i + 1); };
  std::vector<T> f(mask.size());
  grid.forEachOwned([&](int64_t i, int64_t j, int64_t k, int64_t li) {
    value(f[li]) = mask[li] ? inf : 0.0;
    if constexpr (Features) f[li].f = pack(i, j, k);
  });

  std::vector<int64_t> v, site;
  std::vector<double> fv, z, line, res;
  const size_t longest = static_cast<size_t>(std::max({n[0], n[1], n[2]}));
  line.resize(longest);
  res.resize(longest);
  site.resize(longest);
  std::vector<T> copy(longest);
  int64_t* sites = Features ? site.data() : nullptr;
  // After a pass along `axis`, the cell at position x of the line takes the feature of the cell at the
  // minimising site, or, for a closed-border site at -1 or n, the border voxel on this line (`own` = the
  // cell's global coordinates).
  auto setFeature = [&](T* cell, int64_t x, const T* lineCopy, int axis, std::array<int64_t, 3> own) {
    if constexpr (Features) {
      const int64_t q = site[x];
      if (q == -2) {
        cell->f = -1;
      } else if (q < 0 || q >= n[axis]) {
        own[axis] = q;
        cell->f = pack(own[0], own[1], own[2]);
      } else {
        cell->f = lineCopy[q].f;
      }
    }
    (void)cell, (void)x, (void)lineCopy, (void)axis, (void)own;
  };
  auto c32 = [](int64_t i, int64_t j, int64_t k) { return std::array<int64_t, 3>{i, j, k}; };

  // x and y passes on z-slabs.
  Box3 zs = slabBox(n, 2, size, rank);
  std::vector<T> a = redistribute(comm, grid.owned(), f, zs);
  f = std::vector<T>();
  for (int64_t k = 0; k < zs.size[2]; ++k) {
    T* plane = a.data() + k * n[0] * n[1];
    for (int64_t j = 0; j < n[1]; ++j) {
      T* row = plane + j * n[0];
      for (int64_t i = 0; i < n[0]; ++i) line[i] = value(row[i]);
      if constexpr (Features) std::copy(row, row + n[0], copy.begin());
      distanceTransform1d(line.data(), n[0], h[0] * h[0], closedBorder, res.data(), v, fv, z, sites);
      for (int64_t i = 0; i < n[0]; ++i) {
        value(row[i]) = res[i];
        setFeature(&row[i], i, copy.data(), 0, c32(i, j, zs.lo[2] + k));
      }
    }
    for (int64_t i = 0; i < n[0]; ++i) {
      for (int64_t j = 0; j < n[1]; ++j) {
        line[j] = value(plane[j * n[0] + i]);
        if constexpr (Features) copy[j] = plane[j * n[0] + i];
      }
      distanceTransform1d(line.data(), n[1], h[1] * h[1], closedBorder, res.data(), v, fv, z, sites);
      for (int64_t j = 0; j < n[1]; ++j) {
        value(plane[j * n[0] + i]) = res[j];
        setFeature(&plane[j * n[0] + i], j, copy.data(), 1, c32(i, j, zs.lo[2] + k));
      }
    }
  }
  // z pass on y-slabs.
  Box3 ys = slabBox(n, 1, size, rank);
  std::vector<T> b = redistribute(comm, zs, a, ys);
  a = std::vector<T>();
  const int64_t stride = n[0] * ys.size[1];
  for (int64_t j = 0; j < ys.size[1]; ++j)
    for (int64_t i = 0; i < n[0]; ++i) {
      T* col = b.data() + j * n[0] + i;
      for (int64_t k = 0; k < n[2]; ++k) {
        line[k] = value(col[k * stride]);
        if constexpr (Features) copy[k] = col[k * stride];
      }
      distanceTransform1d(line.data(), n[2], h[2] * h[2], closedBorder, res.data(), v, fv, z, sites);
      for (int64_t k = 0; k < n[2]; ++k) {
        value(col[k * stride]) = res[k];
        setFeature(&col[k * stride], k, copy.data(), 2, c32(i, ys.lo[1] + j, k));
      }
    }
  return redistribute(comm, ys, b, grid.owned());
}

}  // namespace

std::vector<double> squaredDistanceTransform(const StructuredGrid& grid, const std::vector<uint8_t>& mask,
                                             bool closedBorder, std::vector<VoxelCoord>* nearest) {
  if (!nearest) return transform<false>(grid, mask, closedBorder);
  std::vector<Cell> cells = transform<true>(grid, mask, closedBorder);
  std::vector<double> d2(cells.size());
  nearest->resize(cells.size());
  const int64_t m0 = grid.geometry().n[0] + 2, m1 = grid.geometry().n[1] + 2;
  for (size_t i = 0; i < cells.size(); ++i) {
    d2[i] = cells[i].d;
    const int64_t f = cells[i].f;
    (*nearest)[i] =
        f < 0 ? VoxelCoord{-1, -1, -1}
              : VoxelCoord{static_cast<int32_t>(f % m0 - 1), static_cast<int32_t>((f / m0) % m1 - 1),
                           static_cast<int32_t>(f / (m0 * m1) - 1)};
  }
  return d2;
}

}  // namespace ssb

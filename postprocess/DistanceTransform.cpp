#include "postprocess/DistanceTransform.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "mesh/BoxExchange.hpp"

namespace ssb {

void distanceTransform1d(const double* f, int64_t n, double w, bool closedBorder, double* out,
                         std::vector<int64_t>& v, std::vector<double>& fv, std::vector<double>& z) {
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
  }
}

std::vector<double> squaredDistanceTransform(const StructuredGrid& grid, const std::vector<uint8_t>& mask,
                                             bool closedBorder) {
  MPI_Comm comm = grid.comm();
  int rank = 0, size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  const auto& n = grid.geometry().n;
  const auto& h = grid.geometry().spacing;
  const double inf = std::numeric_limits<double>::infinity();

  std::vector<double> f(mask.size());
  for (size_t i = 0; i < mask.size(); ++i) f[i] = mask[i] ? inf : 0.0;

  std::vector<int64_t> v;
  std::vector<double> fv, z, line, res;
  line.resize(static_cast<size_t>(std::max({n[0], n[1], n[2]})));
  res.resize(line.size());

  // x and y passes on z-slabs.
  Box3 zs = slabBox(n, 2, size, rank);
  std::vector<double> a = redistribute(comm, grid.owned(), f, zs);
  f = std::vector<double>();
  for (int64_t k = 0; k < zs.size[2]; ++k) {
    double* plane = a.data() + k * n[0] * n[1];
    for (int64_t j = 0; j < n[1]; ++j) {
      double* row = plane + j * n[0];
      distanceTransform1d(row, n[0], h[0] * h[0], closedBorder, res.data(), v, fv, z);
      std::copy(res.begin(), res.begin() + n[0], row);
    }
    for (int64_t i = 0; i < n[0]; ++i) {
      for (int64_t j = 0; j < n[1]; ++j) line[j] = plane[j * n[0] + i];
      distanceTransform1d(line.data(), n[1], h[1] * h[1], closedBorder, res.data(), v, fv, z);
      for (int64_t j = 0; j < n[1]; ++j) plane[j * n[0] + i] = res[j];
    }
  }
  // z pass on y-slabs.
  Box3 ys = slabBox(n, 1, size, rank);
  std::vector<double> b = redistribute(comm, zs, a, ys);
  a = std::vector<double>();
  const int64_t stride = n[0] * ys.size[1];
  for (int64_t j = 0; j < ys.size[1]; ++j)
    for (int64_t i = 0; i < n[0]; ++i) {
      double* col = b.data() + j * n[0] + i;
      for (int64_t k = 0; k < n[2]; ++k) line[k] = col[k * stride];
      distanceTransform1d(line.data(), n[2], h[2] * h[2], closedBorder, res.data(), v, fv, z);
      for (int64_t k = 0; k < n[2]; ++k) col[k * stride] = res[k];
    }
  return redistribute(comm, ys, b, grid.owned());
}

}  // namespace ssb

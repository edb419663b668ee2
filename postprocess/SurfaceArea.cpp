#include "postprocess/SurfaceArea.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "mesh/BoxExchange.hpp"
#include "solver/core/Error.hpp"

namespace ssb {

std::vector<CroftonDirection> croftonDirections(int count, const std::array<double, 3>& spacing) {
  if (count != 13 && count != 49) throwInput("surface_area.directions: {} is not 13 or 49", count);
  const int m = count == 13 ? 1 : 2;
  std::vector<CroftonDirection> dirs;
  for (int z = -m; z <= m; ++z)
    for (int y = -m; y <= m; ++y)
      for (int x = -m; x <= m; ++x) {
        if (x == 0 && y == 0 && z == 0) continue;
        if (std::gcd(std::gcd(std::abs(x), std::abs(y)), std::abs(z)) != 1) continue;
        int first = x != 0 ? x : y != 0 ? y : z;
        if (first < 0) continue;
        CroftonDirection c;
        c.d = {x, y, z};
        double v[3] = {x * spacing[0], y * spacing[1], z * spacing[2]};
        c.length = std::sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
        dirs.push_back(c);
      }
  // Voronoi weights: the share of a quasi-uniform point set on the sphere (Fibonacci lattice) whose nearest
  // line direction is d. With 400k points the weights are good to ~1e-4; points of equal symmetry class are
  // then averaged so that symmetric directions get equal weights.
  std::vector<std::array<double, 3>> unit(dirs.size());
  for (size_t k = 0; k < dirs.size(); ++k)
    for (int a = 0; a < 3; ++a) unit[k][a] = dirs[k].d[a] * spacing[a] / dirs[k].length;
  const int samples = 400000;
  const double golden = M_PI * (3.0 - std::sqrt(5.0));
  std::vector<int64_t> hits(dirs.size(), 0);
  for (int s = 0; s < samples; ++s) {
    double z = 1.0 - (s + 0.5) * 2.0 / samples;
    double r = std::sqrt(std::max(0.0, 1.0 - z * z));
    double t = golden * s;
    double p[3] = {r * std::cos(t), r * std::sin(t), z};
    size_t best = 0;
    double bestDot = -1.0;
    for (size_t k = 0; k < dirs.size(); ++k) {
      double dot = std::abs(p[0] * unit[k][0] + p[1] * unit[k][1] + p[2] * unit[k][2]);
      if (dot > bestDot) {
        bestDot = dot;
        best = k;
      }
    }
    ++hits[best];
  }
  // Symmetry classes: same sorted |components| and, for anisotropic spacing, same per-axis pattern.
  const bool isotropic = spacing[0] == spacing[1] && spacing[1] == spacing[2];
  auto key = [&](const std::array<int, 3>& d) {
    std::array<int, 3> a = {std::abs(d[0]), std::abs(d[1]), std::abs(d[2])};
    if (isotropic) std::sort(a.begin(), a.end());
    return a;
  };
  for (size_t k = 0; k < dirs.size(); ++k) {
    double sum = 0;
    int n = 0;
    for (size_t l = 0; l < dirs.size(); ++l)
      if (key(dirs[l].d) == key(dirs[k].d)) {
        sum += static_cast<double>(hits[l]);
        ++n;
      }
    dirs[k].weight = sum / n / samples;
  }
  return dirs;
}

std::vector<double> interfaceAreas(const StructuredGrid& grid, const std::vector<uint8_t>& phase, int nPhases,
                                   int directions) {
  const VoxelGrid& g = grid.geometry();
  const Box3& own = grid.owned();
  const int reach = directions == 13 ? 1 : 2;
  std::vector<CroftonDirection> dirs = croftonDirections(directions, g.spacing);

  // Halo of width `reach` around the owned block, then the cells outside the domain filled by mirroring
  // about the domain faces (axis by axis, so edges and corners mirror too).
  Box3 real;
  std::vector<uint8_t> realHalo = haloExchange(grid, phase, reach, &real, uint8_t(0));
  Box3 ext;
  for (int a = 0; a < 3; ++a) {
    ext.lo[a] = own.lo[a] - reach;
    ext.size[a] = own.size[a] + 2 * reach;
  }
  std::vector<uint8_t> ph(static_cast<size_t>(ext.voxels()), 0);
  auto mirror = [&](int64_t x, int a) {
    const int64_t n = g.n[a];
    if (x < 0) x = -1 - x;
    if (x >= n) x = 2 * n - 1 - x;
    return std::clamp<int64_t>(x, 0, n - 1);
  };
  for (int64_t k = ext.lo[2]; k < ext.lo[2] + ext.size[2]; ++k)
    for (int64_t j = ext.lo[1]; j < ext.lo[1] + ext.size[1]; ++j)
      for (int64_t i = ext.lo[0]; i < ext.lo[0] + ext.size[0]; ++i) {
        int64_t mi = mirror(i, 0), mj = mirror(j, 1), mk = mirror(k, 2);
        // A mirrored cell lies within `reach` of the face it mirrors, hence inside the real halo.
        ph[boxIndex(ext, i, j, k)] = realHalo[boxIndex(real, mi, mj, mk)];
      }
  realHalo = std::vector<uint8_t>();

  // Integer crossing counts are reduced first, so the areas are bit-identical whatever the rank count.
  const int P = nPhases;
  const size_t PP = static_cast<size_t>(P * P);
  std::vector<int64_t> cross(dirs.size() * PP, 0);
  const int64_t sx = 1, sy = ext.size[0], sz = ext.size[0] * ext.size[1];
  for (size_t q = 0; q < dirs.size(); ++q) {
    int64_t* c = cross.data() + q * PP;
    const int64_t off = dirs[q].d[0] * sx + dirs[q].d[1] * sy + dirs[q].d[2] * sz;
    for (int64_t k = own.lo[2]; k < own.lo[2] + own.size[2]; ++k)
      for (int64_t j = own.lo[1]; j < own.lo[1] + own.size[1]; ++j) {
        const uint8_t* row = ph.data() + boxIndex(ext, own.lo[0], j, k);
        for (int64_t i = 0; i < own.size[0]; ++i) {
          uint8_t a = row[i], b = row[i + off];
          if (a != b) ++c[a * P + b];
        }
      }
  }
  std::vector<int64_t> total(cross.size());
  MPI_Allreduce(cross.data(), total.data(), static_cast<int>(cross.size()), MPI_INT64_T, MPI_SUM,
                grid.comm());
  std::vector<double> area(PP, 0.0);
  for (size_t q = 0; q < dirs.size(); ++q) {
    // Each crossing stands for voxelVolume / |d| of interface in direction d, weighted by 2 w_d.
    const double scale = 2.0 * dirs[q].weight * g.voxelVolume() / dirs[q].length;
    const int64_t* c = total.data() + q * PP;
    for (int a = 0; a < P; ++a)
      for (int b = 0; b < P; ++b)
        if (a != b) area[a * P + b] += static_cast<double>(c[a * P + b] + c[b * P + a]) * scale;
  }
  return area;
}

}  // namespace ssb

#include "postprocess/Particles.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include "mesh/BoxExchange.hpp"
#include "mesh/Connectivity.hpp"
#include "postprocess/PoreSizes.hpp"
#include "postprocess/SurfaceArea.hpp"

namespace ssb {

namespace {

// The contact faces' weights read particle ids up to 4 voxels from the face (flat-facet columns, smoothing).
constexpr int kIdHalo = 4;

template <typename T>
std::vector<T> allgatherVector(MPI_Comm comm, const std::vector<T>& mine) {
  int size = 1;
  MPI_Comm_size(comm, &size);
  std::vector<std::vector<T>> send(static_cast<size_t>(size), mine);
  return exchangeVectors(comm, send);
}

}  // namespace

ParticleAnalysis analyseParticles(const StructuredGrid& grid, const std::vector<uint8_t>& phase, int nPhases,
                                  int p, const WatershedOptions& options) {
  MPI_Comm comm = grid.comm();
  const VoxelGrid& g = grid.geometry();
  const Box3& own = grid.owned();
  const auto& n = g.n;
  ParticleAnalysis out;
  std::vector<uint8_t> mask(phase.size());
  for (size_t q = 0; q < phase.size(); ++q) mask[q] = phase[q] == p;
  out.labels = particleIds(grid, mask, options);
  const std::vector<int64_t>& ids = out.labels.id;
  const size_t P = out.labels.particles.size();

  Box3 hb;
  const std::vector<int64_t> hid = haloExchange(grid, ids, kIdHalo, &hb, int64_t(-1));
  auto idAt = [&](int64_t i, int64_t j, int64_t k) {
    return hid[static_cast<size_t>(boxIndex(hb, i, j, k))];
  };

  // Fixed-point face weights per particle and axis: whole surface, and the contact part.
  std::vector<int64_t> area(3 * P, 0), contact(3 * P, 0);
  visitInterfaceFaces(grid, phase, nPhases,
                      [&](int64_t i, int64_t j, int64_t k, int axis, uint8_t a, uint8_t b, double w) {
                        const int64_t fw = WeightSum::fixed(w);
                        if (a == p) area[3 * static_cast<size_t>(idAt(i, j, k)) + axis] += fw;
                        if (b == p) {
                          int64_t q[3] = {i, j, k};
                          ++q[axis];
                          area[3 * static_cast<size_t>(idAt(q[0], q[1], q[2])) + axis] += fw;
                        }
                      });
  std::map<std::pair<int64_t, int64_t>, std::array<int64_t, 3>> pairs;
  std::vector<uint8_t> faces(P, 0);
  grid.forEachOwned([&](int64_t i, int64_t j, int64_t k, int64_t li) {
    const int64_t a = ids[li];
    if (a < 0) return;
    const int64_t c[3] = {i, j, k};
    for (int D = 0; D < 3; ++D) {
      if (c[D] == 0) faces[a] |= faceBit(D, false);
      if (c[D] == n[D] - 1) faces[a] |= faceBit(D, true);
      int64_t q[3] = {i, j, k};
      ++q[D];
      if (q[D] >= n[D]) continue;
      const int64_t b = idAt(q[0], q[1], q[2]);
      if (b < 0 || b == a) continue;
      const int64_t fw = WeightSum::fixed(labelFaceWeight(hid, hb, n, g.spacing, {i, j, k}, D));
      area[3 * a + D] += fw;
      area[3 * b + D] += fw;
      contact[3 * a + D] += fw;
      contact[3 * b + D] += fw;
      auto& s = pairs[{std::min(a, b), std::max(a, b)}];
      s[D] += fw;
    }
  });
  if (!area.empty()) {
    MPI_Allreduce(MPI_IN_PLACE, area.data(), static_cast<int>(area.size()), MPI_INT64_T, MPI_SUM, comm);
    MPI_Allreduce(MPI_IN_PLACE, contact.data(), static_cast<int>(contact.size()), MPI_INT64_T, MPI_SUM, comm);
    MPI_Allreduce(MPI_IN_PLACE, faces.data(), static_cast<int>(faces.size()), MPI_UINT8_T, MPI_BOR, comm);
  }
  struct PairSum {
    int64_t a, b, s[3];
  };
  std::vector<PairSum> mine;
  for (const auto& [key, s] : pairs) mine.push_back({key.first, key.second, {s[0], s[1], s[2]}});
  std::vector<PairSum> all = allgatherVector(comm, mine);
  std::map<std::pair<int64_t, int64_t>, std::array<int64_t, 3>> merged;
  for (const PairSum& ps : all) {
    auto& s = merged[{ps.a, ps.b}];
    for (int D = 0; D < 3; ++D) s[D] += ps.s[D];
  }
  auto toArea = [&](const int64_t* s) {
    double A = 0;
    for (int D = 0; D < 3; ++D) A += WeightSum::value(s[D]) * g.voxelVolume() / g.spacing[D];
    return A;
  };

  // Feret diameters: the particles as clusters for PoreSizes.
  ConnectivityResult cc;
  cc.clusterOf = ids;
  cc.clusters.resize(P);
  for (size_t q = 0; q < P; ++q) {
    cc.clusters[q].id = static_cast<int64_t>(q);
    cc.clusters[q].voxels = out.labels.particles[q].voxels;
    cc.clusters[q].faces = faces[q];
  }
  // poreSizes reduces each particle spread over several ranks on its owner and returns the table on rank 0
  // only; every rank lists every particle here, so rank 0 owns them all and broadcasts the diameters.
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  cc.rank = rank;
  cc.owner.assign(P, 0);
  cc.totalClusters = static_cast<int64_t>(P);
  std::vector<double> feret(P, 0.0);
  for (const Pore& p : poreSizes(grid, mask, cc, 0)) feret[static_cast<size_t>(p.id)] = p.feret;
  MPI_Bcast(feret.data(), static_cast<int>(P), MPI_DOUBLE, 0, comm);

  out.particles.resize(P);
  for (size_t q = 0; q < P; ++q) {
    ParticleStats& s = out.particles[q];
    s.id = static_cast<int64_t>(q);
    s.voxels = out.labels.particles[q].voxels;
    s.volume = static_cast<double>(s.voxels) * g.voxelVolume();
    s.equivalentDiameter = std::cbrt(6.0 * s.volume / M_PI);
    s.area = toArea(&area[3 * q]);
    s.sphericity = s.area > 0 ? std::cbrt(M_PI) * std::pow(6.0 * s.volume, 2.0 / 3.0) / s.area : 0.0;
    s.feret = feret[q];
    s.peakRadius = out.labels.particles[q].radius;
    s.contactArea = toArea(&contact[3 * q]);
    s.faces = faces[q];
  }
  for (const auto& [key, s] : merged) {
    out.contacts.push_back({key.first, key.second, toArea(s.data())});
    ++out.particles[static_cast<size_t>(key.first)].contacts;
    ++out.particles[static_cast<size_t>(key.second)].contacts;
  }
  (void)own;
  return out;
}

}  // namespace ssb

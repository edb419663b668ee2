#include "postprocess/LineStatistics.hpp"

#include <algorithm>
#include <bit>

#include "mesh/BoxExchange.hpp"

namespace ssb {

namespace {

// Calls f(first, stride, length, axis) for every whole grid line held by this rank after the transposes:
// lines along x and y from z-slabs, lines along z from y-slabs. Collective.
template <typename F>
void forEachLine(const StructuredGrid& grid, const std::vector<uint8_t>& phase, F&& f) {
  MPI_Comm comm = grid.comm();
  int rank = 0, size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  const auto& n = grid.geometry().n;
  {
    const Box3 zs = slabBox(n, 2, size, rank);
    const std::vector<uint8_t> a = redistribute(comm, grid.owned(), phase, zs);
    for (int64_t k = 0; k < zs.size[2]; ++k) {
      const uint8_t* plane = a.data() + k * n[0] * n[1];
      for (int64_t j = 0; j < n[1]; ++j) f(plane + j * n[0], int64_t(1), n[0], 0);
      for (int64_t i = 0; i < n[0]; ++i) f(plane + i, n[0], n[1], 1);
    }
  }
  const Box3 ys = slabBox(n, 1, size, rank);
  const std::vector<uint8_t> b = redistribute(comm, grid.owned(), phase, ys);
  for (int64_t j = 0; j < ys.size[1]; ++j)
    for (int64_t i = 0; i < n[0]; ++i) f(b.data() + j * n[0] + i, n[0] * ys.size[1], n[2], 2);
}

void allreduceSum(MPI_Comm comm, std::vector<int64_t>& v) {
  if (v.empty()) return;
  MPI_Allreduce(MPI_IN_PLACE, v.data(), static_cast<int>(v.size()), MPI_INT64_T, MPI_SUM, comm);
}

}  // namespace

std::vector<double> chordFrequencies(const ChordCounts& c, int64_t lineVoxels) {
  std::vector<double> f(c.count.size(), 0.0);
  double sum = 0;
  for (size_t L = 1; L < c.count.size(); ++L) {
    const int64_t room = lineVoxels - static_cast<int64_t>(L) - 1;
    if (room <= 0 || c.count[L] == 0) continue;
    f[L] = static_cast<double>(c.count[L]) / static_cast<double>(room);
    sum += f[L];
  }
  if (sum > 0)
    for (double& x : f) x /= sum;
  return f;
}

std::vector<std::array<ChordCounts, 3>> chordLengths(const StructuredGrid& grid,
                                                     const std::vector<uint8_t>& phase, int nPhases) {
  const auto& n = grid.geometry().n;
  std::vector<std::array<ChordCounts, 3>> out(static_cast<size_t>(nPhases));
  for (auto& perAxis : out)
    for (int a = 0; a < 3; ++a) perAxis[a].count.assign(static_cast<size_t>(n[a] + 1), 0);
  forEachLine(grid, phase, [&](const uint8_t* first, int64_t stride, int64_t len, int axis) {
    int64_t start = 0;
    for (int64_t x = 1; x <= len; ++x) {
      if (x < len && first[x * stride] == first[start * stride]) continue;
      const uint8_t p = first[start * stride];
      if (p < nPhases) {
        ChordCounts& c = out[p][axis];
        if (start == 0 || x == len) {
          ++c.cut;
          c.cutVoxels += x - start;
        } else {
          ++c.count[static_cast<size_t>(x - start)];
        }
      }
      start = x;
    }
  });
  // One reduction for everything: counts, then (cut, cutVoxels) per phase and axis.
  std::vector<int64_t> flat;
  for (const auto& perAxis : out)
    for (const auto& c : perAxis) {
      flat.insert(flat.end(), c.count.begin(), c.count.end());
      flat.push_back(c.cut);
      flat.push_back(c.cutVoxels);
    }
  allreduceSum(grid.comm(), flat);
  size_t q = 0;
  for (auto& perAxis : out)
    for (auto& c : perAxis) {
      std::copy_n(flat.begin() + static_cast<std::ptrdiff_t>(q), c.count.size(), c.count.begin());
      q += c.count.size();
      c.cut = flat[q++];
      c.cutVoxels = flat[q++];
    }
  return out;
}

TwoPoint twoPointCorrelation(const StructuredGrid& grid, const std::vector<uint8_t>& phase, int nPhases,
                             int64_t maxLag) {
  const auto& n = grid.geometry().n;
  TwoPoint tp;
  tp.both.resize(static_cast<size_t>(nPhases));
  int64_t lags[3];
  for (int a = 0; a < 3; ++a) {
    lags[a] = std::max<int64_t>(0, std::min(maxLag, n[a] - 1));
    tp.pairs[a].assign(static_cast<size_t>(lags[a] + 1), 0);
    for (auto& perAxis : tp.both) perAxis[a].assign(static_cast<size_t>(lags[a] + 1), 0);
  }
  std::vector<uint64_t> bits;
  forEachLine(grid, phase, [&](const uint8_t* first, int64_t stride, int64_t len, int axis) {
    const int64_t words = (len + 63) / 64;
    bits.assign(static_cast<size_t>(nPhases * (words + 1)), 0);  // one spare zero word per phase
    for (int64_t x = 0; x < len; ++x) {
      const uint8_t p = first[x * stride];
      if (p < nPhases) bits[static_cast<size_t>(p * (words + 1) + x / 64)] |= uint64_t(1) << (x % 64);
    }
    for (int64_t r = 0; r <= lags[axis]; ++r) tp.pairs[axis][r] += len - r;
    for (int p = 0; p < nPhases; ++p) {
      const uint64_t* A = bits.data() + p * (words + 1);
      std::vector<int64_t>& both = tp.both[p][axis];
      for (int64_t r = 0; r <= lags[axis]; ++r) {
        // sum over x of A[x] & A[x + r]: word w of A shifted down by r bits.
        const int64_t q = r / 64, s = r % 64;
        int64_t c = 0;
        for (int64_t w = 0; w + q < words; ++w) {
          uint64_t shifted = A[w + q] >> s;
          if (s) shifted |= A[w + q + 1] << (64 - s);
          c += std::popcount(A[w] & shifted);
        }
        both[r] += c;
      }
    }
  });
  for (int a = 0; a < 3; ++a) {
    allreduceSum(grid.comm(), tp.pairs[a]);
    for (auto& perAxis : tp.both) allreduceSum(grid.comm(), perAxis[a]);
  }
  return tp;
}

}  // namespace ssb

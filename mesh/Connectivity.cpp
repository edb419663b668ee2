// Distributed connected-component labelling, 6-connectivity.
//
// Three phases, none of which ever holds the whole volume on one rank:
//  1. Local union-find over the owned box. Links always point to the smaller local index (union by index,
//     with path halving), so a root is the smallest voxel of its local piece; because the owned box is
//     traversed in the same (k, j, i) order as the natural ordering, that is also the piece's smallest
//     natural index, which becomes its provisional id. Linking by index instead of by size costs no extra
//     per-voxel array and lets a single forward sweep flatten the forest (every parent precedes its child).
//  2. Each rank sends the provisional ids of its high face layer on every axis to the rank beyond it (the
//     opposite domain face's owner when that axis is periodic) and pairs the layer it receives with its
//     own low face. So every shared face is inspected once, by the rank above it, and each touching pair
//     of masked voxels yields an equivalence (mine, neighbour's). Only face layers travel and the pairs
//     scale with the internal boundary area, not the volume. (Ghosting a full DMDA Vec would do the same
//     but copies the whole volume into two Vecs of doubles: measured 5x slower on one 256^3 rank.)
//  3. The pairs are gathered on rank 0, united there (again linking to the smaller id, so a root is the
//     global minimum natural index of the merged cluster), and each rank receives the final id of exactly
//     the provisional ids it owns (the owner of a provisional id is the rank owning that voxel).
//  4. Cluster statistics (voxel count, domain faces touched) are summed on the rank owning each cluster's
//     id voxel and sent back only to the ranks holding a piece of it: no rank ever holds the list of all
//     clusters (gatherClusters builds it on request, for tests and outputs that list every cluster).
#include "mesh/Connectivity.hpp"

#include <mpi.h>

#include <algorithm>
#include <climits>
#include <exception>
#include <utility>

#include "mesh/BoxExchange.hpp"
#include "solver/core/Error.hpp"
#include "solver/core/MpiUtil.hpp"

namespace ssb {

namespace {

// Not-in-mask marker in the parent array; local piece c is stored as encodePiece(c) after flattening.
constexpr int64_t kOutside = -1;
int64_t encodePiece(int64_t c) { return -(c + 2); }
int64_t decodePiece(int64_t e) { return -e - 2; }

int64_t findRoot(int64_t* parent, int64_t x) {
  while (parent[x] != x) {
    parent[x] = parent[parent[x]];  // path halving
    x = parent[x];
  }
  return x;
}

// Link the larger root under the smaller one: roots stay the minimum index of their set.
void unite(int64_t* parent, int64_t a, int64_t b) {
  a = findRoot(parent, a);
  b = findRoot(parent, b);
  if (a == b) return;
  if (a < b) {
    parent[b] = a;
  } else {
    parent[a] = b;
  }
}

// Pieces of clusters inside this rank's box.
struct LocalPieces {
  std::vector<int64_t> provisional;  // natural index of the piece's smallest voxel
  std::vector<int64_t> voxels;
  std::vector<uint8_t> faces;
};

// Phase 1. On return labels[v] = encodePiece(c) for masked voxels, kOutside elsewhere.
LocalPieces labelLocal(const StructuredGrid& grid, const std::vector<uint8_t>& mask,
                       std::vector<int64_t>& labels) {
  const Box3& b = grid.owned();
  const auto& n = grid.geometry().n;
  const int64_t sx = b.size[0], sxy = b.size[0] * b.size[1];
  const int64_t count = b.voxels();
  labels.assign(static_cast<size_t>(count), kOutside);
  int64_t* p = labels.data();

  int64_t v = 0;
  for (int64_t k = 0; k < b.size[2]; ++k) {
    for (int64_t j = 0; j < b.size[1]; ++j) {
      for (int64_t i = 0; i < b.size[0]; ++i, ++v) {
        if (!mask[v]) continue;
        p[v] = v;
        if (i > 0 && mask[v - 1]) unite(p, v, v - 1);
        if (j > 0 && mask[v - sx]) unite(p, v, v - sx);
        if (k > 0 && mask[v - sxy]) unite(p, v, v - sxy);
      }
    }
  }

  // Flatten and number the pieces in one forward sweep: parent[v] <= v, so the parent was already
  // replaced by its piece code when v is reached.
  LocalPieces pieces;
  v = 0;
  for (int64_t k = 0; k < b.size[2]; ++k) {
    const int64_t gk = b.lo[2] + k;
    const uint8_t fz = static_cast<uint8_t>((gk == 0 ? kFaceZMinus : 0) | (gk == n[2] - 1 ? kFaceZPlus : 0));
    for (int64_t j = 0; j < b.size[1]; ++j) {
      const int64_t gj = b.lo[1] + j;
      const uint8_t fyz =
          static_cast<uint8_t>(fz | (gj == 0 ? kFaceYMinus : 0) | (gj == n[1] - 1 ? kFaceYPlus : 0));
      for (int64_t i = 0; i < b.size[0]; ++i, ++v) {
        const int64_t par = p[v];
        if (par == kOutside) continue;
        int64_t c;
        if (par == v) {
          c = static_cast<int64_t>(pieces.provisional.size());
          pieces.provisional.push_back(grid.naturalIndex(b.lo[0] + i, gj, gk));
          pieces.voxels.push_back(0);
          pieces.faces.push_back(0);
          p[v] = encodePiece(c);
        } else {
          p[v] = p[par];
          c = decodePiece(p[v]);
        }
        const int64_t gi = b.lo[0] + i;
        pieces.voxels[c] += 1;
        pieces.faces[c] |=
            static_cast<uint8_t>(fyz | (gi == 0 ? kFaceXMinus : 0) | (gi == n[0] - 1 ? kFaceXPlus : 0));
      }
    }
  }
  return pieces;
}

void sortUniquePairs(std::vector<int64_t>& flat) {
  std::vector<std::pair<int64_t, int64_t>> p(flat.size() / 2);
  for (size_t q = 0; q < p.size(); ++q) p[q] = {flat[2 * q], flat[2 * q + 1]};
  std::sort(p.begin(), p.end());
  p.erase(std::unique(p.begin(), p.end()), p.end());
  flat.resize(2 * p.size());
  for (size_t q = 0; q < p.size(); ++q) {
    flat[2 * q] = p[q].first;
    flat[2 * q + 1] = p[q].second;
  }
}

// Which rank owns a natural index. The DMDA decomposition is a tensor product of per-axis splits; it is
// rebuilt from every rank's owned box so that nothing depends on PETSc's rank numbering.
class Owners {
 public:
  Owners(MPI_Comm comm, const StructuredGrid& grid) : m_n(grid.geometry().n) {
    int size = 1;
    MPI_Comm_size(comm, &size);
    std::array<int64_t, 3> lo = grid.owned().lo;
    std::vector<int64_t> all(3 * static_cast<size_t>(size));
    MPI_Allgather(lo.data(), 3, MPI_INT64_T, all.data(), 3, MPI_INT64_T, comm);
    for (int a = 0; a < 3; ++a) {
      for (int r = 0; r < size; ++r) m_starts[a].push_back(all[3 * r + a]);
      std::sort(m_starts[a].begin(), m_starts[a].end());
      m_starts[a].erase(std::unique(m_starts[a].begin(), m_starts[a].end()), m_starts[a].end());
    }
    const size_t cells = m_starts[0].size() * m_starts[1].size() * m_starts[2].size();
    if (cells != static_cast<size_t>(size)) {
      throwRun(
          "labelClusters: the grid decomposition is not a tensor product of per-axis splits ({} boxes for {} "
          "ranks)",
          cells, size);
    }
    m_rank.assign(cells, -1);
    for (int r = 0; r < size; ++r) m_rank[cell({all[3 * r], all[3 * r + 1], all[3 * r + 2]})] = r;
  }

  int owner(int64_t natural) const {
    const int64_t i = natural % m_n[0], j = (natural / m_n[0]) % m_n[1], k = natural / (m_n[0] * m_n[1]);
    return m_rank[cell({i, j, k})];
  }
  int owner(const std::array<int64_t, 3>& ijk) const { return m_rank[cell(ijk)]; }

 private:
  size_t cell(const std::array<int64_t, 3>& ijk) const {
    std::array<size_t, 3> c{};
    for (int a = 0; a < 3; ++a) {
      c[a] = static_cast<size_t>(std::upper_bound(m_starts[a].begin(), m_starts[a].end(), ijk[a]) -
                                 m_starts[a].begin() - 1);
    }
    return (c[2] * m_starts[1].size() + c[1]) * m_starts[0].size() + c[0];
  }

  std::array<int64_t, 3> m_n;
  std::array<std::vector<int64_t>, 3> m_starts;
  std::vector<int> m_rank;
};

// MPI counts are int. Checked collectively (sum or max over ranks, as the message needs it) before the
// message, so that every rank throws or none does.
void requireIntCounts(MPI_Comm comm, size_t local, MPI_Op op, size_t limit, const char* what) {
  uint64_t mine = local, all = 0;
  MPI_Allreduce(&mine, &all, 1, MPI_UINT64_T, op, comm);
  if (all > limit) throwRun("labelClusters: too many {} for MPI messages ({}, at most {})", what, all, limit);
}

// Phase 2. Appends (mine, neighbour's) provisional-id pairs across the low face of every axis that has a
// neighbour there: another rank, or the opposite domain face when `wrap[axis]`. Only face layers travel
// (one MPI_Sendrecv per axis), so time and memory scale with the boundary area. In a tensor-product
// decomposition the box beyond a face has exactly the same face, so both sides walk it in the same order.
// Collective.
std::vector<int64_t> collectFacePairs(const StructuredGrid& grid, const Owners& owners,
                                      const std::vector<int64_t>& labels, const LocalPieces& pieces,
                                      const std::array<bool, 3>& wrap) {
  const MPI_Comm comm = grid.comm();
  const Box3& b = grid.owned();
  const auto& n = grid.geometry().n;
  const auto idAt = [&](const std::array<int64_t, 3>& x) {
    const int64_t l = labels[grid.localIndex(x[0], x[1], x[2])];
    return l == kOutside ? kOutside : pieces.provisional[decodePiece(l)];
  };
  requireIntCounts(
      comm,
      static_cast<size_t>(std::max({b.size[0] * b.size[1], b.size[1] * b.size[2], b.size[0] * b.size[2]})),
      MPI_MAX, INT_MAX, "face voxels");
  std::vector<int64_t> pairs, send, recv;
  for (int axis = 0; axis < 3; ++axis) {
    const int ua = axis == 0 ? 1 : 0, wa = axis == 2 ? 1 : 2;  // the two axes spanning the face
    const int64_t hiEnd = b.lo[axis] + b.size[axis];
    std::array<int64_t, 3> below = b.lo, above = b.lo;
    below[axis] = (b.lo[axis] - 1 + n[axis]) % n[axis];
    above[axis] = hiEnd % n[axis];
    const int lowRank = (b.lo[axis] > 0 || wrap[axis]) ? owners.owner(below) : MPI_PROC_NULL;
    const int highRank = (hiEnd < n[axis] || wrap[axis]) ? owners.owner(above) : MPI_PROC_NULL;
    const size_t area = static_cast<size_t>(b.size[ua] * b.size[wa]);
    send.assign(highRank == MPI_PROC_NULL ? 0 : area, kOutside);
    recv.assign(lowRank == MPI_PROC_NULL ? 0 : area, kOutside);
    std::array<int64_t, 3> x{};
    if (!send.empty()) {
      x[axis] = hiEnd - 1;
      size_t q = 0;
      for (int64_t w = 0; w < b.size[wa]; ++w) {
        x[wa] = b.lo[wa] + w;
        for (int64_t u = 0; u < b.size[ua]; ++u, ++q) {
          x[ua] = b.lo[ua] + u;
          send[q] = idAt(x);
        }
      }
    }
    MPI_Sendrecv(send.data(), static_cast<int>(send.size()), MPI_INT64_T, highRank, 700 + axis, recv.data(),
                 static_cast<int>(recv.size()), MPI_INT64_T, lowRank, 700 + axis, comm, MPI_STATUS_IGNORE);
    if (recv.empty()) continue;
    x[axis] = b.lo[axis];
    size_t q = 0;
    for (int64_t w = 0; w < b.size[wa]; ++w) {
      x[wa] = b.lo[wa] + w;
      for (int64_t u = 0; u < b.size[ua]; ++u, ++q) {
        x[ua] = b.lo[ua] + u;
        const int64_t other = recv[q];
        if (other == kOutside) continue;
        const int64_t mine = idAt(x);
        const size_t sz = pairs.size();
        // Neighbouring face voxels usually repeat the previous pair; skip those cheaply here, the rest is
        // deduplicated by sorting later.
        if (mine == kOutside || mine == other ||
            (sz >= 2 && pairs[sz - 2] == mine && pairs[sz - 1] == other)) {
          continue;
        }
        pairs.push_back(mine);
        pairs.push_back(other);
      }
    }
  }
  return pairs;
}

// Phase 3. Returns, for every provisional id owned by this rank that is equivalent to some other piece,
// the pair (provisional id, final id), sorted by provisional id. Collective.
std::vector<int64_t> resolveOnRoot(MPI_Comm comm, const Owners& owners, std::vector<int64_t> pairs) {
  int rank = 0, size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  sortUniquePairs(pairs);

  // Rank 0 receives all pairs, and sends back at most one (id, final id) for each of their ids.
  requireIntCounts(comm, pairs.size(), MPI_SUM, INT_MAX / 2, "equivalence pairs");
  const int mine = static_cast<int>(pairs.size());
  std::vector<int> counts(rank == 0 ? size : 0), displs;
  MPI_Gather(&mine, 1, MPI_INT, counts.data(), 1, MPI_INT, 0, comm);
  std::vector<int64_t> all;
  if (rank == 0) {
    displs.resize(size);
    size_t total = 0;
    for (int r = 0; r < size; ++r) {
      displs[r] = static_cast<int>(total);
      total += static_cast<size_t>(counts[r]);
    }
    all.resize(total);
  }
  MPI_Gatherv(pairs.data(), mine, MPI_INT64_T, all.data(), counts.data(), displs.data(), MPI_INT64_T, 0,
              comm);
  pairs.clear();
  pairs.shrink_to_fit();

  std::vector<int64_t> sendBuf;
  std::vector<int> sendCounts(rank == 0 ? size : 0, 0), sendDispls(rank == 0 ? size : 0, 0);
  if (rank == 0) {
    std::vector<int64_t> ids(all);
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    const auto dense = [&](int64_t id) { return std::lower_bound(ids.begin(), ids.end(), id) - ids.begin(); };
    // Dense positions follow id order, so linking to the smaller position keeps the minimum id at the root.
    std::vector<int64_t> parent(ids.size());
    for (size_t q = 0; q < parent.size(); ++q) parent[q] = static_cast<int64_t>(q);
    for (size_t q = 0; q + 1 < all.size(); q += 2) unite(parent.data(), dense(all[q]), dense(all[q + 1]));
    all.clear();
    all.shrink_to_fit();

    std::vector<std::vector<int64_t>> perRank(size);
    for (size_t q = 0; q < ids.size(); ++q) {
      auto& dst = perRank[owners.owner(ids[q])];
      dst.push_back(ids[q]);
      dst.push_back(ids[findRoot(parent.data(), static_cast<int64_t>(q))]);
    }
    size_t total = 0;
    for (int r = 0; r < size; ++r) {
      sendDispls[r] = static_cast<int>(total);
      sendCounts[r] = static_cast<int>(perRank[r].size());
      total += perRank[r].size();
    }
    sendBuf.reserve(total);
    for (auto& part : perRank) sendBuf.insert(sendBuf.end(), part.begin(), part.end());
  }
  int recvCount = 0;
  MPI_Scatter(sendCounts.data(), 1, MPI_INT, &recvCount, 1, MPI_INT, 0, comm);
  std::vector<int64_t> mapping(static_cast<size_t>(recvCount));
  MPI_Scatterv(sendBuf.data(), sendCounts.data(), sendDispls.data(), MPI_INT64_T, mapping.data(), recvCount,
               MPI_INT64_T, 0, comm);
  return mapping;  // ids ascend within each rank's part because `ids` was sorted
}

// Phase 4. Statistics of every cluster this rank holds a piece of. The pieces' (id, voxels, faces) go to
// the rank owning the cluster's id voxel, which sums them and sends the totals back to every rank that
// contributed. Each rank handles only clusters touching its own box, so memory per rank is bounded by its
// voxels whatever the number of clusters (a noisy segmentation with 1e7 specks). Collective.
struct PieceStat {
  int64_t id, voxels, faces, from;
};

void reduceStatistics(MPI_Comm comm, const Owners& owners, const std::vector<int64_t>& finalId,
                      const LocalPieces& pieces, ConnectivityResult& result) {
  int rank = 0, size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  // Several local pieces may belong to one cluster (joined through other ranks): merge them first.
  std::vector<PieceStat> local(finalId.size());
  for (size_t c = 0; c < finalId.size(); ++c)
    local[c] = {finalId[c], pieces.voxels[c], pieces.faces[c], rank};
  std::sort(local.begin(), local.end(), [](const PieceStat& a, const PieceStat& b) { return a.id < b.id; });
  std::vector<std::vector<PieceStat>> toOwner(static_cast<size_t>(size));
  for (size_t q = 0; q < local.size();) {
    PieceStat s = local[q];
    for (++q; q < local.size() && local[q].id == s.id; ++q) {
      s.voxels += local[q].voxels;
      s.faces |= local[q].faces;
    }
    toOwner[static_cast<size_t>(owners.owner(s.id))].push_back(s);
  }
  local.clear();
  local.shrink_to_fit();

  std::vector<PieceStat> got = exchangeVectors(comm, toOwner);
  for (auto& v : toOwner) std::vector<PieceStat>().swap(v);
  std::sort(got.begin(), got.end(), [](const PieceStat& a, const PieceStat& b) { return a.id < b.id; });
  std::vector<std::vector<PieceStat>> replies(static_cast<size_t>(size));
  int64_t ownedCount = 0;
  for (size_t q = 0; q < got.size();) {
    size_t end = q;
    int64_t voxels = 0, faces = 0;
    for (; end < got.size() && got[end].id == got[q].id; ++end) {
      voxels += got[end].voxels;
      faces |= got[end].faces;
    }
    ++ownedCount;
    for (; q < end; ++q)
      replies[static_cast<size_t>(got[q].from)].push_back({got[q].id, voxels, faces, rank});
  }
  std::vector<PieceStat>().swap(got);
  std::vector<PieceStat> totals = exchangeVectors(comm, replies);
  std::sort(totals.begin(), totals.end(), [](const PieceStat& a, const PieceStat& b) { return a.id < b.id; });
  result.rank = rank;
  result.clusters.resize(totals.size());
  result.owner.resize(totals.size());
  for (size_t q = 0; q < totals.size(); ++q) {
    result.clusters[q] = {totals[q].id, totals[q].voxels, static_cast<uint8_t>(totals[q].faces)};
    result.owner[q] = static_cast<int>(totals[q].from);
  }
  MPI_Allreduce(&ownedCount, &result.totalClusters, 1, MPI_INT64_T, MPI_SUM, comm);
}

}  // namespace

ConnectivityResult labelClusters(const StructuredGrid& grid, const std::vector<uint8_t>& mask,
                                 std::array<bool, 3> periodic) {
  const MPI_Comm comm = grid.comm();
  const Box3& box = grid.owned();
  const auto& n = grid.geometry().n;
  {
    std::exception_ptr err;
    try {
      if (static_cast<int64_t>(mask.size()) != box.voxels()) {
        throwInput("labelClusters: the mask holds {} values but this rank owns {} voxels ({} x {} x {})",
                   mask.size(), box.voxels(), box.size[0], box.size[1], box.size[2]);
      }
    } catch (...) {
      err = std::current_exception();
    }
    rethrowCollective(comm, err);
  }
  std::array<bool, 3> wrap{};
  // An axis of one voxel has nothing beyond its faces but the voxel itself.
  for (int a = 0; a < 3; ++a) wrap[a] = periodic[a] && n[a] >= 2;

  ConnectivityResult result;
  std::vector<int64_t>& labels = result.clusterOf;
  const LocalPieces pieces = labelLocal(grid, mask, labels);

  const Owners owners(comm, grid);
  const std::vector<int64_t> mapping =
      resolveOnRoot(comm, owners, collectFacePairs(grid, owners, labels, pieces, wrap));

  // Final id of each local piece.
  const size_t nPieces = pieces.provisional.size();
  std::vector<int64_t> finalId(nPieces);
  for (size_t c = 0; c < nPieces; ++c) {
    const int64_t id = pieces.provisional[c];
    // `mapping` is sorted by provisional id: binary search over its even entries.
    size_t lo = 0, hi = mapping.size() / 2;
    while (lo < hi) {
      const size_t mid = (lo + hi) / 2;
      if (mapping[2 * mid] < id) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    finalId[c] = (lo < mapping.size() / 2 && mapping[2 * lo] == id) ? mapping[2 * lo + 1] : id;
  }
  for (int64_t& l : labels) {
    if (l != kOutside) l = finalId[decodePiece(l)];
  }
  reduceStatistics(comm, owners, finalId, pieces, result);
  return result;
}

const Cluster& ConnectivityResult::cluster(int64_t id) const {
  auto it = std::lower_bound(clusters.begin(), clusters.end(), id,
                             [](const Cluster& c, int64_t v) { return c.id < v; });
  if (it == clusters.end() || it->id != id) {
    throwInput(
        "ConnectivityResult::cluster: no cluster with id {} has a voxel on this rank (ids are the smallest "
        "natural voxel index of a cluster; take them from clusterOf or clusters)",
        id);
  }
  return *it;
}

namespace {

// Owned-voxel mask of voxels whose cluster is in `ids` (sorted). Typically few ids qualify (percolating
// clusters), and neighbouring voxels repeat the same id, so a one-entry cache avoids most searches.
std::vector<uint8_t> maskOfIds(const std::vector<int64_t>& clusterOf, const std::vector<int64_t>& ids) {
  std::vector<uint8_t> out(clusterOf.size(), 0);
  int64_t lastId = -1;
  uint8_t lastIn = 0;
  for (size_t v = 0; v < clusterOf.size(); ++v) {
    const int64_t id = clusterOf[v];
    if (id < 0) continue;
    if (id != lastId) {
      lastId = id;
      lastIn = std::binary_search(ids.begin(), ids.end(), id) ? 1 : 0;
    }
    out[v] = lastIn;
  }
  return out;
}

}  // namespace

std::vector<uint8_t> ConnectivityResult::percolatingMask(int axis) const {
  if (axis < 0 || axis > 2) throwInput("percolatingMask: axis {} is not 0 (x), 1 (y) or 2 (z)", axis);
  return touchingMask(static_cast<uint8_t>(faceBit(axis, false) | faceBit(axis, true)));
}

std::vector<uint8_t> ConnectivityResult::touchingMask(uint8_t faces) const {
  if (faces & ~uint8_t{63}) {
    throwInput("touchingMask: face set {:#x} has bits outside the six domain faces (FaceBit, 0x01..0x20)",
               faces);
  }
  std::vector<int64_t> ids;
  for (const Cluster& c : clusters) {
    if ((c.faces & faces) == faces) ids.push_back(c.id);
  }
  return maskOfIds(clusterOf, ids);
}

std::vector<Cluster> gatherClusters(MPI_Comm comm, const ConnectivityResult& result, int root) {
  int rank = 0, size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  std::vector<int64_t> mine;
  result.forEachOwned([&](const Cluster& c) { mine.insert(mine.end(), {c.id, c.voxels, int64_t{c.faces}}); });
  requireIntCounts(comm, mine.size(), MPI_SUM, INT_MAX, "clusters");
  const int count = static_cast<int>(mine.size());
  std::vector<int> counts(static_cast<size_t>(size)), displs(static_cast<size_t>(size));
  MPI_Allgather(&count, 1, MPI_INT, counts.data(), 1, MPI_INT, comm);
  size_t total = 0;
  for (int r = 0; r < size; ++r) {
    displs[r] = static_cast<int>(total);
    total += static_cast<size_t>(counts[r]);
  }
  const bool receive = root < 0 || rank == root;
  std::vector<int64_t> all(receive ? total : 0);
  if (root < 0) {
    MPI_Allgatherv(mine.data(), count, MPI_INT64_T, all.data(), counts.data(), displs.data(), MPI_INT64_T,
                   comm);
  } else {
    MPI_Gatherv(mine.data(), count, MPI_INT64_T, all.data(), counts.data(), displs.data(), MPI_INT64_T, root,
                comm);
  }
  std::vector<Cluster> out(all.size() / 3);
  for (size_t q = 0; q < out.size(); ++q)
    out[q] = {all[3 * q], all[3 * q + 1], static_cast<uint8_t>(all[3 * q + 2])};
  std::sort(out.begin(), out.end(), [](const Cluster& a, const Cluster& b) { return a.id < b.id; });
  return out;
}

}  // namespace ssb

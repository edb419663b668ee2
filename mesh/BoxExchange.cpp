#include "mesh/BoxExchange.hpp"

#include <algorithm>
#include <climits>

namespace ssb {

std::vector<Box3> allgatherBoxes(MPI_Comm comm, const Box3& mine) {
  int size = 1;
  MPI_Comm_size(comm, &size);
  int64_t buf[6] = {mine.lo[0], mine.lo[1], mine.lo[2], mine.size[0], mine.size[1], mine.size[2]};
  std::vector<int64_t> all(static_cast<size_t>(6 * size));
  MPI_Allgather(buf, 6, MPI_INT64_T, all.data(), 6, MPI_INT64_T, comm);
  std::vector<Box3> out(static_cast<size_t>(size));
  for (int r = 0; r < size; ++r)
    for (int a = 0; a < 3; ++a) {
      out[r].lo[a] = all[6 * r + a];
      out[r].size[a] = all[6 * r + 3 + a];
    }
  return out;
}

Box3 intersect(const Box3& a, const Box3& b) {
  Box3 c;
  for (int d = 0; d < 3; ++d) {
    int64_t lo = std::max(a.lo[d], b.lo[d]);
    int64_t hi = std::min(a.lo[d] + a.size[d], b.lo[d] + b.size[d]);
    c.lo[d] = lo;
    c.size[d] = std::max<int64_t>(0, hi - lo);
  }
  return c;
}

bool isEmpty(const Box3& b) { return b.size[0] <= 0 || b.size[1] <= 0 || b.size[2] <= 0; }

Box3 grow(const Box3& b, int64_t g, const std::array<int64_t, 3>& n) {
  Box3 c;
  for (int d = 0; d < 3; ++d) {
    int64_t lo = std::max<int64_t>(0, b.lo[d] - g);
    int64_t hi = std::min<int64_t>(n[d], b.lo[d] + b.size[d] + g);
    c.lo[d] = lo;
    c.size[d] = std::max<int64_t>(0, hi - lo);
  }
  if (isEmpty(b)) c.size = {0, 0, 0};
  return c;
}

Box3 slabBox(const std::array<int64_t, 3>& n, int axis, int parts, int r) {
  Box3 b;
  b.size = n;
  int64_t lo = n[axis] * r / parts;
  int64_t hi = n[axis] * (r + 1) / parts;
  b.lo[axis] = lo;
  b.size[axis] = hi - lo;
  return b;
}

namespace {

// Copy the voxels of `part` between a box-shaped buffer and a packed buffer (x fastest).
void packBox(const Box3& box, const char* data, const Box3& part, char* out, size_t es) {
  size_t run = static_cast<size_t>(part.size[0]) * es;
  for (int64_t k = 0; k < part.size[2]; ++k)
    for (int64_t j = 0; j < part.size[1]; ++j) {
      int64_t src = boxIndex(box, part.lo[0], part.lo[1] + j, part.lo[2] + k);
      std::memcpy(out, data + static_cast<size_t>(src) * es, run);
      out += run;
    }
}

void unpackBox(const Box3& box, char* data, const Box3& part, const char* in, size_t es) {
  size_t run = static_cast<size_t>(part.size[0]) * es;
  for (int64_t k = 0; k < part.size[2]; ++k)
    for (int64_t j = 0; j < part.size[1]; ++j) {
      int64_t dst = boxIndex(box, part.lo[0], part.lo[1] + j, part.lo[2] + k);
      std::memcpy(data + static_cast<size_t>(dst) * es, in, run);
      in += run;
    }
}

// Messages are cut into pieces below INT_MAX bytes (MPI counts are int).
constexpr size_t kMaxMessage = size_t(1) << 30;

}  // namespace

void redistributeBytes(MPI_Comm comm, const Box3& srcBox, const void* srcV, const Box3& dstBox, void* dstV,
                       size_t es) {
  int rank = 0, size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  const char* src = static_cast<const char*>(srcV);
  char* dst = static_cast<char*>(dstV);
  std::vector<Box3> srcBoxes = allgatherBoxes(comm, srcBox);
  std::vector<Box3> dstBoxes = allgatherBoxes(comm, dstBox);

  std::vector<std::vector<char>> sendBuf(static_cast<size_t>(size)), recvBuf(static_cast<size_t>(size));
  std::vector<MPI_Request> reqs;
  auto post = [&](bool isSend, int peer, std::vector<char>& buf) {
    size_t off = 0;
    int tag = 0;
    do {
      size_t len = std::min(kMaxMessage, buf.size() - off);
      reqs.emplace_back();
      if (isSend)
        MPI_Isend(buf.data() + off, static_cast<int>(len), MPI_BYTE, peer, tag, comm, &reqs.back());
      else
        MPI_Irecv(buf.data() + off, static_cast<int>(len), MPI_BYTE, peer, tag, comm, &reqs.back());
      off += len;
      ++tag;
    } while (off < buf.size());
  };
  for (int r = 0; r < size; ++r) {
    if (r == rank) continue;
    Box3 in = intersect(srcBoxes[r], dstBox);
    if (!isEmpty(in)) {
      recvBuf[r].resize(static_cast<size_t>(in.voxels()) * es);
      post(false, r, recvBuf[r]);
    }
  }
  for (int r = 0; r < size; ++r) {
    if (r == rank) continue;
    Box3 out = intersect(srcBox, dstBoxes[r]);
    if (!isEmpty(out)) {
      sendBuf[r].resize(static_cast<size_t>(out.voxels()) * es);
      packBox(srcBox, src, out, sendBuf[r].data(), es);
      post(true, r, sendBuf[r]);
    }
  }
  // The local part is copied while the messages travel.
  Box3 self = intersect(srcBox, dstBox);
  if (!isEmpty(self)) {
    size_t run = static_cast<size_t>(self.size[0]) * es;
    for (int64_t k = 0; k < self.size[2]; ++k)
      for (int64_t j = 0; j < self.size[1]; ++j) {
        int64_t s = boxIndex(srcBox, self.lo[0], self.lo[1] + j, self.lo[2] + k);
        int64_t d = boxIndex(dstBox, self.lo[0], self.lo[1] + j, self.lo[2] + k);
        std::memcpy(dst + static_cast<size_t>(d) * es, src + static_cast<size_t>(s) * es, run);
      }
  }
  if (!reqs.empty()) MPI_Waitall(static_cast<int>(reqs.size()), reqs.data(), MPI_STATUSES_IGNORE);
  for (int r = 0; r < size; ++r) {
    if (recvBuf[r].empty()) continue;
    unpackBox(dstBox, dst, intersect(srcBoxes[r], dstBox), recvBuf[r].data(), es);
  }
}

void exchangeBytes(MPI_Comm comm, const std::vector<std::vector<char>>& send, std::vector<char>& recv) {
  int rank = 0, size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  std::vector<int64_t> sendCount(static_cast<size_t>(size)), recvCount(static_cast<size_t>(size));
  for (int r = 0; r < size; ++r) sendCount[r] = static_cast<int64_t>(send[r].size());
  MPI_Alltoall(sendCount.data(), 1, MPI_INT64_T, recvCount.data(), 1, MPI_INT64_T, comm);
  std::vector<size_t> offset(static_cast<size_t>(size) + 1, 0);
  for (int r = 0; r < size; ++r) offset[r + 1] = offset[r] + static_cast<size_t>(recvCount[r]);
  recv.assign(offset[size], 0);
  std::vector<MPI_Request> reqs;
  auto post = [&](bool isSend, int peer, char* buf, size_t len) {
    size_t off = 0;
    int tag = 0;
    while (off < len) {
      size_t piece = std::min(kMaxMessage, len - off);
      reqs.emplace_back();
      if (isSend)
        MPI_Isend(buf + off, static_cast<int>(piece), MPI_BYTE, peer, tag, comm, &reqs.back());
      else
        MPI_Irecv(buf + off, static_cast<int>(piece), MPI_BYTE, peer, tag, comm, &reqs.back());
      off += piece;
      ++tag;
    }
  };
  for (int r = 0; r < size; ++r)
    if (r != rank) post(false, r, recv.data() + offset[r], static_cast<size_t>(recvCount[r]));
  for (int r = 0; r < size; ++r)
    if (r != rank) post(true, r, const_cast<char*>(send[r].data()), send[r].size());
  if (!send[rank].empty()) std::memcpy(recv.data() + offset[rank], send[rank].data(), send[rank].size());
  if (!reqs.empty()) MPI_Waitall(static_cast<int>(reqs.size()), reqs.data(), MPI_STATUSES_IGNORE);
}

}  // namespace ssb

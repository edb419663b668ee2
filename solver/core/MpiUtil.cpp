#include "solver/core/MpiUtil.hpp"

#include <vector>

#include "solver/core/Error.hpp"

namespace ssb {

std::string broadcastString(MPI_Comm comm, const std::string& s, int root) {
  long n = static_cast<long>(s.size());
  MPI_Bcast(&n, 1, MPI_LONG, root, comm);
  std::string out = s;
  out.resize(static_cast<size_t>(n));
  if (n > 0) MPI_Bcast(out.data(), static_cast<int>(n), MPI_CHAR, root, comm);
  return out;
}

void rethrowCollective(MPI_Comm comm, std::exception_ptr err) {
  int rank = 0, size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  int kind = 0;  // 0 ok, 1 input error, 2 run error
  std::string msg;
  if (err) {
    try {
      std::rethrow_exception(err);
    } catch (const InputError& e) {
      kind = 1;
      msg = e.what();
    } catch (const std::exception& e) {
      kind = 2;
      msg = e.what();
    } catch (...) {
      kind = 2;
      msg = "unknown error";
    }
  }
  // Lowest failing rank owns the message.
  int mine = kind ? rank : size;
  int first = size;
  MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, comm);
  if (first == size) return;
  MPI_Bcast(&kind, 1, MPI_INT, first, comm);
  msg = broadcastString(comm, msg, first);
  if (kind == 1) throw InputError(msg);
  throw RunError(msg);
}

}  // namespace ssb

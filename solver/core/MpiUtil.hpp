#pragma once
// Collective error handling: an exception thrown on some ranks must reach every rank, otherwise the
// others hang in the next collective call. Pattern:
//   std::exception_ptr err; try { ...work that may throw on any rank... } catch (...) { err = std::current_exception(); }
//   rethrowCollective(comm, err);   // every rank throws the first failing rank's message, or none does
#include <mpi.h>

#include <exception>
#include <string>

namespace ssb {

// Collective. If any rank holds an exception, all ranks throw: InputError if the failing rank's error was
// an InputError, else RunError, with the lowest failing rank's message.
void rethrowCollective(MPI_Comm comm, std::exception_ptr err);

// Collective. Broadcast a string from `root`.
std::string broadcastString(MPI_Comm comm, const std::string& s, int root = 0);

}  // namespace ssb

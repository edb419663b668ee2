#pragma once
// What the machine offers a run: memory still available per rank. Used to refuse, before allocating, a
// volume that cannot fit (an input error with the numbers, instead of PETSc error 55/475 half-way).
#include <mpi.h>

#include <optional>

namespace ssb {

// Bytes this process could still allocate on its node: MemAvailable of /proc/meminfo, lowered to the
// memory cgroup's limit minus its usage (v2 memory.max / memory.current, v1 memory.limit_in_bytes /
// memory.usage_in_bytes). nullopt where none of these can be read. Not collective.
std::optional<double> availableMemoryBytes();

// Collective. The smallest, over the nodes of `comm`, of the node's available memory divided by the number
// of ranks of `comm` on that node: the memory each rank may count on. nullopt if any node cannot tell.
std::optional<double> availableMemoryPerRank(MPI_Comm comm);

}  // namespace ssb

#pragma once
// Rules shared by the test suite: when a test may skip, and when it must fail instead.
#include <gtest/gtest.h>
#include <mpi.h>

#include <filesystem>

// Rank-independence tests compare a run on all ranks with the same run on one rank. On one rank that
// compares a run with itself and cannot fail, so they skip there (ctest registers them only at np >= 2).
#define SSB_REQUIRE_SEVERAL_RANKS()                                                      \
  do {                                                                                   \
    int ssbSize_ = 1;                                                                    \
    MPI_Comm_size(MPI_COMM_WORLD, &ssbSize_);                                            \
    if (ssbSize_ < 2)                                                                    \
      GTEST_SKIP() << "a rank-independence test needs >= 2 ranks (on one rank it would " \
                      "compare a run with itself)";                                      \
  } while (0)

// Reference data of ../shared/data (SSB_DATA_DIR). Only a checkout without that folder at all (a bare
// clone) may skip, with a message; a folder that exists but lacks an expected file fails, since the data set
// is then incomplete or renamed and the validation silently stops covering it.
#define SSB_REQUIRE_DATA_FILE(path)                                                                       \
  do {                                                                                                    \
    if (!std::filesystem::is_directory(SSB_DATA_DIR))                                                     \
      GTEST_SKIP() << "no reference data folder " << SSB_DATA_DIR << " (a bare clone): nothing to check"; \
    if (!std::filesystem::exists(path))                                                                   \
      FAIL() << "missing reference file " << (path) << " although " << SSB_DATA_DIR << " exists";         \
  } while (0)

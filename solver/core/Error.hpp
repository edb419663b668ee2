#pragma once
// Error types. Input problems (bad YAML, bad file, bad label) throw InputError naming the YAML path,
// file or voxel; run-time failures (I/O, divergence, PETSc) throw RunError. main() catches, prints once
// and exits non-zero. Nothing in the library calls exit() or returns a sentinel.
#include <fmt/format.h>

#include <stdexcept>
#include <string>

namespace ssb {

class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// An input error that ends the whole run rather than one study: `ssbvox run --restart` with a case that does
// not fit the checkpoint in the output directory (running the other studies would mix two inputs there).
class RestartInputError : public InputError {
 public:
  using InputError::InputError;
};

class RunError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

template <typename... Args>
[[noreturn]] void throwInput(fmt::format_string<Args...> f, Args&&... args) {
  throw InputError(fmt::format(f, std::forward<Args>(args)...));
}

template <typename... Args>
[[noreturn]] void throwRun(fmt::format_string<Args...> f, Args&&... args) {
  throw RunError(fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace ssb

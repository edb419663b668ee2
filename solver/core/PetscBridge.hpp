#pragma once
// Exceptions across the PETSc boundary, in both directions, and profiling stages.
//
// C++ -> PETSc: PETSc calls our residuals, Jacobians, event functions and monitors through C function
// pointers; an exception must not unwind through PETSc's C frames. Every callback body runs inside
// petscCallback(comm, ...), which catches, agrees with the other ranks whether any of them failed (a throw
// on one rank must stop every rank, or the others hang in the solver's next reduction), keeps the
// exception and returns a PETSc error code. PETSc unwinds with that code to our SSB_PETSC(...) around
// TSSolve/SNESSolve/..., and throwPetscError rethrows the kept exception: an InputError raised in a
// residual reaches main() as that InputError, with its own message, not as "PETSc error 83".
//
// PETSc -> C++: SSB_PETSC (PetscUtil.hpp) turns a non-zero code into RunError carrying PETSc's own
// message ("Unknown KSP type: nonsense"). PETSc's error dump (banner, traceback, configure options) is
// printed only at --verbosity 2 (installPetscErrorHandler).
#include <mpi.h>
#include <petscsys.h>

#include <exception>
#include <string>

namespace ssb {

namespace detail {
// Collective on comm. Returns 0 if no rank holds an exception; otherwise keeps one (this rank's own, or
// the lowest failing rank's message as InputError/RunError on ranks that did not fail) for
// throwPetscError and returns a PETSc error code.
PetscErrorCode finishCallback(MPI_Comm comm, std::exception_ptr err) noexcept;
}  // namespace detail

// Run `body` as the body of a PETSc callback: collective on comm (every rank of the PETSc object calls
// it), never throws. The bridge makes a throw on some ranks reach all of them at the end of the body; it
// cannot rescue a body in which one rank throws *before* a collective call the others then wait in
// (a reduction, a ghost update): throw on one rank only after the body's last collective call, or make
// that error collective first (rethrowCollective, MpiUtil.hpp). Usage inside a C callback:
//   return ssb::petscCallback(PetscObjectComm((PetscObject)ts), [&] { self->m_residual(t, u, f); });
template <typename F>
PetscErrorCode petscCallback(MPI_Comm comm, F&& body) noexcept {
  std::exception_ptr err;
  try {
    body();
  } catch (...) {
    err = std::current_exception();
  }
  return detail::finishCallback(comm, err);
}

// Drop an exception kept by a callback whose error code PETSc did not pass on (called by the wrappers
// before each solve so that a stale exception never replaces a later, unrelated error).
void clearPendingCallbackException() noexcept;

// PETSc prints its error banner and traceback only if `traceback` (ssbvox --verbosity 2); otherwise
// errors are returned silently and reported once by our RunError/InputError. Call after PetscInitialize.
void installPetscErrorHandler(bool traceback);

// A PETSc log stage for one program phase (volume loading, a study, the solve), so that `-log_view`
// shows where the time went. Stages are registered once per name; nesting is allowed.
class ScopedLogStage {
 public:
  explicit ScopedLogStage(const std::string& name);
  ScopedLogStage(const ScopedLogStage&) = delete;
  ScopedLogStage& operator=(const ScopedLogStage&) = delete;
  ~ScopedLogStage();

 private:
  bool m_pushed = false;
};

}  // namespace ssb

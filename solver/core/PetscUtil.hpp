#pragma once
// PETSc glue: the bridge from PetscErrorCode to C++ exceptions, and move-only RAII handles.
//
// Code that talks to PETSc is written as functions returning PetscErrorCode with every call wrapped in
// PetscCall (PETSc's own traceback). C++ code that calls such a function, or a single PETSc routine,
// wraps it in SSB_PETSC(...), which turns a non-zero code into ssb::RunError (Debian's PETSc is built
// as C, so PETSc's PetscCallThrow is not available).
#include <petscdm.h>
#include <petscdmda.h>
#include <petscksp.h>
#include <petscvec.h>

#include <string>
#include <utility>
#include <vector>

#include "solver/core/Error.hpp"

namespace ssb {
// Throws the exception a PETSc callback left behind (solver/core/PetscBridge.hpp: a residual that threw
// InputError surfaces as that InputError), or else RunError with PETSc's own message for `code`.
[[noreturn]] void throwPetscError(PetscErrorCode code, const char* file, int line, const char* expr);
}  // namespace ssb

#define SSB_PETSC(...)                                                                                 \
  do {                                                                                                 \
    PetscErrorCode ssb_ierr_ = (__VA_ARGS__);                                                          \
    if (PetscUnlikely(ssb_ierr_)) ::ssb::throwPetscError(ssb_ierr_, __FILE__, __LINE__, #__VA_ARGS__); \
  } while (0)

namespace ssb {

// Move-only owner of a PETSc object (Vec, Mat, DM, KSP, ...). Destruction is collective for parallel
// objects, as in PETSc itself.
template <typename T, PetscErrorCode (*Destroy)(T*)>
class PetscHandle {
 public:
  PetscHandle() = default;
  explicit PetscHandle(T obj) : m_obj(obj) {}
  PetscHandle(const PetscHandle&) = delete;
  PetscHandle& operator=(const PetscHandle&) = delete;
  PetscHandle(PetscHandle&& o) noexcept : m_obj(std::exchange(o.m_obj, nullptr)) {}
  PetscHandle& operator=(PetscHandle&& o) noexcept {
    if (this != &o) {
      reset();
      m_obj = std::exchange(o.m_obj, nullptr);
    }
    return *this;
  }
  ~PetscHandle() { reset(); }
  void reset() {
    if (m_obj) (void)Destroy(&m_obj);
    m_obj = nullptr;
  }
  T get() const { return m_obj; }
  operator T() const { return m_obj; }  // NOLINT: handles pass straight into PETSc calls
  T* out() {                            // for PETSc "create" calls: XCreate(..., h.out())
    reset();
    return &m_obj;
  }
  explicit operator bool() const { return m_obj != nullptr; }

 private:
  T m_obj = nullptr;
};

using VecHandle = PetscHandle<Vec, VecDestroy>;
using MatHandle = PetscHandle<Mat, MatDestroy>;
using DMHandle = PetscHandle<DM, DMDestroy>;
using KSPHandle = PetscHandle<KSP, KSPDestroy>;
using ISHandle = PetscHandle<IS, ISDestroy>;

}  // namespace ssb

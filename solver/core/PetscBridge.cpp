#include "solver/core/PetscBridge.hpp"

#include <map>

#include "solver/core/Error.hpp"
#include "solver/core/MpiUtil.hpp"
#include "solver/core/PetscUtil.hpp"

namespace ssb {

namespace {
// The exception a callback left for the SSB_PETSC that receives PETSc's error code. One per process:
// PETSc calls back on the thread that called it, and ssbvox runs one solve at a time per rank.
std::exception_ptr g_pending;

std::string describe(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    return x.what();
  } catch (...) {
    return "unknown exception";
  }
}
}  // namespace

namespace detail {
PetscErrorCode finishCallback(MPI_Comm comm, std::exception_ptr err) noexcept {
  try {
    rethrowCollective(comm, err);
    return 0;
  } catch (...) {
    // This rank's own exception keeps its type and message; the others carry the failing rank's.
    g_pending = err ? err : std::current_exception();
  }
  const std::string msg = describe(g_pending);
  return PetscError(PETSC_COMM_SELF, __LINE__, "ssb::petscCallback", __FILE__, PETSC_ERR_USER,
                    PETSC_ERROR_INITIAL, "exception in a callback: %s", msg.c_str());
}
}  // namespace detail

void clearPendingCallbackException() noexcept { g_pending = nullptr; }

[[noreturn]] void throwPetscError(PetscErrorCode code, const char* file, int line, const char* expr) {
  if (g_pending) {
    std::exception_ptr e = g_pending;
    g_pending = nullptr;
    std::rethrow_exception(e);
  }
  const char* text = nullptr;
  char* specific = nullptr;
  PetscErrorMessage(code, &text, &specific);
  std::string detail = specific && *specific ? fmt::format(": {}", specific) : std::string();
  throw RunError(fmt::format("PETSc error {} ({}){} (in {} at {}:{}; --verbosity 2 shows PETSc's traceback)",
                             static_cast<int>(code), text ? text : "?", detail, expr, file, line));
}

void installPetscErrorHandler(bool traceback) {
  SSB_PETSC(PetscPushErrorHandler(traceback ? PetscTraceBackErrorHandler : PetscReturnErrorHandler, nullptr));
}

ScopedLogStage::ScopedLogStage(const std::string& name) {
  static std::map<std::string, PetscLogStage> stages;
  auto it = stages.find(name);
  if (it == stages.end()) {
    PetscLogStage s = -1;
    SSB_PETSC(PetscLogStageRegister(name.c_str(), &s));
    it = stages.emplace(name, s).first;
  }
  SSB_PETSC(PetscLogStagePush(it->second));
  m_pushed = true;
}

ScopedLogStage::~ScopedLogStage() {
  if (m_pushed) (void)PetscLogStagePop();
}

}  // namespace ssb

#pragma once
// What every solver wrapper (LinearSolve, NonlinearSolve, TimeIntegrator) shares: PETSc options under the
// solver's own prefix, layered (command line > YAML `petsc_options:` > built-in defaults), checked before
// any computing, and reported when PETSc never read them; and the converged-reason checks that turn a
// diverged solve into a RunError naming who asked.
//
// Layering works by insertion order: an option is inserted only if nothing set it yet, the user's YAML
// options are inserted before the defaults, and the command line was there first. Options inserted by a
// scope are removed when it ends, so one study's options never leak into the next.
#include <petscksp.h>
#include <petscsnes.h>
#include <petscts.h>
#include <yaml-cpp/yaml.h>

#include <string>
#include <utility>
#include <vector>

namespace ssb {

// Options without the leading dash and the prefix ({"ksp_type", "gmres"}; value "" for a flag), and
// where they came from (the YAML path of the mapping, e.g. "studies[0].petsc_options"; empty for
// built-in defaults, which are never reported as unused).
struct PetscOptionList : std::vector<std::pair<std::string, std::string>> {
  using std::vector<std::pair<std::string, std::string>>::vector;
  std::string source;
};

// Options from a YAML `petsc_options:` mapping; `path` names the mapping in errors and becomes the
// list's source. Type options (ksp_type, pc_type, ...) are checked here already (checkPetscOptionTypes).
PetscOptionList parsePetscOptions(const YAML::Node& node, const std::string& path);

// Options inserted into PETSc's global database for the lifetime of this object and removed afterwards.
// Options already set (command line, an outer scope) are left alone. On removal, options with a source
// that no solver under their prefix read - although one read its options in the meantime - are recorded
// for reportUnusedPetscOptions().
class ScopedPetscOptions {
 public:
  ScopedPetscOptions() = default;
  ScopedPetscOptions(const ScopedPetscOptions&) = delete;
  ScopedPetscOptions& operator=(const ScopedPetscOptions&) = delete;
  ~ScopedPetscOptions();
  void insert(const std::string& prefix, const PetscOptionList& opts);

 private:
  struct Inserted {
    std::string prefix, name, value, source;  // name without the dash
    long readsAtInsert;
  };
  std::vector<Inserted> m_inserted;
};

// Which PETSc objects read a solver's options. A TS's SNES and KSP, and a SNES's KSP, share its prefix,
// so one `petsc_options` mapping tunes all of them (lithiation_ts_type, lithiation_snes_rtol,
// lithiation_ksp_type, lithiation_fieldsplit_phi_pc_type ...).
enum class SolverLevel { Linear, Nonlinear, Transient };

// Not collective. Checks every type-valued option (keys ending in ksp_type, pc_type, snes_type, ts_type,
// ts_adapt_type, snes_linesearch_type, pc_hypre_type, pc_gamg_type, pc_fieldsplit_type, ksp_norm_type,
// pc_factor_mat_solver_type) against what this PETSc build has. Throws InputError
// "<source>.<key>: 'nonsense' is not a KSP type (known: bcgs, cg, ...)".
void checkPetscOptionTypes(const PetscOptionList& opts);

// Not collective (works on PETSC_COMM_SELF). The check the driver runs at validation time, before the
// volume is loaded: checkPetscOptionTypes, then a dry run that creates the solver objects of `level` under
// `prefix` with `opts` over `defaults` and lets them read their options, so malformed values
// (ksp_rtol: abc) and unknown enum values (pc_hypre_boomeramg_coarsen_type: nonsense) fail now as
// InputError naming the YAML key. Options read only at set-up (fieldsplit sub-solvers) are checked when the
// solve starts; unknown option names are reported after the run (reportUnusedPetscOptions).
void checkPetscOptions(const PetscOptionList& opts, const std::string& prefix, SolverLevel level,
                       const PetscOptionList& defaults);

// Called by the wrappers after a solver under `prefix` read its options (XSetFromOptions): from then on
// an option under that prefix that PETSc did not use is worth reporting.
void notePetscOptionsRead(const std::string& prefix);

struct UnusedPetscOption {
  std::string name;    // as on the command line, "-conductivity_ksp_rtoll"
  std::string value;   // "" for a flag
  std::string source;  // "studies[0].petsc_options.ksp_rtoll" or "command line"
};

// Not collective. The YAML options recorded as unused so far, then the command-line options PETSc never
// read (as -options_left reports them). Clears the recorded list.
std::vector<UnusedPetscOption> takeUnusedPetscOptions();
// Rank 0 logs one warning per unused option (what takeUnusedPetscOptions returns). PetscSession calls it
// at the end of a run; the driver may call it earlier (e.g. to store the list in results.json).
void reportUnusedPetscOptions();

// One solver's option scope: the user's options, then the defaults, under `prefix`, alive as long as the
// solver. `who` names the solver in errors ("studies[0] (lithiation study 'charge')").
class SolverOptions {
 public:
  SolverOptions(std::string prefix, std::string who, const PetscOptionList& user,
                const PetscOptionList& defaults);
  const std::string& prefix() const { return m_prefix; }
  const std::string& who() const { return m_who; }

 private:
  std::string m_prefix, m_who;
  ScopedPetscOptions m_user, m_defaults;
};

// Converged-reason checks. Collective. Each throws RunError naming `who`, the PETSc reason, the counts
// and the prefix under which the user can change the solver.
// KSP: also a solve that "converged" in 0 iterations from a zero initial guess although |b| > 0 (a
// residual norm that underflowed, or a tolerance that cannot be met: issue 12). `b` may be null only
// when the caller checked the right-hand side itself.
void checkKspConverged(KSP ksp, Vec b, const std::string& who, const std::string& prefix);
void checkSnesConverged(SNES snes, const std::string& who, const std::string& prefix);
void checkTsConverged(TS ts, const std::string& who, const std::string& prefix);

}  // namespace ssb

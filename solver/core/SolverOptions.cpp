#include "solver/core/SolverOptions.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <functional>
#include <map>
#include <set>

#include "solver/core/Log.hpp"
#include "solver/core/PetscBridge.hpp"
#include "solver/core/PetscUtil.hpp"

namespace ssb {

namespace {

// How often a solver under each prefix has read its options; see ScopedPetscOptions.
std::map<std::string, long>& readsByPrefix() {
  static std::map<std::string, long> m;
  return m;
}
std::vector<UnusedPetscOption>& recordedUnused() {
  static std::vector<UnusedPetscOption> v;
  return v;
}

bool endsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

std::vector<std::string> namesOf(PetscFunctionList list) {
  const char** array = nullptr;
  int n = 0;
  SSB_PETSC(PetscFunctionListGet(list, &array, &n));
  std::vector<std::string> out;
  for (int i = 0; i < n && array[i]; ++i) out.emplace_back(array[i]);
  SSB_PETSC(PetscFree(array));
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

struct TypeRule {
  const char* suffix;  // the option key ends with this (any sub-prefix such as fieldsplit_phi_ before it)
  const char* what;    // "a KSP type"
  std::function<std::vector<std::string>()> known;
  bool caseInsensitive;  // PETSc reads enum options case-insensitively, types case-sensitively
};

const std::vector<TypeRule>& typeRules() {
  static const std::vector<TypeRule> rules = {
      // Longest suffixes first: "snes_linesearch_type" must not be taken for "..._type" of another rule.
      {"pc_factor_mat_solver_type", "a direct solver package",
       [] {
         std::vector<std::string> out;
         for (const char* t : {"petsc", "mumps", "superlu", "superlu_dist", "umfpack", "cholmod", "klu",
                               "mkl_pardiso", "strumpack", "pastix"}) {
           PetscBool found = PETSC_FALSE, foundMat = PETSC_FALSE;
           SSB_PETSC(MatSolverTypeGet(t, MATSEQAIJ, MAT_FACTOR_LU, &found, &foundMat, nullptr));
           if (found) out.emplace_back(t);
         }
         return out;
       },
       false},
      {"snes_linesearch_type", "a SNES line search type",
       [] {
         SSB_PETSC(SNESInitializePackage());
         return namesOf(SNESLineSearchList);
       },
       false},
      {"pc_fieldsplit_type", "a fieldsplit composition",
       [] {
         return std::vector<std::string>{"additive", "multiplicative", "symmetric_multiplicative",
                                         "special",  "schur",          "gkb"};
       },
       true},
      {"ts_adapt_type", "a TS adaptor type",
       [] { return std::vector<std::string>{"basic", "cfl", "dsp", "glee", "history", "none"}; }, false},
      {"pc_hypre_type", "a hypre preconditioner",
       [] { return std::vector<std::string>{"ads", "ams", "boomeramg", "euclid", "parasails", "pilut"}; },
       false},
      {"pc_gamg_type", "a GAMG type",
       [] {
         return std::vector<std::string>{"agg", "classical", "geo"};
       },
       false},
      {"ksp_norm_type", "a KSP norm type",
       [] {
         return std::vector<std::string>{"default", "natural", "none", "preconditioned", "unpreconditioned"};
       },
       true},
      {"snes_type", "a SNES type",
       [] {
         SSB_PETSC(SNESInitializePackage());
         return namesOf(SNESList);
       },
       false},
      {"ksp_type", "a KSP type",
       [] {
         SSB_PETSC(KSPInitializePackage());
         return namesOf(KSPList);
       },
       false},
      {"pc_type", "a PC type",
       [] {
         SSB_PETSC(PCInitializePackage());
         return namesOf(PCList);
       },
       false},
      {"ts_type", "a TS type",
       [] {
         SSB_PETSC(TSInitializePackage());
         return namesOf(TSList);
       },
       false},
  };
  return rules;
}

std::string keyPath(const PetscOptionList& opts, const std::string& key) {
  return opts.source.empty() ? key : opts.source + "." + key;
}

// A solver object of `level` under `prefix` reads its options. Throws RunError (PETSc's message) if it
// rejects one. Not collective.
void dryRun(const std::string& prefix, SolverLevel level) {
  switch (level) {
    case SolverLevel::Linear: {
      KSPHandle ksp;
      SSB_PETSC(KSPCreate(PETSC_COMM_SELF, ksp.out()));
      SSB_PETSC(KSPSetOptionsPrefix(ksp, prefix.c_str()));
      SSB_PETSC(KSPSetFromOptions(ksp));
      break;
    }
    case SolverLevel::Nonlinear: {
      SNES snes = nullptr;
      SSB_PETSC(SNESCreate(PETSC_COMM_SELF, &snes));
      PetscErrorCode a = SNESSetOptionsPrefix(snes, prefix.c_str());
      PetscErrorCode b = a ? a : SNESSetFromOptions(snes);
      (void)SNESDestroy(&snes);
      SSB_PETSC(b);
      break;
    }
    case SolverLevel::Transient: {
      TS ts = nullptr;
      SSB_PETSC(TSCreate(PETSC_COMM_SELF, &ts));
      PetscErrorCode a = TSSetOptionsPrefix(ts, prefix.c_str());
      PetscErrorCode b = a ? a : TSSetFromOptions(ts);
      (void)TSDestroy(&ts);
      SSB_PETSC(b);
      break;
    }
  }
}

// The dry run with `user` over `defaults`; returns PETSc's complaint, or "" if it accepted them.
std::string dryRunMessage(const PetscOptionList& user, const std::string& prefix, SolverLevel level,
                          const PetscOptionList& defaults) {
  PetscOptionList quiet(user.begin(), user.end());  // no source: a dry run reports nothing as unused
  ScopedPetscOptions u, d;
  u.insert(prefix, quiet);
  d.insert(prefix, defaults);
  // PETSc's complaint becomes our InputError; its error dump would only confuse here.
  SSB_PETSC(PetscPushErrorHandler(PetscReturnErrorHandler, nullptr));
  std::string msg;
  try {
    dryRun(prefix, level);
  } catch (const std::exception& e) {
    msg = e.what();
  }
  (void)PetscPopErrorHandler();
  return msg;
}

// "PETSc error 62 (Invalid argument): Input string abc has no numeric value (in ...)" -> the part after
// the generic text, without our location suffix.
std::string petscReason(const std::string& what) {
  std::string s = what;
  auto at = s.find("): ");
  if (at != std::string::npos) s = s.substr(at + 3);
  auto in = s.find(" (in ");
  if (in != std::string::npos) s = s.substr(0, in);
  return s;
}

// Options that PETSc reads only at PetscFinalize or that only steer PETSc's own diagnostics; reporting
// them as unused before PetscFinalize would be wrong.
bool readAtFinalize(const std::string& name) {
  for (const char* p :
       {"log_", "options_", "malloc", "memory_", "objects_", "saws", "viewer_", "help", "version",
        "check_pointer_intensity", "fp_trap", "on_error", "no_signal_handler", "info"})
    if (name.rfind(p, 0) == 0) return true;
  return false;
}

}  // namespace

PetscOptionList parsePetscOptions(const YAML::Node& node, const std::string& path) {
  PetscOptionList out;
  out.source = path;
  if (!node || node.IsNull()) return out;
  if (!node.IsMap())
    throwInput(
        "{}: expected a mapping of PETSc options without the prefix, e.g. {{ksp_type: gmres, pc_type: gamg}}",
        path);
  for (const auto& kv : node) {
    std::string key = kv.first.as<std::string>();
    while (!key.empty() && key.front() == '-') key.erase(key.begin());
    if (key.empty()) throwInput("{}: empty option name", path);
    if (key.find_first_of(" \t\n=") != std::string::npos)
      throwInput(
          "{}: option name '{}' contains a blank or '='; write one option per key, e.g. {{ksp_rtol: 1e-8}}",
          path, key);
    if (!kv.second.IsNull() && !kv.second.IsScalar())
      throwInput("{}.{}: expected a single value (or nothing for a flag)", path, key);
    out.emplace_back(key, kv.second.IsNull() ? std::string() : kv.second.Scalar());
  }
  checkPetscOptionTypes(out);
  return out;
}

void checkPetscOptionTypes(const PetscOptionList& opts) {
  for (const auto& [key, value] : opts) {
    const std::string k = lower(key);
    for (const auto& rule : typeRules()) {
      if (!endsWith(k, rule.suffix)) continue;
      const auto known = rule.known();
      const bool ok = std::any_of(known.begin(), known.end(), [&](const std::string& n) {
        return rule.caseInsensitive ? lower(n) == lower(value) : n == value;
      });
      if (!ok)
        throwInput("{}: '{}' is not {} (known: {})", keyPath(opts, key), value, rule.what, join(known));
      break;
    }
  }
}

void checkPetscOptions(const PetscOptionList& opts, const std::string& prefix, SolverLevel level,
                       const PetscOptionList& defaults) {
  checkPetscOptionTypes(opts);
  const std::string all = dryRunMessage(opts, prefix, level, defaults);
  if (all.empty()) return;
  // Name the key: the first option that fails on its own (over the defaults).
  for (const auto& kv : opts) {
    PetscOptionList one;
    one.push_back(kv);
    const std::string msg = dryRunMessage(one, prefix, level, defaults);
    if (!msg.empty())
      throwInput("{}: PETSc rejects '{}' (option -{}{}): {}", keyPath(opts, kv.first), kv.second, prefix,
                 kv.first, petscReason(msg));
  }
  throwInput("{}: PETSc rejects these options together (prefix {}): {}",
             opts.source.empty() ? std::string("petsc_options") : opts.source, prefix, petscReason(all));
}

void notePetscOptionsRead(const std::string& prefix) { ++readsByPrefix()[prefix]; }

ScopedPetscOptions::~ScopedPetscOptions() {
  for (const auto& o : m_inserted) {
    if (!o.source.empty() && readsByPrefix()[o.prefix] > o.readsAtInsert) {
      PetscBool used = PETSC_TRUE;
      if (PetscOptionsUsed(nullptr, o.name.c_str(), &used) == 0 && !used) {
        auto& rec = recordedUnused();
        const std::string dashed = "-" + o.name;
        if (std::none_of(rec.begin(), rec.end(),
                         [&](const UnusedPetscOption& u) { return u.name == dashed; }))
          rec.push_back({dashed, o.value, o.source});
      }
    }
    (void)PetscOptionsClearValue(nullptr, ("-" + o.name).c_str());
  }
}

void ScopedPetscOptions::insert(const std::string& prefix, const PetscOptionList& opts) {
  for (const auto& [key, value] : opts) {
    const std::string name = prefix + key;
    PetscBool set = PETSC_FALSE;
    SSB_PETSC(PetscOptionsHasName(nullptr, nullptr, ("-" + name).c_str(), &set));
    if (set) continue;  // command line or an outer scope: it wins
    SSB_PETSC(PetscOptionsSetValue(nullptr, ("-" + name).c_str(), value.empty() ? nullptr : value.c_str()));
    m_inserted.push_back(
        {prefix, name, value, opts.source.empty() ? "" : opts.source + "." + key, readsByPrefix()[prefix]});
  }
}

std::vector<UnusedPetscOption> takeUnusedPetscOptions() {
  std::vector<UnusedPetscOption> out = std::move(recordedUnused());
  recordedUnused().clear();
  PetscInt n = 0;
  char** names = nullptr;
  char** values = nullptr;
  if (PetscOptionsLeftGet(nullptr, &n, &names, &values) == 0) {
    for (PetscInt i = 0; i < n; ++i) {
      const std::string name = names[i] ? names[i] : "";
      if (name.empty() || readAtFinalize(name)) continue;
      out.push_back({"-" + name, values[i] ? values[i] : "", "command line"});
    }
    (void)PetscOptionsLeftRestore(nullptr, &n, &names, &values);
  }
  return out;
}

void reportUnusedPetscOptions() {
  for (const auto& u : takeUnusedPetscOptions())
    Log::warn(
        fmt::format("PETSc option {}{}{} (from {}) was never used: misspelt, or meant for a solver this run "
                    "does not have",
                    u.name, u.value.empty() ? "" : " ", u.value, u.source));
}

SolverOptions::SolverOptions(std::string prefix, std::string who, const PetscOptionList& user,
                             const PetscOptionList& defaults)
    : m_prefix(std::move(prefix)), m_who(std::move(who)) {
  m_user.insert(m_prefix, user);
  m_defaults.insert(m_prefix, defaults);
}

// ---------------------------------------------------------------------------------------------------------

void checkKspConverged(KSP ksp, Vec b, const std::string& who, const std::string& prefix) {
  KSPConvergedReason reason;
  PetscInt its = 0;
  PetscReal rnorm = 0;
  SSB_PETSC(KSPGetConvergedReason(ksp, &reason));
  SSB_PETSC(KSPGetIterationNumber(ksp, &its));
  SSB_PETSC(KSPGetResidualNorm(ksp, &rnorm));
  if (reason < 0)
    throwRun(
        "{}: the linear solve did not converge ({} after {} iterations, residual norm {:.3g}); loosen the "
        "tolerance or choose other solver options under `petsc_options` (PETSc prefix {})",
        who, KSPConvergedReasons[reason], static_cast<int>(its), static_cast<double>(rnorm), prefix);
  PetscBool nonzeroGuess = PETSC_FALSE;
  SSB_PETSC(KSPGetInitialGuessNonzero(ksp, &nonzeroGuess));
  KSPType type = nullptr;
  SSB_PETSC(KSPGetType(ksp, &type));
  PetscBool preonly = PETSC_FALSE;
  if (type) SSB_PETSC(PetscStrcmp(type, KSPPREONLY, &preonly));
  if (its == 0 && b && !nonzeroGuess && !preonly) {
    PetscReal nb = 0;
    SSB_PETSC(VecNorm(b, NORM_INFINITY, &nb));
    if (nb != 0)
      throwRun(
          "{}: the linear solve reports convergence ({}) after 0 iterations from a zero initial guess "
          "although the right-hand side is not zero (max |b| = {:.3g}); the result would be x = 0. The "
          "system is probably scaled near the limits of double precision (coefficients like 1e-300 or "
          "1e300) or the tolerances cannot be met (PETSc prefix {})",
          who, KSPConvergedReasons[reason], static_cast<double>(nb), prefix);
  }
}

void checkSnesConverged(SNES snes, const std::string& who, const std::string& prefix) {
  SNESConvergedReason reason;
  PetscInt its = 0, lits = 0;
  PetscReal fnorm = 0;
  SSB_PETSC(SNESGetConvergedReason(snes, &reason));
  if (reason >= 0) return;
  SSB_PETSC(SNESGetIterationNumber(snes, &its));
  SSB_PETSC(SNESGetLinearSolveIterations(snes, &lits));
  SSB_PETSC(SNESGetFunctionNorm(snes, &fnorm));
  std::string hint =
      "choose other solver options under `petsc_options` (e.g. snes_linesearch_type, snes_max_it)";
  if (reason == SNES_DIVERGED_LINEAR_SOLVE)
    hint = "the linear solver inside Newton failed: choose other ksp_/pc_ options under `petsc_options`";
  if (reason == SNES_DIVERGED_FNORM_NAN) hint = "the residual became NaN or Inf: check the inputs";
  throwRun(
      "{}: the nonlinear solve did not converge ({} after {} Newton and {} linear iterations, |F| = {:.3g}); "
      "{} "
      "(PETSc prefix {})",
      who, SNESConvergedReasons[reason], static_cast<int>(its), static_cast<int>(lits),
      static_cast<double>(fnorm), hint, prefix);
}

void checkTsConverged(TS ts, const std::string& who, const std::string& prefix) {
  TSConvergedReason reason;
  SSB_PETSC(TSGetConvergedReason(ts, &reason));
  if (reason >= 0) return;
  PetscReal t = 0, dt = 0;
  PetscInt steps = 0, rejects = 0, fails = 0;
  SSB_PETSC(TSGetTime(ts, &t));
  SSB_PETSC(TSGetTimeStep(ts, &dt));
  SSB_PETSC(TSGetStepNumber(ts, &steps));
  SSB_PETSC(TSGetStepRejections(ts, &rejects));
  SSB_PETSC(TSGetSNESFailures(ts, &fails));
  // The last Newton solve's own reason, and its linear solve's when that is what failed: an iterative
  // solver that stops short must be named, not hidden behind "failed nonlinear solves".
  SNES snes = nullptr;
  SSB_PETSC(TSGetSNES(ts, &snes));
  SNESConvergedReason snesReason;
  SSB_PETSC(SNESGetConvergedReason(snes, &snesReason));
  std::string last;
  if (snesReason < 0) {
    last = fmt::format("; the last Newton solve: {}", SNESConvergedReasons[snesReason]);
    if (snesReason == SNES_DIVERGED_LINEAR_SOLVE) {
      KSP ksp = nullptr;
      KSPConvergedReason kspReason;
      PetscInt its = 0;
      SSB_PETSC(SNESGetKSP(snes, &ksp));
      SSB_PETSC(KSPGetConvergedReason(ksp, &kspReason));
      SSB_PETSC(KSPGetIterationNumber(ksp, &its));
      last += fmt::format(
          " (the linear solve did not converge: {} after {} iterations; choose other ksp_/pc_ "
          "options)",
          KSPConvergedReasons[kspReason], static_cast<int>(its));
    }
  }
  throwRun(
      "{}: time integration failed at t = {:.6g} s after {} steps ({}; step size {:.3g} s, {} rejected "
      "steps, {} "
      "failed nonlinear solves{}); loosen the time-step tolerances or change ts_/snes_ options under "
      "`petsc_options` (PETSc prefix {})",
      who, static_cast<double>(t), static_cast<int>(steps), TSConvergedReasons[reason],
      static_cast<double>(dt), static_cast<int>(rejects), static_cast<int>(fails), last, prefix);
}

}  // namespace ssb

#include "solver/driver/Calibration.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>

#include "solver/core/AtomicFile.hpp"
#include "solver/core/Error.hpp"
#include "solver/core/Log.hpp"
#include "solver/core/MpiUtil.hpp"
#include "solver/core/Provenance.hpp"
#include "solver/driver/CaseRunner.hpp"
#include "solver/driver/Measured.hpp"

namespace ssb {

namespace {

const Schema& parameterSchema() {
  static const Schema s = [] {
    Schema sc("calibrate.parameters[]", "One fitted input.");
    sc.text("path", std::nullopt,
            "Key path of the input, as `--set` takes it (studies[0].conductivities.LPS).");
    sc.real("min", std::nullopt, "", -kInf, kInf, "Lower end of the search range, a bare SI number.");
    sc.real("max", std::nullopt, "", -kInf, kInf, "Upper end of the search range, a bare SI number.");
    sc.real("start", std::nullopt, "", -kInf, kInf,
            "Two inputs: starting value (default: sqrt(min max) when min > 0, else the midpoint).")
        .optionalKey("start");
    return sc;
  }();
  return s;
}

struct Parameter {
  std::string path;
  double min, max;
  std::optional<double> start;
  bool logScale;  // least squares works in log(value) when the range is positive
};

struct Target {
  std::string result;
  double measured;
};

struct Evaluator {
  MPI_Comm comm;
  CaseInput base;  // calibrate removed
  std::filesystem::path dir;
  std::vector<Parameter> params;
  std::vector<Target> targets;
  Json evaluations = Json::array();

  // Collective. Relative residuals (simulated - measured) / |measured| of the targets at x.
  std::vector<double> operator()(const std::vector<double>& x) {
    const size_t k = evaluations.size();
    CaseInput ci = base;
    const std::filesystem::path caseDir = dir / fmt::format("eval_{:03d}", k);
    Json point = Json::object();
    for (size_t j = 0; j < params.size(); ++j) {
      ci.overrides.push_back(Override{params[j].path, YAML::Node(x[j])});
      point[params[j].path] = x[j];
    }
    ci.overrides.push_back(Override{"output.dir", YAML::Node(caseDir.string())});
    const Case c = loadCase(comm, ci);
    const CaseResult r = runCase(comm, c, caseDir);
    if (r.exitStatus != 0) {
      std::string why;
      for (const auto& s : r.results["studies"])
        if (s.value("status", "") != "ok") why += s.value("error", "") + " ";
      for (const auto& m : r.results.value("measured", Json::array()))
        if (m.contains("error")) why += m["error"].get<std::string>() + " ";
      throwRun("calibrate: evaluation {} ({}) failed: {}", k, point.dump(), why);
    }
    std::vector<double> res;
    Json sim = Json::object();
    const Json comparisons = r.results.value("measured", Json::array());
    for (auto& t : targets) {
      const Json* hit = nullptr;
      for (const auto& m : comparisons)
        if (m.value("result", "") == t.result) hit = &m;
      if (!hit || !(*hit)["simulated"].is_number() || !(*hit)["measured"].is_number())
        throwRun("calibrate: evaluation {} ({}): no comparison for {}", k, point.dump(), t.result);
      const double v = (*hit)["simulated"].get<double>();
      t.measured = (*hit)["measured"].get<double>();  // in the result's SI unit
      sim[t.result] = v;
      res.push_back((v - t.measured) / std::abs(t.measured));
    }
    double norm = 0;
    for (double q : res) norm += q * q;
    evaluations.push_back({{"index", k},
                           {"dir", caseDir.string()},
                           {"parameters", point},
                           {"simulated", sim},
                           {"residual", std::sqrt(norm)}});
    Log::info("calibrate: evaluation {}: {} -> relative residual {:.3e}", k, point.dump(), std::sqrt(norm));
    return res;
  }
};

double norm2(const std::vector<double>& r) {
  double s = 0;
  for (double q : r) s += q * q;
  return s;
}

}  // namespace

const Schema& calibrateSchema() {
  static const Schema s = [] {
    Schema sc(
        "calibrate",
        "Fit one or two inputs so that `targets` match their `measured:` values (docs/studies.md). Every "
        "evaluation runs the case in <output.dir>/eval_<i>; <output.dir>/results.json holds the fit.");
    sc.declare("parameters", ParamType::SectionList, std::nullopt,
               "The inputs to fit (one: bracketed root finding; two: least squares).")
        .nest(parameterSchema());
    sc.declare(
        "targets", ParamType::TextList, std::nullopt,
        "Result paths to match, each with an entry in `measured:` (one for one input, at least two for "
        "two inputs).");
    sc.real("tolerance", "1e-7", "", 0.0, 0.1,
            "Relative tolerance on the fitted inputs (bracket width, or least-squares step).", true);
    sc.real("residual_tolerance", "1e-10", "", 0.0, 1.0,
            "Stop once the relative residual |simulated - measured| / |measured| (root finding) or its "
            "2-norm (least squares) is this small.");
    sc.integer("max_evaluations", "60", 3, 10000, "Most case evaluations before giving up.");
    return sc;
  }();
  return s;
}

CalibrationResult runCalibration(MPI_Comm comm, const CaseInput& input) {
  const std::string where = input.file.empty() ? std::string("case") : "case file " + input.file.string();
  YAML::Node root = parseCaseInput(input);
  const std::string fileText = YAML::Dump(root);
  const Params cp(root["calibrate"], calibrateSchema(), "calibrate");
  const auto measured = parseMeasured(root["measured"]);

  std::vector<Parameter> params;
  const auto ps = cp.sections("parameters");
  if (ps.size() != 1 && ps.size() != 2)
    throwInput("calibrate.parameters: {} inputs; give one (root finding) or two (least squares)", ps.size());
  for (const auto& p : ps) {
    Parameter q{p.text("path"), p.real("min"), p.real("max"), std::nullopt, false};
    if (p.has("start")) q.start = p.real("start");
    if (!(q.min < q.max)) throwInput("{}: min ({}) must be below max ({})", p.path(), q.min, q.max);
    if (q.start && (*q.start < q.min || *q.start > q.max))
      throwInput("{}: start {} is outside [min, max] = [{}, {}]", p.keyPath("start"), *q.start, q.min, q.max);
    const std::string head = q.path.substr(0, q.path.find_first_of(".["));
    if (head == "calibrate" || head == "sweep" || head == "measured" || head == "output")
      throwInput("{}: '{}' cannot be fitted; give an input of the case (e.g. studies[0].conductivities.LPS)",
                 p.keyPath("path"), q.path);
    for (const auto& o : params)
      if (o.path == q.path) throwInput("{}: '{}' is listed twice", p.keyPath("path"), q.path);
    q.logScale = q.min > 0;
    params.push_back(q);
  }
  std::vector<Target> targets;
  for (const auto& t : cp.texts("targets")) {
    const MeasuredValue* m = nullptr;
    for (const auto& e : measured)
      if (e.result == t) m = &e;
    if (!m)
      throwInput(
          "calibrate.targets: '{}' has no entry in `measured:`; add {{result: {}, value: ..., unit: ...}}", t,
          t);
    targets.push_back({t, 0});
  }
  if (params.size() == 1 && targets.size() != 1)
    throwInput("calibrate.targets: one input is fitted by root finding on one target; {} given",
               targets.size());
  if (params.size() == 2 && targets.size() < 2)
    throwInput("calibrate.targets: two inputs need at least two targets; {} given", targets.size());
  if (root["sweep"])
    throwInput("{}: sweep and calibrate in one file are not supported; run them separately", where);

  std::filesystem::path dir = "results";
  if (root["output"] && root["output"]["dir"] && root["output"]["dir"].IsScalar())
    dir = root["output"]["dir"].Scalar();
  if (dir.empty()) throwInput("output.dir: empty; give the calibration's directory");
  root.remove("calibrate");
  Evaluator eval{comm, CaseInput{YAML::Dump(root), input.file, {}}, dir, params, targets, Json::array()};
  // Each path must fit the document before the first evaluation (a typo is the calibration's error).
  {
    YAML::Node probe = YAML::Clone(root);
    for (size_t j = 0; j < params.size(); ++j) {
      try {
        applyOverride(probe, Override{params[j].path, YAML::Node(params[j].min)});
      } catch (const InputError& e) {
        throwInput("calibrate.parameters[{}].path: {}", j, e.what());
      }
    }
  }

  const double tol = cp.real("tolerance"), rtol = cp.real("residual_tolerance");
  const int maxEval = static_cast<int>(cp.integer("max_evaluations"));
  const double t0 = Log::elapsed();
  Json cal;
  std::vector<double> x(params.size());
  bool converged = false;
  int iterations = 0;

  std::string method;
  {  // every evaluation is collective and returns rank 0's record, so every rank takes the same branches
    if (params.size() == 1) {
      // Root finding of the relative residual on [min, max].
      method = "brent";
      const Parameter& p = params[0];
      auto f = [&](double v) { return eval({v})[0]; };
      const double fa = f(p.min), fb = f(p.max);
      if ((fa > 0 && fb > 0) || (fa < 0 && fb < 0))
        throwInput(
            "calibrate.parameters[0]: the measured {} is not reached in [min, max] = [{}, {}] (relative "
            "residual {:.4g} at min, {:.4g} at max, same sign); widen the range (evaluations in {})",
            targets[0].result, p.min, p.max, fa, fb, dir.string());
      const RootResult rr = brentRoot(f, p.min, p.max, fa, fb, tol, rtol, maxEval - 2);
      x[0] = rr.x;
      converged = rr.converged;
      iterations = rr.iterations;
    } else {
      // Levenberg-Marquardt on the relative residuals, in log(value) for positive ranges.
      method = "levenberg_marquardt";
      const size_t n = params.size();
      auto toX = [&](const std::vector<double>& u) {
        std::vector<double> v(n);
        for (size_t j = 0; j < n; ++j) {
          const double lo = params[j].logScale ? std::log(params[j].min) : params[j].min;
          const double hi = params[j].logScale ? std::log(params[j].max) : params[j].max;
          const double c = std::clamp(u[j], lo, hi);
          v[j] = params[j].logScale ? std::exp(c) : c;
        }
        return v;
      };
      std::vector<double> u(n);
      for (size_t j = 0; j < n; ++j) {
        const Parameter& p = params[j];
        const double s0 =
            p.start ? *p.start : (p.logScale ? std::sqrt(p.min * p.max) : 0.5 * (p.min + p.max));
        u[j] = p.logScale ? std::log(s0) : s0;
      }
      std::vector<double> r = eval(toX(u));
      double cost = norm2(r);
      double lambda = 1e-3;
      while (static_cast<int>(eval.evaluations.size()) + static_cast<int>(n) + 1 <= maxEval) {
        if (std::sqrt(cost) <= rtol) {
          converged = true;
          break;
        }
        ++iterations;
        // Forward differences: step 1e-6 of the scale of each unknown.
        std::vector<std::vector<double>> J(r.size(), std::vector<double>(n));
        for (size_t j = 0; j < n; ++j) {
          const double scale =
              params[j].logScale ? 1.0 : std::max(std::abs(u[j]), params[j].max - params[j].min);
          std::vector<double> uh = u;
          double h = 1e-6 * scale;
          const double hi = params[j].logScale ? std::log(params[j].max) : params[j].max;
          if (uh[j] + h > hi) h = -h;  // stay inside the range
          uh[j] += h;
          const std::vector<double> rh = eval(toX(uh));
          for (size_t i = 0; i < r.size(); ++i) J[i][j] = (rh[i] - r[i]) / h;
        }
        // Normal equations (2 x 2): (J^T J + lambda diag(J^T J)) du = -J^T r.
        std::array<std::array<double, 2>, 2> A{};
        std::array<double, 2> g{};
        for (size_t i = 0; i < r.size(); ++i)
          for (size_t a = 0; a < n; ++a) {
            g[a] += J[i][a] * r[i];
            for (size_t b = 0; b < n; ++b) A[a][b] += J[i][a] * J[i][b];
          }
        bool accepted = false;
        double stepNorm = 0;
        while (!accepted && static_cast<int>(eval.evaluations.size()) < maxEval && lambda < 1e12) {
          const double a00 = A[0][0] * (1 + lambda), a11 = A[1][1] * (1 + lambda);
          const double det = a00 * a11 - A[0][1] * A[1][0];
          if (!(std::abs(det) > 0))
            throwRun("calibrate: singular least-squares system (the targets do not depend on both inputs)");
          const std::vector<double> du = {(-g[0] * a11 + g[1] * A[0][1]) / det,
                                          (-g[1] * a00 + g[0] * A[1][0]) / det};
          std::vector<double> un = {u[0] + du[0], u[1] + du[1]};
          const std::vector<double> xn = toX(un);
          for (size_t j = 0; j < n; ++j) un[j] = params[j].logScale ? std::log(xn[j]) : xn[j];
          const std::vector<double> rn = eval(xn);
          const double cn = norm2(rn);
          stepNorm = 0;
          for (size_t j = 0; j < n; ++j) {
            const double scale = params[j].logScale ? 1.0 : std::max(std::abs(un[j]), 1e-300);
            stepNorm = std::max(stepNorm, std::abs(un[j] - u[j]) / scale);
          }
          if (cn < cost) {
            u = un;
            r = rn;
            cost = cn;
            lambda = std::max(lambda / 10, 1e-12);
            accepted = true;
          } else {
            lambda *= 10;
          }
        }
        if (!accepted) break;
        if (stepNorm <= tol || std::sqrt(cost) <= rtol) {
          converged = true;
          break;
        }
      }
      x = toX(u);
    }
  }

  // The best evaluated point (the fitted one) and its comparison.
  size_t best = 0;
  for (size_t k = 0; k < eval.evaluations.size(); ++k)
    if (eval.evaluations[k]["residual"].get<double>() < eval.evaluations[best]["residual"].get<double>())
      best = k;
  const Json& b = eval.evaluations[best];
  cal["method"] = method;
  cal["converged"] = converged;
  cal["iterations"] = iterations;
  cal["evaluations_count"] = eval.evaluations.size();
  Json jp = Json::array();
  for (size_t j = 0; j < params.size(); ++j)
    jp.push_back({{"path", params[j].path},
                  {"value", b["parameters"][params[j].path]},
                  {"min", params[j].min},
                  {"max", params[j].max}});
  cal["parameters"] = jp;
  Json jt = Json::array();
  for (const auto& t : eval.targets)
    jt.push_back({{"result", t.result}, {"measured", t.measured}, {"simulated", b["simulated"][t.result]}});
  cal["targets"] = jt;
  cal["residual"] = b["residual"];
  cal["residual_definition"] = "2-norm of (simulated - measured) / |measured| over the targets";
  cal["best_evaluation"] = best;
  cal["best_dir"] = b["dir"];
  cal["evaluations"] = eval.evaluations;
  Json record;
  record["provenance"] = provenance(comm, fileText);
  record["provenance"]["case_file"] = input.file.string();
  record["provenance"]["wall_seconds"] = Log::elapsed() - t0;
  record["complete"] = true;
  record["calibration"] = cal;
  record["units"] = {{"parameters.value", "SI unit of the input"},
                     {"targets", "SI unit of each result (see the case's measured comparison)"},
                     {"residual", "1"}};
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  std::exception_ptr err;
  if (rank == 0) {
    try {
      writeFileAtomic(dir / "results.json", record.dump(2) + "\n");
    } catch (...) {
      err = std::current_exception();
    }
  }
  rethrowCollective(comm, err);
  CalibrationResult out;
  out.record = Json::parse(broadcastString(comm, rank == 0 ? record.dump() : std::string()));
  out.exitStatus = converged ? 0 : 1;
  if (!converged)
    Log::warn(
        fmt::format("calibrate: not converged after {} evaluations (best relative residual {:.3e}); raise "
                    "calibrate.max_evaluations or check the range",
                    eval.evaluations.size(), b["residual"].get<double>()));
  Log::info("calibrate: {} after {} evaluations: {} (relative residual {:.3e}); {}",
            converged ? "converged" : "stopped", eval.evaluations.size(), jp.dump(),
            b["residual"].get<double>(), (dir / "results.json").string());
  return out;
}

}  // namespace ssb

#pragma once
// Calibration: `calibrate:` in a case file fits one or two scalar inputs so that chosen results match their
// `measured:` values (docs/studies.md).
//   one input:  bracketed root finding (Brent's method) of simulated - measured over [min, max]
//   two inputs: least squares (Levenberg-Marquardt, forward-difference Jacobian) of the relative residuals
//               (simulated - measured) / |measured| of two or more targets, in log(input) when min > 0
// Every evaluation is a full case (loadCase + runCase) in <output.dir>/eval_<iii>; <output.dir>/results.json
// holds the fitted values, the residual, the iterations and every evaluated point.
#include <mpi.h>

#include <cmath>
#include <limits>

#include "solver/core/Json.hpp"
#include "solver/core/Params.hpp"
#include "solver/driver/Case.hpp"

namespace ssb {

const Schema& calibrateSchema();

struct CalibrationResult {
  Json record;         // what <output.dir>/results.json holds (rank 0's, on every rank)
  int exitStatus = 0;  // 0 converged; 1 stopped at max_evaluations or an evaluation failed at run time
};

// Collective on `comm`. InputError for a malformed `calibrate:` (targets without a measured value, a
// bracket that does not contain the measured value, a parameter count other than 1 or 2).
CalibrationResult runCalibration(MPI_Comm comm, const CaseInput& input);

// Brent's bracketed root finding of f on [a, b] (f(a), f(b) of opposite signs, or one of them zero).
// Stops when the bracket is narrower than xtol * |x| or |f| <= ftol, or after maxEvaluations calls of f.
struct RootResult {
  double x = 0, fx = 0;
  int iterations = 0;
  bool converged = false;
};
template <typename F>
RootResult brentRoot(F&& f, double a, double b, double fa, double fb, double xtol, double ftol,
                     int maxEvaluations);

}  // namespace ssb

// Brent's method (R. P. Brent, Algorithms for Minimization without Derivatives, 1973, ch. 4): inverse
// quadratic / secant steps while they stay inside the bracket and shrink it fast enough, bisection
// otherwise, so it never leaves [a, b] and converges at least as surely as bisection.
namespace ssb {

template <typename F>
RootResult brentRoot(F&& f, double a, double b, double fa, double fb, double xtol, double ftol,
                     int maxEvaluations) {
  RootResult r;
  double c = a, fc = fa, d = b - a, e = d;
  const double eps = std::numeric_limits<double>::epsilon();
  for (int it = 0;; ++it) {
    r.iterations = it;
    if ((fb > 0 && fc > 0) || (fb < 0 && fc < 0)) {
      c = a;
      fc = fa;
      d = e = b - a;
    }
    if (std::abs(fc) < std::abs(fb)) {
      a = b;
      b = c;
      c = a;
      fa = fb;
      fb = fc;
      fc = fa;
    }
    const double tol1 = 2 * eps * std::abs(b) + 0.5 * xtol * std::abs(b);
    const double xm = 0.5 * (c - b);
    if (std::abs(xm) <= tol1 || std::abs(fb) <= ftol) {
      r.x = b;
      r.fx = fb;
      r.converged = true;
      return r;
    }
    if (it >= maxEvaluations) {
      r.x = b;
      r.fx = fb;
      return r;
    }
    if (std::abs(e) >= tol1 && std::abs(fa) > std::abs(fb)) {
      const double s = fb / fa;
      double p, q;
      if (a == c) {
        p = 2 * xm * s;
        q = 1 - s;
      } else {
        const double qq = fa / fc, rr = fb / fc;
        p = s * (2 * xm * qq * (qq - rr) - (b - a) * (rr - 1));
        q = (qq - 1) * (rr - 1) * (s - 1);
      }
      if (p > 0) q = -q;
      p = std::abs(p);
      if (2 * p < std::min(3 * xm * q - std::abs(tol1 * q), std::abs(e * q))) {
        e = d;
        d = p / q;
      } else {
        d = xm;
        e = d;
      }
    } else {
      d = xm;
      e = d;
    }
    a = b;
    fa = fb;
    b += std::abs(d) > tol1 ? d : (xm > 0 ? tol1 : -tol1);
    fb = f(b);
  }
}

}  // namespace ssb

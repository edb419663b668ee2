#include "physics/Electrochem.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "solver/core/Error.hpp"

namespace ssb::echem {

namespace {

// Safeguarded Newton iteration (Numerical Recipes' rtsafe idea) for an increasing sign change of f on
// [lo, hi]: f < 0 left of the root, f > 0 right of it. A Newton step that leaves the current bracket,
// or does not at least halve the step before last, is replaced by bisection, so the bracket shrinks
// every iteration and the loop ends. fn(x, f, dfdx).
template <class Fn>
double safeguardedNewton(Fn&& fn, double lo, double hi, double x, double tolRel, double tolAbs, int maxIt,
                         int& iterations) {
  if (!(x > lo && x < hi)) x = 0.5 * (lo + hi);
  double f = 0.0, df = 0.0;
  fn(x, f, df);
  double dxOld = hi - lo, dx = dxOld;
  for (iterations = 1; iterations <= maxIt; ++iterations) {
    if (f == 0.0) return x;
    if (f < 0.0)
      lo = x;
    else
      hi = x;
    double xNew = x - f / df;
    const bool newtonOk = df > 0.0 && std::isfinite(xNew) && xNew > lo && xNew < hi &&
                          std::fabs(2.0 * f) <= std::fabs(dxOld * df);
    if (newtonOk) {
      dxOld = dx;
      dx = std::fabs(xNew - x);
    } else {
      dxOld = dx;
      dx = 0.5 * (hi - lo);
      xNew = lo + dx;
    }
    const double tol = tolRel * std::fabs(xNew) + tolAbs;
    if (std::fabs(xNew - x) <= tol || hi - lo <= tol) return xNew;
    x = xNew;
    fn(x, f, df);
  }
  return x;  // the bracket has shrunk maxIt times; x is inside it and finite
}

double sgn(double v) { return v > 0.0 ? 1.0 : (v < 0.0 ? -1.0 : 0.0); }

// Fritsch-Butland slopes with the shape-preserving three-point end formula (as in SciPy's
// PchipInterpolator): monotone data give a monotone interpolant.
std::vector<double> pchipSlopes(const std::vector<double>& x, const std::vector<double>& y) {
  const size_t n = x.size();
  std::vector<double> h(n - 1), m(n - 1), d(n, 0.0);
  for (size_t k = 0; k + 1 < n; ++k) {
    h[k] = x[k + 1] - x[k];
    m[k] = (y[k + 1] - y[k]) / h[k];
  }
  if (n == 2) {
    d[0] = d[1] = m[0];
    return d;
  }
  for (size_t k = 1; k + 1 < n; ++k) {
    if (m[k - 1] * m[k] <= 0.0) continue;  // local extremum or flat: zero slope keeps the shape
    const double w1 = 2.0 * h[k] + h[k - 1], w2 = h[k] + 2.0 * h[k - 1];
    d[k] = (w1 + w2) / (w1 / m[k - 1] + w2 / m[k]);
  }
  auto edge = [](double h0, double h1, double m0, double m1) {
    double e = ((2.0 * h0 + h1) * m0 - h0 * m1) / (h0 + h1);
    if (sgn(e) != sgn(m0))
      e = 0.0;
    else if (sgn(m0) != sgn(m1) && std::fabs(e) > 3.0 * std::fabs(m0))
      e = 3.0 * m0;
    return e;
  };
  d[0] = edge(h[0], h[1], m[0], m[1]);
  d[n - 1] = edge(h[n - 2], h[n - 3], m[n - 2], m[n - 3]);
  return d;
}

// E(z) - 1 and E'(z), E = exp up to kMaxExponent and its tangent line beyond (finite, C1, increasing).
// E - 1 through expm1, so that h = (E(aA f eta) - 1) - (E(-aC f eta) - 1) keeps full relative precision
// near equilibrium (no cancellation of two numbers close to 1).
inline void cappedExpm1(double z, double& em1, double& dedz) {
  constexpr double zMax = ButlerVolmer::kMaxExponent;
  if (z <= zMax) {
    em1 = std::expm1(z);
    dedz = em1 + 1.0;
  } else {
    static const double eMax = std::exp(zMax);
    em1 = eMax * (1.0 + (z - zMax)) - 1.0;
    dedz = eMax;
  }
}

// Inverse of cappedExpm1 for y >= 0: the z >= 0 with E(z) - 1 = y.
inline double cappedLog1p(double y) {
  constexpr double zMax = ButlerVolmer::kMaxExponent;
  static const double eMax = std::exp(zMax);
  return y <= eMax - 1.0 ? std::log1p(y) : zMax + ((1.0 + y) / eMax - 1.0);
}

std::vector<double> grid(double a, double b, int intervals) {
  std::vector<double> x(static_cast<size_t>(intervals) + 1);
  for (int k = 0; k <= intervals; ++k) x[static_cast<size_t>(k)] = a + (b - a) * k / intervals;
  x.back() = b;
  return x;
}

}  // namespace

// ---------------------------------------------------------------------------------------------------
Table1D::Table1D(std::vector<double> x, std::vector<double> y, Extrapolation extrapolation,
                 const std::string& context)
    : m_x(std::move(x)), m_y(std::move(y)), m_extrapolation(extrapolation) {
  if (m_x.size() != m_y.size())
    throwInput("{}: the table has {} x values but {} values; give one value per x", context, m_x.size(),
               m_y.size());
  if (m_x.size() < 2) throwInput("{}: a table needs at least 2 points, got {}", context, m_x.size());
  for (size_t k = 0; k < m_x.size(); ++k) {
    if (!std::isfinite(m_x[k]) || !std::isfinite(m_y[k]))
      throwInput("{}: entry {} is not a finite number", context, k);
    if (k > 0 && !(m_x[k] > m_x[k - 1]))
      throwInput("{}: x must be strictly increasing, but x[{}] = {} follows x[{}] = {}", context, k, m_x[k],
                 k - 1, m_x[k - 1]);
  }
  m_d = pchipSlopes(m_x, m_y);
}

void Table1D::evaluate(double x, double& y, double& dydx) const {
  const size_t n = m_x.size();
  if (x < m_x[0] || x > m_x[n - 1]) {
    const size_t e = x < m_x[0] ? 0 : n - 1;
    if (m_extrapolation == Extrapolation::Constant) {
      y = m_y[e];
      dydx = 0.0;
    } else {
      y = m_y[e] + m_d[e] * (x - m_x[e]);
      dydx = m_d[e];
    }
    return;
  }
  const size_t k =
      std::min(static_cast<size_t>(std::upper_bound(m_x.begin(), m_x.end(), x) - m_x.begin()) - 1, n - 2);
  const double h = m_x[k + 1] - m_x[k];
  const double t = (x - m_x[k]) / h, t2 = t * t, t3 = t2 * t;
  y = (2 * t3 - 3 * t2 + 1) * m_y[k] + (t3 - 2 * t2 + t) * h * m_d[k] + (-2 * t3 + 3 * t2) * m_y[k + 1] +
      (t3 - t2) * h * m_d[k + 1];
  dydx = ((6 * t2 - 6 * t) * m_y[k] + (-6 * t2 + 6 * t) * m_y[k + 1]) / h + (3 * t2 - 4 * t + 1) * m_d[k] +
         (3 * t2 - 2 * t) * m_d[k + 1];
}

double Table1D::value(double x) const {
  double y, d;
  evaluate(x, y, d);
  return y;
}

// ---------------------------------------------------------------------------------------------------
double mohtat2020Nmc532Ocv(double x) {
  // PyBaMM Mohtat2020.py, NMC_ocp_PeymanMPM (commit 1b01e77d): a quintic plus an exponential that makes
  // the steep drop of the discharge end near x -> 1.
  return 4.3452 - 1.6518 * x + 1.6225 * x * x - 2.0843 * std::pow(x, 3) + 3.5146 * std::pow(x, 4) -
         2.2166 * std::pow(x, 5) - 0.5623e-4 * std::exp(109.451 * x - 100.006);
}

double chen2020Nmc811Ocv(double x) {
  // PyBaMM Chen2020.py, nmc_LGM50_ocp_Chen2020 (commit 104a4c3f).
  return -0.8090 * x + 4.4875 - 0.0428 * std::tanh(18.5138 * (x - 0.5542)) -
         17.7326 * std::tanh(15.7890 * (x - 0.3117)) + 17.5842 * std::tanh(15.9308 * (x - 0.3120));
}

const std::vector<std::string>& OcvCurve::builtinNames() {
  static const std::vector<std::string> names = {"mohtat2020_nmc532", "chen2020_nmc811"};
  return names;
}

OcvCurve OcvCurve::builtin(const std::string& name, const std::string& context) {
  // Tabulated once on a uniform grid of 1e-4 in x: the finest feature, the exponential of Mohtat2020
  // (decay length 1/109.45 = 0.009), gets 90 nodes per decay length, so the PCHIP table stays within a
  // few uV of the fit (checked in the tests).
  auto make = [](const std::string& n, double a, double b, double (*fn)(double)) {
    const int intervals = static_cast<int>(std::lround((b - a) / 1e-4));
    std::vector<double> x = grid(a, b, intervals), u(x.size());
    for (size_t k = 0; k < x.size(); ++k) u[k] = fn(x[k]);
    OcvCurve c = fromTable(std::move(x), std::move(u), "built-in OCV " + n);
    c.m_name = n;
    return c;
  };
  if (name == "mohtat2020_nmc532") {
    static const OcvCurve c = make(name, 0.0, 1.0, mohtat2020Nmc532Ocv);
    return c;
  }
  if (name == "chen2020_nmc811") {
    static const OcvCurve c = make(name, 0.2, 1.0, chen2020Nmc811Ocv);
    return c;
  }
  std::string known;
  for (const auto& n : builtinNames()) known += (known.empty() ? "" : ", ") + n;
  throwInput("{}: unknown built-in OCV '{}' (built-in: {}; or `table` with ocv_table)", context, name, known);
}

OcvCurve OcvCurve::fromTable(std::vector<double> x, std::vector<double> voltage, const std::string& context) {
  for (size_t k = 0; k < x.size(); ++k)
    if (x[k] < 0.0 || x[k] > 1.0) throwInput("{}.x[{}]: Li fraction {} is outside [0, 1]", context, k, x[k]);
  for (size_t k = 1; k < voltage.size() && k < x.size(); ++k)
    if (!(voltage[k] < voltage[k - 1]))
      throwInput(
          "{}.voltage: the OCV must decrease strictly with x (delithiation raises it), but U = {} V at x = "
          "{} "
          "follows U = {} V at x = {}; a flat or rising segment makes the state of charge ambiguous",
          context, voltage[k], x[k], voltage[k - 1], x[k - 1]);
  OcvCurve c;
  c.m_table = Table1D(std::move(x), std::move(voltage), Table1D::Extrapolation::Linear, context);
  c.m_name = "table";
  return c;
}

std::optional<double> OcvCurve::xAtVoltage(double u) const {
  if (!(u <= voltageMax() && u >= voltageMin())) return std::nullopt;
  double lo = xMin(), hi = xMax();
  for (int it = 0; it < 200 && hi - lo > 1e-15; ++it) {
    const double mid = 0.5 * (lo + hi);
    if (value(mid) > u)
      lo = mid;
    else
      hi = mid;
  }
  return 0.5 * (lo + hi);
}

// ---------------------------------------------------------------------------------------------------
Property Property::constant(double value) {
  Property p;
  p.m_constant = value;
  return p;
}

Property Property::table(std::vector<double> x, std::vector<double> values, const std::string& context) {
  for (size_t k = 0; k < values.size(); ++k)
    if (!(values[k] > 0.0))
      throwInput("{}.value[{}]: {} is not positive; a transport coefficient must be > 0 everywhere", context,
                 k, values[k]);
  std::vector<double> logs(values.size());
  for (size_t k = 0; k < values.size(); ++k) logs[k] = std::log(values[k]);
  Property p;
  p.m_log = Table1D(std::move(x), std::move(logs), Table1D::Extrapolation::Constant, context);
  return p;
}

void Property::evaluate(double x, double& v, double& dvdx) const {
  if (isConstant()) {
    v = m_constant;
    dvdx = 0.0;
    return;
  }
  double l, dl;
  m_log.evaluate(x, l, dl);
  v = std::exp(l);
  dvdx = v * dl;
}

double Property::value(double x) const {
  double v, d;
  evaluate(x, v, d);
  return v;
}

double arrheniusFactor(double activationEnergy, double temperature, double referenceTemperature) {
  return std::exp(-(activationEnergy / kBoltzmann) * (1.0 / temperature - 1.0 / referenceTemperature));
}

void ExchangeCurrent::evaluate(double x, double& i0, double& di0dx) const {
  if (form == Form::Constant) {
    i0 = value;
    di0dx = 0.0;
    return;
  }
  if (!(x > 0.0 && x < 1.0)) {
    i0 = di0dx = 0.0;
    return;
  }
  const double s = std::sqrt(x * (1.0 - x));
  i0 = value * s;
  di0dx = value * (1.0 - 2.0 * x) / (2.0 * s);
}

// ---------------------------------------------------------------------------------------------------
ButlerVolmer::ButlerVolmer(double aA, double aC, double temperature)
    : alphaA(aA), alphaC(aC), f(faradayOverRT(temperature)) {}

void ButlerVolmer::evaluate(double eta, double& h, double& dhdeta) const {
  double ea, dea, ec, dec;
  cappedExpm1(alphaA * f * eta, ea, dea);
  cappedExpm1(-alphaC * f * eta, ec, dec);
  h = ea - ec;
  dhdeta = alphaA * f * dea + alphaC * f * dec;
}

double ButlerVolmer::current(double i0, double eta) const {
  double h, dh;
  evaluate(eta, h, dh);
  return i0 * h;
}

double ButlerVolmer::overpotential(double i, double i0) const {
  if (!std::isfinite(i0) || !std::isfinite(i))
    throwRun("Butler-Volmer: non-finite current {} A/m^2 or exchange current {} A/m^2", i, i0);
  if (i == 0.0) return 0.0;
  if (!(i0 > 0.0))
    throwRun("Butler-Volmer: no overpotential carries {} A/m^2 through an exchange current of {} A/m^2", i,
             i0);
  const double y = i / i0;
  // Bracket from h(eta) >= E(alpha_a f eta) - 1 for eta >= 0 (and the mirror for eta <= 0).
  double lo, hi;
  if (y > 0.0) {
    lo = 0.0;
    hi = cappedLog1p(y) / (alphaA * f);
  } else {
    lo = -cappedLog1p(-y) / (alphaC * f);
    hi = 0.0;
  }
  int it = 0;
  auto fn = [&](double eta, double& r, double& dr) {
    double h, dh;
    evaluate(eta, h, dh);
    r = h - y;
    dr = dh;
  };
  return safeguardedNewton(fn, lo, hi, y > 0.0 ? hi : lo, 1e-15, 1e-15 / f, 400, it);
}

// ---------------------------------------------------------------------------------------------------
InterfaceKinetics::InterfaceKinetics(const ActiveMaterial& active, double electrolyteConductivity,
                                     double temperature)
    : m_active(&active), m_kappa(electrolyteConductivity), m_bv(active.alphaA, active.alphaC, temperature) {
  if (!(electrolyteConductivity > 0.0) || !(temperature > 0.0) || !(active.cMax > 0.0) ||
      !(active.alphaA > 0.0) || !(active.alphaC > 0.0))
    throwRun("InterfaceKinetics: kappa, T, c_max and both transfer coefficients must be positive");
}

// Why the root is unique (the reason a safeguarded Newton on one bracket suffices):
//   g(i) = i - i0(x_s) h(eta),  x_s = x_N - q i,  eta = a - r i - U(x_s),  U' <= 0, h' > 0,
//   g'(i) = 1 + q i0'(x_s) h(eta) + i0 h'(eta) (r - q U'(x_s)).
// The last term is >= 0. Constant i0: i0' = 0, so g' >= 1 everywhere. i0 = k sqrt(x(1-x)): at a root
// h = i / i0, so q i0' h = q i (1 - 2 x_s) / (2 x_s (1 - x_s)) with q i = x_N - x_s. It is negative only
// when i > 0 and x_s > 1/2, where it is >= -(x_N - x_s) / (2 (1 - x_s)) > -1/2 because x_N <= 1, or
// when i < 0 and x_s < 1/2, where it is >= -(x_s - x_N) / (2 x_s) > -1/2 because x_N >= 0. So g' > 1/2
// at every root: g crosses zero upward only, hence at most once.
FaceCurrent InterfaceKinetics::faceCurrent(double a, double xN, double h) const {
  if (!std::isfinite(a) || !std::isfinite(xN) || !std::isfinite(h) || h < 0.0)
    throwRun("interface current: non-finite or invalid input (a = {} V, x = {}, h = {} m)", a, xN, h);
  const ActiveMaterial& am = *m_active;
  const bool clamped = xN < 0.0 || xN > 1.0;
  const double x = std::clamp(xN, 0.0, 1.0);
  double sig, dsig, D, dD;
  am.conductivity.evaluate(x, sig, dsig);
  am.diffusivity.evaluate(x, D, dD);
  FaceCurrent out;

  // Continuum form: explicit.
  if (h == 0.0) {
    double U, dU, i0, di0, hh, dh;
    am.ocv.evaluate(x, U, dU);
    am.exchange.evaluate(x, i0, di0);
    out.eta = a - U;
    m_bv.evaluate(out.eta, hh, dh);
    out.i = i0 * hh;
    out.di_da = i0 * dh;
    out.di_dx = clamped ? 0.0 : di0 * hh - i0 * dh * dU;
    out.xSurface = x;
    return out;
  }

  const double r = h / (2.0 * sig) + h / (2.0 * m_kappa);  // ohmic half-cells [Ohm m^2]
  const double q = h / (2.0 * kFaraday * am.cMax * D);     // [m^2/A]: x_s = x_N - q i
  const double drdx = -h * dsig / (2.0 * sig * sig);
  const double dqdx = -q * dD / D;

  struct Eval {
    double xs, eta, i0, di0, U, dU, hh, dh, g, dg;
  };
  auto eval = [&](double i, Eval& e) {
    e.xs = x - q * i;
    am.ocv.evaluate(e.xs, e.U, e.dU);
    am.exchange.evaluate(e.xs, e.i0, e.di0);
    e.eta = a - r * i - e.U;
    m_bv.evaluate(e.eta, e.hh, e.dh);
    e.g = i - e.i0 * e.hh;
    e.dg = 1.0 + q * e.di0 * e.hh + e.i0 * e.dh * (r - q * e.dU);
  };

  // Sign of g next to a bracket end (x_s -> 1 at lo, x_s -> 0 at hi). Where i0 vanishes at the end
  // (sqrt form) g -> i_end; if also i_end = 0 (x_N at that end), g ~ -k sqrt(q |i|) h(eta_end) dominates.
  const double lo = (x - 1.0) / q, hi = x / q;
  auto endSign = [&](double iEnd, double xsEnd, bool atLo) {
    double U, dU, i0, di0, hh, dh;
    am.ocv.evaluate(xsEnd, U, dU);
    am.exchange.evaluate(xsEnd, i0, di0);
    const double eta = a - r * iEnd - U;
    if (i0 > 0.0) {
      m_bv.evaluate(eta, hh, dh);
      return sgn(iEnd - i0 * hh);
    }
    if (iEnd != 0.0) return sgn(iEnd);
    if (eta != 0.0) return eta > 0.0 ? -1.0 : 1.0;
    return atLo ? 1.0 : -1.0;  // eta(i) moves against the current: g has the sign of i
  };
  auto limit = [&](double iEnd, double xsEnd, double dEnd) {
    double U, dU;
    am.ocv.evaluate(xsEnd, U, dU);
    out.i = iEnd;
    out.xSurface = xsEnd;
    out.eta = a - r * iEnd - U;
    out.di_da = 0.0;
    out.di_dx = clamped ? 0.0 : dEnd;
    out.limited = true;
    return out;
  };
  if (endSign(lo, 1.0, true) >= 0.0) return limit(lo, 1.0, 1.0 / q - (x - 1.0) * dqdx / (q * q));
  if (endSign(hi, 0.0, false) <= 0.0) return limit(hi, 0.0, 1.0 / q - x * dqdx / (q * q));

  // Initial guess: the smaller in magnitude of the explicit BV current and the linearised series
  // estimate (a - U) / (R_ct + r + q |U'|); both carry the sign of a - U(x_N).
  double guess;
  {
    double U, dU, i0, di0, hh, dh;
    am.ocv.evaluate(x, U, dU);
    am.exchange.evaluate(x, i0, di0);
    m_bv.evaluate(a - U, hh, dh);
    const double explicitI = i0 * hh;
    const double lin = i0 > 0.0 ? (a - U) / (1.0 / (i0 * dh) + r - q * dU) : 0.0;
    guess = std::fabs(lin) < std::fabs(explicitI) ? lin : explicitI;
  }
  double i0N, di0N;
  am.exchange.evaluate(x, i0N, di0N);
  Eval e{};
  auto fn = [&](double i, double& g, double& dg) {
    eval(i, e);
    g = e.g;
    dg = e.dg;
  };
  const double tolAbs = 1e-14 * std::max(i0N, am.exchange.value) + std::numeric_limits<double>::min();
  const double i = safeguardedNewton(fn, lo, hi, guess, 1e-14, tolAbs, 400, out.iterations);
  eval(i, e);
  const double dg = std::max(e.dg, 0.5);  // >= 1/2 at a root (above); guards only against round-off
  out.i = i;
  out.xSurface = e.xs;
  out.eta = e.eta;
  out.di_da = e.i0 * e.dh / dg;
  if (!clamped) {
    const double dxs = 1.0 - i * dqdx;           // d x_s / d x_N
    const double deta = -i * drdx - e.dU * dxs;  // d eta / d x_N
    out.di_dx = (e.di0 * dxs * e.hh + e.i0 * e.dh * deta) / dg;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
void CellModel::counterOverpotential(double current, double& eta, double& detadI) const {
  if (!(counterExchangeCurrent > 0.0)) {
    eta = detadI = 0.0;
    return;
  }
  const double b = 2.0 / faradayOverRT(temperature);  // 2 R T / F
  const double s = 2.0 * cellArea * counterExchangeCurrent;
  eta = b * std::asinh(current / s);
  detadI = b / (s * std::sqrt(1.0 + (current / s) * (current / s)));
}

double CellModel::voltageVsLi(double phiCc, double current) const {
  double eta, d;
  counterOverpotential(current, eta, d);
  return phiCc + current * separatorResistance + eta;
}

double CellModel::dVoltagedCurrent(double current) const {
  double eta, d;
  counterOverpotential(current, eta, d);
  return separatorResistance + d;
}

double CellModel::collectorPotential(double voltage, double current) const {
  double eta, d;
  counterOverpotential(current, eta, d);
  return voltage - current * separatorResistance - eta;
}

}  // namespace ssb::echem

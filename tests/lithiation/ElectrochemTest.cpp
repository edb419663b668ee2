// Electrochemistry kernels (physics/Electrochem): PCHIP tables, OCV stand-ins against values evaluated
// independently from the PyBaMM fits, transport properties, Arrhenius, Butler-Volmer limits, the per-face
// interface solve (finite-difference derivatives, analytic limits, pathological inputs) and the cell
// model. Every expected number is either derived in a comment or computed outside the code under test.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <random>

#include "physics/Electrochem.hpp"
#include "solver/core/Error.hpp"
#include "solver/core/Units.hpp"

using namespace ssb;
using namespace ssb::echem;

namespace {

constexpr double kT = 298.15;

ActiveMaterial material(ExchangeCurrent::Form form = ExchangeCurrent::Form::SqrtX, double aA = 0.5,
                        double aC = 0.5) {
  ActiveMaterial m;
  m.ocv = OcvCurve::builtin("mohtat2020_nmc532", "test");
  // x-dependent D_s and sigma_s so that the x_N-derivative of the half-cells is exercised.
  m.diffusivity = Property::table({0.0, 0.3, 0.6, 1.0}, {2e-14, 8e-15, 5e-15, 1e-15}, "D");
  m.conductivity = Property::table({0.0, 0.5, 1.0}, {3.0, 0.6, 0.05}, "sigma");
  m.exchange = {form, 5.4};
  m.alphaA = aA;
  m.alphaC = aC;
  m.cMax = 47473.5;
  return m;
}

std::string messageOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(Units, ElectronVolt) {
  // 1 eV = e * 1 V = 1.602176634e-19 J (exact since 2019).
  EXPECT_DOUBLE_EQ(parseQuantity("0.37 eV", "J", "t"), 0.37 * 1.602176634e-19);
  EXPECT_DOUBLE_EQ(parseQuantity("370 meV", "J", "t"), 0.37 * 1.602176634e-19);
  EXPECT_DOUBLE_EQ(parseQuantity("1 eV", "eV", "t"), 1.602176634e-19);  // SI value either way
  EXPECT_THROW(parseQuantity("0.37 eV", "V", "t"), InputError);         // energy is not a potential
}

TEST(Table1D, ReproducesLinearDataAndNodes) {
  Table1D t({0.0, 0.1, 0.35, 0.4, 1.0}, {1.0, 1.2, 1.7, 1.8, 3.0}, Table1D::Extrapolation::Linear, "t");
  // y = 1 + 2 x: every PCHIP slope equals 2, so the interpolant is the line itself.
  for (double x = -0.2; x <= 1.2; x += 0.013) {
    double y, d;
    t.evaluate(x, y, d);
    EXPECT_NEAR(y, 1.0 + 2.0 * x, 1e-14);
    EXPECT_NEAR(d, 2.0, 1e-12);
  }
  Table1D c({0.0, 1.0}, {5.0, 7.0}, Table1D::Extrapolation::Constant, "c");
  EXPECT_DOUBLE_EQ(c.value(-1.0), 5.0);
  EXPECT_DOUBLE_EQ(c.value(2.0), 7.0);
}

TEST(Table1D, MonotoneWithoutOvershootAndConsistentDerivative) {
  // Step-like monotone data: a cubic spline overshoots here; PCHIP must stay within the data and monotone.
  std::vector<double> x = {0, 1, 2, 3, 3.1, 3.2, 5, 6}, y = {0, 0, 0.01, 0.5, 0.99, 1, 1, 1};
  Table1D t(x, y, Table1D::Extrapolation::Constant, "t");
  double prev = -1.0;
  for (double s = 0.0; s <= 6.0; s += 1e-3) {
    double v, d;
    t.evaluate(s, v, d);
    EXPECT_GE(v, prev - 1e-15);
    EXPECT_GE(v, -1e-15);
    EXPECT_LE(v, 1.0 + 1e-15);
    prev = v;
    if (s > 1e-3 && s < 6.0 - 1e-3) {  // derivative = central difference of the value
      const double fd = (t.value(s + 1e-7) - t.value(s - 1e-7)) / 2e-7;
      EXPECT_NEAR(d, fd, 1e-5 * std::max(1.0, std::fabs(d)));
    }
  }
  for (size_t k = 0; k < x.size(); ++k) EXPECT_DOUBLE_EQ(t.value(x[k]), y[k]);
}

TEST(Table1D, ThirdOrderOnSmoothData) {
  // sin on [0, 1]: the PCHIP error falls like h^3 (Fritsch-Butland slopes are second-order accurate).
  auto maxErr = [](int n) {
    std::vector<double> x(n + 1), y(n + 1);
    for (int k = 0; k <= n; ++k) {
      x[k] = static_cast<double>(k) / n;
      y[k] = std::sin(x[k]);
    }
    Table1D t(x, y, Table1D::Extrapolation::Linear, "t");
    double e = 0.0;
    for (double s = 0.0; s <= 1.0; s += 1e-4) e = std::max(e, std::fabs(t.value(s) - std::sin(s)));
    return e;
  };
  const double e1 = maxErr(20), e2 = maxErr(40), e3 = maxErr(80);
  EXPECT_GT(std::log2(e1 / e2), 2.7);
  EXPECT_GT(std::log2(e2 / e3), 2.7);
}

TEST(Table1D, RejectsBadTables) {
  EXPECT_NE(messageOf([] {
              Table1D({0, 0.5, 0.5}, {1, 2, 3}, Table1D::Extrapolation::Linear, "tab");
            }).find("strictly increasing"),
            std::string::npos);
  EXPECT_NE(messageOf([] {
              Table1D({0, 1}, {1, 2, 3}, Table1D::Extrapolation::Linear, "tab");
            }).find("one value per x"),
            std::string::npos);
  EXPECT_NE(messageOf([] { Table1D({0}, {1}, Table1D::Extrapolation::Linear, "tab"); }).find("at least 2"),
            std::string::npos);
  EXPECT_NE(messageOf([] {
              Table1D({0, NAN}, {1, 2}, Table1D::Extrapolation::Linear, "tab");
            }).find("not a finite"),
            std::string::npos);
}

TEST(Ocv, BuiltinsMatchTheFitsEvaluatedIndependently) {
  // Values of the PyBaMM fits evaluated with Python's math module from the formulas in
  // PyBaMM src/pybamm/input/parameters/lithium_ion/Mohtat2020.py (NMC_ocp_PeymanMPM) and Chen2020.py
  // (nmc_LGM50_ocp_Chen2020); the research note's table agrees to its 3 decimals.
  const OcvCurve mo = OcvCurve::builtin("mohtat2020_nmc532", "t");
  const std::vector<std::pair<double, double>> moRef = {{0.0, 4.345200},  {0.25, 4.012653}, {0.5, 3.814781},
                                                        {0.75, 3.725724}, {0.9, 3.650387},  {0.97, 3.548600},
                                                        {0.99, 3.307903}, {1.0, 2.818584}};
  for (auto [x, u] : moRef) {
    EXPECT_NEAR(mohtat2020Nmc532Ocv(x), u, 1e-6) << x;
    EXPECT_NEAR(mo.value(x), u, 1e-6) << x;
  }
  const OcvCurve ch = OcvCurve::builtin("chen2020_nmc811", "t");
  const std::vector<std::pair<double, double>> chRef = {{0.2, 4.468983},  {0.25, 4.336596}, {0.5, 3.971959},
                                                        {0.75, 3.689615}, {0.9, 3.568200},  {1.0, 3.487300}};
  for (auto [x, u] : chRef) EXPECT_NEAR(ch.value(x), u, 1e-6) << x;
  EXPECT_DOUBLE_EQ(ch.xMin(), 0.2);
  EXPECT_DOUBLE_EQ(ch.xMax(), 1.0);
  // Table vs fit everywhere in between, value and slope (the exponential of Mohtat2020 near x = 1 is the
  // hardest part: slope -78 V per unit x at x = 1).
  double eMax = 0.0, dMax = 0.0;
  for (double x = 0.0; x <= 1.0; x += 1.37e-5) {
    double u, du;
    mo.evaluate(x, u, du);
    eMax = std::max(eMax, std::fabs(u - mohtat2020Nmc532Ocv(x)));
    const double fd =
        (mohtat2020Nmc532Ocv(std::min(x + 1e-7, 1.0)) - mohtat2020Nmc532Ocv(std::max(x - 1e-7, 0.0))) /
        (std::min(x + 1e-7, 1.0) - std::max(x - 1e-7, 0.0));
    dMax = std::max(dMax, std::fabs(du - fd) / std::max(1.0, std::fabs(fd)));
    EXPECT_LT(du, 0.0);
  }
  EXPECT_LT(eMax, 2e-6);
  EXPECT_LT(dMax, 2e-3);
  double eChen = 0.0;
  for (double x = 0.2; x <= 1.0; x += 1.37e-5)
    eChen = std::max(eChen, std::fabs(ch.value(x) - chen2020Nmc811Ocv(x)));
  EXPECT_LT(eChen, 2e-6);
  // The charge end of the thesis window: U = 4.3 V at x = 0.02811372 (Python bisection on the fit).
  EXPECT_NEAR(*mo.xAtVoltage(4.3), 0.02811372, 1e-7);
  EXPECT_NEAR(*ch.xAtVoltage(4.3), 0.26133977, 1e-7);
  EXPECT_FALSE(mo.xAtVoltage(2.7).has_value());  // U(1) = 2.8186 V: never reaches 2.7 V
  EXPECT_NE(
      messageOf([] { OcvCurve::builtin("nmc622_magic", "studies[0].active.ocv"); }).find("nmc622_magic"),
      std::string::npos);
}

TEST(Ocv, UserTableChecks) {
  const OcvCurve c = OcvCurve::fromTable({0.1, 0.5, 0.9}, {4.2, 3.8, 3.6}, "ocv_table");
  EXPECT_NEAR(c.value(0.5), 3.8, 1e-15);
  EXPECT_NEAR(*c.xAtVoltage(3.8), 0.5, 1e-12);
  EXPECT_NEAR(c.value(0.0), 4.2 + 0.1 * (4.2 - c.value(0.1 + 1e-9)) / 1e-9, 1e-6);  // linear continuation
  EXPECT_NE(messageOf([] {
              OcvCurve::fromTable({0.1, 0.5, 0.9}, {4.2, 3.8, 3.9}, "a.ocv_table");
            }).find("a.ocv_table.voltage: the OCV must decrease strictly"),
            std::string::npos);
  EXPECT_NE(messageOf([] {
              OcvCurve::fromTable({0.1, 0.5, 0.9}, {4.2, 4.2, 3.9}, "a.ocv_table");
            }).find("decrease strictly"),
            std::string::npos);
  EXPECT_NE(messageOf([] {
              OcvCurve::fromTable({0.1, 0.5, 1.2}, {4.2, 3.8, 3.5}, "a.ocv_table");
            }).find("a.ocv_table.x[2]"),
            std::string::npos);
}

TEST(Property, ConstantAndLogTable) {
  const Property c = Property::constant(8e-15);
  double v, d;
  c.evaluate(0.3, v, d);
  EXPECT_EQ(v, 8e-15);
  EXPECT_EQ(d, 0.0);
  // sigma = 1e-7 * 10^(5 x) is linear in log: the log-space PCHIP reproduces it exactly, across 5 decades.
  const Property t =
      Property::table({0.0, 0.25, 0.5, 1.0},
                      {1e-7, 1e-7 * std::pow(10.0, 1.25), 1e-7 * std::pow(10.0, 2.5), 1e-2}, "sigma_table");
  for (double x = 0.0; x <= 1.0; x += 0.01) {
    t.evaluate(x, v, d);
    const double exact = 1e-7 * std::pow(10.0, 5.0 * x);
    EXPECT_NEAR(v / exact, 1.0, 1e-12);
    EXPECT_NEAR(d / (exact * 5.0 * std::log(10.0)), 1.0, 1e-9);
  }
  EXPECT_DOUBLE_EQ(t.value(-0.5), 1e-7);  // held constant outside
  EXPECT_DOUBLE_EQ(t.value(1.5), 1e-2);
  EXPECT_NE(messageOf([] {
              Property::table({0, 1}, {1e-14, 0.0}, "active.diffusivity_table");
            }).find("active.diffusivity_table.value[1]"),
            std::string::npos);
}

TEST(Arrhenius, AgainstElectronVoltForm) {
  EXPECT_DOUBLE_EQ(arrheniusFactor(0.37 * kElementaryCharge, 298.15, 298.15), 1.0);
  // exp((E_a / k_B)(1/298.15 - 1/333.15)) with k_B = 8.617333262e-5 eV/K and E_a = 0.37 eV: 4.5400675543
  // (Python). LPS at 60 C conducts 4.5 times better than at 25 C.
  EXPECT_NEAR(arrheniusFactor(0.37 * kElementaryCharge, 333.15, 298.15), 4.5400675543, 1e-8);
}

TEST(ExchangeCurrent, FormsAndEnds) {
  ExchangeCurrent c{ExchangeCurrent::Form::Constant, 2.0};
  double i0, d;
  c.evaluate(0.3, i0, d);
  EXPECT_EQ(i0, 2.0);
  ExchangeCurrent s{ExchangeCurrent::Form::SqrtX, 5.4};
  s.evaluate(0.5, i0, d);
  EXPECT_DOUBLE_EQ(i0, 2.7);  // k sqrt(1/4)
  EXPECT_NEAR(d, 0.0, 1e-15);
  for (double x : {0.01, 0.2, 0.7, 0.999}) {
    s.evaluate(x, i0, d);
    double p, m, dd;
    s.evaluate(x + 1e-8, p, dd);
    s.evaluate(x - 1e-8, m, dd);
    EXPECT_NEAR(d, (p - m) / 2e-8, 1e-5 * std::fabs(d) + 1e-6);
  }
  for (double x : {0.0, 1.0, -0.1, 1.1}) {
    s.evaluate(x, i0, d);
    EXPECT_EQ(i0, 0.0);
    EXPECT_EQ(d, 0.0);
  }
}

TEST(ButlerVolmer, LinearAndTafelLimits) {
  const double f = kFaraday / (kGasConstant * kT);  // 38.92 1/V
  EXPECT_NEAR(f, 38.9217, 1e-3);
  for (auto [aA, aC] : {std::pair{0.5, 0.5}, std::pair{0.3, 0.7}}) {
    const ButlerVolmer bv(aA, aC, kT);
    const double i0 = 2.0;
    // Linear regime: exp(a f eta) - exp(-c f eta) = (a + c) f eta + (a^2 - c^2) (f eta)^2 / 2 + O(eta^3),
    // so i / (i0 (a + c) f eta) = 1 + (a - c) f eta / 2 + O((f eta)^2).
    for (double eta : {1e-5, -3e-6, 1e-9, 1e-14}) {
      EXPECT_NEAR(bv.current(i0, eta) / (i0 * f * eta * (aA + aC)), 1.0 + (aA - aC) * f * eta / 2,
                  (f * eta) * (f * eta) + 1e-14);
    }
    // Tafel: for f eta >> 1 the cathodic term is exp(-(a + c) f eta) relative to the anodic one.
    for (double e : {0.3, 0.5}) {
      EXPECT_NEAR(bv.current(i0, e) / (i0 * std::exp(aA * f * e)), 1.0, 2.0 * std::exp(-(aA + aC) * f * e));
      EXPECT_NEAR(bv.current(i0, -e) / (-i0 * std::exp(aC * f * e)), 1.0, 2.0 * std::exp(-(aA + aC) * f * e));
    }
    // Inverse: round trip over 30 decades of current.
    for (double i : {-1e20, -1e3, -1.0, -1e-9, 1e-12, 1e-3, 0.5, 30.0, 1e6, 1e25}) {
      const double e = bv.overpotential(i, i0);
      EXPECT_NEAR(bv.current(i0, e) / i, 1.0, 1e-12) << i;
      EXPECT_TRUE(std::isfinite(e));
    }
  }
  // Symmetric case in closed form: i = 2 i0 sinh(alpha f eta) -> eta = asinh(i / (2 i0)) / (alpha f).
  const ButlerVolmer sym(0.5, 0.5, kT);
  for (double i : {-40.0, -0.1, 0.02, 3.0, 500.0})
    EXPECT_NEAR(sym.overpotential(i, 1.5), std::asinh(i / 3.0) / (0.5 * f), 1e-13);
  // No overflow, no NaN, even at absurd overpotentials (beyond exponent 300 the exponential is
  // continued by its tangent line: finite and increasing).
  for (double e : {-1e6, -100.0, 100.0, 1e6}) {
    double h, dh;
    sym.evaluate(e, h, dh);
    EXPECT_TRUE(std::isfinite(h) && std::isfinite(dh));
    EXPECT_GT(dh, 0.0);
    EXPECT_EQ(h > 0.0, e > 0.0);
  }
  EXPECT_EQ(sym.overpotential(0.0, 0.0), 0.0);
  EXPECT_THROW(sym.overpotential(1.0, 0.0), RunError);
}

TEST(InterfaceCurrent, ContinuumFormIsExplicitButlerVolmer) {
  const ActiveMaterial m = material();
  const InterfaceKinetics k(m, 0.03, kT);
  for (double x : {0.05, 0.5, 0.95})
    for (double over : {-0.2, -1e-3, 0.0, 0.01, 0.3}) {
      const double a = m.ocv.value(x) + over;
      const FaceCurrent r = k.faceCurrent(a, x, 0.0);
      const double i0 = 5.4 * std::sqrt(x * (1 - x));
      EXPECT_NEAR(r.i, k.butlerVolmer().current(i0, over), 1e-12 * (1 + std::fabs(r.i)));
      EXPECT_DOUBLE_EQ(r.xSurface, x);
    }
}

TEST(InterfaceCurrent, LinearRegimeIsASeriesResistance) {
  // Near equilibrium every element is linear: BV is a charge-transfer resistance R_ct = 1/(i0 f (aA + aC)),
  // the half-cells add r = h/(2 sigma) + h/(2 kappa), and the Li half-cell shifts the OCV by
  // U'(x) * (-q i) with q = h/(2 F c_max D): i = (a - U(x_N)) / (R_ct + r + q |U'|).
  for (auto alphas : {std::pair{0.5, 0.5}, std::pair{0.2, 0.8}}) {
    const ActiveMaterial m = material(ExchangeCurrent::Form::SqrtX, alphas.first, alphas.second);
    const InterfaceKinetics k(m, 0.03, kT);
    const double f = faradayOverRT(kT);
    for (double x : {0.1, 0.5, 0.9})
      for (double h : {1e-7, 1e-6, 2e-5}) {
        double U, dU;
        m.ocv.evaluate(x, U, dU);
        const double i0 = 5.4 * std::sqrt(x * (1 - x));
        const double Rct = 1.0 / (i0 * f * (alphas.first + alphas.second));
        const double r = h / (2 * m.conductivity.value(x)) + h / (2 * 0.03);
        const double q = h / (2 * kFaraday * m.cMax * m.diffusivity.value(x));
        const double expected = 1e-6 / (Rct + r - q * dU);
        const FaceCurrent res = k.faceCurrent(U + 1e-6, x, h);
        EXPECT_NEAR(res.i / expected, 1.0, 2e-4) << x << " " << h;
        EXPECT_FALSE(res.limited);
      }
  }
}

TEST(InterfaceCurrent, TafelRegimeSolvesTheImplicitEquation) {
  // Far from equilibrium the anodic branch dominates: the solution satisfies
  //   i = i0(x_s) exp(aA f (a - r i - U(x_s))),  x_s = x_N - q i,
  // to within the relative size exp(-(aA + aC) f eta) of the neglected cathodic term.
  const ActiveMaterial m = material(ExchangeCurrent::Form::SqrtX, 0.4, 0.6);
  const InterfaceKinetics k(m, 0.03, kT);
  const double f = faradayOverRT(kT);
  const double x = 0.5, h = 5e-7;
  for (double drive : {0.25, 0.4, 0.6}) {
    const double a = m.ocv.value(x) + drive;
    const FaceCurrent res = k.faceCurrent(a, x, h);
    const double r = h / (2 * m.conductivity.value(x)) + h / (2 * 0.03);
    const double q = h / (2 * kFaraday * m.cMax * m.diffusivity.value(x));
    const double xs = x - q * res.i;
    EXPECT_NEAR(res.xSurface, xs, 1e-14);
    const double tafel =
        5.4 * std::sqrt(xs * (1 - xs)) * std::exp(0.4 * f * (a - r * res.i - m.ocv.value(xs)));
    EXPECT_NEAR(res.i / tafel, 1.0, 1e-9 + 2 * std::exp(-f * res.eta)) << drive;
    EXPECT_GT(res.eta, 0.1);
    EXPECT_LT(res.eta, drive);  // the half-cells take part of the drive
  }
}

TEST(InterfaceCurrent, DerivativesMatchFiniteDifferences) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> ux(0.02, 0.98), uo(-0.35, 0.35), uh(-8, -4.3);
  for (auto form : {ExchangeCurrent::Form::SqrtX, ExchangeCurrent::Form::Constant})
    for (auto alphas : {std::pair{0.5, 0.5}, std::pair{0.3, 0.7}}) {
      const ActiveMaterial m = material(form, alphas.first, alphas.second);
      const InterfaceKinetics k(m, 0.03, kT);
      for (int n = 0; n < 150; ++n) {
        const double x = ux(rng), h = std::pow(10.0, uh(rng));
        const double a = m.ocv.value(x) + uo(rng);
        const FaceCurrent r = k.faceCurrent(a, x, h);
        if (r.limited) continue;
        const double da = 1e-7, dx = 1e-7;
        const double fdA = (k.faceCurrent(a + da, x, h).i - k.faceCurrent(a - da, x, h).i) / (2 * da);
        const double fdX = (k.faceCurrent(a, x + dx, h).i - k.faceCurrent(a, x - dx, h).i) / (2 * dx);
        const double scale = std::fabs(r.i) / 1e-3 + 1e-6;  // |di/dx| ~ |i| / 1e-3 near the steep OCV
        EXPECT_NEAR(r.di_da, fdA, 1e-5 * std::fabs(fdA) + 1e-9) << x << " " << a << " " << h;
        EXPECT_NEAR(r.di_dx, fdX, 1e-5 * std::fabs(fdX) + 1e-7 * scale) << x << " " << a << " " << h;
        // and the solution is a root of g, increasing in a
        EXPECT_GT(r.di_da, 0.0);
      }
    }
}

TEST(InterfaceCurrent, MonotoneInDriveAndSignConsistent) {
  const ActiveMaterial m = material();
  const InterfaceKinetics k(m, 0.03, kT);
  for (double x : {0.03, 0.5, 0.97}) {
    double prev = -1e300;
    for (double over = -1.0; over <= 1.0; over += 0.01) {
      const FaceCurrent r = k.faceCurrent(m.ocv.value(x) + over, x, 1e-6);
      EXPECT_GE(r.i, prev - 1e-13 * std::fabs(prev));  // (flat, not falling, where depletion limits i)
      EXPECT_GE(r.i * r.eta, 0.0);                     // current flows with the overpotential
      prev = r.i;
    }
  }
}

TEST(InterfaceCurrent, PathologicalInputsStayFinite) {
  for (auto form : {ExchangeCurrent::Form::SqrtX, ExchangeCurrent::Form::Constant}) {
    ActiveMaterial m = material(form, 0.5, 0.5);
    const InterfaceKinetics k(m, 0.03, kT);
    ActiveMaterial slow = m;  // tiny D: the depletion limit binds at moderate drive
    slow.diffusivity = Property::constant(1e-25);
    const InterfaceKinetics ks(slow, 1e-6, kT);
    for (const InterfaceKinetics* kin : {&k, &ks})
      for (double x : {-0.5, 0.0, 1e-300, 1e-15, 1e-6, 0.5, 1.0 - 1e-12, 1.0 - 1e-16, 1.0, 1.5})
        for (double a : {-1e4, -100.0, -3.0, 0.0, 2.8, 3.7, 4.3, 6.0, 100.0, 1e4})
          for (double h : {0.0, 1e-12, 1e-7, 1e-3, 1.0}) {
            const FaceCurrent r = kin->faceCurrent(a, x, h);
            EXPECT_TRUE(std::isfinite(r.i) && std::isfinite(r.di_da) && std::isfinite(r.di_dx) &&
                        std::isfinite(r.eta) && std::isfinite(r.xSurface))
                << x << " " << a << " " << h;
            EXPECT_GE(r.xSurface, 0.0);
            EXPECT_LE(r.xSurface, 1.0);
            EXPECT_GE(r.di_da, 0.0);
            EXPECT_LE(r.iterations, 400);
          }
  }
  const InterfaceKinetics k(material(), 0.03, kT);
  EXPECT_THROW(k.faceCurrent(NAN, 0.5, 1e-6), RunError);
  EXPECT_THROW(k.faceCurrent(3.7, INFINITY, 1e-6), RunError);
  EXPECT_THROW(k.faceCurrent(3.7, 0.5, -1e-6), RunError);
}

TEST(InterfaceCurrent, DepletionLimits) {
  // Constant i0 with slow diffusion, driven hard anodic: no root keeps x_s > 0, so the face carries the
  // depletion limit i = x_N / q (x_s = 0), with di/da = 0 and di/dx = 1/q.
  ActiveMaterial m = material(ExchangeCurrent::Form::Constant);
  m.diffusivity = Property::constant(1e-22);
  const InterfaceKinetics k(m, 0.03, kT);
  const double h = 1e-6, x = 0.4;
  const double q = h / (2 * kFaraday * m.cMax * 1e-22);
  const FaceCurrent r = k.faceCurrent(m.ocv.value(0.0) + 2.0, x, h);
  EXPECT_TRUE(r.limited);
  EXPECT_NEAR(r.i, x / q, 1e-12 * x / q);
  EXPECT_EQ(r.di_da, 0.0);
  EXPECT_NEAR(r.di_dx, 1.0 / q, 1e-12 / q);
  // Cathodic mirror: x_s = 1.
  const FaceCurrent c = k.faceCurrent(m.ocv.value(1.0) - 2.0, x, h);
  EXPECT_TRUE(c.limited);
  EXPECT_NEAR(c.i, (x - 1.0) / q, 1e-12 / q);
  // sqrt form: a full particle (x_N = 1) cannot take Li (i = 0) but can give it (i > 0, continuous in x_N).
  const ActiveMaterial s = material();
  const InterfaceKinetics ks(s, 0.03, kT);
  EXPECT_EQ(ks.faceCurrent(s.ocv.value(1.0) - 0.2, 1.0, 1e-6).i, 0.0);
  const double iFull = ks.faceCurrent(3.6, 1.0, 1e-6).i, iNear = ks.faceCurrent(3.6, 1.0 - 1e-10, 1e-6).i;
  EXPECT_GT(iFull, 0.0);
  EXPECT_NEAR(iNear / iFull, 1.0, 1e-3);
  // Beyond the range (a Newton iterate): evaluated at the end, no x-derivative.
  const FaceCurrent over = ks.faceCurrent(3.6, 1.2, 1e-6);
  EXPECT_EQ(over.i, iFull);
  EXPECT_EQ(over.di_dx, 0.0);
}

TEST(CellModel, CounterElectrodeAndVoltage) {
  CellModel c;
  c.cellArea = 3.85e-5;  // 7 mm cell
  c.separatorResistance = 20.0;
  c.counterPotential = 0.62;
  c.counterExchangeCurrent = 10.0;
  c.temperature = kT;
  const double RT_F = kGasConstant * kT / kFaraday;
  double eta, d;
  // Small current: asinh(z) ~ z, eta = (2RT/F) I / (2 A i0) = (RT/F) I / (A i0).
  c.counterOverpotential(1e-9, eta, d);
  EXPECT_NEAR(eta / (RT_F * 1e-9 / (3.85e-5 * 10.0)), 1.0, 1e-9);
  // Large current: asinh(z) ~ ln(2 z): eta = (2RT/F) ln(I / (A i0)).
  c.counterOverpotential(1.0, eta, d);
  EXPECT_NEAR(eta, 2 * RT_F * std::log(1.0 / (3.85e-5 * 10.0)), 1e-6);
  c.counterOverpotential(-1.0, eta, d);
  EXPECT_LT(eta, 0.0);
  // V = phi_cc + I R_sep + eta_ce(I) on charge; V_cell = V - U_ce; dV/dI; inverse.
  const double I = 2e-4, phi = 3.9;
  c.counterOverpotential(I, eta, d);
  EXPECT_DOUBLE_EQ(c.voltageVsLi(phi, I), phi + I * 20.0 + eta);
  EXPECT_DOUBLE_EQ(c.cellVoltage(phi, I), c.voltageVsLi(phi, I) - 0.62);
  EXPECT_NEAR(c.dVoltagedCurrent(I), (c.voltageVsLi(phi, I + 1e-9) - c.voltageVsLi(phi, I - 1e-9)) / 2e-9,
              1e-4);
  EXPECT_NEAR(c.collectorPotential(c.voltageVsLi(phi, I), I), phi, 1e-14);
  c.counterExchangeCurrent = 0.0;  // no kinetics
  c.counterOverpotential(1.0, eta, d);
  EXPECT_EQ(eta, 0.0);
  EXPECT_EQ(d, 0.0);
}

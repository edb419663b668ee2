// 1-D reference solutions of the lithiation model: see LithiationReference.hpp for the equations and the
// discretisation. Nothing here is shared with the 3-D voxel solver except the pointwise kernels.
#include "tests/lithiation/LithiationReference.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "solver/core/Error.hpp"

namespace ssb::lithref {

namespace {

using echem::kFaraday;

struct State {
  std::vector<double> x;
  double i = 0.0;  // current density on the reacting area [A/m^2]
};

class Model1D {
 public:
  Model1D(const LithiationSetup& setup, bool spherical, double length, double reactingArea, double areaScale,
          double fixedOhmic, bool slabOhmic, double cellArea, const ReferenceOptions& opt)
      : m_am(setup.active.material),
        m_bv(setup.active.material.alphaA, setup.active.material.alphaC, setup.temperature),
        m_cell(setup.cellModel(cellArea)),
        m_opt(opt),
        m_reactingArea(reactingArea),
        m_areaScale(areaScale),
        m_fixedOhmic(fixedOhmic),
        m_slabOhmic(slabOhmic),
        m_cellArea(cellArea) {
    const int n = opt.nodes;
    if (n < 4) throwRun("reference: at least 4 mesh intervals");
    m_n = n;
    m_s.resize(static_cast<size_t>(n) + 1);
    for (int j = 0; j <= n; ++j) {
      const double xi = static_cast<double>(j) / n;
      m_s[j] = opt.grading > 0.0
                   ? length * (1.0 - std::sinh(opt.grading * (1.0 - xi)) / std::sinh(opt.grading))
                   : length * xi;
    }
    m_s[0] = 0.0;
    m_s[n] = length;
    m_vol.assign(m_s.size(), 0.0);
    m_faceA.assign(static_cast<size_t>(n), 0.0);
    m_faceDist.assign(static_cast<size_t>(n), 0.0);
    m_trap.assign(m_s.size(), 0.0);
    auto cube = [](double r) { return r * r * r; };
    for (int j = 0; j <= n; ++j) {
      const double lo = j == 0 ? 0.0 : 0.5 * (m_s[j - 1] + m_s[j]);
      const double hi = j == n ? length : 0.5 * (m_s[j] + m_s[j + 1]);
      m_vol[j] = spherical ? (cube(hi) - cube(lo)) / 3.0 : hi - lo;
      m_trap[j] = hi - lo;  // trapezoid weights of integral ds on the nodes
    }
    for (int j = 0; j < n; ++j) {
      const double mid = 0.5 * (m_s[j] + m_s[j + 1]);
      m_faceA[j] = spherical ? mid * mid : 1.0;
      m_faceDist[j] = m_s[j + 1] - m_s[j];
    }
    m_surface = spherical ? length * length : 1.0;
    m_fc = kFaraday * m_am.cMax;
  }

  int n() const { return m_n; }
  const std::vector<double>& nodes() const { return m_s; }
  double reactingArea() const { return m_reactingArea; }
  double cellArea() const { return m_cellArea; }

  // Li content sum_j vol_j x_j (per unit area or per steradian).
  double content(const std::vector<double>& x) const {
    double c = 0.0;
    for (size_t j = 0; j < x.size(); ++j) c += m_vol[j] * x[j];
    return c;
  }
  double meanX(const std::vector<double>& x) const {
    double v = 0.0;
    for (double w : m_vol) v += w;
    return content(x) / v;
  }
  // Charge [C] that left the solid between two states (> 0 on charge).
  double chargeBetween(const std::vector<double>& before, const std::vector<double>& after) const {
    return m_fc * m_areaScale * (content(before) - content(after));
  }

  // Net Li flux into each control volume (times vol: d(vol x)/dt), and its x-Jacobian (tridiagonal).
  void flux(const std::vector<double>& x, double i, std::vector<double>& f,
            std::vector<double>* lower = nullptr, std::vector<double>* diag = nullptr,
            std::vector<double>* upper = nullptr) const {
    const size_t np = x.size();
    f.assign(np, 0.0);
    if (diag) {
      lower->assign(np, 0.0);
      diag->assign(np, 0.0);
      upper->assign(np, 0.0);
    }
    for (size_t j = 0; j + 1 < np; ++j) {
      double D, dD;
      m_am.diffusivity.evaluate(0.5 * (x[j] + x[j + 1]), D, dD);
      const double g = m_faceA[j] / m_faceDist[j];
      const double delta = x[j + 1] - x[j];
      const double q = g * D * delta;
      f[j] += q;
      f[j + 1] -= q;
      if (diag) {
        const double dqj = g * (0.5 * dD * delta - D), dqj1 = g * (0.5 * dD * delta + D);
        (*diag)[j] += dqj;
        (*upper)[j] += dqj1;
        (*lower)[j + 1] -= dqj;
        (*diag)[j + 1] -= dqj1;
      }
    }
    f[np - 1] -= m_surface * i / m_fc;
  }
  double dFluxSurfaceDi() const { return -m_surface / m_fc; }

  struct VoltageDerivs {
    double dVdi = 0.0;
    std::vector<double> dVdx;  // per node
  };
  // Reported voltage V vs Li of a state; throws RunError where no overpotential exists (i0 = 0, i != 0).
  double voltage(const std::vector<double>& x, double i, VoltageDerivs* d = nullptr) const {
    const size_t N = x.size() - 1;
    const double xs = x[N];
    double U, dU, i0, di0;
    m_am.ocv.evaluate(xs, U, dU);
    m_am.exchange.evaluate(xs, i0, di0);
    const double eta = m_bv.overpotential(i, i0);
    double R = m_fixedOhmic;
    if (m_slabOhmic)
      for (size_t j = 0; j <= N; ++j) R += m_trap[j] / m_am.conductivity.value(x[j]);
    const double I = i * m_reactingArea;
    double etaCe, dEtaCe;
    m_cell.counterOverpotential(I, etaCe, dEtaCe);
    const double V = U + eta + i * R + I * m_cell.separatorResistance + etaCe;
    if (d) {
      double h, dh;
      m_bv.evaluate(eta, h, dh);
      const double detadi = 1.0 / (i0 * dh);
      d->dVdi = detadi + R + m_reactingArea * (m_cell.separatorResistance + dEtaCe);
      d->dVdx.assign(x.size(), 0.0);
      d->dVdx[N] = dU - di0 * h / (i0 * dh);
      if (m_slabOhmic && !m_am.conductivity.isConstant())
        for (size_t j = 0; j <= N; ++j) {
          double sg, dsg;
          m_am.conductivity.evaluate(x[j], sg, dsg);
          d->dVdx[j] += -i * m_trap[j] * dsg / (sg * sg);
        }
    }
    return V;
  }

  // Current density that holds V = vHold at fixed x (V is increasing in i).
  double currentForVoltage(const std::vector<double>& x, double vHold, double guess, double iRef) const {
    auto f = [&](double i, double& r, double& dr) {
      VoltageDerivs d;
      r = voltage(x, i, &d) - vHold;
      dr = d.dVdi;
    };
    double r, dr;
    f(guess, r, dr);
    if (r == 0.0) return guess;
    double lo = guess, hi = guess, step = std::max(std::fabs(guess), iRef);
    if (r < 0.0) {
      for (hi = guess + step;; step *= 2.0, hi = guess + step) {
        f(hi, r, dr);
        if (r >= 0.0) break;
        lo = hi;
      }
    } else {
      for (lo = guess - step;; step *= 2.0, lo = guess - step) {
        f(lo, r, dr);
        if (r <= 0.0) break;
        hi = lo;
      }
    }
    double i = 0.5 * (lo + hi);
    for (int it = 0; it < 200; ++it) {
      f(i, r, dr);
      if (r == 0.0) return i;
      (r < 0.0 ? lo : hi) = i;
      double next = i - r / dr;
      if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
      if (std::fabs(next - i) <= 1e-15 * std::fabs(next) + 1e-14 * iRef || hi - lo <= 1e-15 * std::fabs(i))
        return next;
      i = next;
    }
    return i;
  }

  // Newton on one implicit stage: vol (Y - y) - e - hg f(Y, i) = 0 plus the control row. Returns false if
  // Newton fails or leaves the physical range (the caller then shortens the step).
  bool solveStage(const std::vector<double>& y, const std::vector<double>& e, double hg,
                  const StepControl& ctrl, double iRef, std::vector<double>& Y, double& iY) const {
    const size_t np = y.size(), N = np - 1;
    std::vector<double> f, lo, di, up, rx(np), z1(np), z2(np), c(np, 0.0);
    for (int it = 0; it < 40; ++it) {
      flux(Y, iY, f, &lo, &di, &up);
      for (size_t j = 0; j < np; ++j) {
        rx[j] = m_vol[j] * (Y[j] - y[j]) - e[j] - hg * f[j];
        lo[j] = -hg * lo[j];
        up[j] = -hg * up[j];
        di[j] = m_vol[j] - hg * di[j];
      }
      double rg = 0.0, dg = 1.0;
      std::fill(c.begin(), c.end(), 0.0);
      try {
        switch (ctrl.kind) {
          case ControlKind::Galvanostatic:
            rg = iY - ctrl.current / m_reactingArea;
            break;
          case ControlKind::Rest:
            rg = iY;
            break;
          case ControlKind::Potentiostatic: {
            VoltageDerivs d;
            rg = voltage(Y, iY, &d) - ctrl.voltage;
            dg = d.dVdi;
            c = d.dVdx;
            break;
          }
        }
      } catch (const RunError&) {
        return false;
      }
      // Bordered tridiagonal solve: [T b; c^T dg] [dx; di] = [rx; rg], b = e_N (-hg dF_N/di).
      const double b = -hg * dFluxSurfaceDi();
      thomas(lo, di, up, rx, z1);
      std::vector<double> bcol(np, 0.0);
      bcol[N] = b;
      thomas(lo, di, up, bcol, z2);
      double cz1 = 0.0, cz2 = 0.0;
      for (size_t j = 0; j < np; ++j) {
        cz1 += c[j] * z1[j];
        cz2 += c[j] * z2[j];
      }
      const double dI = (rg - cz1) / (dg - cz2);
      double dxMax = 0.0;
      for (size_t j = 0; j < np; ++j) {
        const double dx = z1[j] - z2[j] * dI;
        Y[j] -= dx;
        dxMax = std::max(dxMax, std::fabs(dx));
      }
      iY -= dI;
      if (!std::isfinite(dxMax) || !std::isfinite(iY)) return false;
      if (dxMax <= 1e-13 && std::fabs(dI) <= 1e-12 * (std::fabs(iY) + iRef)) {
        for (double v : Y)
          if (v < 0.0 || v > 1.0) return false;
        if (m_am.exchange.form == echem::ExchangeCurrent::Form::SqrtX && !(Y[N] > 0.0 && Y[N] < 1.0))
          return false;
        return true;
      }
    }
    return false;
  }

  // One step of Alexander's L-stable SDIRK2 (stiffly accurate): Y1 = y + h g F(Y1), Y2 = y + h (1-g) F(Y1)
  // + h g F(Y2), y_{n+1} = Y2, with g = 1 - 1/sqrt(2) (and the control row at each stage).
  bool sdirk(const State& y, double h, const StepControl& ctrl, double iRef, State& out) const {
    static const double g = 1.0 - 1.0 / std::sqrt(2.0);
    const size_t np = y.x.size();
    std::vector<double> e(np, 0.0), f;
    State s1 = y;
    if (!solveStage(y.x, e, h * g, ctrl, iRef, s1.x, s1.i)) return false;
    flux(s1.x, s1.i, f);
    for (size_t j = 0; j < np; ++j) e[j] = h * (1.0 - g) * f[j];
    out = s1;
    return solveStage(y.x, e, h * g, ctrl, iRef, out.x, out.i);
  }

  // Two half steps (the accepted solution) and the error estimate against one full step.
  bool attempt(const State& y, double h, const StepControl& ctrl, double iRef, State& out,
               double& err) const {
    State full, mid;
    if (!sdirk(y, h, ctrl, iRef, full) || !sdirk(y, 0.5 * h, ctrl, iRef, mid) ||
        !sdirk(mid, 0.5 * h, ctrl, iRef, out))
      return false;
    err = 0.0;
    for (size_t j = 0; j < out.x.size(); ++j)
      err = std::max(err, std::fabs(out.x[j] - full.x[j]) / (m_opt.atol + m_opt.rtol * std::fabs(out.x[j])));
    if (ctrl.kind == ControlKind::Potentiostatic)
      err = std::max(err, std::fabs(out.i - full.i) / (m_opt.atol * iRef + m_opt.rtol * std::fabs(out.i)));
    err /= 3.0;  // (2^p - 1), p = 2
    return true;
  }

 private:
  static void thomas(const std::vector<double>& a, const std::vector<double>& b, const std::vector<double>& c,
                     const std::vector<double>& r, std::vector<double>& x) {
    const size_t n = b.size();
    std::vector<double> cp(n), rp(n);
    cp[0] = c[0] / b[0];
    rp[0] = r[0] / b[0];
    for (size_t j = 1; j < n; ++j) {
      const double m = b[j] - a[j] * cp[j - 1];
      cp[j] = c[j] / m;
      rp[j] = (r[j] - a[j] * rp[j - 1]) / m;
    }
    x[n - 1] = rp[n - 1];
    for (size_t j = n - 1; j-- > 0;) x[j] = rp[j] - cp[j] * x[j + 1];
  }

  const echem::ActiveMaterial& m_am;
  echem::ButlerVolmer m_bv;
  echem::CellModel m_cell;
  ReferenceOptions m_opt;
  double m_reactingArea, m_areaScale, m_fixedOhmic;
  bool m_slabOhmic;
  double m_cellArea;
  int m_n = 0;
  std::vector<double> m_s, m_vol, m_faceA, m_faceDist, m_trap;
  double m_surface = 1.0, m_fc = 1.0;
};

ReferenceSolution run(const LithiationSetup& setup, const Model1D& model, double activeMass,
                      const ReferenceOptions& opt) {
  ReferenceSolution sol;
  sol.activeMass = activeMass;
  sol.oneCCurrent = setup.active.theoreticalCapacity * activeMass / 3600.0;
  sol.reactingArea = model.reactingArea();
  sol.nodes = model.nodes();
  const double iRef = sol.oneCCurrent / model.reactingArea();  // 1C current density
  ProtocolMachine machine(setup.protocol, sol.oneCCurrent, model.cellArea());

  State st;
  st.x.assign(static_cast<size_t>(model.n()) + 1, setup.initialX);
  double t = 0.0;
  size_t nextOut = 0;
  auto sample = [&](const State& s, double time, double V) {
    sol.samples.push_back(
        {time, V, s.i * model.reactingArea(), model.meanX(s.x), s.x.back(), machine.stepIndex()});
  };
  auto indicator = [&](const State& s, double time, size_t k) {
    const double V = model.voltage(s.x, s.i);
    return machine.events(time, V, s.i * model.reactingArea())[k].value;
  };

  while (!machine.finished()) {
    const StepControl ctrl = machine.control();
    switch (ctrl.kind) {
      case ControlKind::Galvanostatic:
        st.i = ctrl.current / model.reactingArea();
        break;
      case ControlKind::Rest:
        st.i = 0.0;
        break;
      case ControlKind::Potentiostatic:
        st.i = model.currentForVoltage(st.x, ctrl.voltage, st.i, iRef);
        break;
    }
    double V = model.voltage(st.x, st.i);
    sample(st, t, V);
    const EndReason atStart = machine.endReached(t, V, st.i * model.reactingArea());
    if (atStart != EndReason::None) {
      machine.advance(t, V, st.i * model.reactingArea(), 0.0, 0.0, atStart);
      continue;
    }
    const double deadline = machine.deadline();
    double h = opt.initialStep, charge = 0.0, throughput = 0.0;
    for (;;) {
      if (sol.acceptedSteps + sol.rejectedSteps >= opt.maxSteps)
        throwRun("reference: more than {} steps at t = {} s", opt.maxSteps, t);
      while (nextOut < opt.outputTimes.size() && opt.outputTimes[nextOut] <= t) ++nextOut;
      double hTry = h;
      bool hitsDeadline = false;
      if (opt.maxStep > 0.0) hTry = std::min(hTry, opt.maxStep);
      if (nextOut < opt.outputTimes.size()) hTry = std::min(hTry, opt.outputTimes[nextOut] - t);
      if (t + hTry >= deadline) {
        hTry = deadline - t;
        hitsDeadline = true;
      }
      State next;
      double err = 0.0;
      bool ok = model.attempt(st, hTry, ctrl, iRef, next, err);
      double Vn = 0.0;
      if (ok) {
        try {
          Vn = model.voltage(next.x, next.i);
        } catch (const RunError&) {
          ok = false;
        }
      }
      if (!ok) {
        ++sol.rejectedSteps;
        h = 0.25 * hTry;
        if (h < 1e-14 * std::max(1.0, t)) throwRun("reference: step size underflow at t = {} s", t);
        continue;
      }
      if (err > 1.0) {
        ++sol.rejectedSteps;
        h = hTry * std::max(0.2, 0.9 * std::pow(err, -1.0 / 3.0));
        continue;
      }
      ++sol.acceptedSteps;
      const double tNew = hitsDeadline ? deadline : t + hTry;
      const auto ev = machine.events(tNew, Vn, next.i * model.reactingArea());
      // Earliest event in (t, tNew]: time limits are exact; the others are located on the step length.
      double tau = std::numeric_limits<double>::infinity();
      EndReason reason = EndReason::None;
      State evState;
      for (size_t k = 0; k < ev.size(); ++k) {
        if (ev[k].value < 0.0) continue;
        if (ev[k].reason == EndReason::TimeLimit || ev[k].reason == EndReason::Duration) {
          if (hTry < tau) {
            tau = hTry;
            reason = ev[k].reason;
            evState = next;
          }
          continue;
        }
        // Illinois regula falsi on tau in (0, hTry]: value < 0 at the step start, >= 0 at its end.
        double a = 0.0, fa = indicator(st, t, k), b = hTry, fb = ev[k].value;
        State sb = next;
        int side = 0;
        for (int it = 0; it < 200 && b - a > 1e-13 * std::max(1.0, t + b); ++it) {
          double c = (a * fb - b * fa) / (fb - fa);
          if (!(c > a && c < b)) c = 0.5 * (a + b);
          State sc;
          double e2;
          if (!model.attempt(st, c, ctrl, iRef, sc, e2)) {
            c = 0.5 * (a + b);
            if (!model.attempt(st, c, ctrl, iRef, sc, e2)) throwRun("reference: event location failed");
          }
          double fc;
          try {
            fc = indicator(sc, t + c, k);
          } catch (const RunError&) {
            fc = 1.0;  // past the end of the physical range: certainly past the event
          }
          if (fc >= 0.0) {
            b = c;
            fb = fc;
            sb = sc;
            if (side == 1) fa *= 0.5;
            side = 1;
          } else {
            a = c;
            fa = fc;
            if (side == -1) fb *= 0.5;
            side = -1;
          }
        }
        if (b < tau) {
          tau = b;
          reason = ev[k].reason;
          evState = sb;
        }
      }
      if (reason == EndReason::None) {
        const double q = model.chargeBetween(st.x, next.x);
        charge += q;
        throughput += std::fabs(q);
        st = next;
        t = tNew;
        sample(st, t, Vn);
        h = hTry * std::min(5.0, err > 0.0 ? 0.9 * std::pow(err, -1.0 / 3.0) : 5.0);
        continue;
      }
      const double q = model.chargeBetween(st.x, evState.x);
      charge += q;
      throughput += std::fabs(q);
      st = evState;
      t = reason == EndReason::TimeLimit || reason == EndReason::Duration ? tNew : t + tau;
      V = model.voltage(st.x, st.i);
      sample(st, t, V);
      machine.advance(t, V, st.i * model.reactingArea(), charge, throughput, reason);
      break;
    }
  }
  sol.steps = machine.history();
  sol.xFinal = st.x;
  return sol;
}

}  // namespace

double ReferenceSolution::capacity(size_t step) const {
  return LithiationSetup::capacityMahPerG(steps.at(step).throughput, activeMass);
}

double ReferenceSolution::voltageAt(double t) const {
  if (samples.empty()) return 0.0;
  if (t <= samples.front().t) return samples.front().voltage;
  for (size_t k = 1; k < samples.size(); ++k)
    if (samples[k].t >= t) {
      const Sample &a = samples[k - 1], &b = samples[k];
      if (b.t == a.t) return b.voltage;
      return a.voltage + (b.voltage - a.voltage) * (t - a.t) / (b.t - a.t);
    }
  return samples.back().voltage;
}

ReferenceSolution solveLayeredCell(const LithiationSetup& setup, const LayeredCell& cell,
                                   const ReferenceOptions& opt) {
  if (!(cell.activeThickness > 0.0) || !(cell.area > 0.0) || cell.electrolyteThickness < 0.0)
    throwRun("layered reference: thicknesses and area must be positive");
  const double fixed = cell.electrolyteThickness / setup.electrolyte.conductivity;
  Model1D model(setup, false, cell.activeThickness, cell.area, cell.area, fixed, true, cell.area, opt);
  return run(setup, model, setup.active.density * cell.area * cell.activeThickness, opt);
}

ReferenceSolution solveSphere(const LithiationSetup& setup, const SphereCell& cell,
                              const ReferenceOptions& opt) {
  if (!(cell.radius > 0.0) || !(cell.cellArea > 0.0) || cell.seriesResistance < 0.0)
    throwRun("sphere reference: radius and cell area must be positive");
  const double pi = std::acos(-1.0);
  const double area = 4.0 * pi * cell.radius * cell.radius;
  Model1D model(setup, true, cell.radius, area, 4.0 * pi, cell.seriesResistance * area, false, cell.cellArea,
                opt);
  return run(setup, model, setup.active.density * 4.0 / 3.0 * pi * std::pow(cell.radius, 3), opt);
}

}  // namespace ssb::lithref

#pragma once
// Electrochemistry kernels of the lithiation study: small, MPI-free, PETSc-free, unit-tested. The model
// is /work/specs/lithiation-model.md (user-level description in docs/lithiation.md); this file owns its
// pointwise arithmetic so the 3-D solver and the 1-D reference solutions share nothing else.
//
// Units: SI throughout. x [-] is the Li fraction of the active material (x = c / c_max); potentials in V
// (vs Li+/Li for U(x) and the reported voltage); current densities i [A/m^2] per reacting area, positive
// from the solid into the electrolyte (anodic = delithiation = charge); total currents I [A] positive
// on charge.
//
// Butler-Volmer at an active|electrolyte face (spec section 2):
//     i = i0(x_s) [exp(alpha_a F eta / (R T)) - exp(-alpha_c F eta / (R T))],
//     eta = phi_s,surf - phi_e,surf - U(x_s),   i0 = const  or  i0 = k sqrt(x_s (1 - x_s)),
// with the face values taken from the cell centres through half-cell resistances (h = voxel edge normal
// to the face):
//     phi_s,surf = phi_s,N - i h / (2 sigma_s(x_N)),  phi_e,surf = phi_e,E + i h / (2 kappa),
//     x_s = x_N - i h / (2 F c_max D_s(x_N)).
// With a = phi_s,N - phi_e,E the face current solves the scalar equation g(i) = i - BV(i; a, x_N) = 0.
//
// Counter electrode and cell (spec section 3): eta_ce(I) = (2 R T / F) asinh(I / (2 A_cell i0_ce)),
// V(vs Li) = phi_cc + I R_sep + eta_ce(I), V_cell = V - U_ce.
#include <optional>
#include <string>
#include <vector>

namespace ssb::echem {

inline constexpr double kFaraday = 96485.33212;               // C/mol (CODATA 2018, exact from e and N_A)
inline constexpr double kGasConstant = 8.314462618;           // J/(mol K)
inline constexpr double kBoltzmann = 1.380649e-23;            // J/K (exact)
inline constexpr double kElementaryCharge = 1.602176634e-19;  // C (exact)

// F / (R T) [1/V].
inline double faradayOverRT(double temperature) { return kFaraday / (kGasConstant * temperature); }

// ---------------------------------------------------------------------------------------------------
// Monotone piecewise-cubic Hermite interpolation (PCHIP): Fritsch-Carlson with the Fritsch-Butland
// weighted harmonic-mean slopes and the shape-preserving three-point end slopes. Monotone data stay
// monotone between the nodes (no overshoot, unlike a cubic spline), the interpolant is C1 and its
// derivative is exact for the cubic it evaluates. Outside [xMin, xMax]: linear continuation with the
// end slope (C1, keeps a monotone OCV invertible) or the end value (Constant).
class Table1D {
 public:
  enum class Extrapolation { Linear, Constant };

  Table1D() = default;
  // x strictly increasing, at least 2 points, all values finite. Errors (InputError) name `context`.
  Table1D(std::vector<double> x, std::vector<double> y, Extrapolation extrapolation,
          const std::string& context);

  double value(double x) const;
  // y(x) and dy/dx(x) (the derivative of the same piecewise cubic).
  void evaluate(double x, double& y, double& dydx) const;

  bool empty() const { return m_x.empty(); }
  double xMin() const { return m_x.front(); }
  double xMax() const { return m_x.back(); }
  const std::vector<double>& xs() const { return m_x; }
  const std::vector<double>& ys() const { return m_y; }

 private:
  std::vector<double> m_x, m_y, m_d;  // nodes, values, node slopes
  Extrapolation m_extrapolation = Extrapolation::Linear;
};

// ---------------------------------------------------------------------------------------------------
// Open-circuit potential U(x) [V vs Li+/Li]: strictly decreasing in x (delithiation raises the voltage).
// Built-in stand-ins (no NMC622 fit is published; see docs/lithiation.md), tabulated from the PyBaMM
// parameter functions on a fine grid:
//   "mohtat2020_nmc532" (default): PyBaMM src/pybamm/input/parameters/lithium_ion/Mohtat2020.py,
//       NMC_ocp_PeymanMPM, x in [0, 1];
//   "chen2020_nmc811": PyBaMM src/pybamm/input/parameters/lithium_ion/Chen2020.py,
//       nmc_LGM50_ocp_Chen2020, x in [0.2, 1].
class OcvCurve {
 public:
  OcvCurve() = default;
  static OcvCurve builtin(const std::string& name, const std::string& context);
  static const std::vector<std::string>& builtinNames();
  // User table: x in [0, 1] strictly increasing, U strictly decreasing; errors name context.x / .voltage.
  static OcvCurve fromTable(std::vector<double> x, std::vector<double> voltage, const std::string& context);

  double value(double x) const { return m_table.value(x); }
  void evaluate(double x, double& u, double& dudx) const { m_table.evaluate(x, u, dudx); }
  double xMin() const { return m_table.xMin(); }
  double xMax() const { return m_table.xMax(); }
  double voltageMax() const { return m_table.ys().front(); }  // U(xMin)
  double voltageMin() const { return m_table.ys().back(); }   // U(xMax)
  // The x in [xMin, xMax] where U(x) = u, or nullopt if u is outside [U(xMax), U(xMin)].
  std::optional<double> xAtVoltage(double u) const;
  const std::string& name() const { return m_name; }
  const Table1D& table() const { return m_table; }

 private:
  Table1D m_table;
  std::string m_name;
};

// The fits themselves (what the built-in tables are made from), x = stoichiometry.
double mohtat2020Nmc532Ocv(double x);
double chen2020Nmc811Ocv(double x);

// ---------------------------------------------------------------------------------------------------
// A positive material property of x (D_s [m^2/s], sigma_s [S/m]): a constant, or a table interpolated
// by PCHIP in log space (stays positive across decades, e.g. sigma_s over 1e-7..1e-2 S/cm) and held
// constant outside the table.
class Property {
 public:
  Property() = default;
  static Property constant(double value);
  // x strictly increasing, values > 0; errors name context.x / context.value.
  static Property table(std::vector<double> x, std::vector<double> values, const std::string& context);

  void evaluate(double x, double& v, double& dvdx) const;
  double value(double x) const;
  bool isConstant() const { return m_log.empty(); }
  double xMin() const { return m_log.xMin(); }  // table only
  double xMax() const { return m_log.xMax(); }

 private:
  double m_constant = 0.0;
  Table1D m_log;  // log(value) vs x
};

// Arrhenius factor exp(-(E_a / k_B) (1/T - 1/T_ref)), E_a in J (YAML "0.37 eV").
double arrheniusFactor(double activationEnergy, double temperature, double referenceTemperature);

// Exchange-current density i0(x) [A/m^2]: constant, or k sqrt(x (1 - x)) (x clamped to [0, 1]; i0 = 0
// and di0/dx = 0 at and beyond the ends).
struct ExchangeCurrent {
  enum class Form { Constant, SqrtX };
  Form form = Form::SqrtX;
  double value = 0.0;  // i0 (Constant) or k (SqrtX) [A/m^2]
  void evaluate(double x, double& i0, double& di0dx) const;
};

// The Butler-Volmer bracket h(eta) = E(alpha_a f eta) - E(-alpha_c f eta), f = F / (R T), where E is exp
// up to an exponent of kMaxExponent and its tangent line beyond it: finite and C1 for every finite eta
// (an overpotential of 300 / (alpha f) ~ 15 V at alpha = 0.5, 298 K; nothing physical reaches it).
struct ButlerVolmer {
  static constexpr double kMaxExponent = 300.0;
  double alphaA = 0.5;
  double alphaC = 0.5;
  double f = 0.0;  // F / (R T) [1/V]

  ButlerVolmer() = default;
  ButlerVolmer(double alphaA, double alphaC, double temperature);
  void evaluate(double eta, double& h, double& dhdeta) const;
  double current(double i0, double eta) const;  // i0 h(eta)
  // The eta with i0 h(eta) = i (h is strictly increasing); 0 for i = 0. RunError if i != 0 and i0 <= 0.
  double overpotential(double i, double i0) const;
};

// ---------------------------------------------------------------------------------------------------
// One active material: everything the interface and the Li balance need. Built by LithiationParams.
struct ActiveMaterial {
  OcvCurve ocv;
  Property diffusivity;   // D_s(x) [m^2/s]
  Property conductivity;  // sigma_s(x) [S/m]
  ExchangeCurrent exchange;
  double alphaA = 0.5, alphaC = 0.5;
  double cMax = 0.0;  // [mol/m^3] = q_th rho / F
};

// Result of the per-face solve. i [A/m^2]; di_da [A/(m^2 V)] with a = phi_s,N - phi_e,E; di_dx
// [A/m^2] with respect to the cell-centre x_N (0 when x_N was outside [0, 1], see faceCurrent).
struct FaceCurrent {
  double i = 0.0;
  double di_da = 0.0;
  double di_dx = 0.0;
  double xSurface = 0.0;  // x_s at the solution
  double eta = 0.0;       // overpotential at the solution [V]
  int iterations = 0;
  bool limited = false;  // the depletion limit x_s = 0 or 1 holds the current (no root inside)
};

// The interface kernel of one active material against one electrolyte at one temperature.
class InterfaceKinetics {
 public:
  InterfaceKinetics(const ActiveMaterial& active, double electrolyteConductivity, double temperature);

  // The face current from a = phi_s,N - phi_e,E [V], the Li fraction x_N of the active cell and the
  // voxel edge h [m] normal to the face (h = 0: continuum form, x_s = x_N and no ohmic half-cells).
  //
  // Solved by a safeguarded Newton iteration (bisection whenever a Newton step leaves the bracket or
  // stalls) on the bracket that keeps x_s in [0, 1]: i in [(x_N - 1)/q, x_N/q], q = h/(2 F c_max D_s).
  // g is increasing at every root (dg/di >= 1/2, see Electrochem.cpp), so the root is unique, the
  // implicit-function derivatives di/da = i0 h'/g', di/dx_N = dBV/dx_N / g' exist, and a root is found
  // whenever g changes sign on the bracket. When it does not (constant i0 driven past a depletion end,
  // or x_N at 0 or 1 driven outward), the current is the depletion limit itself (`limited`). A Newton
  // iterate x_N outside [0, 1] is evaluated at the nearest end with di_dx = 0. Never returns NaN or
  // infinity; non-finite inputs or h < 0 throw RunError.
  FaceCurrent faceCurrent(double a, double xN, double h) const;

  const ActiveMaterial& active() const { return *m_active; }
  const ButlerVolmer& butlerVolmer() const { return m_bv; }
  double electrolyteConductivity() const { return m_kappa; }

 private:
  const ActiveMaterial* m_active;
  double m_kappa;
  ButlerVolmer m_bv;
};

// ---------------------------------------------------------------------------------------------------
// Counter electrode, separator and the reported voltage (spec section 3).
struct CellModel {
  double cellArea = 0.0;                // A_cell [m^2]: domain cross-section normal to the transport axis
  double separatorResistance = 0.0;     // R_sep = L_sep / (kappa_sep A_cell) [Ohm]
  double counterPotential = 0.0;        // U_ce [V vs Li]: 0 (Li metal) or 0.62 (Li-In)
  double counterExchangeCurrent = 0.0;  // i0_ce [A/m^2]; 0 = no counter-electrode kinetics
  double temperature = 298.15;          // [K]

  // eta_ce(I) = (2 R T / F) asinh(I / (2 A_cell i0_ce)) [V] and its derivative [V/A]; 0 without kinetics.
  void counterOverpotential(double current, double& eta, double& detadI) const;
  // V vs Li = phi_cc + I R_sep + eta_ce(I) and dV/dI [Ohm].
  double voltageVsLi(double phiCc, double current) const;
  double dVoltagedCurrent(double current) const;
  // phi_cc that gives voltage V at current I (the CV constraint solved for phi_cc).
  double collectorPotential(double voltage, double current) const;
  double cellVoltage(double phiCc, double current) const {
    return voltageVsLi(phiCc, current) - counterPotential;
  }
};

}  // namespace ssb::echem

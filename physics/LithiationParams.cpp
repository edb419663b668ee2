#include "physics/LithiationParams.hpp"

#include <cmath>

#include "solver/core/Error.hpp"

namespace ssb {

namespace {

constexpr double kCoulombPerMah = 3.6;  // 1 mAh = 3.6 C
constexpr double kEv = 1.602176634e-19;

Schema tableSchema(const std::string& path, const std::string& doc, const std::string& valueKey,
                   const std::string& unit, const std::string& valueDoc) {
  Schema sc(path, doc);
  sc.declare("x", ParamType::RealList, std::nullopt, "Li fractions, strictly increasing, in [0, 1].")
      .range(0.0, 1.0);
  sc.declare(valueKey, ParamType::RealList, std::nullopt, valueDoc).withUnit(unit);
  return sc;
}

const Schema& ocvTableSchema() {
  static const Schema s = tableSchema(
      "studies[] (type: lithiation).active.ocv_table",
      "User OCV table U(x) (with `ocv: table`): interpolated by monotone piecewise cubics (PCHIP), continued "
      "linearly outside. U must decrease strictly with x and the table must reach the upper cut-off (or x = "
      "0) "
      "and the lower cut-off (or x = 1).",
      "voltage", "V", "Open-circuit potential vs Li+/Li at each x.");
  return s;
}

const Schema& diffusivityTableSchema() {
  static const Schema s =
      tableSchema("studies[] (type: lithiation).active.diffusivity_table",
                  "D_s(x) table (replaces `diffusivity`): PCHIP in log D, constant outside; "
                  "must cover the x window between the cut-offs.",
                  "value", "m^2/s", "Solid diffusivity at each x (> 0).");
  return s;
}

const Schema& conductivityTableSchema() {
  static const Schema s =
      tableSchema("studies[] (type: lithiation).active.conductivity_table",
                  "sigma_s(x) table (replaces `conductivity`): PCHIP in log sigma, constant "
                  "outside; must cover the x window between the cut-offs.",
                  "value", "S/m", "Electronic conductivity at each x (> 0).");
  return s;
}

const Schema& activeSchema() {
  static const Schema s = [] {
    Schema sc("studies[] (type: lithiation).active",
              "The active material (role active, NMC). Defaults: NMC622 thesis values where measured, PyBaMM "
              "stand-ins otherwise (docs/lithiation.md lists the source of each).");
    sc.text("phase", std::nullopt, "Phase name (see `phases:`); default: the only phase with role active.")
        .optionalKey("phase");
    sc.choice("ocv", "mohtat2020_nmc532", {"mohtat2020_nmc532", "chen2020_nmc811", "table"},
              "Open-circuit potential U(x): a built-in stand-in (PyBaMM Mohtat2020 NMC532, x in [0, 1]; "
              "PyBaMM Chen2020 NMC811, x in [0.2, 1]) or `table` (then give ocv_table).");
    sc.declare("ocv_table", ParamType::Section, std::nullopt, "U(x) table for `ocv: table`.")
        .nest(ocvTableSchema())
        .makeOptional();
    sc.real("diffusivity", "8e-15 m^2/s", "m^2/s", 0.0, kInf,
            "Constant solid diffusivity D_s (stand-in: PyBaMM Mohtat2020 NMC532, 8e-15 m^2/s at 298 K).",
            true);
    sc.declare("diffusivity_table", ParamType::Section, std::nullopt, "D_s(x) table instead of a constant.")
        .nest(diffusivityTableSchema())
        .makeOptional();
    sc.real("conductivity", "5.9 mS/cm", "S/m", 0.0, kInf,
            "Constant electronic conductivity sigma_s (thesis: pristine NMC622, 5.9 mS/cm at 28 C).", true);
    sc.declare("conductivity_table", ParamType::Section, std::nullopt,
               "sigma_s(x) table instead of a constant.")
        .nest(conductivityTableSchema())
        .makeOptional();
    sc.choice(
        "exchange_current_form", "sqrt_x", {"sqrt_x", "constant"},
        "i0 = k sqrt(x_s (1 - x_s)) (sqrt_x) or i0 = constant, with the value exchange_current_density.");
    sc.real("exchange_current_density", "5.4 A/m^2", "A/m^2", 0.0, kInf,
            "k of the sqrt_x form or i0 of the constant form. Stand-in: PyBaMM Mohtat2020 NMC532 with the "
            "liquid electrolyte at 1000 mol/m^3, k = 4.824e-6 * sqrt(1000) * 35380 = 5.4 A/m^2.",
            true);
    sc.real("alpha_a", "0.5", "", 0.0, 1.0, "Anodic transfer coefficient.", true);
    sc.real("alpha_c", "0.5", "", 0.0, 1.0, "Cathodic transfer coefficient.", true);
    sc.real("density", "4.6 g/cm^3", "kg/m^3", 0.0, kInf, "Density rho_N (thesis NMC622: 4.6 g/cm^3).", true);
    sc.real("theoretical_capacity", "276.6 mAh/g", "C/kg", 0.0, kInf,
            "Theoretical capacity q_th (thesis NMC622: 276.6 mAh/g); c_max = q_th rho / F. Write the unit "
            "(a bare number is C/kg).",
            true);
    return sc;
  }();
  return s;
}

const Schema& electrolyteSchema() {
  static const Schema s = [] {
    Schema sc(
        "studies[] (type: lithiation).electrolyte",
        "The solid electrolyte (role electrolyte, Li3PS4): single-ion conductor, kappa(T) = kappa_ref * "
        "exp(-(E_a / k_B) (1/T - 1/T_ref)).");
    sc.text("phase", std::nullopt, "Phase name; default: the only phase with role electrolyte.")
        .optionalKey("phase");
    sc.real("conductivity", "0.3 mS/cm", "S/m", 0.0, kInf,
            "kappa_ref at reference_temperature (thesis LPS: 0.29-0.36 mS/cm at 25 C).", true);
    sc.real("reference_temperature", "298.15 K", "K", 0.0, kInf, "T_ref of `conductivity`.", true);
    sc.real("activation_energy", "0.37 eV", "J", 0.0, kInf,
            "E_a of the Arrhenius law (thesis LPS: 0.37 eV). Write the unit, e.g. '0.37 eV' (a bare number "
            "is J).");
    sc.real("density", "1.88 g/cm^3", "kg/m^3", 0.0, kInf,
            "Density (thesis LPS: 1.88 g/cm^3); used only for the capacity per composite mass.", true);
    return sc;
  }();
  return s;
}

const Schema& separatorSchema() {
  static const Schema s = [] {
    Schema sc(
        "studies[] (type: lithiation).separator",
        "Ohmic separator between the separator face of the volume and the counter electrode: R_sep = "
        "thickness / (conductivity * A_cell). thickness 0 = none (or a separator resolved in the volume).");
    sc.real("thickness", "500 um", "m", 0.0, kInf, "Separator thickness (thesis: ~500 um LPS).");
    sc.real("conductivity", std::nullopt, "S/m", 0.0, kInf,
            "Separator conductivity at the study temperature; default: the electrolyte's kappa(T).", true)
        .optionalKey("conductivity");
    return sc;
  }();
  return s;
}

const Schema& counterSchema() {
  static const Schema s = [] {
    Schema sc("studies[] (type: lithiation).counter_electrode",
              "Counter electrode: voltages are reported vs Li+/Li; V_cell = V - potential.");
    sc.choice("type", "li_in", {"li_in", "li_metal"},
              "Li-In alloy (0.62 V vs Li, thesis) or Li metal (0 V).");
    sc.real("potential", std::nullopt, "V", -5.0, 5.0, "Override of the counter-electrode potential vs Li.")
        .optionalKey("potential");
    sc.real("exchange_current_density", std::nullopt, "A/m^2", 0.0, kInf,
            "i0_ce of a symmetric Butler-Volmer counter electrode, eta_ce = (2RT/F) asinh(I / (2 A_cell "
            "i0_ce)); "
            "absent or 0: no counter-electrode overpotential.")
        .optionalKey("exchange_current_density");
    return sc;
  }();
  return s;
}

const Schema& initialSchema() {
  static const Schema s = [] {
    Schema sc(
        "studies[] (type: lithiation).initial",
        "Uniform initial Li fraction: give x, or soc (0 = the x where U reaches the lower cut-off, or the "
        "end of the OCV table if it never does; 1 = the x where U reaches the upper cut-off).");
    sc.real("x", std::nullopt, "", 0.0, 1.0, "Initial Li fraction x = c / c_max.").optionalKey("x");
    sc.real("soc", std::nullopt, "", 0.0, 1.0, "Initial state of charge on the cut-off window.")
        .optionalKey("soc");
    return sc;
  }();
  return s;
}

const Schema& frontSchema() {
  static const Schema s = [] {
    Schema sc("studies[] (type: lithiation).front",
              "Front tracking along the transport axis (docs/lithiation.md, 'Front').");
    sc.real(
        "soc", "0.76", "", 0.0, 1.0,
        "Report the time at which each slice reaches this SOC, and the separator-to-collector delay (thesis: "
        "76 %).",
        true);
    return sc;
  }();
  return s;
}

const Schema& timeSteppingSchema() {
  static const Schema s = [] {
    Schema sc("studies[] (type: lithiation).time_stepping",
              "Adaptive implicit time stepping (PETSc TS) of the 3-D solver (in progress).");
    sc.real("rtol", "1e-4", "", 0.0, 0.1, "Relative local error tolerance of the adaptive step.", true);
    sc.real("atol_x", "1e-6", "", 0.0, 0.1, "Absolute local error tolerance on x.", true);
    sc.real("initial_step", "1 s", "s", 0.0, kInf, "First step of every protocol step.", true);
    sc.real("max_step", std::nullopt, "s", 0.0, kInf, "Upper bound on the step (default none).", true)
        .optionalKey("max_step");
    sc.integer("max_steps", "1000000", 1, 1e9, "Give up (RunError) after this many steps.");
    return sc;
  }();
  return s;
}

const Schema& checkpointSchema() {
  static const Schema s = [] {
    Schema sc(
        "studies[] (type: lithiation).checkpoint",
        "Checkpoints for `ssbvox run --restart`: <output dir>/<name>_checkpoint.h5 is replaced (temp + "
        "rename) "
        "every every_steps accepted time steps or every every_seconds of wall time, whichever comes first, "
        "and at the end of every protocol step; 0 switches a criterion off (both 0: no checkpoints). "
        "Changing these keys does not prevent a restart.");
    sc.integer("every_steps", "50", 0, 1e9, "Accepted time steps between checkpoints (0: off).");
    sc.real("every_seconds", "600 s", "s", 0.0, kInf, "Wall time between checkpoints (0: off).");
    return sc;
  }();
  return s;
}

int resolvePhase(const Params& section, PhaseRole role, const PhaseMap& phases,
                 const std::string& sectionKey) {
  const char* roleText = roleName(role);
  if (section.has("phase")) {
    const std::string name = section.text("phase");
    const int idx = phases.index(name, section.keyPath("phase"));
    const PhaseRole actual = phases.phases()[static_cast<size_t>(idx)].role;
    if (actual != role)
      throwInput(
          "{}: phase '{}' has role {}, but this key needs a phase with role {}; fix its `role:` in phases:",
          section.keyPath("phase"), name, roleName(actual), roleText);
    return idx;
  }
  std::vector<int> found;
  std::string names;
  for (int i = 0; i < phases.size(); ++i)
    if (phases.phases()[static_cast<size_t>(i)].role == role) {
      found.push_back(i);
      names += (names.empty() ? "" : ", ") + phases.phases()[static_cast<size_t>(i)].name;
    }
  if (found.empty())
    throwInput("{}: no phase has role {}; mark one in phases: (e.g. `role: {}`) or name it with {}.phase",
               section.keyPath("phase"), roleText, roleText, sectionKey);
  if (found.size() > 1)
    throwInput("{}: several phases have role {} ({}); choose one with {}.phase", section.keyPath("phase"),
               roleText, names, sectionKey);
  return found.front();
}

// A D_s or sigma_s table must cover the x window the cell can visit.
void checkCovers(const echem::Property& p, double xLo, double xHi, const std::string& key) {
  if (p.isConstant()) return;
  if (p.xMin() > xLo + 1e-12 || p.xMax() < xHi - 1e-12)
    throwInput(
        "{}.x: the table covers x in [{}, {}] but the cut-off window needs [{:.4f}, {:.4f}]; extend it", key,
        p.xMin(), p.xMax(), xLo, xHi);
}

}  // namespace

const Schema& lithiationSchema() {
  static const Schema s = [] {
    Schema sc(
        "studies[] (type: lithiation)",
        "Transient electrochemistry of a composite cathode (in progress: the schema and the input checks "
        "exist, the 3-D solver is being built). phi_e in the electrolyte, phi_s and the Li fraction x in "
        "the active phase, Butler-Volmer on active|electrolyte faces, current collector on one face, ohmic "
        "separator and counter electrode on the opposite face, cc / cv / rest protocol with cut-offs. See "
        "docs/lithiation.md.");
    sc.choice("type", std::nullopt, {"lithiation"}, "Study type.");
    sc.text("name", "lithiation", "Study name (results key, prefix of output files and fields).");
    sc.real("temperature", "298.15 K", "K", 0.0, kInf, "Cell temperature T.", true);
    sc.choice("current_collector", "z+", {"x-", "x+", "y-", "y+", "z-", "z+"},
              "Domain face of the current collector; the opposite face meets the separator.");
    sc.choice("side_boundaries", "no_flux", {"no_flux", "periodic"},
              "The four faces parallel to the transport axis: insulating or periodic.");
    sc.choice(
        "interface_area", "local_normal", {"local_normal", "global", "raw"},
        "Correction of the staircased active|electrolyte area: per-face weights 1/(|n_x|+|n_y|+|n_z|) from "
        "a local normal estimate, one global factor from the Crofton surface estimate, or none.");
    sc.real("contact_fraction", "1", "", 0.0, 1.0,
            "Uniform factor on the reacting area of every active|electrolyte face.", true);
    sc.declare("active", ParamType::Section, "{}", "Active material.").nest(activeSchema());
    sc.declare("electrolyte", ParamType::Section, "{}", "Solid electrolyte.").nest(electrolyteSchema());
    sc.declare("separator", ParamType::Section, "{}", "Ohmic separator layer.").nest(separatorSchema());
    sc.declare("counter_electrode", ParamType::Section, "{}", "Counter electrode.").nest(counterSchema());
    sc.declare("initial", ParamType::Section, "{x: 0.97}", "Initial state (uniform).").nest(initialSchema());
    sc.declare("cutoffs", ParamType::Section, "{}", "Voltage cut-offs vs Li.").nest(cutoffsSchema());
    sc.declare("protocol", ParamType::Section, std::nullopt, "Cycling protocol.").nest(protocolSchema());
    sc.declare("front", ParamType::Section, "{}", "Front tracking options.").nest(frontSchema());
    sc.declare("time_stepping", ParamType::Section, "{}", "Time-step control.").nest(timeSteppingSchema());
    sc.declare(
        "petsc_options", ParamType::Any, "{}",
        "PETSc options of this study's TS / SNES / KSP without the leading dash and prefix, applied under "
        "the prefix lithiation_ (command-line -lithiation_... wins).");
    sc.declare("mechanics", ParamType::Any, std::nullopt,
               "Coupling to mechanics (issue 10, docs/mechanics.md 'Coupling to lithiation'): the keys of a "
               "`mechanics` study (moduli, faces, stack_pressure, volume_change, decohesion, ...; `type` and "
               "`name` are implied, reference_li_fraction defaults to the initial x). The NMC eigenstrain "
               "follows x; a debonded active|electrolyte face stops carrying Butler-Volmer current. Absent: "
               "no mechanics.")
        .makeOptional();
    sc.real("mechanics_interval", "600 s", "s", 0.0, kInf,
            "Simulated time between two mechanics updates (also at t = 0 and at every protocol step end).",
            true);
    sc.choice("linear_solver", "auto", {"auto", "direct", "fieldsplit"},
              "Linear solver inside Newton: MUMPS LU (direct), or GMRES with a fieldsplit preconditioner, "
              "BoomerAMG on the potentials (fieldsplit); auto takes direct below 20000 unknowns (a provisional "
              "threshold, not yet measured: docs/benchmarks.md). Tune either under petsc_options.");
    sc.boolean("write_fields", "true",
               "Write x, phi_e, phi_s and the reaction current as an XDMF time series.");
    sc.boolean(
        "plots", "true",
        "Write PNG plots: <name>_voltage.png (voltage and current over time, protocol steps shaded) and "
        "<name>_front.png (slice-averaged x over depth and time, with a colour bar).");
    sc.integer("progress_every", "10", 1, 1e9, "Print a progress line every this many time steps.");
    sc.declare("checkpoint", ParamType::Section, "{}", "Checkpoints for --restart.").nest(checkpointSchema());
    return sc;
  }();
  return s;
}

double LithiationSetup::oneCCurrent(double activeVolume) const {
  return active.theoreticalCapacity * activeMass(activeVolume) / 3600.0;
}

double LithiationSetup::capacityMahPerG(double throughput, double activeMass) {
  // [C] / [kg] -> [mAh/g]: 1 mAh/g = 3.6 C / 1e-3 kg = 3600 C/kg.
  return throughput / activeMass / (kCoulombPerMah * 1000.0);
}

echem::CellModel LithiationSetup::cellModel(double cellArea) const {
  echem::CellModel c;
  c.cellArea = cellArea;
  c.separatorResistance =
      separator.thickness > 0.0 ? separator.thickness / (separator.conductivity * cellArea) : 0.0;
  c.counterPotential = counter.potential;
  c.counterExchangeCurrent = counter.exchangeCurrent;
  c.temperature = temperature;
  return c;
}

LithiationSetup prepareLithiation(const Params& study, const PhaseMap& phases) {
  LithiationSetup s;
  s.path = study.path();
  s.name = study.text("name");
  s.temperature = study.real("temperature");
  {
    const std::string cc = study.text("current_collector");
    s.collectorAxis = cc[0] - 'x';
    s.collectorPlus = cc[1] == '+';
  }
  s.periodicSides = study.text("side_boundaries") == "periodic";
  s.interfaceArea = study.text("interface_area");
  s.contactFraction = study.real("contact_fraction");

  // --- phases -----------------------------------------------------------------------------------------
  const Params act = study.section("active");
  const Params ely = study.section("electrolyte");
  s.active.phase = resolvePhase(act, PhaseRole::Active, phases, study.keyPath("active"));
  s.active.phaseName = phases.phases()[static_cast<size_t>(s.active.phase)].name;
  s.electrolyte.phase = resolvePhase(ely, PhaseRole::Electrolyte, phases, study.keyPath("electrolyte"));
  s.electrolyte.phaseName = phases.phases()[static_cast<size_t>(s.electrolyte.phase)].name;

  // --- electrolyte ------------------------------------------------------------------------------------
  s.electrolyte.referenceConductivity = ely.real("conductivity");
  s.electrolyte.referenceTemperature = ely.real("reference_temperature");
  s.electrolyte.activationEnergy = ely.real("activation_energy");
  s.electrolyte.density = ely.real("density");
  if (s.electrolyte.activationEnergy > 3.0 * kEv)
    throwInput(
        "{}: {} J = {:.3g} eV is not an activation energy of an ion conductor; write the unit, e.g. "
        "'0.37 eV' (a bare number is read as J)",
        ely.keyPath("activation_energy"), s.electrolyte.activationEnergy,
        s.electrolyte.activationEnergy / kEv);
  s.electrolyte.conductivity = s.electrolyte.referenceConductivity *
                               echem::arrheniusFactor(s.electrolyte.activationEnergy, s.temperature,
                                                      s.electrolyte.referenceTemperature);

  // --- active material --------------------------------------------------------------------------------
  ActiveSetup& a = s.active;
  a.density = act.real("density");
  a.theoreticalCapacity = act.real("theoretical_capacity");
  const double mahPerG = a.theoreticalCapacity / 3600.0;
  if (mahPerG < 10.0 || mahPerG > 5000.0)
    throwInput(
        "{}: {} C/kg = {:.4g} mAh/g is not a capacity of an insertion material; write the unit, e.g. "
        "'276.6 mAh/g' (a bare number is read as C/kg)",
        act.keyPath("theoretical_capacity"), a.theoreticalCapacity, mahPerG);
  a.material.cMax = a.theoreticalCapacity * a.density / echem::kFaraday;
  a.material.alphaA = act.real("alpha_a");
  a.material.alphaC = act.real("alpha_c");
  a.material.exchange.form = act.text("exchange_current_form") == "constant"
                                 ? echem::ExchangeCurrent::Form::Constant
                                 : echem::ExchangeCurrent::Form::SqrtX;
  a.material.exchange.value = act.real("exchange_current_density");
  auto property = [&](const std::string& key, const std::string& tableKey) {
    if (!act.has(tableKey)) return echem::Property::constant(act.real(key));
    const Params t = act.section(tableKey);
    return echem::Property::table(t.reals("x"), t.reals("value"), t.path());
  };
  a.material.diffusivity = property("diffusivity", "diffusivity_table");
  a.material.conductivity = property("conductivity", "conductivity_table");
  a.ocvSource = act.text("ocv");
  if (a.ocvSource == "table") {
    if (!act.has("ocv_table"))
      throwInput("{}: `ocv: table` needs ocv_table: {{x: [...], voltage: [...]}}", act.keyPath("ocv_table"));
    const Params t = act.section("ocv_table");
    a.material.ocv = echem::OcvCurve::fromTable(t.reals("x"), t.reals("voltage"), t.path());
  } else {
    if (act.has("ocv_table"))
      throwInput("{}: an OCV table is given but `ocv` is '{}'; set `ocv: table` to use it, or remove it",
                 act.keyPath("ocv_table"), a.ocvSource);
    a.material.ocv = echem::OcvCurve::builtin(a.ocvSource, act.keyPath("ocv"));
  }

  // --- cut-offs, x window, protocol ------------------------------------------------------------------
  s.cutoffs = parseCutoffs(study.section("cutoffs"));
  const echem::OcvCurve& ocv = a.material.ocv;
  const std::string ocvKey = a.ocvSource == "table" ? act.keyPath("ocv_table") : act.keyPath("ocv");
  if (ocv.voltageMax() < s.cutoffs.upper) {
    if (ocv.xMin() > 0.0)
      throwInput(
          "{}: the OCV table does not cover the charge end: U(x = {}) = {:.4f} V is below the upper cut-off "
          "{} V; extend it to lower x until U reaches the cut-off (or to x = 0)",
          ocvKey, ocv.xMin(), ocv.voltageMax(), s.cutoffs.upper);
    s.xUpperCutoff = ocv.xMin();
  } else {
    s.xUpperCutoff = *ocv.xAtVoltage(s.cutoffs.upper);
  }
  if (ocv.voltageMin() > s.cutoffs.lower) {
    if (ocv.xMax() < 1.0)
      throwInput(
          "{}: the OCV table does not cover the discharge end: U(x = {}) = {:.4f} V is above the lower "
          "cut-off {} V; extend it to higher x until U reaches the cut-off (or to x = 1)",
          ocvKey, ocv.xMax(), ocv.voltageMin(), s.cutoffs.lower);
    s.xLowerCutoff = ocv.xMax();
  } else {
    s.xLowerCutoff = *ocv.xAtVoltage(s.cutoffs.lower);
  }
  checkCovers(a.material.diffusivity, s.xUpperCutoff, s.xLowerCutoff, act.keyPath("diffusivity_table"));
  checkCovers(a.material.conductivity, s.xUpperCutoff, s.xLowerCutoff, act.keyPath("conductivity_table"));
  s.protocol = parseProtocol(study.section("protocol"), s.cutoffs);

  // --- initial state ----------------------------------------------------------------------------------
  const Params init = study.section("initial");
  if (init.has("x") == init.has("soc"))
    throwInput("{}: give exactly one of x (Li fraction) or soc (state of charge){}", init.path(),
               init.has("x") ? "; both are given" : "");
  if (init.has("x")) {
    s.initialX = init.real("x");
    s.initialSource = std::string(1, 'x');  // (not a literal: GCC 12 -Wrestrict false positive at -O2)
    if (s.initialX < ocv.xMin() || s.initialX > ocv.xMax())
      throwInput("{}: x = {} is outside the OCV table (x in [{}, {}])", init.keyPath("x"), s.initialX,
                 ocv.xMin(), ocv.xMax());
  } else {
    const double soc = init.real("soc");
    s.initialX = s.xLowerCutoff - soc * (s.xLowerCutoff - s.xUpperCutoff);
    s.initialSource = std::string("soc", 3);
  }
  const std::string initKey = init.has("x") ? init.keyPath("x") : init.keyPath("soc");
  if (a.material.exchange.form == echem::ExchangeCurrent::Form::SqrtX &&
      (s.initialX <= 0.0 || s.initialX >= 1.0))
    throwInput(
        "{}: the initial Li fraction {} makes i0 = k sqrt(x (1 - x)) zero, so no current can start; start "
        "inside (0, 1) (e.g. x: 0.97) or use exchange_current_form: constant",
        initKey, s.initialX);
  const double u0 = ocv.value(s.initialX);
  if (u0 < s.cutoffs.lower || u0 > s.cutoffs.upper)
    throwInput("{}: the initial OCV U({:.4f}) = {:.4f} V is outside the cut-off window [{}, {}] V", initKey,
               s.initialX, u0, s.cutoffs.lower, s.cutoffs.upper);
  const ProtocolStep& first = s.protocol.steps.front();
  if (first.kind == StepKind::ConstantCurrent) {
    const bool charge = first.direction == Direction::Charge;
    if (charge ? u0 >= first.untilVoltage : u0 <= first.untilVoltage)
      throwInput(
          "{}: the initial OCV U({:.4f}) = {:.4f} V already {} the end voltage {} V of the first step ({}); "
          "start at a {} x or change the step",
          initKey, s.initialX, u0, charge ? "reaches" : "is at or below", first.untilVoltage, first.path,
          charge ? "higher" : "lower");
  }

  // --- separator and counter electrode ----------------------------------------------------------------
  const Params sep = study.section("separator");
  s.separator.thickness = sep.real("thickness");
  s.separator.conductivity = sep.has("conductivity") ? sep.real("conductivity") : s.electrolyte.conductivity;
  const Params ce = study.section("counter_electrode");
  s.counter.type = ce.text("type");
  s.counter.potential = ce.has("potential") ? ce.real("potential") : (s.counter.type == "li_in" ? 0.62 : 0.0);
  s.counter.exchangeCurrent = ce.has("exchange_current_density") ? ce.real("exchange_current_density") : 0.0;

  // --- front, numerics, output -----------------------------------------------------------------------
  s.frontSoc = study.section("front").real("soc");
  const Params ts = study.section("time_stepping");
  s.timeStepping.rtol = ts.real("rtol");
  s.timeStepping.atolX = ts.real("atol_x");
  s.timeStepping.initialStep = ts.real("initial_step");
  s.timeStepping.maxStep = ts.has("max_step") ? ts.real("max_step") : 0.0;
  s.timeStepping.maxSteps = ts.integer("max_steps");
  s.petscOptions = parsePetscOptions(study.raw("petsc_options"), study.keyPath("petsc_options"));
  s.linearSolver = study.text("linear_solver");
  s.writeFields = study.boolean("write_fields");
  s.plots = study.boolean("plots");
  s.progressEvery = study.integer("progress_every");
  const Params cp = study.section("checkpoint");
  s.checkpoint.everySteps = cp.integer("every_steps");
  s.checkpoint.everySeconds = cp.real("every_seconds");
  return s;
}

}  // namespace ssb

// The `lithiation` study inputs (physics/LithiationParams, physics/LithiationProtocol): defaults and their
// conversions (hand-computed), capacity / C-rate arithmetic of spec section 5, the protocol state machine,
// and one test per bad-input rule that needs no volume (each message must name the YAML key).
#include <gtest/gtest.h>

#include <cmath>

#include "physics/LithiationParams.hpp"
#include "solver/core/Error.hpp"

using namespace ssb;

namespace {

PhaseMap threePhases() {
  PhaseMap m;
  m.add({"pore", PhaseRole::Pore, {0}});
  m.add({"LPS", PhaseRole::Electrolyte, {1}});
  m.add({"NMC", PhaseRole::Active, {2}});
  return m;
}

const char* kMinimal =
    "{type: lithiation, protocol: {steps: [{type: cc, c_rate: 0.05, direction: charge}, {type: cv}]}}";

LithiationSetup setupFrom(const std::string& yaml, const PhaseMap& phases = threePhases()) {
  Params p(YAML::Load(yaml), lithiationSchema(), "studies[0]");
  return prepareLithiation(p, phases);
}

// The InputError message of a study YAML (schema validation or prepareLithiation), "" if none.
std::string errorOf(const std::string& yaml, const PhaseMap& phases = threePhases()) {
  try {
    setupFrom(yaml, phases);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

// A minimal study with `extra` keys added at the top level (YAML flow mapping text without braces).
std::string with(const std::string& extra,
                 const std::string& steps = "[{type: cc, c_rate: 0.05, direction: charge}, {type: cv}]") {
  return "{type: lithiation, protocol: {steps: " + steps + "}" + (extra.empty() ? "" : ", " + extra) + "}";
}

#define EXPECT_ERROR(yaml, ...)                                                                       \
  do {                                                                                                \
    const std::string msg_ = errorOf(yaml);                                                           \
    for (const char* part : {__VA_ARGS__})                                                            \
      EXPECT_NE(msg_.find(part), std::string::npos) << "message: " << msg_ << "\nexpected: " << part; \
  } while (0)

}  // namespace

TEST(LithiationInputs, DefaultsAndConversions) {
  const LithiationSetup s = setupFrom(kMinimal);
  EXPECT_EQ(s.active.phaseName, "NMC");
  EXPECT_EQ(s.electrolyte.phaseName, "LPS");
  EXPECT_EQ(s.collectorAxis, 2);
  EXPECT_TRUE(s.collectorPlus);
  EXPECT_EQ(s.interfaceArea, "local_normal");
  // 0.3 mS/cm = 0.03 S/m at T = T_ref; sigma 5.9 mS/cm = 0.59 S/m.
  EXPECT_NEAR(s.electrolyte.conductivity, 0.03, 1e-15);
  EXPECT_NEAR(s.active.material.conductivity.value(0.5), 0.59, 1e-14);
  EXPECT_NEAR(s.electrolyte.activationEnergy, 0.37 * 1.602176634e-19, 1e-33);
  EXPECT_NEAR(s.electrolyte.density, 1880.0, 1e-9);
  // q_th = 276.6 mAh/g = 276.6 * 3.6 C / 1e-3 kg = 995760 C/kg; c_max = q_th rho / F = 47473.5 mol/m^3.
  EXPECT_NEAR(s.active.theoreticalCapacity, 995760.0, 1e-6);
  EXPECT_NEAR(s.cMax(), 995760.0 * 4600.0 / 96485.33212, 1e-8);
  EXPECT_NEAR(s.cMax(), 47473.5, 0.1);
  EXPECT_NEAR(s.active.material.diffusivity.value(0.5), 8e-15, 1e-30);
  EXPECT_EQ(s.active.material.exchange.form, echem::ExchangeCurrent::Form::SqrtX);
  EXPECT_NEAR(s.active.material.exchange.value, 5.4, 1e-15);
  EXPECT_EQ(s.active.ocvSource, "mohtat2020_nmc532");
  EXPECT_NEAR(s.separator.thickness, 500e-6, 1e-18);
  EXPECT_NEAR(s.separator.conductivity, 0.03, 1e-15);
  EXPECT_EQ(s.counter.type, "li_in");
  EXPECT_DOUBLE_EQ(s.counter.potential, 0.62);
  EXPECT_EQ(s.counter.exchangeCurrent, 0.0);
  EXPECT_DOUBLE_EQ(s.initialX, 0.97);
  EXPECT_NEAR(s.xUpperCutoff, 0.02811372, 1e-7);  // U = 4.3 V on the Mohtat2020 fit (Python bisection)
  EXPECT_DOUBLE_EQ(s.xLowerCutoff, 1.0);          // U(1) = 2.82 V > 2.7 V: the table end
  EXPECT_DOUBLE_EQ(s.frontSoc, 0.76);
  // cv after cc: holds the cc's end voltage (4.3 V), threshold 0.2 of its current.
  ASSERT_EQ(s.protocol.steps.size(), 2u);
  EXPECT_DOUBLE_EQ(s.protocol.steps[1].voltage, 4.3);
  EXPECT_EQ(s.protocol.steps[1].referenceStep, 0);
  EXPECT_DOUBLE_EQ(s.protocol.steps[1].untilCurrentRatio, 0.2);
  EXPECT_DOUBLE_EQ(s.stateOfCharge(0.97), 0.0);
  EXPECT_DOUBLE_EQ(s.stateOfCharge(s.xUpperCutoff), 1.0);
}

TEST(LithiationInputs, TemperatureSeparatorCounterAndTables) {
  const LithiationSetup s = setupFrom(
      with("temperature: 333.15 K, current_collector: x-, electrolyte: {phase: LPS}, separator: {thickness: "
           "100 um, "
           "conductivity: 1 mS/cm}, counter_electrode: {type: li_metal, exchange_current_density: 2 A/m^2}, "
           "active: {phase: NMC, ocv: table, ocv_table: {x: [0.0, 0.5, 1.0], voltage: [4.5, 3.8, 2.5]}, "
           "diffusivity_table: {x: [0, 1], value: [1e-14, 1e-16]}, exchange_current_form: constant, "
           "exchange_current_density: 0.5 mA/cm^2}, initial: {soc: 0.25}"));
  // kappa(60 C) = 0.03 S/m * 4.5400675543 (Arrhenius with 0.37 eV, see ElectrochemTest).
  EXPECT_NEAR(s.electrolyte.conductivity, 0.03 * 4.5400675543, 1e-9);
  EXPECT_EQ(s.collectorAxis, 0);
  EXPECT_FALSE(s.collectorPlus);
  EXPECT_NEAR(s.separator.conductivity, 0.1, 1e-15);
  EXPECT_DOUBLE_EQ(s.counter.potential, 0.0);
  EXPECT_DOUBLE_EQ(s.counter.exchangeCurrent, 2.0);
  EXPECT_NEAR(s.active.material.exchange.value, 5.0, 1e-14);  // 0.5 mA/cm^2 = 5 A/m^2
  // D table is log-linear between its two points: D(0.5) = sqrt(1e-14 * 1e-16) = 1e-15.
  EXPECT_NEAR(s.active.material.diffusivity.value(0.5), 1e-15, 1e-27);
  // OCV window: U = 4.3 V and 2.7 V on the table; soc 0.25 is a quarter of the way from the lower end.
  const double xUp = *s.active.material.ocv.xAtVoltage(4.3), xLo = *s.active.material.ocv.xAtVoltage(2.7);
  EXPECT_DOUBLE_EQ(s.xUpperCutoff, xUp);
  EXPECT_DOUBLE_EQ(s.xLowerCutoff, xLo);
  EXPECT_NEAR(s.initialX, xLo - 0.25 * (xLo - xUp), 1e-15);
  // Cell model: R_sep = L / (kappa A).
  const echem::CellModel cm = s.cellModel(1e-8);
  EXPECT_NEAR(cm.separatorResistance, 100e-6 / (0.1 * 1e-8), 1e-6);
  EXPECT_EQ(setupFrom(with("separator: {thickness: 0 m}")).cellModel(1e-8).separatorResistance, 0.0);
}

TEST(LithiationInputs, CapacityAndCurrents) {
  const LithiationSetup s = setupFrom(kMinimal);
  // A 10 um cube of NMC: m = 4600 kg/m^3 * 1e-15 m^3 = 4.6e-12 kg; 1C = q_th m / 3600 s
  // = 995760 * 4.6e-12 / 3600 = 1.27236e-9 A.
  EXPECT_NEAR(s.activeMass(1e-15), 4.6e-12, 1e-27);
  EXPECT_NEAR(s.oneCCurrent(1e-15), 1.2723600e-9, 1e-15);
  // 3.6 C through 1 g = 1 mAh/g.
  EXPECT_NEAR(LithiationSetup::capacityMahPerG(3.6, 1e-3), 1.0, 1e-14);
  // One hour at 1C gives the theoretical capacity back.
  EXPECT_NEAR(LithiationSetup::capacityMahPerG(s.oneCCurrent(1e-15) * 3600.0, s.activeMass(1e-15)), 276.6,
              1e-9);
  ProtocolStep cc;
  cc.kind = StepKind::ConstantCurrent;
  cc.cRate = 0.05;
  EXPECT_DOUBLE_EQ(stepCurrent(cc, 2.0, 1.0), 0.1);
  cc.direction = Direction::Discharge;
  EXPECT_DOUBLE_EQ(stepCurrent(cc, 2.0, 1.0), -0.1);
  cc.cRate.reset();
  cc.currentDensity = 10.0;
  EXPECT_DOUBLE_EQ(stepCurrent(cc, 2.0, 1e-10), -1e-9);
}

TEST(LithiationInputs, ProtocolExpansionAndStateMachine) {
  const LithiationSetup s = setupFrom(with(
      "cutoffs: {lower: 3.0 V, upper: 4.2 V}",
      "[{type: cc, c_rate: 0.5, direction: charge}, {type: rest, duration: 30 s}, {type: cv, max_time: 1 h}, "
      "{type: cc, current_density: 10 A/m^2, direction: discharge, until_voltage: 3.4 V}, "
      "{type: cv, until_current_ratio: 0.5}], cycles: 2"));
  const Protocol& p = s.protocol;
  ASSERT_EQ(p.steps.size(), 10u);
  EXPECT_EQ(p.stepsPerCycle, 5);
  EXPECT_EQ(p.steps[7].cycle, 1);
  EXPECT_DOUBLE_EQ(p.steps[2].voltage, 4.2);  // cv after a rest: the nearest cc before it (charge, 4.2 V)
  EXPECT_EQ(p.steps[2].referenceStep, 0);
  EXPECT_DOUBLE_EQ(p.steps[4].voltage, 3.4);  // after the discharge cc: its until_voltage
  EXPECT_EQ(p.steps[4].referenceStep, 3);
  EXPECT_EQ(p.steps[7].referenceStep, 5);  // second cycle refers to its own cc

  // Drive the machine by hand: 1C = 2 mA, A_cell = 1e-4 m^2.
  ProtocolMachine m(p, 2e-3, 1e-4, 100.0);
  EXPECT_EQ(m.control().kind, ControlKind::Galvanostatic);
  EXPECT_DOUBLE_EQ(m.control().current, 1e-3);
  EXPECT_EQ(m.endReached(200.0, 4.19, 1e-3), EndReason::None);
  EXPECT_EQ(m.events(200.0, 4.19, 1e-3).size(), 1u);
  EXPECT_NEAR(m.events(200.0, 4.19, 1e-3)[0].value, -0.01, 1e-14);
  EXPECT_EQ(m.endReached(300.0, 4.2, 1e-3), EndReason::VoltageLimit);
  EXPECT_EQ(m.nextStep()->kind, StepKind::Rest);
  m.advance(300.0, 4.2, 1e-3, 0.2, 0.2, EndReason::VoltageLimit);
  EXPECT_EQ(m.control().kind, ControlKind::Rest);
  EXPECT_DOUBLE_EQ(m.deadline(), 330.0);
  EXPECT_EQ(m.endReached(329.0, 4.1, 0.0), EndReason::None);
  EXPECT_EQ(m.endReached(330.0, 4.1, 0.0), EndReason::Duration);
  m.advance(330.0, 4.1, 0.0, 0.0, 0.0, EndReason::Duration);
  // cv: hold 4.2 V, ends below 0.2 * 1 mA or after 1 h.
  EXPECT_EQ(m.control().kind, ControlKind::Potentiostatic);
  EXPECT_DOUBLE_EQ(m.control().voltage, 4.2);
  EXPECT_DOUBLE_EQ(m.thresholdCurrent(), 2e-4);
  EXPECT_EQ(m.endReached(400.0, 4.2, 5e-4), EndReason::None);
  EXPECT_EQ(m.endReached(400.0, 4.2, 1.9e-4), EndReason::CurrentBelowThreshold);
  EXPECT_EQ(m.endReached(330.0 + 3600.0, 4.2, 5e-4), EndReason::TimeLimit);
  m.advance(1000.0, 4.2, 1.9e-4, 0.1, 0.1, EndReason::CurrentBelowThreshold);
  // discharge cc at 10 A/m^2 * 1e-4 m^2 = 1 mA, negative; ends when V falls to 3.4 V.
  EXPECT_DOUBLE_EQ(m.control().current, -1e-3);
  EXPECT_EQ(m.endReached(1100.0, 3.41, -1e-3), EndReason::None);
  EXPECT_EQ(m.endReached(1100.0, 3.4, -1e-3), EndReason::VoltageLimit);
  m.advance(1100.0, 3.4, -1e-3, -0.1, 0.1, EndReason::VoltageLimit);
  EXPECT_DOUBLE_EQ(m.thresholdCurrent(), 0.5e-3);  // 0.5 of the discharge current magnitude
  // A checkpoint taken here and restored into a fresh machine continues identically.
  ProtocolMachine copy(p, 2e-3, 1e-4);
  copy.restore(m.snapshot());
  EXPECT_EQ(copy.stepIndex(), 4u);
  EXPECT_DOUBLE_EQ(copy.stepStartTime(), 1100.0);
  EXPECT_DOUBLE_EQ(copy.thresholdCurrent(), m.thresholdCurrent());
  EXPECT_EQ(copy.history().size(), 4u);
  ProtocolMachine::Snapshot bad = m.snapshot();
  bad.history.pop_back();
  EXPECT_THROW(copy.restore(bad), RunError);
  for (int k = 4; k < 10; ++k) m.advance(1200.0 + k, 3.9, 0.0, 0.0, 0.0, EndReason::Duration);
  EXPECT_TRUE(m.finished());
  EXPECT_EQ(m.history().size(), 10u);
  EXPECT_EQ(m.history()[0].reason, EndReason::VoltageLimit);
  EXPECT_DOUBLE_EQ(m.history()[0].tStart, 100.0);
  EXPECT_THROW(m.control(), RunError);
  // A C-rate on a volume without active material (1C = 0 A) is refused when the machine is built.
  EXPECT_THROW(ProtocolMachine(p, 0.0, 1e-4), InputError);
}

TEST(LithiationInputs, SchemaIsDocumented) {
  // Every key of every lithiation schema has a description; `ssbvox params` can print them.
  std::vector<const Schema*> todo = {&lithiationSchema()};
  int keys = 0;
  while (!todo.empty()) {
    const Schema* sc = todo.back();
    todo.pop_back();
    for (const auto& p : sc->params) {
      EXPECT_FALSE(p.doc.empty()) << sc->path << "." << p.key;
      if (p.type == ParamType::Real && p.key != "c_rate" && p.key.find("alpha") == std::string::npos &&
          p.key != "contact_fraction" && p.key != "rtol" && p.key != "atol_x" && p.key != "x" &&
          p.key != "soc" && p.key != "until_current_ratio") {
        EXPECT_FALSE(p.unit.empty()) << sc->path << "." << p.key << " has no unit";
      }
      if (p.nested) todo.push_back(p.nested);
      ++keys;
    }
  }
  EXPECT_GT(keys, 50);
  const std::string md = schemaMarkdown({&lithiationSchema()});
  for (const char* k :
       {"`current_collector`", "`exchange_current_density` | number | `5.4 A/m^2`",
        "`activation_energy` | number | `0.37 eV`", "studies[] (type: lithiation).protocol.steps[]",
        "`until_current_ratio`", "lithiation_"})
    EXPECT_NE(md.find(k), std::string::npos) << k;
}

// --- bad inputs: one test per rule ---------------------------------------------------------------------

TEST(LithiationBadInput, OcvTableNotMonotone) {
  EXPECT_ERROR(with("active: {ocv: table, ocv_table: {x: [0, 0.5, 1], voltage: [4.4, 3.7, 3.8]}}"),
               "studies[0].active.ocv_table.voltage", "decrease strictly");
}

TEST(LithiationBadInput, OcvTableDoesNotCoverTheWindow) {
  EXPECT_ERROR(with("active: {ocv: table, ocv_table: {x: [0.2, 0.5, 1], voltage: [4.1, 3.7, 2.5]}}"),
               "studies[0].active.ocv_table", "does not cover the charge end", "4.3 V");
  EXPECT_ERROR(with("active: {ocv: table, ocv_table: {x: [0, 0.5, 0.9], voltage: [4.4, 3.7, 3.0]}}"),
               "studies[0].active.ocv_table", "does not cover the discharge end");
  EXPECT_ERROR(with("active: {ocv: table, ocv_table: {x: [0, 0.5, 1.1], voltage: [4.4, 3.7, 3.0]}}"),
               "studies[0].active.ocv_table.x[2]");
  EXPECT_ERROR(with("active: {ocv: table, ocv_table: {x: [0, 0.5], voltage: [4.4, 3.7, 3.0]}}"),
               "studies[0].active.ocv_table", "one value per x");
}

TEST(LithiationBadInput, OcvChoiceAndTableDisagree) {
  EXPECT_ERROR(with("active: {ocv: table}"), "studies[0].active.ocv_table", "needs ocv_table");
  EXPECT_ERROR(with("active: {ocv_table: {x: [0, 1], voltage: [4.4, 2.5]}}"), "studies[0].active.ocv_table",
               "ocv: table");
  EXPECT_ERROR(with("active: {ocv: nmc622}"), "studies[0].active.ocv", "nmc622");
}

TEST(LithiationBadInput, TransportTables) {
  EXPECT_ERROR(with("active: {diffusivity_table: {x: [0, 1], value: [1e-14, -1e-15]}}"),
               "studies[0].active.diffusivity_table.value[1]", "not positive");
  EXPECT_ERROR(with("active: {conductivity_table: {x: [0.5, 1], value: [1, 2]}}"),
               "studies[0].active.conductivity_table.x", "cut-off window");
  EXPECT_ERROR(with("active: {diffusivity_table: {x: [0, 0.6, 0.6, 1], value: [1, 2, 3, 4]}}"),
               "studies[0].active.diffusivity_table", "strictly increasing");
}

TEST(LithiationBadInput, InitialStateViolatesACutoff) {
  // x = 0.97 has U = 3.5486 V: a first charge step that ends at 3.5 V is already over.
  EXPECT_ERROR(with("", "[{type: cc, c_rate: 0.05, direction: charge, until_voltage: 3.5 V}]"),
               "studies[0].initial.x", "already reaches the end voltage 3.5 V",
               "studies[0].protocol.steps[0]");
  // x = 0.01 has U = 4.33 V > 4.3 V: outside the window for any protocol.
  EXPECT_ERROR(with("initial: {x: 0.01}", "[{type: cc, c_rate: 1, direction: discharge}]"),
               "studies[0].initial.x", "outside the cut-off window");
  // A discharge first step from a state below its end voltage.
  EXPECT_ERROR(
      with("initial: {x: 0.97}", "[{type: cc, c_rate: 1, direction: discharge, until_voltage: 3.6 V}]"),
      "studies[0].initial.x", "is at or below the end voltage 3.6 V");
}

TEST(LithiationBadInput, InitialStateKeys) {
  EXPECT_ERROR(with("initial: {x: 0.9, soc: 0.1}"), "studies[0].initial", "exactly one of x",
               "both are given");
  EXPECT_ERROR(with("initial: {}"), "studies[0].initial", "exactly one of x");
  // soc 0 on the Mohtat2020 table is x = 1, where i0 = k sqrt(x (1 - x)) vanishes.
  EXPECT_ERROR(with("initial: {soc: 0}"), "studies[0].initial.soc", "i0 = k sqrt(x (1 - x)) zero");
  EXPECT_ERROR(with("initial: {x: 0.1}, active: {ocv: chen2020_nmc811}"), "studies[0].initial.x",
               "outside the OCV table");
  EXPECT_ERROR(with("initial: {x: 1.2}"), "studies[0].initial.x", "out of range");
}

TEST(LithiationBadInput, Cutoffs) {
  EXPECT_ERROR(with("cutoffs: {lower: 4.3 V, upper: 2.7 V}"), "studies[0].cutoffs", "must be below");
  EXPECT_ERROR(with("cutoffs: {lower: -1 V}"), "studies[0].cutoffs.lower", "out of range");
}

TEST(LithiationBadInput, CvWithoutPrecedingVoltage) {
  EXPECT_ERROR(with("", "[{type: cv}]"), "studies[0].protocol.steps[0].voltage", "no cc step before it");
  EXPECT_ERROR(with("", "[{type: rest, duration: 10 s}, {type: cv, voltage: 4.2 V}]"),
               "studies[0].protocol.steps[1].until_current_ratio", "no cc step before this cv");
  EXPECT_ERROR(with("", "[{type: cv, voltage: 4.2 V, until_current_ratio: 0}]"),
               "studies[0].protocol.steps[0]", "never end");
  EXPECT_ERROR(with("", "[{type: cc, c_rate: 1, direction: charge}, {type: cv, voltage: 4.4 V}]"),
               "studies[0].protocol.steps[1].voltage", "outside the cut-off window");
  // Allowed: a first cv with its own voltage, no current criterion and a time limit.
  EXPECT_EQ(errorOf(with("", "[{type: cv, voltage: 4.0 V, until_current_ratio: 0, max_time: 1 h}]")), "");
}

TEST(LithiationBadInput, CcSteps) {
  EXPECT_ERROR(with("", "[{type: cc, direction: charge}]"), "studies[0].protocol.steps[0]",
               "exactly one of c_rate");
  EXPECT_ERROR(with("", "[{type: cc, c_rate: 1, current_density: 10 A/m^2, direction: charge}]"),
               "studies[0].protocol.steps[0]", "both are given");
  EXPECT_ERROR(with("", "[{type: cc, c_rate: 1}]"), "studies[0].protocol.steps[0].direction",
               "direction: charge");
  EXPECT_ERROR(with("", "[{type: cc, c_rate: 1, direction: charge, until_voltage: 4.5 V}]"),
               "studies[0].protocol.steps[0].until_voltage", "outside the cut-off window");
  EXPECT_ERROR(with("", "[{type: cc, c_rate: 1, direction: charge, duration: 1 h}]"),
               "studies[0].protocol.steps[0].duration", "not a key of a cc step");
  EXPECT_ERROR(with("", "[{type: cc, c_rate: 1, direction: sideways}]"),
               "studies[0].protocol.steps[0].direction", "sideways");
}

TEST(LithiationBadInput, RestAndProtocolShape) {
  EXPECT_ERROR(with("", "[{type: rest}]"), "studies[0].protocol.steps[0].duration", "needs `duration`");
  EXPECT_ERROR(with("", "[{type: rest, duration: 10 s, voltage: 4 V}]"),
               "studies[0].protocol.steps[0].voltage", "not a key of a rest step");
  EXPECT_ERROR(with("", "[]"), "studies[0].protocol.steps", "empty");
  EXPECT_ERROR(with("", "[{type: cc, c_rate: 1, direction: charge}], cycles: 0"),
               "studies[0].protocol.cycles", "out of range");
  EXPECT_ERROR("{type: lithiation}", "studies[0].protocol", "required");
}

TEST(LithiationBadInput, NegativeOrZeroValues) {
  EXPECT_ERROR(with("", "[{type: cc, c_rate: 0, direction: charge}]"), "studies[0].protocol.steps[0].c_rate",
               "out of range");
  EXPECT_ERROR(with("", "[{type: cc, c_rate: -0.1, direction: charge}]"), "steps[0].c_rate", "out of range");
  EXPECT_ERROR(with("active: {diffusivity: -1e-15 m^2/s}"), "studies[0].active.diffusivity", "out of range");
  EXPECT_ERROR(with("active: {exchange_current_density: 0 A/m^2}"),
               "studies[0].active.exchange_current_density", "out of range");
  EXPECT_ERROR(with("electrolyte: {conductivity: 0 S/m}"), "studies[0].electrolyte.conductivity",
               "out of range");
  EXPECT_ERROR(with("active: {alpha_a: 0}"), "studies[0].active.alpha_a", "out of range");
  EXPECT_ERROR(with("temperature: 0 K"), "studies[0].temperature", "out of range");
  EXPECT_ERROR(with("separator: {thickness: -1 um}"), "studies[0].separator.thickness", "out of range");
  EXPECT_ERROR(with("", "[{type: rest, duration: 0 s}]"), "studies[0].protocol.steps[0].duration",
               "out of range");
  EXPECT_ERROR(with("contact_fraction: 0"), "studies[0].contact_fraction", "out of range");
}

TEST(LithiationBadInput, BareNumbersWithoutTheirUnit) {
  EXPECT_ERROR(with("electrolyte: {activation_energy: 0.37}"), "studies[0].electrolyte.activation_energy",
               "'0.37 eV'");
  EXPECT_ERROR(with("active: {theoretical_capacity: 276.6}"), "studies[0].active.theoretical_capacity",
               "'276.6 mAh/g'");
  EXPECT_ERROR(with("electrolyte: {activation_energy: 0.37 V}"), "studies[0].electrolyte.activation_energy",
               "unit");
}

TEST(LithiationBadInput, Phases) {
  EXPECT_ERROR(with("active: {phase: NCM}"), "studies[0].active.phase", "no phase named 'NCM'");
  EXPECT_ERROR(with("active: {phase: LPS}"), "studies[0].active.phase", "has role electrolyte");
  PhaseMap noActive;
  noActive.add({"LPS", PhaseRole::Electrolyte, {1}});
  noActive.add({"pore", PhaseRole::Pore, {0}});
  const std::string m1 = errorOf(kMinimal, noActive);
  EXPECT_NE(m1.find("studies[0].active.phase"), std::string::npos) << m1;
  EXPECT_NE(m1.find("no phase has role active"), std::string::npos) << m1;
  PhaseMap two = threePhases();
  two.add({"NMC2", PhaseRole::Active, {3}});
  const std::string m2 = errorOf(kMinimal, two);
  EXPECT_NE(m2.find("several phases have role active (NMC, NMC2)"), std::string::npos) << m2;
  EXPECT_EQ(errorOf(with("active: {phase: NMC2}"), two), "");  // naming one resolves it
}

TEST(LithiationBadInput, UnknownKeysAndPetscOptions) {
  EXPECT_ERROR(with("activ: {}"), "studies[0].activ", "unknown key");
  EXPECT_ERROR(with("active: {difusivity: 1e-15}"), "studies[0].active.difusivity", "unknown key");
  EXPECT_ERROR(with("petsc_options: [ksp_type]"), "studies[0].petsc_options");
}

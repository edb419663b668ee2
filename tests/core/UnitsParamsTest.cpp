// Units and declared parameters: conversions against hand-computed SI values, and every rejection rule.
#include <gtest/gtest.h>

#include "solver/core/Error.hpp"
#include "solver/core/Params.hpp"
#include "solver/core/Provenance.hpp"
#include "solver/core/Units.hpp"

using namespace ssb;

TEST(Units, LengthsAndConductivities) {
  EXPECT_DOUBLE_EQ(parseQuantity("20 nm", "m", "t"), 20e-9);
  EXPECT_DOUBLE_EQ(parseQuantity("0.39 um", "m", "t"), 0.39e-6);
  EXPECT_DOUBLE_EQ(parseQuantity("2e-8", "m", "t"), 2e-8);
  // 1 mS/cm = 1e-3 S / 1e-2 m = 0.1 S/m
  EXPECT_NEAR(parseQuantity("0.3 mS/cm", "S/m", "t"), 0.03, 1e-15);
  EXPECT_NEAR(parseQuantity("8.7e-6 mS/cm", "S/m", "t"), 8.7e-7, 1e-20);
  // 1 cm^2/s = 1e-4 m^2/s
  EXPECT_NEAR(parseQuantity("1e-10 cm^2/s", "m^2/s", "t"), 1e-14, 1e-28);
  EXPECT_NEAR(parseQuantity("2 mA/cm2", "A/m^2", "t"), 20.0, 1e-12);
  EXPECT_NEAR(parseQuantity("15 GPa", "Pa", "t"), 15e9, 1e-3);
  EXPECT_NEAR(parseQuantity("1 h", "s", "t"), 3600, 1e-12);
}

TEST(Units, Rejections) {
  EXPECT_THROW(parseQuantity("20 furlongs", "m", "volume.voxel_size"), InputError);
  EXPECT_THROW(parseQuantity("20 S/m", "m", "volume.voxel_size"), InputError);  // wrong dimension
  EXPECT_THROW(parseQuantity("abc", "m", "volume.voxel_size"), InputError);
  try {
    parseQuantity("3 parsec", "m", "volume.voxel_size");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("volume.voxel_size"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("unknown unit"), std::string::npos);
  }
}

namespace {
Schema makeSchema() {
  Schema s("test", "doc");
  s.real("size", "1 um", "m", 0, 1, "a length", true);
  s.integer("count", "3", 1, 10, "an integer");
  s.choice("mode", "a", {"a", "b"}, "a choice");
  s.boolean("flag", "false", "a flag");
  return s;
}
std::string messageOf(const std::string& yaml) {
  static Schema s = makeSchema();
  try {
    Params p(YAML::Load(yaml), s, "sec");
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST(Params, DefaultsAndValues) {
  Schema s = makeSchema();
  Params p(YAML::Load("{size: 20 nm, mode: b}"), s, "sec");
  EXPECT_DOUBLE_EQ(p.real("size"), 20e-9);
  EXPECT_EQ(p.integer("count"), 3);
  EXPECT_EQ(p.text("mode"), "b");
  EXPECT_FALSE(p.boolean("flag"));
}

TEST(Params, EachRejectionNamesThePath) {
  EXPECT_NE(messageOf("{sise: 1 nm}").find("sec.sise: unknown key"), std::string::npos);
  EXPECT_NE(messageOf("{count: two}").find("sec.count"), std::string::npos);
  EXPECT_NE(messageOf("{count: 11}").find("out of range"), std::string::npos);
  EXPECT_NE(messageOf("{size: -5 nm}").find("out of range"), std::string::npos);
  EXPECT_NE(messageOf("{size: 0}").find("out of range"), std::string::npos);
  EXPECT_NE(messageOf("{mode: c}").find("not one of"), std::string::npos);
  EXPECT_NE(messageOf("{flag: maybe}").find("true or false"), std::string::npos);
  EXPECT_NE(messageOf("{size: 5 zz}").find("unknown unit"), std::string::npos);
  EXPECT_NE(messageOf("{size: [1, 2]}").find("expected a number"), std::string::npos);
}

TEST(Params, Override) {
  YAML::Node root = YAML::Load("{volume: {voxel_size: 1 um}, studies: [{type: a, x: 1}]}");
  applyOverride(root, "volume.voxel_size=20 nm");
  applyOverride(root, "studies[0].x=5");
  EXPECT_EQ(root["volume"]["voxel_size"].as<std::string>(), "20 nm");
  EXPECT_EQ(root["studies"][0]["x"].as<int>(), 5);
  EXPECT_THROW(applyOverride(root, "novalue"), InputError);
  EXPECT_THROW(applyOverride(root, "studies[3].x=1"), InputError);
}

namespace {
// The InputError message of f(), or "" if it did not throw one.
template <typename F>
std::string inputErrorOf(F&& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}
bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }
}  // namespace

// Issue 12: numbers a double cannot hold as a normal number are refused with the key named, never turned
// into inf, 0 or a subnormal. DBL_MIN = 2.2250738585072014e-308, DBL_MAX = 1.7976931348623157e308.
TEST(Units, NonRepresentableNumbersAreRefused) {
  const std::string key = "studies[0].conductivities.LPS";
  for (const char* text : {"4e-320", "4e-320 S/m", "1e-400", "1e-400 S/m", "2e-308"}) {
    const std::string m = inputErrorOf([&] { parseQuantity(text, "S/m", key); });
    EXPECT_TRUE(has(m, key) && has(m, "too small to represent")) << text << ": " << m;
  }
  for (const char* text : {"1e400", "1e400 S/m", "-1e309", "inf", "1e308 kS/m"}) {
    const std::string m = inputErrorOf([&] { parseQuantity(text, "S/m", key); });
    EXPECT_TRUE(has(m, key) && (has(m, "too large to represent") || has(m, "not a number")))
        << text << ": " << m;
  }
  EXPECT_TRUE(has(inputErrorOf([&] { parseQuantity("nan", "S/m", key); }), "not a number"));
  // Normal after conversion only counts: 1e-300 nm = 1e-309 m is subnormal.
  EXPECT_TRUE(has(inputErrorOf([&] { parseQuantity("1e-300 nm", "m", key); }), "in SI units"));
  // The extremes that are representable pass unchanged; zero is a normal input (a phase that does not
  // conduct).
  EXPECT_EQ(parseQuantity("1e-300", "S/m", key), 1e-300);
  EXPECT_EQ(parseQuantity("1e300 S/m", "S/m", key), 1e300);
  EXPECT_EQ(parseQuantity("2.2250738585072014e-308", "S/m", key), 2.2250738585072014e-308);
  EXPECT_EQ(parseQuantity("0", "S/m", key), 0.0);
  EXPECT_EQ(parseQuantity("0 mS/cm", "S/m", key), 0.0);
  // Integers past the range of long are refused, not clamped.
  EXPECT_TRUE(has(messageOf("{count: 99999999999999999999}"), "sec.count: integer"));
}

// `--set` paths: empty or malformed paths, subscripts on a value, keys inside a list and indexes on a mapping
// are input errors naming the path (before: undefined behaviour, or a yaml-cpp exception ending in exit 1).
TEST(Params, OverridePathErrors) {
  const char* doc = "{volume: {voxel_size: 1 um}, studies: [{type: a, x: 1}]}";
  const auto message = [&](const std::string& assignment) {
    YAML::Node root = YAML::Load(doc);
    return inputErrorOf([&] { applyOverride(root, assignment); });
  };
  EXPECT_TRUE(has(message(".=1"), "--set '.': the key path has an empty part")) << message(".=1");
  EXPECT_TRUE(has(message("=1"), "the key path is empty")) << message("=1");
  EXPECT_TRUE(has(message("volume..voxel_size=1"), "empty part"));
  EXPECT_TRUE(has(message("volume.=1"), "ends with '.'"));
  EXPECT_TRUE(has(message("studies[x].a=1"), "non-negative integer"));
  EXPECT_TRUE(has(message("studies[0.a=1"), "no matching ']'"));
  const std::string scalar = message("volume.voxel_size.x=1");
  EXPECT_TRUE(has(scalar, "--set volume.voxel_size.x: 'volume.voxel_size' is a value ('1 um')")) << scalar;
  const std::string scalarIndex = message("volume.voxel_size[0]=1");
  EXPECT_TRUE(has(scalarIndex, "'volume.voxel_size' is a value")) << scalarIndex;
  const std::string inList = message("studies.x=1");
  EXPECT_TRUE(has(inList, "'studies' is a list of 1") && has(inList, "studies[0].x")) << inList;
  const std::string mapIndex = message("volume[0]=1");
  EXPECT_TRUE(has(mapIndex, "'volume' is a mapping, not a list")) << mapIndex;
  EXPECT_TRUE(has(message("studies[1].x=1"), "index 1 is past the end"));
  EXPECT_TRUE(has(message("volume.voxel_size=[1, "), "not valid YAML"));
}

// Typed overrides (what sweeps and calibration loops use): YAML nodes, not strings.
TEST(Params, TypedOverride) {
  YAML::Node root = YAML::Load("{studies: [{type: a, c: {LPS: 1}}], volume: {}}");
  applyOverride(root, Override{"studies[0].c.LPS", YAML::Node(2.5e-3)});
  applyOverride(root, Override{"volume.generate.shape", YAML::Load("[4, 5, 6]")});
  EXPECT_EQ(root["studies"][0]["c"]["LPS"].as<double>(), 2.5e-3);
  EXPECT_EQ(root["volume"]["generate"]["shape"][2].as<int>(), 6);
  const Override o = parseOverride("a.b=[1, 2]");
  EXPECT_EQ(o.path, "a.b");
  EXPECT_TRUE(o.value.IsSequence());
}

TEST(Provenance, Sha256KnownVectors) {
  // FIPS 180-2 test vectors.
  EXPECT_EQ(sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

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

TEST(Provenance, Sha256KnownVectors) {
  // FIPS 180-2 test vectors.
  EXPECT_EQ(sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

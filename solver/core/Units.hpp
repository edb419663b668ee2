#pragma once
// SI unit handling for YAML values: "20 nm", "0.3 mS/cm", "1e-14 m^2/s", "2 C" are parsed to SI numbers
// and checked against the dimension the parameter expects. A bare number is taken as SI.
#include <array>
#include <string>

namespace ssb {

// Exponents of (m, kg, s, A, K, mol).
struct Dimension {
  std::array<int, 6> e{};
  bool operator==(const Dimension&) const = default;
};

struct Quantity {
  double value = 0.0;  // SI
  Dimension dim;
};

// Parse a unit expression such as "mS/cm", "m^2/s", "A/m^2", "um", "1" (dimensionless).
// Throws InputError("unknown unit ...") naming `context`.
Quantity parseUnit(const std::string& unit, const std::string& context);

// Parse "number [unit]" and convert to SI, checking the dimension against `expectedUnit`
// (itself a unit expression such as "m" or "S/m"; empty = dimensionless).
double parseQuantity(const std::string& text, const std::string& expectedUnit, const std::string& context);

std::string dimensionString(const Dimension& d);

}  // namespace ssb

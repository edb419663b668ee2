#include "solver/core/Units.hpp"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <map>

#include "solver/core/Error.hpp"

namespace ssb {
namespace {

// m, kg, s, A, K, mol
const std::map<std::string, Quantity>& baseUnits() {
  static const std::map<std::string, Quantity> units = [] {
    std::map<std::string, Quantity> u;
    auto add = [&](const std::string& name, double f, std::array<int, 6> e) { u[name] = {f, Dimension{e}}; };
    add("m", 1, {1, 0, 0, 0, 0, 0});
    add("g", 1e-3, {0, 1, 0, 0, 0, 0});
    add("s", 1, {0, 0, 1, 0, 0, 0});
    add("min", 60, {0, 0, 1, 0, 0, 0});
    add("h", 3600, {0, 0, 1, 0, 0, 0});
    add("A", 1, {0, 0, 0, 1, 0, 0});
    add("K", 1, {0, 0, 0, 0, 1, 0});
    add("mol", 1, {0, 0, 0, 0, 0, 1});
    add("S", 1, {-2, -1, 3, 2, 0, 0});  // A^2 s^3 / (kg m^2)
    add("V", 1, {2, 1, -3, -1, 0, 0});  // kg m^2 / (A s^3)
    add("Ohm", 1, {2, 1, -3, -2, 0, 0});
    add("C", 1, {0, 0, 1, 1, 0, 0});
    add("Pa", 1, {-1, 1, -2, 0, 0, 0});
    add("N", 1, {1, 1, -2, 0, 0, 0});
    add("J", 1, {2, 1, -2, 0, 0, 0});
    add("eV", 1.602176634e-19, {2, 1, -2, 0, 0, 0});  // exact (SI 2019); activation energies
    add("W", 1, {2, 1, -3, 0, 0, 0});
    add("L", 1e-3, {3, 0, 0, 0, 0, 0});
    add("Ah", 3600, {0, 0, 1, 1, 0, 0});
    add("%", 0.01, {0, 0, 0, 0, 0, 0});
    add("1", 1, {0, 0, 0, 0, 0, 0});
    return u;
  }();
  return units;
}

const std::map<std::string, double>& prefixes() {
  static const std::map<std::string, double> p = {
      {"T", 1e12}, {"G", 1e9},         {"M", 1e6},         {"k", 1e3},  {"c", 1e-2}, {"m", 1e-3},
      {"u", 1e-6}, {"\xC2\xB5", 1e-6}, {"\xCE\xBC", 1e-6}, {"n", 1e-9}, {"p", 1e-12}};
  return p;
}

bool lookupAtom(const std::string& atom, Quantity& q) {
  const auto& units = baseUnits();
  if (auto it = units.find(atom); it != units.end()) {
    q = it->second;
    return true;
  }
  for (const auto& [pre, f] : prefixes()) {
    if (atom.size() > pre.size() && atom.compare(0, pre.size(), pre) == 0) {
      auto it = units.find(atom.substr(pre.size()));
      if (it != units.end() && it->first != "%" && it->first != "1") {
        q = it->second;
        q.value *= f;
        return true;
      }
    }
  }
  return false;
}

}  // namespace

std::string dimensionString(const Dimension& d) {
  static const char* names[6] = {"m", "kg", "s", "A", "K", "mol"};
  std::string out;
  for (int i = 0; i < 6; ++i) {
    if (d.e[i] == 0) continue;
    if (!out.empty()) out += " ";
    out += names[i];
    // Appended piecewise: `"^" + std::to_string(...)` trips GCC 12's false-positive -Wrestrict.
    if (d.e[i] != 1) {
      out += '^';
      out += std::to_string(d.e[i]);
    }
  }
  return out.empty() ? "dimensionless" : out;
}

Quantity parseUnit(const std::string& unitIn, const std::string& context) {
  Quantity total{1.0, Dimension{}};
  std::string unit;
  for (char c : unitIn)
    if (c != ' ') unit += c;
  if (unit.empty()) return total;
  // Tokens separated by '*', '.', or '/'; everything after a '/' is in the denominator.
  int sign = 1;
  size_t i = 0;
  while (i < unit.size()) {
    size_t j = i;
    while (j < unit.size() && unit[j] != '*' && unit[j] != '/' && unit[j] != '.') ++j;
    std::string tok = unit.substr(i, j - i);
    int power = 1;
    if (auto hat = tok.find('^'); hat != std::string::npos) {
      char* end = nullptr;
      std::string ps = tok.substr(hat + 1);
      power = static_cast<int>(std::strtol(ps.c_str(), &end, 10));
      if (ps.empty() || *end != '\0')
        throwInput("{}: unknown unit '{}' (bad exponent in '{}')", context, unitIn, tok);
      tok = tok.substr(0, hat);
    } else if (!tok.empty() && std::isdigit(static_cast<unsigned char>(tok.back())) && tok != "1") {
      // "m2" as in "cm2": trailing digit power
      size_t k = tok.size();
      while (k > 0 && std::isdigit(static_cast<unsigned char>(tok[k - 1]))) --k;
      if (k > 0) {
        power = std::stoi(tok.substr(k));
        tok = tok.substr(0, k);
      }
    }
    Quantity q;
    if (tok.empty() || !lookupAtom(tok, q))
      throwInput(
          "{}: unknown unit '{}' (did not recognise '{}'); use SI symbols such as m, um, nm, S/m, mS/cm, "
          "m^2/s, A/m^2, V, s, h, Pa, GPa",
          context, unitIn, tok);
    total.value *= std::pow(q.value, sign * power);
    for (int d = 0; d < 6; ++d) total.dim.e[d] += sign * power * q.dim.e[d];
    if (j < unit.size() && unit[j] == '/') sign = -1;
    i = j + 1;
  }
  return total;
}

namespace {

// Refuse what a double cannot hold as a normal number: overflow (1e400 -> inf), underflow (1e-400 -> 0)
// and subnormals (4e-320), whose lost precision breaks solvers silently. Zero is fine.
void checkRepresentable(double v, bool rangeError, const std::string& context, const std::string& text,
                        const char* where) {
  if (std::isnan(v)) throwInput("{}: value '{}' is not a number", context, text);
  if (std::isinf(v) || (rangeError && std::abs(v) > 1.0))
    throwInput(
        "{}: value '{}' is too large to represent{} (the largest double is {:.3g}); check the exponent",
        context, text, where, std::numeric_limits<double>::max());
  if ((rangeError && std::abs(v) <= 1.0) || (v != 0.0 && std::abs(v) < std::numeric_limits<double>::min()))
    throwInput(
        "{}: value '{}' is too small to represent{} (below the smallest normal double, {:.3g}); numbers this "
        "small lose their precision: use 0 if the quantity should vanish, or a value of at least {:.3g}",
        context, text, where, std::numeric_limits<double>::min(), std::numeric_limits<double>::min());
}

}  // namespace

double parseQuantity(const std::string& text, const std::string& expectedUnit, const std::string& context) {
  const char* s = text.c_str();
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(s, &end);
  const bool rangeError = errno == ERANGE;
  if (end == s)
    throwInput("{}: expected a number{}, got '{}'", context,
               expectedUnit.empty() ? "" : " with unit " + expectedUnit, text);
  checkRepresentable(v, rangeError, context, text, "");
  std::string rest(end);
  if (rest.find_first_not_of(" \t") == std::string::npos) return v;  // a bare number is SI
  Quantity q = parseUnit(rest, context);
  Quantity want = parseUnit(expectedUnit, context);
  if (!(q.dim == want.dim)) {
    throwInput("{}: unit of '{}' is {} but this key expects {} (e.g. '{}')", context, text,
               dimensionString(q.dim), dimensionString(want.dim),
               expectedUnit.empty() ? "0.5" : "1 " + expectedUnit);
  }
  const double si = v * q.value;
  checkRepresentable(si, false, context, text, " in SI units");
  return si;
}

}  // namespace ssb

#pragma once
// Small text helpers shared by the driver's readers (units, CSV cells).
#include <string>

namespace ssb {

// `s` without leading and trailing blanks (spaces and tabs).
inline std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

}  // namespace ssb

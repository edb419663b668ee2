#include "solver/core/Json.hpp"

#include <cmath>

namespace ssb {
Json finiteOrNull(double x) { return std::isfinite(x) ? Json(x) : Json(nullptr); }
}  // namespace ssb

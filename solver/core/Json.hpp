#pragma once
// JSON helpers: nlohmann::json with non-finite numbers written as null (JSON has no NaN/inf).
#include <nlohmann/json.hpp>

#include <optional>

namespace ssb {
using Json = nlohmann::ordered_json;

// A finite number, or null (with the caller stating why elsewhere in the record).
Json finiteOrNull(double x);
}  // namespace ssb

#pragma once
// Inside libs/common: the value of a short run of decimal digits, for the date and time parsers.

#include <charconv>
#include <optional>
#include <string_view>

namespace jaring::detail {

// The value of `text` when it is one or more decimal digits (no sign, no space), else nullopt.
// Callers pass at most a few digits, so the value fits an int.
inline std::optional<int> digits(std::string_view text) {
  if (text.empty()) return std::nullopt;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  int value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

}  // namespace jaring::detail

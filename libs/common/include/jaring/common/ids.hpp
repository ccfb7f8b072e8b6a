#pragma once
// Identifiers: unique, URL-safe, and ordered by creation time (to the millisecond).

#include <cstddef>
#include <string>
#include <string_view>

namespace jaring {

// Digits in a NIK: a run this long in an id or a log line looks like one.
inline constexpr std::size_t kNikDigits = 16;

// Whether `text` has `length` decimal digits in a row.
bool has_decimal_run(std::string_view text, std::size_t length);

// A 128-bit id (48 bits of Unix milliseconds, 80 random bits) as 32 lowercase hex digits,
// with an optional prefix ("p_..."). Never with kNikDigits decimal digits in a row, so the edge
// accepts it as a trace id and logs never mask it as a NIK.
std::string new_id(std::string_view prefix = {});

}  // namespace jaring

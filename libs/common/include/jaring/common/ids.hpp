#pragma once
// Identifiers: unique, URL-safe, and ordered by creation time (to the millisecond).

#include <string>
#include <string_view>

namespace jaring {

// A 128-bit id (48 bits of Unix milliseconds, 80 random bits) as 32 lowercase hex digits,
// with an optional prefix ("p_...").
std::string new_id(std::string_view prefix = {});

}  // namespace jaring

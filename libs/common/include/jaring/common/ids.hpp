#pragma once
// Identifiers: random, URL-safe, sortable enough to read in logs.

#include <string>
#include <string_view>

namespace jaring {

// A random 128-bit id rendered as 32 lowercase hex digits, with an optional prefix ("p_...").
std::string new_id(std::string_view prefix = {});

}  // namespace jaring

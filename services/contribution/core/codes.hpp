#pragma once
// Codes used in files and APIs (DESIGN.md section 2), as the contribution service checks them.

#include <string_view>

#include "jaring/common/codes.hpp"

namespace jaring::contribution {

using codes::kCategories;
using codes::kPayers;
using codes::kPrograms;
using codes::one_of;

// Payment channels and how many months a payment may cover, the contribution service's own codes.
inline constexpr std::string_view kChannels[] = {"agent_cash", "bank_va", "sponsor", "city_budget"};
inline constexpr int kMonthsAhead[] = {1, 3, 6, 12};
inline constexpr int kMaxMonthsAhead = 12;

}  // namespace jaring::contribution

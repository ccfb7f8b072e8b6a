#pragma once
// Codes used in files and APIs (DESIGN.md section 2), as the contribution service checks them.

#include <algorithm>
#include <span>
#include <string_view>

namespace jaring::contribution {

inline constexpr std::string_view kCategories[] = {"rt_rw_official",
                                                   "pkk",
                                                   "dasawisma",
                                                   "posyandu",
                                                   "jumantik",
                                                   "fkdm",
                                                   "ppsu",
                                                   "guard",
                                                   "cleaner",
                                                   "religious_teacher",
                                                   "ojol_driver",
                                                   "scavenger",
                                                   "construction_worker",
                                                   "street_vendor",
                                                   "other_informal"};
inline constexpr std::string_view kPayers[] = {"self", "sponsor", "city_budget"};
inline constexpr std::string_view kPrograms[] = {"jkk+jkm", "jkk+jkm+jht"};
inline constexpr std::string_view kChannels[] = {"agent_cash", "bank_va", "sponsor", "city_budget"};
inline constexpr int kMonthsAhead[] = {1, 3, 6, 12};

inline bool one_of(std::string_view value, std::span<const std::string_view> allowed) {
  return std::ranges::find(allowed, value) != allowed.end();
}

}  // namespace jaring::contribution

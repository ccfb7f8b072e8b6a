#pragma once
// Codes used in files and APIs across services (DESIGN.md section 2, "Codes used in files and
// APIs"): one list, so that registration and contribution never disagree on a code.

#include <algorithm>
#include <span>
#include <string_view>

namespace jaring::codes {

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

inline bool one_of(std::string_view value, std::span<const std::string_view> allowed) {
  return std::ranges::find(allowed, value) != allowed.end();
}

}  // namespace jaring::codes

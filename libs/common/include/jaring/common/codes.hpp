#pragma once
// Codes used in files and APIs across services (DESIGN.md section 2, "Codes used in files and
// APIs"): one list, so that registration and contribution never disagree on a code.

#include <algorithm>
#include <cstdint>
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

// The lowest and the top declared income band, in rupiah: the ends of contribution's tariff
// schedules (tariffs.yaml income_bands; its tests check they agree). Registration refuses an
// income outside them: above the top band, no tariff knows the money (an income of
// Rp1,000,000,000,000 once made a JKK death benefit of Rp48,000,022,000,000).
inline constexpr std::int64_t kLowestIncomeBand = 1'000'000;
inline constexpr std::int64_t kTopIncomeBand = 20'000'000;

inline bool one_of(std::string_view value, std::span<const std::string_view> allowed) {
  return std::ranges::find(allowed, value) != allowed.end();
}

}  // namespace jaring::codes

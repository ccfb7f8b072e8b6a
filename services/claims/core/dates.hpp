#pragma once
// Calendar dates (YYYY-MM-DD) and months (YYYY-MM) in Asia/Jakarta, the business time of claims:
// an event date is a Jakarta day, and its contribution period is the month containing it.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "jaring/common/clock.hpp"
#include "jaring/common/period.hpp"

namespace jaring::claims {

using jaring::Date;
using jaring::date_text;
using jaring::parse_date;
// Months as an ordered index (year * 12 + month - 1), and back to YYYY-MM.
int month_index(Date date);
std::optional<int> parse_month(std::string_view text);
std::string month_text(int index);
// The day in Asia/Jakarta at an instant (YYYY-MM-DD).
using jaring::jakarta_date;
// Whole years from `birth` to `on` (a birthday counts on the day).
int age_on(Date birth, Date on);
// `date` plus `years` (29 February becomes 1 March in a common year).
Date add_years(Date date, int years);

}  // namespace jaring::claims

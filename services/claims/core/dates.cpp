#include "dates.hpp"

#include <fmt/format.h>

namespace jaring::claims {
int month_index(Date date) {
  return static_cast<int>(date.year()) * 12 + static_cast<int>(static_cast<unsigned>(date.month())) - 1;
}

std::optional<int> parse_month(std::string_view text) {
  const auto period = Period::parse(text);
  return period ? std::optional<int>(period->index()) : std::nullopt;
}

std::string month_text(int index) { return Period::from_index(index).str(); }

int age_on(Date birth, Date on) {
  int years = static_cast<int>(on.year()) - static_cast<int>(birth.year());
  if (std::chrono::month_day(on.month(), on.day()) < std::chrono::month_day(birth.month(), birth.day()))
    --years;
  return years;
}

Date add_years(Date date, int years) {
  const Date moved = date + std::chrono::years(years);
  if (moved.ok()) return moved;
  return Date(std::chrono::sys_days(Date(moved.year() / moved.month() / std::chrono::last)) +
              std::chrono::days(1));
}

}  // namespace jaring::claims

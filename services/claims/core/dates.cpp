#include "dates.hpp"

#include <fmt/format.h>

namespace jaring::claims {
namespace {

std::optional<int> digits(std::string_view text) {
  if (text.empty()) return std::nullopt;
  int value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

}  // namespace

std::optional<Date> parse_date(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  const auto y = digits(text.substr(0, 4));
  const auto m = digits(text.substr(5, 2));
  const auto d = digits(text.substr(8, 2));
  if (!y || !m || !d || *y < 1900) return std::nullopt;
  const Date date{std::chrono::year(*y), std::chrono::month(static_cast<unsigned>(*m)),
                  std::chrono::day(static_cast<unsigned>(*d))};
  if (!date.ok()) return std::nullopt;
  return date;
}

std::string date_text(Date date) {
  return fmt::format("{:04d}-{:02d}-{:02d}", static_cast<int>(date.year()),
                     static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()));
}

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

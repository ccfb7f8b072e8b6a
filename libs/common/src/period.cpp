#include "jaring/common/period.hpp"

#include <charconv>
#include <chrono>

#include <fmt/format.h>

namespace jaring {
namespace {

// Fixed offset on purpose: WIB has been UTC+07:00 without DST since 1964.
constexpr auto kJakartaOffset = std::chrono::hours(7);

std::optional<int> digits(std::string_view text) {
  int value = 0;
  if (text.empty()) return std::nullopt;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

std::chrono::year_month_day jakarta_day(TimePoint at) {
  return std::chrono::year_month_day(std::chrono::floor<std::chrono::days>(at + kJakartaOffset));
}

}  // namespace

std::optional<Period> Period::parse(std::string_view text) {
  if (text.size() != 7 || text[4] != '-') return std::nullopt;
  const auto year = digits(text.substr(0, 4));
  const auto month = digits(text.substr(5, 2));
  if (!year || !month || *month < 1 || *month > 12 || *year < 1900) return std::nullopt;
  return Period::of(*year, *month);
}

std::optional<Period> Period::of_date(std::string_view date) {
  if (!valid_date(date)) return std::nullopt;
  return parse(date.substr(0, 7));
}

Period Period::jakarta(TimePoint at) {
  const auto day = jakarta_day(at);
  return Period::of(static_cast<int>(day.year()), static_cast<int>(static_cast<unsigned>(day.month())));
}

std::string Period::str() const { return fmt::format("{:04d}-{:02d}", year(), month()); }

bool valid_date(std::string_view date) {
  if (date.size() != 10 || date[4] != '-' || date[7] != '-') return false;
  const auto y = digits(date.substr(0, 4));
  const auto m = digits(date.substr(5, 2));
  const auto d = digits(date.substr(8, 2));
  if (!y || !m || !d) return false;
  return std::chrono::year_month_day(std::chrono::year(*y), std::chrono::month(static_cast<unsigned>(*m)),
                                     std::chrono::day(static_cast<unsigned>(*d)))
      .ok();
}

std::string jakarta_date(TimePoint at) {
  const auto day = jakarta_day(at);
  return fmt::format("{:04d}-{:02d}-{:02d}", static_cast<int>(day.year()), static_cast<unsigned>(day.month()),
                     static_cast<unsigned>(day.day()));
}

}  // namespace jaring

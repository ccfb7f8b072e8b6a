#include "jaring/common/period.hpp"

#include <chrono>

#include <fmt/compile.h>
#include <fmt/format.h>

#include "digits.hpp"

namespace jaring {
namespace {

using detail::digits;

// Fixed offset on purpose: WIB has been UTC+07:00 without DST since 1964.
constexpr auto kJakartaOffset = std::chrono::hours(7);

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
  // Compiled, as format_utc's: a registration writes several dates.
  return fmt::format(FMT_COMPILE("{:04d}-{:02d}-{:02d}"), static_cast<int>(date.year()),
                     static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()));
}

Date jakarta_day(TimePoint at) { return Date(std::chrono::floor<std::chrono::days>(at + kJakartaOffset)); }

Date jakarta_today(const Clock& clock) { return jakarta_day(clock.now()); }

TimePoint jakarta_midnight(Date day) {
  return std::chrono::time_point_cast<TimePoint::duration>(std::chrono::sys_days(day) - kJakartaOffset);
}

Date Period::first_day() const {
  return Date(std::chrono::year(year()), std::chrono::month(static_cast<unsigned>(month())),
              std::chrono::day(1));
}

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

Period Period::jakarta(TimePoint at) { return Period::of(jakarta_day(at)); }

std::string Period::str() const { return fmt::format("{:04d}-{:02d}", year(), month()); }

bool valid_date(std::string_view date) { return parse_date(date).has_value(); }

std::string jakarta_date(TimePoint at) { return date_text(jakarta_day(at)); }

}  // namespace jaring

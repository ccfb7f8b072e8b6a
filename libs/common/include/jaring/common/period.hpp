#pragma once
// Business time: calendar days (Date, YYYY-MM-DD) and billing periods (calendar months, YYYY-MM) in
// Asia/Jakarta, as the contribution service bills them, csr-donor funds them, claims dates events
// and coverage dates snapshots. "Today" always comes from an injected Clock (jakarta_today). Jakarta is a
// fixed UTC+07:00 (Indonesia has no daylight saving time), so no time-zone database is needed.

#include <chrono>
#include <compare>
#include <optional>
#include <string>
#include <string_view>

#include "jaring/common/clock.hpp"

namespace jaring {

// A calendar day (the proleptic Gregorian calendar of <chrono>).
using Date = std::chrono::year_month_day;

// A real YYYY-MM-DD date from 1900 on, else nullopt.
std::optional<Date> parse_date(std::string_view text);
// YYYY-MM-DD.
std::string date_text(Date date);
// The day in Asia/Jakarta at an instant, and today's by the clock every service is given.
Date jakarta_day(TimePoint at);
Date jakarta_today(const Clock& clock);
// The instant a Jakarta day begins (00:00 WIB).
TimePoint jakarta_midnight(Date day);

class Period {
 public:
  Period() = default;
  static Period of(int year, int month) { return Period(year * 12 + (month - 1)); }
  static Period from_index(int index) { return Period(index); }
  // YYYY-MM with a month 01..12; nullopt otherwise.
  static std::optional<Period> parse(std::string_view text);
  // The month of a YYYY-MM-DD date (validated as a real date).
  static std::optional<Period> of_date(std::string_view date);
  // The month in Asia/Jakarta at an instant.
  static Period jakarta(TimePoint at);
  static Period of(Date day) {
    return of(static_cast<int>(day.year()), static_cast<int>(static_cast<unsigned>(day.month())));
  }
  // The first day of the month.
  Date first_day() const;

  int year() const { return index_ / 12; }
  int month() const { return index_ % 12 + 1; }
  int index() const { return index_; }
  Period next(int months = 1) const { return Period(index_ + months); }
  Period previous() const { return Period(index_ - 1); }
  std::string str() const;
  auto operator<=>(const Period&) const = default;

 private:
  explicit Period(int index) : index_(index) {}
  int index_ = 0;
};

// True for a real YYYY-MM-DD date.
bool valid_date(std::string_view date);
// YYYY-MM-DD in Asia/Jakarta at an instant: date_text(jakarta_day(at)).
std::string jakarta_date(TimePoint at);

}  // namespace jaring

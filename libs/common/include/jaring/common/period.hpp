#pragma once
// Billing periods: calendar months in Asia/Jakarta, written YYYY-MM, as the contribution service
// bills them and csr-donor funds them. Jakarta is a fixed UTC+07:00 (Indonesia has no daylight
// saving time), so no time-zone database is needed.

#include <compare>
#include <optional>
#include <string>
#include <string_view>

#include "jaring/common/clock.hpp"

namespace jaring {

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
// YYYY-MM-DD in Asia/Jakarta at an instant.
std::string jakarta_date(TimePoint at);

}  // namespace jaring

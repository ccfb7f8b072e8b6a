#pragma once
// Billing periods as csr-donor sees them: calendar months in Asia/Jakarta written YYYY-MM, the
// same periods the contribution service bills. Jakarta is a fixed UTC+07:00, so no time-zone
// database is needed.

#include <compare>
#include <optional>
#include <string>
#include <string_view>

#include "jaring/common/clock.hpp"

namespace jaring::csr {

class Month {
 public:
  Month() = default;
  static Month of(int year, int month) { return Month(year * 12 + (month - 1)); }
  static Month from_index(int index) { return Month(index); }
  // YYYY-MM with a month 01..12; nullopt otherwise.
  static std::optional<Month> parse(std::string_view text);
  // The month of a YYYY-MM-DD date (only the YYYY-MM part is read).
  static std::optional<Month> of_date(std::string_view date);
  // The month in Asia/Jakarta at an instant.
  static Month jakarta(TimePoint at);

  int index() const { return index_; }
  Month next(int months = 1) const { return Month(index_ + months); }
  Month previous() const { return Month(index_ - 1); }
  std::string str() const;
  auto operator<=>(const Month&) const = default;

 private:
  explicit Month(int index) : index_(index) {}
  int index_ = 0;
};

}  // namespace jaring::csr

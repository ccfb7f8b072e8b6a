#include "month.hpp"

#include <chrono>

#include <fmt/format.h>

namespace jaring::csr {

std::optional<Month> Month::parse(std::string_view text) {
  if (text.size() != 7 || text[4] != '-') return std::nullopt;
  int year = 0, month = 0;
  for (int i = 0; i < 4; ++i) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
    year = year * 10 + (text[i] - '0');
  }
  for (int i = 5; i < 7; ++i) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
    month = month * 10 + (text[i] - '0');
  }
  if (year < 1900 || month < 1 || month > 12) return std::nullopt;
  return of(year, month);
}

std::optional<Month> Month::of_date(std::string_view date) {
  if (date.size() < 10 || date[7] != '-') return std::nullopt;
  return parse(date.substr(0, 7));
}

Month Month::jakarta(TimePoint at) {
  const auto local = std::chrono::floor<std::chrono::days>(at + std::chrono::hours(7));
  const std::chrono::year_month_day ymd{local};
  return of(static_cast<int>(ymd.year()), static_cast<int>(static_cast<unsigned>(ymd.month())));
}

std::string Month::str() const { return fmt::format("{:04d}-{:02d}", index_ / 12, index_ % 12 + 1); }

}  // namespace jaring::csr

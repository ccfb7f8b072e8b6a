#include "nik.hpp"

#include <algorithm>
#include <cctype>

namespace jaring::registration {
namespace {

int digits(std::string_view s) {
  int value = 0;
  for (char c : s) value = value * 10 + (c - '0');
  return value;
}

}  // namespace

std::variant<NikInfo, NikRejection> parse_nik(std::string_view nik, std::chrono::year_month_day today) {
  using namespace std::chrono;
  if (nik.size() != 16) return NikRejection{"must be exactly 16 digits"};
  if (!std::all_of(nik.begin(), nik.end(), [](unsigned char c) { return std::isdigit(c); })) {
    return NikRejection{"must contain digits only"};
  }
  NikInfo info;
  info.province = digits(nik.substr(0, 2));
  if (info.province < 11 || info.province > 94) {
    return NikRejection{"province code (digits 1-2) must be from 11 to 94"};
  }
  int day = digits(nik.substr(6, 2));
  info.sex = day > 40 ? 'F' : 'M';
  day %= 40;
  const int month = digits(nik.substr(8, 2));
  const int yy = digits(nik.substr(10, 2));
  const int this_century = static_cast<int>(today.year()) / 100 * 100;
  int full_year = this_century + yy;
  if (year{full_year} > today.year()) full_year -= 100;
  info.birth_date = year_month_day{year{full_year}, std::chrono::month{static_cast<unsigned>(month)},
                                   std::chrono::day{static_cast<unsigned>(day)}};
  if (!info.birth_date.ok() || day == 0) {
    return NikRejection{"birth date (digits 7-12, DDMMYY with DD+40 for women) is not a real date"};
  }
  if (sys_days{info.birth_date} > sys_days{today}) {
    return NikRejection{"birth date (digits 7-12) lies in the future"};
  }
  info.serial = digits(nik.substr(12, 4));
  if (info.serial == 0) return NikRejection{"serial (digits 13-16) must not be 0000"};
  return info;
}

std::string mask_nik(std::string_view nik) {
  if (nik.size() != 16) return std::string(nik.size(), '*');
  return std::string(nik.substr(0, 4)) + "********" + std::string(nik.substr(12));
}

}  // namespace jaring::registration

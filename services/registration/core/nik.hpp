#pragma once
// NIK (Nomor Induk Kependudukan): 16 digits = 6 digits of the region of first issue, the birth
// date as DDMMYY with DD+40 for women, and a 4-digit serial. There is no check digit. A NIK from
// any province is accepted (many workers are migrants); the region digits are Dukcapil codes
// and are not checked against the Kemendagri area table.

#include <chrono>
#include <string>
#include <string_view>
#include <variant>

namespace jaring::registration {

struct NikInfo {
  int province = 0;  // 11..94
  std::chrono::year_month_day birth_date;
  char sex = 'M';  // 'M' or 'F' (day + 40)
  int serial = 0;  // 1..9999
};

// The rule a NIK broke, in words a field agent understands.
struct NikRejection {
  std::string rule;
};

// Parses and validates a NIK. `today` decides the century of the two-digit year: a year that
// would lie in the future belongs to the previous century.
std::variant<NikInfo, NikRejection> parse_nik(std::string_view nik, std::chrono::year_month_day today);

// 3172011505900001 -> 3172********0001 (the form used outside the registration store).
std::string mask_nik(std::string_view nik);

}  // namespace jaring::registration

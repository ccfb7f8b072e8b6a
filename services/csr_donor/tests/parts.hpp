#pragma once
// What the tests of one part of the csr-donor core share: 15 March 2026 (Asia/Jakarta), the
// months they name, the workers and sponsors they put straight into a fake's state, and a
// sponsor's own caller.

#include <chrono>
#include <string>

#include "memory_ports.hpp"
#include "staff.hpp"

namespace jaring::csr::testing {

inline constexpr Rupiah kMonth = 16'800;   // the tariff table's month at Rp1,000,000 (fakes.hpp)
inline constexpr Rupiah kDearer = 26'800;  // at Rp2,000,000
inline const std::string kRw = "31.75.06.1005.002";

inline TimePoint mid_march_2026() { return std::chrono::sys_days(std::chrono::year(2026) / 3 / 15); }
inline TimePoint day_of(int year, unsigned month, unsigned day) {
  return std::chrono::sys_days(std::chrono::year(year) / std::chrono::month(month) / std::chrono::day(day));
}

inline Month month(const char* text) { return *Month::parse(text); }

inline Participant worker(const std::string& id, Rupiah band = 1'000'000, const std::string& rw = kRw) {
  return {id, rw, "scavenger", "self", "jkk+jkm", band, true, ""};
}

inline Sponsor wallet(const std::string& id, Rupiah balance) {
  return {id, "PT " + id, "csr_company", balance, balance, 0, false, "2026-03-01T00:00:00Z", "tester"};
}

inline Membership funded(const std::string& participant_id, const std::string& sponsor_id, const char* from,
                         const char* to, Rupiah monthly = kMonth) {
  return {"c_" + sponsor_id, sponsor_id, participant_id, kRw, month(from), month(to), true, "", monthly};
}

// A sponsor officer of `sponsor_id`: sees and changes only that sponsor.
inline Actor officer_of(const std::string& sponsor_id) {
  auth::Scope scope;
  scope.sponsor = sponsor_id;
  return {"officer", scope};
}

}  // namespace jaring::csr::testing

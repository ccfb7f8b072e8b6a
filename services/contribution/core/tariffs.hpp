#pragma once
// BPU contribution tariffs as effective-dated data (data/tariffs.yaml): JKK as a rate of the
// declared income band, JKM flat, JHT optional as a rate, and relief periods (PP 50/2025) by
// sector that never apply when the city budget pays. Rates are basis points (100 = 1%); every
// amount is whole rupiah, rounded half up.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "jaring/common/money.hpp"
#include "jaring/common/period.hpp"
#include "jaring/common/result.hpp"

namespace jaring::contribution {

struct Schedule {
  std::string name;
  Period effective_from;
  std::vector<Rupiah> income_bands;  // ascending lower bounds
  int jkk_rate_bp = 0;
  Rupiah jkm_amount = 0;
  int jht_rate_bp = 0;
};

struct Discount {
  std::string name;
  Period from;
  Period to;                                 // inclusive
  int rate_bp = 0;                           // share of JKK+JKM waived
  std::vector<std::string> sectors;          // worker categories; empty: every category
  std::vector<std::string> excluded_payers;  // e.g. city_budget (APBD pays in full)
};

// What a participant's contribution depends on.
struct Terms {
  std::string category;
  std::string payer;     // self | sponsor | city_budget
  std::string programs;  // jkk+jkm | jkk+jkm+jht
  Rupiah income_band = 0;
};

struct Charge {
  Period period;
  Rupiah band = 0;
  Rupiah jkk = 0;
  Rupiah jkm = 0;
  Rupiah jht = 0;
  Rupiah discount = 0;
  Rupiah total = 0;
  std::string discount_name;
};

class TariffTable {
 public:
  // Parses and validates YAML text; the error names every bad entry (`source` names the file).
  static Result<TariffTable> parse(const std::string& yaml, const std::string& source);
  // Validates entries built in code (tests).
  static Result<TariffTable> make(std::vector<Schedule> schedules, std::vector<Discount> discounts,
                                  const std::string& source = "tariffs");

  // The contribution for a period; NOT_FOUND when no schedule is in effect then.
  Result<Charge> charge(Period period, const Terms& terms) const;
  const std::vector<Schedule>& schedules() const { return schedules_; }

 private:
  std::vector<Schedule> schedules_;  // by effective_from
  std::vector<Discount> discounts_;
};

// x * bp / 10000, rounded half up; x >= 0.
Rupiah apply_rate(Rupiah amount, std::int64_t basis_points);

}  // namespace jaring::contribution

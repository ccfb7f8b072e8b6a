#pragma once
// Budgets of cohorts: per month, what each member's contribution costs at their own terms as the
// contribution service quotes it, plus places not filled yet at the dearest category. Quoting is a
// remote call, so it happens before a transaction, never inside one; the quotes are kept for the
// members' monthly needs.

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ports.hpp"

namespace jaring::csr {

inline constexpr Rupiah kLowestBand = 1'000'000;  // DESIGN.md: the lowest declared income band
inline constexpr const char* kDefaultPrograms = "jkk+jkm";

// What a sponsor of this kind is as a payer in the contribution tariffs: the city budget is
// APBD (no PP 50/2025 relief); CSR companies and philanthropy are sponsors.
std::string payer_of_kind(const std::string& kind);

// A participant's terms when `payer` pays (unknown programmes and bands at the defaults).
Terms terms_of(const Participant& participant, const std::string& payer);

class Quoter {
 public:
  // The tariffs quoted, by month index and terms.
  using Quotes = std::map<std::pair<int, Terms>, Rupiah>;

  explicit Quoter(Tariffs& tariffs) : tariffs_(tariffs) {}

  // The budget of members joining for from..to (per member terms), plus `open_slots` estimated.
  // The tariffs quoted are left in `quotes` when given, for the members' monthly needs.
  Result<Budget> budget_for(const Sponsor& sponsor, const std::vector<Participant>& members, Month from,
                            Month to, int open_slots, const std::vector<std::string>& categories,
                            const std::string& by, Quotes* quotes = nullptr);
  // A member's monthly need: their own tariff for `period` as the budget quoted it.
  static Rupiah quoted_monthly(const Quotes& quotes, Month period, const Terms& terms);

 private:
  Result<Rupiah> month_cost(Quotes& cache, Month period, const Terms& terms, const std::string& by);

  Tariffs& tariffs_;
};

}  // namespace jaring::csr

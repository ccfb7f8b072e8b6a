#include "budget.hpp"

#include <algorithm>

#include "jaring/common/money.hpp"
#include "rules.hpp"

namespace jaring::csr {

std::string payer_of_kind(const std::string& kind) {
  return kind == "city_budget" ? "city_budget" : "sponsor";
}

Terms terms_of(const Participant& p, const std::string& payer) {
  return {p.category, payer, p.programs.empty() ? kDefaultPrograms : p.programs,
          p.income_band > 0 ? p.income_band : kLowestBand};
}

Result<Rupiah> Quoter::month_cost(Quotes& cache, Month period, const Terms& terms, const std::string& by) {
  const auto key = std::pair{period.index(), terms};
  if (auto it = cache.find(key); it != cache.end()) return it->second;
  auto amount = tariffs_.monthly(period, terms, by);
  if (!amount) return amount;
  cache[key] = *amount;
  return *amount;
}

Result<Budget> Quoter::budget_for(const Sponsor& sponsor, const std::vector<Participant>& members, Month from,
                                  Month to, int open_slots, const std::vector<std::string>& categories,
                                  const std::string& by, Quotes* quotes) {
  Quotes local;
  Quotes& cache = quotes != nullptr ? *quotes : local;
  Budget budget;
  budget.sponsor_id = sponsor.id;
  budget.members = static_cast<int>(members.size()) + open_slots;
  budget.balance = sponsor.balance;
  const auto payer = payer_of_kind(sponsor.kind);
  for (auto p = from; p <= to; p = p.next()) {
    BudgetMonth month{p, budget.members, 0};
    std::optional<Rupiah> amount = 0;
    for (const auto& m : members) {
      auto cost = month_cost(cache, p, terms_of(m, payer), by);
      if (!cost) return fail(cost.error());
      if (amount) amount = checked_add(*amount, *cost);
    }
    if (open_slots > 0) {
      // Workers not chosen yet: the dearest of the categories at the lowest band.
      Rupiah dearest = 0;
      const std::vector<std::string> any{"other_informal"};
      for (const auto& c : categories.empty() ? any : categories) {
        auto cost = month_cost(cache, p, {c, payer, kDefaultPrograms, kLowestBand}, by);
        if (!cost) return fail(cost.error());
        dearest = std::max(dearest, *cost);
      }
      const auto open = checked_mul(dearest, open_slots);
      amount = amount && open ? checked_add(*amount, *open) : std::nullopt;
    }
    const auto total = amount ? checked_add(budget.total, *amount) : std::nullopt;
    // Bounded members and months keep real tariffs far below this: only absurd quotes reach it.
    if (!total) return fail(overflow("months", "the budget of these members for these months"));
    month.amount = *amount;
    budget.total = *total;
    budget.months.push_back(month);
  }
  // Both are at least 0, so the difference fits.
  budget.shortfall = std::max<Rupiah>(0, budget.total - budget.balance);
  return budget;
}

Rupiah Quoter::quoted_monthly(const Quotes& quotes, Month period, const Terms& terms) {
  if (auto it = quotes.find({period.index(), terms}); it != quotes.end()) return it->second;
  // Terms the quote did not see (a member chosen again inside the transaction, or whose band
  // changed meanwhile): the dearest tariff quoted stands in until the first bill says
  // (contribution_billed). The quote is remote, so it is not asked inside the transaction.
  Rupiah dearest = 0;
  for (const auto& [key, amount] : quotes)
    if (key.first == period.index()) dearest = std::max(dearest, amount);
  return dearest;
}

}  // namespace jaring::csr

#pragma once
// Cohorts: budget quotes, creating a cohort of named participants or "up to N workers of these
// categories in these RWs" (refusing, naming the months, any worker already funded for one of
// them), ending one by the sponsor or once its months ran out, and reading them within a scope.

#include <string>
#include <vector>

#include "budget.hpp"
#include "ports.hpp"
#include "rules.hpp"
#include "wallets.hpp"

namespace jaring::csr {

class Cohorts {
 public:
  Cohorts(Transactions<CohortUnit>& store, Tariffs& tariffs, const Settings& settings, const Clock& clock)
      : store_(store), quoter_(tariffs), funds_(settings.low_balance_months, clock), clock_(clock) {}

  Result<Budget> quote_cohort(const CohortSpec& spec, const Actor& by);
  Result<CohortView> create_cohort(const std::string& idempotency_key, const CohortSpec& spec,
                                   const Actor& by);
  // Ends a cohort after `last_period` (empty: this month).
  Result<CohortView> end_cohort(const std::string& idempotency_key, const std::string& cohort_id,
                                const std::string& last_period, const Actor& by);
  Result<std::vector<CohortView>> cohorts(const std::string& sponsor_id, const auth::Scope& scope);
  // An area official sees the members in its areas only.
  Result<CohortView> cohort(const std::string& cohort_id, const auth::Scope& scope);
  // Ends the cohorts whose months ran out by now (CohortEnded "completed"); returns how many.
  Result<int> close_completed();

 private:
  Transactions<CohortUnit>& store_;
  Quoter quoter_;
  LowBalance funds_;
  const Clock& clock_;
};

}  // namespace jaring::csr

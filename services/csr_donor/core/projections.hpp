#pragma once
// The facts csr-donor learns from other services, each applied once per event id in one
// transaction with its effects: the participant projection from registration (a new worker may
// fill a cohort by criteria; a move or an exit changes its sponsorship), sponsored bills from
// contribution (paid from the funding sponsor's wallet, or an alert when it cannot cover them),
// refused sponsor payments (refunded), and claims paid (impact).

#include <string>

#include "ports.hpp"
#include "rules.hpp"
#include "wallets.hpp"

namespace jaring::csr {

class Projections {
 public:
  Projections(Transactions<ProjectionUnit>& store, const Settings& settings, const Clock& clock)
      : store_(store), funds_(settings.low_balance_months, clock), clock_(clock) {}

  // Once per participant, whatever the event id: the participant's row is the record.
  Result<void> participant_registered(const std::string& event_id, const Participant& participant);
  Result<void> participant_updated(const std::string& event_id, const Participant& changes);
  Result<void> participant_moved(const std::string& event_id, const std::string& participant_id,
                                 const std::string& to_rw_code);
  Result<void> participant_exited(const std::string& event_id, const std::string& participant_id,
                                  const std::string& exit_date);
  // A bill: paid from the funding sponsor's wallet, or an alert when the wallet cannot cover it.
  Result<BillOutcome> contribution_billed(const std::string& event_id, const Billed& bill);
  // The contribution service refused a sponsor payment: the wallet gets the money back and an
  // alert says the bill may be open. True when it refunded.
  Result<bool> payment_rejected(const std::string& event_id, const Rejected& rejected);
  Result<void> claim_paid(const std::string& event_id, const ClaimPaid& claim);

 private:
  // A new worker paying for themselves joins the first cohort by criteria with a free place
  // that takes them.
  void fill_from_registration(ProjectionUnit& unit, const Participant& participant);

  Transactions<ProjectionUnit>& store_;
  LowBalance funds_;
  const Clock& clock_;
};

}  // namespace jaring::csr

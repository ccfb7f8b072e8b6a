#pragma once
// The csr-donor rules as use cases: sponsors and their wallets, cohorts with budget quotes,
// membership with the no-double-funding check, kelurahan proposals accepted in whole or in part,
// the automatic payment of sponsored bills, the low-balance alert and impact figures. Every
// change and its events commit together through the Store; every mutating call is idempotent.

#include <map>
#include <string>
#include <vector>

#include "jaring/common/clock.hpp"
#include "ports.hpp"

namespace jaring::csr {

class CsrDonor {
 public:
  CsrDonor(Store& store, Tariffs& tariffs, Registrar& registrar, Settings settings, const Clock& clock)
      : store_(store), tariffs_(tariffs), registrar_(registrar), settings_(settings), clock_(clock) {}

  // ---- sponsors and wallets ----
  Result<SponsorView> create_sponsor(const std::string& idempotency_key, const std::string& name,
                                     const std::string& kind, const std::string& by);
  Result<std::vector<SponsorView>> sponsors();
  Result<SponsorView> sponsor(const std::string& sponsor_id);
  Result<Deposit> deposit(const std::string& idempotency_key, const std::string& sponsor_id, Rupiah amount,
                          const std::string& reference, const std::string& by);
  Result<std::vector<LedgerLine>> ledger(const std::string& sponsor_id, int limit);

  // ---- cohorts ----
  Result<Budget> quote_cohort(const CohortSpec& spec);
  Result<CohortView> create_cohort(const std::string& idempotency_key, const CohortSpec& spec,
                                   const std::string& by);
  // Ends a cohort after `last_period` (empty: this month).
  Result<CohortView> end_cohort(const std::string& idempotency_key, const std::string& cohort_id,
                                const std::string& last_period, const std::string& by);
  Result<std::vector<CohortView>> cohorts(const std::string& sponsor_id);
  Result<CohortView> cohort(const std::string& cohort_id);
  // Ends the cohorts whose months ran out by now (CohortEnded "completed"); returns how many.
  Result<int> close_completed();

  // ---- proposals ----
  Result<Proposal> submit_proposal(const std::string& idempotency_key, const std::string& kelurahan_code,
                                   const std::vector<ProposalInput>& inputs, const std::string& note,
                                   const std::string& by);
  Result<std::vector<Proposal>> proposals(const std::string& kelurahan_code, const std::string& status);
  Result<Proposal> proposal(const std::string& proposal_id);
  Result<Acceptance> accept(const AcceptCommand& command, const std::string& by);
  Result<Proposal> reject_items(const std::string& idempotency_key, const std::string& proposal_id,
                                const std::vector<std::string>& item_ids, const std::string& reason,
                                const std::string& by);

  Result<Impact> impact(const std::string& sponsor_id, const std::string& from, const std::string& to);

  // ---- facts from other services, each applied once per event id ----
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

  const Settings& settings() const { return settings_; }

 private:
  using QuoteCache = std::map<std::pair<int, Terms>, Rupiah>;
  Month now_month() const;
  std::string now_text() const;
  Result<Rupiah> month_cost(QuoteCache& cache, Month period, const Terms& terms);
  Result<CohortView> view_of(Unit& unit, const std::string& cohort_id);
  SponsorView view_of(Unit& unit, const Sponsor& sponsor);
  // The budget of members joining for from..to (per member terms), plus `open_slots` estimated.
  Result<Budget> budget_for(const Sponsor& sponsor, const std::vector<Participant>& members, Month from,
                            Month to, int open_slots, const std::vector<std::string>& categories);
  // Raises or clears the low-balance alert after a wallet or its needs changed.
  void check_funds(Unit& unit, Sponsor& sponsor);
  void join(Unit& unit, const Cohort& cohort, const Sponsor& sponsor, const Participant& participant,
            Month from, Rupiah monthly);
  // Ends a membership at `to` (if earlier) with a reason, announcing the end of sponsorship.
  void leave(Unit& unit, Membership& membership, Month to, const std::string& reason);
  void fill_from_registration(Unit& unit, const Participant& participant);

  Store& store_;
  Tariffs& tariffs_;
  Registrar& registrar_;
  Settings settings_;
  const Clock& clock_;
};

// What a sponsor of this kind is as a payer in the contribution tariffs: the city budget is
// APBD (no PP 50/2025 relief); CSR companies and philanthropy are sponsors.
std::string payer_of_kind(const std::string& kind);

// Periods of `membership` that overlap from..to, or nullopt.
std::optional<std::pair<Month, Month>> overlap(const Membership& membership, Month from, Month to);

}  // namespace jaring::csr

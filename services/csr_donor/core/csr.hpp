#pragma once
// The csr-donor rules as use cases: sponsors and their wallets, cohorts with budget quotes,
// membership with the no-double-funding check, kelurahan proposals accepted in whole or in part,
// the automatic payment of sponsored bills, the low-balance alert and impact figures. Every
// change and its events commit together through the Store; every mutating call is idempotent.
//
// Who may see and touch what (DESIGN.md section 6) is decided here, from the caller's scope, and
// applied in the store's queries: a sponsor or treasurer sees and changes only its own sponsor
// (another's answers as a missing one); an area official submits and reads the proposals of its
// areas, sees the sponsors' directory without their wallets, and the cohorts and impact in its
// areas; auditors and admins see everything.

#include <map>
#include <string>
#include <vector>

#include "jaring/auth/policy.hpp"
#include "jaring/common/clock.hpp"
#include "ports.hpp"

namespace jaring::csr {

// Who asks, as the edge verified them: the subject recorded on what they change (and named to
// the services csr-donor asks on their behalf), and what their scope lets them see or touch.
struct Actor {
  std::string subject;
  auth::Scope scope;
};

// Whether a scope reaches a sponsor's own business (wallet, ledger, cohorts, decisions).
bool owns(const auth::Scope& scope, const std::string& sponsor_id);

class CsrDonor {
 public:
  CsrDonor(Store& store, Tariffs& tariffs, Registrar& registrar, Settings settings, const Clock& clock)
      : store_(store), tariffs_(tariffs), registrar_(registrar), settings_(settings), clock_(clock) {}

  // ---- sponsors and wallets ----
  Result<SponsorView> create_sponsor(const std::string& idempotency_key, const std::string& name,
                                     const std::string& kind, const Actor& by);
  Result<std::vector<SponsorView>> sponsors(const auth::Scope& scope);
  Result<SponsorView> sponsor(const std::string& sponsor_id, const auth::Scope& scope);
  Result<Deposit> deposit(const std::string& idempotency_key, const std::string& sponsor_id, Rupiah amount,
                          const std::string& reference, const Actor& by);
  Result<std::vector<LedgerLine>> ledger(const std::string& sponsor_id, int limit, const auth::Scope& scope);

  // ---- cohorts ----
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

  // ---- proposals ----
  // An area official proposes for its own areas only: a kelurahan or a new worker's RW outside
  // them is PERMISSION_DENIED naming the field; a known participant outside them is refused
  // as an unknown one.
  Result<Proposal> submit_proposal(const std::string& idempotency_key, const std::string& kelurahan_code,
                                   const std::vector<ProposalInput>& inputs, const std::string& note,
                                   const Actor& by);
  // Proposals are addressed to every sponsor while open: a sponsor sees the open ones and those
  // it decided on; an area official those of its areas.
  Result<std::vector<Proposal>> proposals(const std::string& kelurahan_code, const std::string& status,
                                          const auth::Scope& scope);
  Result<Proposal> proposal(const std::string& proposal_id, const auth::Scope& scope);
  Result<Acceptance> accept(const AcceptCommand& command, const Actor& by);
  // Rejected on behalf of the caller's sponsor, which the items then name.
  Result<Proposal> reject_items(const std::string& idempotency_key, const std::string& proposal_id,
                                const std::vector<std::string>& item_ids, const std::string& reason,
                                const Actor& by);

  // Every sponsored participant (see jaring/common/export.hpp for when it refuses).
  Result<void> export_sponsorships(const std::function<bool(const SponsorshipFact&)>& sink);

  // An area official gets the figures of its areas only.
  Result<Impact> impact(const std::string& sponsor_id, const std::string& from, const std::string& to,
                        const auth::Scope& scope);

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
  Result<Rupiah> month_cost(QuoteCache& cache, Month period, const Terms& terms, const std::string& by);
  // A cohort with the members `scope` covers (all of them for its sponsor), or NOT_FOUND when
  // the scope reaches neither the cohort's sponsor nor one of its members.
  Result<CohortView> view_of(Unit& unit, const std::string& cohort_id, const auth::Scope& scope);
  SponsorView view_of(Unit& unit, const Sponsor& sponsor);
  // The budget of members joining for from..to (per member terms), plus `open_slots` estimated.
  // The tariffs quoted are left in `quotes` when given, for the members' monthly needs.
  Result<Budget> budget_for(const Sponsor& sponsor, const std::vector<Participant>& members, Month from,
                            Month to, int open_slots, const std::vector<std::string>& categories,
                            const std::string& by, QuoteCache* quotes = nullptr);
  // A member's monthly need: their own tariff for `period` as the budget quoted it.
  static Rupiah quoted_monthly(const QuoteCache& quotes, Month period, const Terms& terms);
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

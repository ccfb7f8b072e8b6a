#pragma once
// The csr-donor domain: sponsors with a wallet and its ledger, cohorts and their memberships
// (who a sponsor funds for which periods), allocations (one sponsored period paid), failures
// (a sponsored bill the wallet could not cover), proposals from kelurahan staff, the projection
// of participants learnt from registration, and the events announcing changes.

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "jaring/common/money.hpp"
#include "month.hpp"

namespace jaring::csr {

// Sponsor kinds (DESIGN.md section 2, "Sponsors").
inline constexpr std::string_view kKinds[] = {"csr_company", "city_budget", "philanthropy"};

struct Settings {
  int low_balance_months = 2;  // SponsorFundsLow when the wallet covers fewer months than this
  // The most one deposit credits (wallet.max_deposit): a typo of a few zeros, or a hostile
  // figure, is refused before it reaches a wallet.
  Rupiah max_deposit = 100'000'000'000;
};

struct Sponsor {
  std::string id, name, kind;
  Rupiah balance = 0;
  Rupiah deposited = 0;
  Rupiah spent = 0;        // payments net of refunds
  bool funds_low = false;  // below the alert setting since the last crossing
  std::string created_at, created_by;
};

// A sponsor with what its members cost a month and how long the wallet lasts at that rate.
struct SponsorView {
  Sponsor sponsor;
  Rupiah monthly_need = 0;
  int months_left = -1;  // -1: nothing is needed
};

struct LedgerLine {
  std::int64_t seq = 0;
  std::string sponsor_id, kind;  // deposit | payment | refund
  Rupiah amount = 0;             // signed
  Rupiah balance = 0;            // after the line
  std::string reference, participant_id, period, cohort_id, at, note;
};

struct Deposit {
  std::string id, sponsor_id, idempotency_key, reference, at, by;
  Rupiah amount = 0;
  Rupiah balance = 0;
  bool repeated = false;
};

namespace cohort_status {
inline constexpr const char* kActive = "active";
inline constexpr const char* kEnded = "ended";
}  // namespace cohort_status

struct Cohort {
  std::string id, sponsor_id, name;
  Month start;
  int months = 0;
  Month last;           // last period funded (start + months - 1, or earlier once ended)
  int max_members = 0;  // > 0 for "up to N workers of these categories in these RWs"
  std::vector<std::string> categories, rw_codes;
  std::string status = cohort_status::kActive;
  std::string end_reason;  // ended_by_sponsor | completed
  Rupiah budget = 0;
  std::string created_at, created_by, ended_by;
  bool by_criteria() const { return max_members > 0; }
};

// One participant funded by one cohort for the periods from..to (inclusive). `active` says
// whether the worker is still sponsored by it now; an ended membership keeps the periods it
// funded, so that no other payer takes them.
// A participant a sponsor funds now, in the RW SponsorshipChanged counted it in (ExportSponsorships).
struct SponsorshipFact {
  std::string participant_id;
  std::string rw_code;
  std::string sponsor_id;
  std::string cohort_id;
};

struct Membership {
  std::string cohort_id, sponsor_id, participant_id, rw_code;
  Month from, to;
  bool active = true;
  std::string end_reason;  // cohort_ended | exited
  Rupiah monthly = 0;      // what one month costs: quoted at joining, then the last bill
  bool covers(Month p) const { return !(p < from) && !(to < p); }
};

// What csr-donor knows of a participant, from jaring.registration.v1 (no NIK, no name).
struct Participant {
  std::string id, rw_code, category, payer, programs;
  Rupiah income_band = 0;
  bool active = true;
  std::string exit_date;
};

// A sponsored period paid from a wallet (the allocation id is the idempotency key towards the
// contribution service).
struct Allocation {
  std::string id, sponsor_id, cohort_id, participant_id, rw_code;
  Month period;
  Rupiah amount = 0;
  bool refunded = false;
  std::string at;
};

struct Failure {
  std::string participant_id, sponsor_id, cohort_id, rw_code;
  Month period;
  Rupiah amount = 0;
  Rupiah balance = 0;
  std::string at;
  std::string reason;  // insufficient_funds | rejected: <why>
};

struct ClaimImpact {
  std::string claim_id, participant_id, sponsor_id, cohort_id, rw_code, claim_type, event_date;
  Rupiah amount = 0;
};

namespace item_status {
inline constexpr const char* kPending = "pending";
inline constexpr const char* kAccepted = "accepted";
inline constexpr const char* kRejected = "rejected";
}  // namespace item_status

struct ProposalItem {
  std::string item_id;  // "1", "2" ... within its proposal
  std::int64_t row = 0;
  std::string participant_id, rw_code, category, programs;
  Rupiah income_band = 0;
  std::string reason;
  std::string status = item_status::kPending;
  std::string decision_reason, sponsor_id, cohort_id, decided_by, decided_at;
};

struct RefusedRow {
  std::int64_t row = 0;
  std::string reason;
};

struct Proposal {
  std::string id, kelurahan_code, submitted_by, submitted_at, note;
  std::vector<ProposalItem> items;
  std::vector<RefusedRow> refused;
  std::string status() const;  // open while an item is pending, else decided
};

// ---- events (the adapters encode them on jaring.csr.v1) ----

struct SponsorDeposited {
  std::string sponsor_id, deposit_id, kind;
  Rupiah amount = 0, balance = 0;
};
struct CohortStarted {
  Cohort cohort;
  int members = 0;
};
struct CohortEnded {
  std::string cohort_id, sponsor_id, last_period, reason;
};
struct SponsorPaymentMade {
  std::string sponsor_id, allocation_id, participant_id, period, cohort_id, rw_code;
  Rupiah amount = 0;
};
struct SponsorshipChanged {
  std::string participant_id, rw_code, previous_rw_code;
  bool sponsored_before = false, sponsored_after = false;
  std::string sponsor_id, sponsor_kind, cohort_id, reason;  // joined | left | cohort_ended | moved | exited
  std::string from_period, to_period;  // the months this cohort funds for the participant
};
struct SponsorFundsLow {
  std::string sponsor_id;
  Rupiah balance = 0, monthly_need = 0;
  int months_left = 0;
};
struct SponsorPaymentFailed {
  std::string sponsor_id, cohort_id, participant_id, rw_code, period, reason, agent_id;
  Rupiah amount = 0, balance = 0;
};
using Event = std::variant<SponsorDeposited, CohortStarted, CohortEnded, SponsorPaymentMade,
                           SponsorshipChanged, SponsorFundsLow, SponsorPaymentFailed>;

// ---- facts from other services ----

struct Billed {
  std::string participant_id, rw_code, period, agent_id;
  Rupiah amount = 0, outstanding = 0;
};
struct Rejected {
  std::string sponsor_id, allocation_id, participant_id, period, reason;
  Rupiah amount = 0;
};
struct ClaimPaid {
  std::string claim_id, participant_id, rw_code, claim_type, event_date;
  Rupiah amount = 0;
};

// What happened to a sponsored bill (for metrics and tests).
enum class BillOutcome { kNotSponsored, kNothingDue, kPaid, kFailed, kAlreadyHandled };

// ---- queries and commands ----

struct CohortSpec {
  std::string sponsor_id, name, start_period;
  int months = 0;
  std::vector<std::string> participant_ids;
  int max_members = 0;
  std::vector<std::string> categories, rw_codes;
};

struct BudgetMonth {
  Month period;
  int members = 0;
  Rupiah amount = 0;
};
struct Budget {
  std::string sponsor_id;
  int members = 0;
  std::vector<BudgetMonth> months;
  Rupiah total = 0, balance = 0, shortfall = 0;
};

struct CohortView {
  Cohort cohort;
  std::vector<Membership> members;
  Budget budget;
};

struct NewWorker {
  std::string nik, name, birth_date, sex, phone, rw_code;
  int rt = 0;
  std::string category;
  Rupiah income_band = 0;
  std::string programs, agent_id;
};
struct ProposalInput {
  std::int64_t row = 0;
  std::string participant_id;
  std::optional<NewWorker> worker;
  std::string reason;
};

struct AcceptCommand {
  std::string idempotency_key, proposal_id, sponsor_id;
  std::vector<std::string> item_ids;
  std::string cohort_id;  // existing, or a new one:
  std::string cohort_name, start_period;
  int months = 0;
};
struct Acceptance {
  Proposal proposal;
  CohortView cohort;
};

struct RwImpact {
  std::string rw_code;
  int workers = 0, months_funded = 0, claims_paid = 0;
  Rupiah spent = 0, claims_amount = 0;
};
struct Impact {
  std::string sponsor_id, sponsor_name, from_period, to_period;
  int workers_protected = 0, months_funded = 0, rws_reached = 0, claims_paid = 0, payments_failed = 0;
  Rupiah spent = 0, claims_amount = 0;
  std::vector<RwImpact> rws;
};

}  // namespace jaring::csr

#pragma once
// The contribution domain: accounts (one per participant), dues per period, payments and their
// allocations, and the events announcing changes. A Book is one account's working set: what the
// rules need to bill, allocate, reverse and judge the coverage state, plus what they changed.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "jaring/common/money.hpp"
#include "jaring/common/period.hpp"
#include "tariffs.hpp"

namespace jaring::contribution {

// Coverage states; "none" is what events say for an account that does not exist (yet, or any more).
// "awaiting" is registered but never paid: not protected, never counted active (claims calls the
// same worker never_paid); it ends with the first fully paid month.
namespace state {
inline constexpr const char* kNone = "none";
inline constexpr const char* kAwaiting = "awaiting";
inline constexpr const char* kActive = "active";
inline constexpr const char* kArrears = "arrears";
inline constexpr const char* kLapsed = "lapsed";
inline constexpr const char* kClosed = "closed";
}  // namespace state

// An account's coverage state and the RW it is counted in (ExportCoverage, for coverage's rebuild).
struct CoverageFact {
  std::string participant_id;
  std::string rw_code;
  std::string state;
};

// How a lapsed participant becomes active again (sources disagree, so it is a setting).
enum class Reactivation {
  kPayAll,      // every unpaid month must be paid
  kPayCurrent,  // paying the current month is enough; the older unpaid months are waived
};

struct Settings {
  Reactivation reactivation = Reactivation::kPayAll;
  int lapse_after_months = 3;        // unpaid months that make coverage lapse
  int agent_fee_bp = 750;            // 7.5% of what an agent collected
  int organisation_share_bp = 1000;  // 10% of the agent's fee to the umbrella organisation
  int bonus_new_participants = 50;   // new participants in a month that earn the bonus
  Rupiah bonus_amount = 500'000;
};

struct Account {
  std::string participant_id;
  std::string rw_code;
  std::string agent_id;
  std::string branch_code;
  Terms terms;
  Period first_period;                // month of registration
  std::optional<Period> last_period;  // project end or exit month
  std::string end_date;               // YYYY-MM-DD last covered day, empty while open-ended
  std::string state = state::kAwaiting;
  std::string closed_reason;
  std::optional<Period> max_period;   // dues rows exist for first_period..max_period
  std::optional<Period> last_billed;  // billing reached this period
  std::optional<Period> covered_through;
  int months_unpaid = 0;     // derived, kept for queries
  Rupiah outstanding = 0;    // derived
  Rupiah credit = 0;         // derived
  std::string opened_at;     // RFC 3339 UTC
  std::string opened_month;  // YYYY-MM (Asia/Jakarta), for the agents' bonus
};

// What is owed for one period and what was paid towards it.
struct Due {
  Period period;
  Charge charge;
  Rupiah paid = 0;
  std::string payer;  // who pays this period: one payer at most ("self", "sponsor:<id>" ...)
  bool billed = false;
  bool waived = false;
  bool is_new = false;  // not yet stored
  bool dirty = false;

  Rupiah outstanding() const { return waived ? 0 : charge.total - paid; }
  bool open() const { return outstanding() > 0; }
};

struct Allocation {
  std::string payment_id;
  Period period;
  Rupiah amount = 0;
};

struct Payment {
  std::string id;
  std::string idempotency_key;
  std::string fingerprint;  // of the request, to refuse a key reused for something else
  std::string participant_id;
  std::string channel;
  std::string payer;  // payer key: self | sponsor:<id> | city_budget:<id>
  std::string payer_id;
  std::string agent_id;
  Rupiah amount = 0;
  int months = 1;
  std::optional<Period> target;  // pay exactly this period first
  Rupiah unallocated = 0;        // credit left from this payment
  std::string received_at;
  std::string received_month;  // YYYY-MM (Asia/Jakarta)
  bool reversed = false;
  std::string reversal_reason;
  std::string batch_id;
  // The subject (normalised) who recorded it, for the second person a reversal needs; empty for
  // a payment no person recorded (a sponsor's, from csr-donor's events).
  std::string recorded_by;
  std::vector<Allocation> allocations;
  bool dirty = false;
};

// Credit left from an earlier payment, used oldest first when a period is billed.
struct Credit {
  std::string payment_id;
  std::string payer;
  Rupiah unallocated = 0;
  bool dirty = false;
};

// The months one cohort of a sponsor funds for a participant (csr-donor's SponsorshipChanged);
// `to` before `from` funds none. The worker's own credit never pays them: the sponsor does.
struct Sponsorship {
  std::string participant_id, cohort_id;
  Period from, to;
  bool covers(Period p) const { return !(p < from) && !(to < p); }
};

// ---- events (the adapters encode them on jaring.contribution.v1) ----

struct ContributionBilled {
  std::string participant_id, rw_code, agent_id, payer, run_id;
  Charge charge;
  Rupiah outstanding = 0;
};
struct PaymentReceived {
  Payment payment;
  std::string rw_code;
  std::string covered_through;
  std::vector<std::string> paid_periods;  // periods the payment touched that are now fully paid
};
struct PaymentReversed {
  Payment payment;
  std::string rw_code;
  std::string covered_through;
};
struct CoverageChanged {
  std::string participant_id, rw_code, previous_rw_code, from_state, to_state, covered_through, reason,
      agent_id;
};
struct ArrearsWarning {
  std::string participant_id, rw_code, agent_id;
  int months_unpaid = 0;
  Rupiah outstanding = 0;
  std::string oldest_unpaid_period;
};
struct SponsorPaymentRejected {
  std::string sponsor_id, allocation_id, participant_id, period, reason;
  Rupiah amount = 0;
};
using Event = std::variant<ContributionBilled, PaymentReceived, PaymentReversed, CoverageChanged,
                           ArrearsWarning, SponsorPaymentRejected>;

struct Book {
  Account account;
  bool is_new = false;
  std::map<Period, Due> dues;                  // open rows, unbilled rows, and rows a reversal touches
  std::vector<Credit> credits;                 // oldest first
  std::vector<Payment> payments;               // new or changed payments to store
  std::vector<Allocation> credit_allocations;  // credit of earlier payments used by billing
  std::vector<Sponsorship> sponsorships;       // months sponsors fund (read only here)
  std::vector<Event> events;
};

// ---- facts learnt from registration ----

struct Opening {
  std::string participant_id, rw_code, agent_id, branch_code, registered_on, project_end_date, opened_at;
  Terms terms;
  // Registration's event counted the participant awaiting already (its counted_awaiting): the
  // opening announces nothing. False for events of older producers: it announces none -> awaiting.
  bool counted_awaiting = false;
};

// ---- queries ----

struct StatementView {
  Account account;
  std::vector<Due> dues;
  std::vector<Payment> payments;
};

struct ArrearsEntry {
  std::string participant_id, rw_code, agent_id, state, oldest_unpaid_period;
  int months_unpaid = 0;
  Rupiah outstanding = 0;
};

struct CoverageAnswer {
  bool covered = false;
  std::string reason;
  std::string period;
  std::string covered_through;
  std::string state;
};

struct BillingRun {
  std::string run_id;
  std::string period;
  std::int64_t accounts_billed = 0;  // dues rows billed
  Rupiah amount_billed = 0;
  std::int64_t accounts_closed = 0;
  std::string started_at;
  std::string finished_at;
  bool repeated = false;
};

struct BatchItem {
  std::string participant_id;
  Rupiah amount = 0;
  int months = 1;
};
struct BatchFailure {
  int index = 0;
  std::string participant_id;
  std::string reason;
};
struct BatchResult {
  std::string batch_id;
  bool accepted = false;
  std::vector<BatchFailure> failures;
  std::vector<Payment> payments;
};

// Agent fees for one month.
struct AgentFee {
  std::string agent_id, organisation;
  Rupiah collected = 0, fee = 0, organisation_share = 0, agent_share = 0, bonus = 0, payable = 0;
  std::int64_t new_participants = 0;
};
struct OrganisationFee {
  std::string organisation;
  std::int64_t agents = 0;
  Rupiah collected = 0, share = 0;
};
struct Settlement {
  std::string month;
  std::vector<AgentFee> agents;
  std::vector<OrganisationFee> organisations;
  Rupiah total_collected = 0, total_payable = 0;
};

}  // namespace jaring::contribution

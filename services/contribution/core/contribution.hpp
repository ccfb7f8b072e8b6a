#pragma once
// The contribution rules as use cases: accounts following registration, billing runs, payments
// (single, batch, sponsor), reversals, and the queries for collection, claims and fees. Every
// change and its events commit together through the Store; every mutating call is idempotent.

#include <string>
#include <vector>

#include "jaring/auth/policy.hpp"
#include "jaring/common/clock.hpp"
#include "ledger.hpp"
#include "ports.hpp"

namespace jaring::contribution {

struct PaymentCommand {
  std::string idempotency_key;
  std::string participant_id;
  std::string channel;
  std::string payer_id;
  std::string agent_id;
  Rupiah amount = 0;
  int months = 0;
  std::string period;  // optional target
};

struct BatchCommand {
  std::string idempotency_key;
  std::string channel;
  std::string payer_id;
  std::string agent_id;
  std::vector<BatchItem> items;
  std::string description{};  // free text for the log, e.g. "RT/RW officials of Pulo Gebang, 2026-01"
};

// The most items one batch payment carries: a kelurahan's list for a month.
inline constexpr std::size_t kMaxBatchItems = 5000;

// Who records a payment or reverses one, as the adapter learnt it from the call's token: the
// subject kept with a payment (and compared when it is reversed), and the scope of accounts
// the caller reaches. The default is the system itself, acting on every account.
struct Caller {
  std::string subject;
  auth::Scope scope = kEveryAccount;

  static inline const auth::Scope kEveryAccount = auth::Scope::everything();
};

// Whether a caller's scope reaches an account: staff by branch, an agent their own
// registrations in their branch. The store knows a participant's payer kind but not which
// budget account pays, so a treasurer (the city budget payer) reaches every participant the city
// budget pays for.
bool reaches(const auth::Scope& scope, const Account& account);

struct SponsorPayment {
  std::string sponsor_id, allocation_id, participant_id, period;
  Rupiah amount = 0;
};

class Contribution {
 public:
  Contribution(Store& store, const TariffTable& tariffs, Settings settings, const Clock& clock,
               int billing_chunk = 2000)
      : store_(store), tariffs_(tariffs), settings_(settings), clock_(clock), billing_chunk_(billing_chunk) {}

  // Facts from registration, each applied once per event id (an opening once per participant,
  // whatever its event id: the account is the record).
  Result<void> open_account(const std::string& event_id, const Opening& opening);
  Result<void> move_account(const std::string& event_id, const std::string& participant_id,
                            const std::string& to_rw_code);
  Result<void> exit_account(const std::string& event_id, const std::string& participant_id,
                            const std::string& reason, const std::string& exit_date);
  Result<void> update_terms(const std::string& event_id, const std::string& participant_id,
                            const Terms& terms);
  Result<void> register_agent(const std::string& event_id, const std::string& agent_id,
                              const std::string& organisation, const std::string& branch_code);
  // A sponsor pays one period (from csr-donor); refused with SponsorPaymentRejected when it cannot.
  Result<void> apply_sponsor_payment(const std::string& event_id, const SponsorPayment& payment);
  // The months a cohort funds for a participant changed (from csr-donor's SponsorshipChanged);
  // billing keeps the worker's own credit off them. Periods are YYYY-MM; an event without them
  // (from an older csr-donor) changes nothing.
  Result<void> sponsorship_changed(const std::string& event_id, const std::string& participant_id,
                                   const std::string& cohort_id, const std::string& from_period,
                                   const std::string& to_period);

  // Bills every account through `period` (default: the current month). Once per period and key:
  // a retry answers the first run (repeated); a new key for a billed period bills the accounts
  // opened since it ran (the calendar bills each month at its start).
  Result<BillingRun> run_billing(const std::string& idempotency_key, const std::string& period);
  // The calendar: bills every month from the one after the latest billed (or an unfinished run)
  // up to the current Jakarta month, each once (through run_billing, keyed calendar:YYYY-MM), so
  // due dates, arrears warnings and lapses follow the clock. With no billing run yet it bills the
  // current month. After downtime it catches up the months it missed, in order. Returns the runs
  // it made or finished (empty when the current month is billed already).
  Result<std::vector<BillingRun>> bill_due();
  // A payment recorded by `caller`, for an account the caller reaches (else NOT_FOUND, as for an
  // unknown participant). An agent collects cash under their own agent id; a treasurer pays
  // through city_budget from their own budget account (PERMISSION_DENIED naming the field).
  Result<Payment> pay(const PaymentCommand& command, const Caller& caller = {});
  Result<BatchResult> pay_batch(const BatchCommand& command, const Caller& caller = {});
  // Maker-checker: the caller must not be the person who recorded the payment.
  Result<Payment> reverse(const std::string& idempotency_key, const std::string& payment_id,
                          const std::string& reason, const Caller& caller = {});

  Result<Account> account(const std::string& participant_id);
  Result<StatementView> statement(const std::string& participant_id);
  // Accounts in arrears or lapsed of an RW or an agent, of those `scope` reaches (in the store
  // query). An agent `scope` does not reach is NOT_FOUND, as an unknown one.
  Result<std::vector<ArrearsEntry>> arrears(const std::string& rw_code, const std::string& agent_id,
                                            const auth::Scope& scope);
  Result<CoverageAnswer> coverage_at(const std::string& participant_id, const std::string& date);
  Result<Charge> quote(const std::string& period, const Terms& terms);
  // The fees of the agents `scope` reaches.
  // Every account's coverage state (see jaring/common/export.hpp for when it refuses).
  Result<void> export_coverage(const std::function<bool(const CoverageFact&)>& sink);
  Result<Settlement> settlement(const std::string& month, const auth::Scope& scope);

  const Settings& settings() const { return settings_; }

 private:
  // Runs fn on one account's book in a transaction, recording event_id when given.
  Result<void> with_book(const std::string& event_id, const std::string& participant_id,
                         const std::function<Result<void>(Book&)>& fn);
  std::vector<FieldViolation> check_payment(const PaymentCommand& command, const std::string& prefix);
  // Bills every account through `period` in chunks, adding to `run` (saved after each chunk).
  Result<void> bill_accounts(BillingRun& run, Period period);
  Result<BillingRun> finish_run(BillingRun run);
  Payment new_payment(const PaymentCommand& command, const std::string& recorded_by);
  Store& store_;
  const TariffTable& tariffs_;
  Settings settings_;
  const Clock& clock_;
  int billing_chunk_;
};

// Agent fees from what each agent collected and registered in a month.
Settlement settle(const std::string& month, const std::vector<AgentMonth>& agents, const Settings& settings);

}  // namespace jaring::contribution

#pragma once
// What the contribution core needs from the outside world; adapters/ implements it.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "jaring/auth/policy.hpp"
#include "jaring/common/result.hpp"
#include "model.hpp"

namespace jaring::contribution {

// One write transaction, in the core's terms. Whatever `save` and `publish` wrote commits or
// rolls back together (the events go to the outbox in the same transaction).
class Unit {
 public:
  virtual ~Unit() = default;
  // True when the event was applied before; otherwise records it (effectively once).
  virtual bool seen_event(const std::string& event_id) = 0;
  // An account's book: open and unbilled rows and credit; plus, when given, the rows a payment
  // paid (for a reversal).
  virtual std::optional<Book> load(const std::string& participant_id, const Payment* reversing = nullptr) = 0;
  // Books of accounts not closed, ordered by participant id, after `after`.
  virtual std::vector<Book> load_after(const std::string& after, int limit) = 0;
  virtual void save(Book& book) = 0;
  // Saves the book of an account opened now (is_new), unless the participant has an account
  // already: then writes nothing and returns false. One write where a look-up was and a write.
  virtual bool open(Book& book) = 0;
  virtual void publish(const Event& event) = 0;
  // A payment with its allocations, by id or by the idempotency key that made it.
  virtual std::optional<Payment> payment(const std::string& id) = 0;
  virtual std::optional<Payment> payment_by_key(const std::string& key) = 0;
  // Idempotency keys of calls that are not payments (billing runs, batches, reversals).
  virtual std::optional<std::string> recall(const std::string& key) = 0;
  virtual void remember(const std::string& key, const std::string& result) = 0;
  virtual std::optional<BillingRun> billing_run(const std::string& period) = 0;
  // The run of the latest period billed, if any (the calendar continues from it).
  virtual std::optional<BillingRun> latest_billing_run() = 0;
  virtual void save_billing_run(const BillingRun& run) = 0;
  virtual void save_agent(const std::string& agent_id, const std::string& organisation,
                          const std::string& branch_code) = 0;
  // Records (or, for the same participant and cohort, replaces) the months a cohort funds.
  virtual void save_sponsorship(const Sponsorship& sponsorship) = 0;
};

// Money an agent collected in a month, and how many participants it registered.
struct AgentMonth {
  std::string agent_id;
  std::string organisation;
  Rupiah collected = 0;
  std::int64_t new_participants = 0;
};

class Store {
 public:
  virtual ~Store() = default;
  // Runs fn in one transaction: commits when it returns success, rolls back otherwise.
  // UNAVAILABLE when the store itself failed.
  virtual Result<void> transact(const std::function<Result<void>(Unit&)>& fn) = 0;

  virtual std::optional<Account> account(const std::string& participant_id) = 0;
  virtual std::optional<StatementView> statement(const std::string& participant_id) = 0;
  // Accounts in arrears or lapsed of an RW (or, when rw_code is empty, of an agent) that `scope`
  // reaches: the scope is a condition of the query.
  virtual std::vector<ArrearsEntry> arrears(const std::string& rw_code, const std::string& agent_id,
                                            const auth::Scope& scope) = 0;
  virtual std::optional<Due> due(const std::string& participant_id, Period period) = 0;
  virtual std::optional<BatchResult> batch(const std::string& batch_id) = 0;
  // What each agent `scope` reaches (by the agent's branch) collected and registered in a month.
  virtual std::vector<AgentMonth> agent_month(const std::string& month, const auth::Scope& scope) = 0;
  // The branch of an agent registration announced, if it announced one.
  virtual std::optional<std::string> agent_branch(const std::string& agent_id) = 0;
  // ExportCoverage: accounts with participant id > after, by id, at most `limit`.
  virtual std::vector<CoverageFact> coverage_page(const std::string& after, int limit) = 0;
  // Stored events not yet published (the outbox backlog).
  virtual std::int64_t unpublished() = 0;
};

}  // namespace jaring::contribution

#pragma once
// The contribution store on SQLite: accounts, dues per period, payments and allocations,
// billing runs, applied event ids, idempotency keys and the outbox, each change and its events
// in one transaction.

#include <functional>
#include <string>
#include <vector>

#include "../core/ports.hpp"
#include "jaring/common/clock.hpp"
#include "jaring/store/sqlite.hpp"

namespace jaring::contribution {

class SqliteStore final : public Store {
 public:
  // Each commit that wrote events wakes the database's outbox relay (Database::on_outbox_commit).
  SqliteStore(store::Database& db, const Clock& clock);
  static std::vector<store::Migration> migrations();

  Result<void> transact(const std::function<Result<void>(Unit&)>& fn) override;
  std::optional<Account> account(const std::string& participant_id) override;
  std::optional<StatementView> statement(const std::string& participant_id) override;
  std::vector<ArrearsEntry> arrears(const std::string& rw_code, const std::string& agent_id,
                                    const auth::Scope& scope) override;
  std::optional<Due> due(const std::string& participant_id, Period period) override;
  std::optional<BatchResult> batch(const std::string& batch_id) override;
  std::vector<AgentMonth> agent_month(const std::string& month, const auth::Scope& scope) override;
  std::optional<std::string> agent_branch(const std::string& agent_id) override;
  std::vector<CoverageFact> coverage_page(const std::string& after, int limit) override;
  std::int64_t unpublished() override;

 private:
  store::Database& db_;
  const Clock& clock_;
};

}  // namespace jaring::contribution

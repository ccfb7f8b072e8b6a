#pragma once
// The csr-donor store on SQLite: sponsors, deposits and the wallet ledger, cohorts and
// memberships, allocations and failures, proposals, the participant projection, claims for
// impact, applied event ids, idempotency keys and the outbox, each change and its events in one
// transaction.

#include <functional>
#include <vector>

#include "../core/ports.hpp"
#include "jaring/common/clock.hpp"
#include "jaring/store/sqlite.hpp"

namespace jaring::csr {

class SqliteStore final : public Store {
 public:
  // Each commit that wrote events wakes the database's outbox relay (Database::on_outbox_commit).
  SqliteStore(store::Database& db, const Clock& clock);
  static std::vector<store::Migration> migrations();

  Result<void> transact(const std::function<Result<void>(Unit&)>& fn) override;
  Result<void> read(const std::function<Result<void>(Unit&)>& fn) override;
  std::vector<SponsorshipFact> sponsorships_page(const std::string& after, int limit) override;
  std::int64_t unpublished() override;

 private:
  store::Database& db_;
  const Clock& clock_;
};

}  // namespace jaring::csr

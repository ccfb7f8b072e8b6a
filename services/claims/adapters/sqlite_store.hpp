#pragma once
// The claims store on SQLite: the projection of paid periods, claims with
// their documents, benefit lines, family, children and history, applied event ids and the
// outbox, each change and its events in one transaction. Personal data is sealed (libs/crypto).

#include <functional>
#include <string>
#include <vector>

#include "../core/ports.hpp"
#include "jaring/common/clock.hpp"
#include "jaring/crypto/sealed_table.hpp"
#include "jaring/store/sqlite.hpp"

namespace jaring::claims {

class SqliteStore final : public Store {
 public:
  // Each commit that wrote events wakes the database's outbox relay (Database::on_outbox_commit).
  SqliteStore(store::Database& db, const crypto::Sealer& sealer, const Clock& clock);
  // Migration 5 seals what earlier versions stored in clear, with `sealer`.
  static std::vector<store::Migration> migrations(const crypto::Sealer& sealer);
  // The tables holding sealed personal data (for `rekey`).
  static const std::vector<crypto::SealedTable>& sealed_tables();

  Result<void> transact(const std::function<Result<void>(Unit&)>& fn) override;
  std::optional<Claim> claim(const std::string& claim_id) override;
  ClaimPage list(const ClaimFilter& filter, const auth::Scope& scope) override;
  std::vector<ScholarshipRecord> latest_scholarships(const std::string& branch_code,
                                                     const auth::Scope& scope) override;
  std::vector<PeriodFact> periods(const std::string& participant_id) override;
  std::vector<PaidClaimFact> paid_claims_page(const std::string& after, int limit) override;
  std::int64_t unpublished() override;

 private:
  store::Database& db_;
  const crypto::Sealer& sealer_;
  const Clock& clock_;
};

}  // namespace jaring::claims

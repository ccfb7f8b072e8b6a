#pragma once
// The claims store on SQLite: the projections of participants and paid periods, claims with
// their documents, benefit lines, family, children and history, applied event ids and the
// outbox, each change and its events in one transaction.

#include <functional>
#include <string>
#include <vector>

#include "../core/ports.hpp"
#include "jaring/common/clock.hpp"
#include "jaring/store/sqlite.hpp"

namespace jaring::claims {

class SqliteStore final : public Store {
 public:
  // `committed` runs after each transaction that may have written to the outbox (wakes the relay).
  SqliteStore(store::Database& db, const Clock& clock, std::function<void()> committed);
  static std::vector<store::Migration> migrations();

  Result<void> transact(const std::function<Result<void>(Unit&)>& fn) override;
  std::optional<Claim> claim(const std::string& claim_id) override;
  ClaimPage list(const ClaimFilter& filter, const auth::Scope& scope) override;
  std::vector<ScholarshipRecord> latest_scholarships(const std::string& branch_code,
                                                     const auth::Scope& scope) override;
  std::optional<Participant> participant(const std::string& participant_id) override;
  std::vector<PeriodFact> periods(const std::string& participant_id) override;

 private:
  store::Database& db_;
  const Clock& clock_;
  std::function<void()> committed_;
};

}  // namespace jaring::claims

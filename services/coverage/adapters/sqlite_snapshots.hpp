#pragma once
// M&E snapshots in SQLite (one file, `snapshots.path`): durable where Redis is only a cache. The
// same file holds coverage's audit trail (its only change is CreateSnapshot) and the outbox that
// publishes the trail on jaring.audit.v1.

#include <memory>

#include "../core/evaluation.hpp"
#include "jaring/store/sqlite.hpp"

namespace jaring::coverage {

class SqliteSnapshots final : public SnapshotStore {
 public:
  // Opens (creating) the file; throws store::StoreError at start-up.
  explicit SqliteSnapshots(const std::string& path);

  Result<Snapshot> save(Snapshot snapshot, const std::vector<RwCoverage>& rws) override;
  Result<std::vector<Snapshot>> list(bool include_trend) override;
  Result<std::optional<Snapshot>> find(std::int64_t id) override;
  Result<std::vector<RwCoverage>> rows(std::int64_t id) override;

  // For the audit trail and the outbox relay.
  store::Database& db() { return *db_; }

 private:
  std::unique_ptr<store::Database> db_;
};

}  // namespace jaring::coverage

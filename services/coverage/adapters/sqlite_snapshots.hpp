#pragma once
// M&E snapshots in SQLite (one file, `snapshots.path`): durable where Redis is only a cache. The
// same file holds coverage's audit trail (its only change is CreateSnapshot) and the outbox that
// publishes the trail on jaring.audit.v1. With `snapshots.store: kafka` the file is only a
// replica's read model of the snapshots topic (rebuilt at every start) besides the trail.

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

  // As a read model of the shared record (kafka_snapshots.hpp): stores a snapshot under the id
  // the record gave it, replacing any earlier one of the same kind and period (the record's
  // key), and empties the snapshots before a rebuild. The audit trail and outbox stay.
  Result<void> put(const Snapshot& snapshot, const std::vector<RwCoverage>& rws);
  Result<void> clear();
  // A write that only names snapshot `id` to the audit record of the call running on this thread
  // (the snapshot itself was put by the topic's follower).
  Result<void> note_taken(std::int64_t id);

  // For the audit trail and the outbox relay.
  store::Database& db() { return *db_; }

 private:
  std::unique_ptr<store::Database> db_;
};

}  // namespace jaring::coverage

#include "sqlite_snapshots.hpp"

#include "jaring/audit/trail.hpp"
#include "jaring/store/outbox.hpp"

namespace jaring::coverage {
namespace {

const std::vector<store::Migration> kMigrations = {
    {1, R"sql(
CREATE TABLE snapshots (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  period TEXT NOT NULL,
  as_of TEXT NOT NULL,
  taken_at TEXT NOT NULL,
  rw_count INTEGER NOT NULL,
  kind TEXT NOT NULL
);
CREATE TABLE snapshot_rws (
  snapshot_id INTEGER NOT NULL REFERENCES snapshots(id),
  rw_code TEXT NOT NULL,
  target INTEGER NOT NULL,
  active_rw INTEGER NOT NULL,
  registered INTEGER NOT NULL,
  active INTEGER NOT NULL,
  arrears INTEGER NOT NULL,
  lapsed INTEGER NOT NULL,
  sponsored INTEGER NOT NULL,
  claims_paid INTEGER NOT NULL,
  claims_paid_rupiah INTEGER NOT NULL,
  registrations INTEGER NOT NULL,
  PRIMARY KEY (snapshot_id, rw_code)
);
)sql"},
    store::outbox_migration(2),
    audit::Trail::migration(3),
    // Rows the broker refuses for good, set aside by the relay (libs/store outbox.hpp).
    store::outbox_dead_letters_migration(4),
    // Workers registered but never paid; a snapshot taken before this column reads 0.
    {5, "ALTER TABLE snapshot_rws ADD COLUMN awaiting INTEGER NOT NULL DEFAULT 0;"},
    // The outbox in two segments, each emptied whole once published (libs/store outbox.hpp).
    store::outbox_segments_migration(6),
};

constexpr const char* kSnapshotColumns = "id, period, as_of, taken_at, rw_count, kind";

Snapshot snapshot_of(const store::Statement& row) {
  return {row.column_int(0),  row.column_text(1), row.column_text(2),
          row.column_text(3), row.column_int(4),  row.column_text(5)};
}

// Runs `fn`, turning the store's exceptions into an internal error at the port's boundary.
template <typename F>
auto guarded(F&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const store::StoreError& e) {
    return fail(Error::internal("the snapshot store failed", e.what()));
  }
}

}  // namespace

SqliteSnapshots::SqliteSnapshots(const std::string& path) : db_(store::Database::open(path, kMigrations)) {}

namespace {

// Stores the snapshot under its id, or under the next one when its id is 0; returns the id.
std::int64_t insert_snapshot(store::Transaction& tx, const Snapshot& snapshot) {
  tx.prepare(
        "INSERT INTO snapshots (id, period, as_of, taken_at, rw_count, kind)"
        " VALUES (NULLIF(?, 0), ?, ?, ?, ?, ?)")
      .bind(1, snapshot.id)
      .bind(2, snapshot.period)
      .bind(3, snapshot.as_of)
      .bind(4, snapshot.taken_at)
      .bind(5, snapshot.rw_count)
      .bind(6, snapshot.kind)
      .run();
  return tx.database().last_insert_rowid();
}

void insert_rows(store::Transaction& tx, std::int64_t id, const std::vector<RwCoverage>& rws) {
  auto insert = tx.prepare(
      "INSERT INTO snapshot_rws (snapshot_id, rw_code, target, active_rw, registered, active, arrears, "
      "lapsed, sponsored, claims_paid, claims_paid_rupiah, registrations, awaiting)"
      " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  for (const auto& rw : rws) {
    insert.bind(1, id).bind(2, rw.rw_code).bind(3, rw.target).bind(4, rw.active ? 1 : 0);
    int column = 5;
    for (const char* field : kCounterFields) insert.bind(column++, *field_of(rw.counters, field));
    insert.run();
  }
}

}  // namespace

Result<Snapshot> SqliteSnapshots::save(Snapshot snapshot, const std::vector<RwCoverage>& rws) {
  return guarded([&]() -> Result<Snapshot> {
    return db_->write([&](store::Transaction& tx) -> Result<Snapshot> {
      snapshot.id = 0;  // the next id
      snapshot.id = insert_snapshot(tx, snapshot);
      // The audit record of CreateSnapshot names the snapshot (a number, which the edge's scan of
      // the answer for *_id strings does not see).
      if (auto* observer = tx.observer())
        observer->appended("coverage.snapshots", std::to_string(snapshot.id));
      insert_rows(tx, snapshot.id, rws);
      return snapshot;
    });
  });
}

Result<void> SqliteSnapshots::put(const Snapshot& snapshot, const std::vector<RwCoverage>& rws) {
  return guarded([&]() -> Result<void> {
    return db_->write([&](store::Transaction& tx) -> Result<void> {
      const std::string replaced = "SELECT id FROM snapshots WHERE (kind = ? AND period = ?) OR id = ?";
      for (const char* table : {"snapshot_rws WHERE snapshot_id", "snapshots WHERE id"}) {
        tx.prepare(std::string("DELETE FROM ") + table + " IN (" + replaced + ")")
            .bind(1, snapshot.kind)
            .bind(2, snapshot.period)
            .bind(3, snapshot.id)
            .run();
      }
      insert_snapshot(tx, snapshot);
      insert_rows(tx, snapshot.id, rws);
      return {};
    });
  });
}

Result<void> SqliteSnapshots::note_taken(std::int64_t id) {
  return guarded([&]() -> Result<void> {
    return db_->write([&](store::Transaction& tx) -> Result<void> {
      if (auto* observer = tx.observer()) observer->appended("coverage.snapshots", std::to_string(id));
      return {};
    });
  });
}

Result<void> SqliteSnapshots::clear() {
  return guarded([&]() -> Result<void> {
    return db_->write([&](store::Transaction& tx) -> Result<void> {
      tx.prepare("DELETE FROM snapshot_rws").run();
      tx.prepare("DELETE FROM snapshots").run();
      return {};
    });
  });
}

Result<std::vector<Snapshot>> SqliteSnapshots::list(bool include_trend) {
  return guarded([&]() -> Result<std::vector<Snapshot>> {
    return db_->read([&](store::Database& db) -> Result<std::vector<Snapshot>> {
      auto query = db.prepare(std::string("SELECT ") + kSnapshotColumns + " FROM snapshots" +
                              (include_trend ? "" : " WHERE kind = 'evaluation'") + " ORDER BY id");
      std::vector<Snapshot> out;
      while (query.step()) out.push_back(snapshot_of(query));
      return out;
    });
  });
}

Result<std::optional<Snapshot>> SqliteSnapshots::find(std::int64_t id) {
  return guarded([&]() -> Result<std::optional<Snapshot>> {
    return db_->read([&](store::Database& db) -> Result<std::optional<Snapshot>> {
      auto query = db.prepare(std::string("SELECT ") + kSnapshotColumns + " FROM snapshots WHERE id = ?");
      query.bind(1, id);
      if (!query.step()) return std::optional<Snapshot>{};
      return std::optional<Snapshot>{snapshot_of(query)};
    });
  });
}

Result<std::vector<RwCoverage>> SqliteSnapshots::rows(std::int64_t id) {
  return guarded([&]() -> Result<std::vector<RwCoverage>> {
    return db_->read([&](store::Database& db) -> Result<std::vector<RwCoverage>> {
      auto query = db.prepare(
          "SELECT rw_code, target, active_rw, registered, active, arrears, lapsed, sponsored, claims_paid,"
          " claims_paid_rupiah, registrations, awaiting FROM snapshot_rws WHERE snapshot_id = ? ORDER BY "
          "rw_code");
      query.bind(1, id);
      std::vector<RwCoverage> out;
      while (query.step()) {
        RwCoverage rw;
        rw.rw_code = query.column_text(0);
        rw.kelurahan_code = rw.rw_code.substr(0, 13);
        rw.target = static_cast<int>(query.column_int(1));
        rw.active = query.column_int(2) != 0;
        int column = 3;
        for (const char* field : kCounterFields) *field_of(rw.counters, field) = query.column_int(column++);
        out.push_back(std::move(rw));
      }
      return out;
    });
  });
}

}  // namespace jaring::coverage

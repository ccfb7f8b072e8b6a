#include "jaring/store/outbox.hpp"

#include <algorithm>

namespace jaring::store {

Migration outbox_migration(int version) {
  return {version, R"sql(
CREATE TABLE outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  topic TEXT NOT NULL,
  msg_key BLOB NOT NULL,
  payload BLOB NOT NULL,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  sent_at TEXT
);
-- The relay polls for unsent rows; sent rows pile up until purged, so index only the unsent.
CREATE INDEX outbox_unsent ON outbox (id) WHERE sent_at IS NULL;
)sql"};
}

OutboxWriter::OutboxWriter(Transaction& tx)
    : insert_(tx.prepare("INSERT INTO outbox (topic, msg_key, payload) VALUES (?, ?, ?)")) {}

void OutboxWriter::append(const OutboxMessage& message) {
  insert_.bind(1, message.topic).bind_blob(2, message.key).bind_blob(3, message.payload).run();
}

void outbox_append(Transaction& tx, const OutboxMessage& message) { OutboxWriter(tx).append(message); }

std::vector<OutboxMessage> outbox_fetch_unsent(Database& db, int limit) {
  std::vector<OutboxMessage> messages;
  if (limit <= 0) return messages;
  db.read([&](Database& d) {
    auto statement =
        d.prepare("SELECT id, topic, msg_key, payload FROM outbox WHERE sent_at IS NULL ORDER BY id LIMIT ?");
    statement.bind(1, limit);
    while (statement.step()) {
      messages.push_back({statement.column_int(0), statement.column_text(1), statement.column_blob(2),
                          statement.column_blob(3)});
    }
  });
  return messages;
}

void outbox_mark_sent(Database& db, const std::vector<std::int64_t>& ids) {
  if (ids.empty()) return;
  const auto result = db.write([&](Transaction& tx) -> Result<void> {
    // "sent_at IS NULL" keeps the first send time when a relay retries a batch.
    auto statement = tx.prepare(
        "UPDATE outbox SET sent_at = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE id = ? AND sent_at IS NULL");
    for (const auto id : ids) statement.bind(1, id).run();
    return {};
  });
  (void)result;  // the lambda never returns an error; failures throw StoreError
}

std::int64_t outbox_backlog(Database& db) {
  return db.read([](Database& d) {
    auto statement = d.prepare("SELECT count(*) FROM outbox WHERE sent_at IS NULL");
    return statement.step() ? statement.column_int(0) : 0;
  });
}

void outbox_purge_sent(Database& db, std::int64_t keep) {
  const auto result = db.write([&](Transaction& tx) -> Result<void> {
    // Deletes the newest sent row beyond the kept ones and every older sent row: a range on the
    // primary key rather than a NOT IN over all sent rows.
    tx.prepare(
          "DELETE FROM outbox WHERE sent_at IS NOT NULL AND id <= "
          "(SELECT id FROM outbox WHERE sent_at IS NOT NULL ORDER BY id DESC LIMIT 1 OFFSET ?)")
        .bind(1, std::max<std::int64_t>(keep, 0))
        .run();
    return {};
  });
  (void)result;  // never an error value; failures throw StoreError
}

}  // namespace jaring::store

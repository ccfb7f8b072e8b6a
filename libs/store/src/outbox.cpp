#include "jaring/store/outbox.hpp"

#include <algorithm>

namespace jaring::store {

Migration outbox_migration(int version) {
  // Rows leave the table once Kafka acknowledged them: the table holds only the backlog, and
  // AUTOINCREMENT keeps ids increasing so the relay publishes in write order.
  return {version, R"sql(
CREATE TABLE outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  topic TEXT NOT NULL,
  msg_key BLOB NOT NULL,
  payload BLOB NOT NULL,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);
)sql"};
}

OutboxWriter::OutboxWriter(Transaction& tx)
    : insert_(tx.prepare("INSERT INTO outbox (topic, msg_key, payload) VALUES (?, ?, ?)")),
      observer_(tx.observer()) {}

void OutboxWriter::append(const OutboxMessage& message) {
  if (observer_ != nullptr) observer_->appended(message.topic, message.key);
  // The message outlives the run, so SQLite may read its bytes where they are.
  insert_.bind_unowned(1, message.topic)
      .bind_blob_unowned(2, message.key)
      .bind_blob_unowned(3, message.payload)
      .run();
}

void outbox_append(Transaction& tx, const OutboxMessage& message) { OutboxWriter(tx).append(message); }

std::vector<OutboxMessage> outbox_fetch_unsent(Database& db, int limit) {
  std::vector<OutboxMessage> messages;
  if (limit <= 0) return messages;
  db.read([&](Database& d) {
    auto statement = d.prepare("SELECT id, topic, msg_key, payload FROM outbox ORDER BY id LIMIT ?");
    statement.bind(1, limit);
    while (statement.step()) {
      messages.push_back({statement.column_int(0), statement.column_text(1), statement.column_blob(2),
                          statement.column_blob(3)});
    }
  });
  return messages;
}

void outbox_remove_sent(Database& db, const std::vector<std::int64_t>& ids) {
  if (ids.empty()) return;
  const auto result = db.write([&](Transaction& tx) -> Result<void> {
    // The relay removes the acknowledged prefix of what it fetched: consecutive ids, one range.
    if (ids.back() - ids.front() + 1 == static_cast<std::int64_t>(ids.size()) &&
        std::is_sorted(ids.begin(), ids.end())) {
      tx.prepare("DELETE FROM outbox WHERE id BETWEEN ? AND ?")
          .bind(1, ids.front())
          .bind(2, ids.back())
          .run();
      return {};
    }
    auto statement = tx.prepare("DELETE FROM outbox WHERE id = ?");
    for (const auto id : ids) statement.bind(1, id).run();
    return {};
  });
  (void)result;  // the lambda never returns an error; failures throw StoreError
}

std::int64_t outbox_backlog(Database& db) {
  return db.read([](Database& d) {
    auto statement = d.prepare("SELECT count(*) FROM outbox");
    return statement.step() ? statement.column_int(0) : 0;
  });
}

}  // namespace jaring::store

#include "jaring/store/outbox.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <iterator>
#include <optional>

#include "jaring/common/assert.hpp"
#include "jaring/common/clock.hpp"

namespace jaring::store {
namespace {

std::atomic<std::size_t> g_max_message_bytes{kOutboxMaxMessageBytes};

}  // namespace

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

Migration outbox_dead_letters_migration(int version) {
  // Rows the broker refused for good, out of the relay's way: an operator reads the reason and
  // puts them back (under new ids, at the end of the outbox) once the cause is fixed.
  return {version, R"sql(
CREATE TABLE outbox_dead_letters (
  id INTEGER PRIMARY KEY,
  topic TEXT NOT NULL,
  msg_key BLOB NOT NULL,
  payload BLOB NOT NULL,
  created_at TEXT NOT NULL,
  set_aside_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  reason TEXT NOT NULL
);
)sql"};
}

void set_outbox_max_message_bytes(std::size_t bytes) { g_max_message_bytes.store(bytes); }
std::size_t outbox_max_message_bytes() { return g_max_message_bytes.load(); }

OutboxMessageTooLarge::OutboxMessageTooLarge(std::string_view topic, std::size_t bytes, std::size_t limit)
    : std::runtime_error(fmt::format("an event for {} of {} bytes is above the outbox's limit of {} bytes",
                                     topic, bytes, limit)),
      bytes_(bytes),
      limit_(limit) {}

// created_at is the moment of the write, formatted here once for all the rows it appends: SQLite's
// strftime default formatted it again for every row (about 1 µs each, 3% of registration's CPU in
// a bulk import). The same text as the default's, from the wall clock as the default's was.
OutboxWriter::OutboxWriter(Transaction& tx)
    : tx_(tx),
      insert_(tx.prepare("INSERT INTO outbox (topic, msg_key, payload, created_at) VALUES (?, ?, ?, ?)")),
      observer_(tx.observer()),
      limit_(outbox_max_message_bytes()),
      created_at_(format_utc(std::chrono::system_clock::now())) {}

void OutboxWriter::append(std::string_view topic, std::string_view key, std::string_view payload) {
  // Checked before anything is written: a message the producer refuses would stop the relay.
  const auto bytes = key.size() + payload.size();
  if (bytes > limit_) throw OutboxMessageTooLarge(topic, bytes, limit_);
  if (observer_ != nullptr) observer_->appended(topic, key);
  // The bytes outlive the run, so SQLite may read them where they are.
  insert_.bind_unowned(1, topic)
      .bind_blob_unowned(2, key)
      .bind_blob_unowned(3, payload)
      .bind_unowned(4, created_at_)
      .run();
  tx_.note_outbox_row();
}

void outbox_append(Transaction& tx, const OutboxMessage& message) { OutboxWriter(tx).append(message); }

std::vector<OutboxMessage> outbox_fetch_unsent(Database& db, int limit) {
  return outbox_fetch_after(db, 0, limit);
}

std::vector<OutboxMessage> outbox_fetch_after(Database& db, std::int64_t after, int limit) {
  std::vector<OutboxMessage> messages;
  if (limit <= 0) return messages;
  db.read([&](Database& d) {
    auto statement =
        d.prepare("SELECT id, topic, msg_key, payload FROM outbox WHERE id > ? ORDER BY id LIMIT ?");
    statement.bind(1, after).bind(2, limit);
    while (statement.step()) {
      messages.push_back({statement.column_int(0), statement.column_text(1), statement.column_blob(2),
                          statement.column_blob(3)});
    }
  });
  return messages;
}

void outbox_remove_sent(Database& db, const std::vector<std::int64_t>& ids) {
  if (ids.empty()) return;
  JARING_ASSERT(std::is_sorted(ids.begin(), ids.end()), "acknowledged ids are removed in order");
  const auto result = db.write([&](Transaction& tx) -> Result<void> {
    // Each run of consecutive ids goes as one range: a statement per run, not per row.
    auto statement = tx.prepare("DELETE FROM outbox WHERE id BETWEEN ? AND ?");
    for (auto first = ids.begin(); first != ids.end();) {
      auto last = first;
      while (std::next(last) != ids.end() && *std::next(last) <= *last + 1) ++last;
      statement.bind(1, *first).bind(2, *last).run();
      first = std::next(last);
    }
    return {};
  });
  (void)result;  // the lambda never returns an error; failures throw StoreError
}

void outbox_remove_through(Database& db, std::int64_t last) {
  const auto result = db.write([&](Transaction& tx) -> Result<void> {
    auto newest = tx.prepare("SELECT max(id) FROM outbox");
    if (!newest.step() || newest.column_is_null(0)) return {};
    // When that is every row (a relay keeping up), the table is emptied whole: SQLite then frees
    // its pages without writing them again, where a delete by range writes each page it empties
    // to the WAL (1,000 rows: 12 KiB instead of about 400). AUTOINCREMENT keeps later ids above.
    if (newest.column_int(0) <= last) {
      tx.prepare("DELETE FROM outbox").run();
    } else {
      tx.prepare("DELETE FROM outbox WHERE id <= ?").bind(1, last).run();
    }
    return {};
  });
  (void)result;  // the lambda never returns an error; failures throw StoreError
}

std::int64_t outbox_backlog(Database& db, std::int64_t after) {
  return db.read([after](Database& d) {
    auto statement = d.prepare("SELECT count(*) FROM outbox WHERE id > ?");
    return statement.bind(1, after).step() ? statement.column_int(0) : 0;
  });
}

bool outbox_set_aside(Database& db, std::int64_t id, std::string_view reason) {
  bool moved = false;
  const auto result = db.write([&](Transaction& tx) -> Result<void> {
    tx.prepare(
          "INSERT INTO outbox_dead_letters (id, topic, msg_key, payload, created_at, reason) "
          "SELECT id, topic, msg_key, payload, created_at, ? FROM outbox WHERE id = ?")
        .bind(1, reason)
        .bind(2, id)
        .run();
    moved = tx.database().changes() == 1;
    tx.prepare("DELETE FROM outbox WHERE id = ?").bind(1, id).run();
    return {};
  });
  (void)result;  // failures throw StoreError
  return moved;
}

std::vector<DeadLetter> outbox_dead_letters(Database& db, int limit) {
  std::vector<DeadLetter> letters;
  if (limit <= 0) return letters;
  db.read([&](Database& d) {
    auto statement = d.prepare(
        "SELECT id, topic, msg_key, length(payload), created_at, set_aside_at, reason FROM "
        "outbox_dead_letters "
        "ORDER BY id LIMIT ?");
    statement.bind(1, limit);
    while (statement.step()) {
      letters.push_back({statement.column_int(0), statement.column_text(1), statement.column_blob(2),
                         statement.column_int(3), statement.column_text(4), statement.column_text(5),
                         statement.column_text(6)});
    }
  });
  return letters;
}

std::int64_t outbox_dead_letter_count(Database& db) {
  return db.read([](Database& d) {
    auto statement = d.prepare("SELECT count(*) FROM outbox_dead_letters");
    return statement.step() ? statement.column_int(0) : 0;
  });
}

std::int64_t outbox_requeue(Database& db, std::optional<std::int64_t> id) {
  std::int64_t moved = 0;
  const auto result = db.write([&](Transaction& tx) -> Result<void> {
    // Oldest first, so requeued rows keep their order among themselves.
    const std::string where = id ? " WHERE id = ?" : "";
    auto insert = tx.prepare(
        "INSERT INTO outbox (topic, msg_key, payload, created_at) SELECT topic, msg_key, payload, created_at "
        "FROM outbox_dead_letters" +
        where + " ORDER BY id");
    if (id) insert.bind(1, *id);
    insert.run();
    moved = tx.database().changes();
    if (moved > 0) tx.note_outbox_row();
    auto remove = tx.prepare("DELETE FROM outbox_dead_letters" + where);
    if (id) remove.bind(1, *id);
    remove.run();
    return {};
  });
  (void)result;  // failures throw StoreError
  return moved;
}

}  // namespace jaring::store

#include "jaring/store/outbox.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <iterator>
#include <optional>
#include <utility>

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

// The rows a write appended, their bytes in one buffer: a bulk write appends thousands.
struct Transaction::PendingOutbox {
  struct Row {
    std::size_t at;  // where its topic starts in `bytes`; the key and payload follow
    std::size_t topic;
    std::size_t key;
    std::size_t payload;
  };
  std::string bytes;
  std::vector<Row> rows;
  // The rows' created_at: the moment of the write's first append, formatted once, where SQLite's
  // strftime default formatted it again for every row. The same text as the default's.
  std::string created_at;
};

Transaction::Transaction(Database& db, WriteObserver* observer) : db_(db), observer_(observer) {}
Transaction::~Transaction() = default;

Transaction::PendingOutbox& Transaction::pending_outbox() {
  if (outbox_ == nullptr) outbox_ = std::make_unique<PendingOutbox>();
  return *outbox_;
}

namespace {

constexpr int kOutboxColumns = 4;

// INSERT of `rows` outbox rows; their order in VALUES is their id order.
std::string outbox_insert_sql(std::size_t rows) {
  std::string sql = "INSERT INTO outbox (topic, msg_key, payload, created_at) VALUES ";
  for (std::size_t i = 0; i < rows; ++i) sql += i == 0 ? "(?, ?, ?, ?)" : ", (?, ?, ?, ?)";
  return sql;
}

}  // namespace

void Transaction::insert_pending_outbox() {
  auto& pending = *outbox_;
  if (pending.rows.empty()) return;
  // A few statement sizes only, each compiled once (the statement cache keeps them): a bulk
  // write's thousands go 64 at a time, the rest 8 or 1 at a time.
  static const std::array<std::pair<std::size_t, std::string>, 3> kStatements{
      {{64, outbox_insert_sql(64)}, {8, outbox_insert_sql(8)}, {1, outbox_insert_sql(1)}}};
  const std::string_view bytes = pending.bytes;
  std::size_t next = 0;
  for (const auto& [size, sql] : kStatements) {
    if (pending.rows.size() - next < size) continue;
    auto insert = prepare(sql);
    for (; pending.rows.size() - next >= size; next += size) {
      for (std::size_t i = 0; i < size; ++i) {
        const auto& row = pending.rows[next + i];
        const int first = static_cast<int>(i) * kOutboxColumns + 1;
        // The buffer stays as it is until the statement ran: SQLite may read the bytes there.
        insert.bind_unowned(first, bytes.substr(row.at, row.topic))
            .bind_blob_unowned(first + 1, bytes.substr(row.at + row.topic, row.key))
            .bind_blob_unowned(first + 2, bytes.substr(row.at + row.topic + row.key, row.payload))
            .bind_unowned(first + 3, pending.created_at);
      }
      insert.run();
    }
  }
  JARING_ASSERT(next == pending.rows.size(), "every pending outbox row is inserted");
  pending.rows.clear();  // inserted: a later flush of this write has nothing to insert again
  pending.bytes.clear();
}

OutboxWriter::OutboxWriter(Transaction& tx)
    : tx_(tx), pending_(tx.pending_outbox()), observer_(tx.observer()), limit_(outbox_max_message_bytes()) {}

void OutboxWriter::append(std::string_view topic, std::string_view key, std::string_view payload) {
  // Checked before anything is kept: a message the producer refuses would stop the relay.
  const auto bytes = key.size() + payload.size();
  if (bytes > limit_) throw OutboxMessageTooLarge(topic, bytes, limit_);
  if (observer_ != nullptr) observer_->appended(topic, key);
  if (pending_.created_at.empty()) pending_.created_at = format_utc(std::chrono::system_clock::now());
  pending_.rows.push_back({pending_.bytes.size(), topic.size(), key.size(), payload.size()});
  pending_.bytes.append(topic).append(key).append(payload);
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

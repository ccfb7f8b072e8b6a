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

Migration outbox_segments_migration(int version) {
  // The outbox becomes two tables of one shape, its segments: writers append to one while the
  // relay publishes the other, which is emptied whole once every row of it was published (a
  // range DELETE wrote each page it emptied to the WAL again; emptying a table frees them
  // unwritten). Ids come from outbox_state, above every id either segment ever held, so the
  // relay reads both in write order. The first segment is rebuilt without AUTOINCREMENT.
  return {version, R"sql(
CREATE TABLE outbox_state (
  one INTEGER PRIMARY KEY CHECK (one = 1),
  last_id INTEGER NOT NULL,            -- the highest id given to a row
  published_through INTEGER NOT NULL,  -- every row up to it was published or set aside
  appending_to INTEGER NOT NULL CHECK (appending_to IN (0, 1))  -- 0: outbox, 1: outbox_b
);
INSERT INTO outbox_state (one, last_id, published_through, appending_to)
  SELECT 1, max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'outbox'), 0),
                coalesce((SELECT max(id) FROM outbox), 0)), 0, 0;
CREATE TABLE outbox_rebuilt (
  id INTEGER PRIMARY KEY,
  topic TEXT NOT NULL,
  msg_key BLOB NOT NULL,
  payload BLOB NOT NULL,
  created_at TEXT NOT NULL
);
INSERT INTO outbox_rebuilt (id, topic, msg_key, payload, created_at)
  SELECT id, topic, msg_key, payload, created_at FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_rebuilt RENAME TO outbox;
CREATE TABLE outbox_b (
  id INTEGER PRIMARY KEY,
  topic TEXT NOT NULL,
  msg_key BLOB NOT NULL,
  payload BLOB NOT NULL,
  created_at TEXT NOT NULL
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

// The segments by their number in outbox_state.appending_to.
constexpr std::array<std::string_view, 2> kSegments{"outbox", "outbox_b"};
constexpr int kOutboxColumns = 5;

// `pattern` with each segment's name for its {}, by segment number: made once by each caller (a
// static), since the relay runs them every round.
std::array<std::string, kSegments.size()> per_segment(std::string_view pattern) {
  std::array<std::string, kSegments.size()> sql;
  for (std::size_t s = 0; s < kSegments.size(); ++s)
    sql[s] = fmt::format(fmt::runtime(pattern), kSegments[s]);
  return sql;
}

// INSERT of `rows` rows into `segment`; their ids are bound, increasing.
std::string outbox_insert_sql(std::string_view segment, std::size_t rows) {
  std::string sql = fmt::format("INSERT INTO {} (id, topic, msg_key, payload, created_at) VALUES ", segment);
  for (std::size_t i = 0; i < rows; ++i) sql += i == 0 ? "(?, ?, ?, ?, ?)" : ", (?, ?, ?, ?, ?)";
  return sql;
}

// The segment writers append to, and the highest id given so far.
struct Appending {
  int segment = 0;
  std::int64_t last_id = 0;
};
Appending appending(Transaction& tx) {
  auto state = tx.prepare("SELECT appending_to, last_id FROM outbox_state");
  const bool found = state.step();
  JARING_ASSERT(found, "outbox_state holds its row from the migration on");
  const Appending out{static_cast<int>(state.column_int(0)), state.column_int(1)};
  JARING_ASSERT(out.segment == 0 || out.segment == 1, "the table's CHECK allows two segments");
  return out;
}

// SQL for the id above which rows are unpublished: `after` (a parameter or a number), or
// published_through when that is higher. Read inside the caller's statement.
std::string unpublished_above(std::string_view after) {
  return fmt::format("(SELECT max({}, published_through) FROM outbox_state)", after);
}

}  // namespace

void Transaction::insert_pending_outbox() {
  auto& pending = *outbox_;
  if (pending.rows.empty()) return;
  // A few statement sizes only, each compiled once (the statement cache keeps them): a bulk
  // write's thousands go 64 at a time, the rest 8 or 1 at a time.
  static constexpr std::array<std::size_t, 3> kSizes{64, 8, 1};
  static const auto kStatements = [] {
    std::array<std::array<std::string, kSizes.size()>, kSegments.size()> sql;
    for (std::size_t s = 0; s < kSegments.size(); ++s) {
      for (std::size_t i = 0; i < kSizes.size(); ++i) sql[s][i] = outbox_insert_sql(kSegments[s], kSizes[i]);
    }
    return sql;
  }();
  // Read in each write, not kept in memory: another process may append to this store too (an
  // operator's requeue), and its ids must stay above ours.
  auto [segment, id] = appending(*this);
  const std::string_view bytes = pending.bytes;
  std::size_t next = 0;
  for (std::size_t s = 0; s < kSizes.size(); ++s) {
    const auto size = kSizes[s];
    if (pending.rows.size() - next < size) continue;
    auto insert = prepare(kStatements[static_cast<std::size_t>(segment)][s]);
    for (; pending.rows.size() - next >= size; next += size) {
      for (std::size_t i = 0; i < size; ++i) {
        const auto& row = pending.rows[next + i];
        const int first = static_cast<int>(i) * kOutboxColumns + 1;
        // The buffer stays as it is until the statement ran: SQLite may read the bytes there.
        insert.bind(first, ++id)
            .bind_unowned(first + 1, bytes.substr(row.at, row.topic))
            .bind_blob_unowned(first + 2, bytes.substr(row.at + row.topic, row.key))
            .bind_blob_unowned(first + 3, bytes.substr(row.at + row.topic + row.key, row.payload))
            .bind_unowned(first + 4, pending.created_at);
      }
      insert.run();
    }
  }
  JARING_ASSERT(next == pending.rows.size(), "every pending outbox row is inserted");
  prepare("UPDATE outbox_state SET last_id = ?").bind(1, id).run();
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
  // Both segments, merged by id (each is read in id order; SQLite merges them without sorting).
  static const std::string kSql = fmt::format(
      "SELECT id, topic, msg_key, payload FROM outbox WHERE id > {0} "
      "UNION ALL SELECT id, topic, msg_key, payload FROM outbox_b WHERE id > {0} ORDER BY id LIMIT ?2",
      unpublished_above("?1"));
  db.read([&](Database& d) {
    auto statement = d.prepare(kSql);
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
    // Each run of consecutive ids goes as one range: a statement per run and segment, not per row.
    static const auto kRemove = per_segment("DELETE FROM {} WHERE id BETWEEN ? AND ?");
    std::array<Statement, kSegments.size()> removals{tx.prepare(kRemove[0]), tx.prepare(kRemove[1])};
    for (auto first = ids.begin(); first != ids.end();) {
      auto last = first;
      while (std::next(last) != ids.end() && *std::next(last) <= *last + 1) ++last;
      for (auto& removal : removals) removal.bind(1, *first).bind(2, *last).run();
      first = std::next(last);
    }
    return {};
  });
  (void)result;  // the lambda never returns an error; failures throw StoreError
}

void outbox_remove_through(Database& db, std::int64_t last) {
  const auto result = db.write([&](Transaction& tx) -> Result<void> {
    static const auto kNewest = per_segment("SELECT max(id) FROM {}");
    static const auto kEmpty = per_segment("DELETE FROM {}");
    auto segment = appending(tx).segment;
    std::array<bool, kSegments.size()> empty{};
    for (std::size_t s = 0; s < kSegments.size(); ++s) {
      auto newest = tx.prepare(kNewest[s]);
      empty[s] = !newest.step() || newest.column_is_null(0);
      if (empty[s] || newest.column_int(0) > last) continue;
      // Every row of it was published: emptied whole, SQLite frees its pages without writing them.
      tx.prepare(kEmpty[s]).run();
      empty[s] = true;
    }
    // Writers move to the other segment once it is empty: the one they leave holds the rows of
    // the last while only, and is emptied in turn once they were all published.
    const auto other = static_cast<std::size_t>(1 - segment);
    if (empty[other] && !empty[static_cast<std::size_t>(segment)]) segment = static_cast<int>(other);
    // Never beyond the last id given: a later row must not read as published.
    tx.prepare(
          "UPDATE outbox_state SET published_through = max(published_through, min(?, last_id)), "
          "appending_to = ?")
        .bind(1, last)
        .bind(2, segment)
        .run();
    return {};
  });
  (void)result;  // the lambda never returns an error; failures throw StoreError
}

namespace {

// Counts the unpublished rows above `after` (SQL: a parameter or a number).
std::string backlog_sql(std::string_view after) {
  return fmt::format(
      "SELECT (SELECT count(*) FROM outbox WHERE id > {0}) + (SELECT count(*) FROM outbox_b WHERE id > {0})",
      unpublished_above(after));
}

}  // namespace

std::int64_t outbox_backlog(Database& db, std::int64_t after) {
  static const std::string kSql = backlog_sql("?1");
  return db.read([after](Database& d) {
    auto statement = d.prepare(kSql);
    return statement.bind(1, after).step() ? statement.column_int(0) : 0;
  });
}

std::string outbox_backlog_sql() { return backlog_sql("0"); }

bool outbox_set_aside(Database& db, std::int64_t id, std::string_view reason) {
  bool moved = false;
  const auto result = db.write([&](Transaction& tx) -> Result<void> {
    tx.prepare(
          "INSERT INTO outbox_dead_letters (id, topic, msg_key, payload, created_at, reason) "
          "SELECT id, topic, msg_key, payload, created_at, ?1 FROM outbox WHERE id = ?2 "
          "UNION ALL SELECT id, topic, msg_key, payload, created_at, ?1 FROM outbox_b WHERE id = ?2")
        .bind(1, reason)
        .bind(2, id)
        .run();
    moved = tx.database().changes() == 1;
    static const auto kRemove = per_segment("DELETE FROM {} WHERE id = ?");
    for (const auto& remove : kRemove) tx.prepare(remove).bind(1, id).run();
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
    const auto [segment, last_id] = appending(tx);
    // Oldest first, under the next ids, so requeued rows keep their order among themselves.
    const std::string where = id ? " WHERE id = ?2" : "";
    auto insert = tx.prepare(
        fmt::format("INSERT INTO {} (id, topic, msg_key, payload, created_at) "
                    "SELECT ?1 + row_number() OVER (ORDER BY id), topic, msg_key, payload, created_at "
                    "FROM outbox_dead_letters{} ORDER BY id",
                    kSegments[static_cast<std::size_t>(segment)], where));
    insert.bind(1, last_id);
    if (id) insert.bind(2, *id);
    insert.run();
    moved = tx.database().changes();
    if (moved > 0) {
      tx.prepare("UPDATE outbox_state SET last_id = ?").bind(1, last_id + moved).run();
      tx.note_outbox_row();
    }
    auto remove =
        tx.prepare(id ? "DELETE FROM outbox_dead_letters WHERE id = ?" : "DELETE FROM outbox_dead_letters");
    if (id) remove.bind(1, *id);
    remove.run();
    return {};
  });
  (void)result;  // failures throw StoreError
  return moved;
}

}  // namespace jaring::store

#include "jaring/audit/trail.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "jaring/common/ids.hpp"
#include "jaring/events/envelope.hpp"
#include "jaring/store/outbox.hpp"

namespace jaring::audit {
namespace {

constexpr std::size_t kMaxIdsPerRecord = 20000;  // a bulk import's transaction holds 10,000 rows
constexpr int kMaxIdsOnTheBus = 50;

std::string join_ids(const std::vector<std::string>& ids) {
  std::string out;
  for (const auto& id : ids) {
    if (!out.empty()) out += ' ';
    out += id;
  }
  return out;
}

// The non-empty parts of `text` between `separator`s: ids (space) and roles (comma).
std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find(separator, start);
    if (end == std::string::npos) end = text.size();
    if (end > start) out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

}  // namespace

// Every record is written in a change's own transaction, so each index is a page more in every
// commit: the table keeps one, by subject. Times never go back along seq (Trail::write), so a
// time range is found by seeking on seq instead of through an index of its own.
store::Migration Trail::migration(int version) {
  return {version, R"sql(
CREATE TABLE audit_log (
  seq INTEGER PRIMARY KEY,
  audit_id TEXT NOT NULL,
  at TEXT NOT NULL,
  subject TEXT NOT NULL,
  acting_for TEXT NOT NULL,
  roles TEXT NOT NULL,
  method TEXT NOT NULL,
  ids TEXT NOT NULL,
  result TEXT NOT NULL,
  trace_id TEXT NOT NULL
);
CREATE INDEX audit_log_subject ON audit_log (subject, seq);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
  BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
  BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
)sql"};
}

Trail::Trail(store::Database& db, std::string service, const Clock& clock)
    : db_(db), service_(std::move(service)), clock_(clock) {
  db_.accept_observers();
  last_at_ = db_.read([](store::Database& d) {
    auto statement = d.prepare("SELECT at FROM audit_log ORDER BY seq DESC LIMIT 1");
    return statement.step() ? statement.column_text(0) : std::string();
  });
}

void Trail::write(store::Transaction& tx, Record& record) {
  if (record.audit_id.empty()) record.audit_id = new_id("au_");
  // A clock set back (or a record stamped earlier) never puts a record before the one above it:
  // the trail's order is its time order. Writes are serialised by the store's write lock.
  if (record.at.empty()) record.at = format_utc(clock_.now());
  if (record.at < last_at_) record.at = last_at_;
  last_at_ = record.at;
  record.service = service_;
  tx.prepare(
        "INSERT INTO audit_log (audit_id, at, subject, acting_for, roles, method, ids, result, trace_id) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
      .bind(1, record.audit_id)
      .bind(2, record.at)
      .bind(3, record.subject)
      .bind(4, record.acting_for)
      .bind(5, record.roles)
      .bind(6, record.method)
      .bind(7, join_ids(record.ids))
      .bind(8, record.result)
      .bind(9, record.trace_id)
      .run();
  events::v1::Envelope envelope;
  events::stamp(envelope, service_, clock_);
  envelope.set_type("AuditRecorded");
  envelope.set_trace_id(record.trace_id);
  auto* e = envelope.mutable_audit_recorded();
  e->set_audit_id(record.audit_id);
  e->set_service(service_);
  e->set_subject(record.subject);
  e->set_acting_for(record.acting_for);
  for (const auto& role : split(record.roles, ',')) e->add_roles(role);
  e->set_method(record.method);
  for (std::size_t i = 0; i < record.ids.size() && i < kMaxIdsOnTheBus; ++i) e->add_ids(record.ids[i]);
  e->set_id_count(static_cast<std::int64_t>(record.ids.size()));
  e->set_result(record.result);
  store::outbox_append(tx, {0, std::string(kTopic), record.subject, envelope.SerializeAsString()});
}

void Trail::record(Record record) noexcept {
  try {
    const auto written =
        store::write_or_unavailable(db_, "the audit trail", [&](store::Transaction& tx) -> Result<void> {
          write(tx, record);
          return {};
        });
    if (!written) spdlog::error("audit record of {} not written: {}", record.method, written.error().message);
  } catch (const std::exception& e) {
    spdlog::error("audit record of {} not written: {}", record.method, e.what());
  }
}

namespace {

// The first seq whose record is at or after `at` (one past the last when none is): times never
// go back along seq, so a binary search over seq finds it in a few look-ups.
std::int64_t first_at_or_after(store::Database& d, const std::string& at) {
  auto last = d.prepare("SELECT coalesce(max(seq), 0) FROM audit_log");
  last.step();
  std::int64_t lo = 0;
  std::int64_t hi = last.column_int(0) + 1;
  auto next = d.prepare("SELECT seq, at FROM audit_log WHERE seq >= ? ORDER BY seq LIMIT 1");
  while (lo < hi) {
    const auto mid = lo + (hi - lo) / 2;
    next.reset();
    next.bind(1, mid);
    if (!next.step() || next.column_text(1) >= at) {
      hi = mid;
    } else {
      lo = next.column_int(0) + 1;
    }
  }
  return lo;
}

}  // namespace

std::vector<Record> Trail::find(const Query& query) {
  const int limit = std::clamp(query.limit <= 0 ? 100 : query.limit, 1, 1000);
  std::vector<Record> out;
  db_.read([&](store::Database& d) {
    const std::int64_t from = query.from.empty() ? 0 : first_at_or_after(d, query.from);
    const std::int64_t to = query.to.empty() ? INT64_MAX : first_at_or_after(d, query.to);
    // A subject's records come from the index; the other filters narrow what it (or the seq
    // range) yields.
    auto statement = d.prepare(
        std::string(
            "SELECT audit_id, at, subject, acting_for, roles, method, ids, result, trace_id FROM audit_log "
            "WHERE ") +
        (query.subject.empty() ? "" : "subject = ?1 AND ") +
        "seq >= ?3 AND seq < ?4 AND (?2 = '' OR (' ' || ids || ' ') LIKE ('% ' || ?2 || ' %')) "
        "AND (?6 = '' OR trace_id = ?6) ORDER BY seq LIMIT ?5");
    statement.bind(1, query.subject).bind(2, query.id).bind(3, from).bind(4, to).bind(5, limit);
    statement.bind(6, query.trace_id);
    while (statement.step()) {
      Record r;
      r.audit_id = statement.column_text(0);
      r.at = statement.column_text(1);
      r.service = service_;
      r.subject = statement.column_text(2);
      r.acting_for = statement.column_text(3);
      r.roles = statement.column_text(4);
      r.method = statement.column_text(5);
      r.ids = split(statement.column_text(6), ' ');
      r.result = statement.column_text(7);
      r.trace_id = statement.column_text(8);
      out.push_back(std::move(r));
    }
  });
  return out;
}

CallRecord::CallRecord(Trail* trail, Record base) : trail_(trail), record_(std::move(base)) {
  const auto ids = std::move(record_.ids);
  record_.ids.clear();
  for (const auto& id : ids) add_id(id);
  base_ids_ = record_.ids;
}

// After a transaction: the next one's record names the request's ids and its own.
void CallRecord::reset_ids() {
  record_.ids = base_ids_;
  seen_ = {base_ids_.begin(), base_ids_.end()};
}

void CallRecord::add_id(std::string_view id) {
  if (id.empty() || record_.ids.size() >= kMaxIdsPerRecord) return;
  if (seen_.emplace(id).second) record_.ids.emplace_back(id);
}

void CallRecord::appended(std::string_view topic, std::string_view key) {
  if (topic != kTopic) add_id(key);
}

void CallRecord::before_commit(store::Transaction& tx) {
  if (trail_ == nullptr) return;
  Record record = record_;
  record.audit_id.clear();
  record.result = "OK";
  trail_->write(tx, record);
  pending_ = true;
}

void CallRecord::ended(bool committed) noexcept {
  if (pending_ && committed) written_ = true;
  pending_ = false;
  // What a committed transaction touched is in its record; what a rolled-back one touched never
  // happened. A read or refusal that follows names the request's ids.
  reset_ids();
}

void CallRecord::finish(const std::string& result, const std::vector<std::string>& ids) noexcept {
  if (trail_ == nullptr || written_) return;
  try {
    for (const auto& id : ids) add_id(id);
    Record record = record_;
    record.result = result;
    trail_->record(std::move(record));
    written_ = true;
  } catch (const std::exception& e) {
    spdlog::error("audit record of {} not written: {}", record_.method, e.what());
  }
}

}  // namespace jaring::audit

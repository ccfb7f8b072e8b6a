#pragma once
// The audit trail (DESIGN.md section 6): who (subject, roles, the user a service acted for),
// what (method, ids), when, the result and the trace id, for every change and every read that
// returns personal data. A change's record is written in the same transaction as the change (a
// store::WriteObserver riding along the call's transactions), so there is never a change without
// its record nor a record of a change that did not happen; refusals, failures and reads are
// written on their own. Each record is also published on jaring.audit.v1 through the service's
// outbox, with ids only. The table refuses UPDATE and DELETE (triggers): no code path, and no
// API, changes a record.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "jaring/common/clock.hpp"
#include "jaring/store/sqlite.hpp"

namespace jaring::audit {

inline constexpr std::string_view kTopic = "jaring.audit.v1";

struct Record {
  std::string audit_id;
  std::string at;  // RFC 3339 UTC
  std::string service;
  std::string subject;
  std::string acting_for;
  std::string roles;  // comma-separated
  std::string method;
  std::vector<std::string> ids;
  std::string result;  // gRPC status code name
  std::string trace_id;
};

struct Query {
  std::string subject{};
  std::string id{};
  std::string from{};  // RFC 3339, inclusive
  std::string to{};    // RFC 3339, exclusive
  std::string trace_id{};
  int limit = 100;
};

class Trail {
 public:
  // The table; a service appends it to its store's migrations.
  static store::Migration migration(int version);

  // Installs itself on `db` (which must have the table).
  Trail(store::Database& db, std::string service, const Clock& clock);

  // Writes a record in a transaction of its own. A failure is logged, never thrown: the answer
  // the caller gets does not depend on it.
  void record(Record record) noexcept;
  // Writes a record inside `tx` and appends its event to the outbox.
  void write(store::Transaction& tx, Record& record);
  // Oldest first, at most query.limit (1..1000).
  std::vector<Record> find(const Query& query);

  const std::string& service() const { return service_; }
  const Clock& clock() const { return clock_; }

 private:
  store::Database& db_;
  std::string service_;
  const Clock& clock_;
  std::string last_at_;  // the time of the newest record: a new one is never earlier
};

// The record of one RPC while it runs on this thread: each transaction the call commits on the
// trail's store carries a record of its own (result OK, with the ids of the outbox rows it
// wrote); when the call ends, finish() writes a record only if no change did.
class CallRecord final : public store::WriteObserver {
 public:
  // `trail` may be null (a service without a trail records nothing).
  CallRecord(Trail* trail, Record base);
  void appended(std::string_view topic, std::string_view key) override;
  void before_commit(store::Transaction& tx) override;
  void ended(bool committed) noexcept override;
  // After the handler: `result` is the call's status code name; `ids` those of the answer.
  void finish(const std::string& result, const std::vector<std::string>& ids) noexcept;
  bool written() const { return written_; }

 private:
  void add_id(std::string_view id);
  void reset_ids();
  Trail* trail_;
  Record record_;
  std::vector<std::string> base_ids_;  // the request's: part of every record of the call
  std::unordered_set<std::string> seen_;
  bool pending_ = false;
  bool written_ = false;
};

}  // namespace jaring::audit

#pragma once
// What makes a store's writes happen once, shared by the stores that keep them:
//   applied_events (event_id TEXT PRIMARY KEY) WITHOUT ROWID
//     the ids of the events a consumer applied (an event delivered again, or re-published by an
//     owner after a restore, under the same id, changes nothing);
//   idempotency_keys (key TEXT PRIMARY KEY, result TEXT NOT NULL) WITHOUT ROWID
//     the result of a command by its idempotency key (a retried call answers what the first did).
// Every function runs inside the caller's transaction (or batch) on `db`.

#include <optional>
#include <string>
#include <string_view>

#include "jaring/store/sqlite.hpp"

namespace jaring::store {

// Records `event_id` as applied: true the first time, false when it was applied before (the caller
// then changes nothing). One statement: an insert that does nothing for a known id.
bool first_application(Database& db, std::string_view event_id);

// The result remembered for `key`, if any.
std::optional<std::string> recall_result(Database& db, std::string_view key);
// Remembers `result` for `key`; a key remembered before is a StoreError (a constraint).
void remember_result(Database& db, std::string_view key, std::string_view result);

}  // namespace jaring::store

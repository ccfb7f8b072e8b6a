#pragma once
// Sealed personal data in a store's table: how an adapter binds and reads a sealed column, and
// the one routine that re-seals a whole table under the current keys (the migration that seals a
// store written before sealing existed, and `rekey` after a key rotation).

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "jaring/crypto/sealer.hpp"
#include "jaring/store/sqlite.hpp"

namespace jaring::crypto {

// The sealed columns of one table.
struct SealedTable {
  std::string table;
  std::vector<std::string> key_columns;  // the row's primary key: part of every value's context
  std::vector<std::string> columns;      // sealed (BLOB) columns
  // A sealed column whose blind index is kept in `index_column` (for uniqueness and look-ups);
  // both empty for none.
  std::string indexed_column;
  std::string index_column;
  // What of the indexed column's plaintext the blind index is made of (a field of a sealed
  // record); empty: all of it.
  std::function<std::string(const std::string& plain)> index_source = {};
};

// The context a value is sealed with: its table, its column and its row's key (the key columns'
// values joined by '/'). A value copied into another row or column does not open.
std::string context(std::string_view table, std::string_view column, std::string_view row_key);

// Column `index` of the statement's current row, opened with `context`. A TEXT value is one
// written before sealing existed and is returned as it is (the migration that seals the table
// reads it so). Throws store::StoreError when a sealed value does not open (a missing key, an
// altered file): the request fails rather than answer with wrong data.
std::string open_column(const Sealer& sealer, const store::Statement& s, int index, std::string_view context);

// How the values of a table are sealed: the number under each data key (key 0: not sealed) and
// the blind indexes under an index key other than the current one (or missing).
struct KeyCensus {
  std::int64_t rows = 0;
  std::map<std::uint32_t, std::int64_t> values_by_key;
  std::int64_t stale_indexes = 0;
};
KeyCensus census(store::Database& db, const Sealer& sealer, const SealedTable& table);

struct ResealReport {
  std::int64_t rows = 0;       // rows examined
  std::int64_t rewritten = 0;  // rows with at least one value or index re-made
};

// Re-seals under the current data key every value of `table` sealed under another key or not
// sealed at all, and re-makes every blind index not made with the current index key; values
// already current are left as they are. `batch` rows a transaction, so the service may keep
// serving meanwhile. Freed space is overwritten (secure_delete) and the WAL emptied at the end
// when no reader holds it, so no copy of an old value stays behind in the file.
ResealReport reseal(store::Database& db, const Sealer& sealer, const SealedTable& table, int batch = 500);

// The same, in the transaction the caller holds: a migration's, which store::Database::open
// already runs with freed space zeroed and empties the WAL after.
ResealReport reseal_in_transaction(store::Database& db, const Sealer& sealer, const SealedTable& table);

}  // namespace jaring::crypto

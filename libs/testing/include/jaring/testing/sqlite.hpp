#pragma once
// Checks of a store's schema that its tests share.

#include <string>
#include <vector>

#include "jaring/store/sqlite.hpp"

namespace jaring::testing {

// The tables of `db` (migrated) whose every insert builds a temporary table before it writes: a
// CHECK or a partial index's condition with an IN list of more than two values does (SQLite tests
// such a list through an ephemeral index, built anew each time). Tables a service writes on every
// event should not be among them. Read from the compiled insert (EXPLAIN): nothing is written.
std::vector<std::string> tables_with_temporary_tables_on_insert(store::Database& db);

}  // namespace jaring::testing

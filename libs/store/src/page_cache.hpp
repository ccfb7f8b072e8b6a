#pragma once

// The page cache every connection of the process uses: SQLite's own (pcache1), except for how a
// B-tree balance swaps two pages' numbers (page_cache.cpp says why). Installed once, before
// SQLite initialises; installed too late (SQLite already initialised by another user of the
// library in the process), SQLite's own cache stays, which is only slower.

#include <cstdint>

namespace jaring::store::detail {

// Installs the cache if SQLite is not yet initialised; true when it is the one in use. Idempotent.
bool install_page_cache();

// Page swaps done without SQLite's temporary page number since the process started (for tests).
std::uint64_t page_swaps_parked();

}  // namespace jaring::store::detail

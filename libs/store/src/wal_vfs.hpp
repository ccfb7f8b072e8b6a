#pragma once

// The VFS every Database opens its files through: SQLite's own (unix), except that a WAL frame's
// 24-byte header and its page reach the file in one write instead of two (wal_vfs.cpp says why).

namespace jaring::store::detail {

// Registers the VFS on first use (not as the default) and returns its name for sqlite3_open_v2.
// Throws StoreError when SQLite has no default VFS to build on.
const char* wal_vfs_name();

}  // namespace jaring::store::detail

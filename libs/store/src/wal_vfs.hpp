#pragma once

// The VFS every Database opens its files through: SQLite's own (unix), except that the frames a
// commit appends to the WAL reach the file in one write (up to 120 KiB), not two writes a frame
// (wal_vfs.cpp says why and when what is held is written).

namespace jaring::store::detail {

// Registers the VFS on first use (not as the default) and returns its name for sqlite3_open_v2.
// Throws StoreError when SQLite has no default VFS to build on.
const char* wal_vfs_name();

}  // namespace jaring::store::detail

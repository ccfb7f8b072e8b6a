#include "wal_vfs.hpp"

#include <sqlite3.h>

#include <cstddef>
#include <new>
#include <vector>

#include "jaring/common/assert.hpp"
#include "jaring/store/sqlite.hpp"

// SQLite appends a commit's pages to the WAL one frame at a time, and a frame in two writes: its
// 24-byte header, then the page right after it (wal.c, walWriteOneFrame). Each write is a pwrite,
// and on these machines a system call costs more than copying a page: pwrite was a fifth of
// registration's CPU in bulk. This VFS is SQLite's default one with a single change, to files
// opened as a WAL: writes that continue the one before (a commit's frames, appended in order) are
// held in memory and reach the file in one write, when
// - the page of a commit frame (a header whose "database size" field is set, wal.c walEncodeFrame)
//   is held: the last frame of a commit. SQLite publishes the commit in the WAL index (shared
//   memory, no call on this file) right after it returns, so a commit's frames are in the file
//   before any reader, or a crash, can find it;
// - any other call on the file comes (read, size, sync, truncate, file control, close), or a
//   write somewhere else (a spilled page written over in place, the checksums SQLite writes again
//   after such a commit: each goes straight to the file, after what was held);
// - kMaxHeld bytes are held (the frames of a large transaction).
// The bytes written, where, their order and every sync stay SQLite's: only the number of writes
// changes. Frames held that no commit frame followed belong to a transaction still open (spilled
// from its cache), which no reader sees and recovery drops.

namespace jaring::store::detail {
namespace {

constexpr int kFrameHeaderSize = 24;  // WAL_FRAME_HDRSIZE in SQLite's wal.c
// The unix VFS writes at most 128 KiB at once (os_unix.c, seekAndWrite masks the length with 0x1ffff).
constexpr std::size_t kMaxHeld = 120 << 10;  // 29 frames of 4 KiB pages

// A WAL file: this struct, then the default VFS's own file, in the memory SQLite gives xOpen.
struct WalFile {
  sqlite3_file base{};  // first: SQLite sees a sqlite3_file; base.pMethods is kWalMethods
  sqlite3_file* real = nullptr;
  std::vector<unsigned char> held;  // bytes for the file at held_at, not yet written
  sqlite3_int64 held_at = 0;
  sqlite3_int64 next = -1;    // where a write continuing the last one starts
  bool commit_frame = false;  // the last write was a commit frame's header: its page ends the commit
};

constexpr std::size_t kRealOffset =
    (sizeof(WalFile) + alignof(std::max_align_t) - 1) / alignof(std::max_align_t) * alignof(std::max_align_t);

WalFile& wal_of(sqlite3_file* file) { return *reinterpret_cast<WalFile*>(file); }
const sqlite3_io_methods& real_methods(const WalFile& wal) { return *wal.real->pMethods; }
sqlite3_vfs* real_vfs(sqlite3_vfs* vfs) { return static_cast<sqlite3_vfs*>(vfs->pAppData); }

int write_held(WalFile& wal) {
  if (wal.held.empty()) return SQLITE_OK;
  const int rc =
      real_methods(wal).xWrite(wal.real, wal.held.data(), static_cast<int>(wal.held.size()), wal.held_at);
  wal.held.clear();  // written or failed: SQLite answers a failed write by rolling back
  return rc;
}

// The "database size after commit" field of a frame header: set on a commit's last frame only.
bool is_commit_header(const void* data) {
  const auto* bytes = static_cast<const unsigned char*>(data);
  return (bytes[4] | bytes[5] | bytes[6] | bytes[7]) != 0;
}

int wal_close(sqlite3_file* file) {
  auto& wal = wal_of(file);
  const int written = write_held(wal);
  const int closed = real_methods(wal).xClose(wal.real);
  wal.~WalFile();
  return written != SQLITE_OK ? written : closed;
}

int wal_read(sqlite3_file* file, void* data, int amount, sqlite3_int64 offset) {
  auto& wal = wal_of(file);
  if (const int rc = write_held(wal); rc != SQLITE_OK) return rc;
  return real_methods(wal).xRead(wal.real, data, amount, offset);
}

int wal_write(sqlite3_file* file, const void* data, int amount, sqlite3_int64 offset) {
  auto& wal = wal_of(file);
  const auto size = static_cast<std::size_t>(amount);
  const bool continues = offset == wal.next;
  const bool ends_commit = wal.commit_frame && amount != kFrameHeaderSize;
  wal.commit_frame = amount == kFrameHeaderSize && is_commit_header(data);
  wal.next = offset + amount;
  if (!continues || wal.held.size() + size > kMaxHeld) {
    if (const int rc = write_held(wal); rc != SQLITE_OK) return rc;
    if (!continues || size > kMaxHeld) return real_methods(wal).xWrite(wal.real, data, amount, offset);
  }
  if (wal.held.empty()) wal.held_at = offset;
  const auto* bytes = static_cast<const unsigned char*>(data);
  wal.held.insert(wal.held.end(), bytes, bytes + size);
  return ends_commit ? write_held(wal) : SQLITE_OK;
}

int wal_truncate(sqlite3_file* file, sqlite3_int64 size) {
  auto& wal = wal_of(file);
  if (const int rc = write_held(wal); rc != SQLITE_OK) return rc;
  return real_methods(wal).xTruncate(wal.real, size);
}

int wal_sync(sqlite3_file* file, int flags) {
  auto& wal = wal_of(file);
  if (const int rc = write_held(wal); rc != SQLITE_OK) return rc;
  return real_methods(wal).xSync(wal.real, flags);
}

int wal_file_size(sqlite3_file* file, sqlite3_int64* size) {
  auto& wal = wal_of(file);
  if (const int rc = write_held(wal); rc != SQLITE_OK) return rc;
  return real_methods(wal).xFileSize(wal.real, size);
}

int wal_lock(sqlite3_file* file, int level) {
  auto& wal = wal_of(file);
  return real_methods(wal).xLock(wal.real, level);
}

int wal_unlock(sqlite3_file* file, int level) {
  auto& wal = wal_of(file);
  return real_methods(wal).xUnlock(wal.real, level);
}

int wal_check_reserved_lock(sqlite3_file* file, int* out) {
  auto& wal = wal_of(file);
  return real_methods(wal).xCheckReservedLock(wal.real, out);
}

int wal_file_control(sqlite3_file* file, int op, void* arg) {
  auto& wal = wal_of(file);
  if (const int rc = write_held(wal); rc != SQLITE_OK) return rc;
  return real_methods(wal).xFileControl(wal.real, op, arg);
}

int wal_sector_size(sqlite3_file* file) {
  auto& wal = wal_of(file);
  return real_methods(wal).xSectorSize(wal.real);
}

int wal_device_characteristics(sqlite3_file* file) {
  auto& wal = wal_of(file);
  return real_methods(wal).xDeviceCharacteristics(wal.real);
}

// Version 1: SQLite maps shared memory and pages of the database file, never of its WAL.
const sqlite3_io_methods kWalMethods = {
    .iVersion = 1,
    .xClose = wal_close,
    .xRead = wal_read,
    .xWrite = wal_write,
    .xTruncate = wal_truncate,
    .xSync = wal_sync,
    .xFileSize = wal_file_size,
    .xLock = wal_lock,
    .xUnlock = wal_unlock,
    .xCheckReservedLock = wal_check_reserved_lock,
    .xFileControl = wal_file_control,
    .xSectorSize = wal_sector_size,
    .xDeviceCharacteristics = wal_device_characteristics,
    .xShmMap = nullptr,
    .xShmLock = nullptr,
    .xShmBarrier = nullptr,
    .xShmUnmap = nullptr,
    .xFetch = nullptr,
    .xUnfetch = nullptr,
};

int vfs_open(sqlite3_vfs* vfs, sqlite3_filename name, sqlite3_file* file, int flags, int* out_flags) {
  auto* real = real_vfs(vfs);
  if ((flags & SQLITE_OPEN_WAL) == 0) return real->xOpen(real, name, file, flags, out_flags);
  auto* real_file = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(file) + kRealOffset);
  const int rc = real->xOpen(real, name, real_file, flags, out_flags);
  if (rc != SQLITE_OK) {
    // A file whose methods are set is closed even when its open failed (sqlite3_vfs.xOpen).
    if (real_file->pMethods != nullptr) real_file->pMethods->xClose(real_file);
    file->pMethods = nullptr;
    return rc;
  }
  auto* wal = new (file) WalFile;
  wal->base.pMethods = &kWalMethods;
  wal->real = real_file;
  return SQLITE_OK;
}

int vfs_delete(sqlite3_vfs* vfs, const char* name, int sync_dir) {
  return real_vfs(vfs)->xDelete(real_vfs(vfs), name, sync_dir);
}
int vfs_access(sqlite3_vfs* vfs, const char* name, int flags, int* out) {
  return real_vfs(vfs)->xAccess(real_vfs(vfs), name, flags, out);
}
int vfs_full_pathname(sqlite3_vfs* vfs, const char* name, int size, char* out) {
  return real_vfs(vfs)->xFullPathname(real_vfs(vfs), name, size, out);
}
void* vfs_dl_open(sqlite3_vfs* vfs, const char* name) { return real_vfs(vfs)->xDlOpen(real_vfs(vfs), name); }
void vfs_dl_error(sqlite3_vfs* vfs, int size, char* out) {
  real_vfs(vfs)->xDlError(real_vfs(vfs), size, out);
}
void (*vfs_dl_sym(sqlite3_vfs* vfs, void* handle, const char* symbol))() {
  return real_vfs(vfs)->xDlSym(real_vfs(vfs), handle, symbol);
}
void vfs_dl_close(sqlite3_vfs* vfs, void* handle) { real_vfs(vfs)->xDlClose(real_vfs(vfs), handle); }
int vfs_randomness(sqlite3_vfs* vfs, int size, char* out) {
  return real_vfs(vfs)->xRandomness(real_vfs(vfs), size, out);
}
int vfs_sleep(sqlite3_vfs* vfs, int microseconds) {
  return real_vfs(vfs)->xSleep(real_vfs(vfs), microseconds);
}
int vfs_current_time(sqlite3_vfs* vfs, double* out) {
  return real_vfs(vfs)->xCurrentTime(real_vfs(vfs), out);
}
int vfs_get_last_error(sqlite3_vfs* vfs, int size, char* out) {
  return real_vfs(vfs)->xGetLastError(real_vfs(vfs), size, out);
}
int vfs_current_time_int64(sqlite3_vfs* vfs, sqlite3_int64* out) {
  return real_vfs(vfs)->xCurrentTimeInt64(real_vfs(vfs), out);
}

sqlite3_vfs* make_vfs() {
  auto* real = sqlite3_vfs_find(nullptr);
  if (real == nullptr) throw StoreError("SQLite has no default VFS");
  // Version 2: xCurrentTimeInt64 is the last method SQLite itself calls (the system-call
  // overrides of version 3 are for SQLite's own tests).
  JARING_ASSERT(real->iVersion >= 2 && real->xCurrentTimeInt64 != nullptr,
                "SQLite's default VFS is version 2+");
  static sqlite3_vfs vfs{};
  vfs.iVersion = 2;
  vfs.szOsFile = static_cast<int>(kRealOffset) + real->szOsFile;
  vfs.mxPathname = real->mxPathname;
  vfs.zName = "jaring-wal";
  vfs.pAppData = real;
  vfs.xOpen = vfs_open;
  vfs.xDelete = vfs_delete;
  vfs.xAccess = vfs_access;
  vfs.xFullPathname = vfs_full_pathname;
  vfs.xDlOpen = vfs_dl_open;
  vfs.xDlError = vfs_dl_error;
  vfs.xDlSym = vfs_dl_sym;
  vfs.xDlClose = vfs_dl_close;
  vfs.xRandomness = vfs_randomness;
  vfs.xSleep = vfs_sleep;
  vfs.xCurrentTime = vfs_current_time;
  vfs.xGetLastError = vfs_get_last_error;
  vfs.xCurrentTimeInt64 = vfs_current_time_int64;
  if (const int rc = sqlite3_vfs_register(&vfs, 0); rc != SQLITE_OK) {
    throw StoreError(std::string("cannot register SQLite's VFS: ") + sqlite3_errstr(rc), rc);
  }
  return &vfs;
}

}  // namespace

const char* wal_vfs_name() {
  static sqlite3_vfs* const vfs = make_vfs();
  return vfs->zName;
}

}  // namespace jaring::store::detail

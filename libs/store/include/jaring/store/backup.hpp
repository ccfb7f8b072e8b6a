#pragma once
// Backup and restore of a service's SQLite store, and the lock that says a process serves it.
// A backup is one read transaction of the live store (VACUUM INTO): the data, the outbox and the
// consumer offsets it holds agree with each other, however busy the service is meanwhile. A
// restore never runs under a serving process (the store lock) and never deletes the store it
// replaces: it moves it aside.

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "jaring/store/sqlite.hpp"

namespace jaring::store {

// An exclusive lock on `<store>.lock` (flock) that a serving process holds for its whole life,
// so that a restore, or a second process on the same volume, cannot open its store under it.
// Released when the object goes or the process dies (also SIGKILL).
class StoreLock {
 public:
  // Takes the lock, or throws StoreError naming the holder's PID when another process has it.
  static std::unique_ptr<StoreLock> take(const std::string& store_path);
  ~StoreLock();
  StoreLock(const StoreLock&) = delete;
  StoreLock& operator=(const StoreLock&) = delete;

 private:
  explicit StoreLock(int fd) : fd_(fd) {}
  int fd_;
};

// What a backup file holds, read from the file itself.
struct BackupContents {
  int schema_version = 0;
  std::uintmax_t bytes = 0;
  std::vector<std::pair<std::string, std::int64_t>> rows;  // per table, by name
  std::int64_t outbox_backlog = 0;                         // events not yet published at backup time
  std::vector<std::pair<std::string, std::int64_t>> consumer_offsets;  // "<topic>:<partition>", next offset
};

// Writes a consistent copy of the store at `store_path` (which a service may be writing) to
// `to`: into a temporary name beside it, synced, mode 0600, then renamed. Refuses an existing
// `to` unless `force`. Throws StoreError.
BackupContents backup(const std::string& store_path, const std::string& to, bool force);

struct RestoreOutcome {
  BackupContents contents;
  std::string moved_aside;  // where the replaced store went; empty when there was none
};

// Puts the backup `from` in place of the store at `store_path`: takes the store lock (refusing
// while a service holds it), checks a copy of the backup (integrity_check; a schema version
// 1..migrations.size(); the tables and indexes `migrations` make at that version, so another
// service's store is refused), moves the current store and its WAL aside to
// `<store>.before-restore-<UTC time>`, and renames the checked copy into place. Throws StoreError.
RestoreOutcome restore(const std::string& store_path, const std::string& from,
                       const std::vector<Migration>& migrations);

}  // namespace jaring::store

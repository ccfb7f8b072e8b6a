#include "jaring/store/backup.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <set>
#include <system_error>

#include "jaring/store/outbox.hpp"

namespace jaring::store {
namespace {

namespace fs = std::filesystem;

[[noreturn]] void fail_errno(const std::string& what) {
  throw StoreError(fmt::format("{}: {}", what, std::strerror(errno)));
}

// A connection to an existing file, without the migrations or pragmas of Database::open: a
// backup must not migrate the store of a running service, and a restore checks before it opens.
class Connection {
 public:
  explicit Connection(const std::string& path) {
    const int rc = sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr);
    if (rc != SQLITE_OK) {
      const std::string message = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
      sqlite3_close_v2(db_);
      throw StoreError(fmt::format("{}: cannot open: {}", path, message), rc);
    }
    sqlite3_extended_result_codes(db_, 1);
    sqlite3_busy_timeout(db_, 10000);
  }
  ~Connection() { sqlite3_close_v2(db_); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  Statement prepare(std::string_view sql) { return {db_, sql}; }
  void exec(const std::string& sql) {
    char* message = nullptr;
    if (const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message); rc != SQLITE_OK) {
      const std::string owned = message != nullptr ? message : sqlite3_errstr(rc);
      sqlite3_free(message);
      throw StoreError(owned, rc);
    }
  }
  std::int64_t integer(const std::string& sql) {
    auto s = prepare(sql);
    return s.step() ? s.column_int(0) : 0;
  }

 private:
  sqlite3* db_ = nullptr;
};

std::string quoted(const std::string& name) {
  std::string out = "\"";
  for (const char c : name) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

// Tables and indexes a schema holds, without SQLite's own (sqlite_sequence, sqlite_stat1).
std::set<std::string> schema_objects(Statement select) {
  std::set<std::string> out;
  while (select.step()) {
    if (select.column_text(1).starts_with("sqlite_")) continue;
    out.insert(select.column_text(0) + " " + select.column_text(1));
  }
  return out;
}
constexpr const char* kSchemaObjects =
    "SELECT type, name FROM sqlite_master WHERE type IN ('table', 'index') ORDER BY type, name";

BackupContents describe(const std::string& path) {
  Connection db(path);
  BackupContents out;
  out.schema_version = static_cast<int>(db.integer("PRAGMA user_version"));
  std::vector<std::string> tables;
  {
    auto s = db.prepare(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name");
    while (s.step()) tables.push_back(s.column_text(0));
  }
  for (const auto& table : tables) {
    const auto n = db.integer("SELECT count(*) FROM " + quoted(table));
    out.rows.emplace_back(table, n);
    // Before the outbox had segments, its one table held only unpublished rows.
    if (table == "outbox") out.outbox_backlog = n;
    if (table == "outbox_state") out.outbox_backlog = db.integer(outbox_backlog_sql());
    if (table == "consumer_offsets") {
      auto s = db.prepare("SELECT topic, partition_id, next_offset FROM consumer_offsets ORDER BY 1, 2");
      while (s.step())
        out.consumer_offsets.emplace_back(fmt::format("{}:{}", s.column_text(0), s.column_int(1)),
                                          s.column_int(2));
    }
  }
  std::error_code ec;
  out.bytes = fs::file_size(path, ec);
  return out;
}

// Writes the file's data and then its directory entry to the disk: VACUUM INTO does not sync,
// and a rename is durable only once the directory is.
void sync_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail_errno("cannot open " + path + " to sync it");
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) fail_errno("cannot sync " + path);
}

void sync_directory_of(const std::string& path) {
  auto dir = fs::path(path).parent_path();
  if (dir.empty()) dir = ".";
  sync_file(dir.string());
}

void rename_file(const std::string& from, const std::string& to, bool replace) {
  const unsigned flags = replace ? 0U : RENAME_NOREPLACE;
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), flags) != 0)
    fail_errno(fmt::format("cannot rename {} to {}", from, to));
}

void remove_quietly(const std::string& path) {
  std::error_code ec;
  fs::remove(path, ec);
}

std::string utc_stamp() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32] = {};
  std::strftime(text, sizeof(text), "%Y%m%dT%H%M%SZ", &utc);
  return text;
}

}  // namespace

std::unique_ptr<StoreLock> StoreLock::take(const std::string& store_path) {
  const auto path = store_path + ".lock";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) fail_errno("cannot open the store lock " + path);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    char holder[32] = {};
    const auto n = ::pread(fd, holder, sizeof(holder) - 1, 0);
    ::close(fd);
    if (error != EWOULDBLOCK) {
      errno = error;
      fail_errno("cannot lock " + path);
    }
    std::string pid(holder, n > 0 ? static_cast<std::size_t>(n) : 0U);
    while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
    throw StoreError(fmt::format("{} is in use by another process{} (a running service or a restore)",
                                 store_path, pid.empty() ? "" : " (PID " + pid + ")"));
  }
  // The holder's PID, for the message another process gets.
  const auto pid = fmt::format("{}\n", ::getpid());
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) < 0) {
    // The lock holds without the PID; only the message loses it.
  }
  return std::unique_ptr<StoreLock>(new StoreLock(fd));
}

StoreLock::~StoreLock() { ::close(fd_); }

BackupContents backup(const std::string& store_path, const std::string& to, bool force) {
  if (!fs::exists(store_path)) throw StoreError(fmt::format("{}: no store there", store_path));
  if (!force && fs::exists(to))
    throw StoreError(fmt::format("{} exists; give another path or --force to replace it", to));
  const auto temporary = fmt::format("{}.tmp-{}", to, ::getpid());
  remove_quietly(temporary);
  try {
    {
      Connection source(store_path);
      // One read transaction: the copy is the store as one commit left it, outbox and consumer
      // offsets included, while the service goes on writing (WAL readers do not block writers).
      auto into = source.prepare("VACUUM INTO ?");
      into.bind(1, temporary);
      into.run();
    }
    if (::chmod(temporary.c_str(), 0600) != 0) fail_errno("cannot make " + temporary + " owner-only");
    auto contents = describe(temporary);
    sync_file(temporary);
    rename_file(temporary, to, force);
    sync_directory_of(to);
    contents.bytes = fs::file_size(to);
    return contents;
  } catch (...) {
    remove_quietly(temporary);
    throw;
  }
}

RestoreOutcome restore(const std::string& store_path, const std::string& from,
                       const std::vector<Migration>& migrations) {
  const auto lock = StoreLock::take(store_path);
  if (!fs::is_regular_file(from)) throw StoreError(fmt::format("{}: no backup file there", from));
  // Checked as a copy beside the store, so that the final step is a rename on one file system
  // and the backup itself is never opened for writing.
  const auto copy = store_path + ".restoring";
  for (const auto* suffix : {"", "-wal", "-shm", "-journal"}) remove_quietly(copy + suffix);
  RestoreOutcome outcome;
  try {
    fs::copy_file(from, copy, fs::copy_options::overwrite_existing);
    if (::chmod(copy.c_str(), 0600) != 0) fail_errno("cannot make " + copy + " owner-only");
    try {
      Connection db(copy);
      auto check = db.prepare("PRAGMA integrity_check");
      const auto verdict = check.step() ? check.column_text(0) : std::string("no answer");
      if (verdict != "ok")
        throw StoreError(fmt::format("{}: integrity check failed: {}", from, verdict.substr(0, 200)));
      const auto version = static_cast<int>(db.integer("PRAGMA user_version"));
      if (version < 1 || version > static_cast<int>(migrations.size()))
        throw StoreError(fmt::format("{}: schema version {} is not one this release knows (1 to {})", from,
                                     version, migrations.size()));
      // This service's store at that version has exactly these tables and indexes.
      const std::vector<Migration> upto(migrations.begin(), migrations.begin() + version);
      const auto expected = Database::open(":memory:", upto);
      const auto want = schema_objects(expected->prepare(kSchemaObjects));
      const auto have = schema_objects(db.prepare(kSchemaObjects));
      if (want != have) {
        std::string missing;
        for (const auto& object : want)
          if (!have.contains(object)) missing += (missing.empty() ? "" : ", ") + object;
        throw StoreError(fmt::format("{}: not this service's store at schema version {}{}", from, version,
                                     missing.empty() ? std::string(" (it has tables this service does not)")
                                                     : "; it lacks " + missing));
      }
    } catch (const StoreError& e) {
      const std::string message = e.what();
      if (message.starts_with(from)) throw;
      throw StoreError(fmt::format("{}: not a usable backup: {}", from, message), e.code());
    }
    for (const auto* suffix : {"-wal", "-shm"}) remove_quietly(copy + suffix);
    outcome.contents = describe(copy);
    sync_file(copy);
    if (fs::exists(store_path)) {
      outcome.moved_aside = fmt::format("{}.before-restore-{}", store_path, utc_stamp());
      // The WAL holds committed pages not yet in the file: it moves with it, under the name SQLite
      // looks for beside the moved file.
      rename_file(store_path, outcome.moved_aside, false);
      for (const auto* suffix : {"-wal", "-shm"}) {
        if (fs::exists(store_path + suffix))
          rename_file(store_path + suffix, outcome.moved_aside + suffix, false);
      }
    } else {
      for (const auto* suffix : {"-wal", "-shm"}) {
        if (fs::exists(store_path + suffix))
          throw StoreError(
              fmt::format("{}{} exists without its store; move it away first", store_path, suffix));
      }
    }
    rename_file(copy, store_path, false);
    sync_directory_of(store_path);
  } catch (...) {
    for (const auto* suffix : {"", "-wal", "-shm", "-journal"}) remove_quietly(copy + suffix);
    throw;
  }
  return outcome;
}

}  // namespace jaring::store

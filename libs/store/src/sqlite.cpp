#include "jaring/store/sqlite.hpp"

#include "page_cache.hpp"
#include "wal_vfs.hpp"

#include "jaring/common/assert.hpp"

#include <fmt/format.h>

#include <atomic>
#include <cctype>
#include <condition_variable>
#include <filesystem>
#include <system_error>
#include <thread>
#include <utility>

namespace jaring::store {
namespace {

// Enough SQL to recognise the statement; a whole migration would bury the message.
constexpr std::size_t kMaxSqlInMessage = 160;

// One line, whitespace collapsed, bounded length.
std::string trim_sql(std::string_view sql) {
  std::string out;
  bool pending_space = false;
  for (const char c : sql) {
    if (std::isspace(static_cast<unsigned char>(c)) != 0) {
      pending_space = !out.empty();
      continue;
    }
    if (out.size() >= kMaxSqlInMessage) {
      out += "...";
      break;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    out += c;
  }
  return out;
}

[[noreturn]] void throw_error(std::string_view message, int rc, std::string_view sql) {
  throw StoreError(fmt::format("sqlite: {} (code {}) in \"{}\"", message, rc, trim_sql(sql)), rc);
}

[[noreturn]] void throw_error(sqlite3* db, int rc, std::string_view sql) {
  throw_error(db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc), rc, sql);
}

bool in_memory(const std::string& path) { return path.empty() || path == ":memory:"; }

bool only_whitespace(std::string_view text) {
  for (const char c : text) {
    if (std::isspace(static_cast<unsigned char>(c)) == 0) return false;
  }
  return true;
}

// SQLite binds a null pointer as NULL; an empty key or payload must stay an empty value.
const char* non_null(std::string_view bytes) { return bytes.data() != nullptr ? bytes.data() : ""; }

void validate(const std::string& path, const std::vector<Migration>& migrations) {
  // Versions must be exactly 1..N: user_version records only the highest applied, so a gap
  // filled later, or a duplicate, would never run.
  for (std::size_t i = 0; i < migrations.size(); ++i) {
    const int expected = static_cast<int>(i) + 1;
    if (migrations[i].version != expected) {
      throw StoreError(
          fmt::format("{}: migration at position {} has version {}, expected {} "
                      "(versions must be 1, 2, 3 ... in order, without gaps or duplicates)",
                      path, i + 1, migrations[i].version, expected));
    }
  }
}

}  // namespace

// --- Statement ---

Statement::Statement(sqlite3* db, std::string_view sql) : db_(db), stmt_(nullptr) {
  const char* tail = nullptr;
  const int rc = sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &stmt_, &tail);
  if (rc != SQLITE_OK) throw_error(db, rc, sql);
  if (stmt_ == nullptr) throw_error("empty statement", SQLITE_MISUSE, sql);
  // prepare compiles only the first statement; silently dropping the rest would hide a bug.
  const std::string_view rest(tail, static_cast<std::size_t>(sql.data() + sql.size() - tail));
  if (!only_whitespace(rest)) {
    sqlite3_stmt* next = nullptr;
    sqlite3_prepare_v2(db, rest.data(), static_cast<int>(rest.size()), &next, nullptr);
    if (next != nullptr) {  // null: only comments follow
      sqlite3_finalize(next);
      sqlite3_finalize(stmt_);
      stmt_ = nullptr;
      throw_error("prepare takes one statement; use exec for several", SQLITE_MISUSE, sql);
    }
  }
}

void Statement::release() noexcept {
  if (stmt_ == nullptr) return;
  if (cache_ != nullptr) {
    cache_->give_back(stmt_, slot_);
  } else {
    sqlite3_finalize(stmt_);
  }
  stmt_ = nullptr;
}

Statement::~Statement() { release(); }

Statement::Statement(Statement&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)),
      stmt_(std::exchange(other.stmt_, nullptr)),
      cache_(std::exchange(other.cache_, nullptr)),
      slot_(std::exchange(other.slot_, nullptr)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    release();
    db_ = std::exchange(other.db_, nullptr);
    stmt_ = std::exchange(other.stmt_, nullptr);
    cache_ = std::exchange(other.cache_, nullptr);
    slot_ = std::exchange(other.slot_, nullptr);
  }
  return *this;
}

// --- StatementCache ---

StatementCache::~StatementCache() {
  for (auto& [_, slot] : slots_) {
    JARING_ASSERT(slot.lent == 0, "a statement outlived the database it was taken from");
    for (auto* stmt : slot.idle) sqlite3_finalize(stmt);
  }
}

std::pair<sqlite3_stmt*, StatementCache::Slot*> StatementCache::take(std::string_view sql) {
  std::lock_guard lock(mutex_);
  auto it = slots_.find(sql);
  if (it == slots_.end()) {
    // Texts whose statements were all finalized keep their slot, until there are many: SQL with
    // a list of placeholders has a text per length.
    if (slots_.size() >= 2 * kMaxStatements)
      std::erase_if(slots_, [](const auto& e) { return e.second.idle.empty() && e.second.lent == 0; });
    it = slots_.emplace(std::string(sql), Slot{}).first;
  }
  auto& slot = it->second;
  ++slot.lent;
  if (slot.idle.empty()) return {nullptr, &slot};
  auto* stmt = slot.idle.back();
  slot.idle.pop_back();
  --idle_count_;
  return {stmt, &slot};
}

void StatementCache::give_back(sqlite3_stmt* stmt, Slot* slot) noexcept {
  if (stmt != nullptr) {
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
  }
  {
    std::lock_guard lock(mutex_);
    JARING_ASSERT(slot->lent > 0, "a statement goes back to the slot it was taken from, once");
    --slot->lent;
    if (stmt == nullptr) return;
    if (idle_count_ < kMaxStatements) {
      try {
        slot->idle.push_back(stmt);
        ++idle_count_;
        return;
      } catch (...) {  // out of memory: finalize instead of keeping it
      }
    }
  }
  sqlite3_finalize(stmt);
}

Statement& Statement::bind(int index, std::int64_t value) {
  const int rc = sqlite3_bind_int64(stmt_, index, value);
  if (rc != SQLITE_OK) throw_error(db_, rc, sqlite3_sql(stmt_));
  return *this;
}

Statement& Statement::bind(int index, std::string_view text) {
  const int rc =
      sqlite3_bind_text64(stmt_, index, non_null(text), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  if (rc != SQLITE_OK) throw_error(db_, rc, sqlite3_sql(stmt_));
  return *this;
}

Statement& Statement::bind_unowned(int index, std::string_view text) {
  const int rc = sqlite3_bind_text64(stmt_, index, non_null(text), text.size(), SQLITE_STATIC, SQLITE_UTF8);
  if (rc != SQLITE_OK) throw_error(db_, rc, sqlite3_sql(stmt_));
  return *this;
}

Statement& Statement::bind_blob_unowned(int index, std::string_view bytes) {
  const int rc = sqlite3_bind_blob64(stmt_, index, non_null(bytes), bytes.size(), SQLITE_STATIC);
  if (rc != SQLITE_OK) throw_error(db_, rc, sqlite3_sql(stmt_));
  return *this;
}

Statement& Statement::bind_blob(int index, std::string_view bytes) {
  const int rc = sqlite3_bind_blob64(stmt_, index, non_null(bytes), bytes.size(), SQLITE_TRANSIENT);
  if (rc != SQLITE_OK) throw_error(db_, rc, sqlite3_sql(stmt_));
  return *this;
}

Statement& Statement::bind_null(int index) {
  const int rc = sqlite3_bind_null(stmt_, index);
  if (rc != SQLITE_OK) throw_error(db_, rc, sqlite3_sql(stmt_));
  return *this;
}

bool Statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  // Reset so the statement can be retried; the message is read first as reset may change it.
  std::string message = sqlite3_errmsg(db_);
  sqlite3_reset(stmt_);
  throw_error(message, rc, sqlite3_sql(stmt_));
}

void Statement::run() {
  while (step()) {
  }
  reset();
}

void Statement::reset() {
  // The return value repeats the last step's error, which step already reported.
  sqlite3_reset(stmt_);
}

std::int64_t Statement::column_int(int index) const { return sqlite3_column_int64(stmt_, index); }

std::string Statement::column_text(int index) const {
  // Text before bytes: the documented order, so the size matches the returned encoding.
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, index));
  const int size = sqlite3_column_bytes(stmt_, index);
  return text != nullptr ? std::string(text, static_cast<std::size_t>(size)) : std::string();
}

std::string Statement::column_blob(int index) const {
  const auto* bytes = static_cast<const char*>(sqlite3_column_blob(stmt_, index));
  const int size = sqlite3_column_bytes(stmt_, index);
  return bytes != nullptr ? std::string(bytes, static_cast<std::size_t>(size)) : std::string();
}

bool Statement::column_is_null(int index) const { return sqlite3_column_type(stmt_, index) == SQLITE_NULL; }

bool Statement::column_is_blob(int index) const { return sqlite3_column_type(stmt_, index) == SQLITE_BLOB; }

std::string placeholders(std::size_t n) {
  std::string marks;
  for (std::size_t i = 0; i < n; ++i) marks += i == 0 ? "?" : ", ?";
  return marks;
}

// --- Database ---

std::unique_ptr<Database> Database::connect(const std::string& path) {
  // Before SQLite initialises: no process-wide count of its memory, which took a global mutex on
  // every allocation (nothing reads it). Too late once initialised (SQLITE_MISUSE): harmless.
  static const int memstatus_off = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  (void)memstatus_off;
  // Also before: the page cache whose B-tree page swaps cost no walk of the whole cache at the
  // end of the transaction (page_cache.cpp).
  detail::install_page_cache();
  sqlite3* handle = nullptr;
  // No mutex of SQLite's own per call: every use of a connection is already serialised by its
  // Database's mutex (write, batch, read), and its statements live inside those calls. The VFS
  // writes the frames of a commit at once instead of two writes a frame (wal_vfs.cpp).
  const int rc =
      sqlite3_open_v2(path.c_str(), &handle, SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_CREATE | SQLITE_OPEN_READWRITE,
                      detail::wal_vfs_name());
  if (rc != SQLITE_OK) {
    const std::string message = handle != nullptr ? sqlite3_errmsg(handle) : sqlite3_errstr(rc);
    sqlite3_close_v2(handle);
    throw StoreError(fmt::format("{}: cannot open: {}", path, message));
  }
  // Owned from here on, so every later failure closes the handle.
  std::unique_ptr<Database> db(new Database(handle));
  try {
    sqlite3_extended_result_codes(handle, 1);
    // Before the pragmas: switching to WAL needs a lock another process may hold briefly.
    sqlite3_busy_timeout(handle, 5000);

    auto mode = db->prepare("PRAGMA journal_mode=WAL");
    const std::string journal = mode.step() ? mode.column_text(0) : std::string();
    mode.reset();
    // An in-memory database reports "memory"; a file that cannot do WAL is a setup error.
    if (journal != "wal" && !in_memory(path)) {
      throw StoreError(fmt::format("cannot enable WAL (journal_mode is \"{}\")", journal));
    }
    db->exec("PRAGMA synchronous=NORMAL");
    db->exec("PRAGMA foreign_keys=ON");
    // Debian builds SQLite with SQLITE_SECURE_DELETE: every delete would zero what it frees, so
    // each outbox row the relay removes was written again (as zeros) to the WAL and the file, on
    // any start that ran no migration. Freed space is zeroed where a value must not stay behind
    // (migrations, re-sealing: secure_delete is turned on for them), and only there.
    db->exec("PRAGMA secure_delete=OFF");
    // 32 MiB of page cache (the default is 2 MiB): the pages written and read most stay in memory,
    // the rest is in the kernel's page cache. With 64 MiB, registration passed 200 MiB of RSS in
    // jaring-bench (191-221 MiB) and was no faster at a million participants (6,762-6,824 rows/s
    // end to end; 7,701 with 32 MiB, RSS 173 MiB).
    db->exec("PRAGMA cache_size=-32768");
    db->exec("PRAGMA temp_store=MEMORY");
  } catch (const StoreError& e) {
    throw StoreError(fmt::format("{}: {}", path, e.what()));
  }
  return db;
}

std::unique_ptr<Database> Database::open(const std::string& path, const std::vector<Migration>& migrations) {
  validate(path, migrations);

  const auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec) {
      throw StoreError(
          fmt::format("{}: cannot create directory {}: {}", path, parent.string(), ec.message()));
    }
  }
  auto db = connect(path);

  try {
    const int newest = static_cast<int>(migrations.size());
    if (const int current = db->schema_version(); current > newest) {
      throw StoreError(fmt::format(
          "schema version {} is newer than this build knows (newest migration {}); refusing to open a file "
          "written by a newer release",
          current, newest));
    }
  } catch (const StoreError& e) {
    throw StoreError(fmt::format("{}: {}", path, e.what()));
  }

  const int applied = db->schema_version();
  // What a migration rewrites or drops is zeroed in the file, not left in free pages.
  if (applied < static_cast<int>(migrations.size())) db->exec("PRAGMA secure_delete = ON");
  for (const auto& migration : migrations) {
    if (migration.version <= applied) continue;
    try {
      // Another process may have migrated since; the version read under the write lock decides.
      db->exec("BEGIN IMMEDIATE");
      if (db->schema_version() >= migration.version) {
        db->exec("COMMIT");
        continue;
      }
      db->exec(migration.sql);
      if (migration.code) migration.code(*db);
      db->exec(fmt::format("PRAGMA user_version = {}", migration.version));
      db->exec("COMMIT");
    } catch (const std::exception& e) {
      db->rollback_quietly();
      throw StoreError(fmt::format("{}: migration {} failed: {}", path, migration.version, e.what()));
    }
  }
  // A migration may rewrite values (sealing what was stored in clear): the WAL keeps the pages
  // it replaced until it starts over, so empty it now, while no other connection reads.
  if (applied < static_cast<int>(migrations.size())) {
    db->exec("PRAGMA secure_delete = OFF");
    if (!in_memory(path)) db->exec("PRAGMA wal_checkpoint(TRUNCATE)");
  }
  // WAL lets one connection read while another writes: reads (queries, the outbox relay) take
  // their own connection and lock, and never wait for a long write transaction. An in-memory
  // database is private to its connection, so it keeps one.
  if (!in_memory(path)) {
    db->reader_ = connect(path);
    // Reads are point look-ups and short scans of recent rows (the relay's outbox, idempotency
    // keys): half the writer's cache.
    db->reader_->exec("PRAGMA cache_size=-16384");
    db->checkpoint_in_background(path);
  }
  return db;
}

// SQLite's own automatic checkpoint runs on the connection that commits, once the WAL passes
// 1,000 pages: the writer copies pages into the database file and waits for their fsync inside
// its commit. Large transactions then spend much of their time there (the store benchmark,
// 1,000 rows a transaction on 2 busy cores: 14,000 rows/s with it, 34,000 with no checkpoint at
// all). Here the writer only reports the WAL's size, and a thread with its own connection runs
// PASSIVE checkpoints, which block neither readers nor the writer. Should the WAL still outgrow
// kWriterCheckpointPages (the thread cannot keep up, or a long read holds old frames), the
// writer checkpoints itself as SQLite would. Durability is that of synchronous=NORMAL either
// way: a crash of the process loses nothing committed; a power cut may lose the last commits.
class Database::Checkpointer {
 public:
  std::int64_t runs() const { return runs_.load(std::memory_order_relaxed); }
  // The thread checkpoints once the WAL holds 96 MiB of 4 KiB pages, and again each time 96 MiB
  // more were written. A checkpoint copies the last version of each page in its frames: a page
  // written again meanwhile (registration's NIK index takes each row at a random leaf) is copied
  // once, and the larger the step, the more of a random index's leaves are written again within
  // it. Against 8 MiB, 32 MiB made registration's bulk rows write a tenth less (4.0-4.3 KiB a row
  // against 4.7-4.8) and take 27.4-28.9 µs of CPU against 29.1-31.8. Against 32 MiB, 96 MiB took
  // the store benchmark's 1,000,000 rows (10,000 a transaction) from 29.2-33.6 s of CPU to
  // 26.8-30.4, the kernel's share from 9.7-11.5 s to 8.0-8.6 (192 MiB: 25.8-27.3 and 7.2-7.6).
  // The WAL file then grows to about the step before it starts over; the writer checkpoints
  // itself past kWriterCheckpointPages.
  static constexpr int kStepPages = 24576;
  static constexpr int kWriterCheckpointPages = 65536;  // 256 MiB

  explicit Checkpointer(std::unique_ptr<Database> connection)
      : connection_(std::move(connection)), thread_([this] { run(); }) {}
  ~Checkpointer() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_one();
    thread_.join();
  }

  // Called by SQLite after every commit on the writing connection, with the WAL's size.
  static int on_commit(void* self, sqlite3* writer, const char* schema, int pages) {
    if (pages >= kWriterCheckpointPages) {
      sqlite3_wal_checkpoint_v2(writer, schema, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    } else {
      static_cast<Checkpointer*>(self)->committed(pages);
    }
    return SQLITE_OK;
  }

 private:
  // A WAL whose frames are all in the database starts over only when a writer begins while no
  // commit raced the checkpoint and no reader holds old frames; under a steady stream of small
  // commits it rarely does. Asking on every commit past the threshold then made each commit cost
  // a checkpoint and its fsyncs (a quarter of registration's CPU on single calls), so the thread
  // is asked again only once kStepPages more have been written. The writer's thread only.
  void committed(int pages) {
    if (pages < asked_at_) asked_at_ = 0;  // the WAL started over
    if (pages >= asked_at_ + kStepPages) {
      asked_at_ = pages;
      request();
    }
  }

  void request() {
    {
      std::lock_guard lock(mutex_);
      requested_ = true;
    }
    wake_.notify_one();
  }

  void run() {
    std::unique_lock lock(mutex_);
    while (true) {
      wake_.wait(lock, [this] { return requested_ || stopping_; });
      if (stopping_) return;
      requested_ = false;
      lock.unlock();
      {
        std::lock_guard connection_lock(connection_->mutex_);
        // BUSY (another checkpoint is running) and I/O errors leave the pages in the WAL, where
        // they stay readable and durable; the next commit asks again.
        sqlite3_wal_checkpoint_v2(connection_->db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
      }
      runs_.fetch_add(1, std::memory_order_relaxed);
      lock.lock();
    }
  }

  std::unique_ptr<Database> connection_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool requested_ = false;
  bool stopping_ = false;
  int asked_at_ = 0;  // the WAL's size when the thread was last asked
  std::atomic<std::int64_t> runs_{0};
  std::thread thread_;  // last: starts once everything it uses is constructed
};

void Database::checkpoint_in_background(const std::string& path) {
  auto connection = connect(path);
  // A checkpoint copies pages from the WAL to the file; it needs no cache of its own.
  connection->exec("PRAGMA cache_size=-1024");
  checkpointer_ = std::make_unique<Checkpointer>(std::move(connection));
  std::lock_guard lock(mutex_);
  sqlite3_wal_hook(db_, &Checkpointer::on_commit, checkpointer_.get());
  // After a checkpoint lets the WAL start over, keep at most 64 MiB of its file on disk.
  exec("PRAGMA journal_size_limit=67108864");
}

Statement Database::prepare(std::string_view sql) {
  auto [cached, slot] = cache_.take(sql);
  if (cached != nullptr) return Statement(db_, cached, &cache_, slot);
  try {
    Statement fresh(db_, sql);
    fresh.cache_ = &cache_;
    fresh.slot_ = slot;
    return fresh;
  } catch (...) {
    cache_.give_back(nullptr, slot);
    throw;
  }
}

std::int64_t Database::background_checkpoints() const { return checkpointer_ ? checkpointer_->runs() : 0; }

Database::Database(sqlite3* db) : db_(db) {}

Database::~Database() {
  if (checkpointer_) {
    sqlite3_wal_hook(db_, nullptr, nullptr);
    checkpointer_.reset();
  }
  // close_v2 defers the close until statements a caller still holds are finalized.
  sqlite3_close_v2(db_);
}

Result<void> Database::batch(const std::function<Result<void>()>& fn) {
  auto result = run_batch(fn, true);
  JARING_ASSERT(result.has_value(), "a batch with a savepoint per write is never doomed");
  return *std::move(result);
}

std::optional<Result<void>> Database::batch_whole(const std::function<Result<void>()>& fn) {
  return run_batch(fn, false);
}

std::optional<Result<void>> Database::run_batch(const std::function<Result<void>()>& fn, bool savepoints) {
  std::unique_lock lock(mutex_);
  wait_for_open_group(lock);  // not inside the writers' shared transaction: it commits first
  control("BEGIN IMMEDIATE");
  outbox_appended_ = false;
  batch_savepoints_ = savepoints;
  batch_doomed_ = false;
  batch_thread_ = std::this_thread::get_id();
  try {
    auto result = fn();
    batch_thread_ = std::thread::id{};
    if (batch_doomed_) {
      rollback_quietly();  // a failed statement may have ended the transaction already
      return std::nullopt;
    }
    control(result ? "COMMIT" : "ROLLBACK");
    if (result) note_committed();
    return result;
  } catch (const StoreError& e) {
    batch_thread_ = std::thread::id{};
    rollback_quietly();
    note_failure(e);
    throw;
  } catch (...) {
    batch_thread_ = std::thread::id{};
    rollback_quietly();
    if (batch_doomed_) return std::nullopt;
    throw;
  }
}

// --- Database::WriteTurn (group commit) ---

struct Database::Group {
  int writes = 0;  // that succeeded in it so far; under the database's mutex
  // The outcome, written before `decided` is set and read after it is.
  bool committed = false;
  std::string error;  // why it did not commit
  int code = 0;
  // Set once committed or rolled back, under `mutex`: the group's own, not the database's, which
  // the committer still holds when it wakes the members. A condition variable, not an atomic's
  // wait: libstdc++'s spins with a dozen sched_yield calls before it sleeps, each a system call
  // while the commit writes (2.6% of registration's CPU in single calls).
  std::mutex mutex;
  std::condition_variable settled;
  bool decided = false;

  bool is_decided() {
    std::lock_guard lock(mutex);
    return decided;
  }
  void wait() {
    std::unique_lock lock(mutex);
    settled.wait(lock, [this] { return decided; });
  }
  void decide() {
    {
      std::lock_guard lock(mutex);
      decided = true;
    }
    settled.notify_all();
  }
};

Database::WriteTurn::WriteTurn(Database& db, Joining joining) : db_(db) {
  if (joining == Joining::kAlone) {
    // Not counted as waiting: the open group commits without waiting for this write.
    lock_ = std::unique_lock(db_.mutex_);
    db_.wait_for_open_group(lock_);
  } else {
    db_.writers_waiting_.fetch_add(1);
    lock_ = std::unique_lock(db_.mutex_);
    db_.writers_waiting_.fetch_sub(1);
  }
  if (db_.group_ != nullptr) {
    // An earlier writer left its transaction open for this one.
    group_ = db_.group_;
    joined_ = true;
    try {
      db_.control("SAVEPOINT jaring_write");
    } catch (const StoreError& e) {
      fail_group(e.what());
      finished_ = true;
      throw;
    }
    return;
  }
  db_.control("BEGIN IMMEDIATE");  // a throw leaves nothing open
  db_.outbox_appended_ = false;
  group_ = std::make_shared<Group>();
  db_.group_ = group_;
}

Database::WriteTurn::~WriteTurn() {
  if (!finished_) abandon();
}

bool Database::WriteTurn::finish(bool succeeded) {
  JARING_ASSERT(!finished_, "a write's turn finishes once");
  finished_ = true;
  if (!succeeded) {
    undo();
    return false;
  }
  if (joined_) {
    try {
      db_.control("RELEASE jaring_write");
    } catch (const StoreError& e) {
      fail_group(e.what());
      throw;
    }
  }
  ++group_->writes;
  settle(true);
  if (!group_->committed) throw StoreError(group_->error, group_->code);
  return true;
}

void Database::WriteTurn::abandon() noexcept {
  if (finished_) return;
  finished_ = true;
  undo();
}

void Database::WriteTurn::undo() noexcept {
  if (group_->is_decided()) return;  // the group failed already, and rolled back
  if (!joined_) {
    // The first writer: nobody else is in the transaction yet.
    JARING_ASSERT(group_->writes == 0, "writers join only after the first finished");
    db_.rollback_quietly();
    close();
    return;
  }
  if (!db_.undo_savepoint()) {
    fail_group(sqlite3_errmsg(db_.db_));  // the others' work cannot commit
    return;
  }
  settle(false);  // this turn failed whatever the group's outcome: no waiting for it
}

void Database::WriteTurn::settle(bool wait) noexcept {
  const bool others_waiting = db_.writers_waiting_.load() > 0;
  if (db_.reader_ != nullptr && others_waiting && group_->writes < kMaxGroupWrites) {
    // The next writer takes the open transaction over.
    if (!wait) return;
    lock_.unlock();  // nothing of the connection is used from here on
    group_->wait();
    return;
  }
  commit();
}

void Database::WriteTurn::commit() noexcept {
  try {
    db_.control("COMMIT");
    group_->committed = true;
  } catch (const StoreError& e) {
    db_.rollback_quietly();  // a commit refused (a deferred constraint) leaves it open
    db_.note_failure(e);
    group_->error = e.what();
    group_->code = e.code();
  }
  close();
  if (group_->committed) db_.note_committed();
}

void Database::WriteTurn::fail_group(std::string_view why) noexcept {
  db_.rollback_quietly();
  group_->error = fmt::format("the transaction this write shared with others was rolled back: {}", why);
  group_->code = SQLITE_ABORT;
  close();
}

void Database::WriteTurn::close() noexcept {
  group_->decide();
  db_.group_.reset();
  db_.group_ended_.notify_all();
}

bool StoreError::unique_violation() const { return code_ == SQLITE_CONSTRAINT_UNIQUE; }

bool StoreError::storage_failure() const {
  switch (code_ & 0xff) {  // the primary code of an extended one (SQLITE_IOERR_WRITE ...)
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return true;
    default:
      return false;
  }
}

void Database::note_failure(const StoreError& error) {
  if (!error.storage_failure()) return;
  std::lock_guard lock(failure_mutex_);
  failure_ = error.what();
  failing_.store(true);
}

void Database::on_outbox_commit(std::function<void()> listener) {
  std::lock_guard lock(listener_mutex_);
  outbox_listener_ = std::move(listener);
}

void Database::notify_outbox() {
  std::lock_guard lock(listener_mutex_);
  if (outbox_listener_) outbox_listener_();
}

void Database::clear_failure() {
  std::lock_guard lock(failure_mutex_);
  failure_.clear();
  failing_.store(false);
}

std::optional<std::string> Database::write_failure() const {
  if (!failing_.load()) return std::nullopt;
  std::lock_guard lock(failure_mutex_);
  if (failure_.empty()) return std::nullopt;
  return failure_;
}

Result<void> Database::probe_write() {
  // A commit alone proves little in WAL mode: it may land in WAL space a checkpoint freed while
  // the disk is still full. So the disk must also have room for a WAL's worth of pages (the
  // default auto-checkpoint is 1,000 pages of 4 KiB) ...
  constexpr std::uintmax_t kMinFreeBytes = 4U << 20U;
  if (const char* file = sqlite3_db_filename(db_, "main"); file != nullptr && *file != '\0') {
    std::error_code error;
    const auto space = std::filesystem::space(std::filesystem::path(file).parent_path(), error);
    if (!error && space.available < kMinFreeBytes) {
      return fail(
          Error::unavailable("the store cannot write",
                             fmt::format("{} bytes free on the disk holding {}", space.available, file)));
    }
  }
  // ... and the file must take a new page: a table created and dropped in one transaction
  // allocates one (a capped or full file refuses it) and leaves only a free page behind.
  try {
    return write([](Transaction& tx) -> Result<void> {
      tx.exec("CREATE TABLE jaring_write_probe (x)");
      tx.exec("DROP TABLE jaring_write_probe");
      return {};
    });
  } catch (const StoreError& e) {
    return fail(Error::unavailable("the store cannot write", e.what()));
  }
}

namespace {
thread_local WriteObserver* t_observer = nullptr;
}  // namespace

ObserverScope::ObserverScope(WriteObserver* observer) : previous_(t_observer) { t_observer = observer; }
ObserverScope::~ObserverScope() { t_observer = previous_; }
WriteObserver* ObserverScope::current() noexcept { return t_observer; }

Result<void> write_or_unavailable(Database& db, std::string_view store,
                                  const std::function<Result<void>(Transaction&)>& fn,
                                  Database::Joining joining) {
  try {
    return db.write(fn, joining);
  } catch (const StoreError& e) {
    return fail(Error::unavailable(fmt::format("{} could not write; try again", store), e.what()));
  }
}

void Database::exec(std::string_view sql) {
  const std::string text(sql);  // sqlite3_exec needs a terminated string
  char* message = nullptr;
  const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message);
  if (rc != SQLITE_OK) {
    const std::string owned = message != nullptr ? message : sqlite3_errstr(rc);
    sqlite3_free(message);
    throw_error(owned, rc, sql);
  }
}

int Database::schema_version() {
  auto statement = prepare("PRAGMA user_version");
  return statement.step() ? static_cast<int>(statement.column_int(0)) : 0;
}

bool Database::undo_savepoint() noexcept {
  const int rolled_back = sqlite3_exec(db_, "ROLLBACK TO jaring_write", nullptr, nullptr, nullptr);
  const int released = sqlite3_exec(db_, "RELEASE jaring_write", nullptr, nullptr, nullptr);
  return rolled_back == SQLITE_OK && released == SQLITE_OK && sqlite3_get_autocommit(db_) == 0;
}

void Database::rollback_quietly() noexcept {
  // A failed statement may already have ended the transaction (SQLITE_FULL, IOERR ...).
  if (sqlite3_get_autocommit(db_) != 0) return;
  sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
}

}  // namespace jaring::store

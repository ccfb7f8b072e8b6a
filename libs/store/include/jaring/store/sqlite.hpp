#pragma once
// SQLite store: one file per service, WAL mode, versioned migrations, RAII transactions.
// A Database is used from several threads; every use goes through a Transaction or
// Database::read, which serialise on the database's mutex.

#include <sqlite3.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "jaring/common/result.hpp"

namespace jaring::store {

class StatementCache;
struct StatementSlot;

// One prepared statement. Bind indexes start at 1, column indexes at 0 (as in SQLite).
class Statement {
 public:
  Statement(sqlite3* db, std::string_view sql);  // throws StoreError on a bad statement
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;

  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, int value) { return bind(index, static_cast<std::int64_t>(value)); }
  Statement& bind(int index, std::string_view text);
  Statement& bind(int index, const char* text) { return bind(index, std::string_view(text)); }
  Statement& bind_blob(int index, std::string_view bytes);
  // Without copying: for hot inserts whose values outlive the next run() or step() (a field of
  // a row being written, not a temporary). SQLite reads the caller's bytes when it runs.
  Statement& bind_unowned(int index, std::string_view text);
  Statement& bind_blob_unowned(int index, std::string_view bytes);
  Statement& bind_null(int index);

  // Steps once: true when a row is ready, false when done. Throws StoreError on failure.
  bool step();
  // Runs a statement that returns no rows, then resets it so it can be bound and run again.
  void run();
  void reset();

  std::int64_t column_int(int index) const;
  std::string column_text(int index) const;
  std::string column_blob(int index) const;
  bool column_is_null(int index) const;
  bool column_is_blob(int index) const;

 private:
  friend class Database;
  Statement(sqlite3* db, sqlite3_stmt* stmt, StatementCache* cache, StatementSlot* slot)
      : db_(db), stmt_(stmt), cache_(cache), slot_(slot) {}
  void release() noexcept;

  sqlite3* db_;
  sqlite3_stmt* stmt_;
  StatementCache* cache_ = nullptr;  // where the compiled statement goes back when done
  StatementSlot* slot_ = nullptr;    // its text's place there
};

// The statements of one SQL text in a StatementCache.
struct StatementSlot {
  std::vector<sqlite3_stmt*> idle;
  int lent = 0;  // statements of this text in use (or being compiled)
};

// Compiled statements kept for reuse: compiling SQL costs more than running a small insert.
class StatementCache {
 public:
  using Slot = StatementSlot;
  ~StatementCache();
  // The slot of `sql`'s text, lent until give_back, and an idle statement of it if one is kept
  // (else null: compile one). The text is hashed here only: the statement goes back to its slot.
  std::pair<sqlite3_stmt*, Slot*> take(std::string_view sql);
  // Resets `stmt` and keeps it in its slot, or finalizes it when the cache is full. A null
  // `stmt` returns the slot alone (the statement failed to compile).
  void give_back(sqlite3_stmt* stmt, Slot* slot) noexcept;

 private:
  static constexpr std::size_t kMaxStatements = 256;
  // Statements by SQL text, looked up as a string_view: a statement taken and given back
  // allocates nothing once its text has a slot (it was a copy of the text each way, several times
  // an event). At most 2 x kMaxStatements slots are kept besides those lent.
  struct SqlHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view sql) const noexcept { return std::hash<std::string_view>{}(sql); }
  };
  std::mutex mutex_;
  // A map's nodes stay where they are: a slot's address holds until the slot is erased.
  std::unordered_map<std::string, Slot, SqlHash, std::equal_to<>> slots_;
  std::size_t idle_count_ = 0;  // statements idle in slots_, at most kMaxStatements
};

// Raised by the store for failures that are not the caller's fault (disk full, corrupt file);
// the edge answers them UNAVAILABLE. `code` is SQLite's result code when SQLite raised it.
class StoreError : public std::runtime_error {
 public:
  explicit StoreError(const std::string& message, int code = 0) : std::runtime_error(message), code_(code) {}
  int code() const { return code_; }
  // The file itself cannot take the write (disk full, I/O error, read-only, corrupt): a state of
  // the machine that lasts until an operator acts, not a fault of one request.
  bool storage_failure() const;
  // A UNIQUE constraint refused the statement (SQLITE_CONSTRAINT_UNIQUE).
  bool unique_violation() const;

 private:
  int code_;
};

class Database;

// "?, ?, ?" for a statement that takes `n` values at one place (an IN list, a VALUES row).
std::string placeholders(std::size_t n);

struct Migration {
  int version;      // 1, 2, 3 ... applied in order, each once
  std::string sql;  // one or more statements; run inside a transaction, so no BEGIN/COMMIT
  // Runs after `sql` in the same transaction, for what SQL alone cannot do (sealing values
  // with a key the database does not hold); a throw rolls the migration back.
  std::function<void(Database&)> code = {};
};

class Transaction;

// Rides along the write transactions of one thread on the databases that accept it: the audit
// record of the RPC a thread serves is written in the same transaction as the change it
// records (libs/audit). Consumers' batches have none.
class WriteObserver {
 public:
  virtual ~WriteObserver() = default;
  // An outbox row of the transaction in progress (its topic and key: the ids the change touched).
  virtual void appended(std::string_view topic, std::string_view key) = 0;
  // Just before COMMIT of a transaction whose work succeeded; may write in it, and a throw rolls
  // the whole transaction back.
  virtual void before_commit(Transaction& tx) = 0;
  // After the transaction ended: committed or rolled back.
  virtual void ended(bool committed) noexcept = 0;
};

// Makes `observer` the observer of this thread's write transactions while the scope lives.
class ObserverScope {
 public:
  explicit ObserverScope(WriteObserver* observer);
  ~ObserverScope();
  ObserverScope(const ObserverScope&) = delete;
  ObserverScope& operator=(const ObserverScope&) = delete;
  static WriteObserver* current() noexcept;

 private:
  WriteObserver* previous_;
};

class Database {
 public:
  // Opens (creating) the file, sets WAL, synchronous=NORMAL and a busy timeout, and applies
  // migrations not yet applied. ":memory:" works for tests. Throws StoreError at start-up.
  static std::unique_ptr<Database> open(const std::string& path, const std::vector<Migration>& migrations);
  ~Database();

  // Runs fn inside BEGIN IMMEDIATE .. COMMIT; rolls back if fn throws or returns an error.
  // fn returns a Result<T>; the transaction commits only when it holds a value, and write
  // returns once it has committed (or throws StoreError when the commit failed).
  // Group commit (a file database): when other threads are waiting to write as fn succeeds, the
  // transaction stays open for them, each one's work a savepoint of it (rolled back alone when
  // it fails), and the last commits them together; every one waits for that commit. A commit
  // writes every page the transaction touched to the WAL, two system calls a page, so concurrent
  // calls share the pages they have in common (an index's last leaf, the outbox's). At most
  // kMaxGroupWrites writes a commit, so that the first of them does not wait long.
  // Joining::kAlone: for a large write (a bulk insert of thousands of rows), which never joins an
  // open transaction: as a savepoint, SQLite would keep a copy of every page it changes, in
  // memory, to be able to undo it alone (tens of MiB). It waits for the open group to commit;
  // later writers may still join it.
  // Not reentrant: fn must not call write or read on the same Database (use the Transaction).
  enum class Joining { kMayJoin, kAlone };
  template <typename F>
  auto write(F&& fn, Joining joining = Joining::kMayJoin) -> std::invoke_result_t<F, Transaction&>;
  // Runs fn, which may call write many times, inside one transaction: each of those writes
  // becomes a savepoint (rolled back alone when it fails), and they commit together when fn
  // returns success, or not at all. For a consumer applying a batch of events one by one: one
  // commit per batch instead of one per event. Writes from other threads wait meanwhile.
  Result<void> batch(const std::function<Result<void>()>& fn);
  // As batch, without a savepoint for each write (two statements, and a copy of every page the
  // write touches, per write: a tenth of a consumer's CPU), for a batch expected to apply whole.
  // The first write that fails (returns an error or throws) dooms it: whatever fn returns, the
  // batch rolls back, and nullopt says so: run it again with batch(), where the failing write is
  // rolled back alone. Otherwise what batch() would return.
  std::optional<Result<void>> batch_whole(const std::function<Result<void>()>& fn);

  // Runs fn with no explicit transaction (single statements are atomic) on the reading
  // connection, which sees every committed write and does not wait for a write in progress
  // (inside batch(), on the batch's own connection).
  template <typename F>
  auto read(F&& fn) {
    if (in_batch()) return fn(*this);  // within a batch: see the batch's own writes
    Database& target = reader_ ? *reader_ : *this;
    std::lock_guard lock(target.mutex_);
    return fn(target);
  }

  // A statement compiled once and reused (from the cache when the same SQL ran before).
  Statement prepare(std::string_view sql);
  void exec(std::string_view sql);
  int schema_version();
  // Of the last INSERT / data change on this connection; call them inside read or write.
  std::int64_t last_insert_rowid() { return sqlite3_last_insert_rowid(db_); }
  std::int64_t changes() { return sqlite3_changes64(db_); }
  sqlite3* handle() { return db_; }
  // Lets the thread's WriteObserver ride along this database's write transactions (the audit
  // trail installs itself on the store it writes to).
  void accept_observers() { observed_ = true; }
  // Checkpoints the background thread has run (a file database's writer has one).
  std::int64_t background_checkpoints() const;
  // Why the last write failed when the file could not take it (StoreError::storage_failure) and
  // no write has committed since; nullopt when writes work. For readiness: a service whose store
  // cannot write must not say it is ready.
  std::optional<std::string> write_failure() const;
  // Checks that the disk has room (4 MiB free) and the file takes a new page (a scratch table
  // created and dropped in one write): clears write_failure() when that commits. Readiness calls
  // it while a failure is noted, so that the service is ready again by itself once space is back.
  Result<void> probe_write();
  // Runs `listener` after each commit of a transaction (or batch) that appended outbox rows, and
  // after no other: the outbox relay of this file sets it to wake when there is work. One
  // listener; an empty one removes it (once this returns, the old one no longer runs).
  void on_outbox_commit(std::function<void()> listener);

  static constexpr int kMaxGroupWrites = 32;

 private:
  // The transaction the writes of several threads share (group commit), and its outcome once
  // committed or rolled back.
  struct Group;

  // One write()'s turn at the connection: holds mutex_ while fn runs. Begins the transaction, or
  // joins the group's open one with a savepoint; then commits, or leaves the transaction to the
  // next writer and waits until the group is decided.
  class WriteTurn {
   public:
    WriteTurn(Database& db, Joining joining);
    ~WriteTurn();  // an unfinished turn is abandoned
    WriteTurn(const WriteTurn&) = delete;
    WriteTurn& operator=(const WriteTurn&) = delete;
    // fn returned: its work stays (succeeded) or is undone. True when it committed; throws
    // StoreError when it succeeded and the group's commit failed.
    bool finish(bool succeeded);
    // fn threw: its work is undone, and the group goes on without it. Never throws.
    void abandon() noexcept;

   private:
    // Undoes this turn's work; the group goes on (a joined turn) or ends (the first).
    void undo() noexcept;
    // Leaves the open transaction to a waiting writer, or commits it (a failed commit is the
    // group's outcome, not a throw). `wait`: for the outcome.
    void settle(bool wait) noexcept;
    void commit() noexcept;
    // The shared transaction is lost (SQLite rolled it back, a savepoint failed): every
    // member learns it failed.
    void fail_group(std::string_view why) noexcept;
    void close() noexcept;

    Database& db_;
    std::unique_lock<std::mutex> lock_;
    std::shared_ptr<Group> group_;
    bool joined_ = false;  // a savepoint of a transaction an earlier writer began
    bool finished_ = false;
  };
  explicit Database(sqlite3* db);
  // Opens one connection with the pragmas every connection needs.
  static std::unique_ptr<Database> connect(const std::string& path);
  // Hands checkpoints of the writer's WAL to a background thread with its own connection.
  void checkpoint_in_background(const std::string& path);
  // Runs one transaction-control statement (BEGIN, COMMIT, SAVEPOINT ...) compiled once: a
  // consumer's batch runs two per event, and compiling them each time was a fifth of its CPU.
  void control(std::string_view sql) { prepare(sql).run(); }
  // Used while another error is in flight: must not replace it, so it never throws.
  void rollback_quietly() noexcept;
  // Rolls the current write's savepoint back and releases it. False when that failed or a failed
  // statement had ended the whole transaction (SQLITE_FULL, IOERR ...): the work of the writes
  // before it is gone too. Never throws: it runs while an error is in flight.
  bool undo_savepoint() noexcept;
  // Waits (releasing `lock` on mutex_ meanwhile) until no writers' shared transaction is open.
  void wait_for_open_group(std::unique_lock<std::mutex>& lock) {
    group_ended_.wait(lock, [this] { return group_ == nullptr; });
  }
  // In batch() on this thread: writes are savepoints of the batch's transaction.
  bool in_batch() const { return batch_thread_.load() == std::this_thread::get_id(); }
  std::optional<Result<void>> run_batch(const std::function<Result<void>()>& fn, bool savepoints);
  template <typename F>
  auto write_in_batch(F&& fn) -> std::invoke_result_t<F, Transaction&>;
  // Notes a failed write (when the file could not take it) / a committed one.
  void note_failure(const StoreError& error);
  void note_committed() {
    if (failing_.load(std::memory_order_relaxed)) clear_failure();
    if (std::exchange(outbox_appended_, false)) notify_outbox();
  }
  void clear_failure();
  void notify_outbox();

  sqlite3* db_;
  std::mutex mutex_;
  std::atomic<std::thread::id> batch_thread_{};
  // Group commit: the open transaction (null when none), which writers waiting for mutex_ join;
  // a batch waits until it ends.
  std::shared_ptr<Group> group_;  // under mutex_
  std::condition_variable group_ended_;
  std::atomic<int> writers_waiting_{0};
  bool observed_ = false;
  // The transaction in progress (under mutex_) appended outbox rows; reset at BEGIN.
  bool outbox_appended_ = false;
  // The batch in progress (under mutex_) makes each write a savepoint; without, a failed write
  // has doomed it.
  bool batch_savepoints_ = true;
  bool batch_doomed_ = false;
  std::mutex listener_mutex_;
  std::function<void()> outbox_listener_;  // under listener_mutex_
  std::atomic<bool> failing_{false};
  mutable std::mutex failure_mutex_;
  std::string failure_;  // under failure_mutex_
  // Declared after db_ so that it is destroyed first: cached statements are finalized before
  // the connection closes.
  StatementCache cache_;
  std::unique_ptr<Database> reader_;  // null for an in-memory database
  class Checkpointer;
  std::unique_ptr<Checkpointer> checkpointer_;  // null for an in-memory database
  friend class Transaction;
};

// A write transaction in progress. Only Database::write creates one.
class Transaction {
 public:
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  Statement prepare(std::string_view sql) { return db_.prepare(sql); }
  void exec(std::string_view sql) { db_.exec(sql); }
  Database& database() { return db_; }
  // The observer riding along this transaction, or nullptr.
  WriteObserver* observer() const { return observer_; }
  // An outbox row was appended: the outbox listener runs once this commits.
  void note_outbox_row() { db_.outbox_appended_ = true; }

  // The outbox rows this write appended (OutboxWriter, outbox.hpp), inserted together once its
  // function succeeded: a statement for many rows, where one a row cost SQLite a statement's
  // start and end and an update of the AUTOINCREMENT counter each.
  struct PendingOutbox;
  PendingOutbox& pending_outbox();
  // Inserts the pending outbox rows, in the order appended; the write calls it before it ends.
  void flush_outbox() {
    if (outbox_ != nullptr) insert_pending_outbox();
  }

 private:
  explicit Transaction(Database& db, WriteObserver* observer = nullptr);
  void insert_pending_outbox();
  Database& db_;
  WriteObserver* observer_;
  std::unique_ptr<PendingOutbox> outbox_;  // null until a row is appended
  friend class Database;
};

// A write transaction for a service's store adapter: a failure of the store itself (disk full, a
// corrupt file) becomes UNAVAILABLE naming `store` instead of an exception.
Result<void> write_or_unavailable(Database& db, std::string_view store,
                                  const std::function<Result<void>(Transaction&)>& fn,
                                  Database::Joining joining = Database::Joining::kMayJoin);

template <typename F>
auto Database::write_in_batch(F&& fn) -> std::invoke_result_t<F, Transaction&> {
  Transaction tx(*this);
  if (!batch_savepoints_) {
    // batch_whole: what a failed write changed cannot be undone alone, so the batch is doomed.
    try {
      auto result = fn(tx);
      if (result) {
        tx.flush_outbox();
      } else {
        batch_doomed_ = true;
      }
      return result;
    } catch (...) {
      batch_doomed_ = true;
      throw;
    }
  }
  control("SAVEPOINT jaring_write");
  try {
    auto result = fn(tx);
    if (result) {
      tx.flush_outbox();
      control("RELEASE jaring_write");
    } else if (!undo_savepoint()) {
      throw StoreError(sqlite3_errmsg(db_), sqlite3_extended_errcode(db_));
    }
    return result;
  } catch (...) {
    // The batch's own rollback follows; this undo must not replace the error in flight.
    undo_savepoint();
    throw;
  }
}

template <typename F>
auto Database::write(F&& fn, Joining joining) -> std::invoke_result_t<F, Transaction&> {
  if (in_batch()) return write_in_batch(std::forward<F>(fn));
  WriteTurn turn(*this, joining);
  WriteObserver* observer = observed_ ? ObserverScope::current() : nullptr;
  Transaction tx(*this, observer);
  try {
    auto result = fn(tx);
    if (result && observer != nullptr) observer->before_commit(tx);
    if (result) tx.flush_outbox();
    const bool committed = turn.finish(static_cast<bool>(result));
    if (observer != nullptr) observer->ended(committed);
    return result;
  } catch (const StoreError& e) {
    turn.abandon();
    if (observer != nullptr) observer->ended(false);
    note_failure(e);
    throw;
  } catch (...) {
    turn.abandon();
    if (observer != nullptr) observer->ended(false);
    throw;
  }
}

}  // namespace jaring::store

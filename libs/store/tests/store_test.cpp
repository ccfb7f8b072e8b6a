#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <latch>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "../src/page_cache.hpp"
#include "jaring/store/backup.hpp"
#include "jaring/store/consumer_offsets.hpp"
#include "jaring/store/idempotence.hpp"
#include "jaring/store/outbox.hpp"
#include "jaring/store/sqlite.hpp"

namespace jaring::store {
namespace {

namespace fs = std::filesystem;

// A fresh directory per test, removed afterwards; the database sits in a subdirectory that does
// not exist yet, so every test also exercises its creation.
class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() / ("jaring_store_test_" + std::to_string(::getpid()) + "_" +
                                        std::to_string(counter++) + "_" + info->name());
    fs::remove_all(dir_);
    path_ = (dir_ / "data" / "service.db").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path dir_;
  std::string path_;
};

// Runs fn, expecting StoreError whose message contains every one of `parts`.
template <typename F>
void expect_store_error(F&& fn, const std::vector<std::string>& parts) {
  try {
    fn();
    ADD_FAILURE() << "expected StoreError";
  } catch (const StoreError& e) {
    const std::string message = e.what();
    for (const auto& part : parts) {
      EXPECT_NE(message.find(part), std::string::npos) << "\"" << part << "\" not in: " << message;
    }
  }
}

std::int64_t count(Database& db, const std::string& sql) {
  return db.read([&](Database& d) {
    auto statement = d.prepare(sql);
    return statement.step() ? statement.column_int(0) : -1;
  });
}

std::string text(Database& db, const std::string& sql) {
  return db.read([&](Database& d) {
    auto statement = d.prepare(sql);
    return statement.step() ? statement.column_text(0) : std::string("<no row>");
  });
}

// Each migration logs its version, so the log shows what ran, how often and in which order;
// 2 and 3 also depend on the schema of the ones before them.
std::vector<Migration> logging_migrations(int n) {
  std::vector<Migration> all = {
      {1, "CREATE TABLE log (version INTEGER NOT NULL); INSERT INTO log VALUES (1);"},
      {2, "ALTER TABLE log ADD COLUMN note TEXT; INSERT INTO log VALUES (2, 'two');"},
      {3,
       "CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\nINSERT INTO log VALUES (3, "
       "'three');"},
      {4, "INSERT INTO log VALUES (4, 'four');"},
  };
  all.resize(static_cast<std::size_t>(n));
  return all;
}

std::vector<std::int64_t> log_versions(Database& db) {
  return db.read([](Database& d) {
    std::vector<std::int64_t> versions;
    auto statement = d.prepare("SELECT version FROM log ORDER BY rowid");
    while (statement.step()) versions.push_back(statement.column_int(0));
    return versions;
  });
}

TEST_F(StoreTest, OpensInWalModeWithTheConfiguredPragmas) {
  auto db = Database::open(path_, {});
  EXPECT_TRUE(fs::exists(path_));
  EXPECT_EQ(text(*db, "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(count(*db, "PRAGMA synchronous"), 1);  // NORMAL
  EXPECT_EQ(count(*db, "PRAGMA foreign_keys"), 1);
  EXPECT_EQ(count(*db, "PRAGMA busy_timeout"), 5000);
  // Off whatever SQLite was built with (Debian's zeroes every deleted row), also when no
  // migration ran: a restart must not make the relay's deletes write twice as much.
  EXPECT_EQ(count(*db, "PRAGMA secure_delete"), 0);
  EXPECT_EQ(db->schema_version(), 0);
  db.reset();
  db = Database::open(path_, logging_migrations(2));
  EXPECT_EQ(count(*db, "PRAGMA secure_delete"), 0);
  db.reset();
  db = Database::open(path_, logging_migrations(2));
  EXPECT_EQ(count(*db, "PRAGMA secure_delete"), 0);
}

TEST_F(StoreTest, InMemoryDatabaseWorks) {
  auto db = Database::open(":memory:", logging_migrations(2));
  EXPECT_EQ(db->schema_version(), 2);
  EXPECT_EQ(log_versions(*db), (std::vector<std::int64_t>{1, 2}));
}

TEST_F(StoreTest, MigrationsApplyOnceAndInOrder) {
  {
    auto db = Database::open(path_, logging_migrations(3));
    EXPECT_EQ(db->schema_version(), 3);
    EXPECT_EQ(log_versions(*db), (std::vector<std::int64_t>{1, 2, 3}));
  }
  {
    // Reopening with the same list applies nothing again.
    auto db = Database::open(path_, logging_migrations(3));
    EXPECT_EQ(db->schema_version(), 3);
    EXPECT_EQ(log_versions(*db), (std::vector<std::int64_t>{1, 2, 3}));
  }
  {
    // A release adding a migration applies only the new one.
    auto db = Database::open(path_, logging_migrations(4));
    EXPECT_EQ(db->schema_version(), 4);
    EXPECT_EQ(log_versions(*db), (std::vector<std::int64_t>{1, 2, 3, 4}));
  }
}

TEST_F(StoreTest, RejectsMigrationListsOutOfOrderDuplicatedOrWithGaps) {
  const std::vector<std::vector<Migration>> bad = {
      {{2, "SELECT 1"}, {1, "SELECT 1"}},
      {{1, "SELECT 1"}, {1, "SELECT 1"}},
      {{1, "SELECT 1"}, {3, "SELECT 1"}},
      {{0, "SELECT 1"}},
  };
  for (const auto& migrations : bad) {
    expect_store_error([&] { Database::open(path_, migrations); }, {path_, "version"});
  }
  // Validation comes before anything touches the disk.
  EXPECT_FALSE(fs::exists(path_));
}

TEST_F(StoreTest, FailedMigrationLeavesNothingOfItself) {
  Database::open(path_, logging_migrations(1));
  auto broken = logging_migrations(1);
  broken.push_back({2, "CREATE TABLE half (x INTEGER); INSERT INTO nowhere VALUES (1);"});
  expect_store_error([&] { Database::open(path_, broken); },
                     {path_, "migration 2", "no such table: nowhere"});

  auto db = Database::open(path_, logging_migrations(1));
  EXPECT_EQ(db->schema_version(), 1);
  EXPECT_EQ(count(*db, "SELECT count(*) FROM sqlite_master WHERE name = 'half'"), 0);
  EXPECT_EQ(log_versions(*db), (std::vector<std::int64_t>{1}));
}

TEST_F(StoreTest, RefusesAFileWithANewerSchema) {
  Database::open(path_, logging_migrations(3));
  expect_store_error([&] { Database::open(path_, logging_migrations(2)); },
                     {path_, "schema version 3", "newest migration 2"});
  // The refusal changed nothing.
  auto db = Database::open(path_, logging_migrations(3));
  EXPECT_EQ(log_versions(*db), (std::vector<std::int64_t>{1, 2, 3}));
}

TEST_F(StoreTest, ErrorsNameTheMessageAndTheStatement) {
  auto db = Database::open(path_, logging_migrations(3));
  expect_store_error([&] { db->prepare("SELEC   1\n  FROM item"); }, {"syntax error", "SELEC 1 FROM item"});
  expect_store_error([&] { db->prepare("SELECT 1; SELECT 2"); }, {"one statement"});
  expect_store_error([&] { db->prepare("SELECT ?").bind(2, 1); }, {"SELECT ?"});
  expect_store_error(
      [&] {
        (void)db->write([](Transaction& tx) -> Result<void> {
          tx.prepare("INSERT INTO item (id) VALUES (1)").run();
          return {};
        });
      },
      {"NOT NULL constraint failed: item.name", "INSERT INTO item"});
  EXPECT_NE(sqlite3_get_autocommit(db->handle()), 0) << "a transaction was left open";
}

TEST_F(StoreTest, StatementBindsAndReadsEveryType) {
  auto db = Database::open(path_, {});
  auto statement = db->prepare("SELECT ?, ?, ?, ?, ?, ?");
  const std::string binary("a\0b\xff", 4);
  statement.bind(1, std::int64_t{1} << 40).bind(2, 7).bind(3, std::string("text")).bind(4, "c-string");
  statement.bind_blob(5, binary).bind_null(6);
  ASSERT_TRUE(statement.step());
  EXPECT_EQ(statement.column_int(0), std::int64_t{1} << 40);
  EXPECT_EQ(statement.column_int(1), 7);
  EXPECT_EQ(statement.column_text(2), "text");
  EXPECT_EQ(statement.column_text(3), "c-string");
  EXPECT_EQ(statement.column_blob(4), binary);
  EXPECT_TRUE(statement.column_is_null(5));
  EXPECT_FALSE(statement.column_is_null(4));
  EXPECT_FALSE(statement.step());

  // Empty values stay empty, not NULL.
  statement.reset();
  statement.bind(3, std::string_view()).bind_blob(5, std::string_view());
  ASSERT_TRUE(statement.step());
  EXPECT_FALSE(statement.column_is_null(2));
  EXPECT_FALSE(statement.column_is_null(4));
  EXPECT_EQ(statement.column_blob(4), "");

  // Moved statements stay usable and are finalized once.
  Statement moved = std::move(statement);
  moved.reset();
  ASSERT_TRUE(moved.step());
  moved = db->prepare("SELECT 42");
  ASSERT_TRUE(moved.step());
  EXPECT_EQ(moved.column_int(0), 42);
}

// The write system calls this thread has made (pwrite among them).
std::int64_t writes_by_this_thread() {
  std::ifstream io("/proc/thread-self/io");
  std::string key;
  std::int64_t value = 0;
  while (io >> key >> value) {
    if (key == "syscw:") return value;
  }
  ADD_FAILURE() << "no syscw in /proc/thread-self/io";
  return 0;
}

// A store's file and its WAL copied while open, as a crash leaves them, opened with SQLite's own
// VFS. Without the shared-memory index, SQLite rebuilds it from the WAL's frame headers and their
// checksums, and keeps a commit only when every frame of it checks.
class WalCopy {
 public:
  WalCopy(const std::string& path, const fs::path& dir) {
    fs::create_directories(dir);
    fs::copy_file(path, dir / "service.db");
    fs::copy_file(path + "-wal", dir / "service.db-wal");
    EXPECT_EQ(sqlite3_open_v2((dir / "service.db").c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
  }
  ~WalCopy() { sqlite3_close(db_); }
  WalCopy(const WalCopy&) = delete;
  WalCopy& operator=(const WalCopy&) = delete;

  // The first column of the first row, as text ("" when none).
  std::string read(const char* sql) const {
    sqlite3_stmt* s = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db_, sql, -1, &s, nullptr), SQLITE_OK);
    std::string out =
        sqlite3_step(s) == SQLITE_ROW ? reinterpret_cast<const char*>(sqlite3_column_text(s, 0)) : "";
    sqlite3_finalize(s);
    return out;
  }

 private:
  sqlite3* db_ = nullptr;
};

TEST_F(StoreTest, ACommitIsOneWriteAndACopyOfTheWalRecoversEveryCommit) {
  auto db = Database::open(path_, {{1, "CREATE TABLE blob (n INTEGER NOT NULL, data BLOB NOT NULL)"}});
  const auto frames_in_wal = [&] {
    return db->read([](Database& d) {
      auto s = d.prepare("PRAGMA wal_checkpoint(PASSIVE)");  // busy, frames in the WAL, copied
      return s.step() ? s.column_int(1) : -1;
    });
  };
  // The migration's frames are in the file already: the WAL starts over with the first commit.
  const std::string page(3000, 'p');
  constexpr int kRowsACommit = 3;  // a page each: three frames or more a commit
  const auto before = writes_by_this_thread();
  constexpr int kCommits = 200;
  for (int i = 0; i < kCommits; ++i) {
    ASSERT_TRUE(db->write([&](Transaction& tx) -> Result<void> {
      for (int row = 0; row < kRowsACommit; ++row) {
        tx.prepare("INSERT INTO blob (n, data) VALUES (?, ?)").bind(1, i).bind_blob(2, page).run();
      }
      return {};
    }));
  }
  const auto writes = writes_by_this_thread() - before;
  const WalCopy copy(path_, dir_ / "copy");
  const auto frames = frames_in_wal();
  // SQLite writes a frame as its header and then its page: two writes a frame without this VFS.
  ASSERT_GE(frames, kRowsACommit * kCommits);
  EXPECT_LE(writes, kCommits + kCommits / 10) << frames << " frames";

  EXPECT_EQ(copy.read("SELECT count(*) || ' ' || sum(n) || ' ' || sum(length(data)) FROM blob"),
            fmt::format("{} {} {}", kRowsACommit * kCommits, kRowsACommit * kCommits * (kCommits - 1) / 2,
                        kRowsACommit * kCommits * 3000));
  EXPECT_EQ(copy.read("PRAGMA integrity_check"), "ok");
}

// A transaction larger than the writer's cache spills frames into the WAL before it commits; a page
// changed again after it spilled is written over in place, and the commit then writes the checksums
// of those frames again (wal.c, walRewriteChecksums), the commit frame's header last. A copy taken
// right after the commit returned (as a crash would leave the files) must hold the whole commit.
TEST_F(StoreTest, ACommitThatRewroteItsSpilledFramesIsWholeInTheWalTheMomentItReturns) {
  auto db = Database::open(path_, {{1, "CREATE TABLE blob (n INTEGER PRIMARY KEY, data BLOB NOT NULL)"}});
  db->exec("PRAGMA cache_size=16");  // pages: the transaction below spills many times
  const std::string page(3000, 'p');
  // Not the WAL's first transaction (after which SQLite cuts the WAL to its size limit).
  ASSERT_TRUE(db->write([&](Transaction& tx) -> Result<void> {
    tx.prepare("INSERT INTO blob (n, data) VALUES (-1, 'first')").run();
    return {};
  }));
  constexpr int kRows = 300;
  ASSERT_TRUE(db->write([&](Transaction& tx) -> Result<void> {
    for (int i = 0; i < kRows; ++i)
      tx.prepare("INSERT INTO blob (n, data) VALUES (?, ?)").bind(1, i).bind_blob(2, page).run();
    // The first rows' pages spilled long ago: changed again, they are written over in place.
    tx.prepare("UPDATE blob SET data = ? WHERE n BETWEEN 0 AND 2").bind_blob(1, std::string(3000, 'q')).run();
    tx.prepare("INSERT INTO blob (n, data) VALUES (?, ?)").bind(1, kRows).bind_blob(2, page).run();
    return {};
  }));
  const WalCopy copy(path_, dir_ / "copy");

  EXPECT_EQ(copy.read("SELECT count(*) || ' ' || sum(substr(data, 1, 1) = x'71') FROM blob"),
            fmt::format("{} 3", kRows + 2));
  EXPECT_EQ(copy.read("PRAGMA integrity_check"), "ok");
}

// A B-tree balance swaps new pages' numbers through a temporary one; the page cache parks the
// page instead of filing it under that number (page_cache.cpp). Rows inserted at random places of
// two indexes, changed and deleted in small transactions split and merge pages all along: every
// row must stay as written, in the writer's cache and in a fresh connection's, and the file whole.
TEST_F(StoreTest, PagesSwappedByABalanceKeepEveryRow) {
  const std::vector<Migration> schema = {
      {1, "CREATE TABLE t (k TEXT PRIMARY KEY, v TEXT NOT NULL) WITHOUT ROWID; CREATE INDEX t_by_v ON t(v)"}};
  auto db = Database::open(path_, schema);
  ASSERT_TRUE(detail::install_page_cache());
  const auto swaps_before = detail::page_swaps_parked();
  std::map<std::string, std::string> model;
  std::uint64_t seed = 7;
  const auto random_hex = [&] {
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    return fmt::format("{:016x}", seed >> 8);
  };
  for (int commit = 0; commit < 1500; ++commit) {
    ASSERT_TRUE(db->write([&](Transaction& tx) -> Result<void> {
      for (int row = 0; row < 8; ++row) {
        const auto key = random_hex();
        const auto value = random_hex() + std::string(60, 'v');
        tx.prepare("INSERT INTO t (k, v) VALUES (?, ?)").bind(1, key).bind(2, value).run();
        model[key] = value;
      }
      if (commit % 3 == 0 && !model.empty()) {  // one row deleted, one changed
        auto gone = model.lower_bound(random_hex());
        if (gone == model.end()) gone = model.begin();
        tx.prepare("DELETE FROM t WHERE k = ?").bind(1, gone->first).run();
        model.erase(gone);
        auto changed = model.lower_bound(random_hex());
        if (changed == model.end()) changed = model.begin();
        changed->second = random_hex();
        tx.prepare("UPDATE t SET v = ? WHERE k = ?").bind(1, changed->second).bind(2, changed->first).run();
      }
      return {};
    }));
  }
  EXPECT_GT(detail::page_swaps_parked(), swaps_before) << "no balance swapped pages: the test tests nothing";
  const auto rows_of = [](Database& d) {
    std::map<std::string, std::string> rows;
    auto s = d.prepare("SELECT k, v FROM t ORDER BY k");
    while (s.step()) rows.emplace(s.column_text(0), s.column_text(1));
    return rows;
  };
  const auto written = db->write(
      [&](Transaction& tx) -> Result<std::map<std::string, std::string>> { return rows_of(tx.database()); });
  ASSERT_TRUE(written);
  EXPECT_TRUE(*written == model) << written->size() << " rows, " << model.size() << " written";
  EXPECT_TRUE(db->read(rows_of) == model);
  EXPECT_EQ(text(*db, "PRAGMA integrity_check"), "ok");
  db.reset();
  auto reopened = Database::open(path_, schema);
  EXPECT_TRUE(reopened->read(rows_of) == model);
  EXPECT_EQ(text(*reopened, "PRAGMA integrity_check"), "ok");
}

TEST_F(StoreTest, TheWalIsCheckpointedIntoTheFileWithoutTheWriterWaitingForIt) {
  auto db = Database::open(path_, {{1, "CREATE TABLE blob (data BLOB NOT NULL)"}});
  const auto file_size = [this] { return fs::file_size(path_); };
  const auto before = file_size();
  // 112 MiB in 112 commits: past the background checkpoint's threshold (96 MiB of WAL).
  const std::string megabyte(1 << 20, 'x');
  for (int i = 0; i < 112; ++i) {
    ASSERT_TRUE(db->write([&](Transaction& tx) -> Result<void> {
      tx.prepare("INSERT INTO blob (data) VALUES (?)").bind_blob(1, megabyte).run();
      return {};
    }));
  }
  // The checkpointing thread copies the pages into the database file: the WAL does not grow
  // without end although the writer never checkpoints below 256 MiB.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (file_size() < before + (16u << 20) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_GE(file_size(), before + (16u << 20));
  EXPECT_EQ(count(*db, "SELECT count(*) FROM blob"), 112);
}

TEST_F(StoreTest, ManySmallCommitsPastTheThresholdDoNotEachAskForACheckpoint) {
  auto db = Database::open(path_, {{1, "CREATE TABLE blob (data BLOB NOT NULL)"}});
  // A reader holding old frames keeps the WAL from starting over, as busy readers do.
  auto reader = Database::open(path_, {{1, "CREATE TABLE blob (data BLOB NOT NULL)"}});
  reader->exec("BEGIN");
  {
    auto statement = reader->prepare("SELECT count(*) FROM blob");
    ASSERT_TRUE(statement.step());
    EXPECT_EQ(statement.column_int(0), 0);
  }
  const auto add = [&](const std::string& data) {
    return db->write([&](Transaction& tx) -> Result<void> {
      tx.prepare("INSERT INTO blob (data) VALUES (?)").bind_blob(1, data).run();
      return {};
    });
  };
  const std::string megabyte(1 << 20, 'x');
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(add(megabyte));  // 100 MiB: past 96 MiB of WAL
  const std::string small(100, 'y');
  for (int i = 0; i < 2000; ++i) ASSERT_TRUE(add(small));
  reader->exec("COMMIT");
  // Once per 96 MiB written (about 26,000 pages in all here), not once for each of the 2,000
  // commits.
  EXPECT_GE(db->background_checkpoints(), 1);
  EXPECT_LE(db->background_checkpoints(), 3);
}

TEST_F(StoreTest, ABatchCommitsItsWritesTogetherAndAFailedWriteInItAlone) {
  auto db = Database::open(path_, logging_migrations(3));
  const auto add = [&](const std::string& name, bool ok) {
    return db->write([&](Transaction& tx) -> Result<void> {
      tx.prepare("INSERT INTO item (name) VALUES (?)").bind(1, name).run();
      if (!ok) return fail(Error::invalid({{"name", "refused"}}));
      return {};
    });
  };
  auto other = Database::open(path_, logging_migrations(3));
  ASSERT_TRUE(db->batch([&]() -> Result<void> {
    EXPECT_TRUE(add("first", true));
    EXPECT_FALSE(add("refused", false));
    EXPECT_TRUE(add("second", true));
    // The batch reads its own writes; another connection sees nothing until it commits.
    EXPECT_EQ(db->read([](Database& d) { return count(d, "SELECT count(*) FROM item"); }), 2);
    EXPECT_EQ(count(*other, "SELECT count(*) FROM item"), 0);
    return {};
  }));
  EXPECT_EQ(count(*other, "SELECT count(*) FROM item"), 2);

  // A batch that fails leaves nothing of itself.
  EXPECT_FALSE(db->batch([&]() -> Result<void> {
    EXPECT_TRUE(add("third", true));
    return fail(Error::unavailable("the consumer offers the batch again"));
  }));
  EXPECT_EQ(count(*other, "SELECT count(*) FROM item"), 2);
  EXPECT_TRUE(add("after", true));  // and writes go on as usual afterwards
  EXPECT_EQ(count(*other, "SELECT count(*) FROM item"), 3);
}

TEST_F(StoreTest, AnEventIsAppliedOnceAndAResultRememberedOnceUnlessTheirTransactionRollsBack) {
  auto db = Database::open(path_, {{1, R"sql(
    CREATE TABLE applied_events (event_id TEXT PRIMARY KEY) WITHOUT ROWID;
    CREATE TABLE idempotency_keys (key TEXT PRIMARY KEY, result TEXT NOT NULL) WITHOUT ROWID;
  )sql"}});
  const auto apply = [&](const std::string& id, bool commit) {
    bool first = false;
    (void)db->write([&](Transaction& tx) -> Result<void> {
      first = first_application(tx.database(), id);
      if (!commit) return fail(Error::unavailable("rolled back"));
      return {};
    });
    return first;
  };
  EXPECT_TRUE(apply("e1", false));  // rolled back: not applied after all
  EXPECT_TRUE(apply("e1", true));
  EXPECT_FALSE(apply("e1", true));
  EXPECT_TRUE(apply("e2", true));

  ASSERT_TRUE(db->write([&](Transaction& tx) -> Result<void> {
    EXPECT_EQ(recall_result(tx.database(), "k1"), std::nullopt);
    remember_result(tx.database(), "k1", "payment p1");
    EXPECT_EQ(recall_result(tx.database(), "k1"), "payment p1");
    return {};
  }));
  EXPECT_THROW((void)db->write([&](Transaction& tx) -> Result<void> {
    remember_result(tx.database(), "k1", "payment p2");
    return {};
  }),
               StoreError);
  EXPECT_EQ(db->read([](Database& d) { return recall_result(d, "k1"); }), "payment p1");
}

TEST_F(StoreTest, AnAdaptersWriteTurnsStoreFailuresIntoUnavailable) {
  auto db = Database::open(path_, logging_migrations(3));
  EXPECT_TRUE(write_or_unavailable(*db, "test store", [](Transaction& tx) -> Result<void> {
    tx.prepare("INSERT INTO item (name) VALUES (?)").bind(1, "kept").run();
    return {};
  }));
  const auto broken = write_or_unavailable(*db, "test store", [](Transaction& tx) -> Result<void> {
    tx.exec("INSERT INTO no_such_table VALUES (1)");
    return {};
  });
  ASSERT_FALSE(broken);
  EXPECT_EQ(broken.error().code, ErrorCode::kUnavailable);
  // The caller is told which store; the SQL goes to the log only.
  EXPECT_EQ(broken.error().message, "test store could not write; try again");
  EXPECT_NE(broken.error().cause.find("no_such_table"), std::string::npos) << broken.error().cause;
  EXPECT_EQ(count(*db, "SELECT count(*) FROM item"), 1);
}

// Disk full, as SQLite reports it (SQLITE_FULL), made here by capping the file's pages: the
// failure is noted for readiness, a failed write leaves nothing, and once there is room again a
// probe write clears the note and writes work as before, with no restart.
TEST_F(StoreTest, AFullStoreIsNotedUntilAWriteCommitsAgain) {
  auto db = Database::open(path_, logging_migrations(3));
  EXPECT_EQ(db->write_failure(), std::nullopt);
  const auto add = [&](int i) {
    return db->write([&](Transaction& tx) -> Result<void> {
      tx.prepare("INSERT INTO item (name) VALUES (?)")
          .bind(1, std::string(2000, static_cast<char>('a' + i % 26)))
          .run();
      return {};
    });
  };
  ASSERT_TRUE(add(0));
  const auto pages = [&] {
    auto s = db->prepare("PRAGMA page_count");
    s.step();
    return s.column_int(0);
  }();
  db->exec(fmt::format("PRAGMA max_page_count = {}", pages + 2));
  int written = 1;
  bool full = false;
  for (int i = 1; i < 100 && !full; ++i) {
    try {
      ASSERT_TRUE(add(i));
      ++written;
    } catch (const StoreError& e) {
      full = true;
      EXPECT_TRUE(e.storage_failure()) << e.what();
    }
  }
  ASSERT_TRUE(full) << "the capped file never filled";
  const auto failure = db->write_failure();
  ASSERT_TRUE(failure.has_value());
  EXPECT_NE(failure->find("full"), std::string::npos) << *failure;
  EXPECT_FALSE(db->probe_write());  // still no room
  EXPECT_TRUE(db->write_failure().has_value());
  EXPECT_EQ(count(*db, "SELECT count(*) FROM item"), written);  // the failed write left nothing

  // A failure that is the caller's (a missing table) is not the store's state.
  db->exec("PRAGMA max_page_count = 1000000");
  ASSERT_TRUE(db->probe_write());
  EXPECT_EQ(db->write_failure(), std::nullopt);
  EXPECT_THROW(db->write([](Transaction& tx) -> Result<void> {
    tx.exec("INSERT INTO no_such_table VALUES (1)");
    return {};
  }),
               StoreError);
  EXPECT_EQ(db->write_failure(), std::nullopt);
  EXPECT_TRUE(add(99));
  EXPECT_EQ(count(*db, "SELECT count(*) FROM item"), written + 1);
}

TEST_F(StoreTest, WriteCommitsOnAValue) {
  auto db = Database::open(path_, logging_migrations(3));
  const Result<std::int64_t> id = db->write([](Transaction& tx) -> Result<std::int64_t> {
    tx.prepare("INSERT INTO item (name) VALUES (?)").bind(1, "first").run();
    tx.prepare("INSERT INTO item (name) VALUES (?)").bind(1, "second").run();
    return tx.database().last_insert_rowid();
  });
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(*id, 2);
  EXPECT_NE(sqlite3_get_autocommit(db->handle()), 0);

  // Committed for real: another connection to the file sees both rows.
  auto other = Database::open(path_, logging_migrations(3));
  EXPECT_EQ(count(*other, "SELECT count(*) FROM item"), 2);
}

TEST_F(StoreTest, WriteRollsBackOnAnErrorResult) {
  auto db = Database::open(path_, logging_migrations(3));
  const Result<void> result = db->write([](Transaction& tx) -> Result<void> {
    tx.prepare("INSERT INTO item (name) VALUES ('a')").run();
    tx.prepare("INSERT INTO item (name) VALUES ('b')").run();
    return fail(Error::not_found("participant"));
  });
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(count(*db, "SELECT count(*) FROM item"), 0);
  EXPECT_NE(sqlite3_get_autocommit(db->handle()), 0);
}

TEST_F(StoreTest, WriteRollsBackOnAnException) {
  auto db = Database::open(path_, logging_migrations(3));
  EXPECT_THROW(db->write([](Transaction& tx) -> Result<void> {
    tx.prepare("INSERT INTO item (name) VALUES ('a')").run();
    throw std::runtime_error("boom");
  }),
               std::runtime_error);
  // A failing statement after a successful one: the StoreError propagates, the first row goes.
  EXPECT_THROW(db->write([](Transaction& tx) -> Result<void> {
    tx.prepare("INSERT INTO item (name) VALUES ('b')").run();
    tx.prepare("INSERT INTO item (name) VALUES (NULL)").run();
    return {};
  }),
               StoreError);
  EXPECT_EQ(count(*db, "SELECT count(*) FROM item"), 0);
  EXPECT_NE(sqlite3_get_autocommit(db->handle()), 0);

  // The database is usable afterwards.
  const auto ok = db->write([](Transaction& tx) -> Result<void> {
    tx.exec("INSERT INTO item (name) VALUES ('c')");
    return {};
  });
  EXPECT_TRUE(ok.has_value());
  EXPECT_EQ(count(*db, "SELECT count(*) FROM item"), 1);
}

OutboxMessage message(std::string topic, std::string key, std::string payload) {
  return {0, std::move(topic), std::move(key), std::move(payload)};
}

// Appends one row to an outbox that `earlier` emptied: it gets an id above `earlier`'s last
// (outbox_state keeps the last id given, so an emptied segment never reuses one).
void expect_ids_go_up_after(Database& db, std::int64_t earlier) {
  ASSERT_TRUE(db.write([&](Transaction& tx) -> Result<void> {
                  outbox_append(tx, message("t", "k", "after"));
                  return {};
                }).has_value());
  const auto after = outbox_fetch_unsent(db, 10);
  ASSERT_EQ(after.size(), 1u);
  EXPECT_GT(after[0].id, earlier);
}

std::vector<std::int64_t> ids_of(const std::vector<OutboxMessage>& messages) {
  std::vector<std::int64_t> ids;
  ids.reserve(messages.size());
  for (const auto& m : messages) ids.push_back(m.id);
  return ids;
}

TEST_F(StoreTest, OutboxAppendFetchRemoveBacklog) {
  auto db = Database::open(path_, {outbox_migration(1), outbox_segments_migration(2)});
  const std::string binary("\x08\x01\x00\xff", 4);
  ASSERT_TRUE(db->write([&](Transaction& tx) -> Result<void> {
                  outbox_append(tx, message("jaring.registration.v1", "p_1", binary));
                  outbox_append(tx, message("jaring.registration.v1", "", "e2"));
                  outbox_append(tx, message("jaring.contribution.v1", "p_3", "e3"));
                  return {};
                }).has_value());
  // A rolled-back append leaves no message.
  ASSERT_FALSE(db->write([&](Transaction& tx) -> Result<void> {
                   outbox_append(tx, message("jaring.claims.v1", "p_x", "lost"));
                   return fail(Error::internal("abandoned"));
                 }).has_value());
  ASSERT_TRUE(db->write([&](Transaction& tx) -> Result<void> {
                  OutboxWriter writer(tx);
                  writer.append(message("jaring.claims.v1", "p_4", "e4"));
                  writer.append(message("jaring.csr.v1", "p_5", "e5"));
                  return {};
                }).has_value());
  EXPECT_EQ(outbox_backlog(*db), 5);

  const auto first = outbox_fetch_unsent(*db, 3);
  ASSERT_EQ(first.size(), 3u);
  EXPECT_LT(first[0].id, first[1].id);
  EXPECT_LT(first[1].id, first[2].id);
  EXPECT_EQ(first[0].topic, "jaring.registration.v1");
  EXPECT_EQ(first[0].key, "p_1");
  EXPECT_EQ(first[0].payload, binary);
  EXPECT_EQ(first[1].key, "");
  EXPECT_EQ(first[2].payload, "e3");
  EXPECT_TRUE(outbox_fetch_unsent(*db, 0).empty());
  EXPECT_EQ(
      text(*db,
           "SELECT count(*) FROM outbox WHERE created_at GLOB "
           "'[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'"),
      "5");

  outbox_remove_sent(*db, ids_of(first));
  EXPECT_EQ(outbox_backlog(*db), 2);
  const auto rest = outbox_fetch_unsent(*db, 100);
  ASSERT_EQ(rest.size(), 2u);
  EXPECT_GT(rest[0].id, first[2].id);
  EXPECT_EQ(rest[0].payload, "e4");
  EXPECT_EQ(rest[1].payload, "e5");

  // Removing again (a retried batch) changes nothing.
  outbox_remove_sent(*db, {first[0].id});
  EXPECT_EQ(outbox_backlog(*db), 2);

  // Ids keep increasing after the table empties (AUTOINCREMENT never reuses them).
  outbox_remove_sent(*db, ids_of(rest));
  EXPECT_EQ(outbox_backlog(*db), 0);
  expect_ids_go_up_after(*db, rest[1].id);

  // Acknowledgements of later rows while an earlier one is still in flight (they come per
  // partition): the earlier row stays, whether the range reaches the table's end or not.
  ASSERT_TRUE(db->write([&](Transaction& tx) -> Result<void> {
                  for (const char* payload : {"f2", "f3", "f4"})
                    outbox_append(tx, message("t", "k", payload));
                  return {};
                }).has_value());
  const auto four = outbox_fetch_unsent(*db, 10);
  ASSERT_EQ(four.size(), 4u);
  outbox_remove_sent(*db, {four[2].id, four[3].id});
  outbox_remove_sent(*db, {four[1].id});
  const auto left = outbox_fetch_unsent(*db, 10);
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].payload, "after");
  outbox_remove_sent(*db, {left[0].id});
  EXPECT_EQ(outbox_backlog(*db), 0);
}

TEST_F(StoreTest, TheOutboxRemovesExactlyTheIdsGivenOrEverythingThroughOne) {
  auto db = Database::open(path_, {outbox_migration(1), outbox_segments_migration(2)});
  ASSERT_TRUE(db->write([&](Transaction& tx) -> Result<void> {
                  OutboxWriter writer(tx);
                  for (int i = 0; i < 10; ++i) writer.append(message("t", "k", "e" + std::to_string(i)));
                  return {};
                }).has_value());
  const auto rows = outbox_fetch_unsent(*db, 100);
  ASSERT_EQ(rows.size(), 10u);
  const auto payloads = [&db] {
    std::vector<std::string> out;
    for (const auto& m : outbox_fetch_unsent(*db, 100)) out.push_back(m.payload);
    return out;
  };
  // One writer, one moment: the rows it appended share created_at.
  EXPECT_EQ(text(*db, "SELECT count(DISTINCT created_at) FROM outbox"), "1");

  // Acknowledged ids with holes (another partition's reports still to come): those ids only.
  outbox_remove_sent(*db, {rows[0].id, rows[1].id, rows[3].id, rows[4].id, rows[7].id});
  EXPECT_EQ(payloads(), (std::vector<std::string>{"e2", "e5", "e6", "e8", "e9"}));

  // Everything through an id, whatever lies below it; the rows after it stay.
  outbox_remove_through(*db, rows[6].id);
  EXPECT_EQ(payloads(), (std::vector<std::string>{"e8", "e9"}));

  // Through the last row and beyond: the table is emptied, and later ids still go up.
  outbox_remove_through(*db, rows[9].id + 100);
  EXPECT_TRUE(payloads().empty());
  outbox_remove_through(*db, rows[9].id);  // nothing left: nothing to do
  expect_ids_go_up_after(*db, rows[9].id);
}

// Appends `n` rows with payloads `prefix`0 ... in one write.
void append_rows(Database& db, const std::string& prefix, int n) {
  ASSERT_TRUE(db.write([&](Transaction& tx) -> Result<void> {
                  OutboxWriter writer(tx);
                  for (int i = 0; i < n; ++i) writer.append(message("t", "k", prefix + std::to_string(i)));
                  return {};
                }).has_value());
}

TEST_F(StoreTest, TheOutboxAlternatesSegmentsAndEmptiesEachWholeOnceItsRowsArePublished) {
  std::vector<Migration> migrations = {outbox_migration(1), outbox_dead_letters_migration(2),
                                       outbox_segments_migration(3)};
  auto db = Database::open(path_, migrations);
  const auto in = [&db](const char* segment) {
    return count(*db, fmt::format("SELECT count(*) FROM {}", segment));
  };
  const auto appending_to = [&db] { return count(*db, "SELECT appending_to FROM outbox_state"); };
  const auto payloads = [&db] {
    std::vector<std::string> out;
    for (const auto& m : outbox_fetch_unsent(*db, 100)) out.push_back(m.payload);
    return out;
  };
  append_rows(*db, "a", 6);
  const auto a = outbox_fetch_unsent(*db, 10);
  ASSERT_EQ(a.size(), 6u);
  EXPECT_EQ(in("outbox"), 6);
  EXPECT_EQ(appending_to(), 0);

  // Published through a[3]: the rows stay where they are until their segment is all published,
  // but no read returns them, and writers move to the empty segment.
  outbox_remove_through(*db, a[3].id);
  EXPECT_EQ(in("outbox"), 6);
  EXPECT_EQ(appending_to(), 1);
  EXPECT_EQ(outbox_backlog(*db), 2);
  EXPECT_EQ(payloads(), (std::vector<std::string>{"a4", "a5"}));
  append_rows(*db, "b", 3);
  EXPECT_EQ(in("outbox_b"), 3);

  // Reopened (a restart): what was published stays so, and both segments read in id order.
  db.reset();
  db = Database::open(path_, migrations);
  EXPECT_EQ(payloads(), (std::vector<std::string>{"a4", "a5", "b0", "b1", "b2"}));
  EXPECT_EQ(outbox_backlog(*db), 5);
  EXPECT_EQ(outbox_backlog(*db, a[4].id), 4);

  // Every row of the first segment published: it is emptied whole, and writers go back to it.
  outbox_remove_through(*db, a[5].id);
  EXPECT_EQ(in("outbox"), 0);
  EXPECT_EQ(in("outbox_b"), 3);
  EXPECT_EQ(appending_to(), 0);
  append_rows(*db, "c", 2);
  EXPECT_EQ(in("outbox"), 2);
  const auto rest = outbox_fetch_unsent(*db, 10);
  ASSERT_EQ(rest.size(), 5u);
  EXPECT_EQ(rest[3].payload, "c0");
  EXPECT_GT(rest[3].id, rest[2].id) << "ids go on above the other segment's";

  // A set-aside row leaves whichever segment holds it; a requeued one comes back at the end.
  ASSERT_TRUE(outbox_set_aside(*db, rest[1].id, "refused"));
  ASSERT_TRUE(outbox_set_aside(*db, rest[4].id, "refused"));
  EXPECT_EQ(payloads(), (std::vector<std::string>{"b0", "b2", "c0"}));
  EXPECT_EQ(outbox_requeue(*db, std::nullopt), 2);
  EXPECT_EQ(payloads(), (std::vector<std::string>{"b0", "b2", "c0", "b1", "c1"}));
  const auto copy = (dir_ / "described.db").string();
  EXPECT_EQ(backup(path_, copy, false).outbox_backlog, 5) << "a backup's description counts the same";
}

TEST_F(StoreTest, TheSegmentsMigrationKeepsAnOutboxsRowsAndItsIds) {
  // An outbox as it was before: AUTOINCREMENT ids, the newest row already removed.
  {
    auto db = Database::open(path_, {outbox_migration(1)});
    ASSERT_TRUE(db->write([](Transaction& tx) -> Result<void> {
                    for (const char* p : {"old1", "old2", "old3"})
                      tx.prepare("INSERT INTO outbox (topic, msg_key, payload) VALUES ('t', 'k', ?)")
                          .bind(1, p)
                          .run();
                    tx.exec("DELETE FROM outbox WHERE payload = 'old3'");
                    return {};
                  }).has_value());
  }
  auto db = Database::open(path_, {outbox_migration(1), outbox_segments_migration(2)});
  append_rows(*db, "new", 1);
  const auto rows = outbox_fetch_unsent(*db, 10);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].payload, "old1");
  EXPECT_EQ(rows[1].payload, "old2");
  EXPECT_EQ(rows[2].payload, "new0");
  EXPECT_EQ(rows[2].id, 4) << "above the removed row's id too";
  EXPECT_EQ(text(*db, "SELECT count(*) FROM outbox WHERE created_at != ''"), "3");
}

TEST_F(StoreTest, OutboxRowsGoInWhenTheirWriteSucceedsInTheOrderAppended) {
  auto db = Database::open(path_, {outbox_migration(1), outbox_segments_migration(2)});
  // 1,075 rows go in as 16 statements of 64 rows, one of 8 and three of one; two writers in one
  // write keep the order of their appends between them.
  constexpr int kRows = 1075;
  ASSERT_TRUE(db->write([&](Transaction& tx) -> Result<void> {
                  OutboxWriter first(tx);
                  OutboxWriter second(tx);
                  for (int i = 0; i < kRows; ++i)
                    (i % 2 == 0 ? first : second)
                        .append(message("t", "k" + std::to_string(i), "e" + std::to_string(i)));
                  return {};
                }).has_value());
  auto rows = outbox_fetch_unsent(*db, 2 * kRows);
  ASSERT_EQ(rows.size(), static_cast<std::size_t>(kRows));
  for (int i = 0; i < kRows; ++i) {
    const auto& row = rows[static_cast<std::size_t>(i)];
    EXPECT_EQ(row.key, "k" + std::to_string(i));
    EXPECT_EQ(row.payload, "e" + std::to_string(i));
    if (i > 0) {
      EXPECT_GT(row.id, rows[static_cast<std::size_t>(i) - 1].id);
    }
  }
  EXPECT_EQ(text(*db, "SELECT count(DISTINCT created_at) FROM outbox"), "1");

  // A write whose function fails leaves none of its rows; in a batch, only its own are gone.
  const auto append_one = [&](const std::string& payload, bool ok) {
    return db->write([&](Transaction& tx) -> Result<void> {
      outbox_append(tx, message("t", "k", payload));
      if (!ok) return fail(Error::invalid({{"payload", "refused"}}));
      return {};
    });
  };
  EXPECT_FALSE(append_one("refused", false));
  ASSERT_TRUE(db->batch([&]() -> Result<void> {
    EXPECT_TRUE(append_one("b1", true));
    EXPECT_FALSE(append_one("b2", false));
    EXPECT_TRUE(append_one("b3", true));
    return {};
  }));
  rows = outbox_fetch_after(*db, rows.back().id, 10);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].payload, "b1");
  EXPECT_EQ(rows[1].payload, "b3");
}

TEST_F(StoreTest, AnOutboxMessageAboveTheLimitThrowsAndStoresNothing) {
  auto db = Database::open(
      path_,
      {outbox_migration(1), {2, "CREATE TABLE things (id TEXT PRIMARY KEY)"}, outbox_segments_migration(3)});
  EXPECT_EQ(outbox_max_message_bytes(), kOutboxMaxMessageBytes);
  EXPECT_LT(kOutboxMaxMessageBytes, 1'000'000u);  // below librdkafka's message.max.bytes

  // Exactly at the limit (key and payload together) is taken.
  const std::string key = "p_1";
  ASSERT_TRUE(db->write([&](Transaction& tx) -> Result<void> {
                  outbox_append(
                      tx, message("jaring.claims.v1", key, std::string(kOutboxMaxMessageBytes - 3, 'x')));
                  return {};
                }).has_value());
  EXPECT_EQ(outbox_backlog(*db), 1);

  // One byte more throws the typed error, and the change written before it in the same
  // transaction rolls back with it.
  try {
    (void)db->write([&](Transaction& tx) -> Result<void> {
      tx.prepare("INSERT INTO things (id) VALUES ('c_1')").run();
      OutboxWriter writer(tx);
      writer.append(message("jaring.claims.v1", "p_2", "small"));
      writer.append(message("jaring.claims.v1", key, std::string(kOutboxMaxMessageBytes - 2, 'x')));
      return {};
    });
    FAIL() << "no OutboxMessageTooLarge";
  } catch (const OutboxMessageTooLarge& e) {
    EXPECT_EQ(e.bytes(), kOutboxMaxMessageBytes + 1);
    EXPECT_EQ(e.limit(), kOutboxMaxMessageBytes);
    EXPECT_EQ(std::string(e.what()).find("xxx"), std::string::npos);  // never the payload
  }
  EXPECT_EQ(outbox_backlog(*db), 1);
  EXPECT_EQ(text(*db, "SELECT count(*) FROM things"), "0");

  // The limit is the process's: the relay sets it from its producer's message.max.bytes.
  set_outbox_max_message_bytes(10);
  EXPECT_THROW((void)db->write([&](Transaction& tx) -> Result<void> {
    outbox_append(tx, message("t", "k", "eleven byte"));
    return {};
  }),
               OutboxMessageTooLarge);
  set_outbox_max_message_bytes(kOutboxMaxMessageBytes);
  EXPECT_EQ(outbox_backlog(*db), 1);
}

TEST_F(StoreTest, RowsSetAsideAreListedAndRequeuedAtTheEnd) {
  auto db = Database::open(
      path_, {outbox_migration(1), outbox_dead_letters_migration(2), outbox_segments_migration(3)});
  ASSERT_TRUE(db->write([&](Transaction& tx) -> Result<void> {
                  for (int i = 1; i <= 4; ++i)
                    outbox_append(
                        tx, message("jaring.claims.v1", "p_" + std::to_string(i), "e" + std::to_string(i)));
                  return {};
                }).has_value());
  const auto rows = outbox_fetch_unsent(*db, 10);
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(outbox_fetch_after(*db, rows[1].id, 10).size(), 2u);
  EXPECT_EQ(outbox_fetch_after(*db, rows[1].id, 10)[0].payload, "e3");

  EXPECT_TRUE(outbox_set_aside(*db, rows[1].id, "Broker: Message size too large"));
  EXPECT_TRUE(outbox_set_aside(*db, rows[2].id, "Broker: Topic authorization failed"));
  EXPECT_FALSE(outbox_set_aside(*db, rows[1].id, "again"));  // already moved
  EXPECT_EQ(outbox_backlog(*db), 2);
  EXPECT_EQ(outbox_dead_letter_count(*db), 2);
  const auto letters = outbox_dead_letters(*db, 10);
  ASSERT_EQ(letters.size(), 2u);
  EXPECT_EQ(letters[0].id, rows[1].id);
  EXPECT_EQ(letters[0].topic, "jaring.claims.v1");
  EXPECT_EQ(letters[0].key, "p_2");
  EXPECT_EQ(letters[0].payload_bytes, 2);
  EXPECT_EQ(letters[0].reason, "Broker: Message size too large");
  EXPECT_FALSE(letters[0].created_at.empty());
  EXPECT_FALSE(letters[0].set_aside_at.empty());

  // One back, then the rest: each goes to the end of the outbox under a new id.
  EXPECT_EQ(outbox_requeue(*db, rows[2].id), 1);
  EXPECT_EQ(outbox_requeue(*db, rows[2].id), 0);
  EXPECT_EQ(outbox_requeue(*db, std::nullopt), 1);
  EXPECT_EQ(outbox_dead_letter_count(*db), 0);
  const auto after = outbox_fetch_unsent(*db, 10);
  ASSERT_EQ(after.size(), 4u);
  EXPECT_EQ(after[0].payload, "e1");
  EXPECT_EQ(after[1].payload, "e4");
  EXPECT_EQ(after[2].payload, "e3");
  EXPECT_EQ(after[3].payload, "e2");
  EXPECT_GT(after[2].id, rows[3].id);
}

TEST_F(StoreTest, ReusedStatementsStartWithoutOldBindingsOrRows) {
  auto db = Database::open(path_, {{1,
                                    "CREATE TABLE kv (k TEXT PRIMARY KEY, v INTEGER);"
                                    "INSERT INTO kv VALUES ('a', 1), ('b', 2);"}});
  db->read([](Database& d) {
    const char* sql = "SELECT v FROM kv WHERE k = ?";
    auto first = d.prepare(sql);
    ASSERT_TRUE(first.bind(1, "a").step());
    {
      // The same SQL while the first is mid-step: a second compiled statement, independent.
      auto second = d.prepare(sql);
      ASSERT_TRUE(second.bind(1, "b").step());
      EXPECT_EQ(second.column_int(0), 2);
    }
    EXPECT_EQ(first.column_int(0), 1);
    // A statement back from the cache has no bindings (NULL matches nothing) and no row.
    auto again = d.prepare(sql);
    EXPECT_FALSE(again.step());
    again.reset();
    EXPECT_TRUE(again.bind(1, "a").step());
    EXPECT_EQ(again.column_int(0), 1);
  });
}

// A text that does not compile gives its place in the cache back: the cache asserts, when the
// database closes, that no statement is still out.
TEST_F(StoreTest, SqlThatDoesNotCompileIsRefusedAndLeavesNothingOutOfTheCache) {
  auto db = Database::open(path_, {{1, "CREATE TABLE kv (k TEXT PRIMARY KEY, v INTEGER);"}});
  db->read([](Database& d) {
    for (int i = 0; i < 3; ++i) EXPECT_THROW(d.prepare("SELEC k FROM kv"), StoreError);
    EXPECT_THROW(d.prepare("SELECT k FROM no_such_table"), StoreError);
    auto s = d.prepare("SELECT count(*) FROM kv");
    EXPECT_TRUE(s.step());
    EXPECT_EQ(s.column_int(0), 0);
  });
  db.reset();  // would abort with a slot still lent
}

// SQL with a list of placeholders has a text per length: the statement cache keeps at most 512
// texts, sweeping those with no idle statement. Statements in use while their texts are swept,
// and every text after the sweeps, still answer.
TEST_F(StoreTest, ManySqlTextsLeaveTheStatementCacheServing) {
  auto db = Database::open(
      path_, {{1, "CREATE TABLE kv (k TEXT PRIMARY KEY, v INTEGER); INSERT INTO kv VALUES ('a', 1);"}});
  db->read([](Database& d) {
    // `n` placeholders: a text of its own for each n; every one counts the row 'a' once.
    const auto text = [](std::size_t n) {
      return fmt::format("SELECT count(*) FROM kv WHERE k IN ({}) AND k = 'a'", placeholders(n));
    };
    const auto counts_a = [](Statement& s, std::size_t n) {
      for (std::size_t i = 1; i <= n; ++i) s.bind(static_cast<int>(i), "a");
      return s.step() && s.column_int(0) == 1;
    };
    constexpr std::size_t kCache = 256;  // statements the cache keeps idle
    std::size_t next = 1;                // the next text's number of placeholders
    std::vector<std::size_t> idle;       // texts whose statements went back last round
    for (int round = 0; round < 4; ++round) {
      std::vector<Statement> held;
      held.reserve(idle.size());
      for (const auto n : idle) held.push_back(d.prepare(text(n)));  // taken: their slots empty
      idle.clear();
      idle.reserve(kCache);
      for (std::size_t i = 0; i < kCache; ++i, ++next) {
        auto s = d.prepare(text(next));
        ASSERT_TRUE(counts_a(s, next));
        idle.push_back(next);
      }  // each goes back, with a slot of its own: the slots pass 512, empty ones are swept
      for (std::size_t i = 0; i < held.size(); i += 37)
        ASSERT_TRUE(counts_a(held[i], idle[i] - kCache)) << "in use across a sweep";
      held.clear();  // the cache is full: finalized
    }
    for (std::size_t n = 1; n < next; n += 29) {
      auto s = d.prepare(text(n));
      EXPECT_TRUE(counts_a(s, n)) << n << " placeholders";
    }
  });
}

TEST_F(StoreTest, ConcurrentWritersLoseNothing) {
  auto migrations = logging_migrations(3);
  migrations.push_back(outbox_migration(4));
  migrations.push_back({5, "CREATE TABLE counter (n INTEGER NOT NULL); INSERT INTO counter VALUES (0);"});
  migrations.push_back(outbox_segments_migration(6));
  auto db = Database::open(path_, migrations);
  constexpr int kThreads = 8;
  constexpr int kWritesEach = 250;
  std::latch start(kThreads + 1);
  std::atomic<int> failures{0};
  {
    std::vector<std::jthread> threads;
    threads.reserve(kThreads);
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        start.arrive_and_wait();
        // An exception escaping a thread would abort the run instead of failing the test.
        try {
          for (int i = 0; i < kWritesEach; ++i) {
            const std::string name = std::to_string(t) + ":" + std::to_string(i);
            // Read-modify-write of one counter: only serialised transactions keep it exact.
            const auto result = db->write([&](Transaction& tx) -> Result<void> {
              auto read = tx.prepare("SELECT n FROM counter");
              if (!read.step()) return fail(Error::internal("no counter"));
              const auto n = read.column_int(0);
              tx.prepare("UPDATE counter SET n = ?").bind(1, n + 1).run();
              tx.prepare("INSERT INTO item (name) VALUES (?)").bind(1, name).run();
              outbox_append(tx, message("jaring.test.v1", name, name));
              return {};
            });
            if (!result) ++failures;
          }
        } catch (const std::exception& e) {
          ++failures;
          ADD_FAILURE() << "writer " << t << ": " << e.what();
        }
      });
    }
    // A concurrent reader never sees a write half done: every item has its outbox row.
    threads.emplace_back([&] {
      start.arrive_and_wait();
      try {
        for (int i = 0; i < 200; ++i) {
          const auto mismatch = db->read([](Database& d) {
            auto statement = d.prepare("SELECT (SELECT count(*) FROM item) - (SELECT count(*) FROM outbox)");
            return statement.step() ? statement.column_int(0) : -1;
          });
          if (mismatch != 0) ++failures;
        }
      } catch (const std::exception& e) {
        ++failures;
        ADD_FAILURE() << "reader: " << e.what();
      }
    });
  }
  EXPECT_EQ(failures.load(), 0);
  constexpr std::int64_t kTotal = std::int64_t{kThreads} * kWritesEach;
  EXPECT_EQ(count(*db, "SELECT n FROM counter"), kTotal);
  EXPECT_EQ(count(*db, "SELECT count(DISTINCT name) FROM item"), kTotal);
  EXPECT_EQ(outbox_backlog(*db), kTotal);
  EXPECT_NE(sqlite3_get_autocommit(db->handle()), 0);

  // Each writer's own messages are in the order it wrote them.
  const auto all = outbox_fetch_unsent(*db, static_cast<int>(kTotal));
  std::vector<int> next(kThreads, 0);
  for (const auto& m : all) {
    const auto colon = m.key.find(':');
    const int t = std::stoi(m.key.substr(0, colon));
    EXPECT_EQ(std::stoi(m.key.substr(colon + 1)), next[static_cast<std::size_t>(t)]++) << m.key;
  }
}

// The migrations of a small service: its table, the outbox and the consumer offsets.
std::vector<Migration> service_migrations() {
  return {{1, "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL);"},
          outbox_migration(2),
          consumer_offsets_migration(3),
          outbox_segments_migration(4)};
}

std::int64_t rows_in(const std::string& path, const std::string& table) {
  const auto db = Database::open(path, service_migrations());
  return count(*db, "SELECT count(*) FROM " + table);
}

// Each write puts an item and its event in one transaction: a consistent backup holds as many
// of one as of the other, taken while the writes go on.
TEST_F(StoreTest, BackupIsOneReadTransactionOfTheLiveStoreAndOwnerOnly) {
  const auto db = Database::open(path_, service_migrations());
  std::atomic<bool> stop{false};
  std::atomic<int> written{0};
  std::thread writer([&] {
    for (int i = 0; !stop.load(); ++i) {
      (void)db->write([&](Transaction& tx) -> Result<void> {
        tx.prepare("INSERT INTO items (name) VALUES (?)").bind(1, fmt::format("item {}", i)).run();
        outbox_append(tx, {0, "topic", "key", fmt::format("event {}", i)});
        return {};
      });
      ++written;
    }
  });
  while (written.load() < 200) std::this_thread::yield();
  const auto to = (dir_ / "backup.db").string();
  const auto contents = backup(path_, to, false);
  stop = true;
  writer.join();

  EXPECT_EQ(rows_in(to, "items"), rows_in(to, "outbox"));
  EXPECT_GT(rows_in(to, "items"), 0);
  EXPECT_EQ(contents.outbox_backlog, rows_in(to, "outbox"));
  EXPECT_EQ(contents.schema_version, 4);
  EXPECT_EQ(fs::file_size(to), contents.bytes);
  EXPECT_EQ(fs::status(to).permissions() & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write);
  for (const auto& entry : fs::directory_iterator(dir_))
    EXPECT_EQ(entry.path().string().find(".tmp-"), std::string::npos) << "left behind: " << entry.path();
  expect_store_error([&] { backup(path_, to, false); }, {"exists", "--force"});
  EXPECT_NO_THROW(backup(path_, to, true));
  expect_store_error([&] { backup((dir_ / "none.db").string(), (dir_ / "x.db").string(), false); },
                     {"no store"});
}

TEST_F(StoreTest, RestoreRefusesWhileServedAndAnyStoreNotThisServices) {
  {
    const auto db = Database::open(path_, service_migrations());
    db->exec("INSERT INTO items (name) VALUES ('before')");
  }
  const auto good = (dir_ / "good.db").string();
  backup(path_, good, false);
  {
    const auto lock = StoreLock::take(path_);
    expect_store_error([&] { restore(path_, good, service_migrations()); },
                       {"in use", fmt::format("PID {}", ::getpid())});
    expect_store_error([&] { StoreLock::take(path_); }, {"in use"});
  }
  // Another service's store, a newer one, and a file that is no database are refused, and the
  // current store stays where it is.
  const auto other = (dir_ / "other.db").string();
  (void)Database::open(other, {{1, "CREATE TABLE accounts (id TEXT PRIMARY KEY);"}});
  expect_store_error([&] { restore(path_, other, service_migrations()); },
                     {"not this service's store", "table items"});
  const auto newer = (dir_ / "newer.db").string();
  {
    auto m = service_migrations();
    m.push_back({5, "CREATE TABLE later (x);"});
    (void)Database::open(newer, m);
  }
  expect_store_error([&] { restore(path_, newer, service_migrations()); }, {"schema version 5"});
  const auto garbage = (dir_ / "garbage.db").string();
  {
    std::ofstream out(garbage);
    out << std::string(8192, 'x');
  }
  expect_store_error([&] { restore(path_, garbage, service_migrations()); }, {garbage});
  EXPECT_EQ(rows_in(path_, "items"), 1);
  // Rows that exist only in the WAL of the store the restore replaces stay with it.
  {
    const auto db = Database::open(path_, service_migrations());
    db->exec("INSERT INTO items (name) VALUES ('after the backup')");
    const auto outcome = restore(path_, good, service_migrations());
    ASSERT_FALSE(outcome.moved_aside.empty());
    EXPECT_EQ(outcome.contents.rows.front(), (std::pair<std::string, std::int64_t>{"consumer_offsets", 0}));
    EXPECT_EQ(rows_in(outcome.moved_aside, "items"), 2);
  }
  EXPECT_EQ(rows_in(path_, "items"), 1);
  EXPECT_FALSE(fs::exists(path_ + ".restoring"));
}

TEST_F(StoreTest, ConsumerOffsetsAreKeptPerPartition) {
  const auto db = Database::open(path_, service_migrations());
  (void)db->write([](Transaction& tx) -> Result<void> {
    save_consumer_offsets(tx.database(), {{{"a", 0}, 5}, {{"a", 1}, 7}});
    save_consumer_offsets(tx.database(), {{{"a", 0}, 9}});
    return {};
  });
  const auto offsets = db->read([](Database& d) { return read_consumer_offsets(d); });
  EXPECT_EQ(offsets, (ConsumerOffsets{{{"a", 0}, 9}, {{"a", 1}, 7}}));
}

// An export's trailer says how far the store had applied each partition, and of which log.
TEST_F(StoreTest, ConsumerPositionsTravelAsTextWithTheirCluster) {
  const auto db = Database::open(path_, service_migrations());
  EXPECT_EQ(parse_consumer_positions(db->read([](Database& d) { return consumer_positions_text(d); }), "c1"),
            (std::map<std::string, std::int64_t>{}));
  (void)db->write([](Transaction& tx) -> Result<void> {
    save_consumer_offsets(tx.database(), {{{"jaring.registration.v1", 0}, 5}, {{"jaring.csr.v1", 1}, 7}},
                          "c1");
    save_consumer_offsets(tx.database(), {{{"jaring.registration.v1", 3}, 12}}, "c0");  // an older log
    return {};
  });
  const auto text = db->read([](Database& d) { return consumer_positions_text(d); });
  EXPECT_EQ(parse_consumer_positions(text, "c1"),
            (std::map<std::string, std::int64_t>{{"jaring.csr.v1:1", 7}, {"jaring.registration.v1:0", 5}}));
  EXPECT_EQ(parse_consumer_positions(text, "c0"),
            (std::map<std::string, std::int64_t>{{"jaring.registration.v1:3", 12}}));
  for (const char* broken : {"c1|t|0", "c1|t|x|5", "c1|t|0|5 ", "c1|t||5", "c1|t|0|5,"})
    EXPECT_FALSE(parse_consumer_positions(broken, "c1")) << broken;
}

}  // namespace
// The relay wakes when there is something to publish: a consumer's batch of projections that
// wrote no event must not wake it (it did, once per event, a tenth of a consumer's CPU).
TEST_F(StoreTest, TheOutboxListenerRunsOnceForEachCommitThatAppendedAndForNoOther) {
  auto db = Database::open(
      path_,
      {outbox_migration(1), {2, "CREATE TABLE things (id TEXT PRIMARY KEY)"}, outbox_segments_migration(3)});
  int woken = 0;
  db->on_outbox_commit([&] { ++woken; });
  const auto thing = [](Transaction& tx, const char* id) {
    tx.prepare("INSERT INTO things (id) VALUES (?)").bind(1, id).run();
  };
  const auto event = [](Transaction& tx, const char* key) { outbox_append(tx, message("t", key, "e")); };

  ASSERT_TRUE(db->write([&](Transaction& tx) -> Result<void> {
    thing(tx, "a");
    return {};
  }));
  EXPECT_EQ(woken, 0) << "a commit without outbox rows";
  ASSERT_TRUE(db->write([&](Transaction& tx) -> Result<void> {
    event(tx, "k1");
    event(tx, "k2");
    return {};
  }));
  EXPECT_EQ(woken, 1);
  EXPECT_FALSE(db->write([&](Transaction& tx) -> Result<void> {
    event(tx, "k3");
    return fail(Error::not_found("refused"));
  }));
  EXPECT_EQ(woken, 1) << "a rolled-back append";
  // A batch: once, after its commit, however many of its writes appended.
  ASSERT_TRUE(db->batch([&]() -> Result<void> {
    for (const char* key : {"k4", "k5"}) {
      EXPECT_TRUE(db->write([&](Transaction& tx) -> Result<void> {
        event(tx, key);
        EXPECT_EQ(woken, 1) << "not before the batch commits";
        return {};
      }));
    }
    return db->write([&](Transaction& tx) -> Result<void> {
      thing(tx, "b");
      return {};
    });
  }));
  EXPECT_EQ(woken, 2);
  ASSERT_TRUE(db->batch([&]() -> Result<void> {
    return db->write([&](Transaction& tx) -> Result<void> {
      thing(tx, "c");
      return {};
    });
  }));
  EXPECT_EQ(woken, 2) << "a batch of projections only";
  EXPECT_FALSE(db->batch([&]() -> Result<void> {
    EXPECT_TRUE(db->write([&](Transaction& tx) -> Result<void> {
      event(tx, "k6");
      return {};
    }));
    return fail(Error::unavailable("broker gone"));
  }));
  EXPECT_EQ(woken, 2) << "a rolled-back batch";
  ASSERT_TRUE(db->write([&](Transaction& tx) -> Result<void> {
    thing(tx, "d");
    return {};
  }));
  EXPECT_EQ(woken, 2) << "an append rolled back before does not linger";
  EXPECT_EQ(outbox_backlog(*db), 4);

  db->on_outbox_commit({});
  ASSERT_TRUE(db->write([&](Transaction& tx) -> Result<void> {
    event(tx, "k7");
    return {};
  }));
  EXPECT_EQ(woken, 2) << "after the listener was removed";
}

// A batch without savepoints commits what every write did; the first write that fails dooms it,
// whatever the batch then returns: nothing of it is kept, and the caller is told to run it again
// with savepoints.
TEST_F(StoreTest, AWholeBatchCommitsTogetherAndAFailedWriteDoomsIt) {
  auto db = Database::open(
      path_,
      {outbox_migration(1), {2, "CREATE TABLE things (id TEXT PRIMARY KEY)"}, outbox_segments_migration(3)});
  const auto thing = [&](const char* id) {
    return db->write([&](Transaction& tx) -> Result<void> {
      tx.prepare("INSERT INTO things (id) VALUES (?)").bind(1, id).run();
      return {};
    });
  };
  const auto whole = db->batch_whole([&]() -> Result<void> {
    EXPECT_TRUE(thing("a"));
    return thing("b");
  });
  ASSERT_TRUE(whole.has_value());
  EXPECT_TRUE(*whole);
  EXPECT_EQ(count(*db, "SELECT count(*) FROM things"), 2);

  // A write that wrote, then refused: its row cannot be taken back alone.
  const auto refused = db->batch_whole([&]() -> Result<void> {
    EXPECT_TRUE(thing("c"));
    (void)db->write([&](Transaction& tx) -> Result<void> {
      tx.prepare("INSERT INTO things (id) VALUES (?)").bind(1, "d").run();
      return fail(Error::not_found("no such participant"));
    });
    return {};  // the caller went on as if nothing happened
  });
  EXPECT_FALSE(refused.has_value());
  // A write that threw (a duplicate key here), caught by the caller.
  const auto thrown = db->batch_whole([&]() -> Result<void> {
    EXPECT_TRUE(thing("e"));
    EXPECT_THROW((void)thing("a"), StoreError);
    return {};
  });
  EXPECT_FALSE(thrown.has_value());
  EXPECT_EQ(count(*db, "SELECT count(*) FROM things"), 2) << "nothing of a doomed batch is kept";

  // The same work with savepoints keeps the rows of the writes that succeeded.
  ASSERT_TRUE(db->batch([&]() -> Result<void> {
    EXPECT_TRUE(thing("c"));
    EXPECT_THROW((void)thing("a"), StoreError);
    return {};
  }));
  EXPECT_EQ(count(*db, "SELECT count(*) FROM things"), 3);

  // A batch that fails without a failed write rolls back and says why.
  const auto failed = db->batch_whole([&]() -> Result<void> {
    EXPECT_TRUE(thing("f"));
    return fail(Error::unavailable("broker gone"));
  });
  ASSERT_TRUE(failed.has_value());
  ASSERT_FALSE(*failed);
  EXPECT_EQ(failed->error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(count(*db, "SELECT count(*) FROM things"), 3);
}

// A thing and its event, in one write: each commit that holds any wakes the outbox listener once,
// so the listener counts commits.
void insert_thing(Transaction& tx, const std::string& id) {
  tx.prepare("INSERT INTO things (id) VALUES (?)").bind(1, id).run();
  outbox_append(tx, message("jaring.test.v1", id, id));
}

// Writers that wait for the connection while another writes join its transaction (group commit):
// one commit for all of them, each write's failure undone alone, and no write returns before the
// commit that holds it.
TEST_F(StoreTest, WritersWaitingMeanwhileShareOneCommitAndAFailedOneIsUndoneAlone) {
  auto db = Database::open(
      path_,
      {outbox_migration(1), {2, "CREATE TABLE things (id TEXT PRIMARY KEY)"}, outbox_segments_migration(3)});
  std::atomic<int> commits{0};
  db->on_outbox_commit([&] { ++commits; });
  const auto insert = insert_thing;
  const auto visible = [&](const std::string& id) {
    return db->read([&](Database& d) {
      auto s = d.prepare("SELECT count(*) FROM things WHERE id = ?");
      s.bind(1, id);
      return s.step() && s.column_int(0) == 1;
    });
  };
  constexpr int kJoiners = 4;
  std::latch first_inside(1);  // the first writer holds the connection
  std::latch joiners_ready(kJoiners);
  std::atomic<int> failures{0};
  std::vector<std::string> outcomes(kJoiners + 1);
  {
    std::vector<std::jthread> threads;
    threads.emplace_back([&] {
      const auto result = db->write([&](Transaction& tx) -> Result<void> {
        insert(tx, "first");
        first_inside.count_down();
        joiners_ready.wait();
        // The joiners are past the latch; give them time to queue for the connection.
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        return {};
      });
      outcomes[0] = result ? (visible("first") ? "committed" : "returned before its commit") : "failed";
    });
    for (int j = 1; j <= kJoiners; ++j) {
      threads.emplace_back([&, j] {
        const std::string id = "joiner" + std::to_string(j);
        first_inside.wait();
        joiners_ready.count_down();
        try {
          const auto result = db->write([&](Transaction& tx) -> Result<void> {
            insert(tx, id);
            if (j == 2) return fail(Error::not_found("refused after writing"));
            if (j == 3) throw std::runtime_error("thrown after writing");
            return {};
          });
          outcomes[static_cast<std::size_t>(j)] =
              result ? (visible(id) ? "committed" : "returned before its commit") : "refused";
        } catch (const std::runtime_error& e) {
          outcomes[static_cast<std::size_t>(j)] = e.what();
        } catch (...) {
          ++failures;
        }
      });
    }
  }
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(outcomes, (std::vector<std::string>{"committed", "committed", "refused", "thrown after writing",
                                                "committed"}));
  EXPECT_EQ(commits.load(), 1) << "the writes that waited joined the first one's commit";
  EXPECT_EQ(count(*db, "SELECT count(*) FROM things"), 3);
  EXPECT_EQ(count(*db, "SELECT count(*) FROM things WHERE id IN ('joiner2', 'joiner3')"), 0);
  EXPECT_EQ(outbox_backlog(*db), 3) << "nothing of the undone writes is in the outbox";
  EXPECT_NE(sqlite3_get_autocommit(db->handle()), 0) << "no transaction left open";

  // A write alone commits by itself, as before.
  ASSERT_TRUE(db->write([&](Transaction& tx) -> Result<void> {
    insert(tx, "alone");
    return {};
  }));
  EXPECT_EQ(commits.load(), 2);
}

// When the shared commit fails, every write of the group fails with it (here a deferred foreign
// key that one write broke), and the next write starts afresh.
TEST_F(StoreTest, ACommitThatFailsFailsEveryWriteThatSharedIt) {
  auto db = Database::open(path_, {{1,
                                    "CREATE TABLE parent (id TEXT PRIMARY KEY); CREATE TABLE child (id TEXT "
                                    "PRIMARY KEY, parent TEXT REFERENCES parent (id) DEFERRABLE INITIALLY "
                                    "DEFERRED);"}});
  std::latch first_inside(1);
  std::latch joiner_ready(1);
  std::string first_outcome;
  std::string joiner_outcome;
  const auto outcome = [](const std::function<Result<void>()>& write) -> std::string {
    try {
      return write() ? "committed" : "refused";
    } catch (const StoreError& e) {
      return std::string("StoreError: ") + e.what();
    }
  };
  {
    std::jthread first([&] {
      first_outcome = outcome([&] {
        return db->write([&](Transaction& tx) -> Result<void> {
          tx.exec("INSERT INTO parent (id) VALUES ('p')");
          first_inside.count_down();
          joiner_ready.wait();
          std::this_thread::sleep_for(std::chrono::milliseconds(200));
          return {};
        });
      });
    });
    std::jthread joiner([&] {
      first_inside.wait();
      joiner_ready.count_down();
      joiner_outcome = outcome([&] {
        return db->write([&](Transaction& tx) -> Result<void> {
          tx.exec("INSERT INTO child (id, parent) VALUES ('c', 'missing')");
          return {};
        });
      });
    });
  }
  EXPECT_NE(first_outcome.find("StoreError: sqlite: FOREIGN KEY constraint failed"), std::string::npos)
      << first_outcome;
  EXPECT_EQ(joiner_outcome, first_outcome);
  EXPECT_EQ(count(*db, "SELECT count(*) FROM parent"), 0);
  EXPECT_NE(sqlite3_get_autocommit(db->handle()), 0);
  ASSERT_TRUE(db->write([&](Transaction& tx) -> Result<void> {
    tx.exec("INSERT INTO parent (id) VALUES ('q')");
    return {};
  }));
  EXPECT_EQ(count(*db, "SELECT count(*) FROM parent"), 1);
}

// A write that ends the whole shared transaction (as SQLite does when the disk is full or an I/O
// error strikes) cannot be undone alone: the writes before it in the group fail too, saying so,
// and none of theirs is kept.
TEST_F(StoreTest, AWriteThatEndsTheSharedTransactionFailsTheWritesBeforeIt) {
  auto db = Database::open(path_, {{1, "CREATE TABLE things (id TEXT PRIMARY KEY)"}});
  std::latch first_inside(1);
  std::latch joiner_ready(1);
  std::string first_outcome;
  std::string joiner_outcome;
  {
    std::jthread first([&] {
      try {
        const auto result = db->write([&](Transaction& tx) -> Result<void> {
          tx.exec("INSERT INTO things (id) VALUES ('first')");
          first_inside.count_down();
          joiner_ready.wait();
          std::this_thread::sleep_for(std::chrono::milliseconds(200));
          return {};
        });
        first_outcome = result ? "committed" : "refused";
      } catch (const StoreError& e) {
        first_outcome = e.what();
      }
    });
    std::jthread joiner([&] {
      first_inside.wait();
      joiner_ready.count_down();
      try {
        (void)db->write([&](Transaction& tx) -> Result<void> {
          tx.exec("INSERT INTO things (id) VALUES ('joiner')");
          tx.exec("ROLLBACK");  // what SQLITE_FULL does to the transaction
          throw StoreError("database or disk is full", SQLITE_FULL);
        });
        joiner_outcome = "returned";
      } catch (const StoreError& e) {
        joiner_outcome = e.what();
      }
    });
  }
  EXPECT_EQ(joiner_outcome, "database or disk is full");
  EXPECT_NE(first_outcome.find("the transaction this write shared with others was rolled back"),
            std::string::npos)
      << first_outcome;
  EXPECT_EQ(count(*db, "SELECT count(*) FROM things"), 0);
  EXPECT_TRUE(db->write_failure().has_value()) << "the full disk is noted for readiness";
  ASSERT_TRUE(db->write([&](Transaction& tx) -> Result<void> {
    tx.exec("INSERT INTO things (id) VALUES ('after')");
    return {};
  }));
  EXPECT_EQ(count(*db, "SELECT count(*) FROM things"), 1);
}

// A large write asks to run alone: it waits for the open group to commit, then commits by itself,
// never as a savepoint of the others' transaction.
TEST_F(StoreTest, AWriteThatRunsAloneWaitsForTheOpenGroupAndCommitsByItself) {
  auto db = Database::open(
      path_,
      {outbox_migration(1), {2, "CREATE TABLE things (id TEXT PRIMARY KEY)"}, outbox_segments_migration(3)});
  std::atomic<int> commits{0};
  db->on_outbox_commit([&] { ++commits; });
  const auto insert = insert_thing;
  std::latch first_inside(1);
  std::latch others_ready(2);
  std::atomic<int> failures{0};
  {
    std::vector<std::jthread> threads;
    threads.emplace_back([&] {
      if (!db->write([&](Transaction& tx) -> Result<void> {
            insert(tx, "first");
            first_inside.count_down();
            others_ready.wait();
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
            return {};
          }))
        ++failures;
    });
    for (const auto joining : {Database::Joining::kMayJoin, Database::Joining::kAlone}) {
      threads.emplace_back([&, joining] {
        first_inside.wait();
        others_ready.count_down();
        const std::string id = joining == Database::Joining::kAlone ? "alone" : "joiner";
        if (!db->write(
                [&](Transaction& tx) -> Result<void> {
                  insert(tx, id);
                  return {};
                },
                joining))
          ++failures;
      });
    }
  }
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(count(*db, "SELECT count(*) FROM things"), 3);
  EXPECT_EQ(commits.load(), 2) << "the joiner shared the first one's commit; the one alone had its own";
}

}  // namespace jaring::store

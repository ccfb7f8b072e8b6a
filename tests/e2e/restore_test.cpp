// Issue 17, backups: a backup of contribution's store taken while registrations pour in (and
// contribution opens an account for each from the registration topic), more registrations after
// it, the volume lost, the backup restored into an empty store folder, the service started again.
// It must end with exactly one account per registered participant (the events consumed after
// the backup applied again from the offsets the store recorded, none twice), coverage's counters
// exact, and nothing published again by contribution. Prints the restore and catch-up times.

#include <sqlite3.h>

#include <filesystem>
#include <set>

#include "../chaos/chaos.hpp"
#include "jaring/kafka/kafka.hpp"
#include "topic_collector.hpp"

namespace jaring::e2e {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

class Restore : public chaos::ChaosTest {
 protected:
  Restore() : ChaosTest("jaring-restore") {}

  std::string store_of(const std::string& service) const {
    return stack_->environment(service).at("JARING_STORE_PATH");
  }

  // `jaring-<service> <verb> <arguments>` with the settings the running service has.
  std::pair<int, std::string> command(const std::string& service, const std::string& verb,
                                      const std::string& arguments) const {
    std::string line = "env";
    for (const auto& [key, value] : stack_->environment(service)) line += fmt::format(" {}='{}'", key, value);
    line +=
        fmt::format(" '{}' {} {}", (testing::bin_dir() / ("jaring-" + service)).string(), verb, arguments);
    return run(line, true);
  }

  // One number from a store file, read directly (-1 when it cannot be read).
  static std::int64_t count(const std::string& path, const char* sql) {
    sqlite3* db = nullptr;
    std::int64_t n = -1;
    if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
      sqlite3_busy_timeout(db, 5000);
      sqlite3_stmt* stmt = nullptr;
      if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) == SQLITE_OK && sqlite3_step(stmt) == SQLITE_ROW)
        n = sqlite3_column_int64(stmt, 0);
      sqlite3_finalize(stmt);
    }
    sqlite3_close(db);
    return n;
  }
  std::int64_t accounts() const { return count(store_of("contribution"), "SELECT count(*) FROM accounts"); }
  std::int64_t participants() const {
    return count(store_of("registration"), "SELECT count(*) FROM participants");
  }

  // Records on contribution's topic (every partition), duplicates included.
  std::int64_t contribution_records() const {
    const auto marks =
        kafka::high_watermarks({stack_->endpoints().kafka_bootstrap, {}}, {"jaring.contribution.v1"});
    std::int64_t total = 0;
    if (marks)
      for (const auto& [_, high] : *marks) total += high;
    return marks ? total : -1;
  }
};

TEST_F(Restore, BackupUnderWritesRestoredIntoAnEmptyFolderLosesAndDoublesNothing) {
  const int total = chaos::load_size(300, 3000);
  create_rws();
  std::atomic<int> acknowledged{0};
  // The second half waits for the backup, so that it certainly misses some accounts however slow
  // the machine (a loaded one let contribution apply all 300 before the backup began).
  std::atomic<bool> backup_taken{false};
  auto writer = keep_registering({.end = total, .pause_at = total / 2, .go = &backup_taken}, acknowledged);
  // Halfway, with contribution following (its consumer joins the group a few seconds in).
  ASSERT_TRUE(
      process::wait_for([&] { return acknowledged.load() >= total / 2 && accounts() > 0; }, 120s, 20ms));

  // The backup, while registrations go on and contribution applies them.
  const auto backup = (dir_.path() / "contribution.backup").string();
  const auto [backed_up, report] = command("contribution", "backup", "--to '" + backup + "'");
  backup_taken = true;
  std::cout << report;
  EXPECT_EQ(backed_up, 0) << report;
  EXPECT_NE(report.find("schema version"), std::string::npos) << report;
  EXPECT_NE(report.find("accounts:"), std::string::npos) << report;
  EXPECT_EQ(fs::status(backup).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
  const auto in_backup = count(backup, "SELECT count(*) FROM accounts");
  // The other stores back up the same way, registration's (sealed) under the same writes.
  for (const std::string service : {"registration", "claims", "csr-donor"}) {
    const auto [code, out] =
        command(service, "backup", "--to '" + (dir_.path() / service).string() + ".backup'");
    EXPECT_EQ(code, 0) << service << ": " << out;
    EXPECT_NE(out.find("schema version"), std::string::npos) << service << ": " << out;
  }
  // It refuses to overwrite a backup unless told to.
  EXPECT_NE(command("contribution", "backup", "--to '" + backup + "'").first, 0);
  writer.join();
  ASSERT_EQ(acknowledged.load(), total);

  // Contribution opened every account; what it published on its topic so far.
  ASSERT_TRUE(process::wait_for([&] { return accounts() == total; }, 60s, 100ms)) << accounts();
  ASSERT_TRUE(counters_become(expected(total)));
  // Everything its outbox held is on the topic (the load of four clerks may end before it is).
  ASSERT_TRUE(process::wait_for(
      [&] { return count(store_of("contribution"), "SELECT count(*) FROM outbox") == 0; }, 60s, 100ms));
  const auto published = contribution_records();
  ASSERT_GE(published, 0);
  std::cout << fmt::format("backup holds {} of {} accounts\n", in_backup, total);
  ASSERT_LT(in_backup, total) << "the second half of the registrations came after the backup";

  // Refused while the service holds its store.
  const auto [refused, why] = command("contribution", "restore", "--from '" + backup + "'");
  EXPECT_NE(refused, 0);
  EXPECT_NE(why.find("in use"), std::string::npos) << why;

  // The service stops and its volume is lost: the restore goes into an empty store folder.
  ASSERT_EQ(stack_->terminate("contribution").status, 0);
  const auto store = fs::path(store_of("contribution"));
  const auto lost = dir_.path() / "lost";
  fs::create_directories(lost);
  for (const auto* suffix : {"", "-wal", "-shm"}) {
    const fs::path file = store.string() + suffix;
    if (fs::exists(file)) fs::rename(file, lost / (store.filename().string() + suffix));
  }
  const auto restore_started = std::chrono::steady_clock::now();
  const auto [restored, restore_report] = command("contribution", "restore", "--from '" + backup + "'");
  const auto restore_took = std::chrono::steady_clock::now() - restore_started;
  std::cout << restore_report;
  ASSERT_EQ(restored, 0) << restore_report;
  EXPECT_EQ(accounts(), in_backup);

  // Started again, it reads the registration topic from where the backup stood and opens the
  // accounts it lost, each once.
  const auto start_again = std::chrono::steady_clock::now();
  stack_->restart("contribution");
  ASSERT_TRUE(process::wait_for([&] { return accounts() == total; }, 60s, 100ms))
      << accounts() << " accounts, " << total << " registered\n"
      << log_tail("contribution", 20);
  const auto caught_up = std::chrono::steady_clock::now() - start_again;
  EXPECT_EQ(participants(), total);
  EXPECT_EQ(count(store_of("contribution"), "SELECT count(DISTINCT participant_id) FROM accounts"), total);
  ASSERT_TRUE(counters_become(expected(total)));
  // Nothing published twice as a new fact: what contribution published again (the backup's
  // outbox, and the events of the accounts it opened again) carries the ids already on the topic,
  // which every consumer drops. A consumer of the topic sees `published` distinct events.
  // Once its outbox is empty, everything it publishes again is on the topic.
  ASSERT_TRUE(process::wait_for(
      [&] { return count(store_of("contribution"), "SELECT count(*) FROM outbox") == 0; }, 60s, 100ms));
  kafka::ConsumerOptions options;
  options.group_id = "restore-test-reader";
  options.topics = {"jaring.contribution.v1"};
  e2e::Collector collector;
  metrics::Registry registry("restore_test");
  kafka::Consumer reader({stack_->endpoints().kafka_bootstrap, {}}, options, collector, registry);
  reader.start();
  const auto on_topic = contribution_records();
  std::set<std::string> ids;
  ASSERT_TRUE(process::wait_for(
      [&] {
        ids.clear();
        std::int64_t n = 0;
        for (const auto& payload : collector.payloads()) {
          events::v1::Envelope e;
          if (e.ParseFromString(payload)) ids.insert(e.event_id());
          ++n;
        }
        return n >= on_topic;
      },
      60s, 100ms));
  reader.stop();
  std::cout << fmt::format(
      "contribution's topic: {} records before the restore, {} after, {} distinct events\n", published,
      on_topic, ids.size());
  EXPECT_EQ(static_cast<std::int64_t>(ids.size()), published);
  EXPECT_EQ(accounts(), total) << "no account opened twice after the catch-up";

  const auto ms = [](auto d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count(); };
  std::cout << fmt::format(
      "restore: {} ms for the restore command, {} ms from the service's start to every lost account "
      "applied again ({} of {} accounts were after the backup)\n",
      ms(restore_took), ms(caught_up), total - in_backup, total);
}

}  // namespace
}  // namespace jaring::e2e

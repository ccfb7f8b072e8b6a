#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "adapters/sqlite_store.hpp"
#include "core/registration.hpp"
#include "jaring/events/v1/envelope.pb.h"
#include "jaring/store/outbox.hpp"
#include "jaring/testing/sqlite.hpp"

namespace jaring::registration {
namespace {

using namespace std::chrono;

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = std::filesystem::temp_directory_path() /
            ("jaring-registration-" + std::to_string(::getpid()) + ".db");
    std::filesystem::remove(path_);
    db_ = store::Database::open(path_.string(), SqliteStore::migrations(*sealer_));
    db_->on_outbox_commit([this] { ++commits_; });
    store_ = std::make_unique<SqliteStore>(*db_, *sealer_, clock_);
    core_ = std::make_unique<Registration>(*store_, areas::Registry::jakarta(), areas::BranchMap::jakarta(),
                                           clock_);
    ASSERT_TRUE(core_->create_rw("31.75.06.1005", 2, 120));
  }
  void TearDown() override {
    db_.reset();
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path_.string() + suffix);
  }

  RegisterCommand worker(const std::string& nik, const std::string& key) {
    RegisterCommand c;
    c.idempotency_key = key;
    c.nik = nik;
    c.name = "Siti Aminah";
    c.birth_date = "1985-05-15";
    c.sex = "F";
    c.rw_code = "31.75.06.1005.002";
    c.rt = 1;
    c.category = "pkk";
    c.income_band = 1'500'000;
    c.programs = "jkk+jkm+jht";
    c.payer = "city_budget";
    return c;
  }

  // Every byte of the store's files (database, WAL), as they are on disk now.
  std::string file_bytes() const {
    std::string out;
    for (const char* suffix : {"", "-wal"}) {
      std::ifstream in(path_.string() + suffix, std::ios::binary);
      std::ostringstream text;
      text << in.rdbuf();
      out += text.str();
    }
    return out;
  }
  // Reopens the store with `keys`.
  void reopen(const crypto::Keys& keys) {
    core_.reset();
    store_.reset();
    db_.reset();
    sealer_ = std::make_unique<crypto::Sealer>(keys);
    db_ = store::Database::open(path_.string(), SqliteStore::migrations(*sealer_));
    db_->on_outbox_commit([this] { ++commits_; });
    store_ = std::make_unique<SqliteStore>(*db_, *sealer_, clock_);
    core_ = std::make_unique<Registration>(*store_, areas::Registry::jakarta(), areas::BranchMap::jakarta(),
                                           clock_);
  }

  std::filesystem::path path_;
  crypto::Keys keys_ = crypto::Keys::generate();
  std::unique_ptr<crypto::Sealer> sealer_ = std::make_unique<crypto::Sealer>(keys_);
  FixedClock clock_{sys_days{year{2026} / November / 21}};
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<SqliteStore> store_;
  std::unique_ptr<Registration> core_;
  int commits_ = 0;  // commits that wrote events: what wakes the outbox relay
};

TEST_F(SqliteStoreTest, ParticipantAndItsEventAreWrittenTogetherWithoutNikOrName) {
  auto p = core_->register_participant(worker("3175065505850002", "key-1"));
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(commits_, 2);  // the RW, then the participant

  auto stored = core_->get_participant(p->id);
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->nik, "3175065505850002");
  EXPECT_EQ(stored->rw_code, "31.75.06.1005.002");

  const auto outbox = store::outbox_fetch_unsent(*db_, 10);
  ASSERT_EQ(outbox.size(), 2u);
  EXPECT_EQ(outbox[1].topic, "jaring.registration.v1");
  EXPECT_EQ(outbox[1].key, p->id);
  EXPECT_EQ(outbox[1].payload.find("3175065505850002"), std::string::npos);
  EXPECT_EQ(outbox[1].payload.find("Siti"), std::string::npos);

  events::v1::Envelope envelope;
  ASSERT_TRUE(envelope.ParseFromString(outbox[1].payload));
  EXPECT_EQ(envelope.type(), "ParticipantRegistered");
  EXPECT_EQ(envelope.producer(), "registration");
  EXPECT_FALSE(envelope.event_id().empty());
  EXPECT_EQ(envelope.participant_registered().participant_id(), p->id);
  EXPECT_EQ(envelope.participant_registered().rw_code(), "31.75.06.1005.002");
  EXPECT_EQ(envelope.participant_registered().birth_year(), 1985);

  events::v1::Envelope rw_event;
  ASSERT_TRUE(rw_event.ParseFromString(outbox[0].payload));
  EXPECT_EQ(rw_event.rw_created().target(), 120);
  EXPECT_EQ(outbox[0].key, "31.75.06.1005.002");
}

TEST_F(SqliteStoreTest, RetriedKeyReturnsTheFirstAnswerAndWritesNothing) {
  auto first = core_->register_participant(worker("3175065505850002", "key-1"));
  auto second = core_->register_participant(worker("3175065505850002", "key-1"));
  ASSERT_TRUE(first);
  ASSERT_TRUE(second);
  EXPECT_EQ(first->id, second->id);
  EXPECT_EQ(store::outbox_backlog(*db_), 2);
  EXPECT_EQ(commits_, 2);  // the RW, then the participant: the retry wakes nobody
}

TEST_F(SqliteStoreTest, SecondActiveParticipationIsRefusedAndLeavesNoTrace) {
  auto first = core_->register_participant(worker("3175065505850002", "key-1"));
  ASSERT_TRUE(first);
  auto second = core_->register_participant(worker("3175065505850002", "key-2"));
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, ErrorCode::kAlreadyExists);
  EXPECT_NE(second.error().message.find(first->id), std::string::npos);
  EXPECT_EQ(store::outbox_backlog(*db_), 2);
  EXPECT_FALSE(store_->find_idempotency_key("key-2"));
}

// Under one index key the unique index itself refuses a NIK's second active participation: the
// refused insert takes nothing of the rows around it in the same transaction with it.
TEST_F(SqliteStoreTest, ANikTwiceInOneBulkTransactionIsRefusedOnceAndTheOtherRowsStay) {
  auto other = worker("3175066505850003", "bulk-3");
  other.birth_date = "1985-05-25";
  const auto outcomes = core_->register_bulk(
      {worker("3175065505850002", "bulk-1"), worker("3175065505850002", "bulk-2"), other});
  ASSERT_EQ(outcomes.size(), 3U);
  ASSERT_TRUE(outcomes[0].result) << outcomes[0].result.error().message;
  ASSERT_FALSE(outcomes[1].result);
  EXPECT_EQ(outcomes[1].result.error().code, ErrorCode::kAlreadyExists);
  EXPECT_NE(outcomes[1].result.error().message.find(outcomes[0].result->id), std::string::npos);
  ASSERT_TRUE(outcomes[2].result) << outcomes[2].result.error().message;
  EXPECT_EQ(store_->find_by_nik("3175065505850002")->id, outcomes[0].result->id);
  EXPECT_EQ(store_->find_by_nik("3175066505850003")->id, outcomes[2].result->id);
  EXPECT_FALSE(store_->find_idempotency_key("bulk-2")) << "the refused row's key is free again";
  EXPECT_EQ(store::outbox_backlog(*db_), 3);  // the RW and the two participants
}

// A table written for every registration must not build a temporary table on each insert.
TEST_F(SqliteStoreTest, NoTableBuildsATemporaryTableOnEachInsert) {
  EXPECT_EQ(jaring::testing::tables_with_temporary_tables_on_insert(*db_), std::vector<std::string>{});
}

TEST_F(SqliteStoreTest, BulkWritesGoodRowsInOneTransactionAndRefusesRepeatsAlone) {
  std::vector<RegisterCommand> rows{worker("3175065505850002", "b-1"), worker("3175066505850003", "b-2"),
                                    worker("3175065505850002", "b-3")};
  rows[1].birth_date = "1985-05-25";
  const auto outcomes = core_->register_bulk(rows);
  ASSERT_TRUE(outcomes[0].result) << outcomes[0].result.error().message;
  ASSERT_TRUE(outcomes[1].result) << outcomes[1].result.error().message;
  ASSERT_FALSE(outcomes[2].result);
  EXPECT_TRUE(outcomes[2].already_present);
  EXPECT_NE(outcomes[2].result.error().message.find(outcomes[0].result->id), std::string::npos);
  EXPECT_EQ(store::outbox_backlog(*db_), 3);  // the RW and two participants
  EXPECT_EQ(commits_, 2);                     // the RW, then one transaction for the batch
}

// The store keeps the RWs it read (every registration looks its RW up): a change through it is
// what the next look-up answers, and a code it did not find is found once created.
TEST_F(SqliteStoreTest, AnRwReadBeforeItChangesIsAnsweredAsChangedAndOneMissedIsFoundOnceCreated) {
  const auto before = store_->find_rw("31.75.06.1005.002");
  ASSERT_TRUE(before);
  EXPECT_EQ(before->target, 120);
  ASSERT_TRUE(core_->update_rw({"31.75.06.1005.002", 150, false}));
  const auto after = store_->find_rw("31.75.06.1005.002");
  ASSERT_TRUE(after);
  EXPECT_EQ(after->target, 150);
  EXPECT_FALSE(after->active);
  const auto refused = core_->register_participant(worker("3175065505850002", "key-1"));
  ASSERT_FALSE(refused);
  ASSERT_EQ(refused.error().violations.size(), 1U);
  EXPECT_EQ(refused.error().violations[0].field, "rw_code");

  EXPECT_FALSE(store_->find_rw("31.75.06.1005.003"));
  ASSERT_TRUE(core_->create_rw("31.75.06.1005", 3, 0));
  const auto created = store_->find_rw("31.75.06.1005.003");
  ASSERT_TRUE(created);
  EXPECT_TRUE(created->active);
  auto moved = worker("3175065505850002", "key-2");
  moved.rw_code = "31.75.06.1005.003";
  EXPECT_TRUE(core_->register_participant(moved));
}

// Two operators change one RW at once, one its target and the other whether it is active: each
// change is read and written in one transaction, so neither undoes the other, and the RW the store
// keeps for registrations is the last one committed, whichever thread got back first.
TEST_F(SqliteStoreTest, ChangesOfOneRwAtOnceAllStayAndTheKeptRwIsTheLastCommitted) {
  constexpr int kChanges = 200;
  const std::string code = "31.75.06.1005.002";
  std::thread targets([&] {
    for (int i = 1; i <= kChanges; ++i) ASSERT_TRUE(core_->update_rw({code, 1000 + i, std::nullopt}));
  });
  std::thread switches([&] {
    for (int i = 1; i <= kChanges; ++i) ASSERT_TRUE(core_->update_rw({code, std::nullopt, i % 2 == 0}));
  });
  targets.join();
  switches.join();
  const auto stored = db_->read([&](store::Database& db) {
    auto s = db.prepare("SELECT target, active FROM rws WHERE code = ?");
    EXPECT_TRUE(s.bind(1, code).step());
    return std::pair{s.column_int(0), s.column_int(1)};
  });
  EXPECT_EQ(stored.first, 1000 + kChanges);  // the last target, not one an active switch wrote back
  EXPECT_EQ(stored.second, 1);               // the last switch (200 is even: active)
  const auto kept = store_->find_rw(code);
  ASSERT_TRUE(kept);
  EXPECT_EQ(kept->target, stored.first);
  EXPECT_EQ(kept->active, stored.second == 1);
  // Every change was saved with its event.
  EXPECT_EQ(store::outbox_backlog(*db_), 1 + 2 * kChanges);  // the RW's creation and each change
}

TEST_F(SqliteStoreTest, UpdatesMovesAndExitsAreStoredWithTheirEvents) {
  ASSERT_TRUE(core_->create_rw("31.75.06.1005", 3, 0));
  auto p = core_->register_participant(worker("3175065505850002", "key-1"));
  ASSERT_TRUE(p);
  ASSERT_TRUE(core_->update_participant(
      {"u", p->id, "081299990000", std::nullopt, std::nullopt, std::nullopt, std::nullopt}));
  ASSERT_TRUE(core_->move_participant({"m", p->id, "31.75.06.1005.003", 9, "2026-11-20"}));
  ASSERT_TRUE(core_->exit_participant({"x", p->id, "became_wage_earner", "2026-11-21"}));
  const auto stored = store_->find_participant(p->id);
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->phone, "081299990000");
  EXPECT_EQ(stored->rw_code, "31.75.06.1005.003");
  EXPECT_EQ(stored->rt, 9);
  EXPECT_EQ(stored->status, "exited");
  EXPECT_EQ(stored->exit_reason, "became_wage_earner");
  std::vector<std::string> types;
  for (const auto& m : store::outbox_fetch_unsent(*db_, 100)) {
    events::v1::Envelope e;
    ASSERT_TRUE(e.ParseFromString(m.payload));
    types.push_back(e.type());
  }
  EXPECT_EQ(types, (std::vector<std::string>{"RwCreated", "RwCreated", "ParticipantRegistered",
                                             "ParticipantUpdated", "ParticipantMoved", "ParticipantExited"}));
  // The NIK is free again, and the key of the exit answers with the exited participant.
  EXPECT_FALSE(store_->find_by_nik("3175065505850002")->status == "active");
  EXPECT_EQ(store_->find_by_nik("3175065505850002")->id, p->id);
  EXPECT_EQ(store_->find_idempotency_key("x"), p->id);
  // Registered again: the NIK finds the active participation, not the ended one.
  auto again = core_->register_participant(worker("3175065505850002", "key-2"));
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(store_->find_by_nik("3175065505850002")->id, again->id);
  EXPECT_FALSE(store_->find_by_nik("3175065505850003"));
}

TEST_F(SqliteStoreTest, HistoryEntriesReplaceTheirDayAndComeBackInDayOrderWithTheChangeThatAddedThem) {
  auto p = core_->register_participant(worker("3175065505850002", "key-1"));
  ASSERT_TRUE(p);
  EXPECT_TRUE(store_->history(p->id).empty());
  History added;
  added.bands = {{"2026-11-21", 1'500'000}, {"2026-11-25", 2'000'000}};
  added.branches = {{"2026-11-21", "pulogebang"}, {"2026-11-23", "ceger"}};
  ASSERT_TRUE(store_->save_participant(*p, ParticipantUpdatedEvent{*p, p->payer}, "h-1", added));
  // The same day again replaces its entry; an earlier day sorts first.
  History more;
  more.bands = {{"2026-11-25", 2'500'000}, {"2026-11-20", 1'000'000}};
  ASSERT_TRUE(store_->save_participant(*p, ParticipantUpdatedEvent{*p, p->payer}, "h-2", more));
  const auto history = store_->history(p->id);
  ASSERT_EQ(history.bands.size(), 3u);
  EXPECT_EQ(history.bands[0].since, "2026-11-20");
  EXPECT_EQ(history.bands[1].income_band, 1'500'000);
  EXPECT_EQ(history.bands[2].since, "2026-11-25");
  EXPECT_EQ(history.bands[2].income_band, 2'500'000);
  ASSERT_EQ(history.branches.size(), 2u);
  EXPECT_EQ(history.branches[1].since, "2026-11-23");
  EXPECT_EQ(history.branches[1].branch_code, "ceger");
  EXPECT_TRUE(store_->history("p_other").empty());

  // A retried key answers with its first change and writes no history.
  History refused;
  refused.bands = {{"2026-11-26", 3'000'000}};
  ASSERT_TRUE(store_->save_participant(*p, ParticipantUpdatedEvent{*p, p->payer}, "h-1", refused));
  EXPECT_EQ(store_->history(p->id).bands.size(), 3u);
}

// GetParticipantFacts' read: the participation and its history, its personal data never unsealed
// (a store whose keys cannot open it still answers) and never returned.
TEST_F(SqliteStoreTest, FactsComeWithTheirHistoryAndWithoutUnsealingPersonalData) {
  auto p = core_->register_participant(worker("3175065505850002", "key-1"));
  ASSERT_TRUE(p);
  History added;
  added.bands = {{"2026-11-21", 1'500'000}, {"2026-11-25", 2'000'000}};
  ASSERT_TRUE(store_->save_participant(*p, ParticipantUpdatedEvent{*p, p->payer}, "h-1", added));
  EXPECT_FALSE(store_->find_facts("p_other"));

  reopen(crypto::Keys::generate());
  EXPECT_THROW(store_->find_participant(p->id), store::StoreError);
  const auto facts = store_->find_facts(p->id);
  ASSERT_TRUE(facts);
  const auto& known = facts->participant;
  EXPECT_EQ(known.id, p->id);
  EXPECT_EQ(known.rw_code, "31.75.06.1005.002");
  EXPECT_EQ(known.category, "pkk");
  EXPECT_EQ(known.payer, "city_budget");
  EXPECT_EQ(known.status, "active");
  EXPECT_EQ(known.registered_at, p->registered_at);
  EXPECT_TRUE(known.nik.empty() && known.name.empty() && known.birth_date.empty() && known.phone.empty());
  ASSERT_EQ(facts->history.bands.size(), 2u);
  EXPECT_EQ(facts->history.bands[1].income_band, 2'000'000);
}

TEST_F(SqliteStoreTest, StateSurvivesReopeningTheFile) {
  auto p = core_->register_participant(worker("3175065505850002", "key-1"));
  ASSERT_TRUE(p);
  store_.reset();
  db_ = store::Database::open(path_.string(), SqliteStore::migrations(*sealer_));
  SqliteStore reopened(*db_, *sealer_, clock_);
  EXPECT_TRUE(reopened.find_participant(p->id));
  EXPECT_EQ(reopened.list_rws("31.75.06.1005").size(), 1u);
}

TEST_F(SqliteStoreTest, NikNamePhoneAndBirthDateAreSealedOnDiskAndStillFoundByNik) {
  auto p = core_->register_participant(worker("3175065505850002", "key-1"));
  ASSERT_TRUE(p);
  ASSERT_TRUE(core_->update_participant(
      {"u", p->id, "081299990000", std::nullopt, std::nullopt, std::nullopt, std::nullopt}));
  ASSERT_TRUE(store_->insert_agent(
      {"AG-1", "Budi Santoso", "081377770000", "JKT-TIMUR", "PKK Cakung", "2026-11-21"}, Event{}, ""));
  const auto bytes = file_bytes();
  for (const char* secret :
       {"3175065505850002", "Siti Aminah", "1985-05-15", "081299990000", "Budi Santoso", "081377770000"}) {
    EXPECT_EQ(bytes.find(secret), std::string::npos) << secret << " is in the store's files";
  }
  EXPECT_EQ(store_->find_by_nik("3175065505850002")->name, "Siti Aminah");
  EXPECT_EQ(store_->find_agent("AG-1")->phone, "081377770000");
  // A store opened with other keys cannot read it, and says so rather than answer.
  reopen(crypto::Keys::generate());
  EXPECT_THROW(store_->find_participant(p->id), store::StoreError);
  EXPECT_FALSE(store_->find_by_nik("3175065505850002")) << "a blind index under another key matches nothing";
}

TEST_F(SqliteStoreTest, AStoreWrittenInClearIsSealedWhenOpenedAndKeepsNoClearCopy) {
  // The file as the release before sealing left it: its first four migrations, values in clear.
  core_.reset();
  store_.reset();
  db_.reset();
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path_.string() + suffix);
  auto migrations = SqliteStore::migrations(*sealer_);
  migrations.resize(4);
  {
    auto old = store::Database::open(path_.string(), migrations);
    ASSERT_TRUE(old->write([](store::Transaction& tx) -> Result<void> {
      tx.exec(
          "INSERT INTO rws (code, kelurahan_code, kelurahan_name, target) VALUES ('31.75.06.1005.002', "
          "'31.75.06.1005', 'Cakung Barat', 100);"
          "INSERT INTO participants (id, nik, name, birth_date, sex, phone, rw_code, rt, category, "
          "income_band, "
          "programs, payer, agent_id, branch_code, status, registered_at) VALUES ('P-1', '3175065505850002', "
          "'Siti Aminah', '1985-05-15', 'F', '081299990000', '31.75.06.1005.002', 1, 'pkk', 1500000, "
          "'jkk+jkm', "
          "'self', 'AG-1', 'JKT-TIMUR', 'active', '2026-01-02T03:04:05Z');"
          "INSERT INTO agents (id, name, phone, branch_code, organisation, registered_at) VALUES ('AG-1', "
          "'Budi Santoso', '081377770000', 'JKT-TIMUR', 'PKK', '2026-01-01');");
      return {};
    }));
  }
  reopen(keys_);
  const auto bytes = file_bytes();
  for (const char* secret : {"3175065505850002", "Siti Aminah", "081299990000", "Budi Santoso"}) {
    EXPECT_EQ(bytes.find(secret), std::string::npos) << secret << " stayed in clear";
  }
  const auto found = store_->find_by_nik("3175065505850002");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->id, "P-1");
  EXPECT_EQ(found->phone, "081299990000");
  EXPECT_EQ(store_->find_agent("AG-1")->name, "Budi Santoso");
  // The unique index moved to the blind index: the NIK cannot be registered twice.
  auto again = core_->register_participant(worker("3175065505850002", "key-2"));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kAlreadyExists);
}

TEST_F(SqliteStoreTest, AfterRotationOldValuesReadUntilResealedAndThenTheOldKeyIsNotNeeded) {
  auto p = core_->register_participant(worker("3175065505850002", "key-1"));
  ASSERT_TRUE(p);
  const auto rotated = keys_.with_new_data_key().with_new_index_key();
  reopen(rotated);
  EXPECT_EQ(store_->find_participant(p->id)->name, "Siti Aminah") << "key 1 still reads";
  EXPECT_EQ(store_->find_by_nik("3175065505850002")->id, p->id)
      << "the index under index key 1 still matches";
  auto twice = core_->register_participant(worker("3175065505850002", "key-2"));
  ASSERT_FALSE(twice) << "uniqueness holds across index keys";
  auto other = worker("3175066505850003", "key-3");
  other.birth_date = "1985-05-25";
  auto second = core_->register_participant(other);
  ASSERT_TRUE(second) << second.error().message;

  for (const auto& table : SqliteStore::sealed_tables()) crypto::reseal(*db_, *sealer_, table);
  const auto census = crypto::census(*db_, *sealer_, SqliteStore::sealed_tables().front());
  EXPECT_EQ(census.values_by_key, (std::map<std::uint32_t, std::int64_t>{{2, 2}})) << "no value under key 1";
  EXPECT_EQ(census.stale_indexes, 0);

  // Key 1 removed from the file: everything still reads and is found.
  auto yaml = rotated.to_yaml();
  const auto drop_first = [&](const std::string& section) {
    const auto at = yaml.find("1: ", yaml.find(section));
    yaml.erase(at, yaml.find('\n', at) - at + 1);
  };
  drop_first("data:");
  drop_first("index:");
  const auto only_new = crypto::Keys::parse(yaml, "test").value();
  ASSERT_EQ(only_new.data().keys.size(), 1U);
  reopen(only_new);
  EXPECT_EQ(store_->find_participant(p->id)->birth_date, "1985-05-15");
  EXPECT_EQ(store_->find_by_nik("3175065505850002")->name, "Siti Aminah");
  EXPECT_EQ(store_->find_by_nik("3175066505850003")->id, second->id);
}

}  // namespace
}  // namespace jaring::registration

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include <fmt/format.h>

#include "jaring/crypto/keys.hpp"
#include "jaring/crypto/sealed_table.hpp"
#include "jaring/crypto/sealer.hpp"
#include "jaring/testing/fixtures.hpp"

namespace jaring::crypto {
namespace {

namespace fs = std::filesystem;

TEST(Keys, GeneratedKeysRoundTripThroughTheFileReadableByItsOwnerOnly) {
  testing::TempDir dir("jaring_keys");
  const auto path = (dir.path() / "keys.yaml").string();
  const auto keys = Keys::generate().with_new_data_key();
  ASSERT_TRUE(keys.write(path));
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);

  const auto loaded = Keys::load(path);
  ASSERT_TRUE(loaded) << loaded.error().violations.at(0).rule;
  EXPECT_EQ(loaded->data().current, 2U);
  EXPECT_EQ(loaded->data().keys, keys.data().keys);
  EXPECT_EQ(loaded->index().current, 1U);
  EXPECT_EQ(loaded->index().keys, keys.index().keys);
  EXPECT_NE(keys.data().keys.at(1), keys.data().keys.at(2));
}

TEST(Keys, ABrokenFileNamesTheEntryAndNeverAKey) {
  const std::string key = "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWY";  // 32 bytes
  const std::string short_key = "c2VjcmV0LXRvby1zaG9ydA";                 // 16 bytes
  struct Case {
    std::string yaml;
    std::string rule;
  };
  const Case cases[] = {
      {"data: {current: 1, keys: {1: " + short_key + "}}\nindex: {current: 1, keys: {1: " + key + "}}",
       "key 1 must be 32 bytes"},
      {"data: {current: 2, keys: {1: " + key + "}}\nindex: {current: 1, keys: {1: " + key + "}}",
       "`current` must be the id of one of its keys"},
      {"data: {current: 1, keys: {0: " + key + "}}\nindex: {current: 1, keys: {1: " + key + "}}",
       "key ids are whole numbers from 1"},
      {"data: {current: 1, keys: {1: " + key + "}}", "missing"},
      {"data: [", "not YAML"},
  };
  for (const auto& c : cases) {
    const auto parsed = Keys::parse(c.yaml, "keys.yaml");
    ASSERT_FALSE(parsed) << c.yaml;
    const auto& v = parsed.error().violations.at(0);
    EXPECT_NE(v.rule.find(c.rule), std::string::npos) << v.field << ": " << v.rule;
    EXPECT_EQ((v.field + v.rule).find(short_key), std::string::npos);
    EXPECT_EQ((v.field + v.rule).find(key), std::string::npos);
  }
}

TEST(Sealer, SealedValuesOpenOnlyInTheirOwnContextAndHideTheirBytes) {
  const Sealer sealer(Keys::generate());
  const std::string nik = "3171012345678901";
  const auto a = sealer.seal(nik, "participants.nik:P1");
  const auto b = sealer.seal(nik, "participants.nik:P1");
  EXPECT_NE(a, b) << "a fresh nonce each time";
  EXPECT_EQ(a.find(nik), std::string::npos);
  EXPECT_EQ(Sealer::key_id(a), 1U);
  EXPECT_EQ(sealer.open(a, "participants.nik:P1").value(), nik);
  EXPECT_FALSE(sealer.open(a, "participants.nik:P2")) << "moved to another row";
  EXPECT_FALSE(sealer.open(a, "participants.name:P1")) << "moved to another column";
  auto altered = a;
  altered[20] = static_cast<char>(altered[20] ^ 1);
  EXPECT_FALSE(sealer.open(altered, "participants.nik:P1"));
  EXPECT_EQ(sealer.open(sealer.seal("", "c"), "c").value(), "") << "an empty value seals too";
  EXPECT_FALSE(Sealer::key_id(nik));
}

// Nonces come from a pool each thread draws ahead: a forked child must not hand out the nonces
// its parent hands out next (the same nonce under the same key would reveal both plaintexts).
TEST(Sealer, AForkedChildDrawsNoncesOfItsOwn) {
  const Sealer sealer(Keys::generate());
  // A sealed value starts with a 6-byte header, then its 12-byte nonce.
  const auto nonce = [](const std::string& sealed) { return sealed.substr(6, 12); };
  (void)sealer.seal("x", "c");  // this thread's pool is drawn before the fork
  std::array<int, 2> pipe_fds{};
  ASSERT_EQ(::pipe(pipe_fds.data()), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    const auto n = nonce(sealer.seal("x", "c"));
    const auto written = ::write(pipe_fds[1], n.data(), n.size());
    ::_exit(written == static_cast<ssize_t>(n.size()) ? 0 : 1);
  }
  ::close(pipe_fds[1]);
  std::string from_child(12, '\0');
  ASSERT_EQ(::read(pipe_fds[0], from_child.data(), from_child.size()), 12);
  ::close(pipe_fds[0]);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_NE(from_child, nonce(sealer.seal("x", "c"))) << "the child repeated its parent's next nonce";
}

TEST(Sealer, AValueUnderAnOlderKeyStillOpensAfterRotationAndAnUnknownKeyIsNamed) {
  const auto first = Keys::generate();
  const auto second = first.with_new_data_key();
  const Sealer old_sealer(first);
  const Sealer new_sealer(second);
  const auto sealed = old_sealer.seal("Siti Aminah", "ctx");
  EXPECT_EQ(new_sealer.open(sealed, "ctx").value(), "Siti Aminah");
  EXPECT_EQ(Sealer::key_id(new_sealer.seal("x", "ctx")), 2U);

  const auto newer = new_sealer.seal("Siti Aminah", "ctx");
  const auto missing = old_sealer.open(newer, "ctx");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("data key 2"), std::string::npos) << missing.error().message;
}

TEST(Sealer, BlindIndexesAreStablePerKeyAndLookUpsCoverEveryIndexKey) {
  const auto keys = Keys::generate();
  const Sealer a(keys);
  const Sealer again(keys);
  const Sealer other(Keys::generate());
  EXPECT_EQ(a.blind_index("3171012345678901"), again.blind_index("3171012345678901"));
  EXPECT_NE(a.blind_index("3171012345678901"), a.blind_index("3171012345678902"));
  EXPECT_NE(a.blind_index("3171012345678901"), other.blind_index("3171012345678901"));
  EXPECT_EQ(Sealer::index_key_id(a.blind_index("x")), 1U);

  const Sealer rotated(keys.with_new_index_key());
  const auto all = rotated.blind_indexes("3171012345678901");
  ASSERT_EQ(all.size(), 2U);
  EXPECT_EQ(Sealer::index_key_id(all[0]), 2U) << "the current key first";
  EXPECT_EQ(all[1], a.blind_index("3171012345678901"));
}

class SealedTableTest : public ::testing::Test {
 protected:
  SealedTableTest() {
    db_ =
        store::Database::open((dir_.path() / "t.db").string(),
                              {{1,
                                "CREATE TABLE people (id TEXT PRIMARY KEY, seq INTEGER NOT NULL, nik, name, "
                                "nik_index BLOB) WITHOUT ROWID"}});
  }
  // Rows written before sealing: clear text and no index.
  void insert_clear(int n) {
    ASSERT_TRUE(db_->write([&](store::Transaction& tx) -> Result<void> {
      auto s = tx.prepare("INSERT INTO people (id, seq, nik, name) VALUES (?, ?, ?, ?)");
      for (int i = 0; i < n; ++i) {
        s.bind(1, fmt::format("P{:04}", i)).bind(2, i).bind(3, fmt::format("317101{:010}", i));
        s.bind(4, fmt::format("Warga {}", i)).run();
      }
      return {};
    }));
  }
  std::string read(const Sealer& sealer, const std::string& id, const char* column) {
    return db_->read([&](store::Database& db) {
      auto s = db.prepare(fmt::format("SELECT {} FROM people WHERE id = ?", column));
      EXPECT_TRUE(s.bind(1, id).step());
      return open_column(sealer, s, 0, context("people", column, id));
    });
  }

  testing::TempDir dir_{"jaring_sealed"};
  std::unique_ptr<store::Database> db_;
  const SealedTable table_{"people", {"id"}, {"nik", "name"}, "nik", "nik_index"};
};

TEST_F(SealedTableTest, ResealSealsClearRowsThenMovesEveryValueToTheNewKeyAndLeavesNoneUnderTheOld) {
  insert_clear(1234);
  const auto keys = Keys::generate();
  const Sealer first(keys);
  EXPECT_EQ(census(*db_, first, table_).values_by_key.at(0), 2468);

  const auto sealed = reseal(*db_, first, table_, 500);
  EXPECT_EQ(sealed.rows, 1234);
  EXPECT_EQ(sealed.rewritten, 1234);
  auto counts = census(*db_, first, table_);
  EXPECT_EQ(counts.values_by_key, (std::map<std::uint32_t, std::int64_t>{{1, 2468}}));
  EXPECT_EQ(counts.stale_indexes, 0);
  EXPECT_EQ(read(first, "P0007", "name"), "Warga 7");
  EXPECT_EQ(reseal(*db_, first, table_).rewritten, 0) << "nothing to do the second time";

  const Sealer second(keys.with_new_data_key().with_new_index_key());
  EXPECT_EQ(read(second, "P0007", "nik"), "3171010000000007") << "the old key still reads";
  EXPECT_EQ(reseal(*db_, second, table_, 100).rewritten, 1234);
  counts = census(*db_, second, table_);
  EXPECT_EQ(counts.values_by_key, (std::map<std::uint32_t, std::int64_t>{{2, 2468}}));
  EXPECT_EQ(counts.stale_indexes, 0);
  const auto index = db_->read([&](store::Database& db) {
    auto s = db.prepare("SELECT nik_index FROM people WHERE id = 'P1233'");
    EXPECT_TRUE(s.step());
    return s.column_blob(0);
  });
  EXPECT_EQ(index, second.blind_index("3171010000001233"));
}

TEST_F(SealedTableTest, CompositeKeysAndAMissingKeyFailLoudly) {
  insert_clear(3);
  const SealedTable by_pair{"people", {"id", "seq"}, {"name"}, "", ""};
  const Sealer sealer(Keys::generate());
  EXPECT_EQ(reseal(*db_, sealer, by_pair, 2).rewritten, 3);
  const auto name = db_->read([&](store::Database& db) {
    auto s = db.prepare("SELECT name FROM people WHERE id = 'P0002'");
    EXPECT_TRUE(s.step());
    return open_column(sealer, s, 0, context("people", "name", "P0002/2"));
  });
  EXPECT_EQ(name, "Warga 2");

  const Sealer stranger(Keys::generate().with_new_data_key());
  try {
    read(stranger, "P0001", "name");
    FAIL() << "a value that does not open must not read as anything";
  } catch (const store::StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("people.name"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace jaring::crypto

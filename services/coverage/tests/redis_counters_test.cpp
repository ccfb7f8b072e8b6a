#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

#include <fmt/format.h>

#include "adapters/redis_counters.hpp"
#include "jaring/common/ids.hpp"
#include "jaring/testing/fixtures.hpp"

namespace jaring::coverage {
namespace {

constexpr const char* kRw = "31.75.06.1005.002";
constexpr const char* kPartition = "jaring.registration.v1:3";

PositionedChange registration(std::int64_t offset, const std::string& event_id, const std::string& rw = kRw) {
  return {kPartition, offset, {event_id, {{CounterOp::Kind::kIncrement, rw, "registered", 1}}}};
}

class RedisCountersTest : public ::testing::Test {
 protected:
  testing::RedisServer server_;
  redis::Client client_{"127.0.0.1", server_.port(), {.password = server_.password()}};
  RedisCounters counters_{client_, "t:", std::chrono::seconds(3600)};

  // As on a Redis whose first generation a rebuild installed: no legacy seen hashes (see the header).
  void without_legacy_hashes() { ASSERT_TRUE(client_.command({"SET", "t:seen-legacy-until", "0"})); }
  std::vector<std::string> keys(const std::string& pattern) {
    auto reply = client_.command({"KEYS", pattern});
    EXPECT_TRUE(reply);
    std::vector<std::string> out;
    if (reply) {
      for (const auto& key : reply->elements) out.push_back(key.str);
    }
    return out;
  }
  std::int64_t integer(const redis::Command& command) {
    auto reply = client_.command(command);
    EXPECT_TRUE(reply && !reply->is_error());
    return reply ? reply->as_int() : -3;
  }

  std::int64_t registered(const std::string& rw = kRw) {
    auto found = counters_.rw(rw);
    EXPECT_TRUE(found && *found);
    return (found && *found) ? (*found)->counters.registered : -1;
  }
};

TEST_F(RedisCountersTest, AppliesABatchAndRecordsTheOffsetReached) {
  std::vector<PositionedChange> batch;
  batch.reserve(10);
  for (int i = 0; i < 10; ++i) batch.push_back(registration(i, "e" + std::to_string(i)));
  auto stats = counters_.apply(batch, {{kPartition, 10}});
  ASSERT_TRUE(stats) << stats.error().message;
  EXPECT_EQ(stats->applied, 10);
  EXPECT_EQ(registered(), 10);
  auto offsets = counters_.offsets({kPartition, "jaring.registration.v1:4"});
  ASSERT_TRUE(offsets);
  EXPECT_EQ(offsets->at(kPartition), 10);
  EXPECT_FALSE(offsets->contains("jaring.registration.v1:4"));
}

TEST_F(RedisCountersTest, AReplayedBatchCountsNothingTwice) {
  std::vector<PositionedChange> batch{registration(0, "a"), registration(1, "b")};
  ASSERT_TRUE(counters_.apply(batch, {{kPartition, 2}}));
  // The same batch again, as after a crash before the Kafka commit, plus one new event.
  batch.push_back(registration(2, "c"));
  auto stats = counters_.apply(batch, {{kPartition, 3}});
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->applied, 1);
  EXPECT_EQ(stats->skipped, 2);
  EXPECT_EQ(registered(), 3);
}

// Without ids, only the offsets tell a replay: each partition's events from the stored offset on
// count, in runs of consecutive offsets and across the gaps between them (events that change no
// counter are not sent).
TEST_F(RedisCountersTest, EventsWithoutIdsCountFromEachPartitionsStoredOffsetOn) {
  constexpr const char* kOther = "jaring.contribution.v1:1";
  const auto at = [](const char* partition, std::int64_t offset) {
    return PositionedChange{partition, offset, {"", {{CounterOp::Kind::kIncrement, kRw, "registered", 1}}}};
  };
  auto first =
      counters_.apply({at(kPartition, 0), at(kPartition, 1), at(kPartition, 2), at(kOther, 5), at(kOther, 7)},
                      {{kPartition, 3}, {kOther, 8}});
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(first->applied, 5);
  // Replayed in part, with new events after it: 1 and 2 of the first partition and 7 of the other
  // were applied; 3, 4, 6 (after a gap) and 8 were not.
  auto second = counters_.apply({at(kPartition, 1), at(kPartition, 2), at(kPartition, 3), at(kPartition, 4),
                                 at(kPartition, 6), at(kOther, 7), at(kOther, 8)},
                                {{kPartition, 7}, {kOther, 9}});
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(second->applied, 4);
  EXPECT_EQ(second->skipped, 3);
  EXPECT_EQ(registered(), 9);
  auto offsets = counters_.offsets({});
  ASSERT_TRUE(offsets);
  EXPECT_EQ(offsets->at(kPartition), 7);
  EXPECT_EQ(offsets->at(kOther), 9);
}

TEST_F(RedisCountersTest, ARepublishedEventIdIsSkippedAtANewOffset) {
  ASSERT_TRUE(counters_.apply({registration(0, "same")}, {{kPartition, 1}}));
  auto stats = counters_.apply({registration(7, "same")}, {{kPartition, 8}});
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->skipped, 1);
  EXPECT_EQ(registered(), 1);
}

// An id as Jaring makes them (common/ids.cpp): "e_", milliseconds, 20 hex digits of random bits.
std::string id_made_at(std::int64_t ms, std::uint64_t random) {
  return fmt::format("e_{:012x}{:04x}{:016x}", ms, random >> 48U, random * 0x9e3779b97f4a7c15ULL);
}

// The member of the seen set that remembers a Jaring id: its last 60 bits, in decimal.
std::string member_of(const std::string& id) {
  return std::to_string(std::stoull(id.substr(id.size() - 15), nullptr, 16));
}

TEST_F(RedisCountersTest, AnEventIdIsRememberedForTheDedupeTtlAfterItsSetWasLastWritten) {
  without_legacy_hashes();
  const auto id = new_id("e_");
  ASSERT_TRUE(counters_.apply({registration(0, id)}, {{kPartition, 1}}));
  EXPECT_TRUE(keys("t:seen:*").empty());
  const auto found = keys("t:ids:*");
  ASSERT_EQ(found.size(), 1u);
  const auto& key = found[0];
  // Under the second the id was made in; the member is its random part.
  const auto ms = std::stoll(id.substr(2, 12), nullptr, 16);
  EXPECT_TRUE(key.starts_with(fmt::format("t:ids:{}:", ms / 1000))) << key;
  auto members = client_.command({"SMEMBERS", key});
  ASSERT_TRUE(members);
  ASSERT_EQ(members->elements.size(), 1u);
  EXPECT_EQ(members->elements[0].str, member_of(id));
  const auto ttl_of = [this](const std::string& k) { return integer({"TTL", k}); };
  EXPECT_GT(ttl_of(key), 3500);
  EXPECT_LE(ttl_of(key), 3600);

  // Re-published within the ttl: skipped.
  auto again = counters_.apply({registration(5, id)}, {{kPartition, 6}});
  ASSERT_TRUE(again);
  EXPECT_EQ(again->skipped, 1);

  // Another id of the same set, added later, keeps the set (and the first id) for a whole ttl.
  ASSERT_TRUE(client_.command({"EXPIRE", key, "10"}));
  std::string neighbour;
  for (std::uint64_t r = 1; neighbour.empty(); ++r) {
    const auto candidate = id_made_at(ms, r);
    ASSERT_TRUE(counters_.apply({registration(5 + static_cast<std::int64_t>(r), candidate)},
                                {{kPartition, 6 + static_cast<std::int64_t>(r)}}));
    if (integer({"SCARD", key}) == 2) neighbour = candidate;
    ASSERT_LT(r, 5000u) << "no id of the same second fell into the same set";
  }
  EXPECT_GT(ttl_of(key), 3500);

  // Once the set expired, the id is forgotten: counted again.
  ASSERT_TRUE(client_.command({"PEXPIRE", key, "1"}));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  auto later = counters_.apply({registration(100000, id)}, {{kPartition, 100001}});
  ASSERT_TRUE(later);
  EXPECT_EQ(later->applied, 1);
}

TEST_F(RedisCountersTest, IdsMadeInOneSecondShareAFewCompactSets) {
  without_legacy_hashes();
  constexpr int kEvents = 4000;  // 2,000 registrations' events, made in one second
  const std::int64_t ms = 1764644400000;
  std::vector<PositionedChange> batch;
  batch.reserve(kEvents);
  for (int i = 0; i < kEvents; ++i)
    batch.push_back(registration(i, id_made_at(ms + (i % 1000), static_cast<std::uint64_t>(i) + 1)));
  auto stats = counters_.apply(batch, {{kPartition, kEvents}});
  ASSERT_TRUE(stats) << stats.error().message;
  EXPECT_EQ(stats->applied, kEvents);
  const auto sets = keys("t:ids:*");
  EXPECT_LE(sets.size(), RedisCounters::kSeenSlots);
  EXPECT_TRUE(keys("t:seen:*").empty());
  std::int64_t ids = 0;
  for (const auto& key : sets) {
    auto encoding = client_.command({"OBJECT", "ENCODING", key});
    ASSERT_TRUE(encoding);
    EXPECT_EQ(encoding->str, "intset") << key;
    ids += integer({"SCARD", key});
  }
  EXPECT_EQ(ids, kEvents);
  // Every one of them is known now, at new offsets too.
  for (auto& change : batch) change.offset += kEvents;
  auto again = counters_.apply(batch, {{kPartition, 2 * kEvents}});
  ASSERT_TRUE(again);
  EXPECT_EQ(again->skipped, kEvents);
  EXPECT_EQ(registered(), kEvents);
}

// A Redis that earlier releases counted into (no seen-legacy-until) keeps their hashes of ids read and
// written for a dedupe ttl: an id they applied, or that a replica of theirs still running during the
// rolling update applies, never counts twice. Then the sets alone.
TEST_F(RedisCountersTest, IdsInTheHashesOfEarlierReleasesStayKnownForTheDedupeTtl) {
  const auto before = new_id("e_");
  const auto start =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  ASSERT_TRUE(counters_.apply({registration(0, before)}, {{kPartition, 1}}));
  const auto until = integer({"GET", "t:seen-legacy-until"});
  EXPECT_GE(until, start + 3600 - 2);
  EXPECT_LE(until, start + 3600 + 2);
  // Both kept it; the hash as those releases did.
  const auto hashes = keys("t:seen:*");
  ASSERT_EQ(hashes.size(), 1u);
  EXPECT_EQ(integer({"HEXISTS", hashes[0], before.substr(14)}), 1);
  EXPECT_GT(integer({"TTL", hashes[0]}), 3500);
  const auto sets = keys("t:ids:*");
  ASSERT_EQ(sets.size(), 1u);
  EXPECT_EQ(integer({"SISMEMBER", sets[0], member_of(before)}), 1);

  // An id that only an earlier release applied (only its hash holds it): still known.
  ASSERT_TRUE(client_.command({"DEL", sets[0]}));
  auto again = counters_.apply({registration(1, before), registration(2, "foreign")}, {{kPartition, 3}});
  ASSERT_TRUE(again);
  EXPECT_EQ(again->skipped, 1);
  EXPECT_EQ(again->applied, 1);
  for (const auto& key : keys("t:ids:id:*")) ASSERT_TRUE(client_.command({"DEL", key}));
  auto foreign = counters_.apply({registration(3, "foreign")}, {{kPartition, 4}});
  ASSERT_TRUE(foreign);
  EXPECT_EQ(foreign->skipped, 1) << "an id of another form, kept whole in a legacy hash";

  // Once the window has passed, the hashes are neither read nor written.
  ASSERT_TRUE(client_.command({"SET", "t:seen-legacy-until", std::to_string(start - 1)}));
  const auto after = new_id("e_");
  ASSERT_TRUE(counters_.apply({registration(4, after)}, {{kPartition, 5}}));
  for (const auto& key : keys("t:seen:*")) EXPECT_EQ(integer({"HEXISTS", key, after.substr(14)}), 0) << key;
  auto forgotten = counters_.apply({registration(5, before)}, {{kPartition, 6}});
  ASSERT_TRUE(forgotten);
  EXPECT_EQ(forgotten->applied, 1) << "the legacy hash is no longer read";
  EXPECT_EQ(registered(), 4);
}

TEST_F(RedisCountersTest, AFreshRedisCountsWithTheSetsAloneFromItsFirstGeneration) {
  ASSERT_TRUE(counters_.pause(std::chrono::seconds(60)));
  ASSERT_TRUE(counters_.install_generation({{kRw, "31.75.06.1005", 100, true, {}}}, {}));
  auto stats =
      counters_.apply({registration(0, new_id("e_")), registration(1, "foreign")}, {{kPartition, 2}});
  ASSERT_TRUE(stats) << stats.error().message;
  EXPECT_EQ(stats->applied, 2);
  EXPECT_EQ(integer({"GET", "t:seen-legacy-until"}), 0);
  EXPECT_TRUE(keys("t:seen:*").empty());
  EXPECT_EQ(keys("t:ids:*").size(), 2u);
  // A later rebuild (a generation exists) leaves the window as it is.
  ASSERT_TRUE(client_.command({"DEL", "t:seen-legacy-until"}));
  ASSERT_TRUE(counters_.pause(std::chrono::seconds(60)));
  ASSERT_TRUE(counters_.install_generation({{kRw, "31.75.06.1005", 100, true, {}}}, {}));
  ASSERT_TRUE(counters_.apply({registration(2, new_id("e_"))}, {{kPartition, 3}}));
  EXPECT_GT(integer({"GET", "t:seen-legacy-until"}), 0);
  EXPECT_EQ(keys("t:seen:*").size(), 1u);
}

TEST_F(RedisCountersTest, AnEventTwiceInOneBatchCountsOnce) {
  const auto id = new_id("e_");
  auto stats = counters_.apply(
      {registration(0, id), registration(1, "foreign"), registration(2, id), registration(3, "foreign")},
      {{kPartition, 4}});
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->applied, 2);
  EXPECT_EQ(stats->skipped, 2);
  EXPECT_EQ(registered(), 2);
}

TEST_F(RedisCountersTest, DeclaredRwsListUnderTheirKelurahanWithTargets) {
  std::vector<PositionedChange> batch{
      {kPartition, 0, {"r1", {{CounterOp::Kind::kDeclareRw, "31.75.06.1005.001", "", 80}}}},
      registration(1, "p1", "31.75.06.1005.003"),  // registered before its RwCreated arrived
      {kPartition, 2, {"r3", {{CounterOp::Kind::kDeclareRw, "31.75.06.1005.003", "", 100}}}},
  };
  ASSERT_TRUE(counters_.apply(batch, {{kPartition, 3}}));
  auto rws = counters_.rws_of_kelurahan("31.75.06.1005");
  ASSERT_TRUE(rws);
  ASSERT_EQ(rws->size(), 2u);
  auto kelurahans = counters_.kelurahans();
  ASSERT_TRUE(kelurahans);
  EXPECT_EQ(*kelurahans, std::vector<std::string>{"31.75.06.1005"});
  auto first = counters_.rw("31.75.06.1005.001");
  ASSERT_TRUE(first && *first);
  EXPECT_EQ((*first)->target, 80);
  EXPECT_EQ((*first)->counters.registered, 0);
  EXPECT_EQ(registered("31.75.06.1005.003"), 1);
}

TEST_F(RedisCountersTest, UnknownRwHasNoCoverage) {
  auto found = counters_.rw("31.75.06.1005.050");
  ASSERT_TRUE(found);
  EXPECT_FALSE(*found);
}

TEST_F(RedisCountersTest, MovesExitsAndRwUpdatesApplyInOneBatch) {
  std::vector<PositionedChange> batch{
      registration(0, "a"),
      registration(1, "b"),
      {kPartition,
       2,
       {"m",
        {{CounterOp::Kind::kIncrement, kRw, "registered", -1},
         {CounterOp::Kind::kIncrement, "31.75.06.1001.001", "registered", 1}}}},
      {kPartition,
       3,
       {"u", {{CounterOp::Kind::kDeclareRw, kRw, "", 150}, {CounterOp::Kind::kSet, kRw, "active_rw", 0}}}},
  };
  ASSERT_TRUE(counters_.apply(batch, {{kPartition, 4}}));
  auto rws = counters_.rws_of_kelurahans({"31.75.06.1005", "31.75.06.1001"});
  ASSERT_TRUE(rws);
  ASSERT_EQ(rws->size(), 2u);
  auto rw = counters_.rw(kRw);
  ASSERT_TRUE(rw && *rw);
  EXPECT_EQ((*rw)->counters.registered, 1);
  EXPECT_EQ((*rw)->target, 150);
  EXPECT_FALSE((*rw)->active);
  EXPECT_EQ(registered("31.75.06.1001.001"), 1);
}

// The script adds a batch's changes up per RW and field before writing them: the sums, the order
// of values set and increments, and the events skipped must come out as one change at a time.
TEST_F(RedisCountersTest, ChangesInABatchAddUpPerFieldInTheirOrder) {
  using Kind = CounterOp::Kind;
  constexpr std::int64_t kBenefit = 42'000'000;
  const auto claim = [&](std::int64_t offset, const std::string& id) {
    return PositionedChange{kPartition,
                            offset,
                            {id,
                             {{Kind::kIncrement, kRw, "claims_paid", 1},
                              {Kind::kIncrement, kRw, "claims_paid_rupiah", kBenefit}}}};
  };
  std::vector<PositionedChange> batch{
      registration(0, "a"),
      registration(1, "a"),  // re-published inside the same batch: skipped
      {kPartition, 2, {"off", {{Kind::kSet, kRw, "active_rw", 0}}}},
      {kPartition, 3, {"on", {{Kind::kSet, kRw, "active_rw", 1}}}},
      {kPartition,
       4,
       {"back", {{Kind::kIncrement, kRw, "registered", -1}, {Kind::kIncrement, kRw, "registered", 1}}}},
      claim(5, "c1"),
      claim(6, "c2"),
      registration(7, "b"),
      {kPartition, 8, {"target", {{Kind::kDeclareRw, kRw, "", 90}, {Kind::kDeclareRw, kRw, "", 120}}}},
  };
  auto stats = counters_.apply(batch, {{kPartition, 9}});
  ASSERT_TRUE(stats) << stats.error().message;
  EXPECT_EQ(stats->applied, 8);
  EXPECT_EQ(stats->skipped, 1);
  auto rw = counters_.rw(kRw);
  ASSERT_TRUE(rw && *rw);
  EXPECT_EQ((*rw)->counters.registered, 2);
  EXPECT_EQ((*rw)->counters.claims_paid, 2);
  EXPECT_EQ((*rw)->counters.claims_paid_rupiah, 2 * kBenefit);
  EXPECT_TRUE((*rw)->active) << "the last value set wins";
  EXPECT_EQ((*rw)->target, 120);
  // A value set and increments after it in one batch; increments before a set are replaced.
  ASSERT_TRUE(counters_.apply({{kPartition, 9, {"s1", {{Kind::kIncrement, kRw, "claims_paid", 5}}}},
                               {kPartition, 10, {"s2", {{Kind::kSet, kRw, "claims_paid", 10}}}},
                               {kPartition, 11, {"s3", {{Kind::kIncrement, kRw, "claims_paid", 3}}}}},
                              {{kPartition, 12}}));
  rw = counters_.rw(kRw);
  ASSERT_TRUE(rw && *rw);
  EXPECT_EQ((*rw)->counters.claims_paid, 13);
  EXPECT_EQ((*rw)->counters.registered, 2);
  // Events making the same increments around a value set: the set replaces the first one only.
  ASSERT_TRUE(counters_.apply({{kPartition, 12, {"t1", {{Kind::kIncrement, kRw, "claims_paid", 1}}}},
                               {kPartition, 13, {"t2", {{Kind::kSet, kRw, "claims_paid", 10}}}},
                               {kPartition, 14, {"t3", {{Kind::kIncrement, kRw, "claims_paid", 1}}}},
                               {kPartition, 15, {"t4", {{Kind::kIncrement, kRw, "claims_paid", 1}}}}},
                              {{kPartition, 16}}));
  rw = counters_.rw(kRw);
  ASSERT_TRUE(rw && *rw);
  EXPECT_EQ((*rw)->counters.claims_paid, 12);
  auto listed = counters_.rws_of_kelurahan("31.75.06.1005");
  ASSERT_TRUE(listed);
  EXPECT_EQ(listed->size(), 1u);
}

TEST_F(RedisCountersTest, ARebuildPausesCountingThenSwitchesToANewGenerationAtOnce) {
  ASSERT_TRUE(counters_.apply({registration(0, "a"), registration(1, "b")}, {{kPartition, 2}}));
  ASSERT_TRUE(counters_.pause(std::chrono::seconds(60)));
  auto refused = counters_.apply({registration(2, "c")}, {{kPartition, 3}});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(registered(), 2);  // readers still see the old generation
  RwCoverage rebuilt{kRw, "31.75.06.1005", 100, true, {.registered = 7, .active = 3}};
  auto generation = counters_.install_generation({rebuilt}, {{kPartition, 5}});
  ASSERT_TRUE(generation) << generation.error().message;
  EXPECT_EQ(registered(), 7);
  EXPECT_EQ(counters_.offsets({kPartition})->at(kPartition), 5);
  // Counting goes on in the new generation; offsets below the rebuild's are skipped.
  auto stats = counters_.apply({registration(2, "c"), registration(5, "f")}, {{kPartition, 6}});
  ASSERT_TRUE(stats) << stats.error().message;
  EXPECT_EQ(stats->applied, 1);
  EXPECT_EQ(registered(), 8);
  // The old generation is gone.
  auto keys = client_.command({"KEYS", "t:rw:*"});
  ASSERT_TRUE(keys);
  EXPECT_TRUE(keys->elements.empty());
}

TEST_F(RedisCountersTest, RedisDownIsAnErrorNotASilentLoss) {
  server_.kill();
  auto stats = counters_.apply({registration(0, "x")}, {{kPartition, 1}});
  ASSERT_FALSE(stats);
  EXPECT_EQ(stats.error().code, ErrorCode::kUnavailable);
}

// What a replica hears on the changes channel.
class Announcements {
 public:
  explicit Announcements(testing::RedisServer& server, const RedisCounters& counters)
      : subscriber_("127.0.0.1", server.port(), {.password = server.password()}, counters.changes_channel(),
                    {[this](std::string_view message) {
                      std::lock_guard lock(mutex_);
                      messages_.emplace_back(message);
                      arrived_.notify_all();
                    }}) {
    subscriber_.start();
    for (int i = 0; i < 200 && !subscriber_.subscribed(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  bool subscribed() const { return subscriber_.subscribed(); }
  // The n-th message (from 0), waiting up to 10 s for it.
  std::optional<std::string> message(std::size_t n) {
    std::unique_lock lock(mutex_);
    arrived_.wait_for(lock, std::chrono::seconds(10), [&] { return messages_.size() > n; });
    if (messages_.size() <= n) return std::nullopt;
    return messages_[n];
  }

 private:
  std::mutex mutex_;
  std::condition_variable arrived_;
  std::vector<std::string> messages_;
  redis::Subscriber subscriber_;
};

TEST_F(RedisCountersTest, EachBatchThatChangedCountersAnnouncesItsRwsToTheOtherReplicas) {
  RedisCounters other(client_, "t:", std::chrono::seconds(3600));  // another replica's
  Announcements heard(server_, other);
  ASSERT_TRUE(heard.subscribed());
  const std::string rw2 = "31.75.06.1005.007";
  ASSERT_TRUE(counters_.apply({registration(0, "a"), registration(1, "b", rw2), registration(2, "c")},
                              {{kPartition, 3}}));
  // A replay changes nothing and says nothing; the next batch that changes something is heard next.
  ASSERT_TRUE(counters_.apply({registration(0, "a")}, {{kPartition, 1}}));
  ASSERT_TRUE(counters_.apply({registration(3, "d", rw2)}, {{kPartition, 4}}));

  const auto first = heard.message(0);
  ASSERT_TRUE(first);
  EXPECT_EQ(other.changed_elsewhere(*first), (std::vector<std::string>{kRw, rw2}));
  EXPECT_EQ(counters_.changed_elsewhere(*first), std::nullopt) << "its own: its feed has them already";
  const auto second = heard.message(1);
  ASSERT_TRUE(second);
  EXPECT_EQ(other.changed_elsewhere(*second), (std::vector<std::string>{rw2}));
  EXPECT_EQ(other.changed_elsewhere("no-space-here"), std::nullopt);
}

TEST_F(RedisCountersTest, AUserNotAllowedTheChannelStillCounts) {
  // An ACL user limited to coverage's keys, with no pub/sub channel (Redis 7's default for a
  // new user): the script's PUBLISH is refused, and the batch applies all the same.
  ASSERT_TRUE(client_.command(
      {"ACL", "SETUSER", "counting", "on", ">counting-password", "~t:*", "+@all", "resetchannels"}));
  redis::Client limited("127.0.0.1", server_.port(),
                        {.username = "counting", .password = "counting-password"});
  RedisCounters counting(limited, "t:", std::chrono::seconds(3600));
  auto denied = limited.command({"PUBLISH", counting.changes_channel(), "x"});
  ASSERT_TRUE(denied);
  ASSERT_TRUE(denied->is_error()) << "the user may not publish";
  auto stats = counting.apply({registration(0, "a")}, {{kPartition, 1}});
  ASSERT_TRUE(stats) << stats.error().message;
  EXPECT_EQ(stats->applied, 1);
  EXPECT_EQ(registered(), 1);
}

}  // namespace
}  // namespace jaring::coverage

// The rebuild on a real redis-server and jaring-devkafka: it never installs offsets below the
// events its export holds (registration's outbox publishes after the commit, so the store can be
// ahead of the bus), and when the events never come it gives up and lets counting go on; it
// rebuilds every counter from every owner; and the service's recovery notices a Redis that lost
// its state, is not ready until it has rebuilt it, and never counts into it meanwhile.
#include <gtest/gtest.h>

#include <future>

#include "adapters/rebuild.hpp"
#include "adapters/recovery.hpp"
#include "jaring/process/process.hpp"
#include "jaring/testing/fixtures.hpp"

namespace jaring::coverage {
namespace {

using namespace std::chrono_literals;

constexpr const char* kTopic = "jaring.registration.v1";
constexpr const char* kRw = "31.75.06.1005.001";

// Registration's export as a list: one RW and `participants` workers in it.
class FakeRegistration final : public RegistrationSource {
 public:
  explicit FakeRegistration(int participants) : participants_(participants) {}
  Result<std::vector<RegisteredRw>> rws() override {
    return std::vector<RegisteredRw>{{kRw, "31.75.06.1005", 100, true}};
  }
  Result<void> participants(const std::function<void(const ParticipantRow&)>& row) override {
    for (int i = 0; i < participants_; ++i) row({kRw, true});
    return {};
  }

 private:
  int participants_;
};

// Another owner's export as a list; `refusals` answers UNAVAILABLE first (an outbox not drained).
class FakeFacts final : public FactSource {
 public:
  FakeFacts(std::vector<OwnerFact> facts, int refusals = 0) : facts_(std::move(facts)), refusals_(refusals) {}
  Result<void> facts(const std::function<void(const OwnerFact&)>& fact) override {
    if (refusals_ > 0) {
      --refusals_;
      return fail(Error::unavailable("1 stored events are not published yet"));
    }
    for (const auto& f : facts_) fact(f);
    return {};
  }

 private:
  std::vector<OwnerFact> facts_;
  int refusals_ = 0;
};

// Contribution's export when the accounts it opens from registrations announce nothing: it says
// how far it had applied registration's topic when it began. For its first `lagging` exports it
// had not applied the last registration on the bus (and has not opened that worker's account).
class LaggingContribution final : public FactSource {
 public:
  LaggingContribution(const kafka::Settings& settings, int lagging)
      : settings_(settings), cluster_(*kafka::cluster_id(settings)), lagging_(lagging) {}
  Result<void> facts(const std::function<void(const OwnerFact&)>& fact) override {
    ++exports_;
    auto watermarks = kafka::high_watermarks(settings_, {kTopic});
    if (!watermarks) return fail(watermarks.error());
    applied_ = std::move(*watermarks);
    if (lagging_ > 0) {
      --lagging_;
      for (auto& [_, next] : applied_) {
        if (next > 0) {
          --next;
          break;
        }
      }
      return {};
    }
    fact({kRw, "awaiting"});
    return {};
  }
  std::optional<std::map<std::string, std::int64_t>> applied_before_export(
      const std::string& cluster) const override {
    // Positions in another log say nothing of this one's.
    if (cluster != cluster_) return std::map<std::string, std::int64_t>{};
    return applied_;
  }
  int exports() const { return exports_; }

 private:
  kafka::Settings settings_;
  std::string cluster_;
  int lagging_;
  int exports_ = 0;
  std::map<std::string, std::int64_t> applied_;
};

class RebuildTest : public ::testing::Test {
 protected:
  // Events as registration's relay would publish them; the payload does not matter here.
  void publish(int events) {
    std::vector<kafka::Message> messages;
    messages.reserve(static_cast<std::size_t>(events));
    for (int i = 0; i < events; ++i)
      messages.push_back({kTopic, "p_" + std::to_string(published_++), "x", {}});
    ASSERT_EQ(producer_.produce_and_wait(messages, 10s), messages.size());
  }

  std::int64_t on_bus(const std::map<std::string, std::int64_t>& offsets) {
    std::int64_t sum = 0;
    for (const auto& [partition, next] : offsets) {
      if (partition.starts_with(std::string(kTopic) + ":")) sum += next;
    }
    return sum;
  }

  testing::RedisServer redis_server_;
  testing::DevKafka kafka_{{{kTopic, 4}}};
  kafka::Settings settings_{kafka_.bootstrap(), {}};
  metrics::Registry metrics_{"test"};
  kafka::Producer producer_{settings_, "rebuild-test", metrics_};
  redis::Client client_{"127.0.0.1", redis_server_.port(), {.password = redis_server_.password()}};
  RedisCounters counters_{client_, "t:", std::chrono::seconds(3600)};
  int published_ = 0;

  RebuildSources sources(RegistrationSource& registration, FactSource* contribution = nullptr,
                         FactSource* sponsors = nullptr, FactSource* claims = nullptr) {
    return {{&registration, contribution, sponsors, claims}, settings_, {kTopic}, kTopic};
  }
};

TEST_F(RebuildTest, WaitsUntilTheBusHoldsWhatTheExportHoldsThenResumesAtTheWatermarks) {
  FakeRegistration registration(3);  // 1 RW + 3 workers: at least 4 events
  publish(2);                        // the relay is behind: two are still in the outbox
  auto rebuilt = std::async(std::launch::async, [&] { return rebuild(counters_, sources(registration)); });
  publish(2);  // whenever these land, the rebuild must not resume below them
  auto result = rebuilt.get();
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->registered, 3);
  EXPECT_EQ(on_bus(result->offsets), 4);
  auto stored = counters_.offsets({});
  ASSERT_TRUE(stored);
  EXPECT_EQ(on_bus(*stored), 4);
  auto rw = counters_.rw(kRw);
  ASSERT_TRUE(rw && *rw);
  EXPECT_EQ((*rw)->counters.registered, 3);
}

TEST_F(RebuildTest, GivesUpWhenTheEventsNeverComeAndCountingGoesOn) {
  FakeRegistration registration(5);
  publish(1);
  auto result = rebuild(counters_, sources(registration), 5, 300ms);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::kUnavailable) << result.error().message;
  EXPECT_NE(result.error().message.find(kTopic), std::string::npos) << result.error().message;
  // The pause is lifted: a batch applies.
  auto applied = counters_.apply(
      {{std::string(kTopic) + ":0", 0, {"e1", {{CounterOp::Kind::kIncrement, kRw, "registered", 1}}}}},
      {{std::string(kTopic) + ":0", 1}});
  ASSERT_TRUE(applied) << applied.error().message;
  EXPECT_EQ(applied->applied, 1);
}

TEST_F(RebuildTest, EveryCounterFromItsOwnerAndEveryPartitionAtItsWatermark) {
  FakeRegistration registration(3);
  FakeFacts contribution({{kRw, "active"}, {kRw, "active"}, {kRw, "lapsed"}, {kRw, "awaiting"}},
                         2);  // refuses twice first
  FakeFacts sponsors(std::vector<OwnerFact>{{kRw, ""}});
  FakeFacts claims(std::vector<OwnerFact>{{kRw, "", 42'000'000}});
  publish(4);
  auto result = rebuild(counters_, sources(registration, &contribution, &sponsors, &claims));
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->offsets.size(), 4u);  // every partition of the topic, at its watermark
  EXPECT_EQ(on_bus(result->offsets), 4);
  auto rw = counters_.rw(kRw);
  ASSERT_TRUE(rw && *rw);
  EXPECT_EQ((*rw)->counters, (Counters{.registered = 3,
                                       .active = 2,
                                       .lapsed = 1,
                                       .sponsored = 1,
                                       .claims_paid = 1,
                                       .claims_paid_rupiah = 42'000'000,
                                       .registrations = 3,
                                       .awaiting = 1}));
  auto marker = counters_.generation();
  ASSERT_TRUE(marker && *marker);
  EXPECT_EQ(**marker, result->generation);
}

// A registration counted awaiting from its own event: until contribution has applied it, its
// account is in no export, and counting resumes above its event: the rebuild waits.
TEST_F(RebuildTest, WaitsUntilContributionHasAppliedEveryRegistrationBelowTheWatermarks) {
  FakeRegistration registration(1);
  LaggingContribution contribution(settings_, 2);
  publish(2);
  auto result = rebuild(counters_, sources(registration, &contribution));
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(contribution.exports(), 3);
  EXPECT_EQ(result->totals.awaiting, 1);
  EXPECT_EQ(on_bus(result->offsets), 2);
}

TEST_F(RebuildTest, GivesUpWhenContributionNeverAppliesTheRegistrations) {
  FakeRegistration registration(1);
  LaggingContribution contribution(settings_, 1000);
  publish(2);
  auto result = rebuild(counters_, sources(registration, &contribution), 5, 300ms);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(result.error().message.find("contribution had not applied 1 of"), std::string::npos)
      << result.error().message;
  const auto generation = counters_.generation();
  ASSERT_TRUE(generation);
  EXPECT_FALSE(*generation) << "nothing installed";
}

TEST_F(RebuildTest, NothingEverPublishedStartsAnEmptyGenerationWithoutAskingTheOwners) {
  FakeFacts unreachable({}, 1000);  // would refuse every time
  FakeRegistration registration(0);
  auto result = rebuild(counters_, sources(registration, &unreachable), 1);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->rws, 0);
  EXPECT_EQ(on_bus(result->offsets), 0);
}

TEST_F(RebuildTest, TheServiceNeverCountsIntoARedisThatLostItsStateAndRebuildsItByItself) {
  RedisCounters strict{client_, "t:", std::chrono::seconds(3600), true};
  const auto batch = [&](std::int64_t offset) {
    return strict.apply(
        {{std::string(kTopic) + ":0",
          offset,
          {"e" + std::to_string(offset), {{CounterOp::Kind::kIncrement, kRw, "registered", 1}}}}},
        {{std::string(kTopic) + ":0", offset + 1}});
  };
  // No marker: nothing applies, whatever comes.
  auto refused = batch(0);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("generation marker"), std::string::npos) << refused.error().message;

  FakeRegistration registration(3);
  FakeFacts contribution(std::vector<OwnerFact>{{kRw, "active"}});
  publish(4);
  redis::Client own{"127.0.0.1", redis_server_.port(), {.password = redis_server_.password()}};
  RedisCounters recovering{own, "t:", std::chrono::seconds(3600), true};
  Recovery recovery(recovering, sources(registration, &contribution), metrics_, 50ms);
  auto reason = recovery.not_ready();
  ASSERT_TRUE(reason);
  recovery.start();
  ASSERT_TRUE(process::wait_for([&] { return !recovery.not_ready(); }, 30s, 10ms)) << *recovery.not_ready();
  auto rw = counters_.rw(kRw);
  ASSERT_TRUE(rw && *rw);
  EXPECT_EQ((*rw)->counters.registered, 3);
  EXPECT_EQ((*rw)->counters.active, 1);
  // Below the watermark: already in the rebuilt counters, skipped; from it on: counted.
  const auto watermark = (*counters_.offsets({}))[std::string(kTopic) + ":0"];
  if (watermark > 0) {
    ASSERT_TRUE(batch(watermark - 1));
  }
  EXPECT_EQ((*counters_.rw(kRw))->counters.registered, 3);
  ASSERT_TRUE(batch(watermark));
  EXPECT_EQ((*counters_.rw(kRw))->counters.registered, 4);

  // Redis loses everything: not ready at once, and why; then rebuilt by itself.
  ASSERT_TRUE(client_.command({"FLUSHALL"}));
  reason = recovery.not_ready();
  ASSERT_TRUE(reason);
  EXPECT_NE(reason->find("no generation marker"), std::string::npos) << *reason;
  EXPECT_FALSE(batch(watermark + 1));
  ASSERT_TRUE(process::wait_for([&] { return !recovery.not_ready(); }, 30s, 10ms)) << *recovery.not_ready();
  EXPECT_EQ((*counters_.rw(kRw))->counters.registered, 3);  // the owners' records, not what was lost
  recovery.stop();
}

}  // namespace
}  // namespace jaring::coverage

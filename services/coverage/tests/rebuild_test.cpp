// The rebuild on a real redis-server and jaring-devkafka: it never installs offsets below the
// events its export holds (registration's outbox publishes after the commit, so the store can be
// ahead of the bus), and when the events never come it gives up and lets counting go on.
#include <gtest/gtest.h>

#include <future>

#include "adapters/rebuild.hpp"
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

class RebuildTest : public ::testing::Test {
 protected:
  // Events as registration's relay would publish them; the payload does not matter here.
  void publish(int events) {
    std::vector<kafka::Message> messages;
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
};

TEST_F(RebuildTest, WaitsUntilTheBusHoldsWhatTheExportHoldsThenResumesAtTheWatermarks) {
  FakeRegistration registration(3);  // 1 RW + 3 workers: at least 4 events
  publish(2);                        // the relay is behind: two are still in the outbox
  auto rebuilt =
      std::async(std::launch::async, [&] { return rebuild(counters_, registration, settings_, kTopic); });
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
  auto result = rebuild(counters_, registration, settings_, kTopic, 5, 300ms);
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

}  // namespace
}  // namespace jaring::coverage

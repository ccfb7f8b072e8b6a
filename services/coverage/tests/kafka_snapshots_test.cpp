// KafkaSnapshots against jaring-devkafka: two replicas' read models of one snapshots topic number
// the snapshots alike, a snapshot saved by one is served by the other and by a replica started
// later, a second record of one key replaces the first, and a topic of several partitions is
// refused (not ready, saying why).

#include <gtest/gtest.h>

#include "adapters/kafka_snapshots.hpp"
#include "jaring/metrics/metrics.hpp"
#include "jaring/process/process.hpp"
#include "jaring/testing/fixtures.hpp"

namespace jaring::coverage {
namespace {

using namespace std::chrono_literals;

const std::string kTopic = "jaring.coverage.snapshots.v1";

// One replica: its read model (a file of its own) and its store on the shared topic.
struct Replica {
  Replica(const kafka::Settings& settings, kafka::Producer& producer, const std::string& topic)
      : local(":memory:"), shared(local, producer, settings, topic) {
    shared.start();
  }
  bool loaded() {
    return process::wait_for([&] { return !shared.not_ready(); }, 30s, 20ms);
  }
  std::vector<std::string> listed() {
    std::vector<std::string> out;
    for (const auto& s : shared.list(true).value_or(std::vector<Snapshot>{}))
      out.push_back(std::to_string(s.id) + " " + s.kind + " " + s.period + " " + s.as_of);
    return out;
  }
  SqliteSnapshots local;
  KafkaSnapshots shared;
};

RwCoverage rw(std::int64_t registered) {
  return {"31.75.06.1005.001",
          "31.75.06.1005",
          100,
          true,
          {.registered = registered, .registrations = registered}};
}

class KafkaSnapshotsTest : public ::testing::Test {
 protected:
  KafkaSnapshotsTest()
      : kafka_({{kTopic, 1}, {"jaring.split.v1", 2}}),
        settings_{kafka_.bootstrap(), {}},
        metrics_("test"),
        producer_(settings_, "test", metrics_) {}
  testing::DevKafka kafka_;
  kafka::Settings settings_;
  metrics::Registry metrics_;
  kafka::Producer producer_;
};

TEST_F(KafkaSnapshotsTest, ReplicasServeTheSameSnapshotsUnderTheSameIds) {
  Replica first(settings_, producer_, kTopic);
  Replica second(settings_, producer_, kTopic);
  ASSERT_TRUE(first.loaded()) << *first.shared.not_ready();
  ASSERT_TRUE(second.loaded());

  const auto q1 =
      first.shared.save({0, "2026-Q1", "2026-04-01", "2026-03-31T17:05:00Z", 1, "evaluation"}, {rw(4)});
  ASSERT_TRUE(q1) << q1.error().message;
  EXPECT_EQ(q1->id, 1);  // the record's offset + 1
  const auto trend =
      second.shared.save({0, "2026-04-01", "2026-04-01", "2026-04-01T01:00:00Z", 1, "trend"}, {rw(5)});
  ASSERT_TRUE(trend) << trend.error().message;
  EXPECT_EQ(trend->id, 2);
  ASSERT_TRUE(process::wait_for(
      [&] { return first.listed() == second.listed() && first.listed().size() == 2; }, 10s, 20ms));
  EXPECT_EQ(second.shared.rows(1)->at(0).counters.registered, 4);
  EXPECT_EQ(second.shared.list(false)->size(), 1u);  // the evaluation snapshots only

  // A second take of 2026-Q1 (a claim lost) replaces the first everywhere.
  const auto again =
      second.shared.save({0, "2026-Q1", "2026-04-02", "2026-04-01T17:05:00Z", 1, "evaluation"}, {rw(6)});
  ASSERT_TRUE(again);
  EXPECT_EQ(again->id, 3);
  const std::vector<std::string> expected = {"2 trend 2026-04-01 2026-04-01",
                                             "3 evaluation 2026-Q1 2026-04-02"};
  ASSERT_TRUE(process::wait_for([&] { return first.listed() == expected && second.listed() == expected; },
                                10s, 20ms));

  // A replica started later rebuilds the same read model before it says it is loaded.
  Replica later(settings_, producer_, kTopic);
  ASSERT_TRUE(later.loaded());
  EXPECT_EQ(later.listed(), expected);
  EXPECT_EQ(later.shared.rows(3)->at(0).counters.registered, 6);
}

TEST_F(KafkaSnapshotsTest, ATopicOfSeveralPartitionsIsRefused) {
  Replica replica(settings_, producer_, "jaring.split.v1");
  ASSERT_TRUE(process::wait_for(
      [&] {
        const auto why = replica.shared.not_ready();
        return why && why->find("needs exactly one") != std::string::npos;
      },
      30s, 20ms))
      << replica.shared.not_ready().value_or("ready");
  const auto saved =
      replica.shared.save({0, "2026-Q1", "2026-04-01", "2026-03-31T17:05:00Z", 1, "evaluation"}, {});
  ASSERT_FALSE(saved);
  EXPECT_EQ(saved.error().code, ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace jaring::coverage

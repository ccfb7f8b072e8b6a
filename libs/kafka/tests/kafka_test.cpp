#include "jaring/kafka/kafka.hpp"

#include <gtest/gtest.h>
#include <librdkafka/rdkafkacpp.h>

#include <fmt/format.h>

#include <set>
#include <sstream>
#include <thread>

#include "jaring/common/ids.hpp"
#include "jaring/kafka/relay_window.hpp"
#include "jaring/process/process.hpp"
#include "jaring/store/outbox.hpp"
#include "jaring/testing/fixtures.hpp"

namespace jaring::kafka {
namespace {

using namespace std::chrono_literals;
using process::wait_for;

constexpr auto kDeadline = 30s;
const std::string kTestTopic = "jaring.test.v1";

// A handler that records what it applied; tests script failures and start offsets.
class RecordingHandler : public BatchHandler {
 public:
  using ApplyHook = std::function<Result<void>(const std::vector<ConsumedMessage>&, DeadLetters&)>;

  std::map<TopicPartition, std::int64_t> start_offsets(const std::vector<TopicPartition>& assigned,
                                                       const std::string&) override {
    std::lock_guard lock(mutex_);
    assignments_.push_back(assigned);
    if (start_failures_ > 0) {
      --start_failures_;
      throw std::runtime_error("offsets store unavailable");
    }
    std::map<TopicPartition, std::int64_t> out;
    for (const auto& tp : assigned) {
      if (auto it = starts_.find(tp); it != starts_.end()) out.emplace(*it);
    }
    return out;
  }

  Result<void> apply(const std::vector<ConsumedMessage>& batch, DeadLetters& dead) override {
    std::lock_guard lock(mutex_);
    attempts_.push_back(batch);
    if (hook_) {
      if (auto result = hook_(batch, dead); !result) return result;
    }
    applied_.insert(applied_.end(), batch.begin(), batch.end());
    return {};
  }

  void set_hook(ApplyHook hook) {
    std::lock_guard lock(mutex_);
    hook_ = std::move(hook);
  }
  void set_start(TopicPartition tp, std::int64_t offset) {
    std::lock_guard lock(mutex_);
    starts_[std::move(tp)] = offset;
  }
  void fail_start_offsets(int times) {
    std::lock_guard lock(mutex_);
    start_failures_ = times;
  }
  std::vector<ConsumedMessage> applied() {
    std::lock_guard lock(mutex_);
    return applied_;
  }
  std::size_t applied_count() { return applied().size(); }
  std::vector<std::vector<ConsumedMessage>> attempts() {
    std::lock_guard lock(mutex_);
    return attempts_;
  }
  std::vector<std::vector<TopicPartition>> assignments() {
    std::lock_guard lock(mutex_);
    return assignments_;
  }

 private:
  std::mutex mutex_;
  ApplyHook hook_;
  int start_failures_ = 0;
  std::map<TopicPartition, std::int64_t> starts_;
  std::vector<ConsumedMessage> applied_;
  std::vector<std::vector<ConsumedMessage>> attempts_;
  std::vector<std::vector<TopicPartition>> assignments_;
};

// A record read back with plain librdkafka, outside the code under test.
struct RawRecord {
  std::int32_t partition;
  std::int64_t offset;
  std::string key;
  std::string payload;
  std::map<std::string, std::string> headers;
};

std::unique_ptr<RdKafka::Conf> raw_conf(const std::string& bootstrap) {
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  std::string err;
  conf->set("bootstrap.servers", bootstrap, err);
  return conf;
}

int partition_count(const std::string& bootstrap, const std::string& topic) {
  auto conf = raw_conf(bootstrap);
  std::string err;
  std::unique_ptr<RdKafka::Producer> producer(RdKafka::Producer::create(conf.get(), err));
  std::unique_ptr<RdKafka::Topic> rkt(RdKafka::Topic::create(producer.get(), topic, nullptr, err));
  RdKafka::Metadata* md = nullptr;
  int count = -1;
  if (producer->metadata(false, rkt.get(), &md, 10000) == RdKafka::ERR_NO_ERROR) {
    for (const auto* t : *md->topics()) {
      if (t->topic() == topic) count = static_cast<int>(t->partitions()->size());
    }
  }
  delete md;
  return count;
}

// Reads `topic` from the beginning of every partition until `expected` records came or timeout.
std::vector<RawRecord> read_topic(const std::string& bootstrap, const std::string& topic,
                                  std::size_t expected) {
  auto conf = raw_conf(bootstrap);
  std::string err;
  conf->set("group.id", new_id("reader-"), err);
  conf->set("enable.auto.commit", "false", err);
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(RdKafka::KafkaConsumer::create(conf.get(), err));
  std::vector<RdKafka::TopicPartition*> parts;
  int n = partition_count(bootstrap, topic);
  parts.reserve(static_cast<std::size_t>(n));
  for (int p = 0; p < n; ++p) {
    parts.push_back(RdKafka::TopicPartition::create(topic, p, RdKafka::Topic::OFFSET_BEGINNING));
  }
  consumer->assign(parts);
  RdKafka::TopicPartition::destroy(parts);
  std::vector<RawRecord> out;
  auto deadline = std::chrono::steady_clock::now() + kDeadline;
  while (out.size() < expected && std::chrono::steady_clock::now() < deadline) {
    std::unique_ptr<RdKafka::Message> msg(consumer->consume(100));
    if (!msg || msg->err() != RdKafka::ERR_NO_ERROR) continue;
    RawRecord r{msg->partition(),
                msg->offset(),
                msg->key() ? *msg->key() : "",
                std::string(static_cast<const char*>(msg->payload()), msg->len()),
                {}};
    if (auto* headers = msg->headers()) {
      for (const auto& h : headers->get_all()) {
        r.headers[h.key()] = std::string(static_cast<const char*>(h.value()), h.value_size());
      }
    }
    out.push_back(std::move(r));
  }
  consumer->close();
  return out;
}

// The group's committed offset per partition (negative: none), read without joining the group.
std::vector<std::int64_t> committed(const std::string& bootstrap, const std::string& group,
                                    const std::string& topic) {
  auto conf = raw_conf(bootstrap);
  std::string err;
  conf->set("group.id", group, err);
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(RdKafka::KafkaConsumer::create(conf.get(), err));
  std::vector<RdKafka::TopicPartition*> parts;
  int n = partition_count(bootstrap, topic);
  parts.reserve(static_cast<std::size_t>(n));
  for (int p = 0; p < n; ++p) parts.push_back(RdKafka::TopicPartition::create(topic, p));
  std::vector<std::int64_t> out;
  if (consumer->committed(parts, 10000) == RdKafka::ERR_NO_ERROR) {
    for (auto* p : parts) out.push_back(p->offset());
  }
  RdKafka::TopicPartition::destroy(parts);
  consumer->close();
  return out;
}

std::int64_t committed_total(const std::string& bootstrap, const std::string& group,
                             const std::string& topic) {
  std::int64_t total = 0;
  for (auto offset : committed(bootstrap, group, topic)) total += std::max<std::int64_t>(offset, 0);
  return total;
}

// Records the broker holds in `topic` (the sum of its partitions' high watermarks): what was
// published, duplicates included.
std::int64_t records_in(const std::string& bootstrap, const std::string& topic) {
  const auto marks = high_watermarks({bootstrap, {}}, {topic});
  if (!marks) return -1;
  std::int64_t total = 0;
  for (const auto& [partition, high] : *marks) total += high;
  return total;
}

// Produces to one partition (the adapter's producer chooses partitions by key).
void produce_to_partition(const std::string& bootstrap, const std::string& topic, int partition, int count) {
  auto conf = raw_conf(bootstrap);
  std::string err;
  std::unique_ptr<RdKafka::Producer> producer(RdKafka::Producer::create(conf.get(), err));
  for (int i = 0; i < count; ++i) {
    std::string payload = "p" + std::to_string(partition) + "-" + std::to_string(i);
    ASSERT_EQ(producer->produce(topic, partition, RdKafka::Producer::RK_MSG_COPY, payload.data(),
                                payload.size(), nullptr, 0, 0, nullptr),
              RdKafka::ERR_NO_ERROR);
  }
  ASSERT_EQ(producer->flush(10000), RdKafka::ERR_NO_ERROR);
}

// Value of one sample in the registry's exposition ("name{labels}" exactly as printed).
double metric(const metrics::Registry& registry, const std::string& sample) {
  std::istringstream text(registry.serialize());
  std::string line;
  std::string prefix = "jaring_test_" + sample + " ";
  while (std::getline(text, line)) {
    if (line.starts_with(prefix)) return std::stod(line.substr(prefix.size()));
  }
  return -1;
}

std::vector<Message> messages(const std::string& topic, int count, const std::string& prefix, int keys) {
  std::vector<Message> out;
  out.reserve(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) {
    out.push_back({topic, "k" + std::to_string(i % keys), prefix + std::to_string(i), {}});
  }
  return out;
}

class KafkaTest : public ::testing::Test {
 protected:
  KafkaTest() : kafka_({{kTestTopic, 1}}), settings_{kafka_.bootstrap(), {}}, registry_("test") {}

  ConsumerOptions options(const std::vector<std::string>& topics) {
    ConsumerOptions o;
    o.group_id = new_id("group-");
    o.topics = topics;
    o.max_wait = 200ms;
    o.retry_backoff = 100ms;
    return o;
  }

  testing::DevKafka kafka_;
  Settings settings_;
  metrics::Registry registry_;
};

TEST_F(KafkaTest, ProducerReachesTheClusterButNotAClosedPort) {
  Producer producer(settings_, "test", registry_);
  EXPECT_TRUE(producer.reachable(10s));

  {
    Producer nowhere({"127.0.0.1:" + std::to_string(process::free_port()), {}}, "nowhere", registry_);
    EXPECT_FALSE(nowhere.reachable(500ms));
    EXPECT_EQ(nowhere.produce_and_wait(messages(kTestTopic, 3, "e", 1), 500ms), 0u);
  }
  // Undelivered messages are purged when the producer closes, and counted.
  EXPECT_EQ(metric(registry_, "produce_errors_total"), 3);
}

TEST_F(KafkaTest, ProducedEventsReachTheConsumerInKeyOrderAndAreCommitted) {
  const std::string topic = "jaring.registration.v1";
  RecordingHandler handler;
  auto opts = options({topic});
  Consumer consumer(settings_, opts, handler, registry_);
  consumer.start();
  ASSERT_TRUE(wait_for([&] { return consumer.assigned(); }, kDeadline));

  Producer producer(settings_, "test", registry_);
  auto sent = messages(topic, 60, "e", 7);
  sent[0].headers = {{"trace", "t-1"}};
  ASSERT_EQ(producer.produce_and_wait(sent, 10s), sent.size());
  EXPECT_EQ(metric(registry_, "events_produced_total{topic=\"jaring.registration.v1\"}"), 60);

  ASSERT_TRUE(wait_for([&] { return handler.applied_count() == sent.size(); }, kDeadline));
  std::map<std::string, std::vector<std::string>> by_key;
  std::set<std::int32_t> partitions;
  for (const auto& m : handler.applied()) {
    EXPECT_EQ(m.topic, topic);
    by_key[m.key].push_back(m.payload);
    partitions.insert(m.partition);
  }
  for (const auto& [key, payloads] : by_key) {
    int k = std::stoi(key.substr(1));
    for (std::size_t i = 0; i < payloads.size(); ++i) {
      EXPECT_EQ(payloads[i], "e" + std::to_string(k + 7 * static_cast<int>(i))) << key;
    }
  }
  EXPECT_GT(partitions.size(), 1u);  // keys spread over partitions

  EXPECT_TRUE(
      wait_for([&] { return committed_total(kafka_.bootstrap(), opts.group_id, topic) == 60; }, kDeadline));
  EXPECT_TRUE(wait_for([&] { return consumer.lag() == 0; }, kDeadline));
  EXPECT_EQ(metric(registry_, "events_consumed_total{topic=\"jaring.registration.v1\"}"), 60);
  consumer.stop();
  EXPECT_FALSE(consumer.assigned());
}

TEST_F(KafkaTest, AFollowerReadsEveryPartitionFromItsStartIsCaughtUpThenKeepsFollowing) {
  const std::string topic = "jaring.registration.v1";
  Producer producer(settings_, "test", registry_);
  ASSERT_EQ(producer.produce_and_wait(messages(topic, 40, "e", 7), 10s), 40u);
  std::mutex mutex;
  std::set<std::string> seen;
  TopicFollower follower(settings_, topic, [&](const ConsumedMessage& m) {
    std::lock_guard lock(mutex);
    seen.insert(m.payload);
  });
  EXPECT_TRUE(follower.not_ready().has_value());
  follower.start();
  ASSERT_TRUE(wait_for([&] { return follower.caught_up(); }, kDeadline)) << *follower.not_ready();
  EXPECT_FALSE(follower.not_ready());
  EXPECT_GT(follower.partitions(), 1);
  {
    // Caught up means every message the topic held at start was applied.
    std::lock_guard lock(mutex);
    EXPECT_EQ(seen.size(), 40u);
  }
  ASSERT_EQ(producer.produce_and_wait({Message{topic, "k-late", "late", {}}}, 10s), 1u);
  EXPECT_TRUE(wait_for(
      [&] {
        std::lock_guard lock(mutex);
        return seen.contains("late");
      },
      kDeadline));
  follower.stop();
}

TEST_F(KafkaTest, StopReturnsPromptlyWhenTheBrokerDiedUnderABatch) {
  RecordingHandler handler;
  auto consumer = std::make_unique<Consumer>(settings_, options({kTestTopic}), handler, registry_);
  consumer->start();
  ASSERT_TRUE(wait_for([&] { return consumer->assigned(); }, kDeadline));
  // The broker dies while a batch is applied: the batch's offset commit has no one to answer it.
  handler.set_hook([&](const std::vector<ConsumedMessage>&, DeadLetters&) -> Result<void> {
    kafka_.kill();
    return {};
  });
  Producer producer(settings_, "test", registry_);
  ASSERT_EQ(producer.produce_and_wait(messages(kTestTopic, 1, "e", 1), 10s), 1U);
  ASSERT_TRUE(wait_for([&] { return handler.applied_count() == 1; }, kDeadline));

  // A service's SIGTERM: the orchestrator kills what has not stopped within its grace period
  // (10 s here). The commit is abandoned at stop() and the close waits at most 3 s; librdkafka
  // then lets the member go within its session timeout (6 s).
  const auto asked = std::chrono::steady_clock::now();
  consumer->stop();
  consumer.reset();
  const auto took = std::chrono::steady_clock::now() - asked;
  EXPECT_LT(took, 8s) << "stop took " << std::chrono::duration_cast<std::chrono::seconds>(took).count()
                      << " s";
}

TEST_F(KafkaTest, RelayPublishesTheOutboxInOrderAndMarksRowsSent) {
  testing::TempDir dir("jaring-relay-");
  auto db = store::Database::open((dir.path() / "service.db").string(),
                                  {store::outbox_migration(1), store::outbox_dead_letters_migration(2),
                                   store::outbox_segments_migration(3)});
  auto append = [&](int from, int to) {
    auto result = db->write([&](store::Transaction& tx) -> Result<void> {
      for (int i = from; i < to; ++i) store::outbox_append(tx, {0, kTestTopic, "k", "e" + std::to_string(i)});
      return {};
    });
    ASSERT_TRUE(result.has_value());
  };
  append(0, 25);

  Producer producer(settings_, "relay", registry_);
  OutboxRelay relay(*db, producer, registry_, {.batch_size = 10, .idle_poll = 10s, .delivery_timeout = 10s});
  EXPECT_EQ(relay.drain_once(), 25u);
  EXPECT_EQ(store::outbox_backlog(*db), 0);
  EXPECT_EQ(metric(registry_, "outbox_backlog_messages"), 0);
  EXPECT_EQ(relay.drain_once(), 0u);

  // In the background, woken by notify() long before idle_poll.
  relay.start();
  append(25, 30);
  relay.notify();
  ASSERT_TRUE(wait_for([&] { return store::outbox_backlog(*db) == 0; }, 5s));
  relay.stop();

  auto records = read_topic(kafka_.bootstrap(), kTestTopic, 30);
  ASSERT_EQ(records.size(), 30u);
  for (int i = 0; i < 30; ++i) {
    EXPECT_EQ(records[i].offset, i);
    EXPECT_EQ(records[i].payload, "e" + std::to_string(i));  // outbox id order
    EXPECT_EQ(records[i].key, "k");
  }
}

// A fetch brings runs of one partition, interleaved; the batch is each partition's run after run,
// in the order they came.
TEST(InPartitionOrder, GroupsEachPartitionsMessagesAndKeepsTheirOrder) {
  const auto message = [](const char* topic, std::int32_t partition, std::int64_t offset) {
    return ConsumedMessage{topic, partition, offset, "", fmt::format("{}:{}@{}", topic, partition, offset)};
  };
  std::vector<ConsumedMessage> batch{message("t1", 1, 0), message("t1", 1, 1), message("t1", 0, 5),
                                     message("t1", 1, 2), message("t0", 3, 1), message("t1", 0, 6),
                                     message("t1", 10, 0)};
  const auto payloads = [&batch] {
    std::vector<std::string> out;
    out.reserve(batch.size());
    for (const auto& m : batch) out.push_back(m.payload);
    return out;
  };
  in_partition_order(batch);
  const auto order = payloads();
  EXPECT_EQ(order, (std::vector<std::string>{"t0:3@1", "t1:0@5", "t1:0@6", "t1:1@0", "t1:1@1", "t1:1@2",
                                             "t1:10@0"}));
  in_partition_order(batch);  // already in order: as it was
  EXPECT_EQ(payloads(), order);
  std::vector<ConsumedMessage> none;
  in_partition_order(none);
  EXPECT_TRUE(none.empty());
}

TEST(RefusedForGood, OnlyErrorsThatARetryCannotCure) {
  EXPECT_TRUE(refused_for_good(RdKafka::ERR_MSG_SIZE_TOO_LARGE));
  EXPECT_TRUE(refused_for_good(RdKafka::ERR_INVALID_MSG));
  EXPECT_TRUE(refused_for_good(RdKafka::ERR_INVALID_RECORD));
  EXPECT_TRUE(refused_for_good(RdKafka::ERR_TOPIC_AUTHORIZATION_FAILED));
  EXPECT_FALSE(refused_for_good(RdKafka::ERR__MSG_TIMED_OUT));
  EXPECT_FALSE(refused_for_good(RdKafka::ERR__TRANSPORT));
  EXPECT_FALSE(refused_for_good(RdKafka::ERR__QUEUE_FULL));
  EXPECT_FALSE(refused_for_good(RdKafka::ERR_NOT_LEADER_FOR_PARTITION));
  EXPECT_FALSE(refused_for_good(RdKafka::ERR__PURGE_INFLIGHT));
}

TEST(RelayWindowTest, RemovesThroughTheOldestRowInFlightOrExactlyTheAcknowledgedIds) {
  RelayWindow window;
  for (std::int64_t id = 1; id <= 10; ++id) window.handed(id);
  EXPECT_EQ(window.last_handed(), 10);
  EXPECT_EQ(window.in_flight(), 10);
  // Reports from several partitions: 3, 4 and 7 acknowledged, 1 not yet reported.
  window.reported(3, true);
  window.reported(4, true);
  window.reported(7, true);
  EXPECT_TRUE(window.take(false).empty()) << "row 1 is still in flight";
  EXPECT_EQ(window.acknowledged(), 3u);
  // 1 acknowledged and 2 refused (the relay sets it aside): everything through 4 goes, 7 waits
  // for 5 and 6.
  window.reported(1, true);
  window.reported(2, false);
  auto removal = window.take(false);
  EXPECT_EQ(removal.through, std::optional<std::int64_t>(4));
  EXPECT_TRUE(removal.ids.empty());
  window.reported(5, true);
  window.reported(6, true);
  EXPECT_EQ(window.take(false).through, std::optional<std::int64_t>(7));
  EXPECT_TRUE(window.take(false).empty());
  EXPECT_EQ(window.in_flight(), 3);
  // 9 failed and stays in the outbox: the acknowledged ids on either side of it, exactly.
  window.reported(8, true);
  window.reported(9, false);
  window.reported(10, true);
  removal = window.take(true);
  EXPECT_FALSE(removal.through.has_value());
  EXPECT_EQ(removal.ids, (std::vector<std::int64_t>{8, 10}));
  EXPECT_EQ(window.in_flight(), 0);
  // Read again from the oldest row: ids start over; with nothing in flight, all acknowledged go.
  window.restart();
  EXPECT_EQ(window.last_handed(), 0);
  window.handed(9);
  window.reported(9, true);
  EXPECT_EQ(window.take(false).through, std::optional<std::int64_t>(9));
}

TEST(RelayWindowDeathTest, AReportForARowNotInFlightIsABug) {
  RelayWindow window;
  window.handed(5);
  EXPECT_DEATH(window.reported(6, true), "a report is for a row in flight");
  EXPECT_DEATH(window.handed(4), "rows are handed in id order");
  EXPECT_DEATH(window.restart(), "nothing of it in flight");
}

// A service's outbox store with the relay's tables, and a way to append events.
class RelayTest : public KafkaTest {
 protected:
  void append(int from, int to) {
    auto result = db_->write([&](store::Transaction& tx) -> Result<void> {
      for (int i = from; i < to; ++i) store::outbox_append(tx, {0, kTestTopic, "k", "e" + std::to_string(i)});
      return {};
    });
    ASSERT_TRUE(result.has_value());
  }

  // A row of 2 MB, above message.max.bytes, by SQL: past the append check, as a row written
  // before the check existed would be.
  void append_poison(const std::string& topic) {
    auto result = db_->write([&](store::Transaction& tx) -> Result<void> {
      tx.prepare(
            "INSERT INTO outbox (id, topic, msg_key, payload, created_at) "
            "SELECT last_id + 1, ?, 'p_poison', ?, '2026-12-04T00:00:00.000Z' FROM outbox_state")
          .bind(1, topic)
          .bind_blob(2, std::string(2'000'000, 'x'))
          .run();
      tx.prepare("UPDATE outbox_state SET last_id = last_id + 1").run();
      return {};
    });
    ASSERT_TRUE(result.has_value());
  }

  testing::TempDir dir_{"jaring-relay-"};
  std::unique_ptr<store::Database> db_ =
      store::Database::open((dir_.path() / "service.db").string(),
                            {store::outbox_migration(1), store::outbox_dead_letters_migration(2),
                             store::outbox_segments_migration(3)});
};

TEST_F(RelayTest, RowsCommittedSoonAfterOthersWereHandedAreGatheredAndStopDoesNotWaitForThem) {
  Producer producer(settings_, "relay", registry_);
  OutboxRelay relay(*db_, producer, registry_, {.idle_poll = 10s, .gather = 3s});
  relay.start();
  append(0, 1);
  relay.notify();
  // Nothing was handed for long: the first commit's row goes at once.
  ASSERT_TRUE(wait_for([&] { return store::outbox_backlog(*db_) == 0; }, kDeadline));
  const auto first_published = std::chrono::steady_clock::now();
  append(1, 2);
  relay.notify();
  append(2, 3);
  relay.notify();
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(store::outbox_backlog(*db_), 2) << "handed before the gathering time was up";
  ASSERT_TRUE(wait_for([&] { return store::outbox_backlog(*db_) == 0; }, kDeadline));
  EXPECT_GE(std::chrono::steady_clock::now() - first_published, 2s);

  // A row gathering when the service stops stays in the outbox for the next start. The step that
  // removed the published rows reads the outbox again right after: a row committed before that
  // read is handed at once, without gathering (CI met it once, on a loaded machine). The step
  // ends within milliseconds; the row is appended after it.
  std::this_thread::sleep_for(200ms);
  append(3, 4);
  relay.notify();
  const auto asked = std::chrono::steady_clock::now();
  relay.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - asked, 2s) << "stop waited for the gathering time";
  EXPECT_EQ(store::outbox_backlog(*db_), 1);
  const auto records = read_topic(kafka_.bootstrap(), kTestTopic, 3);
  ASSERT_EQ(records.size(), 3U);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(records[i].payload, "e" + std::to_string(i));
}

TEST_F(RelayTest, ARowTheProducerRefusesIsSetAsideAndTheRowsAfterItArePublished) {
  Producer producer(settings_, "relay", registry_);
  OutboxRelay relay(*db_, producer, registry_, {.batch_size = 4, .max_in_flight = 8, .idle_poll = 10s});
  // The relay aligns the outbox's limit with the producer's message.max.bytes.
  EXPECT_EQ(store::outbox_max_message_bytes(), 1'000'000 - store::kOutboxFramingBytes);

  append(0, 5);
  append_poison(kTestTopic);
  append(5, 10);
  const auto poison = store::outbox_fetch_unsent(*db_, 10)[5].id;

  relay.start();
  relay.notify();
  ASSERT_TRUE(wait_for([&] { return store::outbox_backlog(*db_) == 0; }, kDeadline));
  relay.stop();

  const auto letters = store::outbox_dead_letters(*db_, 10);
  ASSERT_EQ(letters.size(), 1u);
  EXPECT_EQ(letters[0].id, poison);
  EXPECT_EQ(letters[0].payload_bytes, 2'000'000);
  EXPECT_NE(letters[0].reason.find("too large"), std::string::npos) << letters[0].reason;
  EXPECT_EQ(metric(registry_, "outbox_dead_lettered_total"), 1);
  EXPECT_EQ(metric(registry_, "outbox_dead_letter_messages"), 1);
  EXPECT_EQ(metric(registry_, "outbox_backlog_messages"), 0);
  const auto note = relay.readiness_note();
  ASSERT_TRUE(note.has_value());
  EXPECT_NE(note->find("1 events refused by Kafka for good"), std::string::npos) << *note;

  // Every event but the poison, in order, once.
  EXPECT_EQ(records_in(kafka_.bootstrap(), kTestTopic), 10);
  const auto records = read_topic(kafka_.bootstrap(), kTestTopic, 10);
  ASSERT_EQ(records.size(), 10u);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(records[i].payload, "e" + std::to_string(i));
}

TEST_F(RelayTest, AcknowledgementsFromSeveralPartitionsRemoveEveryRowOnceAndSetTheRefusedOneAside) {
  // Reports come per partition, so the acknowledged ids have holes; the relay removes the rows
  // below the oldest one in flight as a range, which must not take a refused row before it is
  // set aside, nor a row whose report has not come.
  const std::string topic = "jaring.claims.v1";  // 8 partitions
  Producer producer(settings_, "relay", registry_);
  OutboxRelay relay(*db_, producer, registry_, {.batch_size = 50, .max_in_flight = 200, .idle_poll = 10s});
  const auto append_keyed = [&](int from, int to) {
    ASSERT_TRUE(db_->write([&](store::Transaction& tx) -> Result<void> {
                     for (int i = from; i < to; ++i)
                       store::outbox_append(tx, {0, topic, "k" + std::to_string(i), "e" + std::to_string(i)});
                     return {};
                   })
                    .has_value());
  };
  append_keyed(0, 150);
  append_poison(topic);
  append_keyed(150, 400);
  const auto poison = store::outbox_fetch_unsent(*db_, 200)[150].id;

  relay.start();
  relay.notify();
  ASSERT_TRUE(wait_for([&] { return store::outbox_fetch_unsent(*db_, 10).empty(); }, kDeadline));
  relay.stop();

  const auto letters = store::outbox_dead_letters(*db_, 10);
  ASSERT_EQ(letters.size(), 1u);
  EXPECT_EQ(letters[0].id, poison);
  EXPECT_EQ(records_in(kafka_.bootstrap(), topic), 400);
  std::set<std::string> payloads;
  for (const auto& record : read_topic(kafka_.bootstrap(), topic, 400)) payloads.insert(record.payload);
  EXPECT_EQ(payloads.size(), 400u);
  EXPECT_TRUE(payloads.contains("e0") && payloads.contains("e150") && payloads.contains("e399"));
}

TEST_F(RelayTest, WithTheBrokerStalledNoRowIsHandedTwiceAndTheStallIsReported) {
  Producer producer(settings_, "relay", registry_);
  // drain_once's old deadline (delivery_timeout) re-sent the whole backlog each time it passed;
  // here it passes many times while the broker is stalled.
  OutboxRelay relay(*db_, producer, registry_,
                    {.batch_size = 50,
                     .max_in_flight = 200,
                     .idle_poll = 20ms,
                     .delivery_timeout = 100ms,
                     .stall_after = 500ms,
                     .retry_backoff = 50ms});
  relay.start();
  append(0, 10);
  relay.notify();
  // Published: the producer has its id and the topic's metadata.
  ASSERT_TRUE(wait_for([&] { return store::outbox_backlog(*db_) == 0; }, kDeadline));
  EXPECT_FALSE(relay.readiness_note().has_value());

  kafka_.pause();
  append(10, 510);
  relay.notify();
  ASSERT_TRUE(wait_for([&] { return relay.stalled(); }, kDeadline));
  // Pipelined: four batches in flight at once, and no more than the window.
  EXPECT_EQ(metric(registry_, "outbox_in_flight_messages"), 200);
  EXPECT_EQ(producer.held(), 200);
  // Not published: the 200 in flight and the 300 after them.
  EXPECT_EQ(metric(registry_, "outbox_backlog_messages"), 500);
  EXPECT_EQ(metric(registry_, "outbox_relay_stalled"), 1);
  EXPECT_GE(metric(registry_, "outbox_stall_seconds"), 0.5);
  const auto note = relay.readiness_note();
  ASSERT_TRUE(note.has_value());
  EXPECT_NE(note->find("outbox relay stalled: 500 events wait"), std::string::npos) << *note;

  kafka_.resume();
  ASSERT_TRUE(wait_for([&] { return store::outbox_backlog(*db_) == 0; }, kDeadline));
  ASSERT_TRUE(wait_for([&] { return !relay.stalled(); }, kDeadline));
  relay.stop();
  EXPECT_EQ(metric(registry_, "outbox_relay_stalled"), 0);
  EXPECT_FALSE(relay.readiness_note().has_value());

  // Each event on the broker once, in order.
  EXPECT_EQ(records_in(kafka_.bootstrap(), kTestTopic), 510);
  const auto records = read_topic(kafka_.bootstrap(), kTestTopic, 510);
  ASSERT_EQ(records.size(), 510u);
  for (int i = 0; i < 510; ++i) EXPECT_EQ(records[i].payload, "e" + std::to_string(i));
}

TEST_F(KafkaTest, FailingApplyRetriesTheSameBatchAndCommitsNothingUntilItSucceeds) {
  Producer producer(settings_, "test", registry_);
  ASSERT_EQ(producer.produce_and_wait(messages(kTestTopic, 3, "e", 1), 10s), 3u);

  RecordingHandler handler;
  std::atomic<bool> failing{true};
  handler.set_hook([&](const std::vector<ConsumedMessage>&, DeadLetters&) -> Result<void> {
    if (failing) return fail(Error::unavailable("redis is down"));
    return {};
  });
  auto opts = options({kTestTopic});
  Consumer consumer(settings_, opts, handler, registry_);
  consumer.start();
  ASSERT_TRUE(wait_for([&] { return handler.attempts().size() >= 3; }, kDeadline));
  EXPECT_EQ(committed(kafka_.bootstrap(), opts.group_id, kTestTopic), std::vector<std::int64_t>{-1001});

  failing = false;
  ASSERT_TRUE(wait_for([&] { return handler.applied_count() == 3; }, kDeadline));
  EXPECT_TRUE(wait_for([&] { return committed_total(kafka_.bootstrap(), opts.group_id, kTestTopic) == 3; },
                       kDeadline));
  auto attempts = handler.attempts();
  ASSERT_GE(attempts.size(), 4u);
  // The first failed batch came back unchanged each time, the last time successfully.
  std::vector<std::int64_t> first;
  for (const auto& m : attempts.front()) first.push_back(m.offset);
  for (std::size_t i = 1; i < attempts.size(); ++i) {
    std::vector<std::int64_t> offsets;
    for (const auto& m : attempts[i]) offsets.push_back(m.offset);
    EXPECT_EQ(offsets, first) << "attempt " << i;
  }
  EXPECT_EQ(first, (std::vector<std::int64_t>{0, 1, 2}));
}

TEST_F(KafkaTest, StopWithMessagesFetchedButNotYetTakenLeavesThemToTheNextMember) {
  // librdkafka fetches ahead of the application: when a member stops under load, its queue
  // still holds messages it never took. Leaving the group must drop them (uncommitted: the next
  // member reads them), not abort the process (librdkafka 2.0.2 asserts on a fetched message
  // served on the close queue unless a consume callback takes it).
  Producer producer(settings_, "test", registry_);
  ASSERT_EQ(producer.produce_and_wait(messages(kTestTopic, 2000, "e", 1), 10s), 2000u);

  RecordingHandler first;
  std::atomic<bool> holding{false};
  first.set_hook([&](const std::vector<ConsumedMessage>&, DeadLetters&) -> Result<void> {
    holding = true;
    std::this_thread::sleep_for(300ms);  // stop() comes while this batch is applied
    return {};
  });
  auto opts = options({kTestTopic});
  opts.max_batch = 10;
  {
    Consumer consumer(settings_, opts, first, registry_);
    consumer.start();
    ASSERT_TRUE(wait_for([&] { return holding.load(); }, kDeadline));
    consumer.stop();
  }
  const auto taken = static_cast<std::int64_t>(first.applied_count());
  EXPECT_GE(taken, 10);
  EXPECT_LT(taken, 2000);
  EXPECT_EQ(committed_total(kafka_.bootstrap(), opts.group_id, kTestTopic), taken);

  RecordingHandler second;
  Consumer consumer(settings_, opts, second, registry_);
  consumer.start();
  ASSERT_TRUE(
      wait_for([&] { return second.applied_count() == 2000 - static_cast<std::size_t>(taken); }, kDeadline));
  EXPECT_EQ(second.applied().front().offset, taken);
  consumer.stop();
}

TEST_F(KafkaTest, WithoutAWaitABatchStillTakesEverythingAlreadyFetched) {
  // A backlog in the log before the consumer starts: its fetches bring many messages at once.
  Producer producer(settings_, "test", registry_);
  ASSERT_EQ(producer.produce_and_wait(messages(kTestTopic, 300, "e", 1), 10s), 300u);

  RecordingHandler handler;
  auto opts = options({kTestTopic});
  opts.max_wait = 0ms;  // coverage's setting: nothing waited for after a batch's first message
  opts.max_batch = 1000;
  Consumer consumer(settings_, opts, handler, registry_);
  consumer.start();
  ASSERT_TRUE(wait_for([&] { return handler.applied_count() == 300; }, kDeadline));
  consumer.stop();

  // Not one message a batch: each batch held what librdkafka had fetched when it began.
  std::size_t largest = 0;
  for (const auto& batch : handler.attempts()) largest = std::max(largest, batch.size());
  EXPECT_GE(largest, 50u);
  EXPECT_LE(handler.attempts().size(), 30u);
  // In log order, each message once.
  const auto applied = handler.applied();
  for (std::size_t i = 0; i < applied.size(); ++i) EXPECT_EQ(applied[i].offset, static_cast<std::int64_t>(i));
}

TEST_F(KafkaTest, ABatchWaitsUpToMaxWaitForMessagesAfterItsFirst) {
  RecordingHandler handler;
  auto opts = options({kTestTopic});
  opts.max_wait = 3s;  // far longer than the gap between the two messages below
  Consumer consumer(settings_, opts, handler, registry_);
  consumer.start();
  ASSERT_TRUE(wait_for([&] { return consumer.assigned(); }, kDeadline));
  Producer producer(settings_, "test", registry_);
  ASSERT_EQ(producer.produce_and_wait(messages(kTestTopic, 1, "first", 1), 10s), 1u);
  std::this_thread::sleep_for(300ms);  // the first is held by now; nothing more is, for a while
  ASSERT_EQ(producer.produce_and_wait(messages(kTestTopic, 1, "second", 1), 10s), 1u);
  ASSERT_TRUE(wait_for([&] { return handler.applied_count() == 2; }, kDeadline));
  consumer.stop();
  // One batch: it waited for the second message instead of ending when nothing more was held.
  ASSERT_EQ(handler.attempts().size(), 1u);
  EXPECT_EQ(handler.attempts()[0].size(), 2u);
}

TEST_F(KafkaTest, BatchesInARowCommitOnceAnIntervalAndWhatWasAppliedIsCommittedWhenNoneFollows) {
  RecordingHandler handler;
  auto opts = options({kTestTopic});
  opts.commit_interval = std::chrono::hours(1);  // only the first batch commits by the interval
  Consumer consumer(settings_, opts, handler, registry_);
  consumer.start();
  ASSERT_TRUE(wait_for([&] { return consumer.assigned(); }, kDeadline));

  Producer producer(settings_, "test", registry_);
  ASSERT_EQ(producer.produce_and_wait(messages(kTestTopic, 3, "a", 1), 10s), 3u);
  ASSERT_TRUE(wait_for([&] { return handler.applied_count() == 3; }, kDeadline));
  ASSERT_EQ(producer.produce_and_wait(messages(kTestTopic, 2, "b", 1), 10s), 2u);
  ASSERT_TRUE(wait_for([&] { return handler.applied_count() == 5; }, kDeadline));
  // The second batch came within the interval: its offsets reach the group once nothing follows.
  EXPECT_TRUE(wait_for([&] { return committed_total(kafka_.bootstrap(), opts.group_id, kTestTopic) == 5; },
                       kDeadline));
  consumer.stop();
}

TEST_F(KafkaTest, DeadLetteredEventCarriesTheReasonAndSourceAndCounts) {
  RecordingHandler handler;
  handler.set_hook([&](const std::vector<ConsumedMessage>& batch, DeadLetters& dead) -> Result<void> {
    for (const auto& m : batch) {
      if (m.payload == "bad") {
        if (auto sent = dead.send(m, "payload is not an Envelope"); !sent) return sent;
      }
    }
    return {};
  });
  auto opts = options({kTestTopic});
  Consumer consumer(settings_, opts, handler, registry_);
  consumer.start();

  Producer producer(settings_, "test", registry_);
  std::vector<Message> sent = {
      {kTestTopic, "p1", "good-1", {}}, {kTestTopic, "p2", "bad", {}}, {kTestTopic, "p3", "good-2", {}}};
  ASSERT_EQ(producer.produce_and_wait(sent, 10s), 3u);
  ASSERT_TRUE(wait_for([&] { return handler.applied_count() == 3; }, kDeadline));
  EXPECT_TRUE(wait_for([&] { return committed_total(kafka_.bootstrap(), opts.group_id, kTestTopic) == 3; },
                       kDeadline));

  auto letters = read_topic(kafka_.bootstrap(), "jaring.deadletter.v1", 1);
  ASSERT_EQ(letters.size(), 1u);
  EXPECT_EQ(letters[0].key, "p2");
  EXPECT_EQ(letters[0].payload, "bad");
  EXPECT_EQ(letters[0].headers["jaring-error"], "payload is not an Envelope");
  EXPECT_EQ(letters[0].headers["jaring-source-topic"], kTestTopic);
  EXPECT_EQ(letters[0].headers["jaring-source-partition"], "0");
  EXPECT_EQ(letters[0].headers["jaring-source-offset"], "1");
  EXPECT_EQ(metric(registry_, "dead_letters_total{topic=\"jaring.test.v1\"}"), 1);
}

TEST_F(KafkaTest, SecondMemberOfTheGroupResumesFromCommittedOffsets) {
  const std::string topic = "jaring.claims.v1";  // 8 partitions
  auto opts = options({topic});
  Producer producer(settings_, "test", registry_);
  ASSERT_EQ(producer.produce_and_wait(messages(topic, 20, "old-", 20), 10s), 20u);
  {
    RecordingHandler first;
    Consumer consumer(settings_, opts, first, registry_);
    consumer.start();
    ASSERT_TRUE(wait_for([&] { return first.applied_count() == 20; }, kDeadline));
    consumer.stop();  // the batch that was applied is committed before the thread ends
  }
  EXPECT_EQ(committed_total(kafka_.bootstrap(), opts.group_id, topic), 20);

  ASSERT_EQ(producer.produce_and_wait(messages(topic, 10, "new-", 10), 10s), 10u);
  RecordingHandler second;
  Consumer consumer(settings_, opts, second, registry_);
  consumer.start();
  ASSERT_TRUE(wait_for([&] { return second.applied_count() >= 10; }, kDeadline));
  // Any re-delivered old event would have come before the new ones of its partition.
  std::set<std::string> payloads;
  for (const auto& m : second.applied()) payloads.insert(m.payload);
  std::set<std::string> expected;
  for (int i = 0; i < 10; ++i) expected.insert("new-" + std::to_string(i));
  EXPECT_EQ(payloads, expected);
  EXPECT_EQ(second.applied_count(), 10u);
  EXPECT_TRUE(
      wait_for([&] { return committed_total(kafka_.bootstrap(), opts.group_id, topic) == 30; }, kDeadline));
}

TEST_F(KafkaTest, StartOffsetsFromTheHandlerAreHonoured) {
  const std::string topic = "jaring.csr.v1";
  produce_to_partition(kafka_.bootstrap(), topic, 0, 10);
  produce_to_partition(kafka_.bootstrap(), topic, 1, 10);

  RecordingHandler handler;
  handler.set_start({topic, 0}, 6);  // partition 1 and the rest: committed (none), so the beginning
  handler.fail_start_offsets(2);     // a store that is briefly down: assignment is retried
  Consumer consumer(settings_, options({topic}), handler, registry_);
  consumer.start();
  ASSERT_TRUE(wait_for([&] { return handler.applied_count() == 14; }, kDeadline));

  std::map<std::int32_t, std::vector<std::int64_t>> offsets;
  for (const auto& m : handler.applied()) offsets[m.partition].push_back(m.offset);
  EXPECT_EQ(offsets[0], (std::vector<std::int64_t>{6, 7, 8, 9}));
  EXPECT_EQ(offsets[1].size(), 10u);
  EXPECT_EQ(offsets[1].front(), 0);
  auto assignments = handler.assignments();
  ASSERT_EQ(assignments.size(), 3u);         // two failures, then success
  EXPECT_EQ(assignments.back().size(), 8u);  // every partition of the topic, to this only member
}

// A store restored from a backup taken before it applied anything of a partition: it starts
// there from the log's start, whatever the group committed since.
TEST_F(KafkaTest, ALogStartFromTheHandlerRereadsWhatTheGroupCommitted) {
  produce_to_partition(kafka_.bootstrap(), kTestTopic, 0, 5);
  const auto group = options({kTestTopic});
  {
    RecordingHandler first;
    Consumer consumer(settings_, group, first, registry_);
    consumer.start();
    ASSERT_TRUE(
        wait_for([&] { return metric(registry_, "events_consumed_total{topic=\"jaring.test.v1\"}") >= 5; },
                 kDeadline));
    consumer.stop();
  }
  RecordingHandler restored;
  restored.set_start({kTestTopic, 0}, kLogStart);
  Consumer again(settings_, group, restored, registry_);
  again.start();
  ASSERT_TRUE(wait_for([&] { return restored.applied_count() == 5; }, kDeadline));
  EXPECT_EQ(restored.applied().front().offset, 0);
}

TEST_F(KafkaTest, AnOffsetOutOfRangeIsAnAlarmNotASkip) {
  produce_to_partition(kafka_.bootstrap(), kTestTopic, 0, 5);
  RecordingHandler handler;
  handler.set_start({kTestTopic, 0}, 100);  // past the end: as if the log moved on without us
  Consumer consumer(settings_, options({kTestTopic}), handler, registry_);
  consumer.start();
  ASSERT_TRUE(wait_for([&] { return metric(registry_, "consumer_gaps_total") >= 1; }, kDeadline));
  EXPECT_EQ(handler.applied_count(), 0u);
}

}  // namespace
}  // namespace jaring::kafka

#pragma once
// Kafka adapters: an idempotent producer, the outbox relay, and a batch consumer that commits
// offsets only after the handler made its apply durable, with a dead-letter topic for events
// that cannot be applied. Works with real Kafka and with jaring-devkafka.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "jaring/common/result.hpp"
#include "jaring/metrics/metrics.hpp"
#include "jaring/store/sqlite.hpp"

namespace jaring::kafka {

// Connection settings. `properties` are passed to librdkafka as they are
// (security.protocol, sasl.*, ssl.* ... for a real cluster).
struct Settings {
  std::string bootstrap_servers;
  std::map<std::string, std::string> properties;
};

struct Message {
  std::string topic;
  std::string key;
  std::string payload;
  std::vector<std::pair<std::string, std::string>> headers;
};

class Producer {
 public:
  // Idempotent producer (acks=all, enable.idempotence). Throws std::runtime_error on bad settings.
  Producer(const Settings& settings, const std::string& client_id, metrics::Registry& metrics);
  ~Producer();
  Producer(const Producer&) = delete;
  Producer& operator=(const Producer&) = delete;

  // Produces every message and waits until the broker acknowledged each one or `timeout`
  // passed. Returns how many of the messages, counted from the first, were acknowledged:
  // a prefix, so a caller can mark exactly those as sent.
  std::size_t produce_and_wait(const std::vector<Message>& messages, std::chrono::milliseconds timeout);

  // True when the cluster answered a metadata request within `timeout`.
  bool reachable(std::chrono::milliseconds timeout);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct RelayOptions {
  int batch_size = 10000;                    // rows per round trip to Kafka
  std::chrono::milliseconds idle_poll{200};  // how often to look when nobody notified
  std::chrono::milliseconds delivery_timeout{10000};
};

// Publishes the store's outbox in id order and removes rows once acknowledged.
// A crash between publish and mark re-publishes: consumers deduplicate on event_id.
class OutboxRelay {
 public:
  OutboxRelay(store::Database& db, Producer& producer, metrics::Registry& metrics, RelayOptions options = {});
  ~OutboxRelay();
  void start();
  void stop();
  // Wakes the relay after a transaction wrote to the outbox.
  void notify();
  // Publishes what is unsent now; returns how many were published. Used by tests and start-up.
  std::size_t drain_once();

 private:
  void run();
  store::Database& db_;
  Producer& producer_;
  RelayOptions options_;
  prometheus::Gauge* backlog_;
  std::mutex mutex_;
  std::mutex drain_mutex_;  // serialises drain_once between the relay thread and callers
  std::condition_variable wake_;
  bool notified_ = false;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

struct TopicPartition {
  std::string topic;
  std::int32_t partition = 0;
  auto operator<=>(const TopicPartition&) const = default;
};

struct ConsumedMessage {
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::string key;
  std::string payload;
};

// Publishes messages a handler cannot apply to the dead-letter topic, synchronously, with the
// reason and the source position in headers.
class DeadLetters {
 public:
  virtual ~DeadLetters() = default;
  // Returns an error when the dead-letter topic did not acknowledge: the batch is then retried.
  virtual Result<void> send(const ConsumedMessage& message, const std::string& reason) = 0;
};

// What a consumer applies. The handler owns durability: when apply returns success, the
// effects of the batch (and, for handlers that keep them, the offsets reached) are durable.
class BatchHandler {
 public:
  virtual ~BatchHandler() = default;
  // Next offset to read for each newly assigned partition; partitions left out resume from
  // the group's committed offset (or the start of the log when there is none).
  virtual std::map<TopicPartition, std::int64_t> start_offsets(
      const std::vector<TopicPartition>& assigned) = 0;
  // Applies a batch in partition order. Messages it cannot apply go to `dead` (and count as
  // processed). An error means nothing durable happened: the same batch is offered again.
  virtual Result<void> apply(const std::vector<ConsumedMessage>& batch, DeadLetters& dead) = 0;
};

struct ConsumerOptions {
  std::string group_id;
  std::vector<std::string> topics;
  std::string dead_letter_topic = "jaring.deadletter.v1";
  int max_batch = 2000;
  std::chrono::milliseconds max_wait{50};        // how long to fill a batch
  std::chrono::milliseconds retry_backoff{500};  // after a failed apply
  int session_timeout_ms = 6000;                 // jaring-devkafka accepts 3000..6000
  // How long one offset commit may wait for the broker. A commit is never waited for past
  // stop(): with the broker gone, a service still stops within its grace period (a lost commit
  // only means a replay that the handler deduplicates).
  std::chrono::milliseconds commit_timeout{3000};
};

// A group consumer that polls batches, hands them to the handler, and commits the offsets
// after the handler returned success. A gap (offset out of range) is an alarm, never a skip.
// Start it once: stop() leaves the group for good.
class Consumer {
 public:
  Consumer(const Settings& settings, ConsumerOptions options, BatchHandler& handler,
           metrics::Registry& metrics);
  ~Consumer();
  void start();
  void stop();
  // True once the group assigned partitions to this member (or it holds none because others do).
  bool assigned() const { return assigned_.load(); }
  // Messages behind the high watermark, summed over assigned partitions.
  std::int64_t lag() const { return lag_.load(); }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::atomic<bool> assigned_{false};
  std::atomic<std::int64_t> lag_{0};
};

}  // namespace jaring::kafka

#pragma once
// Kafka adapters: an idempotent producer, the outbox relay, and a batch consumer that commits
// offsets only after the handler made its apply durable, with a dead-letter topic for events
// that cannot be applied. Works with real Kafka and with jaring-devkafka.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "jaring/common/result.hpp"
#include "jaring/kafka/relay_window.hpp"
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

// How one message handed to the producer ended.
enum class Delivery : char {
  kAcknowledged,  // the broker has it
  kFailed,        // not delivered this time (broker away, timed out): send it again later
  kRefused,       // refused for good (too large, corrupt, not authorised): sending again cannot help
};

// Reports one message's outcome: its index among the messages given to send(), and for a
// failure the error (librdkafka's words, never the payload). Called once per message taken,
// on the producer's poll thread (or the caller's, for a message refused before queueing). It
// must be quick and must not throw.
using DeliveryReport = std::function<void(std::size_t index, Delivery outcome, const std::string& reason)>;

// True for a produce error (a librdkafka rd_kafka_resp_err_t) that sending the same message
// again cannot cure: the relay sets such a row aside instead of retrying it forever.
bool refused_for_good(int librdkafka_error);

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

  // Hands messages to librdkafka without waiting, in order. Returns how many it took, from the
  // first: each of those is reported exactly once through `report`. It stops early when
  // librdkafka's local queue is full (the rest were not taken and are not reported) or after a
  // message that failed to queue for a reason that may pass.
  std::size_t send(std::span<const Message> messages, const DeliveryReport& report);

  // Messages handed to librdkafka and not yet reported (queued or in flight to the broker).
  std::int64_t held() const;
  // The largest message librdkafka accepts (message.max.bytes as configured).
  std::size_t max_message_bytes() const;

  // True when the cluster answered a metadata request within `timeout`.
  bool reachable(std::chrono::milliseconds timeout);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The next offset to be written (the high watermark) of every partition ("<topic>:<partition>")
// of each of `topics`: what the broker holds, duplicates included. UNAVAILABLE when the cluster
// does not answer within 10 s.
Result<std::map<std::string, std::int64_t>> high_watermarks(const Settings& settings,
                                                            const std::vector<std::string>& topics);

struct RelayOptions {
  int batch_size = 2500;                     // rows read and handed to the producer at once
  int max_in_flight = 10000;                 // rows handed and not yet reported, at most
  std::chrono::milliseconds idle_poll{200};  // how often to look when nobody notified
  // A commit's rows wait until this long after the last rows were handed, for the commits that
  // follow: single calls commit a row or two each, and reading and handing them at every commit
  // cost a read transaction each. The producer lingers longer than this anyway.
  std::chrono::milliseconds gather{5};
  // drain_once gives up after this long without an acknowledgement.
  std::chrono::milliseconds delivery_timeout{10000};
  // Rows waiting and no acknowledgement for this long: the relay reports itself stalled.
  std::chrono::milliseconds stall_after{30000};
  // After a failed delivery, the wait before the unsent rows are handed again.
  std::chrono::milliseconds retry_backoff{1000};
  // stop() waits at most this long (and not at all when stalled) for acknowledgements of rows
  // in flight; those that come later are published again at the next start (consumers
  // deduplicate on event_id).
  std::chrono::milliseconds stop_wait{2000};
};

// Publishes the store's outbox in id order and removes rows once acknowledged.
// Invariants: a row is in flight (handed to the producer, not yet reported) at most once; rows
// are read again from the oldest unsent one only when nothing is in flight. Batches are
// pipelined: the next rows after the highest id handed are read while earlier ones are in
// flight, up to max_in_flight. A row the broker refuses for good is set aside in
// outbox_dead_letters (store::outbox_dead_letters_migration) and the rows after it go on.
// A crash between publish and removal re-publishes: consumers deduplicate on event_id.
// Sets the process's outbox limit (store::set_outbox_max_message_bytes) from the producer's
// message.max.bytes, so that no row the producer would refuse for its size is ever stored.
class OutboxRelay {
 public:
  OutboxRelay(store::Database& db, Producer& producer, metrics::Registry& metrics, RelayOptions options = {});
  ~OutboxRelay();
  void start();
  void stop();
  // Wakes the relay; every commit that appends to its database's outbox does (on_outbox_commit).
  void notify();
  // Publishes what is unsent now, waiting for acknowledgements at most delivery_timeout
  // without progress; returns how many were published. Used by tests and start-up.
  std::size_t drain_once();
  // True while rows wait and no acknowledgement came for stall_after.
  bool stalled() const { return stalled_.load(); }
  // A line for /readyz's body (a readiness note, which never makes the service not ready:
  // writes wait safely in the outbox) while the relay is stalled or rows were set aside;
  // nullopt otherwise.
  std::optional<std::string> readiness_note() const;

 private:
  struct Inbox;
  struct Outcome {
    std::int64_t id;
    Delivery delivery;
    std::string reason;
  };
  // One round: applies the reports that came, then hands more rows when the window allows.
  // Returns the rows acknowledged in this round. Called with drain_mutex_ held.
  std::size_t step();
  // Removes what window_ says may go; `all`: every acknowledged row, even with rows in flight.
  void remove_acknowledged(bool all = false);
  void hand_rows();
  void refresh(bool force);
  // Waits for a report or notify() (or stop, when `until_stop`), at most `timeout`; woken by
  // notify() alone before `gather_until`, waits until then (or a report, or stop).
  void wait(std::chrono::milliseconds timeout, bool until_stop,
            std::chrono::steady_clock::time_point gather_until = {});
  void run();

  store::Database& db_;
  Producer& producer_;
  RelayOptions options_;
  prometheus::Gauge* backlog_;
  prometheus::Gauge* in_flight_gauge_;
  prometheus::Gauge* stalled_gauge_;
  prometheus::Gauge* stall_seconds_;
  prometheus::Counter* set_aside_;
  prometheus::Gauge* dead_letters_;
  std::shared_ptr<Inbox> inbox_;  // shared with delivery reports, which may outlive the relay
  std::mutex drain_mutex_;        // serialises the rounds of the relay thread and callers
  // Guarded by drain_mutex_.
  bool rewind_ = false;  // a delivery failed: read again from the oldest row
  // Rows handed (the highest id, the rows in flight), reported, to remove.
  RelayWindow window_;
  std::chrono::steady_clock::time_point last_progress_;
  std::chrono::steady_clock::time_point last_handed_{};  // when rows were last handed
  std::chrono::steady_clock::time_point hand_after_{};
  std::chrono::steady_clock::time_point refreshed_{};
  std::chrono::steady_clock::time_point removed_at_{};
  // Read by readiness_note() from the admin server's threads.
  std::atomic<bool> stalled_{false};
  std::atomic<std::int64_t> backlog_rows_{0};
  std::atomic<std::int64_t> dead_letter_rows_{0};
  std::atomic<std::int64_t> stall_ms_{0};
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

// Puts a batch "in partition order", as a consumer hands it over: each partition's messages
// together (partitions by topic and number), each partition's in the order they came (offset
// order, as the broker sends them). Moves each message once: a fetch brings runs of one
// partition, and the runs are what is sorted.
void in_partition_order(std::vector<ConsumedMessage>& batch);

// Reads every partition of one topic from its start, without a consumer group and without
// committing, and hands each message to `apply` on its own thread: a read model rebuilt at every
// start from a compacted topic that is the record (coverage's snapshots). Until the topic
// answers it retries every second.
class TopicFollower {
 public:
  // Called in offset order per partition; must not throw.
  using Apply = std::function<void(const ConsumedMessage&)>;
  TopicFollower(const Settings& settings, std::string topic, Apply apply);
  ~TopicFollower();
  TopicFollower(const TopicFollower&) = delete;
  TopicFollower& operator=(const TopicFollower&) = delete;
  void start();
  void stop();
  // True once every message the topic held when the follower started has been applied.
  bool caught_up() const { return caught_up_.load(); }
  // The topic's partition count once known (0 before).
  int partitions() const { return partitions_.load(); }
  // Why it is not caught up yet (for /readyz), or nullopt once it is.
  std::optional<std::string> not_ready() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::atomic<bool> caught_up_{false};
  std::atomic<int> partitions_{0};
};

// Publishes messages a handler cannot apply to the dead-letter topic, synchronously, with the
// reason and the source position in headers.
class DeadLetters {
 public:
  virtual ~DeadLetters() = default;
  // Returns an error when the dead-letter topic did not acknowledge: the batch is then retried.
  virtual Result<void> send(const ConsumedMessage& message, const std::string& reason) = 0;
};

// A start offset meaning the oldest message the broker still keeps (for a handler whose store
// has applied nothing of a partition, whatever the group committed).
inline constexpr std::int64_t kLogStart = -2;

// What a consumer applies. The handler owns durability: when apply returns success, the
// effects of the batch (and, for handlers that keep them, the offsets reached) are durable.
class BatchHandler {
 public:
  virtual ~BatchHandler() = default;
  // Next offset to read for each newly assigned partition (or kLogStart); partitions left out
  // resume from the group's committed offset (or the start of the log when there is none).
  // `cluster` is the broker's cluster id: a new one means a new log (the embedded broker
  // restarted, a cluster rebuilt), where offsets kept for the old one point at other events or
  // at none.
  virtual std::map<TopicPartition, std::int64_t> start_offsets(const std::vector<TopicPartition>& assigned,
                                                               const std::string& cluster) = 0;
  // Applies a batch in partition order. Messages it cannot apply go to `dead` (and count as
  // processed). An error means nothing durable happened: the same batch is offered again.
  virtual Result<void> apply(const std::vector<ConsumedMessage>& batch, DeadLetters& dead) = 0;
};

struct ConsumerOptions {
  std::string group_id;
  std::vector<std::string> topics;
  std::string dead_letter_topic = "jaring.deadletter.v1";
  int max_batch = 2000;
  // How long a batch waits for more messages after its first; past it (or with 0) it still takes
  // what librdkafka has fetched already, up to max_batch.
  std::chrono::milliseconds max_wait{50};
  std::chrono::milliseconds retry_backoff{500};  // after a failed apply
  int session_timeout_ms = 6000;                 // jaring-devkafka accepts 3000..6000
  // How long one offset commit may wait for the broker. A commit is never waited for past
  // stop(): with the broker gone, a service still stops within its grace period (a lost commit
  // only means a replay that the handler deduplicates).
  std::chrono::milliseconds commit_timeout{3000};
  // Applied offsets are committed to the group at most this often while batches follow each
  // other, and as soon as none comes. Every handler keeps its own offsets or dedupes, so the
  // group's commit only says where to resume when a handler has none: committing after every
  // batch cost the broker a request a batch, and the next batch waited for its answer.
  std::chrono::milliseconds commit_interval{200};
};

// A group consumer that polls batches, hands them to the handler, and commits the offsets
// after the handler returned success (at most every commit_interval). A gap (offset out of
// range) is an alarm, never a skip. A replaced log (the broker's cluster id changed: the
// embedded broker restarted and lost its events, or the cluster was rebuilt) is read again from
// its start: the positions and commits of the old log mean nothing in the new one, and every
// handler deduplicates what it applied before. Start it once: stop() leaves the group for good.
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
  // Times the broker's log was found replaced since start.
  std::int64_t log_replacements() const { return replacements_.load(); }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::atomic<bool> assigned_{false};
  std::atomic<std::int64_t> lag_{0};
  std::atomic<std::int64_t> replacements_{0};
};

// The cluster id of the brokers at `settings` (a new one means a new log; see Consumer).
Result<std::string> cluster_id(const Settings& settings);

}  // namespace jaring::kafka

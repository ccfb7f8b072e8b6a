#pragma once
// M&E and trend snapshots where every replica of coverage sees them (`snapshots.store: kafka`):
// each snapshot is one record on a compacted Kafka topic of one partition
// (jaring.coverage.snapshots.v1, key "<kind>/<period>"), which is the record; each replica's
// SQLite file (on its own writable volume) is only a read model, emptied and rebuilt from the
// topic at every start. A snapshot's id is its record's offset + 1, the same in every replica. A
// second record of one key (two replicas taking one period) replaces the first, as compaction
// does. Redis claims (RedisSnapshotClaims) keep such double takes rare.

#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "jaring/kafka/kafka.hpp"
#include "jaring/redis/redis.hpp"
#include "sqlite_snapshots.hpp"

namespace jaring::coverage {

class KafkaSnapshots final : public SnapshotStore {
 public:
  // `local` is the read model (its snapshot tables are emptied at start()); `producer` publishes
  // synchronously. Throws std::runtime_error on bad Kafka settings.
  KafkaSnapshots(SqliteSnapshots& local, kafka::Producer& producer, const kafka::Settings& settings,
                 std::string topic);
  ~KafkaSnapshots() override;
  // Empties the read model, then follows the topic from its start.
  void start();
  void stop();
  // Why the read model cannot answer yet (loading, a topic of several partitions, a failed
  // write), for /readyz; nullopt once it holds every snapshot the topic held at start.
  std::optional<std::string> not_ready() const;

  // Publishes the snapshot and returns once this replica's read model has it (UNAVAILABLE when
  // the broker does not acknowledge, or the record does not come back, within 10 s).
  Result<Snapshot> save(Snapshot snapshot, const std::vector<RwCoverage>& rws) override;
  Result<std::vector<Snapshot>> list(bool include_trend) override;
  Result<std::optional<Snapshot>> find(std::int64_t id) override;
  Result<std::vector<RwCoverage>> rows(std::int64_t id) override;

 private:
  void apply(const kafka::ConsumedMessage& message);
  Result<void> loaded() const;

  SqliteSnapshots& local_;
  kafka::Producer& producer_;
  std::string topic_;
  mutable std::mutex mutex_;
  std::condition_variable returned_;
  std::map<std::string, std::int64_t> returned_ids_;  // saves' nonces: the id, 0 until it came back
  std::string broken_;                                // a record the read model failed to keep
  kafka::TopicFollower follower_;                     // last: its thread calls apply()
};

// A scheduled snapshot's claim in Redis: SET <prefix>claim:<key> NX EX <ttl>. The claim expires,
// so a replica that won it and died before publishing leaves the period to another.
class RedisSnapshotClaims final : public SnapshotClaims {
 public:
  RedisSnapshotClaims(redis::Client& client, std::string prefix, std::chrono::seconds ttl);
  Result<bool> claim(const std::string& key) override;

 private:
  redis::Client& client_;
  std::string prefix_;
  std::chrono::seconds ttl_;
  std::string owner_;  // host and PID, for an operator who looks at the key
};

}  // namespace jaring::coverage

#pragma once
// Consumes the owners' topics: decodes each envelope, asks the core which counters move, and
// applies the batch to Redis together with the offsets reached. Events it cannot apply go to
// the dead-letter topic; event types coverage does not count are passed over.

#include "../core/change_feed.hpp"
#include "jaring/kafka/kafka.hpp"
#include "jaring/metrics/metrics.hpp"
#include "redis_counters.hpp"

namespace jaring::coverage {

class EventHandler final : public kafka::BatchHandler {
 public:
  // Each applied batch's RWs are published to `feed` (live views) when one is given.
  EventHandler(RedisCounters& counters, metrics::Registry& metrics, ChangeFeed* feed = nullptr);

  std::map<kafka::TopicPartition, std::int64_t> start_offsets(
      const std::vector<kafka::TopicPartition>& assigned) override;
  Result<void> apply(const std::vector<kafka::ConsumedMessage>& batch, kafka::DeadLetters& dead) override;

 private:
  RedisCounters& counters_;
  ChangeFeed* feed_;
  prometheus::Counter& applied_;
  prometheus::Counter& skipped_;
  prometheus::Histogram& script_seconds_;
};

}  // namespace jaring::coverage

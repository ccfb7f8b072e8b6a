#pragma once
// Consumes the owners' topics: decodes each envelope, asks the core which counters move, and
// applies the batch to Redis together with the offsets reached. Events it cannot apply go to
// the dead-letter topic; event types coverage does not count are passed over.

#include <functional>
#include <string>

#include "../core/change_feed.hpp"
#include "jaring/events/v1/envelope.pb.h"
#include "jaring/kafka/kafka.hpp"
#include "jaring/metrics/metrics.hpp"
#include "redis_counters.hpp"

namespace jaring::coverage {

class EventHandler final : public kafka::BatchHandler {
 public:
  // Each applied batch's RWs are published to `feed` (live views) when one is given.
  EventHandler(RedisCounters& counters, metrics::Registry& metrics, ChangeFeed* feed = nullptr);
  // Called (on the consumer's thread) when the counters were counted from another log than the
  // one now read: the broker's log was replaced and lost events no offset can bring back; only a
  // rebuild from the owners can (the service wires it to Recovery::repair).
  void on_log_replaced(std::function<void(std::string reason)> hook) { log_replaced_ = std::move(hook); }

  std::map<kafka::TopicPartition, std::int64_t> start_offsets(
      const std::vector<kafka::TopicPartition>& assigned, const std::string& cluster) override;
  Result<void> apply(const std::vector<kafka::ConsumedMessage>& batch, kafka::DeadLetters& dead) override;

 private:
  RedisCounters& counters_;
  ChangeFeed* feed_;
  std::function<void(std::string)> log_replaced_;
  std::string cluster_;  // the log being read (the consumer's last assignment says)
  prometheus::Counter& applied_;
  prometheus::Counter& skipped_;
  prometheus::Histogram& script_seconds_;
  events::v1::Envelope envelope_;  // each event is parsed into it (one consumer thread)
};

}  // namespace jaring::coverage

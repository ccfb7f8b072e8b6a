#pragma once
// Consumes jaring.registration.v1 (accounts open, move, close; agents) and jaring.csr.v1
// (sponsor payments). Each event is applied in one store transaction that also records its
// event_id, so a redelivered event changes nothing. Events that cannot be applied go to the
// dead-letter topic; a store failure makes the consumer offer the batch again.

#include "../core/contribution.hpp"
#include "jaring/kafka/kafka.hpp"
#include "jaring/metrics/metrics.hpp"

namespace jaring::contribution {

class EventHandler final : public kafka::BatchHandler {
 public:
  EventHandler(Contribution& core, metrics::Registry& metrics);

  std::map<kafka::TopicPartition, std::int64_t> start_offsets(
      const std::vector<kafka::TopicPartition>& assigned) override;
  Result<void> apply(const std::vector<kafka::ConsumedMessage>& batch, kafka::DeadLetters& dead) override;

 private:
  Contribution& core_;
  prometheus::Counter& applied_;
};

}  // namespace jaring::contribution

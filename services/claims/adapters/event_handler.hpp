#pragma once
// Consumes jaring.registration.v1 (participants: RW, branch, declared income, registration and
// exit dates) and jaring.contribution.v1 (bills, payments and reversals: which periods were paid,
// and when) into the claims store's projections. Each event is applied in one transaction that
// records its event_id, so a redelivered event changes nothing. Events that cannot be applied go
// to the dead-letter topic; a store failure makes the consumer offer the batch again.

#include "../core/claims.hpp"
#include "jaring/kafka/kafka.hpp"
#include "jaring/metrics/metrics.hpp"

namespace jaring::claims {

class EventHandler final : public kafka::BatchHandler {
 public:
  EventHandler(Claims& core, metrics::Registry& metrics);

  std::map<kafka::TopicPartition, std::int64_t> start_offsets(
      const std::vector<kafka::TopicPartition>& assigned) override;
  Result<void> apply(const std::vector<kafka::ConsumedMessage>& batch, kafka::DeadLetters& dead) override;

 private:
  Claims& core_;
  prometheus::Counter& applied_;
  prometheus::Counter& dead_;
};

}  // namespace jaring::claims

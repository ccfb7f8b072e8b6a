#pragma once
// Consumes what other services decide about a participation: claims' ClaimPaid (a paid death
// claim ends it) and csr-donor's SponsorshipChanged (the payer follows the sponsor). Each event
// is applied once: its id is the idempotency key of the change it makes, stored in the same
// transaction. Events that cannot be applied go to the dead-letter topic; a store failure makes
// the consumer offer the batch again.

#include "../core/registration.hpp"
#include "jaring/kafka/kafka.hpp"
#include "jaring/metrics/metrics.hpp"

namespace jaring::registration {

class EventHandler final : public kafka::BatchHandler {
 public:
  EventHandler(Registration& core, metrics::Registry& metrics);

  std::map<kafka::TopicPartition, std::int64_t> start_offsets(
      const std::vector<kafka::TopicPartition>& assigned) override;
  Result<void> apply(const std::vector<kafka::ConsumedMessage>& batch, kafka::DeadLetters& dead) override;

 private:
  Registration& core_;
  prometheus::Counter& applied_;
};

}  // namespace jaring::registration

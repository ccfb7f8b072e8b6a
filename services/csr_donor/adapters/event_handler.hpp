#pragma once
// Consumes jaring.registration.v1 (the participant projection: RW, category, payer, moves,
// exits), jaring.contribution.v1 (ContributionBilled: pay a sponsored bill;
// SponsorPaymentRejected: refund) and jaring.claims.v1 (ClaimPaid: impact). Each event is applied
// in one store transaction that records its event_id, so a redelivered event changes nothing.
// Events that cannot be applied go to the dead-letter topic; a store failure offers the batch again.

#include "../core/csr.hpp"
#include "jaring/kafka/kafka.hpp"
#include "jaring/metrics/metrics.hpp"

namespace jaring::csr {

class EventHandler final : public kafka::BatchHandler {
 public:
  EventHandler(CsrDonor& core, metrics::Registry& metrics);

  std::map<kafka::TopicPartition, std::int64_t> start_offsets(
      const std::vector<kafka::TopicPartition>& assigned) override;
  Result<void> apply(const std::vector<kafka::ConsumedMessage>& batch, kafka::DeadLetters& dead) override;

  // Applies one serialized envelope (the consumer, and tests that pass events in memory).
  Result<void> apply_payload(const std::string& payload);

 private:
  CsrDonor& core_;
  prometheus::Counter& applied_;
  prometheus::Counter& paid_;
  prometheus::Counter& failed_;
};

}  // namespace jaring::csr

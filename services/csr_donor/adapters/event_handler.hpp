#pragma once
// Consumes jaring.registration.v1 (the participant projection: RW, category, payer, moves,
// exits), jaring.contribution.v1 (ContributionBilled: pay a sponsored bill;
// SponsorPaymentRejected: refund) and jaring.claims.v1 (ClaimPaid: impact). Each event is applied
// in one store transaction that records its event_id, so a redelivered event changes nothing.
// Events that cannot be applied go to the dead-letter topic; a store failure offers the batch again.

#include "../core/projections.hpp"
#include "jaring/events/handler.hpp"
#include "jaring/metrics/metrics.hpp"

namespace jaring::csr {

class EventHandler final : public events::EnvelopeHandler {
 public:
  EventHandler(Projections& projections, metrics::Registry& metrics);

 protected:
  Result<void> apply_event(const events::v1::Envelope& envelope) override;

 private:
  Projections& projections_;
  prometheus::Counter& paid_;
  prometheus::Counter& failed_;
};

}  // namespace jaring::csr

#pragma once
// Consumes what other services decide about a participation: claims' ClaimPaid (a paid death
// claim ends it) and csr-donor's SponsorshipChanged (the payer follows the sponsor). Each event
// is applied once: its id is the idempotency key of the change it makes, stored in the same
// transaction. Events that cannot be applied go to the dead-letter topic; a store failure makes
// the consumer offer the batch again.

#include "../core/registration.hpp"
#include "jaring/events/handler.hpp"
#include "jaring/metrics/metrics.hpp"

namespace jaring::registration {

class EventHandler final : public events::EnvelopeHandler {
 public:
  EventHandler(Registration& core, metrics::Registry& metrics);

 protected:
  Result<void> apply_event(const events::v1::Envelope& envelope) override;

 private:
  Registration& core_;
};

}  // namespace jaring::registration

#pragma once
// Consumes jaring.contribution.v1 (bills, payments and reversals: which periods were paid, and
// when) into the claims store's projection. Each event is applied in one transaction that
// records its event_id, so a redelivered event changes nothing. Events that cannot be applied go
// to the dead-letter topic; a store failure makes the consumer offer the batch again.

#include "../core/claims.hpp"
#include "jaring/events/handler.hpp"
#include "jaring/metrics/metrics.hpp"

namespace jaring::claims {

class EventHandler final : public events::EnvelopeHandler {
 public:
  EventHandler(Claims& core, metrics::Registry& metrics);

 protected:
  Result<void> apply_event(const events::v1::Envelope& envelope) override;

 private:
  Claims& core_;
};

}  // namespace jaring::claims

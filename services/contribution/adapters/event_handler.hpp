#pragma once
// Consumes jaring.registration.v1 (accounts open, move, close; agents) and jaring.csr.v1
// (sponsor payments). Each event is applied in one store transaction that also records its
// event_id, so a redelivered event changes nothing. Events that cannot be applied go to the
// dead-letter topic; a store failure makes the consumer offer the batch again.

#include "../core/contribution.hpp"
#include "jaring/events/handler.hpp"
#include "jaring/metrics/metrics.hpp"

namespace jaring::contribution {

class EventHandler final : public events::EnvelopeHandler {
 public:
  EventHandler(Contribution& core, metrics::Registry& metrics);

 protected:
  Result<void> apply_event(const events::v1::Envelope& envelope) override;

 private:
  Contribution& core_;
};

}  // namespace jaring::contribution

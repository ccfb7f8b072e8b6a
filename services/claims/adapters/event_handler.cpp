#include "event_handler.hpp"

#include "jaring/events/envelope.hpp"

namespace jaring::claims {
EventHandler::EventHandler(Claims& core, metrics::Registry& metrics)
    : EnvelopeHandler(metrics, "the claims projections"), core_(core) {}

Result<void> EventHandler::apply_event(const events::v1::Envelope& envelope) {
  auto& core = core_;
  using events::v1::Envelope;
  const auto& id = envelope.event_id();
  const auto at = events::occurred_at(envelope);
  switch (envelope.payload_case()) {
    case Envelope::kContributionBilled: {
      const auto& e = envelope.contribution_billed();
      return core.contribution_billed(id, e.participant_id(), e.period(), e.outstanding(), at);
    }
    case Envelope::kPaymentReceived: {
      const auto& e = envelope.payment_received();
      PaymentFacts facts{e.payment_id(), e.participant_id(), {}, {}, e.covered_through()};
      facts.periods.assign(e.periods().begin(), e.periods().end());
      facts.paid_periods.assign(e.paid_periods().begin(), e.paid_periods().end());
      return core.payment_received(id, facts, at);
    }
    case Envelope::kPaymentReversed: {
      const auto& e = envelope.payment_reversed();
      return core.payment_reversed(id, e.participant_id(), e.payment_id());
    }
    // CoverageChanged among them: a claim's coverage is computed from the periods billed and
    // paid on its event date, so the state contribution announces is not kept here (it was, for
    // nothing that read it: a write per registration and per change). Participants' events are
    // not followed either: registration answers for a participant when a claim needs one.
    default:
      return {};
  }
}

}  // namespace jaring::claims

#include "event_handler.hpp"

#include "jaring/events/envelope.hpp"

namespace jaring::contribution {
EventHandler::EventHandler(Contribution& core, metrics::Registry& metrics)
    : EnvelopeHandler(metrics, "the contribution store"), core_(core) {}

Result<void> EventHandler::apply_event(const events::v1::Envelope& envelope) {
  auto& core = core_;
  using events::v1::Envelope;
  const auto& id = envelope.event_id();
  switch (envelope.payload_case()) {
    case Envelope::kParticipantRegistered: {
      const auto& e = envelope.participant_registered();
      Opening o;
      o.participant_id = e.participant_id();
      o.rw_code = e.rw_code();
      o.agent_id = e.agent_id();
      o.branch_code = e.branch_code();
      // Older producers leave registered_on empty: the day it happened in Jakarta is the same fact.
      o.registered_on =
          e.registered_on().empty() ? jakarta_date(events::occurred_at(envelope)) : e.registered_on();
      o.project_end_date = e.project_end_date();
      o.opened_at = format_utc(events::occurred_at(envelope));
      o.terms = {e.category(), e.payer(), e.programs(), e.income_band()};
      o.counted_awaiting = e.counted_awaiting();
      return core.open_account(id, o);
    }
    case Envelope::kParticipantMoved: {
      const auto& e = envelope.participant_moved();
      return core.move_account(id, e.participant_id(), e.to_rw_code());
    }
    case Envelope::kParticipantExited: {
      const auto& e = envelope.participant_exited();
      return core.exit_account(id, e.participant_id(), e.reason(), e.exit_date());
    }
    case Envelope::kParticipantUpdated: {
      const auto& e = envelope.participant_updated();
      return core.update_terms(id, e.participant_id(),
                               {e.category(), e.payer(), e.programs(), e.income_band()});
    }
    case Envelope::kAgentRegistered: {
      const auto& e = envelope.agent_registered();
      return core.register_agent(id, e.agent_id(), e.organisation(), e.branch_code());
    }
    case Envelope::kSponsorPaymentMade: {
      const auto& e = envelope.sponsor_payment_made();
      return core.apply_sponsor_payment(
          id, {e.sponsor_id(), e.allocation_id(), e.participant_id(), e.period(), e.amount()});
    }
    case Envelope::kSponsorshipChanged: {
      const auto& e = envelope.sponsorship_changed();
      return core.sponsorship_changed(id, e.participant_id(), e.cohort_id(), e.from_period(), e.to_period());
    }
    default:
      return {};
  }
}

}  // namespace jaring::contribution

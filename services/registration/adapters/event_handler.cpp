#include "event_handler.hpp"

namespace jaring::registration {

EventHandler::EventHandler(Registration& core, metrics::Registry& metrics)
    : EnvelopeHandler(metrics, "participations (claims paid, sponsorships)"), core_(core) {}

Result<void> EventHandler::apply_event(const events::v1::Envelope& envelope) {
  auto& core = core_;
  using events::v1::Envelope;
  Result<std::optional<Participant>> changed = std::optional<Participant>();
  switch (envelope.payload_case()) {
    case Envelope::kClaimPaid: {
      const auto& e = envelope.claim_paid();
      if (!e.ends_participation()) return {};
      changed = core.end_by_paid_claim(envelope.event_id(), e.participant_id(), e.event_date());
      break;
    }
    case Envelope::kSponsorshipChanged: {
      const auto& e = envelope.sponsorship_changed();
      if (e.sponsored_before() == e.sponsored_after()) return {};  // a move: registration made it
      changed = core.follow_sponsorship(envelope.event_id(), e.participant_id(), e.sponsored_after(),
                                        e.sponsor_kind());
      break;
    }
    default:
      return {};
  }
  if (!changed) return fail(changed.error());
  return {};
}

}  // namespace jaring::registration

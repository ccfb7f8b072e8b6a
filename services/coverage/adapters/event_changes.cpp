#include "event_changes.hpp"

#include "../core/coverage.hpp"

namespace jaring::coverage {

Result<std::vector<CounterOp>> changes_of(const events::v1::Envelope& envelope) {
  using events::v1::Envelope;
  switch (envelope.payload_case()) {
    case Envelope::kRwCreated: {
      const auto& e = envelope.rw_created();
      return plan(RwCreated{e.rw_code(), e.kelurahan_code(), e.target()});
    }
    case Envelope::kRwUpdated: {
      const auto& e = envelope.rw_updated();
      return plan(RwUpdated{e.rw_code(), e.kelurahan_code(), e.target(), e.active()});
    }
    case Envelope::kParticipantRegistered: {
      const auto& e = envelope.participant_registered();
      return plan(ParticipantRegistered{e.participant_id(), e.rw_code(), e.counted_awaiting()});
    }
    case Envelope::kParticipantMoved: {
      const auto& e = envelope.participant_moved();
      return plan(ParticipantMoved{e.participant_id(), e.from_rw_code(), e.to_rw_code()});
    }
    case Envelope::kParticipantExited: {
      const auto& e = envelope.participant_exited();
      return plan(ParticipantExited{e.participant_id(), e.rw_code()});
    }
    case Envelope::kCoverageChanged: {
      const auto& e = envelope.coverage_changed();
      return plan(CoverageChanged{e.participant_id(), e.rw_code(), e.previous_rw_code(), e.from_state(),
                                  e.to_state()});
    }
    case Envelope::kClaimPaid: {
      const auto& e = envelope.claim_paid();
      return plan(ClaimPaid{e.rw_code(), e.amount()});
    }
    case Envelope::kSponsorshipChanged: {
      const auto& e = envelope.sponsorship_changed();
      return plan(
          SponsorshipChanged{e.rw_code(), e.previous_rw_code(), e.sponsored_before(), e.sponsored_after()});
    }
    default:
      return std::vector<CounterOp>{};
  }
}

}  // namespace jaring::coverage

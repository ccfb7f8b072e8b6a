#include "event_handler.hpp"

#include <spdlog/spdlog.h>

#include <fmt/format.h>

#include "jaring/events/v1/envelope.pb.h"

namespace jaring::csr {

EventHandler::EventHandler(Projections& projections, metrics::Registry& metrics)
    : EnvelopeHandler(metrics, "the csr-donor store"),
      projections_(projections),
      paid_(metrics.counter("sponsor_payments_total", "Sponsored bills paid from a wallet").Add({})),
      failed_(metrics
                  .counter("sponsor_payments_failed_total",
                           "Sponsored bills a wallet could not cover (left open for the worker or agent)")
                  .Add({})) {}

Result<void> EventHandler::apply_event(const events::v1::Envelope& envelope) {
  using events::v1::Envelope;
  const auto& id = envelope.event_id();
  Result<void> applied;
  switch (envelope.payload_case()) {
    case Envelope::kParticipantRegistered: {
      const auto& e = envelope.participant_registered();
      applied = projections_.participant_registered(id, {e.participant_id(), e.rw_code(), e.category(),
                                                         e.payer(), e.programs(), e.income_band(), true, ""});
      break;
    }
    case Envelope::kParticipantUpdated: {
      const auto& e = envelope.participant_updated();
      applied = projections_.participant_updated(
          id, {e.participant_id(), "", e.category(), e.payer(), e.programs(), e.income_band(), true, ""});
      break;
    }
    case Envelope::kParticipantMoved: {
      const auto& e = envelope.participant_moved();
      applied = projections_.participant_moved(id, e.participant_id(), e.to_rw_code());
      break;
    }
    case Envelope::kParticipantExited: {
      const auto& e = envelope.participant_exited();
      applied = projections_.participant_exited(id, e.participant_id(), e.exit_date());
      break;
    }
    case Envelope::kContributionBilled: {
      const auto& e = envelope.contribution_billed();
      auto outcome = projections_.contribution_billed(
          id, {e.participant_id(), e.rw_code(), e.period(), e.agent_id(), e.amount(), e.outstanding()});
      if (!outcome) return fail(outcome.error());
      if (*outcome == BillOutcome::kPaid) paid_.Increment();
      if (*outcome == BillOutcome::kFailed) {
        failed_.Increment();
        spdlog::warn("sponsor could not pay {} for {}: insufficient funds", e.participant_id(), e.period());
      }
      break;
    }
    case Envelope::kSponsorPaymentRejected: {
      const auto& e = envelope.sponsor_payment_rejected();
      // The reason goes to the ledger, checked by the core; the log names the payment only.
      spdlog::warn("contribution rejected sponsor payment {} of {}", e.allocation_id(), e.sponsor_id());
      auto refunded = projections_.payment_rejected(
          id, {e.sponsor_id(), e.allocation_id(), e.participant_id(), e.period(), e.reason(), e.amount()});
      if (!refunded) return fail(refunded.error());
      if (*refunded) failed_.Increment();
      break;
    }
    case Envelope::kClaimPaid: {
      const auto& e = envelope.claim_paid();
      applied = projections_.claim_paid(
          id, {e.claim_id(), e.participant_id(), e.rw_code(), e.claim_type(), e.event_date(), e.amount()});
      break;
    }
    default:
      return {};  // events csr-donor does not follow
  }
  return applied;
}

}  // namespace jaring::csr

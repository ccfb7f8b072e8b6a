#include "event_handler.hpp"

#include <spdlog/spdlog.h>

#include <fmt/format.h>

#include "jaring/events/v1/envelope.pb.h"

namespace jaring::csr {
namespace {

bool retryable(const Error& error) {
  return error.code == ErrorCode::kUnavailable || error.code == ErrorCode::kInternal;
}

}  // namespace

EventHandler::EventHandler(CsrDonor& core, metrics::Registry& metrics)
    : core_(core),
      applied_(metrics.counter("events_applied_total", "Events applied to the csr-donor store").Add({})),
      paid_(metrics.counter("sponsor_payments_total", "Sponsored bills paid from a wallet").Add({})),
      failed_(metrics
                  .counter("sponsor_payments_failed_total",
                           "Sponsored bills a wallet could not cover (left open for the worker or agent)")
                  .Add({})) {}

std::map<kafka::TopicPartition, std::int64_t> EventHandler::start_offsets(
    const std::vector<kafka::TopicPartition>&) {
  // The group's committed offsets are enough: every apply records its event id, so whatever is
  // delivered again after a crash is recognised and skipped.
  return {};
}

Result<void> EventHandler::apply_payload(const std::string& payload) {
  using events::v1::Envelope;
  Envelope envelope;
  if (!envelope.ParseFromString(payload))
    return fail(Error::invalid({{"payload", "is not a jaring.events.v1.Envelope"}}));
  const auto& id = envelope.event_id();
  Result<void> applied;
  switch (envelope.payload_case()) {
    case Envelope::kParticipantRegistered: {
      const auto& e = envelope.participant_registered();
      applied = core_.participant_registered(id, {e.participant_id(), e.rw_code(), e.category(), e.payer(),
                                                  e.programs(), e.income_band(), true, ""});
      break;
    }
    case Envelope::kParticipantUpdated: {
      const auto& e = envelope.participant_updated();
      applied = core_.participant_updated(
          id, {e.participant_id(), "", e.category(), e.payer(), e.programs(), e.income_band(), true, ""});
      break;
    }
    case Envelope::kParticipantMoved: {
      const auto& e = envelope.participant_moved();
      applied = core_.participant_moved(id, e.participant_id(), e.to_rw_code());
      break;
    }
    case Envelope::kParticipantExited: {
      const auto& e = envelope.participant_exited();
      applied = core_.participant_exited(id, e.participant_id(), e.exit_date());
      break;
    }
    case Envelope::kContributionBilled: {
      const auto& e = envelope.contribution_billed();
      auto outcome = core_.contribution_billed(
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
      spdlog::warn("contribution rejected sponsor payment {} of {}: {}", e.allocation_id(), e.sponsor_id(),
                   e.reason());
      auto refunded = core_.payment_rejected(
          id, {e.sponsor_id(), e.allocation_id(), e.participant_id(), e.period(), e.reason(), e.amount()});
      if (!refunded) return fail(refunded.error());
      if (*refunded) failed_.Increment();
      break;
    }
    case Envelope::kClaimPaid: {
      const auto& e = envelope.claim_paid();
      applied = core_.claim_paid(
          id, {e.claim_id(), e.participant_id(), e.rw_code(), e.claim_type(), e.event_date(), e.amount()});
      break;
    }
    default:
      return {};  // events csr-donor does not follow
  }
  if (!applied) {
    return fail(Error{applied.error().code,
                      fmt::format("{} {}: {}", envelope.type(), envelope.event_id(), applied.error().message),
                      applied.error().violations});
  }
  return {};
}

Result<void> EventHandler::apply(const std::vector<kafka::ConsumedMessage>& batch, kafka::DeadLetters& dead) {
  for (const auto& message : batch) {
    auto applied = apply_payload(message.payload);
    if (!applied && retryable(applied.error())) return applied;
    if (!applied) {
      auto reason = applied.error().message;
      for (const auto& v : applied.error().violations) reason += fmt::format(" {}: {}", v.field, v.rule);
      spdlog::warn("dead-lettering {}", reason);
      if (auto sent = dead.send(message, reason); !sent) return sent;
      continue;
    }
    applied_.Increment();
  }
  return {};
}

}  // namespace jaring::csr

#include "event_handler.hpp"

#include <spdlog/spdlog.h>

#include <fmt/format.h>

#include "jaring/events/v1/envelope.pb.h"

namespace jaring::registration {
namespace {

// Applies one envelope; true when it changed a participation. Other types are passed over.
Result<bool> apply_one(Registration& core, const events::v1::Envelope& envelope) {
  using events::v1::Envelope;
  Result<std::optional<Participant>> changed = std::optional<Participant>();
  switch (envelope.payload_case()) {
    case Envelope::kClaimPaid: {
      const auto& e = envelope.claim_paid();
      if (!e.ends_participation()) return false;
      changed = core.end_by_paid_claim(envelope.event_id(), e.participant_id(), e.event_date());
      break;
    }
    case Envelope::kSponsorshipChanged: {
      const auto& e = envelope.sponsorship_changed();
      if (e.sponsored_before() == e.sponsored_after()) return false;  // a move: registration made it
      changed = core.follow_sponsorship(envelope.event_id(), e.participant_id(), e.sponsored_after(),
                                        e.sponsor_kind());
      break;
    }
    default:
      return false;
  }
  if (!changed) return fail(changed.error());
  return changed->has_value();
}

bool retryable(const Error& error) {
  return error.code == ErrorCode::kUnavailable || error.code == ErrorCode::kInternal;
}

}  // namespace

EventHandler::EventHandler(Registration& core, metrics::Registry& metrics)
    : core_(core),
      applied_(metrics.counter("events_applied_total", "Other services' events that changed a participation")
                   .Add({})) {}

std::map<kafka::TopicPartition, std::int64_t> EventHandler::start_offsets(
    const std::vector<kafka::TopicPartition>&) {
  // The group's committed offsets are enough: a redelivered event finds its idempotency key.
  return {};
}

Result<void> EventHandler::apply(const std::vector<kafka::ConsumedMessage>& batch, kafka::DeadLetters& dead) {
  for (const auto& message : batch) {
    events::v1::Envelope envelope;
    if (!envelope.ParseFromString(message.payload)) {
      if (auto sent = dead.send(message, "payload is not a jaring.events.v1.Envelope"); !sent) return sent;
      continue;
    }
    auto applied = apply_one(core_, envelope);
    if (!applied && retryable(applied.error())) return fail(applied.error());
    if (!applied) {
      const auto reason =
          fmt::format("{} {}: {}", envelope.type(), envelope.event_id(), applied.error().message);
      spdlog::warn("dead-lettering {}", reason);
      if (auto sent = dead.send(message, reason); !sent) return sent;
      continue;
    }
    if (*applied) applied_.Increment();
  }
  return {};
}

}  // namespace jaring::registration

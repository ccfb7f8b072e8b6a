#include "event_handler.hpp"

#include <google/protobuf/util/time_util.h>
#include <spdlog/spdlog.h>

#include <fmt/format.h>

#include "jaring/events/v1/envelope.pb.h"

namespace jaring::contribution {
namespace {

TimePoint occurred_at(const events::v1::Envelope& envelope) {
  const auto nanos = google::protobuf::util::TimeUtil::TimestampToNanoseconds(envelope.occurred_at());
  return TimePoint(std::chrono::duration_cast<TimePoint::duration>(std::chrono::nanoseconds(nanos)));
}

// Applies one envelope; event types the contribution service does not follow are passed over.
Result<void> apply_one(Contribution& core, const events::v1::Envelope& envelope) {
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
      o.registered_on = e.registered_on().empty() ? jakarta_date(occurred_at(envelope)) : e.registered_on();
      o.project_end_date = e.project_end_date();
      o.opened_at = format_utc(occurred_at(envelope));
      o.terms = {e.category(), e.payer(), e.programs(), e.income_band()};
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
    default:
      return {};
  }
}

bool retryable(const Error& error) {
  return error.code == ErrorCode::kUnavailable || error.code == ErrorCode::kInternal;
}

}  // namespace

EventHandler::EventHandler(Contribution& core, metrics::Registry& metrics)
    : core_(core),
      applied_(metrics.counter("events_applied_total", "Events applied to the contribution store").Add({})) {}

std::map<kafka::TopicPartition, std::int64_t> EventHandler::start_offsets(
    const std::vector<kafka::TopicPartition>&) {
  // The group's committed offsets are enough: every apply records its event id, so whatever is
  // delivered again after a crash is recognised and skipped.
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
    if (!applied && retryable(applied.error())) return applied;
    if (!applied) {
      const auto reason =
          fmt::format("{} {}: {}", envelope.type(), envelope.event_id(), applied.error().message);
      spdlog::warn("dead-lettering {}", reason);
      if (auto sent = dead.send(message, reason); !sent) return sent;
      continue;
    }
    applied_.Increment();
  }
  return {};
}

}  // namespace jaring::contribution

#include "event_handler.hpp"

#include <google/protobuf/util/time_util.h>
#include <spdlog/spdlog.h>

#include <fmt/format.h>

#include "jaring/events/v1/envelope.pb.h"

namespace jaring::claims {
namespace {

TimePoint occurred_at(const events::v1::Envelope& envelope) {
  const auto nanos = google::protobuf::util::TimeUtil::TimestampToNanoseconds(envelope.occurred_at());
  return TimePoint(std::chrono::duration_cast<TimePoint::duration>(std::chrono::nanoseconds(nanos)));
}

// Applies one envelope; event types claims does not follow are passed over.
Result<void> apply_one(Claims& core, const events::v1::Envelope& envelope) {
  using events::v1::Envelope;
  const auto& id = envelope.event_id();
  const auto at = occurred_at(envelope);
  switch (envelope.payload_case()) {
    case Envelope::kParticipantRegistered: {
      const auto& e = envelope.participant_registered();
      Participant p;
      p.participant_id = e.participant_id();
      p.rw_code = e.rw_code();
      p.branch_code = e.branch_code();
      p.category = e.category();
      p.agent_id = e.agent_id();
      p.income_band = e.income_band();
      // Older producers leave registered_on empty: the Jakarta day it happened is the same fact.
      p.registered_on = e.registered_on().empty() ? jakarta_date(at) : e.registered_on();
      p.coverage_state = "active";
      return core.participant_registered(id, p);
    }
    case Envelope::kParticipantUpdated: {
      const auto& e = envelope.participant_updated();
      return core.participant_updated(id, e.participant_id(), e.rw_code(), e.category(), e.income_band());
    }
    case Envelope::kParticipantMoved: {
      const auto& e = envelope.participant_moved();
      return core.participant_moved(id, e.participant_id(), e.to_rw_code());
    }
    case Envelope::kParticipantExited: {
      const auto& e = envelope.participant_exited();
      return core.participant_exited(id, e.participant_id(), e.reason(), e.exit_date());
    }
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
    case Envelope::kCoverageChanged: {
      const auto& e = envelope.coverage_changed();
      return core.coverage_changed(id, e.participant_id(), e.to_state());
    }
    default:
      return {};
  }
}

bool retryable(const Error& error) {
  return error.code == ErrorCode::kUnavailable || error.code == ErrorCode::kInternal;
}

}  // namespace

EventHandler::EventHandler(Claims& core, metrics::Registry& metrics)
    : core_(core),
      applied_(metrics.counter("events_applied_total", "Events applied to the claims projections").Add({})),
      dead_(metrics.counter("events_dead_lettered_total", "Events the claims service could not apply")
                .Add({})) {}

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
      dead_.Increment();
      continue;
    }
    auto applied = apply_one(core_, envelope);
    if (!applied && retryable(applied.error())) return applied;
    if (!applied) {
      std::string why = applied.error().message;
      for (const auto& v : applied.error().violations)
        why += (why.empty() ? "" : "; ") + v.field + ": " + v.rule;
      const auto reason = fmt::format("{} {}: {}", envelope.type(), envelope.event_id(), why);
      spdlog::warn("dead-lettering {}", reason);
      if (auto sent = dead.send(message, reason); !sent) return sent;
      dead_.Increment();
      continue;
    }
    applied_.Increment();
  }
  return {};
}

}  // namespace jaring::claims

#include "event_codec.hpp"

#include "jaring/events/envelope.hpp"
#include "jaring/events/v1/envelope.pb.h"

namespace jaring::registration {
namespace {

void set_registered(const Participant& from, events::v1::Envelope& envelope, std::string& key) {
  envelope.set_type("ParticipantRegistered");
  auto* p = envelope.mutable_participant_registered();
  p->set_participant_id(from.id);
  p->set_rw_code(from.rw_code);
  p->set_rt(from.rt);
  p->set_category(from.category);
  p->set_payer(from.payer);
  p->set_programs(from.programs);
  p->set_income_band(from.income_band);
  p->set_sex(std::string(1, from.sex));
  p->set_birth_year(std::stoi(from.birth_date.substr(0, 4)));
  p->set_agent_id(from.agent_id);
  p->set_branch_code(from.branch_code);
  p->set_project_end_date(from.project_end_date);
  p->set_registered_on(registered_on(from));
  // A new participant has paid nothing: coverage counts it awaiting from this event, and
  // contribution's account opens there without an event of its own.
  p->set_counted_awaiting(true);
  key = from.id;
}

struct Encoder {
  events::v1::Envelope& envelope;
  std::string& key;

  void operator()(const RwCreatedEvent& e) const {
    envelope.set_type("RwCreated");
    auto* p = envelope.mutable_rw_created();
    p->set_rw_code(e.rw.code);
    p->set_kelurahan_code(e.rw.kelurahan_code);
    p->set_target(e.rw.target);
    key = e.rw.code;
  }

  void operator()(const RwUpdatedEvent& e) const {
    envelope.set_type("RwUpdated");
    auto* p = envelope.mutable_rw_updated();
    p->set_rw_code(e.rw.code);
    p->set_kelurahan_code(e.rw.kelurahan_code);
    p->set_target(e.rw.target);
    p->set_active(e.rw.active);
    key = e.rw.code;
  }

  void operator()(const ParticipantRegisteredEvent& e) const { set_registered(e.participant, envelope, key); }

  void operator()(const ParticipantUpdatedEvent& e) const {
    const auto& from = e.participant;
    envelope.set_type("ParticipantUpdated");
    auto* p = envelope.mutable_participant_updated();
    p->set_participant_id(from.id);
    p->set_rw_code(from.rw_code);
    p->set_category(from.category);
    p->set_income_band(from.income_band);
    p->set_payer(from.payer);
    p->set_previous_payer(e.previous_payer);
    p->set_programs(from.programs);
    key = from.id;
  }

  void operator()(const ParticipantMovedEvent& e) const {
    envelope.set_type("ParticipantMoved");
    auto* p = envelope.mutable_participant_moved();
    p->set_participant_id(e.participant.id);
    p->set_from_rw_code(e.from_rw_code);
    p->set_to_rw_code(e.participant.rw_code);
    p->set_rt(e.participant.rt);
    p->set_moved_on(e.moved_on);
    p->set_to_branch_code(e.participant.branch_code);
    key = e.participant.id;
  }

  void operator()(const ParticipantExitedEvent& e) const {
    envelope.set_type("ParticipantExited");
    auto* p = envelope.mutable_participant_exited();
    p->set_participant_id(e.participant.id);
    p->set_rw_code(e.participant.rw_code);
    p->set_reason(e.participant.exit_reason);
    p->set_exit_date(e.participant.exit_date);
    key = e.participant.id;
  }

  void operator()(const AgentRegisteredEvent& e) const {
    envelope.set_type("AgentRegistered");
    auto* p = envelope.mutable_agent_registered();
    p->set_agent_id(e.agent.id);
    p->set_branch_code(e.agent.branch_code);
    p->set_organisation(e.agent.organisation);
    key = e.agent.id;
  }
};

// An outbox row on kTopic with the envelope `fill(envelope, key)` makes.
template <typename Fill>
store::OutboxMessage encode(const Clock& clock, Fill&& fill) {
  events::v1::Envelope envelope;
  events::stamp(envelope, "registration", clock);
  store::OutboxMessage message;
  message.topic = kTopic;
  std::forward<Fill>(fill)(envelope, message.key);
  message.payload = envelope.SerializeAsString();
  return message;
}

}  // namespace

store::OutboxMessage encode_event(const Event& event, const Clock& clock) {
  return encode(clock, [&](events::v1::Envelope& envelope, std::string& key) {
    std::visit(Encoder{envelope, key}, event);
  });
}

store::OutboxMessage encode_registered(const Participant& participant, const Clock& clock) {
  return encode(clock, [&](events::v1::Envelope& envelope, std::string& key) {
    set_registered(participant, envelope, key);
  });
}

}  // namespace jaring::registration

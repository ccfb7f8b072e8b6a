#include "event_codec.hpp"

#include <google/protobuf/util/time_util.h>

#include "jaring/common/ids.hpp"
#include "jaring/events/v1/envelope.pb.h"
#include "jaring/log/log.hpp"

namespace jaring::registration {
namespace {

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

  void operator()(const ParticipantRegisteredEvent& e) const {
    const auto& from = e.participant;
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
    key = from.id;
  }
};

}  // namespace

store::OutboxMessage encode_event(const Event& event, const Clock& clock) {
  events::v1::Envelope envelope;
  envelope.set_event_id(new_id("e_"));
  envelope.set_producer("registration");
  envelope.set_trace_id(log::current_trace_id());
  *envelope.mutable_occurred_at() = google::protobuf::util::TimeUtil::NanosecondsToTimestamp(
      std::chrono::duration_cast<std::chrono::nanoseconds>(clock.now().time_since_epoch()).count());
  store::OutboxMessage message;
  message.topic = kTopic;
  std::visit(Encoder{envelope, message.key}, event);
  message.payload = envelope.SerializeAsString();
  return message;
}

}  // namespace jaring::registration

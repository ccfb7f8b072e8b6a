#include "event_codec.hpp"

#include "jaring/events/envelope.hpp"
#include "jaring/events/v1/envelope.pb.h"

namespace jaring::claims {
namespace {

namespace ev = events::v1;

struct Encoder {
  ev::Envelope& envelope;
  std::string& key;

  void operator()(const ClaimFiled& e) const {
    const auto& c = e.claim;
    envelope.set_type("ClaimFiled");
    auto* p = envelope.mutable_claim_filed();
    p->set_claim_id(c.id);
    p->set_participant_id(c.participant_id);
    p->set_rw_code(c.rw_code);
    p->set_branch_code(c.branch_code);
    p->set_claim_type(c.type);
    p->set_event_date(c.event_date);
    p->set_heir_relation(c.claimant.relation == "self" ? "" : c.claimant.relation);
    p->set_filed_by(c.filed_by);
    p->set_agent_id(c.agent_id);
    key = c.participant_id;
  }

  void operator()(const ClaimApproved& e) const {
    const auto& c = e.claim;
    envelope.set_type("ClaimApproved");
    auto* p = envelope.mutable_claim_approved();
    p->set_claim_id(c.id);
    p->set_participant_id(c.participant_id);
    p->set_rw_code(c.rw_code);
    p->set_branch_code(c.branch_code);
    p->set_claim_type(c.type);
    for (const auto& l : c.lines) {
      auto* line = p->add_lines();
      line->set_component(l.component);
      line->set_amount(l.amount);
      line->set_basis(l.basis);
    }
    p->set_total(c.total);
    p->set_approved_by(c.approved_by);
    key = c.participant_id;
  }

  void operator()(const ClaimRejected& e) const {
    const auto& c = e.claim;
    envelope.set_type("ClaimRejected");
    auto* p = envelope.mutable_claim_rejected();
    p->set_claim_id(c.id);
    p->set_participant_id(c.participant_id);
    p->set_rw_code(c.rw_code);
    p->set_branch_code(c.branch_code);
    p->set_claim_type(c.type);
    p->set_reason(c.rejection_reason);
    p->set_rejected_by(e.rejected_by);
    key = c.participant_id;
  }

  void operator()(const ClaimPaid& e) const {
    const auto& c = e.claim;
    envelope.set_type("ClaimPaid");
    auto* p = envelope.mutable_claim_paid();
    p->set_claim_id(c.id);
    p->set_participant_id(c.participant_id);
    p->set_rw_code(c.rw_code);
    p->set_branch_code(c.branch_code);
    p->set_claim_type(c.type);
    p->set_amount(c.total);
    p->set_event_date(c.event_date);
    p->set_paid_on(c.paid_on);
    p->set_ends_participation(e.ends_participation);
    p->set_paid_by(c.paid_by);
    key = c.participant_id;
  }
};

}  // namespace

store::OutboxMessage encode_event(const Event& event, const Clock& clock) {
  ev::Envelope envelope;
  events::stamp(envelope, "claims", clock);
  store::OutboxMessage message;
  message.topic = kTopic;
  std::visit(Encoder{envelope, message.key}, event);
  message.payload = envelope.SerializeAsString();
  return message;
}

}  // namespace jaring::claims

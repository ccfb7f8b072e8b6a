#include "event_codec.hpp"

#include "jaring/events/envelope.hpp"
#include "jaring/events/v1/envelope.pb.h"

namespace jaring::csr {
namespace {

namespace ev = events::v1;

struct Encoder {
  ev::Envelope& envelope;
  std::string& key;

  void operator()(const SponsorDeposited& e) const {
    envelope.set_type("SponsorDeposited");
    auto* p = envelope.mutable_sponsor_deposited();
    p->set_sponsor_id(e.sponsor_id);
    p->set_deposit_id(e.deposit_id);
    p->set_sponsor_kind(e.kind);
    p->set_amount(e.amount);
    p->set_balance(e.balance);
    key = e.sponsor_id;
  }
  void operator()(const CohortStarted& e) const {
    envelope.set_type("CohortStarted");
    auto* p = envelope.mutable_cohort_started();
    const auto& c = e.cohort;
    p->set_cohort_id(c.id);
    p->set_sponsor_id(c.sponsor_id);
    p->set_start_period(c.start.str());
    p->set_months(c.months);
    p->set_members(e.members);
    p->set_max_members(c.max_members);
    for (const auto& x : c.categories) p->add_categories(x);
    for (const auto& x : c.rw_codes) p->add_rw_codes(x);
    p->set_budget(c.budget);
    key = c.sponsor_id;
  }
  void operator()(const CohortEnded& e) const {
    envelope.set_type("CohortEnded");
    auto* p = envelope.mutable_cohort_ended();
    p->set_cohort_id(e.cohort_id);
    p->set_sponsor_id(e.sponsor_id);
    p->set_last_period(e.last_period);
    p->set_reason(e.reason);
    key = e.sponsor_id;
  }
  void operator()(const SponsorPaymentMade& e) const {
    envelope.set_type("SponsorPaymentMade");
    auto* p = envelope.mutable_sponsor_payment_made();
    p->set_sponsor_id(e.sponsor_id);
    p->set_allocation_id(e.allocation_id);
    p->set_participant_id(e.participant_id);
    p->set_period(e.period);
    p->set_amount(e.amount);
    p->set_cohort_id(e.cohort_id);
    p->set_rw_code(e.rw_code);
    key = e.participant_id;
  }
  void operator()(const SponsorshipChanged& e) const {
    envelope.set_type("SponsorshipChanged");
    auto* p = envelope.mutable_sponsorship_changed();
    p->set_participant_id(e.participant_id);
    p->set_rw_code(e.rw_code);
    p->set_previous_rw_code(e.previous_rw_code);
    p->set_sponsored_before(e.sponsored_before);
    p->set_sponsored_after(e.sponsored_after);
    p->set_sponsor_id(e.sponsor_id);
    p->set_sponsor_kind(e.sponsor_kind);
    p->set_cohort_id(e.cohort_id);
    p->set_reason(e.reason);
    p->set_from_period(e.from_period);
    p->set_to_period(e.to_period);
    key = e.participant_id;
  }
  void operator()(const SponsorFundsLow& e) const {
    envelope.set_type("SponsorFundsLow");
    auto* p = envelope.mutable_sponsor_funds_low();
    p->set_sponsor_id(e.sponsor_id);
    p->set_balance(e.balance);
    p->set_monthly_need(e.monthly_need);
    p->set_months_left(e.months_left);
    key = e.sponsor_id;
  }
  void operator()(const SponsorPaymentFailed& e) const {
    envelope.set_type("SponsorPaymentFailed");
    auto* p = envelope.mutable_sponsor_payment_failed();
    p->set_sponsor_id(e.sponsor_id);
    p->set_cohort_id(e.cohort_id);
    p->set_participant_id(e.participant_id);
    p->set_rw_code(e.rw_code);
    p->set_period(e.period);
    p->set_amount(e.amount);
    p->set_balance(e.balance);
    p->set_reason(e.reason);
    p->set_agent_id(e.agent_id);
    key = e.participant_id;
  }
};

}  // namespace

store::OutboxMessage encode_event(const Event& event, const Clock& clock) {
  ev::Envelope envelope;
  events::stamp(envelope, "csr-donor", clock);
  store::OutboxMessage message;
  message.topic = kTopic;
  std::visit(Encoder{envelope, message.key}, event);
  message.payload = envelope.SerializeAsString();
  return message;
}

}  // namespace jaring::csr

#include "event_codec.hpp"

#include "jaring/events/envelope.hpp"
#include "jaring/events/v1/envelope.pb.h"

namespace jaring::contribution {
namespace {

namespace ev = events::v1;

struct Encoder {
  ev::Envelope& envelope;
  std::string& key;

  void operator()(const ContributionBilled& e) const {
    envelope.set_type("ContributionBilled");
    auto* p = envelope.mutable_contribution_billed();
    p->set_participant_id(e.participant_id);
    p->set_rw_code(e.rw_code);
    p->set_period(e.charge.period.str());
    p->set_amount(e.charge.total);
    p->set_jkk(e.charge.jkk);
    p->set_jkm(e.charge.jkm);
    p->set_jht(e.charge.jht);
    p->set_discount(e.charge.discount);
    p->set_outstanding(e.outstanding);
    p->set_payer(e.payer);
    p->set_agent_id(e.agent_id);
    p->set_billing_run_id(e.run_id);
    key = e.participant_id;
  }

  void operator()(const PaymentReceived& e) const {
    envelope.set_type("PaymentReceived");
    auto* p = envelope.mutable_payment_received();
    const auto& pay = e.payment;
    p->set_payment_id(pay.id);
    p->set_participant_id(pay.participant_id);
    p->set_rw_code(e.rw_code);
    p->set_channel(pay.channel);
    p->set_payer_id(pay.payer_id.empty() ? pay.payer : pay.payer_id);
    p->set_agent_id(pay.agent_id);
    p->set_amount(pay.amount);
    p->set_allocated(pay.amount - pay.unallocated);
    p->set_credited(pay.unallocated);
    for (const auto& a : pay.allocations) p->add_periods(a.period.str());
    p->set_covered_through(e.covered_through);
    p->set_batch_id(pay.batch_id);
    for (const auto& period : e.paid_periods) p->add_paid_periods(period);
    key = pay.participant_id;
  }

  void operator()(const PaymentReversed& e) const {
    envelope.set_type("PaymentReversed");
    auto* p = envelope.mutable_payment_reversed();
    p->set_payment_id(e.payment.id);
    p->set_participant_id(e.payment.participant_id);
    p->set_rw_code(e.rw_code);
    p->set_amount(e.payment.amount);
    p->set_reason(e.payment.reversal_reason);
    p->set_covered_through(e.covered_through);
    key = e.payment.participant_id;
  }

  void operator()(const CoverageChanged& e) const {
    envelope.set_type("CoverageChanged");
    auto* p = envelope.mutable_coverage_changed();
    p->set_participant_id(e.participant_id);
    p->set_rw_code(e.rw_code);
    p->set_previous_rw_code(e.previous_rw_code);
    p->set_from_state(e.from_state);
    p->set_to_state(e.to_state);
    p->set_covered_through(e.covered_through);
    p->set_reason(e.reason);
    p->set_agent_id(e.agent_id);
    key = e.participant_id;
  }

  void operator()(const ArrearsWarning& e) const {
    envelope.set_type("ArrearsWarning");
    auto* p = envelope.mutable_arrears_warning();
    p->set_participant_id(e.participant_id);
    p->set_rw_code(e.rw_code);
    p->set_agent_id(e.agent_id);
    p->set_months_unpaid(e.months_unpaid);
    p->set_outstanding(e.outstanding);
    p->set_oldest_unpaid_period(e.oldest_unpaid_period);
    key = e.participant_id;
  }

  void operator()(const SponsorPaymentRejected& e) const {
    envelope.set_type("SponsorPaymentRejected");
    auto* p = envelope.mutable_sponsor_payment_rejected();
    p->set_sponsor_id(e.sponsor_id);
    p->set_allocation_id(e.allocation_id);
    p->set_participant_id(e.participant_id);
    p->set_period(e.period);
    p->set_amount(e.amount);
    p->set_reason(e.reason);
    key = e.participant_id;
  }
};

}  // namespace

store::OutboxMessage encode_event(const Event& event, const Clock& clock) {
  ev::Envelope envelope;
  events::stamp(envelope, "contribution", clock);
  store::OutboxMessage message;
  message.topic = kTopic;
  std::visit(Encoder{envelope, message.key}, event);
  message.payload = envelope.SerializeAsString();
  return message;
}

}  // namespace jaring::contribution

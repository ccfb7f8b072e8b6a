// libFuzzer target for claims' consumer: the records of an input are one batch of messages on
// its topics, decoded as envelopes and applied by its handler, in one transaction as the consumer
// does, to the in-memory store of the unit tests. Every message must be applied or dead-lettered,
// never crash or block the batch.
#include "adapters/event_handler.hpp"
#include "fixture.hpp"
#include "fuzz.hpp"

namespace jaring::claims {
namespace {

std::string event(const events::v1::Envelope& envelope) { return fuzz::record(0, 0, envelope); }

std::map<std::string, std::string> seeds() {
  events::v1::Envelope registered;
  registered.set_event_id("e_reg2");
  registered.set_type("ParticipantRegistered");
  registered.mutable_occurred_at()->set_seconds(1'773'100'000);
  auto* r = registered.mutable_participant_registered();
  r->set_participant_id("p_new");
  r->set_rw_code("31.75.06.1005.002");
  r->set_category("ojol_driver");
  r->set_payer("self");
  r->set_programs("jkk+jkm");
  r->set_income_band(2'000'000);
  r->set_agent_id("a_1");
  r->set_branch_code("pulogebang");
  r->set_registered_on("2026-03-11");
  events::v1::Envelope billed;
  billed.set_event_id("e_bill");
  billed.set_type("ContributionBilled");
  billed.mutable_occurred_at()->set_seconds(1'773'200'000);
  auto* b = billed.mutable_contribution_billed();
  b->set_participant_id("p_new");
  b->set_period("2026-03");
  b->set_amount(26'800);
  b->set_outstanding(26'800);
  events::v1::Envelope paid;
  paid.set_event_id("e_paid");
  paid.set_type("PaymentReceived");
  paid.mutable_occurred_at()->set_seconds(1'773'300'000);
  auto* p = paid.mutable_payment_received();
  p->set_payment_id("pay_1");
  p->set_participant_id("p_new");
  p->set_amount(26'800);
  p->add_periods("2026-03");
  p->add_paid_periods("2026-03");
  p->set_covered_through("2026-03");
  events::v1::Envelope reversed;
  reversed.set_event_id("e_rev");
  reversed.set_type("PaymentReversed");
  reversed.mutable_payment_reversed()->set_payment_id("pay_1");
  reversed.mutable_payment_reversed()->set_participant_id("p_new");
  events::v1::Envelope coverage;
  coverage.set_event_id("e_cov");
  coverage.set_type("CoverageChanged");
  coverage.mutable_coverage_changed()->set_participant_id("p_seed");
  coverage.mutable_coverage_changed()->set_from_state("active");
  coverage.mutable_coverage_changed()->set_to_state("arrears");
  events::v1::Envelope updated;
  updated.set_event_id("e_upd");
  updated.set_type("ParticipantUpdated");
  updated.mutable_participant_updated()->set_participant_id("p_seed");
  updated.mutable_participant_updated()->set_rw_code("31.75.06.1005.002");
  updated.mutable_participant_updated()->set_category("pkk");
  updated.mutable_participant_updated()->set_income_band(3'000'000);
  events::v1::Envelope moved;
  moved.set_event_id("e_mov");
  moved.set_type("ParticipantMoved");
  moved.mutable_participant_moved()->set_participant_id("p_seed");
  moved.mutable_participant_moved()->set_to_rw_code("31.75.06.1005.003");
  events::v1::Envelope exited;
  exited.set_event_id("e_exit");
  exited.set_type("ParticipantExited");
  exited.mutable_participant_exited()->set_participant_id("p_seed");
  exited.mutable_participant_exited()->set_reason("death");
  exited.mutable_participant_exited()->set_exit_date("2026-03-14");
  // Participants' events are not followed (registration answers for a participant when a claim
  // needs one): they must pass as ignored, as CoverageChanged does.
  return {{"periods", event(billed) + event(paid) + event(reversed)},
          {"changes", event(registered) + event(updated) + event(coverage) + event(moved) + event(exited) +
                          event(exited)}};
}

}  // namespace
}  // namespace jaring::claims

JARING_FUZZ_TARGET(jaring::claims::seeds) {
  using namespace jaring;
  using namespace jaring::claims;
  static metrics::Registry metrics("fuzz");
  FuzzFixture fixture;
  EventHandler handler(fixture.core, metrics);
  handler.batch_in(*fixture.db);
  fuzz::consume(handler, records);
}

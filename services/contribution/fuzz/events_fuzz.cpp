// libFuzzer target for contribution's consumer: the records of an input are one batch of
// messages on its topics, decoded as envelopes and applied by its handler, in one transaction as
// the consumer does, to the in-memory store of the unit tests. Every message must be applied or
// dead-lettered, never crash or block the batch.
#include "adapters/event_handler.hpp"
#include "fixture.hpp"
#include "fuzz.hpp"

namespace jaring::contribution {
namespace {

std::string event(const events::v1::Envelope& envelope) { return fuzz::record(0, 0, envelope); }

std::map<std::string, std::string> seeds() {
  events::v1::Envelope registered;
  registered.set_event_id("e_reg");
  registered.set_type("ParticipantRegistered");
  registered.mutable_occurred_at()->set_seconds(1'773'100'000);
  auto* r = registered.mutable_participant_registered();
  r->set_participant_id("p_new");
  r->set_rw_code("31.75.06.1005.002");
  r->set_category("construction_worker");
  r->set_payer("self");
  r->set_programs("jkk+jkm");
  r->set_income_band(2'000'000);
  r->set_agent_id("a_1");
  r->set_branch_code("pulogebang");
  r->set_project_end_date("2026-09-30");
  r->set_registered_on("2026-03-11");
  events::v1::Envelope updated;
  updated.set_event_id("e_upd");
  updated.set_type("ParticipantUpdated");
  auto* u = updated.mutable_participant_updated();
  u->set_participant_id("p_seed");
  u->set_category("pkk");
  u->set_payer("sponsor");
  u->set_previous_payer("self");
  u->set_programs("jkk+jkm+jht");
  u->set_income_band(3'000'000);
  events::v1::Envelope moved;
  moved.set_event_id("e_mov");
  moved.set_type("ParticipantMoved");
  auto* m = moved.mutable_participant_moved();
  m->set_participant_id("p_seed");
  m->set_from_rw_code("31.75.06.1005.002");
  m->set_to_rw_code("31.75.06.1005.003");
  m->set_moved_on("2026-03-14");
  events::v1::Envelope exited;
  exited.set_event_id("e_exit");
  exited.set_type("ParticipantExited");
  auto* x = exited.mutable_participant_exited();
  x->set_participant_id("p_seed");
  x->set_rw_code("31.75.06.1005.003");
  x->set_reason("death");
  x->set_exit_date("2026-03-14");
  events::v1::Envelope agent;
  agent.set_event_id("e_agent2");
  agent.set_type("AgentRegistered");
  agent.mutable_agent_registered()->set_agent_id("a_2");
  agent.mutable_agent_registered()->set_branch_code("pulogebang");
  agent.mutable_agent_registered()->set_organisation("Dasawisma");
  events::v1::Envelope sponsor;
  sponsor.set_event_id("e_sp");
  sponsor.set_type("SponsorPaymentMade");
  auto* s = sponsor.mutable_sponsor_payment_made();
  s->set_sponsor_id("s_1");
  s->set_allocation_id("al_1");
  s->set_participant_id("p_city");
  s->set_period("2026-03");
  s->set_amount(16'800);
  s->set_cohort_id("co_1");
  s->set_rw_code("31.75.06.1005.002");
  return {{"registered", event(registered) + event(registered) + event(agent)},
          {"changes", event(updated) + event(moved) + event(exited)},
          {"sponsor", event(sponsor) + event(sponsor)}};
}

}  // namespace
}  // namespace jaring::contribution

JARING_FUZZ_TARGET(jaring::contribution::seeds) {
  using namespace jaring;
  using namespace jaring::contribution;
  static metrics::Registry metrics("fuzz");
  FuzzFixture fixture;
  EventHandler handler(fixture.core, metrics);
  handler.batch_in(*fixture.db);
  fuzz::consume(handler, records);
}

// libFuzzer target for csr-donor's consumer: the records of an input are one batch of messages
// on its topics (registration, contribution, claims), decoded as envelopes and applied by its
// handler, in one transaction as the consumer does, to the in-memory store of the unit tests, where
// p_seed is a member of a funded cohort. Every message must be applied or dead-lettered, never
// crash or block the batch.
#include <cstdlib>

#include "adapters/event_handler.hpp"
#include "fixture.hpp"
#include "fuzz.hpp"

namespace jaring::csr {
namespace {

std::string event(const events::v1::Envelope& envelope) { return fuzz::record(0, 0, envelope); }

// p_seed in a cohort of a sponsor holding Rp1,000,000, so that bills and refunds reach a wallet.
void fund(FuzzFixture& fixture) {
  const Actor admin{"admin.rudi", auth::Scope::everything()};
  auto sponsor = fixture.core.wallets().create_sponsor("sp", "PT Maju Bersama", "csr_company", admin);
  if (!sponsor || !fixture.core.wallets().deposit("dep", sponsor->sponsor.id, 1'000'000, "TRF-1", admin))
    std::abort();
  CohortSpec spec;
  spec.sponsor_id = sponsor->sponsor.id;
  spec.months = 6;
  spec.participant_ids = {"p_seed"};
  if (!fixture.core.cohorts().create_cohort("co", spec, admin)) std::abort();
}

std::map<std::string, std::string> seeds() {
  events::v1::Envelope registered;
  registered.set_event_id("e_reg2");
  registered.set_type("ParticipantRegistered");
  auto* r = registered.mutable_participant_registered();
  r->set_participant_id("p_new");
  r->set_rw_code("31.75.06.1005.002");
  r->set_category("scavenger");
  r->set_payer("sponsor");
  r->set_programs("jkk+jkm");
  r->set_income_band(1'000'000);
  events::v1::Envelope billed;
  billed.set_event_id("e_bill");
  billed.set_type("ContributionBilled");
  auto* b = billed.mutable_contribution_billed();
  b->set_participant_id("p_seed");
  b->set_rw_code("31.75.06.1005.002");
  b->set_period("2026-03");
  b->set_amount(16'800);
  b->set_outstanding(16'800);
  b->set_payer("sponsor");
  events::v1::Envelope rejected;
  rejected.set_event_id("e_rej");
  rejected.set_type("SponsorPaymentRejected");
  auto* j = rejected.mutable_sponsor_payment_rejected();
  j->set_participant_id("p_seed");
  j->set_period("2026-03");
  j->set_amount(16'800);
  j->set_reason("the period is already paid");
  events::v1::Envelope moved;
  moved.set_event_id("e_mov");
  moved.set_type("ParticipantMoved");
  moved.mutable_participant_moved()->set_participant_id("p_seed");
  moved.mutable_participant_moved()->set_to_rw_code("31.75.06.1005.003");
  events::v1::Envelope updated;
  updated.set_event_id("e_upd");
  updated.set_type("ParticipantUpdated");
  updated.mutable_participant_updated()->set_participant_id("p_self");
  updated.mutable_participant_updated()->set_category("pkk");
  updated.mutable_participant_updated()->set_payer("self");
  updated.mutable_participant_updated()->set_income_band(3'000'000);
  events::v1::Envelope paid;
  paid.set_event_id("e_claim");
  paid.set_type("ClaimPaid");
  auto* c = paid.mutable_claim_paid();
  c->set_claim_id("c_1");
  c->set_participant_id("p_seed");
  c->set_rw_code("31.75.06.1005.002");
  c->set_claim_type("jkm_death");
  c->set_event_date("2026-03-14");
  c->set_amount(42'000'000);
  events::v1::Envelope exited;
  exited.set_event_id("e_exit");
  exited.set_type("ParticipantExited");
  exited.mutable_participant_exited()->set_participant_id("p_seed");
  exited.mutable_participant_exited()->set_exit_date("2026-03-14");
  return {{"bills", event(registered) + event(billed) + event(rejected) + event(billed)},
          {"changes", event(moved) + event(updated) + event(paid) + event(exited) + event(exited)}};
}

}  // namespace
}  // namespace jaring::csr

JARING_FUZZ_TARGET(jaring::csr::seeds) {
  using namespace jaring;
  using namespace jaring::csr;
  static metrics::Registry metrics("fuzz");
  FuzzFixture fixture;
  fund(fixture);
  EventHandler handler(fixture.core.projections(), metrics);
  handler.batch_in(*fixture.db);
  fuzz::consume(handler, records);
}

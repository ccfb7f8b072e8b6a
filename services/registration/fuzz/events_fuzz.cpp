// libFuzzer target for registration's consumer: the records of an input are one batch of
// messages on its topics, decoded as envelopes and applied by its handler to the in-memory store
// of the unit tests. Every message must be applied or dead-lettered, never crash or block the batch.
#include "adapters/event_handler.hpp"
#include "fixture.hpp"
#include "fuzz.hpp"

namespace jaring::registration {
namespace {

std::string event(const events::v1::Envelope& envelope) { return fuzz::record(0, 0, envelope); }

std::map<std::string, std::string> seeds() {
  events::v1::Envelope paid;
  paid.set_event_id("e_paid");
  paid.set_type("ClaimPaid");
  auto* c = paid.mutable_claim_paid();
  c->set_claim_id("c_1");
  c->set_participant_id("p_seed");
  c->set_rw_code("31.75.06.1005.002");
  c->set_claim_type("jkm_death");
  c->set_amount(42'000'000);
  c->set_event_date("2026-11-10");
  c->set_paid_on("2026-11-20");
  c->set_ends_participation(true);
  events::v1::Envelope joined;
  joined.set_event_id("e_joined");
  joined.set_type("SponsorshipChanged");
  auto* s = joined.mutable_sponsorship_changed();
  s->set_participant_id("p_seed");
  s->set_rw_code("31.75.06.1005.002");
  s->set_sponsored_after(true);
  s->set_sponsor_id("s_1");
  s->set_sponsor_kind("city_budget");
  s->set_reason("joined");
  auto left = joined;
  left.set_event_id("e_left");
  left.mutable_sponsorship_changed()->set_sponsored_before(true);
  left.mutable_sponsorship_changed()->set_sponsored_after(false);
  left.mutable_sponsorship_changed()->set_reason("cohort_ended");
  return {{"claim-paid", event(paid) + event(paid)},
          {"sponsorship", event(joined) + event(left) + event(joined)}};
}

}  // namespace
}  // namespace jaring::registration

JARING_FUZZ_TARGET(jaring::registration::seeds) {
  using namespace jaring;
  using namespace jaring::registration;
  static metrics::Registry metrics("fuzz");
  FuzzFixture fixture;

  EventHandler handler(fixture.core, metrics);
  fuzz::consume(handler, records);
}

// libFuzzer target for coverage's consumer: the records of an input are one batch of messages on
// the owners' topics, decoded as envelopes and planned into counter changes as the consumer
// does before its Redis script applies them (event_changes.hpp), then applied to counters in
// memory. Every message must plan or be refused (the consumer dead-letters it); what plans must
// be something the script can apply: RW codes that parse, counters that exist, steps of one
// (rupiah up to kMaxClaimRupiah), so that no event makes the script fail and block the batch.
#include <cstdlib>
#include <map>

#include "adapters/event_changes.hpp"
#include "fuzz.hpp"
#include "jaring/areas/areas.hpp"
#include "jaring/common/money.hpp"

namespace jaring::coverage {
namespace {

[[noreturn]] void broken(const char* what) {
  std::fprintf(stderr, "a planned change the script could not apply: %s\n", what);
  std::abort();
}

void check_and_apply(const CounterOp& op, std::map<std::string, Counters>& rws) {
  using Kind = CounterOp::Kind;
  if (!areas::RwCode::parse(op.rw_code)) broken("an RW code that does not parse");
  auto& counters = rws[op.rw_code];
  switch (op.kind) {
    case Kind::kDeclareRw:
      if (op.amount < 1) broken("a target below 1");
      return;
    case Kind::kSet:
      if (op.field != "active_rw" || (op.amount != 0 && op.amount != 1)) broken("a set other than active_rw");
      return;
    case Kind::kIncrement: {
      auto* field = field_of(counters, op.field);
      if (field == nullptr) broken("an unknown counter");
      const bool rupiah = op.field == "claims_paid_rupiah";
      if (rupiah ? (op.amount <= 0 || op.amount > kMaxClaimRupiah) : (op.amount != 1 && op.amount != -1))
        broken("a step out of bounds");
      const auto sum = checked_add(*field, op.amount);
      if (!sum) broken("an overflow");
      *field = *sum;
      return;
    }
  }
  broken("an unknown kind");
}

std::string event(const events::v1::Envelope& envelope) { return fuzz::record(0, 0, envelope); }

std::map<std::string, std::string> seeds() {
  events::v1::Envelope rw;
  rw.set_event_id("e_rw");
  rw.set_type("RwCreated");
  rw.mutable_rw_created()->set_rw_code("31.75.06.1005.002");
  rw.mutable_rw_created()->set_kelurahan_code("31.75.06.1005");
  rw.mutable_rw_created()->set_target(100);
  events::v1::Envelope registered;
  registered.set_event_id("e_reg");
  registered.set_type("ParticipantRegistered");
  registered.mutable_participant_registered()->set_participant_id("p_1");
  registered.mutable_participant_registered()->set_rw_code("31.75.06.1005.002");
  events::v1::Envelope moved;
  moved.set_event_id("e_mov");
  moved.set_type("ParticipantMoved");
  moved.mutable_participant_moved()->set_participant_id("p_1");
  moved.mutable_participant_moved()->set_from_rw_code("31.75.06.1005.002");
  moved.mutable_participant_moved()->set_to_rw_code("31.75.06.1005.003");
  events::v1::Envelope covered;
  covered.set_event_id("e_cov");
  covered.set_type("CoverageChanged");
  auto* c = covered.mutable_coverage_changed();
  c->set_participant_id("p_1");
  c->set_rw_code("31.75.06.1005.003");
  c->set_previous_rw_code("31.75.06.1005.002");
  c->set_from_state("active");
  c->set_to_state("arrears");
  events::v1::Envelope paid;
  paid.set_event_id("e_paid");
  paid.set_type("ClaimPaid");
  paid.mutable_claim_paid()->set_rw_code("31.75.06.1005.003");
  paid.mutable_claim_paid()->set_amount(42'000'000);
  events::v1::Envelope sponsored;
  sponsored.set_event_id("e_sp");
  sponsored.set_type("SponsorshipChanged");
  sponsored.mutable_sponsorship_changed()->set_rw_code("31.75.06.1005.003");
  sponsored.mutable_sponsorship_changed()->set_sponsored_after(true);
  events::v1::Envelope exited;
  exited.set_event_id("e_exit");
  exited.set_type("ParticipantExited");
  exited.mutable_participant_exited()->set_participant_id("p_1");
  exited.mutable_participant_exited()->set_rw_code("31.75.06.1005.003");
  return {{"life", event(rw) + event(registered) + event(moved) + event(covered) + event(paid) +
                       event(sponsored) + event(exited)}};
}

}  // namespace
}  // namespace jaring::coverage

JARING_FUZZ_TARGET(jaring::coverage::seeds) {
  using namespace jaring;
  using namespace jaring::coverage;
  std::map<std::string, Counters> rws;
  for (const auto& r : records) {
    events::v1::Envelope envelope;
    if (!envelope.ParseFromArray(r.bytes.data(), static_cast<int>(r.bytes.size())))
      continue;  // dead-lettered
    const auto ops = changes_of(envelope);
    if (!ops) {
      if (ops.error().violations.empty()) broken("a refusal that names no field");
      continue;  // dead-lettered
    }
    for (const auto& op : *ops) check_and_apply(op, rws);
  }
}

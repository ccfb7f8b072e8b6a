// The consumer of claims' and csr-donor's decisions, on a real SQLite store: a paid death claim
// ends the participation once, the payer follows the sponsorship, and what cannot be applied is
// dead-lettered while the rest goes on.
#include <gtest/gtest.h>

#include "adapters/event_handler.hpp"
#include "adapters/sqlite_store.hpp"
#include "jaring/events/v1/envelope.pb.h"
#include "jaring/sample/sample.hpp"
#include "jaring/store/consumer_offsets.hpp"
#include "jaring/store/outbox.hpp"
#include "jaring/testing/fixtures.hpp"

namespace jaring::registration {
namespace {

using namespace std::chrono;

class RecordingDeadLetters final : public kafka::DeadLetters {
 public:
  Result<void> send(const kafka::ConsumedMessage& message, const std::string& reason) override {
    sent.emplace_back(message.offset, reason);
    return {};
  }
  std::vector<std::pair<std::int64_t, std::string>> sent;
};

class RegistrationConsumer : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(core_.create_rw("31.75.06.1005", 2, 0));
    const auto w = sample::Generator(5).worker(1);
    RegisterCommand c;
    c.idempotency_key = "k-1";
    c.nik = w.nik;
    c.name = w.name;
    c.birth_date = w.birth_date;
    c.sex = w.sex;
    c.rw_code = "31.75.06.1005.002";
    c.rt = 3;
    c.category = "scavenger";
    c.income_band = 1'000'000;
    c.programs = "jkk+jkm";
    c.payer = "self";
    auto p = core_.register_participant(c);
    ASSERT_TRUE(p) << p.error().message;
    participant_id_ = p->id;
  }

  kafka::ConsumedMessage message(const events::v1::Envelope& envelope) {
    return {"jaring.claims.v1", 0, next_offset_++, participant_id_, envelope.SerializeAsString()};
  }
  kafka::ConsumedMessage claim_paid(const std::string& event_id, const std::string& participant_id,
                                    bool ends = true) {
    events::v1::Envelope e;
    e.set_event_id(event_id);
    e.set_type("ClaimPaid");
    auto* paid = e.mutable_claim_paid();
    paid->set_participant_id(participant_id);
    paid->set_claim_type(ends ? "jkm_death" : "jkk_medical");
    paid->set_event_date("2026-11-21");
    paid->set_ends_participation(ends);
    return message(e);
  }
  kafka::ConsumedMessage sponsorship(const std::string& event_id, bool before, bool after) {
    events::v1::Envelope e;
    e.set_event_id(event_id);
    e.set_type("SponsorshipChanged");
    auto* s = e.mutable_sponsorship_changed();
    s->set_participant_id(participant_id_);
    s->set_rw_code("31.75.06.1005.002");
    s->set_sponsored_before(before);
    s->set_sponsored_after(after);
    s->set_sponsor_kind("csr_company");
    return message(e);
  }
  std::vector<std::string> published_types() {
    std::vector<std::string> out;
    for (const auto& m : store::outbox_fetch_unsent(*db_, 1000)) {
      events::v1::Envelope e;
      EXPECT_TRUE(e.ParseFromString(m.payload));
      out.push_back(e.type());
    }
    return out;
  }

  testing::TempDir dir_{"jaring-registration-consumer"};
  FixedClock clock_{sys_days{year{2026} / November / 21} + hours{3}};
  crypto::Sealer sealer_{crypto::Keys::generate()};
  std::unique_ptr<store::Database> db_ =
      store::Database::open((dir_.path() / "registration.db").string(), SqliteStore::migrations(sealer_));
  SqliteStore store_{*db_, sealer_, clock_};
  Registration core_{store_, areas::Registry::jakarta(), areas::BranchMap::jakarta(), clock_};
  metrics::Registry metrics_{"registration"};
  EventHandler handler_{core_, metrics_};
  RecordingDeadLetters dead_;
  std::string participant_id_;
  std::int64_t next_offset_ = 0;
};

TEST_F(RegistrationConsumer, SponsorshipSetsThePayerAndAPaidDeathClaimEndsTheParticipationOnce) {
  const std::vector batch = {sponsorship("s-1", false, true), claim_paid("c-0", participant_id_, false),
                             claim_paid("c-1", participant_id_)};
  ASSERT_TRUE(handler_.apply(batch, dead_));
  // Redelivered after a crash: nothing changes twice.
  ASSERT_TRUE(handler_.apply(batch, dead_));
  EXPECT_TRUE(dead_.sent.empty());

  const auto p = core_.get_participant(participant_id_);
  EXPECT_EQ(p->payer, "sponsor");
  EXPECT_EQ(p->status, "exited");
  EXPECT_EQ(p->exit_reason, "death");
  EXPECT_EQ(p->exit_date, "2026-11-21");
  EXPECT_EQ(published_types(), (std::vector<std::string>{"RwCreated", "ParticipantRegistered",
                                                         "ParticipantUpdated", "ParticipantExited"}));
}

TEST_F(RegistrationConsumer, AnEventItCannotApplyIsDeadLetteredAndTheBatchGoesOn) {
  ASSERT_TRUE(handler_.apply(
      {claim_paid("c-1", "p_unknown"), kafka::ConsumedMessage{"jaring.csr.v1", 0, 7, "", "junk"},
       sponsorship("s-1", false, true)},
      dead_));
  ASSERT_EQ(dead_.sent.size(), 2u);
  EXPECT_NE(dead_.sent[0].second.find("p_unknown"), std::string::npos) << dead_.sent[0].second;
  EXPECT_EQ(dead_.sent[1].first, 7);
  EXPECT_EQ(core_.get_participant(participant_id_)->payer, "sponsor");
}

// As the service runs it, each batch in one transaction: tried whole first, and applied again
// with a savepoint per event when one fails, so that the others are applied exactly once.
TEST_F(RegistrationConsumer, InOneTransactionAFailingEventIsDeadLetteredAndTheOthersApplyOnce) {
  handler_.batch_in(*db_);
  ASSERT_TRUE(handler_.apply({sponsorship("s-1", false, true), claim_paid("c-1", "p_unknown"),
                              claim_paid("c-0", participant_id_, false)},
                             dead_));
  ASSERT_EQ(dead_.sent.size(), 1u);
  EXPECT_NE(dead_.sent[0].second.find("p_unknown"), std::string::npos) << dead_.sent[0].second;
  EXPECT_EQ(core_.get_participant(participant_id_)->payer, "sponsor");
  EXPECT_EQ(published_types(),
            (std::vector<std::string>{"RwCreated", "ParticipantRegistered", "ParticipantUpdated"}));

  // A clean batch commits whole, with where it ended.
  ASSERT_TRUE(handler_.apply({claim_paid("c-2", participant_id_)}, dead_));
  EXPECT_EQ(dead_.sent.size(), 1u);
  EXPECT_EQ(core_.get_participant(participant_id_)->status, "exited");
  const auto offsets = db_->read([](store::Database& db) { return store::read_consumer_offsets(db, ""); });
  EXPECT_EQ(offsets.at({"jaring.claims.v1", 0}), 4);
}

}  // namespace
}  // namespace jaring::registration

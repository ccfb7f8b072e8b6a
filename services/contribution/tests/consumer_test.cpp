// The registration consumer on a real jaring-devkafka: an account opens exactly once even when
// ParticipantRegistered is delivered twice.
#include <gtest/gtest.h>

#include "adapters/event_handler.hpp"
#include "contribution_fixture.hpp"
#include "jaring/events/v1/envelope.pb.h"
#include "jaring/process/process.hpp"
#include "jaring/store/outbox.hpp"
#include "jaring/testing/fixtures.hpp"

namespace jaring::contribution {
namespace {

using namespace std::chrono_literals;

class ConsumerTest : public testing::ContributionFixture {
 protected:
  ConsumerTest()
      : kafka_({{"jaring.registration.v1", 4}, {"jaring.csr.v1", 2}, {"jaring.deadletter.v1", 1}}) {}
  jaring::testing::DevKafka kafka_;
};

events::v1::Envelope registered(const std::string& event_id, const std::string& participant_id) {
  events::v1::Envelope envelope;
  envelope.set_event_id(event_id);
  envelope.set_type("ParticipantRegistered");
  envelope.set_producer("registration");
  auto* e = envelope.mutable_participant_registered();
  e->set_participant_id(participant_id);
  e->set_rw_code("31.75.06.1005.002");
  e->set_category("ojol_driver");
  e->set_payer("self");
  e->set_programs("jkk+jkm");
  e->set_income_band(1'000'000);
  e->set_registered_on("2026-03-02");
  return envelope;
}

TEST_F(ConsumerTest, RegisteredDeliveredTwiceOpensOneAccount) {
  const auto payload = registered("e_reg_1", "p_kafka").SerializeAsString();

  metrics::Registry registry("test");
  const kafka::Settings settings{kafka_.bootstrap(), {}};
  kafka::Producer producer(settings, "test", registry);
  ASSERT_EQ(producer.produce_and_wait({{"jaring.registration.v1", "p_kafka", payload, {}},
                                       {"jaring.registration.v1", "p_kafka", payload, {}},
                                       {"jaring.registration.v1", "p_kafka", "not an envelope", {}}},
                                      10s),
            3u);

  EventHandler handler(*core_, registry);
  kafka::ConsumerOptions options;
  options.group_id = "jaring-contribution-test";
  options.topics = {"jaring.registration.v1", "jaring.csr.v1"};
  options.max_wait = 100ms;
  kafka::Consumer consumer(settings, options, handler, registry);
  consumer.start();
  ASSERT_TRUE(process::wait_for(
      [&] { return consumer.assigned() && consumer.lag() == 0 && core_->account("p_kafka"); }, 30s));
  // Both deliveries went through the handler (the second as a no-op) before the lag reached 0.
  ASSERT_TRUE(process::wait_for(
      [&] { return registry.serialize().find("events_applied_total 2") != std::string::npos; }, 30s))
      << registry.serialize();
  consumer.stop();
  const auto account = core_->account("p_kafka");
  EXPECT_EQ(account->first_period.str(), "2026-03");
  EXPECT_EQ(account->terms.category, "ojol_driver");
  const auto opened = store::outbox_fetch_unsent(*db_, 100);
  ASSERT_EQ(opened.size(), 1u);  // one CoverageChanged none -> awaiting
  events::v1::Envelope out;
  ASSERT_TRUE(out.ParseFromString(opened[0].payload));
  EXPECT_EQ(out.coverage_changed().to_state(), "awaiting");
}

// Registration's events say that coverage counts the new participant awaiting from them: the
// account opens in that state and announces nothing (an event less on the bus per registration).
TEST_F(ConsumerTest, ARegistrationCountedAwaitingOpensTheAccountWithoutAnEvent) {
  auto envelope = registered("e_reg_2", "p_counted");
  envelope.mutable_participant_registered()->set_counted_awaiting(true);
  metrics::Registry registry("test");
  EventHandler handler(*core_, registry);
  ASSERT_TRUE(handler.apply_payload(envelope.SerializeAsString()));
  ASSERT_TRUE(core_->account("p_counted"));
  EXPECT_EQ(core_->account("p_counted")->state, "awaiting");
  EXPECT_TRUE(store::outbox_fetch_unsent(*db_, 100).empty());
}

}  // namespace
}  // namespace jaring::contribution

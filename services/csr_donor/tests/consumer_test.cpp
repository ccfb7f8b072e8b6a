// The csr-donor consumer on a real jaring-devkafka: a participant learnt from registration is
// sponsored, and a ContributionBilled delivered twice is paid once from the wallet; a payload
// that is not an envelope goes to the dead-letter topic and consuming goes on.
#include <gtest/gtest.h>

#include "adapters/event_handler.hpp"
#include "csr_fixture.hpp"
#include "jaring/process/process.hpp"
#include "jaring/testing/fixtures.hpp"

namespace jaring::csr {
namespace {

using namespace std::chrono_literals;

using testing::kEveryone;
using testing::staff;

class CsrConsumerTest : public testing::CsrFixture {
 protected:
  CsrConsumerTest()
      : kafka_({{"jaring.registration.v1", 4},
                {"jaring.contribution.v1", 4},
                {"jaring.claims.v1", 2},
                {"jaring.deadletter.v1", 1}}) {}
  jaring::testing::DevKafka kafka_;
};

TEST_F(CsrConsumerTest, BillDeliveredTwiceIsPaidOnce) {
  metrics::Registry registry("test");
  const kafka::Settings settings{kafka_.bootstrap(), {}};
  kafka::Producer producer(settings, "test", registry);

  events::v1::Envelope registered;
  registered.set_event_id("e_reg_1");
  registered.set_type("ParticipantRegistered");
  auto* r = registered.mutable_participant_registered();
  r->set_participant_id("p_kafka");
  r->set_rw_code("31.75.06.1005.002");
  r->set_category("scavenger");
  r->set_payer("self");
  r->set_programs("jkk+jkm");
  r->set_income_band(1'000'000);
  ASSERT_EQ(
      producer.produce_and_wait({{"jaring.registration.v1", "p_kafka", registered.SerializeAsString(), {}},
                                 {"jaring.registration.v1", "p_kafka", "not an envelope", {}}},
                                10s),
      2u);

  EventHandler handler(core_.projections(), registry);
  kafka::ConsumerOptions options;
  options.group_id = "jaring-csr-donor-test";
  options.topics = {"jaring.registration.v1", "jaring.contribution.v1", "jaring.claims.v1"};
  options.max_wait = 100ms;
  kafka::Consumer consumer(settings, options, handler, registry);
  consumer.start();
  // The participant is known once a quote for it succeeds.
  const auto s = sponsor("PT Maju", "csr_company", 100'000);
  ASSERT_TRUE(process::wait_for(
      [&] {
        return core_.cohorts()
            .quote_cohort({s, "", "2026-03", 1, {"p_kafka"}, 0, {}, {}}, staff("tester"))
            .has_value();
      },
      30s));
  ASSERT_TRUE(core_.cohorts().create_cohort("c1", {s, "Maju", "2026-03", 6, {"p_kafka"}, 0, {}, {}},
                                            staff("sponsor")));

  events::v1::Envelope billed;
  billed.set_event_id("e_bill_1");
  billed.set_type("ContributionBilled");
  auto* b = billed.mutable_contribution_billed();
  b->set_participant_id("p_kafka");
  b->set_rw_code("31.75.06.1005.002");
  b->set_period("2026-03");
  b->set_amount(16'800);
  b->set_outstanding(16'800);
  const auto payload = billed.SerializeAsString();
  ASSERT_EQ(producer.produce_and_wait({{"jaring.contribution.v1", "p_kafka", payload, {}},
                                       {"jaring.contribution.v1", "p_kafka", payload, {}}},
                                      10s),
            2u);
  // Registration event, the two bills: three applied; the garbage went to the dead letters.
  ASSERT_TRUE(process::wait_for(
      [&] { return registry.serialize().find("events_applied_total 3") != std::string::npos; }, 30s))
      << registry.serialize();
  consumer.stop();
  EXPECT_NE(registry.serialize().find("sponsor_payments_total 1"), std::string::npos) << registry.serialize();
  EXPECT_EQ(core_.wallets().sponsor(s, kEveryone)->sponsor.balance, 100'000 - 16'800);
  const auto made = of_type(take_events(), "SponsorPaymentMade");
  ASSERT_EQ(made.size(), 1u);
  EXPECT_EQ(made[0].sponsor_payment_made().allocation_id(), "p_kafka:2026-03");
}

}  // namespace
}  // namespace jaring::csr

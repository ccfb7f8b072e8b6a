// The contribution consumer on a real jaring-devkafka: a participant's paid months arrive once
// even when events are delivered twice; what cannot be applied goes to the dead-letter topic and
// consuming goes on. The participant is registration's answer, not an event claims follows.
#include <gtest/gtest.h>

#include <sstream>

#include <google/protobuf/util/time_util.h>

#include "adapters/event_handler.hpp"
#include "claims_fixture.hpp"
#include "jaring/process/process.hpp"

namespace jaring::claims {
namespace {

using testing::death_claim;

using namespace std::chrono_literals;

class ConsumerTest : public testing::ClaimsFixture {
 protected:
  ConsumerTest() : kafka_({{"jaring.contribution.v1", 4}, {"jaring.deadletter.v1", 1}}) {}
  jaring::testing::DevKafka kafka_;
};

TEST_F(ConsumerTest, PaidPeriodsExactlyOnceAndWhatCannotBeAppliedIsSetAside) {
  participant("p_kafka", "2026-01-05");
  events::v1::Envelope paid;
  paid.set_event_id("e_pay_k");
  paid.set_type("PaymentReceived");
  *paid.mutable_occurred_at() = google::protobuf::util::TimeUtil::SecondsToTimestamp(
      std::chrono::duration_cast<std::chrono::seconds>(testing::jakarta_noon("2026-01-06").time_since_epoch())
          .count());
  auto* p = paid.mutable_payment_received();
  p->set_payment_id("pay_k");
  p->set_participant_id("p_kafka");
  for (const char* m : {"2026-01", "2026-02", "2026-03"}) {
    p->add_periods(m);
    p->add_paid_periods(m);
  }
  p->set_covered_through("2026-03");

  events::v1::Envelope bad_period;  // a bill for a month that does not exist
  bad_period.set_event_id("e_bill_bad");
  bad_period.set_type("ContributionBilled");
  bad_period.mutable_contribution_billed()->set_participant_id("p_kafka");
  bad_period.mutable_contribution_billed()->set_period("2026-13");

  metrics::Registry registry("test");
  const kafka::Settings settings{kafka_.bootstrap(), {}};
  kafka::Producer producer(settings, "test", registry);
  ASSERT_EQ(
      producer.produce_and_wait({{"jaring.contribution.v1", "p_kafka", paid.SerializeAsString(), {}},
                                 {"jaring.contribution.v1", "p_kafka", bad_period.SerializeAsString(), {}},
                                 {"jaring.contribution.v1", "p_kafka", paid.SerializeAsString(), {}},
                                 {"jaring.contribution.v1", "p_kafka", "not an envelope", {}}},
                                10s),
      4u);

  EventHandler handler(*core_, registry);
  kafka::ConsumerOptions options;
  options.group_id = "jaring-claims-test";
  options.topics = {"jaring.contribution.v1"};
  options.max_wait = 100ms;
  kafka::Consumer consumer(settings, options, handler, registry);
  consumer.start();
  // The consumer counts dead letters per source topic: add them up.
  const auto dead_letters = [&] {
    std::istringstream lines(registry.serialize());
    double total = 0;
    for (std::string line; std::getline(lines, line);) {
      if (line.find("dead_letters_total{") != std::string::npos)
        total += std::stod(line.substr(line.rfind(' ')));
    }
    return total;
  };
  ASSERT_TRUE(process::wait_for(
      [&] {
        return registry.serialize().find("events_applied_total 2") != std::string::npos &&
               dead_letters() == 2;
      },
      30s))
      << registry.serialize();
  consumer.stop();
  const auto coverage = core_->coverage_on("p_kafka", "2026-03-10", agent_, kEveryone);
  ASSERT_TRUE(coverage);
  EXPECT_EQ(coverage->state, "active");
  EXPECT_EQ(coverage->contribution_months, 3);
  // The claim decision needs nothing but the projection and registration's answer.
  auto claim = core_->file(death_claim("k_kafka", "p_kafka", "jkm_death", "2026-03-10"), agent_, kEveryone);
  ASSERT_TRUE(claim);
  EXPECT_EQ(claim->status, "filed");
  EXPECT_EQ(claim->total, 42'000'000);
}

}  // namespace
}  // namespace jaring::claims

// The consumer's decoding of every owner's events into counters, on a real redis-server: what
// claims and csr-donor publish moves claims paid and sponsored per RW, exactly once.
#include <gtest/gtest.h>

#include "adapters/event_handler.hpp"
#include "jaring/events/v1/envelope.pb.h"
#include "jaring/testing/fixtures.hpp"

namespace jaring::coverage {
namespace {

constexpr const char* kHere = "31.75.06.1005.002";
constexpr const char* kThere = "31.75.06.1005.003";

class RecordingDeadLetters final : public kafka::DeadLetters {
 public:
  Result<void> send(const kafka::ConsumedMessage& message, const std::string& reason) override {
    sent.emplace_back(message.offset, reason);
    return {};
  }
  std::vector<std::pair<std::int64_t, std::string>> sent;
};

class EventHandlerTest : public ::testing::Test {
 protected:
  // One message per envelope, on `topic` partition 0 from `first_offset`.
  std::vector<kafka::ConsumedMessage> messages(const std::string& topic, std::int64_t first_offset,
                                               const std::vector<events::v1::Envelope>& envelopes) {
    std::vector<kafka::ConsumedMessage> out;
    out.reserve(envelopes.size());
    for (const auto& e : envelopes) out.push_back({topic, 0, first_offset++, "", e.SerializeAsString()});
    return out;
  }

  static events::v1::Envelope envelope(const std::string& id) {
    events::v1::Envelope e;
    e.set_event_id(id);
    return e;
  }
  static events::v1::Envelope rw_created(const std::string& id, const std::string& rw) {
    auto e = envelope(id);
    e.mutable_rw_created()->set_rw_code(rw);
    e.mutable_rw_created()->set_kelurahan_code(std::string(rw).substr(0, 13));
    e.mutable_rw_created()->set_target(100);
    return e;
  }
  static events::v1::Envelope claim_paid(const std::string& id, const std::string& rw, std::int64_t amount) {
    auto e = envelope(id);
    e.mutable_claim_paid()->set_rw_code(rw);
    e.mutable_claim_paid()->set_amount(amount);
    return e;
  }
  static events::v1::Envelope sponsorship(const std::string& id, const std::string& rw,
                                          const std::string& previous, bool before, bool after) {
    auto e = envelope(id);
    auto* s = e.mutable_sponsorship_changed();
    s->set_rw_code(rw);
    s->set_previous_rw_code(previous);
    s->set_sponsored_before(before);
    s->set_sponsored_after(after);
    return e;
  }

  Counters counters(const std::string& rw) {
    auto found = counters_.rw(rw);
    EXPECT_TRUE(found && *found);
    return (found && *found) ? (*found)->counters : Counters{};
  }

  testing::RedisServer server_;
  redis::Client client_{"127.0.0.1", server_.port(), {.password = server_.password()}};
  RedisCounters counters_{client_, "t:", std::chrono::seconds(3600)};
  metrics::Registry metrics_{"coverage"};
  EventHandler handler_{counters_, metrics_};
  RecordingDeadLetters dead_;
};

TEST_F(EventHandlerTest, ClaimsPaidAndSponsoredWorkersAreCountedOncePerRw) {
  ASSERT_TRUE(handler_.apply(
      messages("jaring.registration.v1", 0, {rw_created("r1", kHere), rw_created("r2", kThere)}), dead_));
  const auto csr =
      messages("jaring.csr.v1", 0,
               {sponsorship("s1", kHere, "", false, true), sponsorship("s2", kHere, "", false, true),
                // the second sponsored worker moves
                sponsorship("s3", kThere, kHere, true, true)});
  const auto claims = messages("jaring.claims.v1", 0, {claim_paid("c1", kHere, 42'000'000)});
  ASSERT_TRUE(handler_.apply(csr, dead_));
  ASSERT_TRUE(handler_.apply(claims, dead_));
  // A redelivery after a crash counts nothing twice.
  ASSERT_TRUE(handler_.apply(csr, dead_));
  ASSERT_TRUE(handler_.apply(claims, dead_));

  EXPECT_EQ(counters(kHere).sponsored, 1);
  EXPECT_EQ(counters(kThere).sponsored, 1);
  EXPECT_EQ(counters(kHere).claims_paid, 1);
  EXPECT_EQ(counters(kHere).claims_paid_rupiah, 42'000'000);
  EXPECT_EQ(counters(kThere).claims_paid, 0);
  EXPECT_TRUE(dead_.sent.empty());

  ASSERT_TRUE(
      handler_.apply(messages("jaring.csr.v1", 3, {sponsorship("s4", kThere, "", true, false)}), dead_));
  EXPECT_EQ(counters(kThere).sponsored, 0);
}

TEST_F(EventHandlerTest, AClaimOrSponsorshipItCannotApplyIsDeadLetteredAndTheRestCounts) {
  ASSERT_TRUE(handler_.apply(messages("jaring.registration.v1", 0, {rw_created("r1", kHere)}), dead_));
  ASSERT_TRUE(handler_.apply(messages("jaring.claims.v1", 0,
                                      {claim_paid("c0", kHere, 0), claim_paid("c1", "RW 2", 1'000),
                                       claim_paid("c2", kHere, 70'000'000)}),
                             dead_));
  ASSERT_EQ(dead_.sent.size(), 2u);
  EXPECT_NE(dead_.sent[0].second.find("amount_rupiah"), std::string::npos) << dead_.sent[0].second;
  EXPECT_NE(dead_.sent[1].second.find("rw_code"), std::string::npos) << dead_.sent[1].second;
  EXPECT_EQ(counters(kHere).claims_paid, 1);
  EXPECT_EQ(counters(kHere).claims_paid_rupiah, 70'000'000);
}

}  // namespace
}  // namespace jaring::coverage

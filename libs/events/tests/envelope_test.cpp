#include <gtest/gtest.h>

#include "jaring/events/envelope.hpp"
#include "jaring/log/log.hpp"

namespace jaring::events {
namespace {

TEST(Stamp, FillsIdProducerTraceAndTime) {
  // 2026-01-02T03:04:05.006Z
  const FixedClock clock(TimePoint(std::chrono::milliseconds(1767323045006)));
  log::TraceScope trace("t_abc");
  v1::Envelope envelope;
  stamp(envelope, "contribution", clock);
  EXPECT_EQ(envelope.event_id().rfind("e_", 0), 0u);
  EXPECT_EQ(envelope.event_id().size(), 34u);
  EXPECT_EQ(envelope.producer(), "contribution");
  EXPECT_EQ(envelope.trace_id(), "t_abc");
  EXPECT_EQ(envelope.occurred_at().seconds(), 1767323045);
  EXPECT_EQ(envelope.occurred_at().nanos(), 6'000'000);
}

TEST(Stamp, GivesEveryEventItsOwnId) {
  const FixedClock clock(TimePoint{});
  v1::Envelope a, b;
  stamp(a, "registration", clock);
  stamp(b, "registration", clock);
  EXPECT_NE(a.event_id(), b.event_id());
}

// The derivation is part of the contract between releases: an event re-applied after an upgrade
// must get the id the old release gave it, or its consumers would apply it twice.
TEST(Stamp, EveryReleaseDerivesTheSameIds) {
  // sha256("<cause>\n<producer>\n<n>\n<salt>") in hex, after the cause's 12 digits of time.
  EXPECT_EQ(derived_event_id("e_019ad3c2f1a04b7e9c1d2e3f4a5b6c7d", "contribution", 0),
            "e_019ad3c2f1a0dc4e6eec30f872e429ac");
  EXPECT_EQ(derived_event_id("legacy-id", "contribution", 0), "e_b368429ff27da5f79e0a7e7bd176e772")
      << "a cause without a time gives 32 digits of the digest";
}

// Applying a consumed event again (after a restore) stamps the same ids: consumers drop them.
TEST(Stamp, DerivesIdsFromTheEventBeingApplied) {
  const FixedClock clock(TimePoint{});
  const std::string cause = "e_019ad3c2f1a04b7e9c1d2e3f4a5b6c7d";
  const auto applying = [&] {
    const CauseScope scope(cause);
    v1::Envelope first, second;
    stamp(first, "contribution", clock);
    stamp(second, "contribution", clock);
    return std::pair{first.event_id(), second.event_id()};
  };
  const auto once = applying();
  const auto again = applying();
  EXPECT_EQ(once, again);
  EXPECT_NE(once.first, once.second);
  EXPECT_EQ(once.first.size(), 34u);
  EXPECT_EQ(once.first.substr(0, 14), cause.substr(0, 14)) << "keeps the cause's time";
  EXPECT_NE(derived_event_id(cause, "csr-donor", 0), once.first) << "another producer, another id";
  {
    const CauseScope outer(cause);
    { const CauseScope inner("e_other"); }  // leaves the outer cause in place
    v1::Envelope first;
    stamp(first, "contribution", clock);
    EXPECT_EQ(first.event_id(), once.first);
    const CauseScope none("");
  }
  v1::Envelope outside;
  stamp(outside, "contribution", clock);
  EXPECT_NE(outside.event_id(), once.first);
  EXPECT_NE(outside.event_id(), once.second);
}

}  // namespace
}  // namespace jaring::events

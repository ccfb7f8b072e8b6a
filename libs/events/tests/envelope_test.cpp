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

}  // namespace
}  // namespace jaring::events

#include <gtest/gtest.h>

#include <set>

#include "jaring/common/clock.hpp"
#include "jaring/common/ids.hpp"
#include "jaring/common/money.hpp"
#include "jaring/common/result.hpp"

namespace jaring {
namespace {

TEST(Error, InvalidJoinsEveryViolationIntoTheMessage) {
  const auto e = Error::invalid({{"nik", "must be 16 digits"}, {"name", "is required"}});
  EXPECT_EQ(e.code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(e.message, "nik: must be 16 digits; name: is required");
  ASSERT_EQ(e.violations.size(), 2u);
}

TEST(Clock, FormatsUtcWithMilliseconds) {
  const TimePoint at = std::chrono::sys_days{std::chrono::year{2026} / 11 / 21} + std::chrono::hours{14} +
                       std::chrono::milliseconds{5};
  EXPECT_EQ(format_utc(at), "2026-11-21T14:00:00.005Z");
}

TEST(Ids, AreUniqueAndPrefixed) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const auto id = new_id("p_");
    EXPECT_EQ(id.size(), 34u);
    EXPECT_EQ(id.substr(0, 2), "p_");
    EXPECT_TRUE(seen.insert(id).second);
  }
}

TEST(Money, FormatsRupiahWithDotsBetweenThousands) {
  EXPECT_EQ(format_rupiah(0), "Rp0");
  EXPECT_EQ(format_rupiah(999), "Rp999");
  EXPECT_EQ(format_rupiah(16'800), "Rp16.800");
  EXPECT_EQ(format_rupiah(42'000'000), "Rp42.000.000");
  EXPECT_EQ(format_rupiah(-5'000), "-Rp5.000");
  EXPECT_EQ(format_rupiah(INT64_MIN), "-Rp9.223.372.036.854.775.808");
}

}  // namespace
}  // namespace jaring

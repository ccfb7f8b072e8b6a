#include <gtest/gtest.h>

#include "core/tariffs.hpp"
#include "jaring/common/codes.hpp"

namespace jaring::contribution {
extern const char kDefaultTariffs[];
namespace {

TariffTable defaults() {
  auto table = TariffTable::parse(kDefaultTariffs, "tariffs.yaml");
  EXPECT_TRUE(table) << table.error().violations.front().rule;
  return *table;
}

Charge charge(const char* period, const Terms& terms) {
  auto c = defaults().charge(*Period::parse(period), terms);
  EXPECT_TRUE(c);
  return *c;
}

TEST(Tariffs, LowestBandIsRp16800) {
  const auto c = charge("2025-01", {"ojol_driver", "self", "jkk+jkm", 1'000'000});
  EXPECT_EQ(c.band, 1'000'000);
  EXPECT_EQ(c.jkk, 10'000);
  EXPECT_EQ(c.jkm, 6'800);
  EXPECT_EQ(c.jht, 0);
  EXPECT_EQ(c.total, 16'800);
}

TEST(Tariffs, EverySchedulesBandsSpanTheIncomesRegistrationAccepts) {
  const auto table = defaults();
  for (const auto& schedule : table.schedules()) {
    EXPECT_EQ(schedule.income_bands.front(), codes::kLowestIncomeBand) << schedule.name;
    EXPECT_EQ(schedule.income_bands.back(), codes::kTopIncomeBand) << schedule.name;
  }
}

TEST(Tariffs, AFileWithABandBeyondABillionRupiahIsRefused) {
  const auto table = TariffTable::parse(R"(schedules:
  - name: typo
    effective_from: 2026-01
    income_bands: [1000000, 20000000000]
    jkk_rate_bp: 100
    jkm_amount: 6800
    jht_rate_bp: 200
)",
                                        "tariffs.yaml");
  ASSERT_FALSE(table);
  EXPECT_NE(table.error().message.find("at most 1000000000"), std::string::npos) << table.error().message;
}

TEST(Tariffs, JhtAddsTwoPercentOfTheBand) {
  EXPECT_EQ(charge("2025-01", {"pkk", "self", "jkk+jkm+jht", 1'000'000}).total, 36'800);
}

TEST(Tariffs, IncomeFallsIntoTheBandBelowItAndNeverUnderTheLowest) {
  const auto c = charge("2025-01", {"pkk", "self", "jkk+jkm", 2'300'000});
  EXPECT_EQ(c.band, 2'000'000);
  EXPECT_EQ(c.total, 20'000 + 6'800);
  EXPECT_EQ(charge("2025-01", {"pkk", "self", "jkk+jkm", 500'000}).total, 16'800);
}

TEST(Tariffs, Pp50HalvesJkkAndJkmForConfiguredSectorsInItsMonths) {
  const auto c = charge("2025-09", {"ojol_driver", "self", "jkk+jkm", 1'000'000});
  EXPECT_EQ(c.discount, 8'400);
  EXPECT_EQ(c.total, 8'400);
  EXPECT_EQ(c.discount_name, "PP 50/2025");
  // JHT is not halved.
  EXPECT_EQ(charge("2025-09", {"ojol_driver", "sponsor", "jkk+jkm+jht", 1'000'000}).total, 8'400 + 20'000);
  // Not before, not after, not for a sector left out.
  EXPECT_EQ(charge("2025-07", {"ojol_driver", "self", "jkk+jkm", 1'000'000}).total, 16'800);
  EXPECT_EQ(charge("2026-02", {"ojol_driver", "self", "jkk+jkm", 1'000'000}).total, 16'800);
  EXPECT_EQ(charge("2025-09", {"pkk", "self", "jkk+jkm", 1'000'000}).total, 16'800);
}

TEST(Tariffs, CityBudgetPaysInFullDuringRelief) {
  EXPECT_EQ(charge("2025-09", {"ojol_driver", "city_budget", "jkk+jkm", 1'000'000}).total, 16'800);
}

TEST(Tariffs, LaterScheduleTakesOverFromItsEffectiveMonth) {
  auto table = TariffTable::make({{"old", Period::of(2015, 7), {1'000'000}, 100, 6'800, 200},
                                  {"new", Period::of(2027, 1), {1'000'000}, 100, 8'000, 200}},
                                 {});
  ASSERT_TRUE(table);
  const Terms terms{"pkk", "self", "jkk+jkm", 1'000'000};
  EXPECT_EQ(table->charge(Period::of(2026, 12), terms)->total, 16'800);
  EXPECT_EQ(table->charge(Period::of(2027, 2), terms)->total, 18'000);
  EXPECT_EQ(table->charge(Period::of(2015, 6), terms).error().code, ErrorCode::kNotFound);
}

TEST(Tariffs, BadEntriesAreNamed) {
  auto table = TariffTable::parse(R"(
schedules:
  - name: first
    effective_from: 2015-07
    income_bands: [1000000]
    jkk_rate_bp: 0
    jkm_amount: 6800
    jht_rate_bp: 200
discounts:
  - name: relief
    from: 2025-13
    to: 2026-01
    rate_bp: 5000
    sectors: [astronaut]
)",
                                  "bad.yaml");
  ASSERT_FALSE(table);
  const auto& v = table.error().violations.front();
  EXPECT_EQ(v.field, "bad.yaml");
  EXPECT_NE(v.rule.find("discounts[0]: from must be YYYY-MM"), std::string::npos) << v.rule;
  auto again =
      TariffTable::make({{"first", Period::of(2015, 7), {1'000'000}, 0, 6'800, 200}},
                        {{"relief", Period::of(2025, 8), Period::of(2026, 1), 5000, {"astronaut"}, {}}});
  ASSERT_FALSE(again);
  const auto& rule = again.error().violations.front().rule;
  EXPECT_NE(rule.find("schedules[0] (first): jkk_rate_bp must be between 1 and 10000"), std::string::npos)
      << rule;
  EXPECT_NE(rule.find("discounts[0] (relief): unknown sector \"astronaut\""), std::string::npos) << rule;
}

}  // namespace
}  // namespace jaring::contribution

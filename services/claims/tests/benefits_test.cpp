// Benefit figures against hand-computed cases, and the benefit table's validation.
#include <gtest/gtest.h>

#include <limits>

#include "core/benefits.hpp"

namespace jaring::claims {
extern const char kDefaultBenefits[];
namespace {

// The benefit the rules compute, expected to be within the table's bounds.
Benefit benefit(const Claim& claim, const BenefitSchedule& schedule, Rupiah income) {
  auto computed = compute_benefit(claim, schedule, income);
  EXPECT_TRUE(computed) << computed.error().message;
  return computed.value_or(Benefit{});
}

class BenefitsTest : public ::testing::Test {
 protected:
  BenefitsTest() : table_(*BenefitTable::parse(kDefaultBenefits, "benefits")) {}
  const BenefitSchedule& today() { return **table_.on(*parse_date("2026-03-10")); }
  BenefitTable table_;
};

TEST_F(BenefitsTest, JkmDeathIsFortyTwoMillionInThreeLines) {
  Claim c;
  c.type = type::kJkmDeath;
  const auto lines = benefit(c, today(), 1'000'000).lines;
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0].component, "jkm_lump_sum");
  EXPECT_EQ(lines[0].amount, 20'000'000);
  EXPECT_EQ(lines[1].amount, 12'000'000);
  EXPECT_EQ(lines[2].amount, 10'000'000);
  EXPECT_EQ(benefit(c, today(), 1'000'000).total, 42'000'000);
}

TEST_F(BenefitsTest, JkkDeathAtTheLowestBandIsSeventyMillion) {
  Claim c;
  c.type = type::kJkkDeath;
  // 48 x 1,000,000 + 10,000,000 funeral + 12,000,000 periodic
  EXPECT_EQ(benefit(c, today(), 1'000'000).total, 70'000'000);
  // 48 x 2,500,000 = 120,000,000, + 22,000,000
  EXPECT_EQ(benefit(c, today(), 2'500'000).total, 142'000'000);
}

TEST_F(BenefitsTest, DeclaredIncomeCountsUpToTheTopBand) {
  Claim c;
  c.type = type::kJkkDeath;
  EXPECT_EQ(today().max_declared_income, 20'000'000);
  // 48 x 20,000,000 + 22,000,000, however much more was declared.
  EXPECT_EQ(benefit(c, today(), 20'000'000).total, 982'000'000);
  EXPECT_EQ(benefit(c, today(), 1'000'000'000'000).total, 982'000'000);
  EXPECT_EQ(benefit(c, today(), std::numeric_limits<Rupiah>::max()).total, 982'000'000);
  // A negative figure from a broken producer counts as nothing declared.
  EXPECT_EQ(benefit(c, today(), std::numeric_limits<Rupiah>::min()).total, 22'000'000);
  c.type = type::kJkkIncapacity;
  c.incapacity_months = 24;  // 12 x 20,000,000 + 12 x 10,000,000
  EXPECT_EQ(benefit(c, today(), std::numeric_limits<Rupiah>::max()).total, 360'000'000);
}

TEST_F(BenefitsTest, ABenefitAboveTheTablesMaximumIsRefusedNamingTheAmount) {
  Claim c;
  c.type = type::kJkkMedical;
  c.claimed_amount = today().max_benefit;
  EXPECT_EQ(benefit(c, today(), 0).total, 1'200'000'000);
  c.claimed_amount = today().max_benefit + 1;
  auto refused = compute_benefit(c, today(), 0);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(refused.error().violations.at(0).field, "claimed_amount");
  c.verified_amount = std::numeric_limits<Rupiah>::max();
  EXPECT_EQ(compute_benefit(c, today(), 0).error().violations.at(0).field, "verified_amount");
}

TEST_F(BenefitsTest, ATableWhoseMaximumIsBelowItsOwnFiguresIsRefused) {
  std::string yaml = kDefaultBenefits;
  yaml.replace(yaml.find("max_benefit: 1200000000"), 23, "max_benefit: 900000000");
  auto table = BenefitTable::parse(yaml, "small.yaml");
  ASSERT_FALSE(table);
  // Total permanent disability at the top band: 56 x 20,000,000.
  EXPECT_NE(table.error().violations.at(0).rule.find("max_benefit 900000000 is below the 1120000000"),
            std::string::npos)
      << table.error().violations[0].rule;
}

// PP 44/2015 as amended by PP 82/2019: total 56 x income; partial: the table's rate x 80 x income.
TEST_F(BenefitsTest, PermanentDisabilityTotalAndPartialByTheTable) {
  Claim c;
  c.type = type::kJkkTotalDisability;
  EXPECT_EQ(benefit(c, today(), 1'000'000).total, 56'000'000);
  EXPECT_EQ(benefit(c, today(), 2'500'000).total, 140'000'000);
  c.type = type::kJkkPartialDisability;
  c.body_parts = {"right_thumb"};  // 15% x 80 x 1,000,000
  auto thumb = benefit(c, today(), 1'000'000);
  EXPECT_EQ(thumb.total, 12'000'000);
  ASSERT_EQ(thumb.lines.size(), 1u);
  EXPECT_EQ(thumb.lines[0].component, "jkk_partial_disability:right_thumb");
  c.body_parts = {"right_index_first_joint"};  // 4.5% x 80 x 1,500,000
  EXPECT_EQ(benefit(c, today(), 1'500'000).total, 5'400'000);
  // Parts add up, to at most 70% (a partial disability never pays more than a total one).
  c.body_parts = {"sight_both_eyes", "hearing_one_ear"};
  auto capped = benefit(c, today(), 1'000'000);
  EXPECT_EQ(capped.total, 56'000'000);
  ASSERT_EQ(capped.lines.size(), 2u);
  EXPECT_EQ(capped.lines[1].amount, 0);
  EXPECT_NE(capped.lines[1].basis.find("count up to 70.00%"), std::string::npos) << capped.lines[1].basis;
}

TEST_F(BenefitsTest, TemporaryIncapacityIsFullForTwelveMonthsThenHalf) {
  Claim c;
  c.type = type::kJkkIncapacity;
  c.incapacity_months = 5;
  EXPECT_EQ(benefit(c, today(), 1'500'000).total, 7'500'000);
  c.incapacity_months = 14;
  const auto lines = benefit(c, today(), 1'500'000).lines;
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].amount, 18'000'000);  // 12 x 1,500,000
  EXPECT_EQ(lines[1].amount, 1'500'000);   // 2 x 750,000
}

TEST_F(BenefitsTest, MedicalCostsAreTheVerifiedAmountElseTheClaimedOne) {
  Claim c;
  c.type = type::kJkkMedical;
  c.claimed_amount = 4'750'000;
  EXPECT_EQ(benefit(c, today(), 1'000'000).total, 4'750'000);
  c.verified_amount = 4'200'000;
  EXPECT_EQ(benefit(c, today(), 1'000'000).total, 4'200'000);
}

TEST_F(BenefitsTest, ScholarshipsPayTheLevelAmountPerChild) {
  Claim c;
  c.type = type::kScholarship;
  c.scholarship_year = 2026;
  c.children = {{"A", "2014-02-01", "sd", 6, false, false},
                {"B", "2005-05-05", "university", 2, false, false}};
  const auto lines = benefit(c, today(), 1'000'000).lines;
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].amount, 1'500'000);
  EXPECT_EQ(lines[1].amount, 12'000'000);
  EXPECT_EQ(today().level("smp")->amount, 2'000'000);
  EXPECT_EQ(today().level("sma")->max_years, 3);
  EXPECT_EQ(today().level("tk")->max_years, 2);
}

TEST_F(BenefitsTest, SchedulesAreEffectiveDated) {
  const std::string yaml = std::string(kDefaultBenefits) + R"(
  - name: a later rule
    effective_from: 2027-01-01
    max_declared_income: 20000000
    max_benefit: 2000000000
    jkm: {lump_sum: 25000000, periodic: 12000000, funeral: 10000000}
    jkk_death: {income_multiple: 56, funeral: 10000000, periodic: 12000000}
    temporary_incapacity: {full_months: 12, full_rate_bp: 10000, reduced_rate_bp: 5000, max_months: 24}
    jkk_claim_limit_years: 5
    scholarship:
      max_children: 2
      max_age: 23
      min_contribution_months: 36
      levels: [{level: sd, amount: 1500000, max_years: 6}]
)";
  auto table = BenefitTable::parse(yaml, "test");
  ASSERT_TRUE(table) << table.error().violations[0].rule;
  Claim c;
  c.type = type::kJkmDeath;
  EXPECT_EQ(benefit(c, **table->on(*parse_date("2026-12-31")), 0).total, 42'000'000);
  EXPECT_EQ(benefit(c, **table->on(*parse_date("2027-01-01")), 0).total, 47'000'000);
  EXPECT_FALSE(table->on(*parse_date("2019-01-01")));
}

TEST_F(BenefitsTest, ABadTableNamesEveryProblem) {
  auto table = BenefitTable::parse(R"(
schedules:
  - name: broken
    effective_from: 2026-02-30
    jkm: {lump_sum: 0, periodic: 12000000, funeral: 10000000}
    jkk_death: {income_multiple: 48, funeral: 10000000, periodic: 12000000}
    temporary_incapacity: {full_months: 12, full_rate_bp: 10000, reduced_rate_bp: 5000, max_months: 24}
    jkk_claim_limit_years: five
    scholarship: {max_children: 2, max_age: 23, min_contribution_months: 36, levels: []}
)",
                                   "bad.yaml");
  ASSERT_FALSE(table);
  const auto& rule = table.error().violations.at(0).rule;
  EXPECT_NE(rule.find("effective_from must be YYYY-MM-DD"), std::string::npos) << rule;
  EXPECT_NE(rule.find("jkk_claim_limit_years must be a whole number"), std::string::npos) << rule;
  EXPECT_EQ(table.error().violations[0].field, "bad.yaml");
}

}  // namespace
}  // namespace jaring::claims

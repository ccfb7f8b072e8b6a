// The parts of Claims::file alone, without a store: the store-free checks, the schedule's type
// rules, the scholarship rules and the rules that refuse a filed claim.
#include <gtest/gtest.h>

#include "core/claims.hpp"

namespace jaring::claims {
extern const char kDefaultBenefits[];
namespace {

class FilingTest : public ::testing::Test {
 protected:
  FilingTest() : table_(*BenefitTable::parse(kDefaultBenefits, "benefits")) {}
  const BenefitSchedule& schedule() { return **table_.on(today_); }

  static FileCommand own_claim(const std::string& type) {
    FileCommand c;
    c.idempotency_key = "k_1";
    c.participant_id = "p_1";
    c.claim_type = type;
    c.event_date = "2026-02-20";
    c.claimant = {"Budi Santoso", "", "", ""};
    return c;
  }

  BenefitTable table_;
  Date today_ = *parse_date("2026-03-15");
};

std::vector<std::string> fields(const std::vector<FieldViolation>& bad) {
  std::vector<std::string> out;
  out.reserve(bad.size());
  for (const auto& v : bad) out.push_back(v.field);
  return out;
}

TEST_F(FilingTest, StoreFreeChecksNameEveryBrokenRuleAtOnce) {
  auto c = own_claim("jkk_partial_disability");
  EXPECT_EQ(fields(check_filing(c, table_, today_)), std::vector<std::string>{"body_parts"});
  c.body_parts = {"right_thumb"};
  EXPECT_TRUE(check_filing(c, table_, today_).empty());
  c.event_date = "2026-03-16";  // tomorrow
  c.claimed_amount = 5;
  c.incapacity_months = 2;
  EXPECT_EQ(fields(check_filing(c, table_, today_)),
            (std::vector<std::string>{"event_date", "incapacity_months", "claimed_amount"}));
}

TEST_F(FilingTest, TypeRulesOfTheScheduleRefuseUnknownPartsAndMonthsNotYetPassed) {
  auto c = own_claim("jkk_partial_disability");
  c.body_parts = {"right_thumb", "tail"};
  auto unknown = check_type_rules(c, schedule(), today_);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().violations.at(0).field, "body_parts[1]");
  auto months = own_claim("jkk_temporary_incapacity");
  months.incapacity_months = 1;  // 20 February to 15 March: the first month, not yet a second
  ASSERT_TRUE(check_type_rules(months, schedule(), today_));
  months.incapacity_months = 2;
  EXPECT_EQ(check_type_rules(months, schedule(), today_).error().violations.at(0).field, "incapacity_months");
}

TEST_F(FilingTest, ScholarshipsAreClaimedOnceAYearPerChild) {
  FileCommand c;
  c.claim_type = "scholarship";
  c.scholarship_year = 2026;
  c.children = {{"Rina", "2015-05-01", "sd", 2, false, false}};
  EXPECT_TRUE(check_scholarship(c, schedule(), {}));
  ScholarshipRecord before;
  before.child = c.children[0];
  before.year = 2026;
  const std::vector<ScholarshipRecord> previous{before};
  auto twice = check_scholarship(c, schedule(), previous);
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().violations.at(0).field, "children[0].name");
}

TEST_F(FilingTest, RefusalsCoverageTheJkmScholarshipPeriodAndTheJkkLimit) {
  Claim claim;
  claim.type = "jkk_medical";
  claim.event_date = "2021-03-14";
  claim.coverage.eligible = true;
  // Five years and a day after the accident.
  EXPECT_NE(rule_refusal(claim, nullptr, schedule(), today_).find("JKK rights lapse 5 years"),
            std::string::npos);
  claim.event_date = "2021-03-15";
  EXPECT_EQ(rule_refusal(claim, nullptr, schedule(), today_), "");
  claim.coverage.eligible = false;
  claim.coverage.reason = "no month was paid";
  EXPECT_EQ(rule_refusal(claim, nullptr, schedule(), today_),
            "not covered on the event date: no month was paid");
  Claim death;
  death.type = "jkm_death";
  Claim scholarship;
  scholarship.type = "scholarship";
  scholarship.event_date = "2026-01-10";
  scholarship.coverage.contribution_months = 35;
  EXPECT_NE(rule_refusal(scholarship, &death, schedule(), today_).find("at least 36 months"),
            std::string::npos);
  death.type = "jkk_death";  // a JKK scholarship has no minimum period
  EXPECT_EQ(rule_refusal(scholarship, &death, schedule(), today_), "");
}

}  // namespace
}  // namespace jaring::claims

// Heirs by rank, document checklists and coverage on the event date, without a store.
#include <gtest/gtest.h>

#include <algorithm>

#include "core/dates.hpp"
#include "core/rules.hpp"

namespace jaring::claims {
namespace {

TEST(HeirsTest, TheHighestLivingRankClaims) {
  const std::vector<FamilyMember> family = {
      {"spouse", false, ""}, {"parent", true, ""}, {"sibling", true, ""}};
  EXPECT_FALSE(heir_refusal("parent", family));
  const auto refusal = heir_refusal("sibling", family);
  ASSERT_TRUE(refusal);
  EXPECT_NE(refusal->find("a living parent (heir rank 2)"), std::string::npos) << *refusal;
  // A dead spouse does not stand in the way; a living one does.
  EXPECT_TRUE(heir_refusal("grandchild", {{"child", true, ""}}));
  EXPECT_FALSE(heir_refusal("child", {{"spouse", true, ""}}));
  EXPECT_TRUE(heir_refusal("parent_in_law", {{"sibling", true, ""}}));
  EXPECT_TRUE(heir_refusal("will", {{"parent_in_law", true, ""}}));
  EXPECT_FALSE(heir_refusal("will", {}));
  EXPECT_TRUE(heir_refusal("cousin", {}));
  EXPECT_EQ(heir_rank("grandparent"), 2);
  EXPECT_EQ(heir_rank("parent_in_law"), 4);
}

TEST(DocumentsTest, ChecklistPerClaimType) {
  const auto spouse = required_documents("jkm_death", "spouse");
  EXPECT_EQ(spouse.size(), 7u);
  EXPECT_EQ(std::ranges::count(spouse, "marriage_book"), 1);
  EXPECT_EQ(std::ranges::count(required_documents("jkk_death", "parent"), "marriage_book"), 0);
  EXPECT_EQ(std::ranges::count(required_documents("jkk_medical", "self"), "medical_receipts"), 1);
  Claim c;
  c.documents = {{"ktp_heir", true, "u", "t"}, {"family_card", false, "", ""}};
  EXPECT_EQ(missing_documents(c), std::vector<std::string>{"family_card"});
}

class CoverageTest : public ::testing::Test {
 protected:
  Participant p_{"p_1", "31.75.06.1005.002", "pulogebang", "pkk", "", 1'000'000, "2025-06-10", "", "", {},
                 {}};
  // Months from June 2025, each paid on the first of its month unless said otherwise.
  std::vector<PeriodFact> paid(const std::string& from, const std::string& to) {
    std::vector<PeriodFact> out;
    for (int m = *parse_month(from); m <= *parse_month(to); ++m)
      out.push_back({m, true, true, month_text(m) + "-01"});
    return out;
  }
};

TEST_F(CoverageTest, APaidMonthProtects) {
  const auto c = judge_coverage(p_, paid("2025-06", "2026-03"), "2026-03-10", {});
  EXPECT_EQ(c.state, "active");
  EXPECT_TRUE(c.eligible);
  EXPECT_EQ(c.contribution_months, 10);
}

TEST_F(CoverageTest, ArrearsFollowTheSetting) {
  const auto facts = paid("2025-06", "2026-01");
  const auto eligible = judge_coverage(p_, facts, "2026-03-10", {ArrearsRule::kEligible, 3});
  EXPECT_EQ(eligible.state, "arrears");
  EXPECT_EQ(eligible.unpaid_months, 2);
  EXPECT_TRUE(eligible.eligible);
  const auto refused = judge_coverage(p_, facts, "2026-03-10", {ArrearsRule::kNotEligible, 3});
  EXPECT_EQ(refused.state, "arrears");
  EXPECT_FALSE(refused.eligible);
}

TEST_F(CoverageTest, MoreUnpaidMonthsThanTheWindowIsLapsed) {
  const auto c = judge_coverage(p_, paid("2025-06", "2025-11"), "2026-03-10", {});
  EXPECT_EQ(c.state, "lapsed");  // December to March: 4 unpaid months
  EXPECT_FALSE(c.eligible);
  // The same facts judged in business time: on 20 January only December and January were unpaid.
  EXPECT_EQ(judge_coverage(p_, paid("2025-06", "2025-11"), "2026-01-20", {}).state, "arrears");
}

TEST_F(CoverageTest, MoneyPaidAfterTheEventDoesNotCount) {
  auto facts = paid("2025-06", "2026-02");
  facts.push_back({*parse_month("2026-03"), true, true, "2026-03-12"});
  EXPECT_EQ(judge_coverage(p_, facts, "2026-03-12", {}).state, "active");
  const auto before = judge_coverage(p_, facts, "2026-03-11", {ArrearsRule::kNotEligible, 3});
  EXPECT_EQ(before.state, "arrears");
  EXPECT_FALSE(before.eligible);
}

TEST_F(CoverageTest, NothingPaidYetDoesNotProtectWhateverTheArrearsRule) {
  const auto c = judge_coverage(p_, {}, "2025-06-20", {ArrearsRule::kEligible, 3});
  EXPECT_EQ(c.state, "never_paid");
  EXPECT_FALSE(c.eligible);
  // Paid only after the event: still nothing paid on that day.
  EXPECT_EQ(judge_coverage(p_, paid("2025-06", "2025-06"), "2025-05-31", {}).state, "not_participating");
  auto late = paid("2025-06", "2025-06");
  late[0].paid_on = "2025-06-25";
  EXPECT_EQ(judge_coverage(p_, late, "2025-06-20", {}).state, "never_paid");
}

TEST_F(CoverageTest, OutsideTheParticipation) {
  EXPECT_EQ(judge_coverage(p_, paid("2025-06", "2026-03"), "2025-06-09", {}).state, "not_participating");
  auto exited = p_;
  exited.exit_date = "2026-01-31";
  exited.exit_reason = "moved_away";
  const auto c = judge_coverage(exited, paid("2025-06", "2026-03"), "2026-02-01", {});
  EXPECT_EQ(c.state, "not_participating");
  EXPECT_NE(c.reason.find("after the participation ended"), std::string::npos);
}

TEST(DatesTest, AgesAndYears) {
  EXPECT_EQ(age_on(*parse_date("2003-06-01"), *parse_date("2026-01-01")), 22);
  EXPECT_EQ(age_on(*parse_date("2003-01-01"), *parse_date("2026-01-01")), 23);
  EXPECT_EQ(date_text(add_years(*parse_date("2020-02-29"), 5)), "2025-03-01");
  EXPECT_FALSE(parse_date("2026-02-30"));
  EXPECT_EQ(jakarta_date(std::chrono::sys_days(*parse_date("2026-03-14")) + std::chrono::hours(18)),
            "2026-03-15");
}

}  // namespace
}  // namespace jaring::claims

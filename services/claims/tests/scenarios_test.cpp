// The table of claim scenarios the issue asks for: each one on a fresh store, with the decision
// (filed, refused by the rules with a reason, or bad input naming the field) and the amount,
// computed by hand. The participant was registered on 2020-01-10 with a declared income of
// Rp1,000,000; "today" is 2026-03-15.
#include <gtest/gtest.h>

#include "claims_fixture.hpp"

namespace jaring::claims {
namespace {

struct Payment {
  std::string from, to, paid_on;
};

struct Scenario {
  Scenario(std::string name, FileCommand command, std::vector<Payment> payments, Settings settings,
           std::string status, Rupiah total, std::string reason = "", ErrorCode error = ErrorCode::kInternal,
           std::string field = "")
      : name(std::move(name)),
        command(std::move(command)),
        payments(std::move(payments)),
        settings(settings),
        status(std::move(status)),
        total(total),
        reason(std::move(reason)),
        error(error),
        field(std::move(field)) {}
  std::string name;
  FileCommand command;
  std::vector<Payment> payments;
  Settings settings;
  // Expected: a status (filed | rejected) with the total, or an error code with the field.
  std::string status;
  Rupiah total = 0;
  std::string reason;  // a part of the rejection reason or of the error's rule
  ErrorCode error = ErrorCode::kInternal;
  std::string field;
};

FileCommand own_claim(const std::string& type, const std::string& date) {
  FileCommand c;
  c.participant_id = "p_1";
  c.claim_type = type;
  c.event_date = date;
  c.claimant = {"Budi Santoso", "", "self", ""};
  return c;
}

FileCommand with(FileCommand c, const std::function<void(FileCommand&)>& change) {
  change(c);
  return c;
}

const std::vector<Payment> kAlwaysPaid = {{"2020-01", "2026-03", "2020-01-10"}};

std::vector<Scenario> scenarios() {
  using testing::death_claim;
  const auto jkm = death_claim("", "p_1", "jkm_death", "2026-03-10");
  const auto jkk = death_claim("", "p_1", "jkk_death", "2026-03-10");
  const Settings strict{ArrearsRule::kNotEligible, 3};
  return {
      {"jkm_active_widow", jkm, kAlwaysPaid, {}, "filed", 42'000'000},
      {"jkk_death_lowest_band", jkk, kAlwaysPaid, {}, "filed", 70'000'000},
      {"arrears_eligible_by_setting", jkm, {{"2020-01", "2026-01", "2020-01-10"}}, {}, "filed", 42'000'000},
      {"arrears_refused_by_setting",
       jkm,
       {{"2020-01", "2026-01", "2020-01-10"}},
       strict,
       "rejected",
       42'000'000,
       "within the arrears window"},
      {"lapsed",
       jkm,
       {{"2020-01", "2025-10", "2020-01-10"}},
       {},
       "rejected",
       42'000'000,
       "coverage had lapsed"},
      {"paid_after_the_death",
       jkm,
       {{"2020-01", "2026-02", "2020-01-10"}, {"2026-03", "2026-03", "2026-03-12"}},
       strict,
       "rejected",
       42'000'000,
       "2026-03 was not paid by 2026-03-10"},
      {"before_the_participation",
       with(jkm, [](auto& c) { c.event_date = "2019-12-31"; }),
       kAlwaysPaid,
       {},
       "rejected",
       42'000'000,
       "before the participation began"},
      {"jkk_incapacity_within_5_years",
       with(own_claim("jkk_temporary_incapacity", "2021-03-20"), [](auto& c) { c.incapacity_months = 14; }),
       kAlwaysPaid,
       {},
       "filed",
       13'000'000},  // 12 x 1,000,000 + 2 x 500,000
      {"jkk_after_5_years",
       with(own_claim("jkk_temporary_incapacity", "2021-03-14"), [](auto& c) { c.incapacity_months = 14; }),
       kAlwaysPaid,
       {},
       "rejected",
       13'000'000,
       "JKK rights lapse 5 years after the accident"},
      {"jkk_medical_as_claimed",
       with(own_claim("jkk_medical", "2026-02-01"), [](auto& c) { c.claimed_amount = 3'250'000; }),
       kAlwaysPaid,
       {},
       "filed",
       3'250'000},
      // Heirs of each rank.
      {"heir_child_rank_1",
       death_claim("", "p_1", "jkm_death", "2026-03-10", "child"),
       kAlwaysPaid,
       {},
       "filed",
       42'000'000},
      {"heir_parent_rank_2",
       with(jkm,
            [](auto& c) {
              c.claimant.relation = "parent";
              c.family = {{"spouse", false, ""}, {"parent", true, ""}, {"sibling", true, ""}};
            }),
       kAlwaysPaid,
       {},
       "filed",
       42'000'000},
      {"heir_grandparent_rank_2",
       with(jkm,
            [](auto& c) {
              c.claimant.relation = "grandparent";
              c.family = {{"grandparent", true, ""}};
            }),
       kAlwaysPaid,
       {},
       "filed",
       42'000'000},
      {"heir_sibling_rank_3",
       with(jkm,
            [](auto& c) {
              c.claimant.relation = "sibling";
              c.family = {{"parent", false, ""}, {"sibling", true, ""}};
            }),
       kAlwaysPaid,
       {},
       "filed",
       42'000'000},
      {"heir_parent_in_law_rank_4",
       with(jkm,
            [](auto& c) {
              c.claimant.relation = "parent_in_law";
              c.family = {{"parent_in_law", true, ""}};
            }),
       kAlwaysPaid,
       {},
       "filed",
       42'000'000},
      {"heir_named_in_a_will_rank_5",
       with(jkm,
            [](auto& c) {
              c.claimant.relation = "will";
              c.family = {{"spouse", false, ""}};
            }),
       kAlwaysPaid,
       {},
       "filed",
       42'000'000},
      {"sibling_while_a_parent_lives",
       with(jkm,
            [](auto& c) {
              c.claimant.relation = "sibling";
              c.family = {{"parent", true, ""}, {"sibling", true, ""}};
            }),
       kAlwaysPaid,
       {},
       "",
       0,
       "a living parent (heir rank 2)",
       ErrorCode::kInvalidArgument,
       "claimant.relation"},
      {"grandchild_while_a_child_lives",
       with(jkm,
            [](auto& c) {
              c.claimant.relation = "grandchild";
              c.family = {{"child", true, ""}, {"grandchild", true, ""}};
            }),
       kAlwaysPaid,
       {},
       "",
       0,
       "a living child (heir rank 1)",
       ErrorCode::kInvalidArgument,
       "claimant.relation"},
      // Bad input.
      {"unknown_participant",
       with(jkm, [](auto& c) { c.participant_id = "p_nobody"; }),
       kAlwaysPaid,
       {},
       "",
       0,
       "unknown participant",
       ErrorCode::kInvalidArgument,
       "participant_id"},
      {"event_in_the_future",
       with(jkm, [](auto& c) { c.event_date = "2026-03-16"; }),
       kAlwaysPaid,
       {},
       "",
       0,
       "must not be in the future",
       ErrorCode::kInvalidArgument,
       "event_date"},
      {"requested_amount_off_the_rules",
       with(jkm, [](auto& c) { c.requested_amount = 45'000'000; }),
       kAlwaysPaid,
       {},
       "",
       0,
       "Rp42.000.000",
       ErrorCode::kInvalidArgument,
       "requested_amount"},
      {"requested_amount_matching",
       with(jkm, [](auto& c) { c.requested_amount = 42'000'000; }),
       kAlwaysPaid,
       {},
       "filed",
       42'000'000},
      {"incapacity_beyond_the_rules",
       with(own_claim("jkk_temporary_incapacity", "2023-01-05"), [](auto& c) { c.incapacity_months = 30; }),
       kAlwaysPaid,
       {},
       "",
       0,
       "at most 24 months",
       ErrorCode::kInvalidArgument,
       "incapacity_months"},
      {"incapacity_months_not_yet_passed",
       with(own_claim("jkk_temporary_incapacity", "2026-01-20"), [](auto& c) { c.incapacity_months = 3; }),
       kAlwaysPaid,
       {},
       "",
       0,
       "months not yet passed",
       ErrorCode::kInvalidArgument,
       "incapacity_months"},
  };
}

class ScenarioTest : public testing::ClaimsFixture, public ::testing::WithParamInterface<Scenario> {};

TEST_P(ScenarioTest, DecisionAndAmount) {
  const auto& s = GetParam();
  reset(s.settings);
  participant("p_1");
  for (const auto& p : s.payments) pay("p_1", p.from, p.to, p.paid_on);
  auto command = s.command;
  command.idempotency_key = "k_" + s.name;
  const auto claim = core_->file(command, agent_, kEveryone);
  if (s.status.empty()) {
    ASSERT_FALSE(claim) << "filed as " << claim->status;
    EXPECT_EQ(claim.error().code, s.error);
    ASSERT_EQ(claim.error().violations.size(), 1u) << claim.error().message;
    EXPECT_EQ(claim.error().violations[0].field, s.field);
    EXPECT_NE(claim.error().violations[0].rule.find(s.reason), std::string::npos)
        << claim.error().violations[0].rule;
    // Nothing half-written: no claim, no event.
    EXPECT_TRUE(store::outbox_fetch_unsent(*db_, 10).empty());
    EXPECT_TRUE(core_->list({}, kEveryone)->claims.empty());
    return;
  }
  ASSERT_TRUE(claim) << claim.error().message
                     << (claim.error().violations.empty() ? "" : ": " + claim.error().violations[0].rule);
  EXPECT_EQ(claim->status, s.status) << claim->rejection_reason;
  EXPECT_EQ(claim->total, s.total);
  if (!s.reason.empty()) {
    EXPECT_NE(claim->rejection_reason.find(s.reason), std::string::npos) << claim->rejection_reason;
  }
  EXPECT_EQ(outbox("ClaimFiled").size(), 1u);
  EXPECT_EQ(outbox("ClaimRejected").size(), s.status == "rejected" ? 1u : 0u);
}

INSTANTIATE_TEST_SUITE_P(Claims, ScenarioTest, ::testing::ValuesIn(scenarios()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace jaring::claims

// The claim lifecycle on a SQLite file: documents, verification, maker-checker, payment once,
// the events on the outbox (no NIK, no name), history with who and when, scholarships and the
// queries.
#include <gtest/gtest.h>

#include "claims_fixture.hpp"

namespace jaring::claims {
namespace {

using testing::death_claim;
using testing::own_claim;

class LifecycleTest : public testing::ClaimsFixture {
 protected:
  void SetUp() override {
    participant("p_1");
    pay("p_1", "2020-01", "2026-03", "2020-01-10");
  }

  // A death claim of `type` filed, verified, approved and paid.
  Claim paid_death_claim(const std::string& participant_id = "p_1", const std::string& type = "jkm_death",
                         const std::string& event_date = "2026-03-10") {
    auto claim = core_->file(death_claim("k_death_" + participant_id, participant_id, type, event_date),
                             agent_, kEveryone);
    EXPECT_TRUE(claim);
    if (!claim) return {};
    EXPECT_TRUE(core_->attach_documents(claim->id, kDeathDocuments, agent_, kEveryone));
    EXPECT_TRUE(core_->verify(claim->id, 0, "", officer_, kEveryone));
    EXPECT_TRUE(core_->approve(claim->id, "", approver_, kEveryone));
    auto paid = core_->pay(claim->id, "pay-1", "TRF-1", officer_, kEveryone);
    EXPECT_TRUE(paid);
    return paid ? *paid : Claim{};
  }

  static Child child(const std::string& name, const std::string& birth, const std::string& level, int year) {
    return {name, birth, level, year, false, false};
  }
  FileCommand scholarship(const std::string& key, const std::string& death_claim_id,
                          std::vector<Child> children, int year = 2026) {
    FileCommand c;
    c.idempotency_key = key;
    c.participant_id = "p_1";
    c.claim_type = "scholarship";
    c.claimant = {"Siti Aminah", "", "spouse", ""};
    c.family = {{"spouse", true, "Siti Aminah"}};
    c.death_claim_id = death_claim_id;
    c.scholarship_year = year;
    c.children = std::move(children);
    return c;
  }
};

TEST_F(LifecycleTest, ADeathClaimFromFilingToPayment) {
  auto filed = core_->file(death_claim("k_1", "p_1", "jkm_death", "2026-03-10"), agent_, kEveryone);
  ASSERT_TRUE(filed);
  EXPECT_EQ(filed->status, "filed");
  EXPECT_EQ(filed->coverage.state, "active");
  EXPECT_EQ(filed->branch_code, "pulogebang");

  // Verification and approval wait for the whole checklist, naming what is missing.
  ASSERT_TRUE(
      core_->attach_documents(filed->id, {"participant_card", "death_certificate"}, agent_, kEveryone));
  auto early = core_->verify(filed->id, 0, "", officer_, kEveryone);
  ASSERT_FALSE(early);
  EXPECT_EQ(early.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(
      early.error().message.find("ktp_deceased, ktp_heir, family_card, heir_certificate, marriage_book"),
      std::string::npos)
      << early.error().message;
  auto unknown = core_->attach_documents(filed->id, {"driving_licence"}, agent_, kEveryone);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().violations.at(0).field, "documents[0]");
  ASSERT_TRUE(core_->attach_documents(filed->id, kDeathDocuments, agent_, kEveryone));
  auto verified = core_->verify(filed->id, 0, "documents checked at the branch", officer_, kEveryone);
  ASSERT_TRUE(verified);
  EXPECT_EQ(verified->status, "verified");

  // Maker-checker: the filer may not approve.
  auto own = core_->approve(filed->id, "", agent_, kEveryone);
  ASSERT_FALSE(own);
  EXPECT_EQ(own.error().code, ErrorCode::kPermissionDenied);
  EXPECT_NE(own.error().message.find("maker-checker"), std::string::npos);
  // The same person however the token spells them: case and white space do not make a second one.
  for (const auto* same : {"Agent.Budi", " agent.budi ", "AGENT.BUDI", "\tagent.budi\n"}) {
    auto variant = core_->approve(filed->id, "", {same, "approver"}, kEveryone);
    ASSERT_FALSE(variant) << same;
    EXPECT_EQ(variant.error().code, ErrorCode::kPermissionDenied) << same;
  }
  auto nobody = core_->approve(filed->id, "", {"", ""}, kEveryone);
  ASSERT_FALSE(nobody);
  EXPECT_EQ(nobody.error().code, ErrorCode::kPermissionDenied);
  EXPECT_FALSE(core_->approve(filed->id, "", {"  ", "approver"}, kEveryone));

  auto approved = core_->approve(filed->id, "", approver_, kEveryone);
  ASSERT_TRUE(approved);
  EXPECT_EQ(approved->total, 42'000'000);
  EXPECT_EQ(approved->approved_by, "approver.joko");

  auto paid = core_->pay(filed->id, "pay-1", "TRF-001", officer_, kEveryone);
  ASSERT_TRUE(paid);
  EXPECT_EQ(paid->status, "paid");
  EXPECT_EQ(paid->paid_on, "2026-03-15");
  // A retry with the same key answers the same; anything else is paying twice.
  ASSERT_TRUE(core_->pay(filed->id, "pay-1", "TRF-001", officer_, kEveryone));
  auto twice = core_->pay(filed->id, "pay-2", "TRF-002", officer_, kEveryone);
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(twice.error().message.find("paid once"), std::string::npos);

  // Every step with who and when.
  const auto stored = core_->get(filed->id, kEveryone);
  ASSERT_TRUE(stored);
  std::vector<std::string> steps;
  for (const auto& h : stored->history) steps.push_back(h.action + ":" + h.user);
  EXPECT_EQ(steps,
            (std::vector<std::string>{"filed:agent.budi", "documents:agent.budi", "documents:agent.budi",
                                      "verified:officer.ani", "approved:approver.joko", "paid:officer.ani"}));
  EXPECT_EQ(stored->history.back().role, "branch-officer");
  EXPECT_FALSE(stored->history.back().at.empty());

  // The events: once each, the benefit lines on approval, the end of participation on payment.
  const auto approved_events = outbox("ClaimApproved");
  ASSERT_EQ(approved_events.size(), 1u);
  EXPECT_EQ(approved_events[0].claim_approved().lines_size(), 3);
  EXPECT_EQ(approved_events[0].claim_approved().total(), 42'000'000);
  const auto paid_events = outbox("ClaimPaid");
  ASSERT_EQ(paid_events.size(), 1u);
  EXPECT_TRUE(paid_events[0].claim_paid().ends_participation());
  EXPECT_EQ(paid_events[0].claim_paid().amount(), 42'000'000);
  EXPECT_EQ(paid_events[0].claim_paid().rw_code(), "31.75.06.1005.002");
  EXPECT_EQ(paid_events[0].claim_paid().event_date(), "2026-03-10");
  for (const auto& row : store::outbox_fetch_unsent(*db_, 100)) {
    EXPECT_EQ(row.payload.find("3172014505800002"), std::string::npos) << "a NIK on the bus";
    EXPECT_EQ(row.payload.find("Siti"), std::string::npos) << "a name on the bus";
  }
  EXPECT_EQ(outbox("ClaimFiled").at(0).claim_filed().heir_relation(), "spouse");
}

TEST_F(LifecycleTest, FilerVerifierAndApproverAreThreePeopleAndThePayerIsNotTheApprover) {
  auto filed =
      core_->file(death_claim("k_mc", "p_1", "jkm_death", "2026-03-10"), {"Budi", "agent"}, kEveryone);
  ASSERT_TRUE(filed);
  EXPECT_EQ(filed->filed_by, "budi");  // kept as the edge compares it
  ASSERT_TRUE(core_->attach_documents(filed->id, kDeathDocuments, {"budi", "agent"}, kEveryone));
  const auto refused = [](const Result<Claim>& r, const std::string& rule) {
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kPermissionDenied);
    EXPECT_NE(r.error().message.find(rule), std::string::npos) << r.error().message;
  };
  // The filer does not verify (a second role changes nothing: it is the person who counts).
  refused(core_->verify(filed->id, 0, "", {" BUDI ", "agent,branch-officer"}, kEveryone),
          "three different people");
  ASSERT_TRUE(core_->verify(filed->id, 0, "", {"Ani", "branch-officer"}, kEveryone));
  // Neither the filer nor the verifier approves.
  refused(core_->approve(filed->id, "", {"budi", "approver"}, kEveryone), "three different people");
  refused(core_->approve(filed->id, "", {"  ANI", "approver"}, kEveryone), "three different people");
  ASSERT_TRUE(core_->approve(filed->id, "", {"Joko", "approver"}, kEveryone));
  // The approver does not pay.
  refused(core_->pay(filed->id, "pay-mc", "", {"joko ", "approver"}, kEveryone),
          "the payer is not the approver");
  refused(core_->pay(filed->id, "pay-mc", "", {"JOKO", "approver"}, kEveryone),
          "the payer is not the approver");
  auto paid = core_->pay(filed->id, "pay-mc", "TRF-9", {"Dewi", "approver"}, kEveryone);
  ASSERT_TRUE(paid) << paid.error().message;
  EXPECT_EQ(paid->paid_by, "dewi");

  // Each step's history line records the subject and the roles.
  const auto stored = core_->get(filed->id, kEveryone);
  ASSERT_TRUE(stored);
  std::vector<std::string> steps;
  for (const auto& h : stored->history) steps.push_back(h.action + ":" + h.user + ":" + h.role);
  EXPECT_EQ(steps, (std::vector<std::string>{"filed:budi:agent", "documents:budi:agent",
                                             "verified:ani:branch-officer", "approved:joko:approver",
                                             "paid:dewi:approver"}));
  EXPECT_EQ(stored->verified_by, "ani");
  EXPECT_EQ(stored->approved_by, "joko");
}

TEST_F(LifecycleTest, FilingIsIdempotentByKey) {
  const auto command = death_claim("k_same", "p_1", "jkm_death", "2026-03-10");
  auto first = core_->file(command, agent_, kEveryone);
  auto again = core_->file(command, agent_, kEveryone);
  ASSERT_TRUE(first);
  ASSERT_TRUE(again);
  EXPECT_EQ(first->id, again->id);
  auto other = command;
  other.event_date = "2026-03-09";
  auto refused = core_->file(other, agent_, kEveryone);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().violations.at(0).field, "idempotency_key");
  EXPECT_EQ(outbox("ClaimFiled").size(), 1u);
  // A second death claim under another key: a death is claimed once.
  auto second = core_->file(death_claim("k_other", "p_1", "jkk_death", "2026-03-10"), agent_, kEveryone);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, ErrorCode::kFailedPrecondition);
}

// JKK permanent disability (total and partial by the body part table), filed by the participant
// and taken through maker-checker to payment like any claim.
TEST_F(LifecycleTest, PermanentDisabilityClaimsByTheTableFromFilingToPayment) {
  auto c = own_claim("k_partial", "p_1", "jkk_partial_disability");
  auto none = core_->file(c, agent_, kEveryone);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().violations.at(0).field, "body_parts");
  c.body_parts = {"right_thumb", "left_wing"};
  auto unknown = core_->file(c, agent_, kEveryone);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(unknown.error().violations.at(0).field, "body_parts[1]");
  EXPECT_NE(unknown.error().violations[0].rule.find("'left_wing' is not in the body part table"),
            std::string::npos)
      << unknown.error().violations[0].rule;
  c.body_parts = {"right_thumb", "right_thumb"};
  EXPECT_EQ(core_->file(c, agent_, kEveryone).error().violations.at(0).field, "body_parts[1]");
  c.body_parts = {"right_thumb", "right_index_finger"};  // (15% + 9%) x 80 x 1,000,000
  auto claim = core_->file(c, agent_, kEveryone);
  ASSERT_TRUE(claim) << claim.error().message;
  EXPECT_EQ(claim->total, 19'200'000);
  EXPECT_EQ(core_->get(claim->id, kEveryone)->body_parts,
            (std::vector<std::string>{"right_thumb", "right_index_finger"}));
  ASSERT_TRUE(core_->attach_documents(
      claim->id, {"participant_card", "ktp_participant", "accident_report", "disability_certificate"}, agent_,
      kEveryone));
  ASSERT_TRUE(core_->verify(claim->id, 0, "", officer_, kEveryone));
  EXPECT_EQ(core_->approve(claim->id, "", agent_, kEveryone).error().code, ErrorCode::kPermissionDenied);
  auto approved = core_->approve(claim->id, "", approver_, kEveryone);
  ASSERT_TRUE(approved) << approved.error().message;
  EXPECT_EQ(approved->total, 19'200'000);
  auto paid = core_->pay(claim->id, "", "", officer_, kEveryone);
  ASSERT_TRUE(paid) << paid.error().message;
  EXPECT_EQ(outbox("ClaimPaid").at(0).claim_paid().amount(), 19'200'000);

  FileCommand total = c;
  total.idempotency_key = "k_total";
  total.claim_type = "jkk_total_disability";
  total.body_parts.clear();
  auto whole = core_->file(total, agent_, kEveryone);
  ASSERT_TRUE(whole) << whole.error().message;
  EXPECT_EQ(whole->total, 56'000'000);  // 56 x 1,000,000
  total.idempotency_key = "k_total_parts";
  total.body_parts = {"right_thumb"};
  EXPECT_EQ(core_->file(total, agent_, kEveryone).error().violations.at(0).field, "body_parts");
}

TEST_F(LifecycleTest, MedicalCostsAreVerifiedNoHigherThanClaimed) {
  auto c = own_claim("k_med", "p_1", "jkk_medical");
  c.claimed_amount = 5'000'000;
  auto claim = core_->file(c, agent_, kEveryone);
  ASSERT_TRUE(claim);
  ASSERT_TRUE(core_->attach_documents(
      claim->id, {"participant_card", "ktp_participant", "accident_report", "medical_receipts"}, agent_,
      kEveryone));
  auto above = core_->verify(claim->id, 5'500'000, "", officer_, kEveryone);
  ASSERT_FALSE(above);
  EXPECT_EQ(above.error().violations.at(0).field, "verified_amount");
  auto verified = core_->verify(claim->id, 4'200'000, "two receipts not accepted", officer_, kEveryone);
  ASSERT_TRUE(verified);
  EXPECT_EQ(verified->total, 4'200'000);
  auto approved = core_->approve(claim->id, "", approver_, kEveryone);
  ASSERT_TRUE(approved);
  EXPECT_EQ(approved->total, 4'200'000);
  auto paid = core_->pay(claim->id, "", "", officer_, kEveryone);
  ASSERT_TRUE(paid);
  EXPECT_FALSE(outbox("ClaimPaid").at(0).claim_paid().ends_participation());
}

TEST_F(LifecycleTest, RejectionNeedsAReasonAndEndsTheClaim) {
  auto claim = core_->file(death_claim("k_r", "p_1", "jkm_death", "2026-03-10"), agent_, kEveryone);
  ASSERT_TRUE(claim);
  auto no_reason = core_->reject(claim->id, "", officer_, kEveryone);
  ASSERT_FALSE(no_reason);
  EXPECT_EQ(no_reason.error().violations.at(0).field, "reason");
  auto rejected = core_->reject(claim->id, "the death certificate is forged", officer_, kEveryone);
  ASSERT_TRUE(rejected);
  EXPECT_EQ(rejected->status, "rejected");
  EXPECT_FALSE(core_->attach_documents(claim->id, {"ktp_heir"}, agent_, kEveryone));
  EXPECT_EQ(outbox("ClaimRejected").at(0).claim_rejected().reason(), "the death certificate is forged");
  // Rejected: the death can be claimed again.
  EXPECT_TRUE(core_->file(death_claim("k_r2", "p_1", "jkm_death", "2026-03-10"), agent_, kEveryone));
}

TEST_F(LifecycleTest, AReversedPaymentTakesTheProtectionAwayBeforeApproval) {
  auto claim =
      core_->file(death_claim("k_rev", "p_1", "jkm_death", "2026-03-10", "child"), agent_, kEveryone);
  ASSERT_TRUE(claim);
  ASSERT_TRUE(
      core_->attach_documents(claim->id, required_documents("jkm_death", "child"), agent_, kEveryone));
  ASSERT_TRUE(core_->verify(claim->id, 0, "", officer_, kEveryone));
  ASSERT_TRUE(core_->payment_reversed("e_rev", "p_1", "pay_p_1_2020-01_2026-03"));
  auto approved = core_->approve(claim->id, "", approver_, kEveryone);
  ASSERT_FALSE(approved);
  EXPECT_EQ(approved.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(approved.error().message.find("no month was paid by 2026-03-10"), std::string::npos)
      << approved.error().message;
}

TEST_F(LifecycleTest, ScholarshipsForAtMostTwoChildrenYearByYear) {
  const auto death = paid_death_claim();
  // Three children at once: the rule allows two.
  auto three =
      core_->file(scholarship("k_s3", death.id,
                              {child("Rina", "2015-04-01", "sd", 5), child("Dodi", "2011-08-09", "smp", 2),
                               child("Ayu", "2020-01-15", "tk", 1)}),
                  agent_, kEveryone);
  ASSERT_FALSE(three);
  EXPECT_EQ(three.error().violations.at(0).field, "children");
  EXPECT_NE(three.error().violations[0].rule.find("at most 2 children"), std::string::npos);

  auto two =
      core_->file(scholarship("k_s2", death.id,
                              {child("Rina", "2015-04-01", "sd", 5), child("Dodi", "2011-08-09", "smp", 2)}),
                  agent_, kEveryone);
  ASSERT_TRUE(two) << two.error().message;
  EXPECT_EQ(two->status, "filed");
  EXPECT_EQ(two->total, 3'500'000);  // SD 1,500,000 + SMP 2,000,000
  EXPECT_EQ(two->event_date, "2026-03-10");
  // A third child later is still a third child.
  auto later =
      core_->file(scholarship("k_s4", death.id, {child("Ayu", "2020-01-15", "tk", 1)}), agent_, kEveryone);
  ASSERT_FALSE(later);
  // The same child twice in one year.
  auto again =
      core_->file(scholarship("k_s5", death.id, {child("Rina", "2015-04-01", "sd", 5)}), agent_, kEveryone);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().violations.at(0).field, "children[0].name");

  ASSERT_TRUE(
      core_->attach_documents(two->id, {"ktp_heir", "family_card", "school_certificate"}, agent_, kEveryone));
  ASSERT_TRUE(core_->verify(two->id, 0, "", officer_, kEveryone));
  ASSERT_TRUE(core_->approve(two->id, "", approver_, kEveryone));
  // Next year both are due again; the year after Dodi is still under 23.
  const auto due = core_->scholarships_due(2027, "", kEveryone);
  ASSERT_TRUE(due);
  ASSERT_EQ(due->size(), 2u);
  EXPECT_EQ((*due)[0].last_year, 2026);
  EXPECT_TRUE(core_->scholarships_due(2026, "", kEveryone)->empty());
  EXPECT_TRUE(core_->scholarships_due(2027, "another-branch", kEveryone)->empty());
  // Scope is a condition of the query, like the branch asked for.
  auth::Scope branch;
  branch.branches = {"pulogebang"};
  EXPECT_EQ(core_->scholarships_due(2027, "", branch)->size(), 2u);
  branch.branches = {"rawamangun"};
  EXPECT_TRUE(core_->scholarships_due(2027, "", branch)->empty());
  EXPECT_TRUE(store_.latest_scholarships("", auth::Scope{}).empty());
  // Without a year, the year of the service's clock: 2026 is claimed, so nothing is due until
  // the clock crosses into 2027.
  auto this_year = core_->scholarships_due(0, "", kEveryone);
  ASSERT_TRUE(this_year) << this_year.error().message;
  EXPECT_TRUE(this_year->empty());
  clock_.set(testing::jakarta_noon("2027-01-04"));
  this_year = core_->scholarships_due(0, "", kEveryone);
  ASSERT_TRUE(this_year) << this_year.error().message;
  ASSERT_EQ(this_year->size(), 2u);
  EXPECT_EQ((*this_year)[0].last_year, 2026);
  clock_.set(testing::jakarta_noon("2026-03-15"));
  // Dodi turns 23 in August 2034: due for 2034, not for 2035.
  EXPECT_EQ(core_->scholarships_due(2035, "", kEveryone)->size(), 1u);

  // Rules on a child: too old, married, a school year the level does not pay.
  auto year7 = core_->file(scholarship("k_s7", death.id, {child("Rina", "2015-04-01", "sd", 7)}, 2027),
                           agent_, kEveryone);
  ASSERT_FALSE(year7);
  EXPECT_EQ(year7.error().violations.at(0).field, "children[0].school_year");
  participant("p_3");
  pay("p_3", "2020-01", "2026-03", "2020-01-10");
  const auto other = paid_death_claim("p_3");
  auto at23 = scholarship("k_s6", other.id, {child("Wati", "2003-01-01", "university", 1)});
  at23.participant_id = "p_3";
  auto old = core_->file(at23, agent_, kEveryone);
  ASSERT_FALSE(old);
  EXPECT_EQ(old.error().violations.at(0).field, "children[0].birth_date");
  auto wed = at23;
  wed.children = {child("Tono", "2008-01-01", "sma", 2)};
  wed.children[0].married = true;
  auto married = core_->file(wed, agent_, kEveryone);
  ASSERT_FALSE(married);
  EXPECT_EQ(married.error().violations.at(0).field, "children[0].married");
}

TEST_F(LifecycleTest, AScholarshipNeedsThreeYearsOfContributions) {
  participant("p_2", "2024-01-05");
  pay("p_2", "2024-01", "2026-03", "2024-01-05");  // 27 months by the death
  const auto claim = paid_death_claim("p_2", "jkm_death", "2026-03-01");
  ASSERT_EQ(claim.status, "paid");
  auto s = scholarship("k_p2s", claim.id, {child("Rina", "2015-04-01", "sd", 5)});
  s.participant_id = "p_2";
  auto refused = core_->file(s, agent_, kEveryone);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, "rejected");
  EXPECT_NE(refused->rejection_reason.find("at least 36 months of contributions; 27 were paid"),
            std::string::npos)
      << refused->rejection_reason;
}

TEST_F(LifecycleTest, AJkkScholarshipNeedsNoMinimumPeriod) {
  // Was refused for "needs at least 36 months of contributions": that condition is JKM's only.
  participant("p_2", "2024-01-05");
  pay("p_2", "2024-01", "2026-03", "2024-01-05");                         // 27 months by the accident
  const auto claim = paid_death_claim("p_2", "jkk_death", "2026-03-01");  // filed, not refused
  ASSERT_EQ(claim.status, "paid");
  auto s = scholarship("k_p2s", claim.id, {child("Rina", "2015-04-01", "sd", 5)});
  s.participant_id = "p_2";
  auto filed = core_->file(s, agent_, kEveryone);
  ASSERT_TRUE(filed) << filed.error().message;
  EXPECT_EQ(filed->status, "filed") << filed->rejection_reason;
  EXPECT_EQ(filed->rejection_reason, "");
  EXPECT_EQ(filed->total, 1'500'000);  // SD
}

TEST_F(LifecycleTest, ListsByBranchStatusAndMonthInPages) {
  for (int i = 0; i < 3; ++i) {
    participant("p_l" + std::to_string(i));
    pay("p_l" + std::to_string(i), "2020-01", "2026-03", "2020-01-10");
    ASSERT_TRUE(core_->file(death_claim("k_l" + std::to_string(i), "p_l" + std::to_string(i), "jkm_death",
                                        "2026-03-0" + std::to_string(i + 1)),
                            agent_, kEveryone));
  }
  auto first = core_->list({"pulogebang", "filed", "2026-03", 2, ""}, kEveryone);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->claims.size(), 2u);
  ASSERT_FALSE(first->next_page_token.empty());
  auto second = core_->list({"pulogebang", "filed", "2026-03", 2, first->next_page_token}, kEveryone);
  EXPECT_EQ(second->claims.size(), 1u);
  EXPECT_TRUE(second->next_page_token.empty());
  EXPECT_TRUE(core_->list({"", "paid", "", 0, ""}, kEveryone)->claims.empty());
  EXPECT_TRUE(core_->list({"", "", "2026-02", 0, ""}, kEveryone)->claims.empty());
  EXPECT_FALSE(core_->list({"", "done", "", 0, ""}, kEveryone));
}

TEST_F(LifecycleTest, ProjectionsApplyEachEventOnce) {
  participant("p_9", "2026-01-05");
  ASSERT_TRUE(
      core_->contribution_billed("e_b1", "p_9", "2026-01", 16'800, testing::jakarta_noon("2026-01-05")));
  EXPECT_EQ(core_->coverage_on("p_9", "2026-01-20", agent_, kEveryone)->state, "never_paid");
  PaymentFacts facts{"pay_9", "p_9", {"2026-01", "2026-02"}, {"2026-01", "2026-02"}, "2026-02"};
  ASSERT_TRUE(core_->payment_received("e_p9", facts, testing::jakarta_noon("2026-01-25")));
  EXPECT_EQ(core_->coverage_on("p_9", "2026-01-20", agent_, kEveryone)->state,
            "never_paid");  // paid after that day
  EXPECT_EQ(core_->coverage_on("p_9", "2026-02-10", agent_, kEveryone)->state, "active");
  // Billing February after it was paid ahead keeps the day it was paid.
  ASSERT_TRUE(core_->contribution_billed("e_b2", "p_9", "2026-02", 0, testing::jakarta_noon("2026-02-01")));
  EXPECT_EQ(core_->coverage_on("p_9", "2026-02-10", agent_, kEveryone)->contribution_months, 2);
  // The reversal, delivered twice, takes the months back once; the payment's replay changes nothing.
  ASSERT_TRUE(core_->payment_reversed("e_r9", "p_9", "pay_9"));
  ASSERT_TRUE(core_->payment_received("e_p9", facts, testing::jakarta_noon("2026-01-25")));
  EXPECT_EQ(core_->coverage_on("p_9", "2026-02-10", agent_, kEveryone)->contribution_months, 0);
  // The participation's end is registration's answer.
  registry_.participants["p_9"].exit_date = "2026-02-28";
  EXPECT_EQ(core_->coverage_on("p_9", "2026-03-01", agent_, kEveryone)->state, "not_participating");
}

// Claims keeps no copy of participants: filing, the verification of medical costs and approval
// ask registration, for the person acting, before their transaction.
TEST_F(LifecycleTest, EachStepThatJudgesTheParticipantAsksRegistrationForThePersonActing) {
  auto filed = core_->file(death_claim("k_ask", "p_1", "jkm_death", "2026-03-10"), agent_, kEveryone);
  ASSERT_TRUE(filed) << filed.error().message;
  ASSERT_TRUE(core_->attach_documents(filed->id, kDeathDocuments, agent_, kEveryone));
  ASSERT_TRUE(core_->verify(filed->id, 0, "", officer_, kEveryone));  // no band to judge: not asked
  ASSERT_TRUE(core_->approve(filed->id, "", approver_, kEveryone));
  using Asked = std::pair<std::string, std::string>;
  EXPECT_EQ(registry_.asked, (std::vector<Asked>{{"p_1", "agent.budi"}, {"p_1", "approver.joko"}}));

  // Medical costs are paid by the band on the event date: verification asks.
  registry_.asked.clear();
  auto medical = own_claim("k_med", "p_1", "jkk_medical");
  medical.claimed_amount = 2'000'000;
  auto costs = core_->file(medical, agent_, kEveryone);
  ASSERT_TRUE(costs) << costs.error().message;
  ASSERT_TRUE(core_->attach_documents(
      costs->id, {"participant_card", "ktp_participant", "accident_report", "medical_receipts"}, agent_,
      kEveryone));
  ASSERT_TRUE(core_->verify(costs->id, 1'500'000, "", officer_, kEveryone));
  EXPECT_EQ(registry_.asked, (std::vector<Asked>{{"p_1", "agent.budi"}, {"p_1", "officer.ani"}}));
}

// When registration cannot answer, a filing or an approval answers UNAVAILABLE (the user tries
// again) and writes nothing.
TEST_F(LifecycleTest, ARegistrationThatCannotAnswerLeavesNothingWritten) {
  auto filed = core_->file(death_claim("k_up", "p_1", "jkm_death", "2026-03-10"), agent_, kEveryone);
  ASSERT_TRUE(filed) << filed.error().message;
  ASSERT_TRUE(core_->attach_documents(filed->id, kDeathDocuments, agent_, kEveryone));
  ASSERT_TRUE(core_->verify(filed->id, 0, "", officer_, kEveryone));
  const auto events = outbox("ClaimFiled").size() + outbox("ClaimApproved").size();

  participant("p_2");
  pay("p_2", "2020-01", "2026-03", "2020-01-10");
  registry_.down = true;
  auto refused = core_->file(death_claim("k_down", "p_2", "jkk_death", "2026-03-11"), agent_, kEveryone);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kUnavailable);
  // A retry of a filing made before gets its answer all the same.
  auto again = core_->file(death_claim("k_up", "p_1", "jkm_death", "2026-03-10"), agent_, kEveryone);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->id, filed->id);
  auto waiting = core_->approve(filed->id, "", approver_, kEveryone);
  ASSERT_FALSE(waiting);
  EXPECT_EQ(waiting.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(core_->get(filed->id, kEveryone)->status, "verified");
  EXPECT_EQ(core_->list({"", "", "", 0, ""}, kEveryone)->claims.size(), 1u);
  EXPECT_EQ(outbox("ClaimFiled").size() + outbox("ClaimApproved").size(), events);

  // Back: the same filing and approval go through.
  registry_.down = false;
  EXPECT_TRUE(core_->file(death_claim("k_down", "p_2", "jkk_death", "2026-03-11"), agent_, kEveryone));
  EXPECT_TRUE(core_->approve(filed->id, "", approver_, kEveryone));
}

// Approval judges the participant as registration answers now: an exit recorded since the filing,
// dated before the event, takes the protection away.
TEST_F(LifecycleTest, ApprovalJudgesTheParticipationAsRegistrationAnswersNow) {
  auto filed = core_->file(death_claim("k_exit", "p_1", "jkm_death", "2026-03-10"), agent_, kEveryone);
  ASSERT_TRUE(filed) << filed.error().message;
  ASSERT_TRUE(core_->attach_documents(filed->id, kDeathDocuments, agent_, kEveryone));
  ASSERT_TRUE(core_->verify(filed->id, 0, "", officer_, kEveryone));
  registry_.participants["p_1"].exit_date = "2026-03-01";
  registry_.participants["p_1"].exit_reason = "became_wage_earner";
  auto approved = core_->approve(filed->id, "", approver_, kEveryone);
  ASSERT_FALSE(approved);
  EXPECT_EQ(approved.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(approved.error().message.find("not covered on the event date"), std::string::npos)
      << approved.error().message;

  // Registration never forgets a participant: one it does not know for a stored claim is a fault.
  registry_.participants.erase("p_1");
  auto lost = core_->approve(filed->id, "", approver_, kEveryone);
  ASSERT_FALSE(lost);
  EXPECT_EQ(lost.error().code, ErrorCode::kInternal);
}

}  // namespace
}  // namespace jaring::claims

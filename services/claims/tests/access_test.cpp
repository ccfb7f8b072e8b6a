// What a caller's scope reaches (DESIGN.md section 6) on the real SQLite store: an agent files
// only for their own registrations in their branch, a claim out of scope answers as a missing
// one, and lists filter in the store query.
#include <gtest/gtest.h>

#include <algorithm>

#include "claims_fixture.hpp"

namespace jaring::claims {
namespace {

using testing::death_claim;

auth::Scope agent_scope(const std::string& agent, const std::string& branch) {
  return auth::Scope::of_agent(agent, {branch});
}
auth::Scope branch_scope(const std::string& branch) { return auth::Scope::of_branches({branch}); }

class AccessTest : public testing::ClaimsFixture {
 protected:
  // A paying participant registered by `agent` in `branch`.
  void registered(const std::string& id, const std::string& agent, const std::string& branch) {
    auto& p = participant(id);
    p.branch_code = branch;
    p.agent_id = agent;
    pay(id, "2020-01", "2026-03", "2020-01-10");
  }
  Result<Claim> file_as(const std::string& key, const std::string& id, const auth::Scope& scope) {
    return core_->file(death_claim(key, id, "jkm_death", "2026-03-10"), agent_, scope);
  }
};

TEST_F(AccessTest, AnAgentFilesOnlyForTheirOwnRegistrationsInTheirBranch) {
  registered("p_own", "a_1", "pulogebang");
  registered("p_other", "a_2", "pulogebang");
  const auto agent = agent_scope("a_1", "pulogebang");

  auto own = file_as("k_own", "p_own", agent);
  ASSERT_TRUE(own) << own.error().message;
  EXPECT_EQ(own->agent_id, "a_1");  // the agent's own id, from the token

  // Another agent's registration answers as a participant registration does not know.
  auto other = file_as("k_other", "p_other", agent);
  auto nobody = file_as("k_nobody", "p_nobody", agent);
  ASSERT_FALSE(other);
  ASSERT_FALSE(nobody);
  EXPECT_EQ(other.error().code, nobody.error().code);
  EXPECT_EQ(other.error().violations.at(0).field, "participant_id");
  EXPECT_EQ(other.error().violations[0].rule,
            "unknown participant p_other: registration does not know them, or not one you serve");
  EXPECT_EQ(nobody.error().violations.at(0).rule,
            "unknown participant p_nobody: registration does not know them, or not one you serve");
  // The same agent id in another branch reaches nothing; nor does an agent naming someone else.
  EXPECT_FALSE(file_as("k_elsewhere", "p_own", agent_scope("a_1", "rawamangun")));
  auto borrowed = death_claim("k_borrowed", "p_own", "jkk_death", "2026-03-10");
  borrowed.agent_id = "a_2";
  auto refused = core_->file(borrowed, agent_, agent);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(refused.error().violations.at(0).field, "agent_id");

  // A branch officer's filing that names no agent keeps the participant's, so the agent sees it.
  auto by_staff = core_->file(death_claim("k_staff", "p_other", "jkm_death", "2026-03-10"), officer_,
                              branch_scope("pulogebang"));
  ASSERT_TRUE(by_staff);
  EXPECT_EQ(by_staff->agent_id, "a_2");
  EXPECT_TRUE(core_->get(by_staff->id, agent_scope("a_2", "pulogebang")));
  // Someone else's idempotency key tells nothing of their claim.
  auto reused = file_as("k_staff", "p_own", agent);
  ASSERT_FALSE(reused);
  EXPECT_EQ(reused.error().message.find(by_staff->id), std::string::npos) << reused.error().message;
}

TEST_F(AccessTest, AClaimOutOfScopeIsNotFoundForEveryStep) {
  registered("p_1", "a_1", "pulogebang");
  auto claim = file_as("k_1", "p_1", kEveryone);
  ASSERT_TRUE(claim);
  const auto elsewhere = branch_scope("rawamangun");
  const auto missing = core_->get("c_nobody", elsewhere);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message, "no claim c_nobody");
  const auto not_found = [&](const Result<Claim>& r) {
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
    EXPECT_EQ(r.error().message, "no claim " + claim->id);  // as for a claim that does not exist
  };
  not_found(core_->get(claim->id, elsewhere));
  not_found(core_->get(claim->id, agent_scope("a_2", "pulogebang")));
  not_found(core_->attach_documents(claim->id, kDeathDocuments, agent_, elsewhere));
  ASSERT_TRUE(core_->attach_documents(claim->id, kDeathDocuments, agent_, agent_scope("a_1", "pulogebang")));
  not_found(core_->verify(claim->id, 0, "", officer_, elsewhere));
  ASSERT_TRUE(core_->verify(claim->id, 0, "", officer_, branch_scope("pulogebang")));
  not_found(core_->approve(claim->id, "", approver_, elsewhere));
  not_found(core_->reject(claim->id, "forged", approver_, elsewhere));
  ASSERT_TRUE(core_->approve(claim->id, "", approver_, branch_scope("pulogebang")));
  not_found(core_->pay(claim->id, "", "", officer_, elsewhere));
  EXPECT_EQ(core_->get(claim->id, kEveryone)->status, "approved");
  // Eligibility of a participant out of scope answers as for an unknown one.
  auto eligibility = core_->coverage_on("p_1", "2026-03-10", agent_, elsewhere);
  ASSERT_FALSE(eligibility);
  EXPECT_EQ(eligibility.error().violations.at(0).field, "participant_id");
  EXPECT_TRUE(core_->coverage_on("p_1", "2026-03-10", agent_, branch_scope("pulogebang"))->eligible);
}

TEST_F(AccessTest, ListsHoldOnlyInScopeClaimsPageByPage) {
  registered("p_a", "a_1", "pulogebang");
  registered("p_b", "a_2", "pulogebang");
  registered("p_c", "a_3", "rawamangun");
  registered("p_d", "a_1", "pulogebang");
  for (const auto* id : {"p_a", "p_b", "p_c", "p_d"})
    ASSERT_TRUE(file_as(std::string("k_") + id, id, kEveryone));
  const auto participants = [&](const auth::Scope& scope, int page_size) {
    std::vector<std::string> out;
    ClaimFilter filter;
    filter.page_size = page_size;
    do {
      auto page = core_->list(filter, scope);
      EXPECT_TRUE(page);
      if (!page) break;
      for (const auto& c : page->claims) out.push_back(c.participant_id);
      filter.page_token = page->next_page_token;
    } while (!filter.page_token.empty());
    std::ranges::sort(out);
    return out;
  };
  EXPECT_EQ(participants(kEveryone, 1), (std::vector<std::string>{"p_a", "p_b", "p_c", "p_d"}));
  // One claim a page: the scope is in the query, so no page is empty and none is skipped.
  EXPECT_EQ(participants(branch_scope("pulogebang"), 1), (std::vector<std::string>{"p_a", "p_b", "p_d"}));
  EXPECT_EQ(participants(branch_scope("rawamangun"), 1), (std::vector<std::string>{"p_c"}));
  EXPECT_EQ(participants(agent_scope("a_1", "pulogebang"), 1), (std::vector<std::string>{"p_a", "p_d"}));
  EXPECT_TRUE(participants(agent_scope("a_1", "rawamangun"), 1).empty());
  auth::Scope area;
  area.areas = {"31.75.06.1005"};
  EXPECT_EQ(participants(area, 50).size(), 4u);
  // A page of the store itself never holds a row out of scope.
  ClaimFilter first;
  first.page_size = 1;
  const auto page = store_.list(first, branch_scope("rawamangun"));
  ASSERT_EQ(page.claims.size(), 1u);
  EXPECT_EQ(page.claims[0].participant_id, "p_c");
  EXPECT_TRUE(store_.list(first, auth::Scope{}).claims.empty());
}

// ParticipantMoved carried no branch, so a moved worker's claims stayed with the first branch
// whatever the date. A claim belongs to the branch serving the worker on the event date, by the
// branches registration answers with.
TEST_F(AccessTest, AMovedWorkersClaimBelongsToTheBranchInForceOnTheEventDate) {
  registered("p_moved", "a_1", "pulogebang");
  auto& moved = registry_.participants["p_moved"];
  moved.rw_code = "31.75.03.1001.004";
  moved.branch_code = "rawamangun";
  moved.branches = {{"2020-01-10", "pulogebang"}, {"2026-03-05", "rawamangun"}};
  auto before = core_->file(death_claim("k_before", "p_moved", "jkk_death", "2026-03-04"), agent_, kEveryone);
  ASSERT_TRUE(before) << before.error().message;
  EXPECT_EQ(before->branch_code, "pulogebang");
  ASSERT_TRUE(core_->reject(before->id, "filed for the wrong date", approver_, kEveryone));
  auto after = core_->file(death_claim("k_after", "p_moved", "jkk_death", "2026-03-05"), agent_, kEveryone);
  ASSERT_TRUE(after) << after.error().message;
  EXPECT_EQ(after->branch_code, "rawamangun");
  // The old branch's staff still reach a claim of theirs, and only that one.
  ASSERT_TRUE(core_->reject(after->id, "a second filing", approver_, kEveryone));
  EXPECT_TRUE(core_->file(death_claim("k_old", "p_moved", "jkk_death", "2026-03-04"), agent_,
                          branch_scope("pulogebang")));
  EXPECT_FALSE(core_->file(death_claim("k_old2", "p_moved", "jkk_death", "2026-03-06"), agent_,
                           branch_scope("pulogebang")));
}

}  // namespace
}  // namespace jaring::claims

// Who may record, reverse and read what (DESIGN.md section 6) on the real SQLite store: an agent
// collects for their own registrations in their branch, a treasurer pays for city-budget
// participants only, a reversal needs a second person, and lists filter in the store query.
#include <gtest/gtest.h>

#include <algorithm>

#include "contribution_fixture.hpp"

namespace jaring::contribution {
namespace {

auth::Scope agent_scope(const std::string& agent, const std::string& branch) {
  return auth::Scope::of_agent(agent, {branch});
}
auth::Scope branch_scope(const std::string& branch) { return auth::Scope::of_branches({branch}); }

auth::Scope treasurer_scope(const std::string& budget) { return auth::Scope::of_sponsor(budget); }

class AccessTest : public testing::ContributionFixture {
 protected:
  // An account registered by `agent` in `branch`, paid by `payer`.
  void open_as(const std::string& id, const std::string& agent, const std::string& branch,
               const std::string& payer = "self") {
    auto o = opening(id);
    o.agent_id = agent;
    o.branch_code = branch;
    o.terms.payer = payer;
    ASSERT_TRUE(core_->open_account("e_" + id, o));
  }
};

TEST_F(AccessTest, AnAgentCollectsForTheirOwnRegistrationsInTheirBranch) {
  open_as("p_own", "a_1", "pulogebang");
  open_as("p_other", "a_2", "pulogebang");
  const Caller agent{"agent.budi", agent_scope("a_1", "pulogebang")};

  // Channel and agent id follow from the token.
  auto paid = core_->pay({"k1", "p_own", "", "", "", 16'800, 1, ""}, agent);
  ASSERT_TRUE(paid) << paid.error().message;
  EXPECT_EQ(paid->agent_id, "a_1");
  EXPECT_EQ(paid->channel, "agent_cash");
  EXPECT_EQ(paid->recorded_by, "agent.budi");
  EXPECT_EQ(core_->statement("p_own")->payments.at(0).recorded_by, "agent.budi");

  // Another agent's registration is answered as a participant that does not exist.
  auto other = core_->pay({"k2", "p_other", "agent_cash", "", "a_1", 16'800, 1, ""}, agent);
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().code, ErrorCode::kNotFound);
  auto missing = core_->pay({"k3", "p_nobody", "agent_cash", "", "a_1", 16'800, 1, ""}, agent);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(other.error().message, "no account for participant p_other");
  EXPECT_EQ(missing.error().message, "no account for participant p_nobody");

  // The same agent id in another branch reaches nothing.
  const Caller elsewhere{"agent.budi", agent_scope("a_1", "rawamangun")};
  EXPECT_EQ(core_->pay({"k4", "p_own", "", "", "", 16'800, 1, ""}, elsewhere).error().code,
            ErrorCode::kNotFound);

  // Not someone else's agent id (the fee follows it), and only the cash they collected.
  auto borrowed = core_->pay({"k5", "p_own", "agent_cash", "", "a_2", 16'800, 1, ""}, agent);
  ASSERT_FALSE(borrowed);
  EXPECT_EQ(borrowed.error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(borrowed.error().violations.at(0).field, "agent_id");
  auto bank = core_->pay({"k6", "p_own", "bank_va", "", "", 16'800, 1, ""}, agent);
  ASSERT_FALSE(bank);
  EXPECT_EQ(bank.error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(bank.error().violations.at(0).field, "channel");
  EXPECT_EQ(core_->statement("p_own")->payments.size(), 1u);
  EXPECT_TRUE(core_->statement("p_other")->payments.empty());
}

TEST_F(AccessTest, ARetryOfSomeoneElsesKeyTellsNothingOfTheirPayment) {
  open_as("p_own", "a_1", "pulogebang");
  open_as("p_other", "a_2", "pulogebang");
  auto theirs = core_->pay({"shared-key", "p_other", "agent_cash", "", "a_2", 16'800, 1, ""},
                           {"agent.sari", agent_scope("a_2", "pulogebang")});
  ASSERT_TRUE(theirs);
  const Caller agent{"agent.budi", agent_scope("a_1", "pulogebang")};
  auto mine = core_->pay({"shared-key", "p_own", "agent_cash", "", "a_1", 16'800, 1, ""}, agent);
  ASSERT_FALSE(mine);
  EXPECT_EQ(mine.error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(mine.error().message.find(theirs->id), std::string::npos) << mine.error().message;
}

TEST_F(AccessTest, ATreasurerPaysOnlyForCityBudgetParticipantsFromTheirOwnAccount) {
  open_as("p_city", "a_1", "pulogebang", "city_budget");
  open_as("p_self", "a_1", "pulogebang", "self");
  const Caller treasurer{"bendahara.dki", treasurer_scope("apbd:31")};

  auto paid = core_->pay({"t1", "p_city", "", "", "", 16'800, 1, ""}, treasurer);
  ASSERT_TRUE(paid) << paid.error().message;
  EXPECT_EQ(paid->channel, "city_budget");
  EXPECT_EQ(paid->payer_id, "apbd:31");
  EXPECT_EQ(core_->pay({"t2", "p_self", "city_budget", "apbd:31", "", 16'800, 1, ""}, treasurer).error().code,
            ErrorCode::kNotFound);
  auto other_budget = core_->pay({"t3", "p_city", "city_budget", "apbd:32", "", 16'800, 1, ""}, treasurer);
  ASSERT_FALSE(other_budget);
  EXPECT_EQ(other_budget.error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(other_budget.error().violations.at(0).field, "payer_id");
  auto sponsor = core_->pay({"t4", "p_city", "sponsor", "apbd:31", "", 16'800, 1, ""}, treasurer);
  ASSERT_FALSE(sponsor);
  EXPECT_EQ(sponsor.error().violations.at(0).field, "channel");

  // A batch with one participant the city budget does not pay for is refused whole.
  BatchCommand batch{"tb", "", "", "", {{"p_city", 16'800, 1}, {"p_self", 16'800, 1}}};
  auto refused = core_->pay_batch(batch, treasurer);
  ASSERT_TRUE(refused);
  EXPECT_FALSE(refused->accepted);
  ASSERT_EQ(refused->failures.size(), 1u);
  EXPECT_EQ(refused->failures[0].participant_id, "p_self");
  EXPECT_EQ(refused->failures[0].reason, "no account for this participant");
  batch.idempotency_key = "tb2";
  batch.items.pop_back();
  auto accepted = core_->pay_batch(batch, treasurer);
  ASSERT_TRUE(accepted);
  EXPECT_TRUE(accepted->accepted);
  EXPECT_EQ(accepted->payments.at(0).recorded_by, "bendahara.dki");
  // Its retry by a branch officer of another branch tells nothing of it.
  auto foreign = core_->pay_batch(batch, {"officer.ani", branch_scope("rawamangun")});
  ASSERT_FALSE(foreign);
  EXPECT_EQ(foreign.error().message.find(accepted->batch_id), std::string::npos);
}

TEST_F(AccessTest, AReversalNeedsASecondPersonWhateverTheSpelling) {
  open_as("p_1", "a_1", "pulogebang");
  ASSERT_TRUE(core_->run_billing("b3", "2026-03"));
  const auto officer = branch_scope("pulogebang");
  auto payment = core_->pay({"k1", "p_1", "bank_va", "", "", 16'800, 1, ""}, {"Budi", officer});
  ASSERT_TRUE(payment);
  EXPECT_EQ(payment->recorded_by, "budi");
  int attempt = 0;
  for (const auto* same : {"budi", " Budi ", "BUDI", "\tbUdI\n"}) {
    auto own = core_->reverse("r-" + std::to_string(++attempt), payment->id, "bounced", {same, officer});
    ASSERT_FALSE(own) << same;
    EXPECT_EQ(own.error().code, ErrorCode::kPermissionDenied) << same;
    EXPECT_NE(own.error().message.find("second person"), std::string::npos) << own.error().message;
  }
  EXPECT_FALSE(core_->statement("p_1")->payments.at(0).reversed);

  // An officer of another branch does not see the payment at all.
  auto foreign = core_->reverse("r-x", payment->id, "bounced", {"officer.lain", branch_scope("rawamangun")});
  ASSERT_FALSE(foreign);
  EXPECT_EQ(foreign.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(foreign.error().message, "no payment " + payment->id);  // as for a payment that does not exist
  EXPECT_EQ(core_->reverse("r-y", "pay_nobody", "bounced", {"x", officer}).error().message,
            "no payment pay_nobody");

  auto reversed = core_->reverse("r-ani", payment->id, "bounced", {"Ani", officer});
  ASSERT_TRUE(reversed) << reversed.error().message;
  EXPECT_TRUE(reversed->reversed);
}

TEST_F(AccessTest, ArrearsListsHoldOnlyTheRowsTheScopeReaches) {
  ASSERT_TRUE(core_->register_agent("e_a1", "a_1", "Perisai Cakung", "pulogebang"));
  ASSERT_TRUE(core_->register_agent("e_a2", "a_2", "Perisai Cakung", "pulogebang"));
  ASSERT_TRUE(core_->register_agent("e_a3", "a_3", "Perisai Rawamangun", "rawamangun"));
  open_as("p_1", "a_1", "pulogebang");
  open_as("p_2", "a_2", "pulogebang");
  open_as("p_3", "a_3", "rawamangun");  // the same RW code, another branch: only the query tells them apart
  ASSERT_TRUE(core_->run_billing("b3", "2026-03"));
  ASSERT_TRUE(core_->run_billing("b4", "2026-04"));
  const std::string rw = "31.75.06.1005.002";
  const auto ids = [](const Result<std::vector<ArrearsEntry>>& list) {
    std::vector<std::string> out;
    if (list)
      for (const auto& e : *list) out.push_back(e.participant_id);
    std::ranges::sort(out);
    return out;
  };

  EXPECT_EQ(ids(core_->arrears(rw, "", Caller::kEveryAccount)),
            (std::vector<std::string>{"p_1", "p_2", "p_3"}));
  EXPECT_EQ(ids(core_->arrears(rw, "", branch_scope("pulogebang"))),
            (std::vector<std::string>{"p_1", "p_2"}));
  EXPECT_EQ(ids(core_->arrears(rw, "", agent_scope("a_1", "pulogebang"))), (std::vector<std::string>{"p_1"}));
  EXPECT_TRUE(ids(core_->arrears(rw, "", agent_scope("a_1", "rawamangun"))).empty());
  // The store applies the scope itself: a page never holds, nor skips over, a row out of scope.
  EXPECT_EQ(store_.arrears(rw, "", branch_scope("rawamangun")).size(), 1u);
  EXPECT_TRUE(store_.arrears(rw, "", auth::Scope{}).empty());

  // An agent who names nobody gets their own; another agent, or one out of the branches, is
  // NOT_FOUND as an unknown one.
  EXPECT_EQ(ids(core_->arrears("", "", agent_scope("a_2", "pulogebang"))), (std::vector<std::string>{"p_2"}));
  EXPECT_EQ(core_->arrears("", "a_2", agent_scope("a_1", "pulogebang")).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(ids(core_->arrears("", "a_2", branch_scope("pulogebang"))), (std::vector<std::string>{"p_2"}));
  const auto foreign = core_->arrears("", "a_3", branch_scope("pulogebang"));
  const auto unknown = core_->arrears("", "a_9", branch_scope("pulogebang"));
  EXPECT_EQ(foreign.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(unknown.error().code, ErrorCode::kNotFound);
}

TEST_F(AccessTest, SettlementsHoldTheAgentsOfTheCallersBranches) {
  ASSERT_TRUE(core_->register_agent("e_a1", "a_1", "Perisai Cakung", "pulogebang"));
  ASSERT_TRUE(core_->register_agent("e_a3", "a_3", "Perisai Rawamangun", "rawamangun"));
  open_as("p_1", "a_1", "pulogebang");
  open_as("p_3", "a_3", "rawamangun");
  ASSERT_TRUE(core_->pay({"k1", "p_1", "agent_cash", "", "a_1", 16'800, 1, ""}));
  ASSERT_TRUE(core_->pay({"k3", "p_3", "agent_cash", "", "a_3", 50'400, 3, ""}));
  const auto agents = [&](const auth::Scope& scope) {
    std::vector<std::string> out;
    const auto report = core_->settlement("2026-03", scope);
    for (const auto& a : report->agents) out.push_back(a.agent_id);
    return out;
  };
  EXPECT_EQ(agents(Caller::kEveryAccount), (std::vector<std::string>{"a_1", "a_3"}));
  EXPECT_EQ(agents(branch_scope("rawamangun")), (std::vector<std::string>{"a_3"}));
  EXPECT_EQ(agents(agent_scope("a_1", "pulogebang")), (std::vector<std::string>{"a_1"}));
  EXPECT_TRUE(agents(agent_scope("a_1", "rawamangun")).empty());
  const auto report = core_->settlement("2026-03", branch_scope("rawamangun"));
  EXPECT_EQ(report->total_collected, 50'400);
  ASSERT_EQ(report->organisations.size(), 1u);
  EXPECT_EQ(report->organisations[0].organisation, "Perisai Rawamangun");
}

TEST(Reaches, StaffByBranchAgentsByOwnRegistrationsTreasurersByPayer) {
  Account a;
  a.branch_code = "pulogebang";
  a.rw_code = "31.75.06.1005.002";
  a.agent_id = "a_1";
  a.terms.payer = "self";
  EXPECT_TRUE(reaches(Caller::kEveryAccount, a));
  EXPECT_TRUE(reaches(branch_scope("pulogebang"), a));
  EXPECT_FALSE(reaches(branch_scope("rawamangun"), a));
  EXPECT_TRUE(reaches(agent_scope("a_1", "pulogebang"), a));
  EXPECT_FALSE(reaches(agent_scope("a_2", "pulogebang"), a));
  EXPECT_FALSE(reaches(treasurer_scope("apbd:31"), a));
  a.terms.payer = "city_budget";
  EXPECT_TRUE(reaches(treasurer_scope("apbd:31"), a));
  EXPECT_FALSE(reaches(auth::Scope{}, a));
}

}  // namespace
}  // namespace jaring::contribution

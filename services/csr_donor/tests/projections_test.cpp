// The projections of other services' facts alone, on fakes of the ports they reach (journal,
// sponsors, cohorts, memberships, participants, what the money did): each event applies once,
// a sponsored bill is paid from the wallet or left open with an alert, a refusal refunds it, and a
// claim paid counts for the sponsor that funded the month of the event.
#include <gtest/gtest.h>

#include "core/projections.hpp"
#include "parts.hpp"

namespace jaring::csr {
namespace {

using namespace testing;

class ProjectionsTest : public ::testing::Test {
 protected:
  ProjectionsTest() {
    fake_.state.participants["p_1"] = worker("p_1");
    fake_.state.sponsors["s_1"] = wallet("s_1", 20'000);
    fake_.state.memberships.push_back(funded("p_1", "s_1", "2026-03", "2026-08"));
  }

  FixedClock clock_{mid_march_2026()};
  FakeStore<ProjectionUnit, MemoryJournal, MemorySponsors, MemoryCohorts, MemoryMemberships,
            MemoryParticipants, MemoryImpact>
      fake_;
  Projections projections_{fake_.transactions, Settings{2}, clock_};
};

TEST_F(ProjectionsTest, AClaimPaidCountsOnceForTheSponsorOfTheEventMonth) {
  const ClaimPaid claim{"cl_1", "p_1", "", "jkm_death", "2026-04-10", 42'000'000};
  ASSERT_TRUE(projections_.claim_paid("e1", claim));
  ASSERT_EQ(fake_.state.claims.size(), 1u);
  const auto& recorded = fake_.state.claims.at("cl_1");
  EXPECT_EQ(recorded.sponsor_id, "s_1");
  EXPECT_EQ(recorded.cohort_id, "c_s_1");
  EXPECT_EQ(recorded.rw_code, kRw);  // the membership's RW when the event names none
  EXPECT_EQ(recorded.amount, 42'000'000);

  // Redelivered, or announced again under another event id: still one claim.
  auto changed = claim;
  changed.amount = 1;
  ASSERT_TRUE(projections_.claim_paid("e1", changed));
  ASSERT_TRUE(projections_.claim_paid("e2", changed));
  ASSERT_EQ(fake_.state.claims.size(), 1u);
  EXPECT_EQ(fake_.state.claims.at("cl_1").amount, 42'000'000);
  EXPECT_EQ(fake_.state.applied_events, (std::set<std::string>{"e1", "e2"}));

  // A month no cohort funded is nobody's impact; a date that is none is refused, unrecorded.
  ASSERT_TRUE(projections_.claim_paid("e3", {"cl_2", "p_1", "", "jkk_medical", "2026-10-01", 5'000'000}));
  EXPECT_EQ(fake_.state.claims.count("cl_2"), 0u);
  const auto bad = projections_.claim_paid("e4", {"cl_3", "p_1", "", "jkk_medical", "2026-13-01", 1});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(fake_.state.applied_events.count("e4"), 0u);
}

TEST_F(ProjectionsTest, ARegistrationCountsOnceAndKeepsNoEventIdForIt) {
  ASSERT_TRUE(projections_.participant_registered("e1", worker("p_2")));
  // Redelivered, or announced again after an exit: the first registration stands.
  auto again = worker("p_2", 2'000'000);
  ASSERT_TRUE(projections_.participant_registered("e1", again));
  ASSERT_TRUE(projections_.participant_registered("e2", again));
  EXPECT_EQ(fake_.state.participants.at("p_2").income_band, 1'000'000);
  // The participant's row is the record: no event id is kept for a registration (a row each in
  // a table that only grows).
  EXPECT_EQ(fake_.state.applied_events, (std::set<std::string>{}));
}

TEST_F(ProjectionsTest, ASponsoredBillIsPaidOnceLeftOpenWhenShortAndRefundedWhenRefused) {
  const Billed april{"p_1", kRw, "2026-04", "a_1", kMonth, kMonth};
  ASSERT_EQ(*projections_.contribution_billed("b1", april), BillOutcome::kPaid);
  ASSERT_EQ(*projections_.contribution_billed("b1", april), BillOutcome::kAlreadyHandled);
  ASSERT_EQ(*projections_.contribution_billed("b1-again", april), BillOutcome::kAlreadyHandled);
  EXPECT_EQ(fake_.state.sponsors.at("s_1").balance, 20'000 - kMonth);
  EXPECT_EQ(fake_.state.sponsors.at("s_1").spent, kMonth);
  ASSERT_EQ(fake_.state.allocations.count("p_1:2026-04"), 1u);
  ASSERT_EQ(fake_.state.ledger.size(), 1u);
  EXPECT_EQ(fake_.state.ledger[0].amount, -kMonth);
  ASSERT_EQ(published<SponsorPaymentMade>(fake_.state).size(), 1u);
  ASSERT_EQ(published<SponsorFundsLow>(fake_.state).size(), 1u);  // 3,200 covers no month

  // May: the wallet cannot cover it; nothing is debited and the agent is named in the alert.
  ASSERT_EQ(*projections_.contribution_billed("b2", {"p_1", kRw, "2026-05", "a_1", kMonth, kMonth}),
            BillOutcome::kFailed);
  EXPECT_EQ(fake_.state.sponsors.at("s_1").balance, 20'000 - kMonth);
  const auto failed = published<SponsorPaymentFailed>(fake_.state);
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].reason, "insufficient_funds");
  EXPECT_EQ(failed[0].agent_id, "a_1");
  ASSERT_EQ(fake_.state.failures.size(), 1u);

  // Contribution refused April's payment: the wallet gets it back, once.
  const Rejected refused{"s_1", "p_1:2026-04", "p_1", "2026-04", "paid by the worker's credit", kMonth};
  ASSERT_TRUE(*projections_.payment_rejected("r1", refused));
  EXPECT_FALSE(*projections_.payment_rejected("r2", refused));
  EXPECT_EQ(fake_.state.sponsors.at("s_1").balance, 20'000);
  EXPECT_EQ(fake_.state.sponsors.at("s_1").spent, 0);
  EXPECT_TRUE(fake_.state.allocations.at("p_1:2026-04").refunded);
  EXPECT_EQ(fake_.state.ledger.back().kind, "refund");
  EXPECT_EQ(published<SponsorPaymentFailed>(fake_.state).back().reason,
            "rejected: paid by the worker's credit");

  // A bill for a month nobody funds is not csr-donor's.
  EXPECT_EQ(*projections_.contribution_billed("b3", {"p_1", kRw, "2026-10", "a_1", kMonth, kMonth}),
            BillOutcome::kNotSponsored);
}

}  // namespace
}  // namespace jaring::csr

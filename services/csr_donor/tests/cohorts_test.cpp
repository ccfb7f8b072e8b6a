// Cohorts alone, on fakes of the ports they reach (journal, sponsors, cohorts, memberships,
// participants) and the tariff table: members join at their own tariff, a month already funded
// is refused naming it, and a cohort whose months ran out ends by itself.
#include <gtest/gtest.h>

#include "core/cohorts.hpp"
#include "fakes.hpp"
#include "parts.hpp"

namespace jaring::csr {
namespace {

using namespace testing;

class CohortsTest : public ::testing::Test {
 protected:
  CohortsTest() {
    fake_.state.participants["p_1"] = worker("p_1");
    fake_.state.participants["p_2"] = worker("p_2", 2'000'000);
    fake_.state.sponsors["s_1"] = wallet("s_1", 1'000'000);
  }

  FixedClock clock_{mid_march_2026()};
  TableTariffs tariffs_;
  FakeStore<CohortUnit, MemoryJournal, MemorySponsors, MemoryCohorts, MemoryMemberships, MemoryParticipants>
      fake_;
  Cohorts cohorts_{fake_.transactions, tariffs_, Settings{2}, clock_};
};

TEST_F(CohortsTest, NamedMembersJoinAtTheirOwnTariffAndAreNotFundedTwice) {
  auto made = cohorts_.create_cohort("k1", {"s_1", "Maju", "2026-04", 3, {"p_1", "p_2"}, 0, {}, {}},
                                     officer_of("s_1"));
  ASSERT_TRUE(made) << made.error().message;
  EXPECT_EQ(made->budget.total, 3 * (kMonth + kDearer));
  ASSERT_EQ(made->members.size(), 2u);
  EXPECT_EQ(made->members[0].monthly, kMonth);
  EXPECT_EQ(made->members[1].monthly, kDearer);
  EXPECT_EQ(made->members[1].to, month("2026-06"));
  const auto joined = published<SponsorshipChanged>(fake_.state);
  ASSERT_EQ(joined.size(), 2u);
  EXPECT_EQ(joined[0].reason, "joined");
  EXPECT_FALSE(joined[0].sponsored_before);
  ASSERT_EQ(published<CohortStarted>(fake_.state).size(), 1u);

  // The same key answers the same cohort; nothing joins twice.
  auto again = cohorts_.create_cohort("k1", {"s_1", "Maju", "2026-04", 3, {"p_1", "p_2"}, 0, {}, {}},
                                      officer_of("s_1"));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->cohort.id, made->cohort.id);
  EXPECT_EQ(fake_.state.memberships.size(), 2u);

  // p_2 is funded for June already: the whole cohort is refused, naming the month and cohort.
  fake_.state.sponsors["s_2"] = wallet("s_2", 1'000'000);
  const auto before = fake_.state.events.size();
  auto taken =
      cohorts_.create_cohort("k2", {"s_2", "Lain", "2026-06", 2, {"p_2"}, 0, {}, {}}, staff("admin"));
  ASSERT_FALSE(taken);
  EXPECT_EQ(taken.error().code, ErrorCode::kFailedPrecondition);
  ASSERT_EQ(taken.error().violations.size(), 1u);
  EXPECT_EQ(taken.error().violations[0].field, "participant_ids[0]");
  EXPECT_EQ(taken.error().violations[0].rule, "p_2 is already funded for 2026-06..2026-06 by cohort " +
                                                  made->cohort.id + " (Maju) of sponsor s_1");
  EXPECT_EQ(fake_.state.cohorts.size(), 1u);
  EXPECT_EQ(fake_.state.events.size(), before);
}

TEST_F(CohortsTest, ACohortWhoseMonthsRanOutEndsByItself) {
  auto made = cohorts_.create_cohort("k1", {"s_1", "Maju", "2026-03", 2, {"p_1"}, 0, {}, {}}, staff("admin"));
  ASSERT_TRUE(made) << made.error().message;
  ASSERT_EQ(*cohorts_.close_completed(), 0);  // April is still funded
  clock_.set(day_of(2026, 5, 2));
  ASSERT_EQ(*cohorts_.close_completed(), 1);
  const auto& c = fake_.state.cohorts.at(0);
  EXPECT_EQ(c.status, cohort_status::kEnded);
  EXPECT_EQ(c.end_reason, "completed");
  EXPECT_FALSE(fake_.state.memberships.at(0).active);
  EXPECT_EQ(fake_.state.memberships.at(0).to, month("2026-04"));  // the months funded stay funded
  const auto ended = published<CohortEnded>(fake_.state);
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].last_period, "2026-04");
  const auto left = published<SponsorshipChanged>(fake_.state);
  ASSERT_EQ(left.size(), 2u);
  EXPECT_EQ(left[1].reason, "cohort_ended");
  EXPECT_FALSE(left[1].sponsored_after);
  EXPECT_EQ(*cohorts_.close_completed(), 0);
}

}  // namespace
}  // namespace jaring::csr

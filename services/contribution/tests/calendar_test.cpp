// The billing calendar on a FixedClock: each month billed once at its start, the months missed
// while down caught up once, arrears and lapse following the clock, RunBilling ahead respected.
#include <gtest/gtest.h>

#include "contribution_fixture.hpp"
#include "jaring/events/v1/envelope.pb.h"
#include "jaring/store/outbox.hpp"

namespace jaring::contribution {
namespace {

using events::v1::Envelope;

// 00:30 in Jakarta on the first of a month (17:30 UTC the day before).
TimePoint jakarta_start_of(int year, int month) {
  return jakarta_midnight(Period::of(year, month).first_day()) + std::chrono::minutes(30);
}

class CalendarTest : public testing::ContributionFixture {
 protected:
  // The periods of the ContributionBilled events written since the last call (and the arrears
  // warnings' months unpaid in `warnings_`).
  std::vector<std::string> billed_periods() {
    std::vector<std::string> out;
    std::vector<std::int64_t> sent;
    for (const auto& m : store::outbox_fetch_unsent(*db_, 1'000'000)) {
      Envelope e;
      e.ParseFromString(m.payload);
      if (e.payload_case() == Envelope::kContributionBilled) out.push_back(e.contribution_billed().period());
      if (e.payload_case() == Envelope::kArrearsWarning)
        warnings_.push_back(e.arrears_warning().months_unpaid());
      sent.push_back(m.id);
    }
    store::outbox_remove_sent(*db_, sent);
    return out;
  }
  std::vector<std::string> periods(const std::vector<BillingRun>& runs) {
    std::vector<std::string> out;
    out.reserve(runs.size());
    for (const auto& r : runs) out.push_back(r.period);
    return out;
  }
  std::vector<int> warnings_;
};

TEST_F(CalendarTest, BillsTheCurrentMonthOnceAndTheNextAtItsStart) {
  open("p_1");
  billed_periods();
  auto first = core_->bill_due();
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(periods(*first), std::vector<std::string>{"2026-03"});
  EXPECT_EQ(billed_periods(), std::vector<std::string>{"2026-03"});

  auto again = core_->bill_due();
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->empty());
  EXPECT_TRUE(billed_periods().empty());

  // The last minute of March in Jakarta: still March.
  clock_.set(jakarta_start_of(2026, 4) - std::chrono::minutes(31));
  EXPECT_TRUE(core_->bill_due()->empty());
  clock_.set(jakarta_start_of(2026, 4));
  EXPECT_EQ(periods(*core_->bill_due()), std::vector<std::string>{"2026-04"});
  EXPECT_EQ(billed_periods(), std::vector<std::string>{"2026-04"});
  EXPECT_TRUE(core_->bill_due()->empty());
}

TEST_F(CalendarTest, AfterDowntimeCatchesUpTheMissedMonthsOnceAndInOrder) {
  open("p_1");
  ASSERT_TRUE(core_->bill_due());
  billed_periods();
  clock_.set(jakarta_start_of(2026, 7) + std::chrono::hours(24 * 9));  // 10 July, down since March
  auto caught_up = core_->bill_due();
  ASSERT_TRUE(caught_up) << caught_up.error().message;
  EXPECT_EQ(periods(*caught_up), (std::vector<std::string>{"2026-04", "2026-05", "2026-06", "2026-07"}));
  EXPECT_EQ(billed_periods(), (std::vector<std::string>{"2026-04", "2026-05", "2026-06", "2026-07"}));
  EXPECT_TRUE(core_->bill_due()->empty());
  EXPECT_TRUE(billed_periods().empty());
  // Never paid, billed by the calendar alone: still awaiting the first payment, never protected.
  EXPECT_EQ(core_->account("p_1")->state, "awaiting");
  EXPECT_EQ(core_->account("p_1")->months_unpaid, 4);  // March to June
}

TEST_F(CalendarTest, UnpaidMonthsWarnThenLapseAsTheClockMoves) {
  open("p_1");
  ASSERT_TRUE(core_->pay({"k", "p_1", "bank_va", "", "", 16'800, 1, ""}));  // March: protected
  std::vector<std::string> states;
  for (int month = 3; month <= 7; ++month) {
    clock_.set(jakarta_start_of(2026, month));
    ASSERT_TRUE(core_->bill_due());
    states.push_back(core_->account("p_1")->state);
    billed_periods();
  }
  EXPECT_EQ(warnings_, (std::vector<int>{1, 2}));  // arrears months 1 and 2 warn; the third lapses
  // A month billed at its start is not yet unpaid: April is, once May is billed.
  EXPECT_EQ(states, (std::vector<std::string>{"active", "active", "arrears", "arrears", "lapsed"}));
  EXPECT_EQ(core_->account("p_1")->months_unpaid, 3);
}

TEST_F(CalendarTest, RunBillingAfterTheCalendarBillsTheAccountsOpenedSinceOnce) {
  ASSERT_TRUE(core_->bill_due());  // March, with nobody yet
  open("p_1");
  billed_periods();
  auto late = core_->run_billing("admin-march", "2026-03");
  ASSERT_TRUE(late) << late.error().message;
  EXPECT_FALSE(late->repeated);
  EXPECT_EQ(late->accounts_billed, 1);
  EXPECT_EQ(billed_periods(), std::vector<std::string>{"2026-03"});
  EXPECT_TRUE(core_->run_billing("admin-march", "2026-03")->repeated);
  EXPECT_TRUE(core_->run_billing("admin-march-again", "2026-03")->repeated);
  EXPECT_TRUE(billed_periods().empty());
}

TEST_F(CalendarTest, AMonthAnAdministratorBilledAheadIsNotBilledAgain) {
  open("p_1");
  ASSERT_TRUE(core_->run_billing("admin-april", "2026-04"));
  billed_periods();
  EXPECT_TRUE(core_->bill_due()->empty());
  clock_.set(jakarta_start_of(2026, 4));
  EXPECT_TRUE(core_->bill_due()->empty());
  EXPECT_TRUE(billed_periods().empty());
  clock_.set(jakarta_start_of(2026, 5));
  EXPECT_EQ(periods(*core_->bill_due()), std::vector<std::string>{"2026-05"});
}

}  // namespace
}  // namespace jaring::contribution

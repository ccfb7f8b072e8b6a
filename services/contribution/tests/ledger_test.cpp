// The ledger rules on a Book, without a store.
#include <gtest/gtest.h>

#include "core/ledger.hpp"
#include "sample_opening.hpp"

namespace jaring::contribution {
extern const char kDefaultTariffs[];
namespace {

class LedgerTest : public ::testing::Test {
 protected:
  LedgerTest() : tariffs_(*TariffTable::parse(kDefaultTariffs, "tariffs")) {
    book_ = *open_book(testing::sample_opening("p_1"), "2026-03");
  }

  template <typename T>
  std::vector<T> events() {
    std::vector<T> out;
    for (const auto& e : book_.events) {
      if (const auto* t = std::get_if<T>(&e)) out.push_back(*t);
    }
    book_.events.clear();
    return out;
  }

  void bill_month(int month) {
    ASSERT_TRUE(bill(book_, Period::of(2026, month), "run", tariffs_, settings_));
  }

  Payment payment(const std::string& id, Rupiah amount, int months, const std::string& payer = "self") {
    Payment p;
    p.id = id;
    p.payer = payer;
    p.amount = amount;
    p.months = months;
    return p;
  }

  TariffTable tariffs_;
  Settings settings_;
  Book book_;
};

TEST_F(LedgerTest, OpeningAwaitsTheFirstPayment) {
  auto changes = events<CoverageChanged>();
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].from_state, "none");
  EXPECT_EQ(changes[0].to_state, "awaiting");
}

// Registration's event counted the participant awaiting already: the same account, no event.
TEST_F(LedgerTest, AnOpeningRegistrationCountedAwaitingAnnouncesNothing) {
  const auto book = open_book(testing::sample_opening("p_2", true), "2026-03");
  ASSERT_TRUE(book);
  EXPECT_TRUE(book->events.empty());
  EXPECT_EQ(book->account.state, "awaiting");
  EXPECT_EQ(book->account.first_period.str(), "2026-03");
}

// Registered but never paid is not protected, however the months go: never active (the RW
// counter's "Aktif (terlindungi)"), nor arrears or lapsed, which are falling behind after paying.
TEST_F(LedgerTest, ANeverPaidWorkerAwaitsTheFirstPaymentWithWarningsThenPaysIntoActive) {
  for (int m = 3; m <= 8; ++m) {
    bill_month(m);
    EXPECT_EQ(book_.account.state, "awaiting") << m;
  }
  EXPECT_TRUE(events<CoverageChanged>().size() == 1u);  // the opening only
  book_.events.clear();
  bill_month(9);
  EXPECT_EQ(book_.account.state, "awaiting");
  auto p = payment("pay_1", Rupiah{7} * 16'800, 7);
  ASSERT_TRUE(pay(book_, p, tariffs_, settings_));
  EXPECT_EQ(book_.account.state, "active");
  const auto changes = events<CoverageChanged>();
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].from_state, "awaiting");
  EXPECT_EQ(changes[0].to_state, "active");
}

TEST_F(LedgerTest, FirstUnpaidMonthsWarnTheAgentWhileAwaiting) {
  bill_month(3);
  bill_month(4);
  auto warnings = events<ArrearsWarning>();
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0].months_unpaid, 1);
  bill_month(5);
  EXPECT_EQ(events<ArrearsWarning>().at(0).months_unpaid, 2);
  bill_month(6);
  EXPECT_TRUE(events<ArrearsWarning>().empty());
  EXPECT_EQ(book_.account.state, "awaiting");
}

TEST_F(LedgerTest, AReversalOfTheOnlyPaymentAwaitsAgain) {
  bill_month(3);
  auto p = payment("pay_1", 16'800, 1);
  ASSERT_TRUE(pay(book_, p, tariffs_, settings_));
  ASSERT_EQ(book_.account.state, "active");
  ASSERT_TRUE(reverse(book_, p, "bounced", settings_));
  EXPECT_EQ(book_.account.state, "awaiting");
}

TEST_F(LedgerTest, UnpaidMonthsMoveToArrearsWithWarningsThenLapse) {
  auto first = payment("pay_0", 16'800, 1);  // March, paid ahead: protection starts
  ASSERT_TRUE(pay(book_, first, tariffs_, settings_));
  bill_month(3);
  EXPECT_EQ(book_.account.state, "active");
  events<CoverageChanged>();
  bill_month(4);
  EXPECT_EQ(book_.account.state, "active");  // the month being billed is not late yet
  EXPECT_EQ(events<ContributionBilled>().size(), 1u);
  bill_month(5);
  EXPECT_EQ(book_.account.state, "arrears");
  auto warnings = events<ArrearsWarning>();
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0].months_unpaid, 1);
  EXPECT_EQ(warnings[0].agent_id, "a_1");
  bill_month(6);
  EXPECT_EQ(events<ArrearsWarning>().at(0).months_unpaid, 2);
  bill_month(7);
  EXPECT_EQ(book_.account.state, "lapsed");
  EXPECT_EQ(book_.account.months_unpaid, 3);
  EXPECT_EQ(book_.account.outstanding, 4 * 16'800);
}

TEST_F(LedgerTest, PayAllReactivatesOnlyWhenEveryMonthIsPaid) {
  for (int m = 3; m <= 6; ++m) bill_month(m);
  auto p = payment("pay_1", Rupiah{3} * 16'800, 3);
  ASSERT_TRUE(pay(book_, p, tariffs_, settings_));
  EXPECT_EQ(book_.account.state, "active");
  EXPECT_EQ(period_text(book_.account.covered_through), "2026-05");
  auto partial = payment("pay_2", 10'000, 1);
  ASSERT_TRUE(pay(book_, partial, tariffs_, settings_));
  EXPECT_EQ(book_.dues.at(Period::of(2026, 6)).paid, 10'000);
}

TEST_F(LedgerTest, PayCurrentReactivatesAndWaivesOldMonths) {
  settings_.reactivation = Reactivation::kPayCurrent;
  auto first = payment("pay_0", 16'800, 1);
  ASSERT_TRUE(pay(book_, first, tariffs_, settings_));
  for (int m = 3; m <= 7; ++m) bill_month(m);
  ASSERT_EQ(book_.account.state, "lapsed");
  events<CoverageChanged>();
  auto p = payment("pay_1", 16'800, 1);
  ASSERT_TRUE(pay(book_, p, tariffs_, settings_));
  ASSERT_EQ(p.allocations.size(), 1u);
  EXPECT_EQ(p.allocations[0].period, Period::of(2026, 7));
  EXPECT_EQ(book_.account.state, "active");
  EXPECT_TRUE(book_.dues.at(Period::of(2026, 4)).waived);
  EXPECT_EQ(events<CoverageChanged>().at(0).reason, "reactivated");
}

// The ceiling of a payment ahead is what its months cost, each at its own tariff: a street
// vendor registered in December 2025, when PP 50/2025 halved JKK+JKM (to January 2026), pays a
// year ahead at Rp8,400 twice and Rp16,800 ten times. It was twelve times December's charge, so
// the year was refused as more than the ceiling.
TEST_F(LedgerTest, AYearAheadCostsEachMonthAtItsOwnTariffAcrossADiscountsEnd) {
  Opening o{"p_2",
            "31.75.06.1005.002",
            "a_1",
            "pulogebang",
            "2025-12-01",
            "",
            "2025-12-01T01:00:00.000Z",
            {"street_vendor", "self", "jkk+jkm", 1'000'000}};
  auto book = *open_book(o, "2025-12");
  constexpr Rupiah kYear = 2 * 8'400 + 10 * 16'800;
  auto over = payment("pay_over", kYear + 1, 12);
  const auto refused = pay(book, over, tariffs_, settings_);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().violations.at(0).rule.find("must be at most Rp184.800"), std::string::npos)
      << refused.error().violations.at(0).rule;
  auto year = payment("pay_year", kYear, 12);
  ASSERT_TRUE(pay(book, year, tariffs_, settings_));
  EXPECT_EQ(book.account.covered_through, Period::of(2026, 11));
  EXPECT_EQ(year.allocations.size(), 12u);
  EXPECT_EQ(year.unallocated, 0);
}

TEST_F(LedgerTest, OverPaymentIsCreditUsedByTheNextBill) {
  bill_month(3);
  auto p = payment("pay_1", 20'000, 1);
  ASSERT_TRUE(pay(book_, p, tariffs_, settings_));
  EXPECT_EQ(p.unallocated, 3'200);
  book_.credits.push_back({"pay_1", "self", 3'200});
  bill_month(4);
  EXPECT_EQ(book_.dues.at(Period::of(2026, 4)).paid, 3'200);
  EXPECT_EQ(book_.credit_allocations.size(), 1u);
}

TEST_F(LedgerTest, APeriodHasOnePayer) {
  bill_month(3);
  auto sponsor = payment("pay_1", 8'000, 1, "sponsor:s_1");
  ASSERT_TRUE(pay(book_, sponsor, tariffs_, settings_));
  auto self = payment("pay_2", 16'800, 1);
  ASSERT_TRUE(pay(book_, self, tariffs_, settings_));
  // Self money skips March (the sponsor's) and pays April ahead.
  ASSERT_EQ(self.allocations.size(), 1u);
  EXPECT_EQ(self.allocations[0].period, Period::of(2026, 4));
  auto targeted = payment("pay_3", 8'800, 1);
  targeted.target = Period::of(2026, 3);
  EXPECT_EQ(pay(book_, targeted, tariffs_, settings_).error().code, ErrorCode::kFailedPrecondition);
}

TEST_F(LedgerTest, ProjectEndClosesTheAccount) {
  book_.account.last_period = Period::of(2026, 4);
  book_.account.end_date = "2026-04-20";
  bill_month(4);
  EXPECT_EQ(book_.account.state, "awaiting");  // March unpaid: never paid
  bill_month(5);
  EXPECT_EQ(book_.account.state, "closed");
  EXPECT_FALSE(book_.dues.contains(Period::of(2026, 5)));
  EXPECT_EQ(events<CoverageChanged>().back().to_state, "none");
}

}  // namespace
}  // namespace jaring::contribution

// Ledger invariant: a randomized month of 10,000 participants with payments, retries, partial
// payments, over-payments, reversals, sponsor and batch payments. Afterwards every rupiah paid is
// either allocated to a period or credit, and no period is paid twice or by two payers.
#include <gtest/gtest.h>

#include <random>

#include "contribution_fixture.hpp"
#include "core/codes.hpp"

namespace jaring::contribution {
namespace {

class LedgerInvariantTest : public testing::ContributionFixture {
 protected:
  std::int64_t scalar(const char* sql) {
    return db_->read([&](store::Database& db) {
      auto s = db.prepare(sql);
      s.step();
      return s.column_int(0);
    });
  }
};

TEST_F(LedgerInvariantTest, PaymentsEqualAllocationsPlusCreditAndNoPeriodIsPaidTwice) {
  constexpr int kParticipants = 10'000;
  std::mt19937_64 rng(20260315);
  const auto id = [](int i) { return "p_" + std::to_string(i); };
  const auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<std::uint64_t>(n)); };
  for (int i = 0; i < kParticipants; ++i) open(id(i));
  ASSERT_TRUE(core_->run_billing("bill-2026-03", "2026-03"));

  std::vector<std::string> payments;
  int retries = 0;
  for (int op = 0; op < 14'000; ++op) {
    const auto who = id(pick(kParticipants));
    const auto roll = pick(100);
    if (roll < 55) {  // a payment: exact, partial or over, for 1, 3, 6 or 12 months
      const int months = kMonthsAhead[pick(4)];
      const Rupiah amount = 1 + pick(months * 16'800 + 20'000);
      const PaymentCommand c{
          "k" + std::to_string(op), who, pick(2) ? "agent_cash" : "bank_va", "", "a_1", amount, months, ""};
      auto paid = core_->pay(c);
      if (!paid && paid.error().code == ErrorCode::kFailedPrecondition) continue;  // exited
      // Over the ceiling (open months and 12 ahead, less the credit held): refused, nothing paid.
      if (!paid && paid.error().code == ErrorCode::kInvalidArgument) continue;
      ASSERT_TRUE(paid) << paid.error().message;
      payments.push_back(paid->id);
      if (pick(4) == 0) {  // the agent's phone retries
        auto retried = core_->pay(c);
        ASSERT_TRUE(retried);
        ASSERT_EQ(retried->id, paid->id);
        ++retries;
      }
    } else if (roll < 70) {  // a sponsor pays one period, maybe one another payer already pays
      const auto period = Period::of(2026, 3 + pick(3)).str();
      ASSERT_TRUE(core_->apply_sponsor_payment(
          "e" + std::to_string(op),
          {"s_" + std::to_string(pick(3)), "a" + std::to_string(op), who, period, 1 + pick(20'000)}));
    } else if (roll < 80 && !payments.empty()) {  // a reversal, sometimes of a reversed payment
      auto reversed = core_->reverse(
          "r" + std::to_string(op),
          payments[static_cast<std::size_t>(pick(static_cast<int>(payments.size())))], "bounced");
      ASSERT_TRUE(reversed) << reversed.error().message;
    } else if (roll < 83) {  // a kelurahan pays for its officials: all or nothing
      BatchCommand batch{
          "batch" + std::to_string(op), "city_budget", "apbd:" + std::to_string(pick(5)), "", {}};
      const int size = 1 + pick(50);
      for (int i = 0; i < size; ++i) batch.items.push_back({id(pick(kParticipants)), 16'800, 1});
      if (pick(5) == 0) batch.items.push_back({"p_unknown", 16'800, 1});
      ASSERT_TRUE(core_->pay_batch(batch));
    } else if (roll < 85) {
      ASSERT_TRUE(core_->exit_account("x" + std::to_string(op), who, "moved_away", "2026-03-31"));
    }
  }
  EXPECT_GT(retries, 1000);

  const auto paid = scalar("SELECT SUM(amount) FROM payments WHERE reversed = 0");
  const auto allocated = scalar("SELECT SUM(amount) FROM allocations WHERE reversed = 0");
  const auto credit = scalar("SELECT SUM(unallocated) FROM payments WHERE reversed = 0");
  EXPECT_GT(paid, 0);
  EXPECT_EQ(paid, allocated + credit);
  // Every period's paid figure is exactly what live allocations put there, never above what is due.
  EXPECT_EQ(
      scalar("SELECT COUNT(*) FROM dues d WHERE paid != (SELECT COALESCE(SUM(amount), 0) FROM allocations a "
             "WHERE a.participant_id = d.participant_id AND a.period = d.period AND a.reversed = 0)"),
      0);
  EXPECT_EQ(scalar("SELECT COUNT(*) FROM dues WHERE paid > total"), 0);
  // One payer per period.
  EXPECT_EQ(
      scalar("SELECT COUNT(*) FROM (SELECT a.participant_id, a.period FROM allocations a JOIN payments p ON "
             "p.id = a.payment_id WHERE a.reversed = 0 GROUP BY a.participant_id, a.period "
             "HAVING COUNT(DISTINCT p.payer) > 1)"),
      0);
  // The accounts' credit figures agree with the ledger.
  EXPECT_EQ(scalar("SELECT SUM(credit) FROM accounts"), credit);
  EXPECT_GT(scalar("SELECT COUNT(*) FROM payments WHERE batch_id != ''"), 0);
}

}  // namespace
}  // namespace jaring::contribution

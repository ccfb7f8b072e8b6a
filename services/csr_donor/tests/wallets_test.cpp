// Wallets alone, on a fake of the only ports they reach (the journal and the sponsor store):
// deposits credit once per key, every one is a ledger line, and the low-balance alert fires once
// per crossing.
#include <gtest/gtest.h>

#include "core/wallets.hpp"
#include "parts.hpp"

namespace jaring::csr {
namespace {

using namespace testing;

class WalletsTest : public ::testing::Test {
 protected:
  FixedClock clock_{mid_march_2026()};
  FakeStore<WalletUnit, MemoryJournal, MemorySponsors> fake_;
  Wallets wallets_{fake_.transactions, Settings{2}, clock_};
};

TEST_F(WalletsTest, DepositsCreditOnceAndTheAlertFiresOncePerCrossing) {
  auto s = wallets_.create_sponsor("sp-1", "PT Maju", "csr_company", staff("tester"));
  ASSERT_TRUE(s) << s.error().message;
  const auto id = s->sponsor.id;
  // One member needing a month's contribution: two months of cover is 33,600.
  fake_.state.memberships.push_back(funded("p_1", id, "2026-03", "2026-12"));

  auto first = wallets_.deposit("d1", id, 20'000, "BCA 1", staff("finance"));
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(first->balance, 20'000);
  auto low = published<SponsorFundsLow>(fake_.state);
  ASSERT_EQ(low.size(), 1u);
  EXPECT_EQ(low[0].monthly_need, kMonth);
  EXPECT_EQ(low[0].months_left, 1);
  EXPECT_TRUE(fake_.state.sponsors.at(id).funds_low);

  // A retry credits nothing and says so; a key used for another amount is refused.
  auto again = wallets_.deposit("d1", id, 20'000, "BCA 1", staff("finance"));
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->repeated);
  EXPECT_EQ(wallets_.deposit("d1", id, 30'000, "BCA 1", staff("finance")).error().code,
            ErrorCode::kAlreadyExists);
  EXPECT_EQ(fake_.state.sponsors.at(id).balance, 20'000);

  // Still below two months: no second alert. At two months the flag clears, silently.
  ASSERT_TRUE(wallets_.deposit("d2", id, 10'000, "BCA 2", staff("finance")));
  EXPECT_EQ(published<SponsorFundsLow>(fake_.state).size(), 1u);
  EXPECT_TRUE(fake_.state.sponsors.at(id).funds_low);
  ASSERT_TRUE(wallets_.deposit("d3", id, 10'000, "BCA 3", staff("finance")));
  EXPECT_FALSE(fake_.state.sponsors.at(id).funds_low);
  EXPECT_EQ(published<SponsorFundsLow>(fake_.state).size(), 1u);

  const auto deposited = published<SponsorDeposited>(fake_.state);
  ASSERT_EQ(deposited.size(), 3u);
  EXPECT_EQ(deposited.back().balance, 40'000);
  const auto lines = wallets_.ledger(id, 10, kEveryone);
  ASSERT_TRUE(lines);
  ASSERT_EQ(lines->size(), 3u);
  EXPECT_EQ((*lines)[0].balance, 40'000);  // newest first
  EXPECT_EQ((*lines)[2].amount, 20'000);
  const auto view = wallets_.sponsor(id, kEveryone);
  EXPECT_EQ(view->months_left, 2);
}

TEST_F(WalletsTest, AnotherSponsorsWalletAnswersAsAMissingOne) {
  fake_.state.sponsors["s_a"] = wallet("s_a", 100'000);
  fake_.state.sponsors["s_b"] = wallet("s_b", 100'000);
  EXPECT_EQ(wallets_.deposit("d1", "s_b", 5'000, "BCA 1", officer_of("s_a")).error().code,
            ErrorCode::kNotFound);
  EXPECT_EQ(wallets_.ledger("s_b", 10, officer_of("s_a").scope).error().code, ErrorCode::kNotFound);
  const auto mine = wallets_.sponsors(officer_of("s_a").scope);
  ASSERT_TRUE(mine);
  ASSERT_EQ(mine->size(), 1u);
  EXPECT_EQ((*mine)[0].sponsor.id, "s_a");
  EXPECT_EQ(fake_.state.sponsors.at("s_b").balance, 100'000);
  EXPECT_EQ(fake_.transactions.transactions, 0);  // refused before any transaction
}

}  // namespace
}  // namespace jaring::csr

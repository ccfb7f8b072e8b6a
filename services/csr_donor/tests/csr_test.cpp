// The csr-donor core with an injected clock: wallets and their ledger, budget quotes, the
// no-double-funding refusal, automatic payment and refunds, the low-balance crossing, proposals
// accepted in part, sponsorship following exits and moves, cohorts that end, impact figures.
#include <gtest/gtest.h>

#include <map>
#include <utility>
#include <vector>

#include "csr_fixture.hpp"

namespace jaring::csr {
namespace {

using testing::kEveryone;
using testing::staff;

class CsrTest : public testing::CsrFixture {};

constexpr Rupiah kMonth = 16'800;

TEST_F(CsrTest, DepositIsIdempotentAndTheLedgerExplainsTheBalance) {
  const auto s = sponsor("PT Maju", "csr_company");
  auto first = core_.wallets().deposit("d1", s, 1'000'000, "BCA 123", staff("finance"));
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_FALSE(first->repeated);
  auto again = core_.wallets().deposit("d1", s, 1'000'000, "BCA 123", staff("finance"));
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->repeated);
  EXPECT_EQ(again->id, first->id);
  ASSERT_TRUE(core_.wallets().deposit("d2", s, 500'000, "BCA 124", staff("finance")));
  EXPECT_EQ(core_.wallets().deposit("d1", s, 7, "other", staff("finance")).error().code,
            ErrorCode::kAlreadyExists);
  EXPECT_EQ(core_.wallets().deposit("d3", s, 0, "", staff("finance")).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(core_.wallets().deposit("d4", "s_missing", 10, "", staff("finance")).error().code,
            ErrorCode::kNotFound);

  const auto view = core_.wallets().sponsor(s, kEveryone);
  EXPECT_EQ(view->sponsor.balance, 1'500'000);
  EXPECT_EQ(view->sponsor.deposited, 1'500'000);
  const auto lines = core_.wallets().ledger(s, 10, kEveryone);
  ASSERT_EQ(lines->size(), 2u);
  EXPECT_EQ((*lines)[0].balance, 1'500'000);  // newest first
  EXPECT_EQ((*lines)[1].amount, 1'000'000);
  const auto deposited = of_type(take_events(), "SponsorDeposited");
  ASSERT_EQ(deposited.size(), 2u);
  EXPECT_EQ(deposited[1].sponsor_deposited().balance(), 1'500'000);
  EXPECT_EQ(deposited[1].sponsor_deposited().sponsor_kind(), "csr_company");
  EXPECT_EQ(core_.wallets().create_sponsor("k", "X", "bank", staff("t")).error().code,
            ErrorCode::kInvalidArgument);
}

TEST_F(CsrTest, QuoteShowsTheBudgetBeforeAnythingIsAccepted) {
  for (const auto* id : {"p_1", "p_2", "p_3"}) registered(worker(id));
  const auto s = sponsor("PT Maju", "csr_company", 100'000);
  CohortSpec spec{s, "pemulung", "2026-04", 4, {"p_1", "p_2", "p_3"}, 0, {}, {}};
  auto budget = core_.cohorts().quote_cohort(spec, staff("tester"));
  ASSERT_TRUE(budget) << budget.error().message;
  EXPECT_EQ(budget->members, 3);
  ASSERT_EQ(budget->months.size(), 4u);
  EXPECT_EQ(budget->months.front().period.str(), "2026-04");
  EXPECT_EQ(budget->months.back().period.str(), "2026-07");
  EXPECT_EQ(budget->total, kMonth * 3 * 4);
  EXPECT_EQ(budget->shortfall, kMonth * 3 * 4 - 100'000);
  // Tariffs are asked once per period and terms, not once per member.
  EXPECT_EQ(tariffs_.calls, 4);
  // A quote changes nothing.
  EXPECT_TRUE(core_.cohorts().cohorts(s, kEveryone)->empty());

  // "Up to 5 scavengers in RW 002": two are known, three slots are estimated.
  registered(worker("p_4", "31.75.06.1005.003"));
  CohortSpec criteria{s, "RW 002", "", 2, {}, 5, {"scavenger"}, {"31.75.06.1005.002"}};
  budget = core_.cohorts().quote_cohort(criteria, staff("tester"));
  ASSERT_TRUE(budget);
  EXPECT_EQ(budget->members, 5);
  EXPECT_EQ(budget->total, kMonth * 5 * 2);

  spec.months = 0;
  spec.participant_ids.push_back("p_unknown");
  const auto bad = core_.cohorts().quote_cohort(spec, staff("tester"));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(bad.error().violations.size(), 2u);
}

TEST_F(CsrTest, OverlappingCohortIsRefusedNamingThePeriodsAndTheOtherCohort) {
  registered(worker("p_1"));
  registered(worker("p_2"));
  const auto a = sponsor("PT Maju", "csr_company", 1'000'000);
  const auto b = sponsor("Zakat Peduli", "philanthropy", 1'000'000);
  auto first = core_.cohorts().create_cohort("c1", {a, "Maju pemulung", "2026-03", 4, {"p_1"}, 0, {}, {}},
                                             staff("sponsor-a"));
  ASSERT_TRUE(first) << first.error().message;

  auto refused = core_.cohorts().create_cohort("c2", {b, "Zakat", "2026-05", 4, {"p_2", "p_1"}, 0, {}, {}},
                                               staff("sponsor-b"));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kFailedPrecondition);
  ASSERT_EQ(refused.error().violations.size(), 1u);
  const auto& v = refused.error().violations[0];
  EXPECT_EQ(v.field, "participant_ids[1]");
  EXPECT_NE(v.rule.find("2026-05..2026-06"), std::string::npos) << v.rule;
  EXPECT_NE(v.rule.find(first->cohort.id), std::string::npos) << v.rule;
  EXPECT_NE(v.rule.find("Maju pemulung"), std::string::npos) << v.rule;
  EXPECT_NE(refused.error().message.find("2026-05..2026-06"), std::string::npos);
  // Nothing of the refused cohort exists.
  EXPECT_TRUE(core_.cohorts().cohorts(b, kEveryone)->empty());

  // The months after the first cohort are free.
  auto later = core_.cohorts().create_cohort("c3", {b, "Zakat", "2026-07", 4, {"p_2", "p_1"}, 0, {}, {}},
                                             staff("sponsor-b"));
  ASSERT_TRUE(later) << later.error().message;
  // The same sponsor cannot fund a participant twice either.
  EXPECT_EQ(core_.cohorts()
                .create_cohort("c4", {a, "again", "2026-06", 1, {"p_1"}, 0, {}, {}}, staff("a"))
                .error()
                .code,
            ErrorCode::kFailedPrecondition);
  // A retried create answers the first cohort.
  EXPECT_EQ(core_.cohorts()
                .create_cohort("c1", {a, "Maju pemulung", "2026-03", 4, {"p_1"}, 0, {}, {}}, staff("a"))
                ->cohort.id,
            first->cohort.id);

  const auto events = take_events();
  const auto joined = of_type(events, "SponsorshipChanged");
  // p_1 joins twice (the second while still sponsored: no new count), p_2 once.
  ASSERT_EQ(joined.size(), 3u);
  EXPECT_FALSE(joined[0].sponsorship_changed().sponsored_before());
  EXPECT_TRUE(joined[0].sponsorship_changed().sponsored_after());
  int counted = 0;
  for (const auto& e : joined) {
    counted += (e.sponsorship_changed().sponsored_after() ? 1 : 0) -
               (e.sponsorship_changed().sponsored_before() ? 1 : 0);
    EXPECT_EQ(e.sponsorship_changed().reason(), "joined");
  }
  EXPECT_EQ(counted, 2);
  EXPECT_EQ(of_type(events, "CohortStarted").size(), 2u);
}

TEST_F(CsrTest, BillsArePaidFromTheWalletOnceAndUnpaidOnesRaiseAnAlert) {
  registered(worker("p_1"));
  registered(worker("p_2"));
  registered(worker("p_3"));
  const auto s = sponsor("PT Maju", "csr_company", kMonth * 3 + 100);
  ASSERT_TRUE(
      core_.cohorts().create_cohort("c1", {s, "", "2026-03", 12, {"p_1", "p_2"}, 0, {}, {}}, staff("a")));
  take_events();

  EXPECT_EQ(*core_.projections().contribution_billed(
                "b1", {"p_1", "31.75.06.1005.002", "2026-03", "a_1", kMonth, kMonth}),
            BillOutcome::kPaid);
  EXPECT_EQ(*core_.projections().contribution_billed(
                "b1", {"p_1", "31.75.06.1005.002", "2026-03", "a_1", kMonth, kMonth}),
            BillOutcome::kAlreadyHandled);
  EXPECT_EQ(*core_.projections().contribution_billed(
                "b3", {"p_3", "31.75.06.1005.002", "2026-03", "a_1", kMonth, kMonth}),
            BillOutcome::kNotSponsored);
  // Paid ahead by the worker: nothing is due, the sponsor pays nothing.
  EXPECT_EQ(*core_.projections().contribution_billed(
                "b2", {"p_2", "31.75.06.1005.002", "2026-03", "a_1", kMonth, 0}),
            BillOutcome::kNothingDue);
  EXPECT_EQ(*core_.projections().contribution_billed(
                "b4", {"p_2", "31.75.06.1005.002", "2026-04", "a_1", kMonth, kMonth}),
            BillOutcome::kPaid);
  EXPECT_EQ(*core_.projections().contribution_billed(
                "b5", {"p_1", "31.75.06.1005.002", "2026-04", "a_1", kMonth, kMonth}),
            BillOutcome::kPaid);
  // 100 rupiah left: the next bill is not paid, and says so.
  EXPECT_EQ(*core_.projections().contribution_billed(
                "b6", {"p_1", "31.75.06.1005.002", "2026-05", "a_9", kMonth, kMonth}),
            BillOutcome::kFailed);
  EXPECT_EQ(core_.wallets().sponsor(s, kEveryone)->sponsor.balance, 100);
  EXPECT_EQ(core_.wallets().sponsor(s, kEveryone)->sponsor.spent, kMonth * 3);

  auto events = take_events();
  const auto made = of_type(events, "SponsorPaymentMade");
  ASSERT_EQ(made.size(), 3u);
  EXPECT_EQ(made[0].sponsor_payment_made().allocation_id(), "p_1:2026-03");
  EXPECT_EQ(made[0].sponsor_payment_made().amount(), kMonth);
  EXPECT_EQ(made[0].sponsor_payment_made().period(), "2026-03");
  const auto failed = of_type(events, "SponsorPaymentFailed");
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].sponsor_payment_failed().participant_id(), "p_1");
  EXPECT_EQ(failed[0].sponsor_payment_failed().reason(), "insufficient_funds");
  EXPECT_EQ(failed[0].sponsor_payment_failed().agent_id(), "a_9");
  EXPECT_EQ(failed[0].sponsor_payment_failed().balance(), 100);

  // The contribution service refused one payment: the wallet gets it back, once.
  EXPECT_TRUE(*core_.projections().payment_rejected(
      "r1", {s, "p_2:2026-04", "p_2", "2026-04", "paid by another payer", kMonth}));
  EXPECT_FALSE(*core_.projections().payment_rejected(
      "r2", {s, "p_2:2026-04", "p_2", "2026-04", "paid by another payer", kMonth}));
  EXPECT_EQ(core_.wallets().sponsor(s, kEveryone)->sponsor.balance, 100 + kMonth);
  // The bill may be open again: an alert says so.
  const auto after_refund = of_type(take_events(), "SponsorPaymentFailed");
  ASSERT_EQ(after_refund.size(), 1u);
  EXPECT_EQ(after_refund[0].sponsor_payment_failed().reason(), "rejected: paid by another payer");
  EXPECT_EQ(after_refund[0].sponsor_payment_failed().period(), "2026-04");
  const auto lines = *core_.wallets().ledger(s, 10, kEveryone);
  EXPECT_EQ(lines.front().kind, "refund");
  EXPECT_EQ(lines.front().note, "paid by another payer");
  Rupiah sum = 0;
  for (const auto& l : lines) sum += l.amount;
  EXPECT_EQ(sum, core_.wallets().sponsor(s, kEveryone)->sponsor.balance);

  const auto impact = core_.impact().impact(s, "2026-01", "2026-12", kEveryone);
  ASSERT_TRUE(impact) << impact.error().message;
  EXPECT_EQ(impact->months_funded, 2);
  EXPECT_EQ(impact->spent, 2 * kMonth);
  EXPECT_EQ(impact->workers_protected, 1);
  EXPECT_EQ(impact->payments_failed, 2);
}

TEST_F(CsrTest, LowBalanceAlertFiresOncePerCrossing) {
  registered(worker("p_1"));
  registered(worker("p_2"));
  // Two members: Rp33,600 a month; four months of cover to start with (the setting is 2).
  const auto s = sponsor("Kota", "city_budget", kMonth * 4 * 2);
  ASSERT_TRUE(
      core_.cohorts().create_cohort("c1", {s, "", "2026-03", 12, {"p_1", "p_2"}, 0, {}, {}}, staff("a")));
  EXPECT_EQ(core_.wallets().sponsor(s, kEveryone)->months_left, 4);
  int bill = 0;
  const auto pay_month = [&](const std::string& period) {
    for (const auto* p : {"p_1", "p_2"})
      ASSERT_TRUE(core_.projections().contribution_billed("b" + std::to_string(++bill),
                                                          {p, "", period, "", kMonth, kMonth}));
  };
  pay_month("2026-03");  // 3 months left
  EXPECT_TRUE(of_type(take_events(), "SponsorFundsLow").empty());
  pay_month("2026-04");  // 2 left
  EXPECT_TRUE(of_type(take_events(), "SponsorFundsLow").empty());
  pay_month("2026-05");  // 1 left: below the setting
  auto low = of_type(take_events(), "SponsorFundsLow");
  ASSERT_EQ(low.size(), 1u);
  EXPECT_EQ(low[0].sponsor_funds_low().months_left(), 1);
  EXPECT_EQ(low[0].sponsor_funds_low().monthly_need(), 2 * kMonth);
  EXPECT_TRUE(core_.wallets().sponsor(s, kEveryone)->sponsor.funds_low);
  pay_month("2026-06");  // 0 left: still low, no second alert
  EXPECT_TRUE(of_type(take_events(), "SponsorFundsLow").empty());
  // A deposit restores the cover; the next crossing alerts again.
  ASSERT_TRUE(core_.wallets().deposit("top-up", s, kMonth * 3 * 2, "APBD", staff("finance")));
  EXPECT_FALSE(core_.wallets().sponsor(s, kEveryone)->sponsor.funds_low);
  EXPECT_TRUE(of_type(take_events(), "SponsorFundsLow").empty());
  pay_month("2026-07");
  pay_month("2026-08");
  EXPECT_EQ(of_type(take_events(), "SponsorFundsLow").size(), 1u);
}

TEST_F(CsrTest, ANamedCohortNeedsTheSumOfItsMembersTariffs) {
  // Bands Rp1,000,000, Rp2,000,000 and Rp3,500,000: JKK 1% + JKM Rp6,800 each.
  const std::vector<std::pair<std::string, Rupiah>> bands{
      {"p_1", 1'000'000}, {"p_2", 2'000'000}, {"p_3", 3'500'000}};
  const std::map<std::string, Rupiah> tariff{{"p_1", 16'800}, {"p_2", 26'800}, {"p_3", 41'800}};
  for (const auto& [id, band] : bands) {
    auto w = worker(id);
    w.income_band = band;
    registered(w);
  }
  const auto s = sponsor("PT Maju", "csr_company", 1'000'000);
  auto c = core_.cohorts().create_cohort("c1", {s, "", "2026-03", 6, {"p_1", "p_2", "p_3"}, 0, {}, {}},
                                         staff("a"));
  ASSERT_TRUE(c) << c.error().message;
  ASSERT_EQ(c->budget.months.front().amount, 85'400);
  // Was an even split rounded down: 3 x 28,466 = Rp85,398.
  EXPECT_EQ(core_.wallets().sponsor(s, kEveryone)->monthly_need, 85'400);
  ASSERT_EQ(c->members.size(), 3u);
  for (const auto& m : c->members) EXPECT_EQ(m.monthly, tariff.at(m.participant_id)) << m.participant_id;

  // The same for a cohort accepted from a proposal.
  for (const auto& [id, band] : bands) {
    auto w = worker("q" + id.substr(1));
    w.income_band = band;
    registered(w);
  }
  const auto t = sponsor("Zakat", "philanthropy", 1'000'000);
  std::vector<ProposalInput> inputs{{2, "q_1", std::nullopt, "pemulung"},
                                    {3, "q_2", std::nullopt, "ojol"},
                                    {4, "q_3", std::nullopt, "PPSU"}};
  auto p =
      core_.proposals().submit_proposal("prop-1", "31.75.06.1005", inputs, "", staff("lurah-pulogebang"));
  ASSERT_TRUE(p) << p.error().message;
  auto accepted = core_.proposals().accept(
      {"acc-1", p->id, t, {"1", "2", "3"}, "", "Zakat 2026", "2026-03", 6}, staff("csr-officer"));
  ASSERT_TRUE(accepted) << accepted.error().message;
  EXPECT_EQ(core_.wallets().sponsor(t, kEveryone)->monthly_need, 85'400);
  for (const auto& m : accepted->cohort.members)
    EXPECT_EQ(m.monthly, tariff.at("p" + m.participant_id.substr(1))) << m.participant_id;
}

TEST_F(CsrTest, ProposalIsAcceptedInPartAndTheRestRejectedWithAReason) {
  registered(worker("p_1"));
  registered(worker("p_2"));
  registered(worker("p_gone"));
  ASSERT_TRUE(core_.projections().participant_exited("x1", "p_gone", "2026-03-01"));
  const auto s = sponsor("PT Maju", "csr_company", 1'000'000);
  NewWorker good{"3172011505900001", "Budi",    "1990-05-15", "M", "0812", "31.75.06.1005.004", 3,
                 "other_informal",   1'000'000, "",           ""};
  auto bad = good;
  bad.nik = "0172011505900001";
  std::vector<ProposalInput> inputs{{2, "p_1", std::nullopt, "pemulung, no income in the rainy season"},
                                    {3, "p_2", std::nullopt, "caretaker of the mosque"},
                                    {4, "", good, "grave digger"},
                                    {5, "", bad, "grave digger"},
                                    {6, "p_gone", std::nullopt, "left"},
                                    {7, "p_1", std::nullopt, "listed again"},
                                    {8, "p_1", std::nullopt, ""}};
  auto p = core_.proposals().submit_proposal("prop-1", "31.75.06.1005", inputs, "RW 2 and 4",
                                             staff("lurah-pulogebang"));
  ASSERT_TRUE(p) << p.error().message;
  ASSERT_EQ(p->items.size(), 3u);
  EXPECT_EQ(p->items[2].participant_id, "p_new_3172011505900001");
  EXPECT_EQ(p->items[2].rw_code, "31.75.06.1005.004");
  ASSERT_EQ(p->refused.size(), 4u);
  EXPECT_EQ(p->refused[0].row, 5);
  EXPECT_NE(p->refused[0].reason.find("province"), std::string::npos);
  EXPECT_EQ(p->refused[1].row, 6);
  EXPECT_EQ(p->refused[2].row, 7);
  EXPECT_EQ(p->refused[3].row, 8);
  EXPECT_EQ(p->status(), "open");
  EXPECT_EQ(core_.proposals().submit_proposal("prop-1", "31.75.06.1005", inputs, "", staff("x"))->id, p->id);

  // Preview, then accept items 1 and 3 into a new cohort.
  auto budget = core_.cohorts().quote_cohort({s, "", "2026-03", 6, {"p_1"}, 0, {}, {}}, staff("tester"));
  EXPECT_EQ(budget->total, 6 * kMonth);
  AcceptCommand accept{"acc-1", p->id, s, {"1", "3"}, "", "Maju 2026", "2026-03", 6};
  auto accepted = core_.proposals().accept(accept, staff("csr-officer"));
  ASSERT_TRUE(accepted) << accepted.error().message;
  EXPECT_EQ(accepted->cohort.members.size(), 2u);
  EXPECT_EQ(accepted->cohort.budget.total, kMonth * 2 * 6);
  EXPECT_EQ(accepted->proposal.items[0].status, item_status::kAccepted);
  EXPECT_EQ(accepted->proposal.items[0].decided_by, "csr-officer");
  EXPECT_EQ(accepted->proposal.items[1].status, item_status::kPending);
  EXPECT_EQ(accepted->proposal.items[2].cohort_id, accepted->cohort.cohort.id);
  // A retry answers the same; accepting a decided item is refused.
  EXPECT_EQ(core_.proposals().accept(accept, staff("csr-officer"))->cohort.cohort.id,
            accepted->cohort.cohort.id);
  AcceptCommand again{"acc-2", p->id, s, {"1"}, accepted->cohort.cohort.id, "", "", 0};
  EXPECT_EQ(core_.proposals().accept(again, staff("x")).error().code, ErrorCode::kInvalidArgument);

  auto rejected = core_.proposals().reject_items("rej-1", p->id, {"2"}, "already paid by the city budget",
                                                 staff("csr-officer"));
  ASSERT_TRUE(rejected);
  EXPECT_EQ(rejected->items[1].status, item_status::kRejected);
  EXPECT_EQ(rejected->items[1].decision_reason, "already paid by the city budget");
  EXPECT_EQ(rejected->status(), "decided");
  EXPECT_EQ(core_.proposals().proposals("31.75.06.1005", "decided", kEveryone)->size(), 1u);
  EXPECT_TRUE(core_.proposals().proposals("31.75.06.1005", "open", kEveryone)->empty());

  const auto changed = of_type(take_events(), "SponsorshipChanged");
  ASSERT_EQ(changed.size(), 2u);
  EXPECT_EQ(changed[1].sponsorship_changed().participant_id(), "p_new_3172011505900001");
  EXPECT_EQ(changed[1].sponsorship_changed().rw_code(), "31.75.06.1005.004");
  EXPECT_EQ(changed[1].sponsorship_changed().sponsor_kind(), "csr_company");
}

TEST_F(CsrTest, AcceptanceOverlappingAnotherSponsorIsRefused) {
  registered(worker("p_1"));
  registered(worker("p_2"));
  const auto a = sponsor("Kota", "city_budget", 1'000'000);
  const auto b = sponsor("PT Maju", "csr_company", 1'000'000);
  auto first =
      core_.cohorts().create_cohort("c1", {a, "RT/RW", "2026-03", 3, {"p_1"}, 0, {}, {}}, staff("a"));
  ASSERT_TRUE(first);
  auto p = core_.proposals().submit_proposal(
      "prop", "31.75.06.1005", {{1, "p_1", std::nullopt, "poor"}, {2, "p_2", std::nullopt, "poor"}}, "",
      staff("lurah"));
  ASSERT_TRUE(p);
  auto refused = core_.proposals().accept({"acc", p->id, b, {}, "", "Maju", "2026-04", 6}, staff("b"));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kFailedPrecondition);
  ASSERT_EQ(refused.error().violations.size(), 1u);
  EXPECT_EQ(refused.error().violations[0].field, "item_ids[0]");
  EXPECT_NE(refused.error().violations[0].rule.find("2026-04..2026-05"), std::string::npos);
  EXPECT_NE(refused.error().violations[0].rule.find(first->cohort.id), std::string::npos);
  EXPECT_EQ(core_.proposals().proposal(p->id, kEveryone)->items[1].status,
            item_status::kPending);  // nothing half-done
  EXPECT_TRUE(core_.proposals().accept({"acc2", p->id, b, {"2"}, "", "Maju", "2026-04", 6}, staff("b")));
}

TEST_F(CsrTest, SponsorshipFollowsMovesExitsAndTheEndOfCohorts) {
  for (const auto* id : {"p_1", "p_2", "p_3"}) registered(worker(id));
  const auto s = sponsor("Zakat", "philanthropy", 10'000'000);
  auto short_cohort =
      core_.cohorts().create_cohort("c1", {s, "", "2026-03", 2, {"p_1", "p_2"}, 0, {}, {}}, staff("a"));
  auto long_cohort =
      core_.cohorts().create_cohort("c2", {s, "", "2026-03", 12, {"p_3"}, 0, {}, {}}, staff("a"));
  ASSERT_TRUE(short_cohort && long_cohort);
  take_events();

  ASSERT_TRUE(core_.projections().participant_moved("m1", "p_1", "31.75.06.1005.009"));
  ASSERT_TRUE(core_.projections().participant_exited("x2", "p_2", "2026-03-20"));
  auto events = of_type(take_events(), "SponsorshipChanged");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].sponsorship_changed().reason(), "moved");
  EXPECT_EQ(events[0].sponsorship_changed().previous_rw_code(), "31.75.06.1005.002");
  EXPECT_EQ(events[0].sponsorship_changed().rw_code(), "31.75.06.1005.009");
  EXPECT_TRUE(events[0].sponsorship_changed().sponsored_before() &&
              events[0].sponsorship_changed().sponsored_after());
  EXPECT_EQ(events[1].sponsorship_changed().reason(), "exited");
  EXPECT_FALSE(events[1].sponsorship_changed().sponsored_after());
  // The exit month is still funded; the month after is not.
  EXPECT_EQ(*core_.projections().contribution_billed("b1", {"p_2", "", "2026-03", "", kMonth, kMonth}),
            BillOutcome::kPaid);
  EXPECT_EQ(*core_.projections().contribution_billed("b2", {"p_2", "", "2026-04", "", kMonth, kMonth}),
            BillOutcome::kNotSponsored);

  // Nothing completes before the months run out.
  EXPECT_EQ(*core_.cohorts().close_completed(), 0);
  clock_.set(std::chrono::sys_days(std::chrono::year(2026) / 5 / 2));
  EXPECT_EQ(*core_.cohorts().close_completed(), 1);
  events = take_events();
  const auto ended = of_type(events, "CohortEnded");
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].cohort_ended().reason(), "completed");
  EXPECT_EQ(ended[0].cohort_ended().last_period(), "2026-04");
  ASSERT_EQ(of_type(events, "SponsorshipChanged").size(), 1u);  // p_1 only: p_2 left already
  EXPECT_EQ(of_type(events, "SponsorshipChanged")[0].sponsorship_changed().rw_code(), "31.75.06.1005.009");

  // The sponsor ends the long cohort after May: June is nobody's to pay from this wallet.
  auto end = core_.cohorts().end_cohort("end", long_cohort->cohort.id, "2026-05", staff("sponsor"));
  ASSERT_TRUE(end) << end.error().message;
  EXPECT_EQ(end->cohort.status, cohort_status::kEnded);
  EXPECT_EQ(end->cohort.last.str(), "2026-05");
  EXPECT_EQ(end->members[0].to.str(), "2026-05");
  EXPECT_EQ(*core_.projections().contribution_billed("b3", {"p_3", "", "2026-05", "", kMonth, kMonth}),
            BillOutcome::kPaid);
  EXPECT_EQ(*core_.projections().contribution_billed("b4", {"p_3", "", "2026-06", "", kMonth, kMonth}),
            BillOutcome::kNotSponsored);
  EXPECT_EQ(core_.cohorts().end_cohort("end-2", long_cohort->cohort.id, "", staff("sponsor")).error().code,
            ErrorCode::kFailedPrecondition);
  // Another sponsor may take p_3 from June.
  const auto other = sponsor("PT Lain", "csr_company", 1'000'000);
  EXPECT_TRUE(core_.cohorts().create_cohort("c3", {other, "", "2026-06", 6, {"p_3"}, 0, {}, {}}, staff("b")));
}

TEST_F(CsrTest, CriteriaCohortTakesUpToNWorkersOfItsCategoriesAndRws) {
  const std::string rw = "31.75.06.1005.002";
  registered(worker("p_1", rw, "scavenger"));
  registered(worker("p_2", rw, "ojol_driver"));                 // other category
  registered(worker("p_3", "31.75.06.1005.003", "scavenger"));  // other RW
  registered(worker("p_4", rw, "scavenger", "city_budget"));    // the city pays already
  const auto s = sponsor("PT Maju", "csr_company", 1'000'000);
  auto c = core_.cohorts().create_cohort("c1", {s, "", "", 6, {}, 2, {"scavenger"}, {rw}}, staff("a"));
  ASSERT_TRUE(c) << c.error().message;
  ASSERT_EQ(c->members.size(), 1u);
  EXPECT_EQ(c->members[0].participant_id, "p_1");
  // New registrations fill the cohort up to N.
  registered(worker("p_5", rw, "scavenger"));
  registered(worker("p_6", rw, "scavenger"));
  const auto members = core_.cohorts().cohort(c->cohort.id, kEveryone)->members;
  ASSERT_EQ(members.size(), 2u);
  EXPECT_EQ(members[1].participant_id, "p_5");
  EXPECT_EQ(of_type(take_events(), "SponsorshipChanged").size(), 2u);
}

TEST_F(CsrTest, ClaimsPaidToFamiliesOfSponsoredWorkersCountInTheImpact) {
  registered(worker("p_1"));
  registered(worker("p_2", "31.75.06.1005.003"));
  const auto s = sponsor("Zakat", "philanthropy", 1'000'000);
  ASSERT_TRUE(
      core_.cohorts().create_cohort("c1", {s, "", "2026-03", 3, {"p_1", "p_2"}, 0, {}, {}}, staff("a")));
  ASSERT_TRUE(core_.projections().contribution_billed(
      "b1", {"p_1", "31.75.06.1005.002", "2026-03", "", kMonth, kMonth}));
  ASSERT_TRUE(core_.projections().contribution_billed(
      "b2", {"p_2", "31.75.06.1005.003", "2026-03", "", kMonth, kMonth}));
  ASSERT_TRUE(core_.projections().claim_paid(
      "cl1", {"k_1", "p_1", "31.75.06.1005.002", "jkm_death", "2026-04-02", 42'000'000}));
  ASSERT_TRUE(core_.projections().claim_paid(
      "cl1", {"k_1", "p_1", "31.75.06.1005.002", "jkm_death", "2026-04-02", 42'000'000}));
  // Outside the sponsored months: not this sponsor's impact.
  ASSERT_TRUE(core_.projections().claim_paid(
      "cl2", {"k_2", "p_2", "31.75.06.1005.003", "jkk_medical", "2026-09-01", 500'000}));
  const auto impact = core_.impact().impact(s, "2026-03", "2026-05", kEveryone);
  ASSERT_TRUE(impact);
  EXPECT_EQ(impact->workers_protected, 2);
  EXPECT_EQ(impact->rws_reached, 2);
  EXPECT_EQ(impact->months_funded, 2);
  EXPECT_EQ(impact->spent, 2 * kMonth);
  EXPECT_EQ(impact->claims_paid, 1);
  EXPECT_EQ(impact->claims_amount, 42'000'000);
  ASSERT_EQ(impact->rws.size(), 2u);
  EXPECT_EQ(impact->rws[0].claims_paid, 1);
  EXPECT_EQ(core_.impact().impact(s, "2026-05", "2026-03", kEveryone).error().code,
            ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace jaring::csr

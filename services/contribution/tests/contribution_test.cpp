// The contribution use cases on the real SQLite store (in memory): idempotency, batches,
// reversals, sponsors, coverage queries and fees.
#include <gtest/gtest.h>

#include <array>
#include <map>

#include "adapters/sqlite_store.hpp"
#include "contribution_fixture.hpp"
#include "jaring/events/v1/envelope.pb.h"
#include "jaring/store/outbox.hpp"
#include "jaring/testing/fixtures.hpp"
#include "jaring/testing/sqlite.hpp"

namespace jaring::contribution {
namespace {

using events::v1::Envelope;

class ContributionTest : public testing::ContributionFixture {
 protected:
  // Every envelope written to the outbox since the last call.
  std::vector<Envelope> published() {
    std::vector<Envelope> out;
    for (const auto& m : store::outbox_fetch_unsent(*db_, 1'000'000)) {
      Envelope e;
      e.ParseFromString(m.payload);
      out.push_back(e);
      sent_.push_back(m.id);
    }
    store::outbox_remove_sent(*db_, sent_);
    sent_.clear();
    return out;
  }
  std::vector<Envelope> published(Envelope::PayloadCase type) {
    auto all = published();
    std::erase_if(all, [&](const Envelope& e) { return e.payload_case() != type; });
    return all;
  }

  std::vector<std::int64_t> sent_;
};

// Accounts are written for every registration and bill: no insert may build a temporary table (the
// arrears indexes' condition did, as an IN list of three states, until migration 9).
TEST_F(ContributionTest, NoTableBuildsATemporaryTableOnEachInsert) {
  EXPECT_EQ(jaring::testing::tables_with_temporary_tables_on_insert(*db_), std::vector<std::string>{});
}

TEST_F(ContributionTest, AnAccountOpensOnceWhateverTheEvents) {
  open("p_1");
  ASSERT_TRUE(core_->open_account("e_open", opening("p_1")));
  auto other = opening("p_1");
  other.rw_code = "31.71.01.1001.002";
  other.project_end_date = "2026-03-31";
  ASSERT_TRUE(core_->open_account("e_other", other));
  // The later openings wrote nothing: the account is the first one's.
  EXPECT_EQ(core_->account("p_1")->rw_code, opening("p_1").rw_code);
  EXPECT_FALSE(core_->account("p_1")->last_period.has_value());
  const auto opened = published(Envelope::kCoverageChanged);
  ASSERT_EQ(opened.size(), 1u);
  // Registered, not yet protected: never counted active before the first payment.
  EXPECT_EQ(opened[0].coverage_changed().to_state(), "awaiting");
  EXPECT_EQ(core_->account("p_1")->state, "awaiting");
  // The account is the record that an opening was applied: no event id is kept for one (a row
  // per registration in a table that only grows).
  const auto applied = db_->read([](store::Database& d) {
    auto s = d.prepare("SELECT count(*) FROM applied_events");
    return s.step() ? s.column_int(0) : -1;
  });
  EXPECT_EQ(applied, 0);
}

TEST_F(ContributionTest, BillingTwiceForAPeriodBillsOnce) {
  open("p_1");
  open("p_2");
  published();
  auto first = core_->run_billing("k1", "2026-03");
  ASSERT_TRUE(first);
  EXPECT_EQ(first->accounts_billed, 2);
  EXPECT_EQ(first->amount_billed, 2 * 16'800);
  auto second = core_->run_billing("k2", "2026-03");
  ASSERT_TRUE(second);
  EXPECT_TRUE(second->repeated);
  EXPECT_EQ(second->run_id, first->run_id);
  const auto billed = published(Envelope::kContributionBilled);
  ASSERT_EQ(billed.size(), 2u);
  EXPECT_EQ(billed[0].contribution_billed().amount(), 16'800);
  EXPECT_EQ(core_->run_billing("k1", "2026-04").error().code, ErrorCode::kFailedPrecondition);
}

// Found by contribution_grpc_fuzz: a run for 4052-03 billed every account for 24,000 months.
TEST_F(ContributionTest, BillingRefusesAPeriodMoreThanAYearAhead) {
  open("p_1");
  auto far = core_->run_billing("k-far", "4052-03");
  ASSERT_FALSE(far);
  EXPECT_EQ(far.error().violations.at(0).field, "period");
  EXPECT_FALSE(core_->run_billing("k-next-year", "2027-04"));
  EXPECT_TRUE(core_->run_billing("k-a-year-ahead", "2027-03"));
}

TEST_F(ContributionTest, ARetriedPaymentPaysOnce) {
  open("p_1");
  ASSERT_TRUE(core_->run_billing("b", "2026-03"));
  const PaymentCommand command{"pay-1", "p_1", "agent_cash", "", "a_1", 16'800, 1, ""};
  auto first = core_->pay(command);
  ASSERT_TRUE(first);
  auto retry = core_->pay(command);
  ASSERT_TRUE(retry);
  EXPECT_EQ(retry->id, first->id);
  EXPECT_EQ(core_->statement("p_1")->payments.size(), 1u);
  auto changed = command;
  changed.amount = 1;
  EXPECT_EQ(core_->pay(changed).error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(core_->account("p_1")->covered_through ? core_->account("p_1")->covered_through->str() : "",
            "2026-03");
}

TEST_F(ContributionTest, InvalidPaymentsNameTheirFields) {
  auto bad = core_->pay({"", "p_1", "cash", "", "", -5, 2, "2026-13"});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  std::set<std::string> fields;
  for (const auto& v : bad.error().violations) fields.insert(v.field);
  EXPECT_EQ(fields, (std::set<std::string>{"idempotency_key", "amount", "months", "channel", "period"}));
  EXPECT_EQ(core_->pay({"k", "p_nobody", "bank_va", "", "", 16'800, 1, ""}).error().code,
            ErrorCode::kNotFound);
}

TEST_F(ContributionTest, PartialAndOverPaymentsAndMonthsAhead) {
  open("p_1");
  ASSERT_TRUE(core_->run_billing("b3", "2026-03"));
  published();
  ASSERT_TRUE(core_->pay({"k1", "p_1", "bank_va", "", "", 10'000, 1, ""}));
  EXPECT_EQ(core_->account("p_1")->outstanding, 6'800);
  // A partial payment touches March but leaves it unpaid (claims judges coverage from this).
  const auto partial = published(Envelope::kPaymentReceived);
  ASSERT_EQ(partial.size(), 1u);
  EXPECT_EQ(partial[0].payment_received().periods_size(), 1);
  EXPECT_EQ(partial[0].payment_received().paid_periods_size(), 0);
  // Three months from the oldest unpaid: the rest of March, April and May, plus Rp1,000 credit.
  auto ahead = core_->pay({"k2", "p_1", "bank_va", "", "", 6'800 + 2 * 16'800 + 1'000, 3, ""});
  ASSERT_TRUE(ahead);
  EXPECT_EQ(ahead->allocations.size(), 3u);
  EXPECT_EQ(ahead->unallocated, 1'000);
  auto account = core_->account("p_1");
  EXPECT_EQ(account->covered_through->str(), "2026-05");
  EXPECT_EQ(account->credit, 1'000);
  const auto full = published(Envelope::kPaymentReceived);
  ASSERT_EQ(full.size(), 1u);
  EXPECT_EQ(std::vector<std::string>(full[0].payment_received().paid_periods().begin(),
                                     full[0].payment_received().paid_periods().end()),
            (std::vector<std::string>{"2026-03", "2026-04", "2026-05"}));
  published();
  ASSERT_TRUE(core_->run_billing("b4", "2026-04"));
  ASSERT_TRUE(core_->run_billing("b6", "2026-06"));  // catches up May too
  const auto billed = published(Envelope::kContributionBilled);
  ASSERT_EQ(billed.size(), 3u);
  EXPECT_EQ(billed[0].contribution_billed().outstanding(), 0);       // April, paid ahead
  EXPECT_EQ(billed[2].contribution_billed().outstanding(), 15'800);  // June, Rp1,000 credit used
  EXPECT_EQ(core_->account("p_1")->credit, 0);
}

TEST_F(ContributionTest, BatchIsAllOrNothingWithAReport) {
  for (const auto* id : {"p_1", "p_2", "p_3"}) open(id);
  ASSERT_TRUE(core_->run_billing("b", "2026-03"));
  BatchCommand batch{"kel-1", "city_budget", "apbd:31.75.06.1005", "", {}};
  batch.items = {{"p_1", 16'800, 1}, {"p_missing", 16'800, 1}, {"p_3", 0, 1}};
  auto refused = core_->pay_batch(batch);
  ASSERT_TRUE(refused);
  EXPECT_FALSE(refused->accepted);
  ASSERT_EQ(refused->failures.size(), 2u);
  EXPECT_EQ(refused->failures[0].index, 1);
  EXPECT_EQ(refused->failures[0].reason, "no account for this participant");
  EXPECT_EQ(refused->failures[1].participant_id, "p_3");
  EXPECT_TRUE(core_->statement("p_1")->payments.empty());  // nothing half-written

  batch.items = {{"p_1", 16'800, 1}, {"p_2", 16'800, 1}, {"p_3", 16'800, 1}};
  auto paid = core_->pay_batch(batch);
  ASSERT_TRUE(paid);
  EXPECT_TRUE(paid->accepted);
  EXPECT_EQ(paid->payments.size(), 3u);
  auto again = core_->pay_batch(batch);
  EXPECT_EQ(again->batch_id, paid->batch_id);
  EXPECT_EQ(core_->statement("p_2")->payments.size(), 1u);
}

TEST_F(ContributionTest, ABatchWithoutItsPayerOrAgentIsInvalidNamingTheField) {
  open("p_1");
  BatchCommand city{"kel-2", "city_budget", "", "", {{"p_1", 16'800, 1}}};
  auto refused = core_->pay_batch(city);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument);
  ASSERT_EQ(refused.error().violations.size(), 1u);
  EXPECT_EQ(refused.error().violations[0].field, "payer_id");
  BatchCommand cash{"kel-3", "agent_cash", "", "", {{"p_1", 16'800, 1}}};
  auto no_agent = core_->pay_batch(cash);
  ASSERT_FALSE(no_agent);
  ASSERT_EQ(no_agent.error().violations.size(), 1u);
  EXPECT_EQ(no_agent.error().violations[0].field, "agent_id");
}

TEST_F(ContributionTest, ABatchKeyReusedForAnotherBatchIsRefused) {
  for (const auto* id : {"p_1", "p_2"}) open(id);
  BatchCommand batch{"kel-4", "city_budget", "apbd:31.75.06.1005", "", {{"p_1", 16'800, 1}}};
  auto paid = core_->pay_batch(batch);
  ASSERT_TRUE(paid);
  ASSERT_TRUE(paid->accepted);
  batch.items = {{"p_2", 16'800, 1}};
  auto other = core_->pay_batch(batch);
  ASSERT_FALSE(other);  // not the first batch's answer, as if p_2 had been paid
  EXPECT_EQ(other.error().code, ErrorCode::kAlreadyExists);
  EXPECT_TRUE(core_->statement("p_2")->payments.empty());
}

TEST_F(ContributionTest, ReversalTakesThePaymentBack) {
  open("p_1");
  ASSERT_TRUE(core_->run_billing("b3", "2026-03"));
  auto payment = core_->pay({"k1", "p_1", "agent_cash", "", "a_1", 16'800, 1, ""});
  ASSERT_TRUE(core_->run_billing("b4", "2026-04"));
  EXPECT_EQ(core_->account("p_1")->state, "active");
  published();
  auto reversed = core_->reverse("r1", payment->id, "bounced transfer");
  ASSERT_TRUE(reversed);
  EXPECT_TRUE(reversed->reversed);
  // The only payment taken back: never paid, so awaiting the first payment again.
  EXPECT_EQ(core_->account("p_1")->state, "awaiting");
  auto events = published();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].payment_reversed().reason(), "bounced transfer");
  EXPECT_EQ(events[1].coverage_changed().to_state(), "awaiting");
  ASSERT_TRUE(core_->reverse("r1", payment->id, "bounced transfer"));
  EXPECT_TRUE(published().empty());
  EXPECT_EQ(core_->reverse("r2", payment->id, "").error().code, ErrorCode::kInvalidArgument);
}

TEST_F(ContributionTest, SponsorPaysAPeriodOnceAndOnePayerPerPeriod) {
  open("p_1");
  ASSERT_TRUE(core_->run_billing("b3", "2026-03"));
  const SponsorPayment sp{"s_csr", "alloc-1", "p_1", "2026-03", 8'000};  // part of March
  ASSERT_TRUE(core_->apply_sponsor_payment("e1", sp));
  ASSERT_TRUE(core_->apply_sponsor_payment("e2", sp));  // re-sent with a new event id
  EXPECT_EQ(core_->statement("p_1")->payments.size(), 1u);
  published();
  ASSERT_TRUE(core_->apply_sponsor_payment("e3", {"s_other", "alloc-9", "p_1", "2026-03", 16'800}));
  const auto rejected = published(Envelope::kSponsorPaymentRejected);
  ASSERT_EQ(rejected.size(), 1u);
  EXPECT_EQ(rejected[0].sponsor_payment_rejected().reason(), "period 2026-03 is paid by another payer");
  EXPECT_EQ(core_->statement("p_1")->payments.size(), 1u);
}

// The randomized year found it: the worker's own credit paid part of a month a sponsor funds,
// so the sponsor's payment was refused (a second payer) and the worker's share stayed open.
TEST_F(ContributionTest, SelfCreditAndMoneyAheadNeverPayAMonthASponsorFunds) {
  open("p_1");
  ASSERT_TRUE(core_->run_billing("b3", "2026-03"));
  ASSERT_TRUE(core_->pay({"k1", "p_1", "bank_va", "", "", 16'800 + 5'000, 1, ""}));  // March, 5,000 credit
  ASSERT_TRUE(core_->sponsorship_changed("e_s", "p_1", "c_1", "2026-04", "2026-05"));
  ASSERT_TRUE(core_->sponsorship_changed("e_s", "p_1", "c_1", "2026-04", "2026-05"));  // once
  published();
  ASSERT_TRUE(core_->run_billing("b4", "2026-04"));
  const auto billed = published(Envelope::kContributionBilled);
  ASSERT_EQ(billed.size(), 1u);
  EXPECT_EQ(billed[0].contribution_billed().outstanding(), 16'800);  // the sponsor's, whole
  ASSERT_TRUE(core_->apply_sponsor_payment("e_p4", {"s_csr", "alloc-4", "p_1", "2026-04", 16'800}));
  EXPECT_TRUE(published(Envelope::kSponsorPaymentRejected).empty());
  EXPECT_EQ(core_->account("p_1")->credit, 5'000);
  // Money ahead goes past May (the sponsor's) to June.
  auto ahead = core_->pay({"k2", "p_1", "bank_va", "", "", 16'800, 1, ""});
  ASSERT_TRUE(ahead) << ahead.error().message;
  ASSERT_EQ(ahead->allocations.size(), 1u);
  EXPECT_EQ(ahead->allocations[0].period.str(), "2026-06");
  ASSERT_TRUE(core_->run_billing("b5", "2026-05"));
  ASSERT_TRUE(core_->apply_sponsor_payment("e_p5", {"s_csr", "alloc-5", "p_1", "2026-05", 16'800}));
  EXPECT_TRUE(published(Envelope::kSponsorPaymentRejected).empty());
  // July is the worker's own again: the credit pays it in part.
  ASSERT_TRUE(core_->run_billing("b6", "2026-06"));
  ASSERT_TRUE(core_->run_billing("b7", "2026-07"));
  const auto statement = core_->statement("p_1");
  ASSERT_TRUE(statement);
  std::map<std::string, std::string> payer;
  std::map<std::string, Rupiah> paid;
  for (const auto& d : statement->dues) {
    payer[d.period.str()] = d.payer;
    paid[d.period.str()] = d.paid;
  }
  EXPECT_EQ(payer["2026-04"], "sponsor:s_csr");
  EXPECT_EQ(payer["2026-05"], "sponsor:s_csr");
  EXPECT_EQ(payer["2026-06"], "self");
  EXPECT_EQ(paid["2026-07"], 5'000);
  EXPECT_EQ(core_->account("p_1")->state, "active");
}

TEST_F(ContributionTest, ConstructionCoverageEndsWithTheProject) {
  auto o = opening("p_c");
  o.terms.category = "construction_worker";
  o.project_end_date = "2026-04-20";
  ASSERT_TRUE(core_->open_account("e_c", o));
  ASSERT_TRUE(core_->pay({"k", "p_c", "bank_va", "", "", Rupiah{12} * 16'800, 12, ""}));
  const auto statement = core_->statement("p_c");
  EXPECT_EQ(statement->dues.size(), 2u);  // March and April only
  EXPECT_EQ(statement->payments[0].unallocated, 10 * 16'800);
  EXPECT_TRUE(core_->coverage_at("p_c", "2026-04-20")->covered);
  EXPECT_FALSE(core_->coverage_at("p_c", "2026-04-21")->covered);
  ASSERT_TRUE(core_->run_billing("b5", "2026-05"));
  EXPECT_EQ(core_->account("p_c")->state, "closed");
}

TEST_F(ContributionTest, MovesAndExitsAreAnnouncedForCounting) {
  open("p_1");
  published();
  ASSERT_TRUE(core_->move_account("e_m", "p_1", "31.75.06.1005.009"));
  ASSERT_TRUE(core_->exit_account("e_x", "p_1", "death", "2026-03-20"));
  auto events = published(Envelope::kCoverageChanged);
  ASSERT_EQ(events.size(), 2u);
  const auto& moved = events[0].coverage_changed();
  EXPECT_EQ(moved.previous_rw_code(), "31.75.06.1005.002");
  EXPECT_EQ(moved.rw_code(), "31.75.06.1005.009");
  EXPECT_EQ(moved.from_state(), moved.to_state());
  EXPECT_EQ(events[1].coverage_changed().to_state(), "none");
  EXPECT_EQ(events[1].coverage_changed().reason(), "exited:death");
  EXPECT_EQ(core_->move_account("e_q", "p_unknown", "x").error().code, ErrorCode::kNotFound);
}

TEST_F(ContributionTest, CoverageAtAndArrearsLists) {
  open("p_1");
  open("p_2");
  ASSERT_TRUE(core_->run_billing("b3", "2026-03"));
  ASSERT_TRUE(core_->pay({"k", "p_1", "bank_va", "", "", 16'800, 1, ""}));
  ASSERT_TRUE(core_->run_billing("b4", "2026-04"));
  EXPECT_TRUE(core_->coverage_at("p_1", "2026-03-31")->covered);
  EXPECT_FALSE(core_->coverage_at("p_1", "2026-04-01")->covered);
  EXPECT_EQ(core_->coverage_at("p_2", "2026-03-15")->reason, "the month was not paid");
  EXPECT_FALSE(core_->coverage_at("p_1", "2026-02-28")->covered);
  EXPECT_EQ(core_->coverage_at("p_1", "2026-02-30").error().code, ErrorCode::kInvalidArgument);
  auto by_rw = core_->arrears("31.75.06.1005.002", "", Caller::kEveryAccount);
  ASSERT_EQ(by_rw->size(), 1u);
  EXPECT_EQ((*by_rw)[0].participant_id, "p_2");
  EXPECT_EQ((*by_rw)[0].oldest_unpaid_period, "2026-03");
  EXPECT_EQ(core_->arrears("", "a_1", Caller::kEveryAccount)->size(), 1u);
  EXPECT_EQ(core_->arrears("", "", Caller::kEveryAccount).error().code, ErrorCode::kInvalidArgument);
}

TEST_F(ContributionTest, AgentFeesAndBonus) {
  ASSERT_TRUE(core_->register_agent("e_a", "a_1", "Perisai Cakung", "pulogebang"));
  for (int i = 0; i < 50; ++i) open("p_" + std::to_string(i));
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(core_->pay(
        {"k" + std::to_string(i), "p_" + std::to_string(i), "agent_cash", "", "a_1", 16'800, 1, ""}));
  }
  auto report = core_->settlement("2026-03", Caller::kEveryAccount);
  ASSERT_TRUE(report);
  ASSERT_EQ(report->agents.size(), 1u);
  const auto& a = report->agents[0];
  EXPECT_EQ(a.collected, 168'000);
  EXPECT_EQ(a.fee, 12'600);                // 7.5%
  EXPECT_EQ(a.organisation_share, 1'260);  // 10% of the fee
  EXPECT_EQ(a.agent_share, 11'340);
  EXPECT_EQ(a.new_participants, 50);
  EXPECT_EQ(a.bonus, 500'000);
  EXPECT_EQ(report->organisations.at(0).organisation, "Perisai Cakung");
  EXPECT_EQ(report->organisations.at(0).share, 1'260);
}

// The agents' report counts each account an agent opened once, from a tally kept as accounts
// open (migration 12): a redelivered opening adds nothing, and accounts opened by branch staff
// (no agent) are nobody's.
TEST_F(ContributionTest, TheAgentsReportCountsEachAccountAnAgentOpenedOnce) {
  ASSERT_TRUE(core_->register_agent("e_a1", "a_1", "Perisai Cakung", "pulogebang"));
  ASSERT_TRUE(core_->register_agent("e_a2", "a_2", "Perisai Cakung", "pulogebang"));
  for (int i = 0; i < 3; ++i) open("p_a1_" + std::to_string(i));
  ASSERT_TRUE(core_->open_account("e_again", opening("p_a1_0")));  // the same account, announced again
  for (int i = 0; i < 2; ++i) {
    auto o = opening("p_a2_" + std::to_string(i));
    o.agent_id = "a_2";
    ASSERT_TRUE(core_->open_account("e_a2_" + std::to_string(i), o));
  }
  for (int i = 0; i < 5; ++i) {
    auto o = opening("p_staff_" + std::to_string(i));
    o.agent_id.clear();
    ASSERT_TRUE(core_->open_account("e_staff_" + std::to_string(i), o));
  }
  auto report = core_->settlement("2026-03", Caller::kEveryAccount);
  ASSERT_TRUE(report);
  std::map<std::string, std::int64_t> opened;
  for (const auto& a : report->agents) opened[a.agent_id] = a.new_participants;
  EXPECT_EQ(opened, (std::map<std::string, std::int64_t>{{"a_1", 3}, {"a_2", 2}}));
  // An agent's branch scope sees its own agents only.
  const auto branch = [](std::string code) {
    auth::Scope scope;
    scope.branches = {std::move(code)};
    return scope;
  };
  auto own_branch = core_->settlement("2026-03", branch("pulogebang"));
  ASSERT_TRUE(own_branch);
  EXPECT_EQ(own_branch->agents.size(), 2u);
  auto other_branch = core_->settlement("2026-03", branch("kemayoran"));
  ASSERT_TRUE(other_branch);
  EXPECT_TRUE(other_branch->agents.empty());
  auto next_month = core_->settlement("2026-04", Caller::kEveryAccount);
  ASSERT_TRUE(next_month);
  EXPECT_TRUE(next_month->agents.empty());
}

// A store that opened accounts before the tally existed starts it from them (migration 12).
TEST(ContributionMigrationTest, TheAgentsTallyStartsFromTheAccountsOpenedBeforeIt) {
  jaring::testing::TempDir dir("contribution-migration");
  const auto path = (dir.path() / "contribution.db").string();
  const auto all = SqliteStore::migrations();
  ASSERT_EQ(all.back().version, 12);
  {
    const std::vector<store::Migration> before(all.begin(), all.end() - 1);
    auto db = store::Database::open(path, before);
    for (const auto& [id, agent, month] : std::vector<std::array<std::string, 3>>{{"p_1", "a_1", "2026-02"},
                                                                                  {"p_2", "a_1", "2026-02"},
                                                                                  {"p_3", "a_1", "2026-03"},
                                                                                  {"p_4", "a_2", "2026-02"},
                                                                                  {"p_5", "", "2026-02"}}) {
      db->prepare(
            "INSERT INTO accounts (participant_id, rw_code, agent_id, branch_code, category, payer, "
            "programs, "
            "income_band, first_period, end_date, state, closed_reason, months_unpaid, outstanding, credit, "
            "opened_at, opened_month) VALUES (?, '31.75.06.1005.002', ?, 'pulogebang', 'pkk', 'self', "
            "'jkk+jkm', 1000000, 0, '', 'awaiting', '', 0, 0, 0, '', ?)")
          .bind(1, id)
          .bind(2, agent)
          .bind(3, month)
          .run();
    }
  }
  auto db = store::Database::open(path, all);
  FixedClock clock(testing::march_2026());
  SqliteStore store(*db, clock);
  std::map<std::string, std::int64_t> opened;
  for (const auto& a : store.agent_month("2026-02", auth::Scope::everything()))
    opened[a.agent_id] = a.new_participants;
  EXPECT_EQ(opened, (std::map<std::string, std::int64_t>{{"a_1", 2}, {"a_2", 1}}));
}

// ExportCoverage, for coverage's rebuild: refused while events wait in the outbox (the export
// would not match the bus), every account's state and RW once they are published.
TEST_F(ContributionTest, TheCoverageExportWaitsForTheOutboxThenListsEveryAccount) {
  open("p_1");
  open("p_2");
  open("p_3");
  std::vector<CoverageFact> facts;
  const auto sink = [&](const CoverageFact& f) {
    facts.push_back(f);
    return true;
  };
  auto refused = core_->export_coverage(sink);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(refused.error().message.find("not published yet"), std::string::npos) << refused.error().message;

  std::vector<std::int64_t> ids;
  for (const auto& m : store::outbox_fetch_unsent(*db_, 1000)) ids.push_back(m.id);
  store::outbox_remove_sent(*db_, ids);
  facts.clear();
  ASSERT_TRUE(core_->export_coverage(sink));
  ASSERT_EQ(facts.size(), 3u);
  EXPECT_EQ(facts[0].participant_id, "p_1");
  EXPECT_EQ(facts[2].participant_id, "p_3");
  EXPECT_EQ(facts[1].rw_code, "31.75.06.1005.002");
  EXPECT_EQ(facts[1].state, "awaiting");  // coverage's rebuild counts it apart from active
  // A client that goes away stops the stream; not an error.
  std::size_t seen = 0;
  ASSERT_TRUE(core_->export_coverage([&](const CoverageFact&) { return ++seen < 2; }));
  EXPECT_EQ(seen, 2u);
}

}  // namespace
}  // namespace jaring::contribution

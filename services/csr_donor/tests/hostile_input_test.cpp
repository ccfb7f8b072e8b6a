// Hostile input and money safety (issue #14) on the SQLite store: every mutating call (and the
// quote) refuses a field that is too long, carries control characters or a NIK, is negative,
// overflows, is missing or names an unknown code, with INVALID_ARGUMENT naming the field, and
// stores and publishes nothing; a deposit is at most wallet.max_deposit and never wraps a
// wallet's balance; a failing constraint of the store answers without SQL.
#include <gtest/gtest.h>

#include <functional>
#include <limits>

#include <fmt/format.h>

#include "csr_fixture.hpp"
#include "jaring/testing/sqlite.hpp"

namespace jaring::csr {
namespace {

using testing::staff;

constexpr Rupiah kInt64Max = std::numeric_limits<Rupiah>::max();

std::string longer(std::size_t chars) { return std::string(chars, 'x'); }

struct BadInput {
  std::string name;
  std::function<Error()> call;  // the refusal (a call that succeeds fails the test)
  std::string field;
};

// The error of a result expected to fail.
template <typename T>
Error refusal(const Result<T>& result) {
  EXPECT_FALSE(result);
  return result ? Error{} : result.error();
}

// No SQL, no SQLite words and no file names in what a caller is told.
void expect_no_internals(const Error& error) {
  std::string all = error.message;
  for (const auto& v : error.violations) all += " " + v.field + " " + v.rule;
  for (const char* internal : {"sqlite", "SQL", "INSERT", "UPDATE", "CHECK", "constraint", ".db"})
    EXPECT_EQ(all.find(internal), std::string::npos) << all;
}

class HostileInputTest : public testing::CsrFixture {
 protected:
  void SetUp() override {
    registered(worker("p_1"));
    registered(worker("p_2"));
    sponsor_ = sponsor("PT Maju", "csr_company", 1'000'000);
    auto cohort = core_.cohorts().create_cohort("cohort-1", spec(), staff("finance"));
    ASSERT_TRUE(cohort) << cohort.error().message;
    cohort_ = cohort->cohort.id;
    auto proposal = core_.proposals().submit_proposal(
        "prop-1", "31.75.06.1005", {{1, "p_2", std::nullopt, "pemulung"}}, "", staff("lurah"));
    ASSERT_TRUE(proposal) << proposal.error().message;
    proposal_ = proposal->id;
  }

  CohortSpec spec() const { return {sponsor_, "Pemulung 2026", "2026-04", 6, {"p_1"}, 0, {}, {}}; }

  // Everything a refused request might have written, and the outbox.
  std::string snapshot() {
    const auto count = [&](const char* table) {
      auto s = db_->prepare(fmt::format("SELECT count(*) FROM {}", table));
      s.step();
      return s.column_int(0);
    };
    auto balance = db_->prepare("SELECT group_concat(balance) FROM sponsors");
    balance.step();
    return fmt::format(
        "sponsors {} ({}), deposits {}, ledger {}, cohorts {}, memberships {}, proposals {}, outbox {}",
        count("sponsors"), balance.column_text(0), count("deposits"), count("ledger"), count("cohorts"),
        count("memberships"), count("proposals"), store::outbox_fetch_unsent(*db_, 100'000).size());
  }

  Error quote(const std::function<void(CohortSpec&)>& change) {
    auto s = spec();
    change(s);
    return refusal(core_.cohorts().quote_cohort(s, staff("finance")));
  }
  Error create(const std::function<void(CohortSpec&)>& change) {
    auto s = spec();
    s.participant_ids = {"p_2"};
    change(s);
    return refusal(core_.cohorts().create_cohort("cohort-2", s, staff("finance")));
  }
  Error submit(const std::function<void(std::vector<ProposalInput>&, std::string&, std::string&)>& change) {
    NewWorker w{"3172011505900001", "Budi",    "1990-05-15", "M", "0812", "31.75.06.1005.004", 3,
                "other_informal",   1'000'000, "",           ""};
    std::vector<ProposalInput> inputs{{1, "", w, "grave digger"}};
    std::string kelurahan = "31.75.06.1005";
    std::string note = "RW 4";
    change(inputs, kelurahan, note);
    return refusal(core_.proposals().submit_proposal("prop-2", kelurahan, inputs, note, staff("lurah")));
  }
  Error accept(const std::function<void(AcceptCommand&)>& change) {
    AcceptCommand c{"accept-1", proposal_, sponsor_, {"1"}, "", "Proposal RW 2", "2026-04", 6};
    change(c);
    return refusal(core_.proposals().accept(c, staff("finance")));
  }

  std::string sponsor_, cohort_, proposal_;
};

TEST_F(HostileInputTest, EveryMutatingCallRefusesBadFieldsNamingThemAndWritesNothing) {
  const std::string three_mb(std::size_t{3} * 1024 * 1024, 's');
  const std::string nik_in_text = "NIK 3172-0115-0590-0001 has no income";
  const auto by = staff("finance");
  const std::vector<BadInput> cases = {
      // CreateSponsor
      {"sponsor: name of 3 MB",
       [&] { return refusal(core_.wallets().create_sponsor("sp-x", three_mb, "csr_company", by)); }, "name"},
      {"sponsor: name with an escape sequence",
       [&] { return refusal(core_.wallets().create_sponsor("sp-x", "PT \x1b[2JMaju", "csr_company", by)); },
       "name"},
      {"sponsor: name missing",
       [&] { return refusal(core_.wallets().create_sponsor("sp-x", "", "csr_company", by)); }, "name"},
      {"sponsor: unknown kind",
       [&] { return refusal(core_.wallets().create_sponsor("sp-x", "PT Baru", "bank", by)); }, "kind"},
      {"sponsor: idempotency key with a newline",
       [&] { return refusal(core_.wallets().create_sponsor("sp\nx", "PT Baru", "csr_company", by)); },
       "idempotency_key"},
      {"sponsor: idempotency key missing",
       [&] { return refusal(core_.wallets().create_sponsor("", "PT Baru", "csr_company", by)); },
       "idempotency_key"},
      // Deposit
      {"deposit: negative",
       [&] { return refusal(core_.wallets().deposit("d-x", sponsor_, -5, "BCA 1", by)); }, "amount"},
      {"deposit: nothing", [&] { return refusal(core_.wallets().deposit("d-x", sponsor_, 0, "BCA 1", by)); },
       "amount"},
      {"deposit: INT64_MAX",
       [&] { return refusal(core_.wallets().deposit("d-x", sponsor_, kInt64Max, "BCA 1", by)); }, "amount"},
      {"deposit: above wallet.max_deposit",
       [&] { return refusal(core_.wallets().deposit("d-x", sponsor_, 100'000'000'001, "BCA 1", by)); },
       "amount"},
      {"deposit: reference of 3 MB",
       [&] { return refusal(core_.wallets().deposit("d-x", sponsor_, 5, three_mb, by)); }, "reference"},
      {"deposit: reference with CR LF",
       [&] { return refusal(core_.wallets().deposit("d-x", sponsor_, 5, "BCA 1\r\nPAID", by)); },
       "reference"},
      {"deposit: sponsor missing",
       [&] { return refusal(core_.wallets().deposit("d-x", "", 5, "BCA 1", by)); }, "sponsor_id"},
      {"deposit: sponsor id too long",
       [&] { return refusal(core_.wallets().deposit("d-x", longer(65), 5, "", by)); }, "sponsor_id"},
      {"deposit: idempotency key too long",
       [&] { return refusal(core_.wallets().deposit(longer(129), sponsor_, 5, "", by)); }, "idempotency_key"},
      // QuoteCohort
      {"quote: name too long", [&] { return quote([](auto& s) { s.name = longer(101); }); }, "name"},
      {"quote: name with a tab", [&] { return quote([](auto& s) { s.name = "Pemulung\t2026"; }); }, "name"},
      {"quote: negative months", [&] { return quote([](auto& s) { s.months = -1; }); }, "months"},
      {"quote: months beyond ten years", [&] { return quote([](auto& s) { s.months = 121; }); }, "months"},
      {"quote: negative max_members",
       [&] {
         return quote([](auto& s) {
           s.participant_ids.clear();
           s.max_members = -3;
           s.categories = {"scavenger"};
         });
       },
       "max_members"},
      {"quote: max_members INT32_MAX",
       [&] {
         return quote([](auto& s) {
           s.participant_ids.clear();
           s.max_members = std::numeric_limits<int>::max();
           s.categories = {"scavenger"};
         });
       },
       "max_members"},
      {"quote: too many participants",
       [&] { return quote([](auto& s) { s.participant_ids.assign(10'001, "p_1"); }); }, "participant_ids"},
      {"quote: participant id with a space",
       [&] { return quote([](auto& s) { s.participant_ids = {"p 1"}; }); }, "participant_ids[0]"},
      {"quote: unknown category",
       [&] {
         return quote([](auto& s) {
           s.participant_ids.clear();
           s.max_members = 5;
           s.categories = {"astronaut"};
         });
       },
       "categories[0]"},
      {"quote: not an RW code",
       [&] {
         return quote([](auto& s) {
           s.participant_ids.clear();
           s.max_members = 5;
           s.rw_codes = {"RW 2 Pulo Gebang"};
         });
       },
       "rw_codes[0]"},
      {"quote: sponsor missing", [&] { return quote([](auto& s) { s.sponsor_id.clear(); }); }, "sponsor_id"},
      {"quote: not a month", [&] { return quote([](auto& s) { s.start_period = "2026-13"; }); },
       "start_period"},
      // CreateCohort
      {"cohort: name of 3 MB", [&] { return create([&](auto& s) { s.name = three_mb; }); }, "name"},
      {"cohort: name with a bidi override",
       [&] { return create([](auto& s) { s.name = "Pemulung \u202E6202"; }); }, "name"},
      {"cohort: months INT32_MAX",
       [&] { return create([](auto& s) { s.months = std::numeric_limits<int>::max(); }); }, "months"},
      {"cohort: unknown participant code",
       [&] { return create([](auto& s) { s.participant_ids = {std::string("p_\0", 3)}; }); },
       "participant_ids[0]"},
      {"cohort: idempotency key missing",
       [&] { return refusal(core_.cohorts().create_cohort("", spec(), by)); }, "idempotency_key"},
      // EndCohort
      {"end: cohort id too long",
       [&] { return refusal(core_.cohorts().end_cohort("end-1", longer(65), "", by)); }, "cohort_id"},
      {"end: cohort id missing", [&] { return refusal(core_.cohorts().end_cohort("end-1", "", "", by)); },
       "cohort_id"},
      {"end: not a month", [&] { return refusal(core_.cohorts().end_cohort("end-1", cohort_, "June", by)); },
       "last_period"},
      {"end: idempotency key with control characters",
       [&] { return refusal(core_.cohorts().end_cohort("end\x7f", cohort_, "", by)); }, "idempotency_key"},
      // SubmitProposal
      {"proposal: note of 3 MB", [&] { return submit([&](auto&, auto&, auto& note) { note = three_mb; }); },
       "note"},
      {"proposal: NIK in the note",
       [&] { return submit([&](auto&, auto&, auto& note) { note = nik_in_text; }); }, "note"},
      {"proposal: too many items",
       [&] { return submit([](auto& items, auto&, auto&) { items.resize(5'001, items[0]); }); }, "items"},
      {"proposal: reason of 3 MB",
       [&] { return submit([&](auto& items, auto&, auto&) { items[0].reason = three_mb; }); },
       "items[0].reason"},
      {"proposal: reason with a NUL",
       [&] { return submit([](auto& items, auto&, auto&) { items[0].reason = std::string("a\0b", 3); }); },
       "items[0].reason"},
      {"proposal: NIK in a reason",
       [&] { return submit([&](auto& items, auto&, auto&) { items[0].reason = nik_in_text; }); },
       "items[0].reason"},
      {"proposal: negative row", [&] { return submit([](auto& items, auto&, auto&) { items[0].row = -1; }); },
       "items[0].row"},
      {"proposal: worker name with an escape",
       [&] { return submit([](auto& items, auto&, auto&) { items[0].worker->name = "Budi\x1b[0m"; }); },
       "items[0].worker.name"},
      {"proposal: worker name too long",
       [&] { return submit([](auto& items, auto&, auto&) { items[0].worker->name = longer(101); }); },
       "items[0].worker.name"},
      {"proposal: negative income",
       [&] { return submit([](auto& items, auto&, auto&) { items[0].worker->income_band = -1; }); },
       "items[0].worker.income_band"},
      {"proposal: negative RT",
       [&] { return submit([](auto& items, auto&, auto&) { items[0].worker->rt = -1; }); },
       "items[0].worker.rt"},
      {"proposal: NIK not 16 digits",
       [&] { return submit([](auto& items, auto&, auto&) { items[0].worker->nik = "3172-0115-0590-01"; }); },
       "items[0].worker.nik"},
      {"proposal: not a kelurahan code",
       [&] { return submit([](auto&, auto& kelurahan, auto&) { kelurahan = "31.75"; }); }, "kelurahan_code"},
      {"proposal: kelurahan missing",
       [&] { return submit([](auto&, auto& kelurahan, auto&) { kelurahan.clear(); }); }, "kelurahan_code"},
      // AcceptProposal
      {"accept: proposal missing", [&] { return accept([](auto& c) { c.proposal_id.clear(); }); },
       "proposal_id"},
      {"accept: item id too long", [&] { return accept([](auto& c) { c.item_ids = {longer(65)}; }); },
       "item_ids[0]"},
      {"accept: too many item ids", [&] { return accept([](auto& c) { c.item_ids.assign(5'001, "1"); }); },
       "item_ids"},
      {"accept: cohort name with a newline",
       [&] { return accept([](auto& c) { c.cohort_name = "Proposal\nRW 2"; }); }, "cohort_name"},
      {"accept: negative months", [&] { return accept([](auto& c) { c.months = -6; }); }, "months"},
      {"accept: sponsor id with a space", [&] { return accept([](auto& c) { c.sponsor_id = "s 1"; }); },
       "sponsor_id"},
      {"accept: cohort id too long", [&] { return accept([](auto& c) { c.cohort_id = longer(65); }); },
       "cohort_id"},
      // RejectProposalItems
      {"reject: reason of 3 MB",
       [&] { return refusal(core_.proposals().reject_items("rej-1", proposal_, {"1"}, three_mb, by)); },
       "reason"},
      {"reject: reason missing",
       [&] { return refusal(core_.proposals().reject_items("rej-1", proposal_, {"1"}, "", by)); }, "reason"},
      {"reject: NIK in the reason",
       [&] { return refusal(core_.proposals().reject_items("rej-1", proposal_, {"1"}, nik_in_text, by)); },
       "reason"},
      {"reject: ESC in the reason",
       [&] { return refusal(core_.proposals().reject_items("rej-1", proposal_, {"1"}, "no\x1b", by)); },
       "reason"},
      {"reject: too many item ids",
       [&] {
         return refusal(core_.proposals().reject_items("rej-1", proposal_,
                                                       std::vector<std::string>(5'001, "1"), "x", by));
       },
       "item_ids"},
      {"reject: proposal id too long",
       [&] { return refusal(core_.proposals().reject_items("rej-1", longer(65), {"1"}, "budget", by)); },
       "proposal_id"},
  };
  take_events();
  const auto before = snapshot();
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const auto error = c.call();
    EXPECT_EQ(error.code, ErrorCode::kInvalidArgument) << error.message;
    EXPECT_TRUE(
        std::ranges::any_of(error.violations, [&](const FieldViolation& v) { return v.field == c.field; }))
        << (error.violations.empty() ? error.message
                                     : error.violations.front().field + ": " + error.violations.front().rule);
    expect_no_internals(error);
    EXPECT_EQ(snapshot(), before);
  }
  EXPECT_TRUE(take_events().empty());
}

// Participants are written for every registration: no insert may build a temporary table.
TEST_F(HostileInputTest, NoTableBuildsATemporaryTableOnEachInsert) {
  EXPECT_EQ(jaring::testing::tables_with_temporary_tables_on_insert(*db_), std::vector<std::string>{});
}

TEST_F(HostileInputTest, AnInt64MaxDepositIsRefusedNamingTheAmountWithoutSql) {
  // Once answered with the SQL text of the failed statement.
  take_events();
  const auto before = snapshot();
  for (const char* key : {"max-1", "max-2"}) {
    SCOPED_TRACE(key);
    const auto error = refusal(core_.wallets().deposit(key, sponsor_, kInt64Max, "BCA 9", staff("finance")));
    EXPECT_EQ(error.code, ErrorCode::kInvalidArgument);
    ASSERT_EQ(error.violations.size(), 1u);
    EXPECT_EQ(error.violations[0].field, "amount");
    expect_no_internals(error);
  }
  EXPECT_EQ(snapshot(), before);
  EXPECT_EQ(core_.wallets().sponsor(sponsor_, testing::kEveryone)->sponsor.balance, 1'000'000);
  EXPECT_TRUE(take_events().empty());
}

TEST_F(HostileInputTest, ADepositThatWouldWrapTheBalanceIsRefusedEvenWithoutACeiling) {
  // With no practical ceiling, two INT64_MAX deposits: the second would wrap the balance.
  CsrDonor unbounded(store_, tariffs_, registrar_, Settings{2, kInt64Max}, clock_);
  const auto s = unbounded.wallets().create_sponsor("sp-big", "Dana Abadi", "philanthropy", staff("finance"));
  ASSERT_TRUE(s);
  ASSERT_TRUE(unbounded.wallets().deposit("big-1", s->sponsor.id, kInt64Max, "BCA 1", staff("finance")));
  take_events();
  const auto before = snapshot();
  const auto error =
      refusal(unbounded.wallets().deposit("big-2", s->sponsor.id, kInt64Max, "BCA 2", staff("finance")));
  EXPECT_EQ(error.code, ErrorCode::kInvalidArgument);
  ASSERT_EQ(error.violations.size(), 1u);
  EXPECT_EQ(error.violations[0].field, "amount");
  expect_no_internals(error);
  EXPECT_EQ(refusal(unbounded.wallets().deposit("big-3", s->sponsor.id, 1, "BCA 3", staff("finance")))
                .violations.at(0)
                .field,
            "amount");
  EXPECT_EQ(snapshot(), before);
  EXPECT_EQ(unbounded.wallets().sponsor(s->sponsor.id, testing::kEveryone)->sponsor.balance, kInt64Max);
  EXPECT_TRUE(take_events().empty());
}

// A rejection's reason is contribution's text, copied into the ledger and into csr-donor's own
// SponsorPaymentFailed. One that breaks the reason rule is not copied (a 3 MB reason once blocked
// an outbox; a NIK would travel on csr-donor's topic), and the wallet is refunded all the same.
TEST_F(HostileInputTest, ARejectionWithAnUnreadableReasonStillRefundsAndCopiesNoneOfIt) {
  constexpr Rupiah kMonth = 16'800;
  for (const char* period : {"2026-04", "2026-05"}) {
    ASSERT_EQ(*core_.projections().contribution_billed(
                  std::string("b-") + period, {"p_1", "31.75.06.1005.002", period, "a_1", kMonth, kMonth}),
              BillOutcome::kPaid);
  }
  const auto paid = core_.wallets().sponsor(sponsor_, testing::kEveryone)->sponsor.balance;
  take_events();
  const std::string huge_reason(std::size_t{3} * 1024 * 1024, 'x');
  const std::string nik_reason = "sudah dibayar oleh 3175 0641 0180 0001";
  ASSERT_TRUE(*core_.projections().payment_rejected(
      "r1", {sponsor_, "p_1:2026-04", "p_1", "2026-04", huge_reason, kMonth}));
  ASSERT_TRUE(*core_.projections().payment_rejected(
      "r2", {sponsor_, "p_1:2026-05", "p_1", "2026-05", nik_reason, kMonth}));
  EXPECT_EQ(core_.wallets().sponsor(sponsor_, testing::kEveryone)->sponsor.balance, paid + 2 * kMonth);
  const auto failed = of_type(take_events(), "SponsorPaymentFailed");
  ASSERT_EQ(failed.size(), 2u);
  for (const auto& e : failed) {
    EXPECT_EQ(e.sponsor_payment_failed().reason(),
              "rejected: contribution refused the payment (its reason was not readable)");
  }
  const auto lines = *core_.wallets().ledger(sponsor_, 2, testing::kEveryone);
  ASSERT_EQ(lines.size(), 2u);
  for (const auto& line : lines) {
    EXPECT_EQ(line.kind, "refund");
    EXPECT_EQ(line.note, "contribution refused the payment (its reason was not readable)");
  }
}

TEST_F(HostileInputTest, AFailingConstraintOfTheStoreNamesTheFieldWithoutSql) {
  // A negative balance written past the core's checks: the schema's CHECK constraint.
  auto done = store_.transact([&](Unit& unit) -> Result<void> {
    auto s = unit.sponsor(sponsor_);
    s->balance = -1;
    unit.save_sponsor(*s);
    return {};
  });
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().code, ErrorCode::kFailedPrecondition);
  ASSERT_EQ(done.error().violations.size(), 1u);
  EXPECT_EQ(done.error().violations[0].field, "amount");
  expect_no_internals(done.error());
  EXPECT_EQ(core_.wallets().sponsor(sponsor_, testing::kEveryone)->sponsor.balance, 1'000'000);
}

}  // namespace
}  // namespace jaring::csr

// Hostile input and money safety (issue #14) on the real SQLite store: every mutating step
// refuses a field that is too long, carries control characters or a NIK, is negative, overflows,
// is missing or names an unknown code, with INVALID_ARGUMENT naming the field, and stores and
// publishes nothing; benefits come from the income band in force on the event date, counted up
// to the top band, so a declared income of Rp1,000,000,000,000 or INT64_MAX pays what the top
// band pays; a failing constraint of the store answers without SQL.
#include <gtest/gtest.h>

#include <functional>
#include <limits>

#include <fmt/format.h>

#include "claims_fixture.hpp"
#include "jaring/testing/sqlite.hpp"

namespace jaring::claims {
namespace {

using testing::death_claim;

constexpr Rupiah kInt64Max = std::numeric_limits<Rupiah>::max();
// JKK death at the top band: 48 x Rp20,000,000 + Rp10,000,000 funeral + Rp12,000,000 periodic.
constexpr Rupiah kTopBandJkkDeath = 982'000'000;

std::string longer(std::size_t chars) { return std::string(chars, 'x'); }

struct BadInput {
  std::string name;
  std::function<Result<Claim>()> call;
  std::string field;
};

class HostileInputTest : public testing::ClaimsFixture {
 protected:
  void SetUp() override {
    participant("p_1");
    pay("p_1", "2020-01", "2026-03", "2020-01-10");
    auto filed = core_->file(death_claim("k_filed", "p_1", "jkm_death", "2026-03-10"), agent_, kEveryone);
    ASSERT_TRUE(filed) << filed.error().message;
    claim_ = filed->id;
  }

  // Everything a refused request might have written: claims, their parts and the outbox.
  std::string snapshot() {
    const auto count = [&](const char* table) {
      auto s = db_->prepare(fmt::format("SELECT count(*) FROM {}", table));
      s.step();
      return s.column_int(0);
    };
    return fmt::format("claims {}, history {}, documents received {}, family {}, children {}, outbox {}",
                       count("claims"), count("claim_history"), count("claim_documents WHERE received = 1"),
                       count("claim_family"), count("claim_children"),
                       store::outbox_fetch_unsent(*db_, 100'000).size());
  }

  // A filing that is fine but for what `change` does to it.
  Result<Claim> file(const std::function<void(FileCommand&)>& change) {
    auto c = death_claim("k_bad", "p_1", "jkm_death", "2026-03-10");
    change(c);
    return core_->file(c, agent_, kEveryone);
  }

  std::string claim_;
};

TEST_F(HostileInputTest, EveryMutatingStepRefusesBadFieldsNamingThemAndWritesNothing) {
  const std::string nik_in_text = "paid to NIK 3172 0145 0580 0002 in cash";
  const std::string three_mb(std::size_t{3} * 1024 * 1024, 'r');
  const std::vector<BadInput> cases = {
      // FileClaim
      {"file: name too long", [&] { return file([](auto& c) { c.claimant.name = longer(101); }); },
       "claimant.name"},
      {"file: name with an escape sequence",
       [&] { return file([](auto& c) { c.claimant.name = "Siti \x1b[31mAminah"; }); }, "claimant.name"},
      {"file: name missing", [&] { return file([](auto& c) { c.claimant.name.clear(); }); }, "claimant.name"},
      {"file: note of 3 MB", [&] { return file([&](auto& c) { c.note = three_mb; }); }, "note"},
      {"file: NUL in the note", [&] { return file([](auto& c) { c.note = std::string("a\0b", 3); }); },
       "note"},
      {"file: NIK in the note", [&] { return file([&](auto& c) { c.note = nik_in_text; }); }, "note"},
      {"file: family name with a newline",
       [&] { return file([](auto& c) { c.family[1].name = "Rina\nBudi"; }); }, "family[1].name"},
      {"file: too many family members",
       [&] { return file([](auto& c) {
               c.family.assign(21, {"child", true, "Rina"});
             }); }, "family"},
      {"file: unknown family relation",
       [&] { return file([](auto& c) { c.family[0].relation = "neighbour"; }); }, "family[0].relation"},
      {"file: idempotency key too long",
       [&] { return file([](auto& c) { c.idempotency_key = longer(129); }); }, "idempotency_key"},
      {"file: idempotency key with a newline",
       [&] { return file([](auto& c) { c.idempotency_key = "k\n1"; }); }, "idempotency_key"},
      {"file: idempotency key missing", [&] { return file([](auto& c) { c.idempotency_key.clear(); }); },
       "idempotency_key"},
      {"file: participant id too long", [&] { return file([](auto& c) { c.participant_id = longer(65); }); },
       "participant_id"},
      {"file: participant id missing", [&] { return file([](auto& c) { c.participant_id.clear(); }); },
       "participant_id"},
      {"file: agent id with control characters",
       [&] { return file([](auto& c) { c.agent_id = "a_1\r\n"; }); }, "agent_id"},
      {"file: unknown claim type", [&] { return file([](auto& c) { c.claim_type = "jkm_deathx"; }); },
       "claim_type"},
      {"file: unknown heir relation", [&] { return file([](auto& c) { c.claimant.relation = "friend"; }); },
       "claimant.relation"},
      {"file: phone with letters", [&] { return file([](auto& c) { c.claimant.phone = "0812-CALL-ME"; }); },
       "claimant.phone"},
      {"file: negative requested amount", [&] { return file([](auto& c) { c.requested_amount = -1; }); },
       "requested_amount"},
      {"file: requested amount INT64_MAX",
       [&] { return file([](auto& c) { c.requested_amount = kInt64Max; }); }, "requested_amount"},
      {"file: negative medical costs",
       [&] {
         return file([](auto& c) {
           c.claim_type = "jkk_medical";
           c.claimant.relation = "self";
           c.claimed_amount = -5;
         });
       },
       "claimed_amount"},
      {"file: medical costs INT64_MAX",
       [&] {
         return file([](auto& c) {
           c.claim_type = "jkk_medical";
           c.claimant.relation = "self";
           c.claimed_amount = kInt64Max;
         });
       },
       "claimed_amount"},
      {"file: negative incapacity months",
       [&] {
         return file([](auto& c) {
           c.claim_type = "jkk_temporary_incapacity";
           c.claimant.relation = "self";
           c.incapacity_months = -1;
         });
       },
       "incapacity_months"},
      {"file: too many children",
       [&] {
         return file([](auto& c) {
           c.claim_type = "scholarship";
           c.event_date.clear();
           c.death_claim_id = "c_x";
           c.scholarship_year = 2026;
           for (int i = 0; i < 11; ++i)
             c.children.push_back({fmt::format("Anak {}", i), "2015-01-01", "sd", 1});
         });
       },
       "children"},
      {"file: child's name with a bidi override",
       [&] {
         return file([](auto& c) {
           c.claim_type = "scholarship";
           c.event_date.clear();
           c.death_claim_id = "c_x";
           c.scholarship_year = 2026;
           c.children = {{"Rina \u202Eanir", "2015-01-01", "sd", 1}};
         });
       },
       "children[0].name"},
      // AttachDocuments
      {"documents: a code too long",
       [&] { return core_->attach_documents(claim_, {longer(65)}, agent_, kEveryone); }, "documents[0]"},
      {"documents: a code with a bell",
       [&] { return core_->attach_documents(claim_, {"ktp\a"}, agent_, kEveryone); }, "documents[0]"},
      {"documents: too many codes",
       [&] {
         return core_->attach_documents(claim_, std::vector<std::string>(21, "ktp_heir"), agent_, kEveryone);
       },
       "documents"},
      {"documents: none", [&] { return core_->attach_documents(claim_, {}, agent_, kEveryone); },
       "documents"},
      {"documents: unknown code",
       [&] { return core_->attach_documents(claim_, {"driving_licence"}, agent_, kEveryone); },
       "documents[0]"},
      {"documents: claim id missing",
       [&] { return core_->attach_documents("", {"ktp_heir"}, agent_, kEveryone); }, "claim_id"},
      // VerifyClaim
      {"verify: note too long", [&] { return core_->verify(claim_, 0, longer(2001), officer_, kEveryone); },
       "note"},
      {"verify: escape in the note",
       [&] { return core_->verify(claim_, 0, "ok\x1b]0;x", officer_, kEveryone); }, "note"},
      {"verify: claim id too long", [&] { return core_->verify(longer(65), 0, "", officer_, kEveryone); },
       "claim_id"},
      // ApproveClaim
      {"approve: note of 3 MB", [&] { return core_->approve(claim_, three_mb, approver_, kEveryone); },
       "note"},
      {"approve: NIK in the note", [&] { return core_->approve(claim_, nik_in_text, approver_, kEveryone); },
       "note"},
      {"approve: claim id missing", [&] { return core_->approve("", "", approver_, kEveryone); }, "claim_id"},
      // PayClaim
      {"pay: reference with a newline",
       [&] { return core_->pay(claim_, "pay-1", "TRF\n1", officer_, kEveryone); }, "reference"},
      {"pay: reference too long",
       [&] { return core_->pay(claim_, "pay-1", longer(65), officer_, kEveryone); }, "reference"},
      {"pay: idempotency key too long",
       [&] { return core_->pay(claim_, longer(129), "TRF-1", officer_, kEveryone); }, "idempotency_key"},
      {"pay: claim id with a NUL",
       [&] { return core_->pay(std::string("c_\0x", 4), "pay-1", "TRF-1", officer_, kEveryone); },
       "claim_id"},
      // RejectClaim
      {"reject: reason of 3 MB", [&] { return core_->reject(claim_, three_mb, approver_, kEveryone); },
       "reason"},
      {"reject: NUL in the reason",
       [&] { return core_->reject(claim_, std::string("no\0body", 7), approver_, kEveryone); }, "reason"},
      {"reject: NIK in the reason", [&] { return core_->reject(claim_, nik_in_text, approver_, kEveryone); },
       "reason"},
      {"reject: reason missing", [&] { return core_->reject(claim_, "", approver_, kEveryone); }, "reason"},
      {"reject: claim id too long", [&] { return core_->reject(longer(65), "fraud", approver_, kEveryone); },
       "claim_id"},
  };
  const auto before = snapshot();
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const auto result = c.call();
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, ErrorCode::kInvalidArgument) << result.error().message;
    ASSERT_FALSE(result.error().violations.empty()) << result.error().message;
    EXPECT_TRUE(std::ranges::any_of(result.error().violations,
                                    [&](const FieldViolation& v) { return v.field == c.field; }))
        << result.error().violations.front().field << ": " << result.error().violations.front().rule;
    EXPECT_EQ(snapshot(), before);
  }
  // Nothing was touched: the claim is still filed, with its one history line.
  const auto claim = core_->get(claim_, kEveryone);
  ASSERT_TRUE(claim);
  EXPECT_EQ(claim->status, "filed");
  EXPECT_EQ(claim->history.size(), 1u);
}

class IncomeTest : public testing::ClaimsFixture {
 protected:
  // A JKK death on 10 March 2026 of a participant who paid March only, with a declared income of
  // `band`, taken through to payment.
  Claim jkk_death_paid(Rupiah band) {
    participant("p_rich", "2026-03-01", band);
    pay("p_rich", "2026-03", "2026-03", "2026-03-01");
    auto filed = core_->file(death_claim("k_rich", "p_rich", "jkk_death", "2026-03-10"), agent_, kEveryone);
    EXPECT_TRUE(filed) << filed.error().message;
    if (!filed) return {};
    EXPECT_EQ(filed->status, "filed");
    EXPECT_TRUE(core_->attach_documents(filed->id, kDeathDocuments, agent_, kEveryone));
    EXPECT_TRUE(core_->verify(filed->id, 0, "", officer_, kEveryone));
    auto approved = core_->approve(filed->id, "", approver_, kEveryone);
    EXPECT_TRUE(approved) << approved.error().message;
    auto paid = core_->pay(filed->id, "pay-rich", "TRF-1", Actor{"treasurer.tono", "approver"}, kEveryone);
    EXPECT_TRUE(paid) << paid.error().message;
    return paid.value_or(Claim{});
  }
};

// The projection is written for every bill and payment: none of its inserts may
// build a temporary table. The claims table does (its status CHECK lists five values): a claim is
// filed a few times a day, and changing a CHECK means copying the table.
TEST_F(IncomeTest, OnlyTheClaimsTableBuildsATemporaryTableOnEachInsert) {
  EXPECT_EQ(jaring::testing::tables_with_temporary_tables_on_insert(*db_),
            std::vector<std::string>{"claims"});
}

TEST_F(IncomeTest, AnIncomeOfOneTrillionPaysWhatTheTopBandPays) {
  // Was Rp48,000,022,000,000, approved and paid.
  const auto claim = jkk_death_paid(1'000'000'000'000);
  EXPECT_EQ(claim.status, "paid");
  EXPECT_EQ(claim.total, kTopBandJkkDeath);
  ASSERT_FALSE(claim.lines.empty());
  EXPECT_EQ(claim.lines[0].amount, 960'000'000);
  EXPECT_NE(claim.lines[0].basis.find("the top band"), std::string::npos) << claim.lines[0].basis;
  const auto paid = outbox("ClaimPaid");
  ASSERT_EQ(paid.size(), 1u);
  EXPECT_EQ(paid[0].claim_paid().amount(), kTopBandJkkDeath);
}

TEST_F(IncomeTest, AnIncomeOfInt64MaxPaysWhatTheTopBandPays) {
  // Was a benefit of -48.
  const auto claim = jkk_death_paid(kInt64Max);
  EXPECT_EQ(claim.status, "paid");
  EXPECT_EQ(claim.total, kTopBandJkkDeath);
  for (const auto& line : claim.lines) EXPECT_GT(line.amount, 0) << line.component;
}

TEST_F(IncomeTest, TheBandInForceOnTheEventDateCountsNotTheLatest) {
  participant("p_1", "2020-01-10", 1'000'000);
  pay("p_1", "2020-01", "2026-03", "2020-01-10");
  // A raise declared on 12 March, after a death on 10 March and before one on 14 March, as
  // registration answers for them.
  auto& raised = registry_.participants["p_1"];
  raised.income_band = 5'000'000;
  raised.incomes = {{"2020-01-10", 1'000'000}, {"2026-03-12", 5'000'000}};
  auto before = core_->file(death_claim("k_10", "p_1", "jkk_death", "2026-03-10"), agent_, kEveryone);
  ASSERT_TRUE(before) << before.error().message;
  EXPECT_EQ(before->total, 70'000'000);  // 48 x 1,000,000 + 22,000,000
  ASSERT_TRUE(core_->reject(before->id, "filed for the wrong date", approver_, kEveryone));
  auto after = core_->file(death_claim("k_14", "p_1", "jkk_death", "2026-03-14"), agent_, kEveryone);
  ASSERT_TRUE(after) << after.error().message;
  EXPECT_EQ(after->total, 262'000'000);  // 48 x 5,000,000 + 22,000,000
}

TEST_F(IncomeTest, AFailingConstraintOfTheStoreNamesTheFieldWithoutSql) {
  participant("p_1");
  pay("p_1", "2020-01", "2026-03", "2020-01-10");
  auto filed = core_->file(death_claim("k_1", "p_1", "jkm_death", "2026-03-10"), agent_, kEveryone);
  ASSERT_TRUE(filed);
  // A negative total written past the core's checks: the schema's CHECK constraint.
  auto broken = *filed;
  broken.total = -1;
  auto done = store_.transact([&](Unit& unit) -> Result<void> {
    unit.save_claim(broken);
    return {};
  });
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().code, ErrorCode::kFailedPrecondition);
  ASSERT_EQ(done.error().violations.size(), 1u);
  EXPECT_EQ(done.error().violations[0].field, "total");
  EXPECT_EQ(core_->get(filed->id, kEveryone)->total, 42'000'000);
  for (const char* internal : {"sqlite", "SQL", "INSERT", "CHECK", ">="})
    EXPECT_EQ(done.error().message.find(internal), std::string::npos) << done.error().message;
}

}  // namespace
}  // namespace jaring::claims

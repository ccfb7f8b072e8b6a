// Who sees and touches what in csr-donor (DESIGN.md section 6), on the SQLite store: a sponsor
// only its own sponsor, filtered in the store's queries, with another sponsor's business
// answering as a missing one; area officials propose for their own areas only and read the
// proposals, cohorts and impact of their areas; the user a call is made for reaches the other
// services' adapters.
#include <gtest/gtest.h>

#include "csr_fixture.hpp"

namespace jaring::csr {
namespace {

using testing::kEveryone;
using testing::staff;

constexpr const char* kPuloGebang = "31.75.06.1005";
constexpr const char* kRwInPuloGebang = "31.75.06.1005.002";
constexpr const char* kRwElsewhere = "31.71.01.1001.001";  // Gambir, Jakarta Pusat

auth::Scope sponsor_scope(const std::string& sponsor_id) { return auth::Scope::of_sponsor(sponsor_id); }
auth::Scope area_scope(const std::string& area) { return auth::Scope::of_areas({area}); }

Actor as(std::string subject, auth::Scope scope) { return {std::move(subject), std::move(scope)}; }

class ScopeTest : public testing::CsrFixture {
 protected:
  void SetUp() override {
    registered(worker("p_1", kRwInPuloGebang));
    registered(worker("p_2", kRwElsewhere));
    registered(worker("p_3", kRwInPuloGebang));
    a_ = sponsor("PT Maju", "csr_company", 1'000'000);
    b_ = sponsor("Zakat Peduli", "philanthropy", 1'000'000);
  }

  std::string a_, b_;
};

TEST_F(ScopeTest, ASponsorSeesOnlyItsOwnSponsorAndTheOtherAnswersAsMissing) {
  const auto mine = sponsor_scope(a_);
  const auto listed = core_.wallets().sponsors(mine);
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->front().sponsor.id, a_);
  EXPECT_EQ(core_.wallets().sponsors(kEveryone)->size(), 2u);

  // Another sponsor's id answers exactly as an id that does not exist.
  const auto other = core_.wallets().sponsor(b_, mine);
  const auto missing = core_.wallets().sponsor("s_missing", mine);
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(other.error().message, "no sponsor " + b_);
  EXPECT_EQ(missing.error().message, "no sponsor s_missing");
  EXPECT_TRUE(core_.wallets().sponsor(a_, mine));
  EXPECT_EQ(core_.wallets().ledger(b_, 10, mine).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(core_.cohorts().cohorts(b_, mine).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(core_.impact().impact(b_, "2026-03", "2026-03", mine).error().code, ErrorCode::kNotFound);

  // Nor does it change another sponsor's wallet or cohorts.
  EXPECT_EQ(core_.wallets().deposit("d-b", b_, 5'000, "transfer", as("maju", mine)).error().code,
            ErrorCode::kNotFound);
  EXPECT_EQ(core_.wallets().sponsor(b_, kEveryone)->sponsor.balance, 1'000'000);
  const CohortSpec for_b{b_, "", "2026-03", 3, {"p_1"}, 0, {}, {}};
  EXPECT_EQ(core_.cohorts().quote_cohort(for_b, as("maju", mine)).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(core_.cohorts().create_cohort("c-b", for_b, as("maju", mine)).error().code, ErrorCode::kNotFound);
  auto b_cohort = core_.cohorts().create_cohort("c-b", for_b, as("zakat", sponsor_scope(b_)));
  ASSERT_TRUE(b_cohort) << b_cohort.error().message;
  const auto id = b_cohort->cohort.id;
  EXPECT_EQ(core_.cohorts().cohort(id, mine).error().message, "no cohort " + id);
  EXPECT_EQ(core_.cohorts().end_cohort("end-b", id, "", as("maju", mine)).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(core_.cohorts().cohort(id, kEveryone)->cohort.status, cohort_status::kActive);
  EXPECT_EQ(core_.cohorts().cohorts(b_, sponsor_scope(b_))->size(), 1u);
  EXPECT_TRUE(core_.cohorts().cohorts(a_, mine)->empty());

  // Funding the same worker is refused, without naming the other sponsor's cohort.
  const auto overlap =
      core_.cohorts().create_cohort("c-a", {a_, "", "2026-03", 3, {"p_1"}, 0, {}, {}}, as("maju", mine));
  ASSERT_FALSE(overlap);
  EXPECT_EQ(overlap.error().code, ErrorCode::kFailedPrecondition);
  ASSERT_EQ(overlap.error().violations.size(), 1u);
  EXPECT_NE(overlap.error().violations[0].rule.find("2026-03..2026-05 by another sponsor"), std::string::npos)
      << overlap.error().violations[0].rule;
  EXPECT_EQ(overlap.error().message.find(id), std::string::npos) << overlap.error().message;
}

TEST_F(ScopeTest, AreaOfficialsSeeTheDirectoryAndTheCohortsAndImpactOfTheirAreas) {
  ASSERT_TRUE(
      core_.cohorts().create_cohort("c-a", {a_, "", "2026-03", 3, {"p_1", "p_2"}, 0, {}, {}}, staff("maju")));
  ASSERT_TRUE(
      core_.cohorts().create_cohort("c-b", {b_, "", "2026-03", 3, {"p_3"}, 0, {}, {}}, staff("zakat")));
  ASSERT_EQ(*core_.projections().contribution_billed("bill-1",
                                                     {"p_1", kRwInPuloGebang, "2026-03", "", 16'800, 16'800}),
            BillOutcome::kPaid);
  ASSERT_EQ(*core_.projections().contribution_billed("bill-2",
                                                     {"p_2", kRwElsewhere, "2026-03", "", 16'800, 16'800}),
            BillOutcome::kPaid);

  // Elsewhere: the directory of sponsors, and none of their cohorts.
  const auto gambir = area_scope("31.71.01.1002");
  EXPECT_EQ(core_.wallets().sponsors(gambir)->size(), 2u);
  EXPECT_TRUE(core_.wallets().sponsor(a_, gambir));
  EXPECT_TRUE(core_.cohorts().cohorts(a_, gambir)->empty());

  // Pulo Gebang: sponsor A's cohort with its member there only; the impact there only.
  const auto lurah = area_scope(kPuloGebang);
  const auto cohorts = core_.cohorts().cohorts(a_, lurah);
  ASSERT_TRUE(cohorts);
  ASSERT_EQ(cohorts->size(), 1u);
  ASSERT_EQ(cohorts->front().members.size(), 1u);
  EXPECT_EQ(cohorts->front().members[0].participant_id, "p_1");
  EXPECT_EQ(core_.cohorts().cohort(cohorts->front().cohort.id, lurah)->members.size(), 1u);
  EXPECT_EQ(core_.cohorts().cohort(cohorts->front().cohort.id, gambir).error().code, ErrorCode::kNotFound);
  const auto everywhere = core_.impact().impact(a_, "2026-03", "2026-03", kEveryone);
  EXPECT_EQ(everywhere->workers_protected, 2);
  const auto here = core_.impact().impact(a_, "2026-03", "2026-03", lurah);
  ASSERT_TRUE(here) << here.error().message;
  EXPECT_EQ(here->workers_protected, 1);
  EXPECT_EQ(here->spent, 16'800);
  ASSERT_EQ(here->rws.size(), 1u);
  EXPECT_EQ(here->rws[0].rw_code, kRwInPuloGebang);
  // Nor do they reach a wallet.
  EXPECT_EQ(core_.wallets().ledger(a_, 10, lurah).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(core_.wallets().deposit("d", a_, 1, "", as("lurah", lurah)).error().code, ErrorCode::kNotFound);
}

TEST_F(ScopeTest, AnAreaOfficialProposesOnlyForItsAreasAndListsOnlyThoseProposals) {
  const auto lurah = as("lurah-pulogebang", area_scope(kPuloGebang));
  NewWorker here{"3172011505900001", "Budi",    "1990-05-15", "M", "0812", "31.75.06.1005.004", 3,
                 "other_informal",   1'000'000, "",           ""};
  auto there = here;
  there.nik = "3172011505900002";
  there.rw_code = kRwElsewhere;

  // Another kelurahan, or a new worker's RW outside the areas: refused, naming the field, and
  // registration is not asked.
  auto refused =
      core_.proposals().submit_proposal("p-x", "31.71.01.1001", {{1, "", here, "poor"}}, "", lurah);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(refused.error().violations.at(0).field, "kelurahan_code");
  refused = core_.proposals().submit_proposal("p-y", kPuloGebang,
                                              {{1, "", here, "poor"}, {2, "", there, "poor"}}, "", lurah);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kPermissionDenied);
  ASSERT_EQ(refused.error().violations.size(), 1u);
  EXPECT_EQ(refused.error().violations[0].field, "items[1].worker.rw_code");
  EXPECT_TRUE(registrar_.last_submitted_by.empty());

  // A known participant outside the areas is refused as an unknown one.
  auto mine = core_.proposals().submit_proposal(
      "p-1", kPuloGebang,
      {{1, "p_1", std::nullopt, "poor"}, {2, "p_2", std::nullopt, "poor"}, {3, "", here, "poor"}}, "", lurah);
  ASSERT_TRUE(mine) << mine.error().message;
  ASSERT_EQ(mine->items.size(), 2u);
  ASSERT_EQ(mine->refused.size(), 1u);
  EXPECT_EQ(mine->refused[0].reason, "p_2 is not a known participant");
  EXPECT_EQ(mine->submitted_by, "lurah-pulogebang");
  // Registration was asked for the user the proposal is made by.
  EXPECT_EQ(registrar_.last_submitted_by, "lurah-pulogebang");

  auto gambir = core_.proposals().submit_proposal("p-2", "31.71.01.1001", {{1, "p_2", std::nullopt, "poor"}},
                                                  "", as("lurah-gambir", area_scope("31.71.01.1001")));
  ASSERT_TRUE(gambir) << gambir.error().message;

  // Each lists its own, in the store's query; the other's is missing.
  const auto listed = core_.proposals().proposals("", "", lurah.scope);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->front().id, mine->id);
  EXPECT_TRUE(core_.proposals().proposals("31.71.01.1001", "", lurah.scope)->empty());
  EXPECT_EQ(core_.proposals().proposal(gambir->id, lurah.scope).error().message, "no proposal " + gambir->id);
  EXPECT_EQ(core_.proposals().proposals("", "", kEveryone)->size(), 2u);
  // A key replayed by someone who may not see its proposal learns nothing.
  EXPECT_EQ(core_.proposals()
                .submit_proposal("p-2", kPuloGebang, {{1, "p_1", std::nullopt, "poor"}}, "", lurah)
                .error()
                .code,
            ErrorCode::kNotFound);
}

TEST_F(ScopeTest, SponsorsSeeOpenProposalsAndTheirOwnDecisionsOnly) {
  auto p = core_.proposals().submit_proposal(
      "p-1", kPuloGebang, {{1, "p_1", std::nullopt, "poor"}, {2, "p_3", std::nullopt, "poor"}}, "",
      staff("lurah"));
  ASSERT_TRUE(p) << p.error().message;
  const auto maju = as("maju", sponsor_scope(a_));
  const auto zakat = as("zakat", sponsor_scope(b_));
  // Open: addressed to every sponsor.
  EXPECT_EQ(core_.proposals().proposals("", "", maju.scope)->size(), 1u);
  EXPECT_EQ(core_.proposals().proposals("", "", zakat.scope)->size(), 1u);

  // Accepting for another sponsor, or into another sponsor's cohort, finds nothing.
  EXPECT_EQ(core_.proposals().accept({"acc-x", p->id, b_, {"1"}, "", "x", "2026-03", 3}, maju).error().code,
            ErrorCode::kNotFound);
  auto b_cohort = core_.cohorts().create_cohort("c-b", {b_, "", "2026-06", 3, {"p_3"}, 0, {}, {}}, zakat);
  ASSERT_TRUE(b_cohort) << b_cohort.error().message;
  const auto into_b =
      core_.proposals().accept({"acc-y", p->id, a_, {"1"}, b_cohort->cohort.id, "", "", 0}, maju);
  ASSERT_FALSE(into_b);
  EXPECT_EQ(into_b.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(into_b.error().message, "no cohort " + b_cohort->cohort.id);

  // Zakat rejects item 2, Maju accepts item 1: decided. Each sees its own decision and the
  // other's without whose it is.
  ASSERT_TRUE(core_.proposals().reject_items("rej", p->id, {"2"}, "not our programme", zakat));
  auto accepted = core_.proposals().accept({"acc", p->id, a_, {"1"}, "", "Maju", "2026-03", 3}, maju);
  ASSERT_TRUE(accepted) << accepted.error().message;
  EXPECT_EQ(accepted->proposal.status(), "decided");
  const auto seen_by_maju = core_.proposals().proposal(p->id, maju.scope);
  ASSERT_TRUE(seen_by_maju);
  EXPECT_EQ(seen_by_maju->items[0].sponsor_id, a_);
  EXPECT_EQ(seen_by_maju->items[0].decided_by, "maju");
  EXPECT_EQ(seen_by_maju->items[1].status, item_status::kRejected);
  EXPECT_EQ(seen_by_maju->items[1].sponsor_id, "");
  EXPECT_EQ(seen_by_maju->items[1].decided_by, "");
  EXPECT_EQ(seen_by_maju->items[1].decision_reason, "");
  EXPECT_EQ(core_.proposals().proposal(p->id, zakat.scope)->items[1].decided_by, "zakat");
  EXPECT_EQ(core_.proposals().proposal(p->id, kEveryone)->items[1].sponsor_id, b_);

  // A third sponsor no longer sees the decided proposal, nor can it reject there.
  const auto third = sponsor_scope(sponsor("Bank Kota", "csr_company"));
  EXPECT_TRUE(core_.proposals().proposals("", "", third)->empty());
  EXPECT_EQ(core_.proposals().proposal(p->id, third).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(core_.proposals().reject_items("rej-3", p->id, {}, "no", as("kota", third)).error().code,
            ErrorCode::kNotFound);
}

TEST_F(ScopeTest, QuotesAskTheTariffsForTheCallingUser) {
  ASSERT_TRUE(core_.cohorts().quote_cohort({a_, "", "2026-03", 1, {"p_1"}, 0, {}, {}},
                                           as("siti", sponsor_scope(a_))));
  EXPECT_EQ(tariffs_.last_acting_for, "siti");
}

}  // namespace
}  // namespace jaring::csr

// Proposals alone, on fakes of the ports they reach (journal, sponsors, cohorts, memberships,
// participants, proposals), the tariff table and the registrar that refuses NIKs starting with
// "0": new workers are registered on submission, and sponsors decide items one by one.
#include <gtest/gtest.h>

#include "core/proposals.hpp"
#include "fakes.hpp"
#include "parts.hpp"

namespace jaring::csr {
namespace {

using namespace testing;

class ProposalsTest : public ::testing::Test {
 protected:
  ProposalsTest() {
    fake_.state.participants["p_1"] = worker("p_1");
    fake_.state.sponsors["s_1"] = wallet("s_1", 1'000'000);
  }

  static ProposalInput newcomer(std::int64_t row, const std::string& nik) {
    return {row, "",
            NewWorker{nik, "Budi", "1990-05-15", "M", "0812", kRw, 3, "scavenger", 1'000'000, "", ""},
            "pemulung tanpa penghasilan tetap"};
  }

  FixedClock clock_{mid_march_2026()};
  TableTariffs tariffs_;
  FakeRegistrar registrar_;
  FakeStore<ProposalUnit, MemoryJournal, MemorySponsors, MemoryCohorts, MemoryMemberships, MemoryParticipants,
            MemoryProposals>
      fake_;
  Proposals proposals_{fake_.transactions, tariffs_, registrar_, Settings{2}, clock_};
};

TEST_F(ProposalsTest, ItemsAreRegisteredOnSubmissionAndDecidedOneByOne) {
  const auto lurah = Actor{"lurah", auth::Scope::of_areas({"31.75.06.1005"})};
  auto p = proposals_.submit_proposal("sub-1", "31.75.06.1005",
                                      {{1, "p_1", std::nullopt, "janda lansia"},
                                       newcomer(2, "3175064101800001"),
                                       newcomer(3, "0175064101800001")},
                                      "RW 2", lurah);
  ASSERT_TRUE(p) << p.error().message;
  ASSERT_EQ(p->items.size(), 2u);
  EXPECT_EQ(p->items[0].participant_id, "p_1");
  EXPECT_EQ(p->items[1].participant_id, "p_new_3175064101800001");
  EXPECT_EQ(p->items[1].programs, "jkk+jkm");
  ASSERT_EQ(p->refused.size(), 1u);
  EXPECT_EQ(p->refused[0].row, 3);
  EXPECT_EQ(p->refused[0].reason, "nik: province code must be 11..94");
  EXPECT_EQ(registrar_.last_submitted_by, "lurah");
  EXPECT_EQ(p->status(), "open");

  // Item 1 into a new cohort of s_1; the worker joins at their own tariff.
  AcceptCommand accept{"acc-1", p->id, "s_1", {"1"}, "", "Maju 2026", "2026-04", 6};
  auto accepted = proposals_.accept(accept, officer_of("s_1"));
  ASSERT_TRUE(accepted) << accepted.error().message;
  EXPECT_EQ(accepted->proposal.items[0].status, item_status::kAccepted);
  EXPECT_EQ(accepted->proposal.items[0].cohort_id, accepted->cohort.cohort.id);
  EXPECT_EQ(accepted->proposal.items[1].status, item_status::kPending);
  EXPECT_EQ(accepted->cohort.budget.total, 6 * kMonth);
  ASSERT_EQ(fake_.state.memberships.size(), 1u);
  EXPECT_EQ(fake_.state.memberships[0].monthly, kMonth);
  EXPECT_EQ(fake_.state.memberships[0].to, month("2026-09"));
  ASSERT_EQ(published<CohortStarted>(fake_.state).size(), 1u);

  // Accepted again with the same key: the same answer, nothing joins twice.
  auto again = proposals_.accept(accept, officer_of("s_1"));
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->cohort.cohort.id, accepted->cohort.cohort.id);
  EXPECT_EQ(fake_.state.memberships.size(), 1u);
  // A decided item is not decided again.
  EXPECT_EQ(proposals_.reject_items("rej-0", p->id, {"1"}, "sudah", officer_of("s_1")).error().code,
            ErrorCode::kInvalidArgument);

  auto rejected = proposals_.reject_items("rej-1", p->id, {"2"}, "sudah dibayar APBD", officer_of("s_1"));
  ASSERT_TRUE(rejected) << rejected.error().message;
  EXPECT_EQ(rejected->items[1].status, item_status::kRejected);
  EXPECT_EQ(rejected->items[1].sponsor_id, "s_1");
  EXPECT_EQ(rejected->items[1].decision_reason, "sudah dibayar APBD");
  EXPECT_EQ(rejected->status(), "decided");
  EXPECT_EQ(proposals_.proposals("", "decided", lurah.scope)->size(), 1u);
}

TEST_F(ProposalsTest, AnAreaOfficialProposesOnlyForItsOwnAreas) {
  const auto other = Actor{"lurah", auth::Scope::of_areas({"31.75.06.1001"})};
  auto p =
      proposals_.submit_proposal("sub-1", "31.75.06.1005", {{1, "p_1", std::nullopt, "janda"}}, "", other);
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(p.error().violations.at(0).field, "kelurahan_code");
  EXPECT_TRUE(fake_.state.proposals.empty());
  EXPECT_EQ(registrar_.last_submitted_by, "");
}

}  // namespace
}  // namespace jaring::csr

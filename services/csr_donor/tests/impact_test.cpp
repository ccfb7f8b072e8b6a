// Impact figures alone, on fakes of the two ports they read (sponsors and what the money did)
// and of the sponsorship export: sums per sponsor and RW within the caller's scope, and an export
// refused while events wait in the outbox.
#include <gtest/gtest.h>

#include "core/impact.hpp"
#include "parts.hpp"

namespace jaring::csr {
namespace {

using namespace testing;

const std::string kOtherRw = "31.75.06.1005.007";

// The export's pages from a list; `backlog` events not yet published.
class ListExport final : public SponsorshipExport {
 public:
  std::vector<SponsorshipFact> sponsorships_page(const std::string& after, int limit) override {
    std::vector<SponsorshipFact> out;
    for (const auto& f : facts)
      if (f.participant_id > after && static_cast<int>(out.size()) < limit) out.push_back(f);
    return out;
  }
  std::int64_t unpublished() override { return backlog; }
  std::vector<SponsorshipFact> facts;
  std::int64_t backlog = 0;
};

class ImpactTest : public ::testing::Test {
 protected:
  ImpactTest() {
    auto& s = fake_.state;
    s.sponsors["s_1"] = wallet("s_1", 1'000'000);
    const auto paid = [&](const std::string& p, const std::string& rw, const char* period, Rupiah amount,
                          bool refunded = false) {
      const auto id = p + ":" + period;
      s.allocations[id] = {id, "s_1", "c_1", p, rw, month(period), amount, refunded, "2026-03-01T00:00:00Z"};
    };
    paid("p_1", kRw, "2026-03", kMonth);
    paid("p_1", kRw, "2026-04", kMonth);
    paid("p_2", kOtherRw, "2026-04", kDearer);
    paid("p_2", kOtherRw, "2026-05", kDearer, true);  // refunded: spent nothing
    paid("p_2", kOtherRw, "2026-07", kDearer);        // after the range
    s.claims["cl_1"] = {"cl_1", "p_1", "s_1", "c_1", kRw, "jkm_death", "2026-04-10", 42'000'000};
    s.failures.push_back(
        {"p_2", "s_1", "c_1", kOtherRw, month("2026-05"), kDearer, 0, "", "insufficient_funds"});
  }

  FakeStore<ImpactUnit, MemorySponsors, MemoryImpact> fake_;
  ListExport export_;
  ImpactReports reports_{fake_.transactions, export_};
};

TEST_F(ImpactTest, FiguresSumWhatWasPaidAndClaimedPerRw) {
  auto impact = reports_.impact("s_1", "2026-03", "2026-06", kEveryone);
  ASSERT_TRUE(impact) << impact.error().message;
  EXPECT_EQ(impact->sponsor_name, "PT s_1");
  EXPECT_EQ(impact->workers_protected, 2);
  EXPECT_EQ(impact->months_funded, 3);
  EXPECT_EQ(impact->spent, 2 * kMonth + kDearer);
  EXPECT_EQ(impact->rws_reached, 2);
  EXPECT_EQ(impact->claims_paid, 1);
  EXPECT_EQ(impact->claims_amount, 42'000'000);
  EXPECT_EQ(impact->payments_failed, 1);
  ASSERT_EQ(impact->rws.size(), 2u);
  EXPECT_EQ(impact->rws[0].rw_code, kRw);
  EXPECT_EQ(impact->rws[0].workers, 1);
  EXPECT_EQ(impact->rws[0].months_funded, 2);
  EXPECT_EQ(impact->rws[0].claims_paid, 1);

  // An area official of the other RW sees that RW's figures only.
  auto theirs = reports_.impact("s_1", "2026-03", "2026-06", auth::Scope::of_areas({kOtherRw}));
  ASSERT_TRUE(theirs) << theirs.error().message;
  EXPECT_EQ(theirs->spent, kDearer);
  EXPECT_EQ(theirs->claims_paid, 0);
  ASSERT_EQ(theirs->rws.size(), 1u);
  EXPECT_EQ(theirs->rws[0].rw_code, kOtherRw);
  // Another sponsor's figures answer as a missing sponsor.
  EXPECT_EQ(reports_.impact("s_1", "2026-03", "2026-06", officer_of("s_2").scope).error().code,
            ErrorCode::kNotFound);
  EXPECT_EQ(reports_.impact("s_1", "2026-06", "2026-03", kEveryone).error().code,
            ErrorCode::kInvalidArgument);
}

TEST_F(ImpactTest, TheExportIsRefusedWhileEventsWaitToBePublished) {
  export_.facts = {{"p_1", kRw, "s_1", "c_1"}, {"p_2", kOtherRw, "s_1", "c_1"}};
  export_.backlog = 1;
  std::vector<std::string> seen;
  const auto sink = [&](const SponsorshipFact& f) {
    seen.push_back(f.participant_id);
    return true;
  };
  auto refused = reports_.export_sponsorships(sink);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kUnavailable);
  EXPECT_TRUE(seen.empty());
  export_.backlog = 0;
  ASSERT_TRUE(reports_.export_sponsorships(sink));
  EXPECT_EQ(seen, (std::vector<std::string>{"p_1", "p_2"}));
}

}  // namespace
}  // namespace jaring::csr

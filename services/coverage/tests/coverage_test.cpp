#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <map>
#include <set>
#include <string>

#include "core/coverage.hpp"

namespace jaring::coverage {
namespace {

TEST(Plan, RwCreatedDeclaresTheRwWithItsTarget) {
  auto ops = plan(RwCreated{"31.75.06.1005.002", "31.75.06.1005", 120});
  ASSERT_TRUE(ops);
  ASSERT_EQ(ops->size(), 1u);
  EXPECT_EQ((*ops)[0].kind, CounterOp::Kind::kDeclareRw);
  EXPECT_EQ((*ops)[0].amount, 120);
}

TEST(Plan, RegistrationCountsOneRegisteredWorker) {
  auto ops = plan(ParticipantRegistered{"p_1", "31.75.06.1005.002", false});
  ASSERT_TRUE(ops);
  ASSERT_EQ(ops->size(), 2u);
  EXPECT_EQ((*ops)[0].field, "registered");
  EXPECT_EQ((*ops)[0].amount, 1);
}

const AreaIndex& index() {
  static const AreaIndex areas(areas::Registry::jakarta(), areas::BranchMap::jakarta());
  return areas;
}

TEST(Plan, RegistrationAlsoCountsTheEverRegisteredTotal) {
  auto ops = plan(ParticipantRegistered{"p_1", "31.75.06.1005.002", false});
  ASSERT_TRUE(ops);
  ASSERT_EQ(ops->size(), 2u);
  EXPECT_EQ((*ops)[1].field, "registrations");
}

TEST(Plan, AMoveTakesOneFromTheOldRwAndGivesItToTheNew) {
  auto ops = plan(ParticipantMoved{"p_1", "31.75.06.1005.002", "31.75.06.1001.004"});
  ASSERT_TRUE(ops);
  ASSERT_EQ(ops->size(), 2u);
  EXPECT_EQ((*ops)[0].rw_code, "31.75.06.1005.002");
  EXPECT_EQ((*ops)[0].amount, -1);
  EXPECT_EQ((*ops)[1].rw_code, "31.75.06.1001.004");
  EXPECT_EQ((*ops)[1].amount, 1);
  EXPECT_TRUE(plan(ParticipantMoved{"p_1", "31.75.06.1005.002", "31.75.06.1005.002"})->empty());
  EXPECT_EQ(plan(ParticipantMoved{"p_1", "x", "31.75.06.1005.002"}).error().violations.at(0).field,
            "from_rw_code");
}

TEST(Plan, AnExitTakesOneRegisteredAway) {
  auto ops = plan(ParticipantExited{"p_1", "31.75.06.1005.002"});
  ASSERT_TRUE(ops);
  ASSERT_EQ(ops->size(), 1u);
  EXPECT_EQ((*ops)[0].field, "registered");
  EXPECT_EQ((*ops)[0].amount, -1);
}

TEST(Plan, AnRwUpdateSetsTheTargetAndWhetherItCounts) {
  auto ops = plan(RwUpdated{"31.75.06.1005.002", "31.75.06.1005", 150, false});
  ASSERT_TRUE(ops);
  ASSERT_EQ(ops->size(), 2u);
  EXPECT_EQ((*ops)[0].amount, 150);
  EXPECT_EQ((*ops)[1].kind, CounterOp::Kind::kSet);
  EXPECT_EQ((*ops)[1].field, "active_rw");
  EXPECT_EQ((*ops)[1].amount, 0);
}

TEST(Plan, CoverageChangesMoveOneWorkerBetweenStateCounters) {
  auto opened = plan(CoverageChanged{"p", "31.75.06.1005.002", "", "none", "active"});
  ASSERT_TRUE(opened);
  ASSERT_EQ(opened->size(), 1u);
  EXPECT_EQ((*opened)[0].field, "active");
  auto late = plan(CoverageChanged{"p", "31.75.06.1005.002", "", "active", "arrears"});
  ASSERT_TRUE(late);
  ASSERT_EQ(late->size(), 2u);
  EXPECT_EQ((*late)[0].field, "active");
  EXPECT_EQ((*late)[0].amount, -1);
  EXPECT_EQ((*late)[1].field, "arrears");
  auto moved = plan(CoverageChanged{"p", "31.75.06.1001.001", "31.75.06.1005.002", "active", "active"});
  ASSERT_TRUE(moved);
  EXPECT_EQ((*moved)[0].rw_code, "31.75.06.1005.002");
  EXPECT_EQ((*moved)[1].rw_code, "31.75.06.1001.001");
  EXPECT_EQ(
      plan(CoverageChanged{"p", "31.75.06.1005.002", "", "active", "sleepy"}).error().violations.at(0).field,
      "to_state");
}

// Registered but never paid: counted in `awaiting`, and into `active` only with the first payment.
TEST(Plan, AWorkerAwaitingTheFirstPaymentIsNotCountedActive) {
  auto opened = plan(CoverageChanged{"p", "31.75.06.1005.002", "", "none", "awaiting"});
  ASSERT_TRUE(opened) << opened.error().message;
  ASSERT_EQ(opened->size(), 1u);
  EXPECT_EQ((*opened)[0].field, "awaiting");
  EXPECT_EQ((*opened)[0].amount, 1);
  auto paid = plan(CoverageChanged{"p", "31.75.06.1005.002", "", "awaiting", "active"});
  ASSERT_TRUE(paid);
  ASSERT_EQ(paid->size(), 2u);
  EXPECT_EQ((*paid)[0].field, "awaiting");
  EXPECT_EQ((*paid)[0].amount, -1);
  EXPECT_EQ((*paid)[1].field, "active");
  EXPECT_EQ((*paid)[1].amount, 1);
}

// Registration's events since counted_awaiting count the new worker awaiting themselves (the
// account contribution opens announces nothing); older ones leave it to contribution's event.
TEST(Plan, ARegistrationCountedAwaitingCountsTheWorkerAwaiting) {
  auto counted = plan(ParticipantRegistered{"p_1", "31.75.06.1005.002", true});
  ASSERT_TRUE(counted);
  ASSERT_EQ(counted->size(), 3u);
  EXPECT_EQ((*counted)[2], (CounterOp{CounterOp::Kind::kIncrement, "31.75.06.1005.002", "awaiting", 1}));
  auto older = plan(ParticipantRegistered{"p_1", "31.75.06.1005.002", false});
  ASSERT_TRUE(older);
  for (const auto& op : *older) EXPECT_NE(op.field, "awaiting");
}

TEST(Plan, ClaimsAndSponsorshipsMoveTheirCounters) {
  auto paid = plan(ClaimPaid{"31.75.06.1005.002", 42'000'000});
  ASSERT_TRUE(paid);
  EXPECT_EQ((*paid)[1].field, "claims_paid_rupiah");
  EXPECT_EQ((*paid)[1].amount, 42'000'000);
  EXPECT_FALSE(plan(ClaimPaid{"31.75.06.1005.002", 0}));
  // An amount no claim can have would overflow the RW's rupiah counter: refused, so dead-lettered.
  EXPECT_TRUE(plan(ClaimPaid{"31.75.06.1005.002", kMaxClaimRupiah}));
  const auto huge = plan(ClaimPaid{"31.75.06.1005.002", std::numeric_limits<std::int64_t>::max()});
  ASSERT_FALSE(huge);
  EXPECT_EQ(huge.error().violations.at(0).field, "amount_rupiah");
  const std::string here = "31.75.06.1005.002", there = "31.75.06.1001.001";
  const auto joined = plan(SponsorshipChanged{here, "", false, true});
  ASSERT_TRUE(joined);
  ASSERT_EQ(joined->size(), 1u);
  EXPECT_EQ((*joined)[0].field, "sponsored");
  EXPECT_EQ((*joined)[0].amount, 1);
  const auto left = plan(SponsorshipChanged{here, "", true, false});
  ASSERT_EQ(left->size(), 1u);
  EXPECT_EQ((*left)[0].amount, -1);
  // A sponsored worker who moved leaves one RW's count and joins the other's.
  const auto moved = plan(SponsorshipChanged{there, here, true, true});
  ASSERT_EQ(moved->size(), 2u);
  EXPECT_EQ((*moved)[0].rw_code, here);
  EXPECT_EQ((*moved)[0].amount, -1);
  EXPECT_EQ((*moved)[1].rw_code, there);
  EXPECT_EQ((*moved)[1].amount, 1);
  EXPECT_TRUE(plan(SponsorshipChanged{here, "", false, false})->empty());
  EXPECT_EQ(plan(SponsorshipChanged{here, "RW 2", true, true}).error().violations.at(0).field,
            "previous_rw_code");
}

TEST(Plan, EventsWithBadRwCodesCannotBeApplied) {
  EXPECT_FALSE(plan(ParticipantRegistered{"p_1", "RW 2", true}));
  EXPECT_FALSE(plan(RwCreated{"31.75.06.1005.002", "31.75.06.1006", 100}));
  EXPECT_FALSE(plan(RwCreated{"31.75.06.1005.002", "31.75.06.1005", 0}));
}

class FakeReader final : public CounterReader {
 public:
  Result<std::optional<RwCoverage>> rw(const std::string& code) override {
    auto it = rws.find(code);
    if (it == rws.end()) return std::optional<RwCoverage>{};
    return std::optional<RwCoverage>{it->second};
  }
  Result<std::vector<RwCoverage>> rws_of_kelurahan(const std::string& code) override {
    std::vector<RwCoverage> out;
    for (const auto& [_, rw] : rws) {
      if (rw.kelurahan_code == code) out.push_back(rw);
    }
    std::reverse(out.begin(), out.end());  // the store gives no order
    return out;
  }
  Result<std::vector<RwCoverage>> rws_of_kelurahans(const std::vector<std::string>& codes) override {
    std::vector<RwCoverage> out;
    for (const auto& code : codes) {
      auto some = rws_of_kelurahan(code);
      out.insert(out.end(), some->begin(), some->end());
    }
    return out;
  }
  Result<std::vector<std::string>> kelurahans() override {
    std::set<std::string> out;
    for (const auto& [_, rw] : rws) out.insert(rw.kelurahan_code);
    return std::vector<std::string>(out.begin(), out.end());
  }
  void add(const std::string& code, int target, Counters counters, bool active = true) {
    rws[code] = {code, code.substr(0, 13), target, active, counters};
  }
  std::map<std::string, RwCoverage> rws;
};

// Every counter is found by its stored name, and sums and differences go field by field.
TEST(Counters, EachNameIsItsOwnCounterAndArithmeticGoesFieldByField) {
  Counters c;
  c.registered = 1;
  c.active = 2;
  c.arrears = 3;
  c.lapsed = 4;
  c.sponsored = 5;
  c.claims_paid = 6;
  c.claims_paid_rupiah = 7;
  c.registrations = 8;
  c.awaiting = 9;
  const std::map<std::string, std::int64_t> by_name{{"registered", 1},
                                                    {"active", 2},
                                                    {"arrears", 3},
                                                    {"lapsed", 4},
                                                    {"sponsored", 5},
                                                    {"claims_paid", 6},
                                                    {"claims_paid_rupiah", 7},
                                                    {"registrations", 8},
                                                    {"awaiting", 9}};
  ASSERT_EQ(std::size(kCounterFields), by_name.size());
  for (const char* name : kCounterFields) {
    ASSERT_NE(field_of(c, name), nullptr) << name;
    EXPECT_EQ(*field_of(c, name), by_name.at(name)) << name;
  }
  EXPECT_EQ(field_of(c, "target"), nullptr);
  Counters twice = c;
  twice += c;
  for (const char* name : kCounterFields) EXPECT_EQ(*field_of(twice, name), 2 * by_name.at(name)) << name;
  EXPECT_EQ(twice - c, c);
}

TEST(Queries, KelurahanSumsItsRwsAndCountsThoseAtTarget) {
  FakeReader reader;
  reader.add("31.75.06.1005.001", 100, {.registered = 120, .active = 100});
  reader.add("31.75.06.1005.002", 100, {.registered = 40, .active = 30});
  reader.add("31.75.06.1005.003", 20, {.registered = 25, .active = 21});
  Queries queries(reader, index());
  auto k = queries.kelurahan("31.75.06.1005");
  ASSERT_TRUE(k);
  ASSERT_EQ(k->rws.size(), 3u);
  EXPECT_EQ(k->rws[0].rw_code, "31.75.06.1005.001");
  EXPECT_EQ(k->totals.registered, 185);
  EXPECT_EQ(k->totals.active, 151);
  EXPECT_EQ(k->rws_at_target, 2);
}

TEST(Queries, NameTheBadFieldOrTheMissingRw) {
  FakeReader reader;
  Queries queries(reader, index());
  EXPECT_EQ(queries.rw("x").error().violations.at(0).field, "rw_code");
  EXPECT_EQ(queries.rw("31.75.06.1005.009").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(queries.kelurahan("31.75.06").error().violations.at(0).field, "kelurahan_code");
}

TEST(Queries, AreasRollUpToTheirChildrenAndBranches) {
  FakeReader reader;
  reader.add("31.75.06.1005.001", 100, {.registered = 120, .active = 100});
  reader.add("31.75.06.1001.001", 100, {.registered = 40, .active = 30});
  reader.add("31.75.01.1001.001", 100, {.registered = 7, .active = 1});
  reader.add("31.75.01.1001.002", 100, {.registered = 500, .active = 500}, false);  // deactivated
  Queries queries(reader, index());
  auto kota = queries.area("31.75");
  ASSERT_TRUE(kota) << kota.error().message;
  EXPECT_EQ(kota->summary.level, AreaLevel::kKota);
  EXPECT_EQ(kota->summary.totals.registered, 667);
  EXPECT_EQ(kota->summary.rw_count, 3);
  EXPECT_EQ(kota->summary.rws_at_target, 1);
  ASSERT_EQ(kota->children.size(), 2u);
  EXPECT_EQ(kota->children[0].code, "31.75.01");
  EXPECT_EQ(kota->children[1].code, "31.75.06");
  EXPECT_EQ(kota->children[1].totals.registered, 160);
  EXPECT_FALSE(kota->children[1].name.empty());
  auto kelurahan = queries.area("31.75.06.1005");
  ASSERT_TRUE(kelurahan);
  EXPECT_EQ(kelurahan->rws.size(), 1u);
  auto branch = queries.area("pulogebang");  // Cakung (31.75.06) is served by Pulogebang
  ASSERT_TRUE(branch) << branch.error().message;
  EXPECT_EQ(branch->summary.level, AreaLevel::kBranch);
  EXPECT_EQ(branch->summary.totals.registered, 160);
  EXPECT_EQ(queries.area("nowhere").error().violations.at(0).field, "area_code");
  auto branches = queries.branches();
  ASSERT_TRUE(branches);
  std::int64_t all = 0;
  for (const auto& b : *branches) all += b.totals.registered;
  EXPECT_EQ(all, 667);
}

TEST(Ranked, MostProtectedFirstThenRegisteredLeavingOutDeactivatedRws) {
  std::vector<RwCoverage> rws{
      {"31.75.06.1005.001", "31.75.06.1005", 100, true, {.registered = 10}},
      {"31.75.06.1005.002", "31.75.06.1005", 50, true, {.registered = 60, .active = 50}},
      {"31.75.06.1005.003", "31.75.06.1005", 100, true, {.registered = 90}},
      {"31.75.06.1005.004", "31.75.06.1005", 100, false, {.registered = 99}}};
  const auto order = ranked(rws);
  ASSERT_EQ(order.size(), 3u);
  EXPECT_EQ(order[0].rw_code, "31.75.06.1005.002");
  EXPECT_EQ(order[1].rw_code, "31.75.06.1005.003");
  EXPECT_EQ(order[2].rw_code, "31.75.06.1005.001");
}

}  // namespace
}  // namespace jaring::coverage

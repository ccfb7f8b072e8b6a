#include <gtest/gtest.h>

#include <map>

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
  auto ops = plan(ParticipantRegistered{"p_1", "31.75.06.1005.002"});
  ASSERT_TRUE(ops);
  ASSERT_EQ(ops->size(), 1u);
  EXPECT_EQ((*ops)[0].field, "registered");
  EXPECT_EQ((*ops)[0].amount, 1);
}

TEST(Plan, EventsWithBadRwCodesCannotBeApplied) {
  EXPECT_FALSE(plan(ParticipantRegistered{"p_1", "RW 2"}));
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
  Result<std::vector<std::string>> kelurahans() override { return std::vector<std::string>{"31.75.06.1005"}; }
  std::map<std::string, RwCoverage> rws;
};

TEST(Queries, KelurahanSumsItsRwsAndCountsThoseAtTarget) {
  FakeReader reader;
  reader.rws["31.75.06.1005.001"] = {
      "31.75.06.1005.001", "31.75.06.1005", 100, {.registered = 120, .active = 100}};
  reader.rws["31.75.06.1005.002"] = {
      "31.75.06.1005.002", "31.75.06.1005", 100, {.registered = 40, .active = 30}};
  reader.rws["31.75.06.1005.003"] = {
      "31.75.06.1005.003", "31.75.06.1005", 20, {.registered = 25, .active = 21}};
  Queries queries(reader, areas::Registry::jakarta());
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
  Queries queries(reader, areas::Registry::jakarta());
  EXPECT_EQ(queries.rw("x").error().violations.at(0).field, "rw_code");
  EXPECT_EQ(queries.rw("31.75.06.1005.009").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(queries.kelurahan("31.75.06").error().violations.at(0).field, "kelurahan_code");
}

}  // namespace
}  // namespace jaring::coverage

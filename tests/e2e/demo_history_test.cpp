// End to end for issue 16's demo: on a stack whose test clock starts on the first day of the
// month a year ago (what `make up TEST_CLOCK=1` starts), `jaringctl demo --history-months 12`
// builds a year of history through the public APIs and leaves the clock at the wall clock's
// now: coverage took the M&E snapshot of every quarter and semester that ended in that year,
// once each, the first and the last compare (workers came in waves), and the trend has a point
// in each of the thirteen months; the months were billed by the calendar, so the workers who
// stopped paying lapsed by themselves.
#include <gtest/gtest.h>

#include <set>
#include <thread>

#include <fmt/format.h>

#include "jaring/common/clock.hpp"
#include "jaring/common/period.hpp"
#include "jaring/coverage/v1/coverage.grpc.pb.h"
#include "jaring/testing/fixtures.hpp"
#include "stack_test.hpp"

namespace jaring {
namespace {

namespace cov = coverage::v1;

constexpr int kMonths = 12;

class DemoHistoryE2e : public e2e::StackTest {
 protected:
  DemoHistoryE2e() : StackTest("jaring-demo-history-e2e", {}, /*test_clock=*/true) {}

  void SetUp() override {
    move_clock(first_.str() + "-01T08:00:00+07:00");
    StackTest::SetUp();
    stack_->write_state();  // endpoints.json, which jaringctl reads
  }

  const Period first_ = Period::jakarta(std::chrono::system_clock::now()).next(-kMonths);
};

TEST_F(DemoHistoryE2e, AYearOfHistoryHasItsQuartersAndATrendPointEachMonth) {
  const auto [code, out] =
      e2e::run(fmt::format("'{}' --endpoints '{}' demo --workers 300 --history-months {}",
                           (testing::bin_dir() / "jaringctl").string(),
                           (clock_file().parent_path() / "endpoints.json").string(), kMonths),
               /*with_stderr=*/true);
  ASSERT_EQ(code, 0) << out;
  EXPECT_NE(out.find(fmt::format("13 months of history, {} to {}", first_.str(), first_.next(kMonths).str())),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("; 0 failures"), std::string::npos) << out;

  // The clock ends at the wall clock's now, and runs on from there as the wall clock does.
  const FileClock clock(clock_file().string());
  const auto now = clock.now();
  EXPECT_LT(std::chrono::abs(now - std::chrono::system_clock::now()), std::chrono::minutes(5));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_GE(clock.now() - now, std::chrono::milliseconds(50)) << "the clock stood still after the history";

  auto coverage = cov::CoverageService::NewStub(channel("coverage"));
  cov::ListSnapshotsRequest request;
  request.set_include_trend(true);
  const auto listed = call<cov::ListSnapshotsResponse>(
      "snapshots", [&](auto* c, auto* out) { return coverage->ListSnapshots(c, request, out); });
  std::multiset<std::string> evaluations;
  std::vector<std::int64_t> evaluation_ids;  // oldest first
  std::set<std::string> trend_months;
  for (const auto& s : listed.snapshots()) {
    if (s.kind() == "evaluation") {
      evaluations.insert(s.period());
      evaluation_ids.push_back(s.snapshot_id());
    }
    if (s.kind() == "trend") trend_months.insert(s.period().substr(0, 7));
  }
  // Every quarter and semester that ended from the day before the first month on, once each.
  std::multiset<std::string> ended;
  for (int m = -1; m < kMonths; ++m) {
    const auto month = first_.next(m);
    if (month.month() % 3 == 0) ended.insert(fmt::format("{}-Q{}", month.year(), month.month() / 3));
    if (month.month() % 6 == 0) ended.insert(fmt::format("{}-S{}", month.year(), month.month() / 6));
  }
  EXPECT_EQ(evaluations, ended);
  std::set<std::string> months;
  for (int m = 0; m <= kMonths; ++m) months.insert(first_.next(m).str());
  EXPECT_EQ(trend_months, months);

  // The M&E comparison of the first and the last quarter: workers came in waves during the year,
  // and some who never paid are awaiting in both.
  ASSERT_GE(evaluation_ids.size(), 2u);
  cov::GetReportRequest compare;
  compare.set_area_code("31.75");
  compare.set_from_snapshot_id(evaluation_ids.front());
  compare.set_to_snapshot_id(evaluation_ids.back());
  const auto report =
      call<cov::Report>("report", [&](auto* c, auto* out) { return coverage->GetReport(c, compare, out); });
  EXPECT_GT(report.total().to().totals().registrations(), report.total().from().totals().registrations());
  EXPECT_GT(report.total().from().totals().awaiting(), 0);

  // The year's workers who stopped paying lapsed by themselves: the city's counters say so.
  cov::GetAreaCoverageRequest city;
  city.set_area_code("31.75");
  const auto area = call<cov::AreaCoverage>(
      "city coverage", [&](auto* c, auto* out) { return coverage->GetAreaCoverage(c, city, out); });
  EXPECT_GT(area.summary().totals().lapsed(), 0);
  EXPECT_GT(area.summary().totals().active(), 0);
}

}  // namespace
}  // namespace jaring

// End to end for issue 16 on the whole stack's test clock: nobody runs RunBilling here. A worker
// is registered in March 2026; when the clock crosses into April the contribution service bills
// April by itself and the RW's counters move; contribution is killed, the clock moves past two
// more months, and the restarted service catches them up once (one line per month, no double
// bill), lapsing the worker who never paid; when a quarter and a semester end, coverage takes
// their M&E snapshots once. Every wait polls with a deadline.
#include <gtest/gtest.h>

#include "jaring/contribution/v1/contribution.grpc.pb.h"
#include "jaring/coverage/v1/coverage.grpc.pb.h"
#include "jaring/process/process.hpp"
#include "jaring/registration/v1/registration.grpc.pb.h"
#include "jaring/sample/sample.hpp"
#include "stack_test.hpp"

namespace jaring {
namespace {

using namespace std::chrono_literals;
namespace reg = registration::v1;
namespace cov = coverage::v1;
namespace con = contribution::v1;

const std::string kRw = "31.75.06.1005.001";

class CalendarE2e : public e2e::StackTest {
 protected:
  CalendarE2e() : StackTest("jaring-calendar-e2e", {}, /*test_clock=*/true) {}

  void SetUp() override {
    move_clock("2026-03-15T10:00:00+07:00");
    StackTest::SetUp();
    registration_ = reg::RegistrationService::NewStub(channel("registration"));
    contribution_ = con::ContributionService::NewStub(channel("contribution"));
    coverage_ = cov::CoverageService::NewStub(channel("coverage"));
  }

  // The periods on the worker's statement and how often each appears.
  std::map<std::string, int> billed(const std::string& participant) {
    con::GetStatementRequest request;
    request.set_participant_id(participant);
    const auto statement = try_call<con::Statement>(
        [&](auto* context, auto* out) { return contribution_->GetStatement(context, request, out); });
    std::map<std::string, int> out;
    if (!statement) return out;
    for (const auto& line : statement->periods())
      if (line.billed()) ++out[line.period()];
    state_ = statement->account().state();
    return out;
  }

  // Polls until the statement bills exactly `periods`, once each.
  bool bills_exactly(const std::string& participant, const std::vector<std::string>& periods) {
    std::map<std::string, int> expected;
    for (const auto& p : periods) expected[p] = 1;
    return process::wait_for([&] { return billed(participant) == expected; }, 30s, 100ms);
  }

  std::optional<cov::Counters> counters() {
    cov::GetRwCoverageRequest request;
    request.set_rw_code(kRw);
    const auto rw = try_call<cov::RwCoverage>(
        [&](auto* context, auto* out) { return coverage_->GetRwCoverage(context, request, out); });
    if (!rw) return std::nullopt;
    return rw->counters();
  }

  std::vector<std::string> evaluation_snapshots() {
    const auto reply = try_call<cov::ListSnapshotsResponse>([&](auto* context, auto* out) {
      return coverage_->ListSnapshots(context, cov::ListSnapshotsRequest{}, out);
    });
    std::vector<std::string> out;
    if (reply)
      for (const auto& s : reply->snapshots()) out.push_back(s.period());
    return out;
  }

  std::string state_;
  std::unique_ptr<reg::RegistrationService::Stub> registration_;
  std::unique_ptr<con::ContributionService::Stub> contribution_;
  std::unique_ptr<cov::CoverageService::Stub> coverage_;
};

TEST_F(CalendarE2e, BillingHappensByItselfAndARestartAfterMissedMonthsCatchesUpOnce) {
  {
    reg::CreateRwRequest request;
    request.set_kelurahan_code(kRw.substr(0, 13));
    request.set_number(1);
    call<reg::Rw>("create RW",
                  [&](auto* context, auto* out) { return registration_->CreateRw(context, request, out); });
  }
  sample::Generator generator(16);
  reg::RegisterRequest request;
  sample::fill_register_request(generator.worker(1), request);
  request.set_idempotency_key("e2e-calendar-1");
  request.set_rw_code(kRw);
  request.set_category("pkk");
  request.set_payer("self");
  request.set_programs("jkk+jkm");
  request.set_income_band(1'000'000);
  const auto worker = call<reg::Participant>(
      "register", [&](auto* context, auto* out) { return registration_->Register(context, request, out); });
  ASSERT_FALSE(worker.participant_id().empty());
  const auto& id = worker.participant_id();
  EXPECT_EQ(worker.registered_at().substr(0, 10), "2026-03-15");  // registration's clock is the test clock

  // The account opens; March was billed (with nobody in it) when contribution started.
  ASSERT_TRUE(process::wait_for(
      [&] {
        billed(id);
        return !state_.empty();
      },
      30s, 100ms))
      << "the contribution service did not open the account";
  EXPECT_TRUE(billed(id).empty());

  // The clock crosses into April (Jakarta): March and April are billed by themselves.
  move_clock("2026-04-01T00:05:00+07:00");
  ASSERT_TRUE(bills_exactly(id, {"2026-03", "2026-04"})) << ::testing::PrintToString(billed(id));
  EXPECT_TRUE(process::wait_for(
      [&] {
        const auto c = counters();
        // Registered and never paid: awaiting the first payment, neither active nor arrears.
        return c && c->registered() == 1 && c->awaiting() == 1 && c->active() == 0 && c->arrears() == 0;
      },
      30s, 100ms))
      << "the RW counters did not follow the bill";

  // Contribution is down over May and June; restarted on 2 July, it catches up once.
  stack_->kill("contribution");
  move_clock("2026-07-02T09:00:00+07:00");
  stack_->restart("contribution");
  ASSERT_TRUE(bills_exactly(id, {"2026-03", "2026-04", "2026-05", "2026-06", "2026-07"}))
      << ::testing::PrintToString(billed(id));
  EXPECT_TRUE(process::wait_for(
      [&] {
        billed(id);
        return state_ == "awaiting";  // never paid: no protection to lapse
      },
      30s, 100ms))
      << state_;
  EXPECT_TRUE(process::wait_for(
      [&] {
        const auto c = counters();
        return c && c->awaiting() == 1 && c->lapsed() == 0 && c->arrears() == 0 && c->active() == 0;
      },
      30s, 100ms));
  // Another tick changes nothing: still one line per month.
  move_clock("2026-07-02T09:30:00+07:00");
  EXPECT_TRUE(bills_exactly(id, {"2026-03", "2026-04", "2026-05", "2026-06", "2026-07"}));

  // Q2 and S1 ended on 30 June: coverage took their snapshots (on 2 July, within the grace).
  EXPECT_TRUE(process::wait_for(
      [&] {
        const auto taken = evaluation_snapshots();
        return std::count(taken.begin(), taken.end(), "2026-Q2") == 1 &&
               std::count(taken.begin(), taken.end(), "2026-S1") == 1;
      },
      30s, 100ms))
      << ::testing::PrintToString(evaluation_snapshots());
}

}  // namespace
}  // namespace jaring

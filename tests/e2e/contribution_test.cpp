// End to end for issue 4 on the real stack: workers registered through registration's API get
// accounts in the contribution service; billing runs and payments (a retried one, a partial one,
// months ahead, a batch) move them between active, arrears and lapsed; the coverage service
// counts those states per RW exactly once, follows a move to another RW and drops an exit.
// Each step runs as the role that does it (issue 12): a Perisai agent registers the workers and
// collects their cash, another agent reaches none of them, the city's treasurer pays the batch
// for city-budget participants only, branch staff pay by bank and may not reverse their own
// payment (a second person does).
//
// The services run on the system clock and registration dates each account from today, so the
// months are billed explicitly: P0 (the registration month) and the three months after it.
#include <gtest/gtest.h>

#include <map>

#include <fmt/format.h>

#include "jaring/contribution/v1/contribution.grpc.pb.h"
#include "jaring/coverage/v1/coverage.grpc.pb.h"
#include "jaring/grpc/server.hpp"
#include "jaring/registration/v1/registration.grpc.pb.h"
#include "jaring/sample/sample.hpp"
#include "jaring/stack/stack.hpp"
#include "jaring/testing/fixtures.hpp"
#include "stack_test.hpp"

namespace jaring {
namespace {

using namespace std::chrono_literals;
namespace reg = registration::v1;
namespace cov = coverage::v1;
namespace con = contribution::v1;

constexpr const char* kKelurahan = "31.75.06.1005";
const std::string kRwA = "31.75.06.1005.001";
const std::string kRwB = "31.75.06.1005.002";

// The month `months` after a YYYY-MM period.
std::string month_after(const std::string& period, int months) {
  const int index = std::stoi(period.substr(0, 4)) * 12 + std::stoi(period.substr(5, 2)) - 1 + months;
  return fmt::format("{:04d}-{:02d}", index / 12, index % 12 + 1);
}

using e2e::States;

class ContributionE2e : public e2e::StackTest {
 protected:
  ContributionE2e() : StackTest("jaring-contribution-e2e") {}

  void SetUp() override {
    StackTest::SetUp();
    registration_ = reg::RegistrationService::NewStub(channel("registration"));
    contribution_ = con::ContributionService::NewStub(channel("contribution"));
    coverage_ = cov::CoverageService::NewStub(channel("coverage"));
  }

  // A Perisai agent of the Pulo Gebang branch; returns the agent id.
  std::string register_agent(const std::string& name) {
    reg::RegisterAgentRequest request;
    request.set_idempotency_key("e2e-contribution-agent-" + name);
    request.set_name(name);
    request.set_phone("081298765432");
    request.set_branch_code("pulogebang");
    request.set_organisation("Perisai Cakung");
    return call<reg::Agent>(
               "register agent",
               [&](auto* context, auto* out) { return registration_->RegisterAgent(context, request, out); })
        .agent_id();
  }

  // Registers one worker (as the agent, who becomes the registering agent) and returns the
  // participant id.
  std::string register_worker(int serial, const std::string& rw, const std::string& category,
                              const std::string& payer) {
    const auto w = generator_.worker(static_cast<std::uint64_t>(serial));
    reg::RegisterRequest request;
    sample::fill_register_request(w, request);
    request.set_idempotency_key(fmt::format("e2e-contribution-{}", serial));
    request.set_rw_code(rw);
    request.set_category(category);
    request.set_payer(payer);
    request.set_programs("jkk+jkm");
    request.set_income_band(1'000'000);
    ::grpc::Status status;
    const auto reply = try_call_as<reg::Participant>(
        [&](auto* context, auto* out) { return registration_->Register(context, request, out); }, agent_,
        &status);
    EXPECT_TRUE(reply) << "register: " << status.error_message();
    if (!reply) return "";
    registered_on_ = reply->registered_at().substr(0, 10);  // a valid day for moves and exits
    return reply->participant_id();
  }

  std::int64_t quote(const std::string& period, const std::string& category, const std::string& payer) {
    con::QuoteRequest request;
    request.set_period(period);
    request.set_category(category);
    request.set_payer(payer);
    request.set_programs("jkk+jkm");
    request.set_income_band(1'000'000);
    return call<con::Charge>(
               "quote " + period,
               [&](auto* context, auto* out) { return contribution_->Quote(context, request, out); })
        .total();
  }

  // A payment: cash collected by the registering agent (the token names the agent), anything
  // else recorded by branch staff.
  con::Payment pay(const std::string& key, const std::string& participant, const std::string& channel,
                   std::int64_t amount, int months) {
    con::PaymentRequest request;
    request.set_idempotency_key(key);
    request.set_participant_id(participant);
    request.set_channel(channel);
    request.set_amount(amount);
    request.set_months(months);
    ::grpc::Status status;
    const auto paid = try_call_as<con::Payment>(
        [&](auto* context, auto* out) { return contribution_->MakePayment(context, request, out); },
        channel == "agent_cash" ? agent_ : caller_, &status);
    EXPECT_TRUE(paid) << key << ": " << status.error_message();
    if (paid && channel == "agent_cash") {
      EXPECT_EQ(paid->agent_id(), agent_.agent) << key;
    }
    return paid.value_or(con::Payment{});
  }

  con::BillingRun bill(const std::string& key, const std::string& period) {
    con::RunBillingRequest request;
    request.set_idempotency_key(key);
    request.set_period(period);
    return call<con::BillingRun>("billing " + period, [&](auto* context, auto* out) {
      return contribution_->RunBilling(context, request, out);
    });
  }

  std::optional<con::Account> account(const std::string& participant) {
    con::GetAccountRequest request;
    request.set_participant_id(participant);
    return try_call<con::Account>(
        [&](auto* context, auto* out) { return contribution_->GetAccount(context, request, out); });
  }

  con::Statement statement(const std::string& participant) {
    con::GetStatementRequest request;
    request.set_participant_id(participant);
    return call<con::Statement>("statement of " + participant, [&](auto* context, auto* out) {
      return contribution_->GetStatement(context, request, out);
    });
  }

  std::map<std::string, States> counters() {
    cov::ListRwCoverageRequest request;
    request.set_kelurahan_code(kKelurahan);
    const auto reply = try_call<cov::ListRwCoverageResponse>(
        [&](auto* context, auto* out) { return coverage_->ListRwCoverage(context, request, out); });
    std::map<std::string, States> out;
    if (!reply) return out;
    for (const auto& rw : reply->rws()) {
      const auto& c = rw.counters();
      out[rw.rw_code()] = {c.registered(), c.active(), c.arrears(), c.lapsed(), c.awaiting()};
    }
    return out;
  }

  // Waits until the coverage service shows exactly `expected`, then checks it stays there a
  // moment (a counted-twice event would push it past).
  void expect_counters(const std::map<std::string, States>& expected, const std::string& when) {
    std::map<std::string, States> seen;
    const bool reached = process::wait_for(
        [&] {
          seen = counters();
          return seen == expected;
        },
        15s, 50ms);
    EXPECT_TRUE(reached) << when << ": " << ::testing::PrintToString(seen) << " instead of "
                         << ::testing::PrintToString(expected);
  }

  sample::Generator generator_{44};
  e2e::As agent_;
  std::string registered_on_;
  std::unique_ptr<reg::RegistrationService::Stub> registration_;
  std::unique_ptr<con::ContributionService::Stub> contribution_;
  std::unique_ptr<cov::CoverageService::Stub> coverage_;
};

TEST_F(ContributionE2e, BillingAndPaymentsMoveTheRwCountersExactlyOnce) {
  for (int number : {1, 2}) {
    reg::CreateRwRequest request;
    request.set_kelurahan_code(kKelurahan);
    request.set_number(number);
    call<reg::Rw>("create RW",
                  [&](auto* context, auto* out) { return registration_->CreateRw(context, request, out); });
  }
  agent_ = {"agent.e2e", {"agent"}, register_agent("Rina Perisai")};
  ASSERT_FALSE(agent_.agent.empty());
  // RW A: a retried one-month payment, a partial payment, three months ahead, two paid by the
  // city's batch, one who never pays. RW B: one in the batch, one who pays late, one who pays
  // two single months.
  const auto a_retry = register_worker(1, kRwA, "pkk", "self");
  const auto a_partial = register_worker(2, kRwA, "pkk", "self");
  const auto a_ahead = register_worker(3, kRwA, "pkk", "self");
  const auto a_city1 = register_worker(4, kRwA, "rt_rw_official", "city_budget");
  const auto a_city2 = register_worker(5, kRwA, "rt_rw_official", "city_budget");
  const auto a_never = register_worker(6, kRwA, "pkk", "self");
  const auto b_city = register_worker(7, kRwB, "rt_rw_official", "city_budget");
  const auto b_late = register_worker(8, kRwB, "pkk", "self");
  const auto b_two = register_worker(9, kRwB, "pkk", "self");
  const std::vector<std::string> everyone{a_retry, a_partial, a_ahead, a_city1, a_city2,
                                          a_never, b_city,    b_late,  b_two};
  ASSERT_FALSE(::testing::Test::HasFailure());

  // Accounts open from ParticipantRegistered, asynchronously.
  std::string p0;
  ASSERT_TRUE(process::wait_for(
      [&] {
        for (const auto& id : everyone) {
          auto a = account(id);
          if (!a) return false;
          p0 = a->first_period();
        }
        return true;
      },
      20s, 50ms))
      << "the contribution service did not open every account";
  for (const auto& id : everyone) ASSERT_EQ(account(id)->first_period(), p0) << id;
  const auto p1 = month_after(p0, 1), p2 = month_after(p0, 2), p3 = month_after(p0, 3);
  // Registered, nobody paid yet: awaiting the first payment, never counted active.
  expect_counters({{kRwA, {6, 0, 0, 0, 6}}, {kRwB, {3, 0, 0, 0, 3}}}, "opened");

  const auto self = [&](const std::string& period) { return quote(period, "pkk", "self"); };
  const auto city = [&](const std::string& period) { return quote(period, "rt_rw_official", "city_budget"); };

  // Payments before the first billing run: a retried payment pays once.
  const auto first = pay("e2e-pay-retry", a_retry, "agent_cash", self(p0), 1);
  const auto retried = pay("e2e-pay-retry", a_retry, "agent_cash", self(p0), 1);
  EXPECT_EQ(retried.payment_id(), first.payment_id());
  pay("e2e-pay-partial", a_partial, "bank_va", self(p0) / 2, 1);
  const auto ahead = pay("e2e-pay-ahead", a_ahead, "agent_cash", self(p0) + self(p1) + self(p2), 3);
  ASSERT_EQ(ahead.allocations_size(), 3);
  EXPECT_EQ(ahead.covered_through(), p2);
  EXPECT_EQ(ahead.credited(), 0);
  pay("e2e-pay-two-1", b_two, "agent_cash", self(p0), 1);
  pay("e2e-pay-two-2", b_two, "agent_cash", self(p1), 1);

  // Another agent of the same branch reaches none of these workers: answered as unknown ones.
  {
    const e2e::As other{"agent.lain", {"agent"}, register_agent("Dodi Perisai")};
    con::PaymentRequest request;
    request.set_idempotency_key("e2e-pay-other-agent");
    request.set_participant_id(a_never);
    request.set_channel("agent_cash");
    request.set_amount(self(p0));
    request.set_months(1);
    ::grpc::Status status;
    EXPECT_FALSE(try_call_as<con::Payment>(
        [&](auto* context, auto* out) { return contribution_->MakePayment(context, request, out); }, other,
        &status));
    EXPECT_EQ(status.error_code(), ::grpc::StatusCode::NOT_FOUND) << status.error_message();
    con::GetAccountRequest get;
    get.set_participant_id(a_never);
    EXPECT_FALSE(try_call_as<con::Account>(
        [&](auto* context, auto* out) { return contribution_->GetAccount(context, get, out); }, other,
        &status));
    EXPECT_EQ(status.error_code(), ::grpc::StatusCode::NOT_FOUND) << status.error_message();
  }
  // A reversal needs a second person: whoever recorded the partial payment may not reverse it,
  // however the token spells them (this one stands: nobody else asks).
  {
    con::ReversePaymentRequest request;
    request.set_idempotency_key("e2e-reverse-own");
    request.set_payment_id(statement(a_partial).payments(0).payment_id());
    request.set_reason("entered twice");
    ::grpc::Status status;
    EXPECT_FALSE(try_call_as<con::Payment>(
        [&](auto* context, auto* out) { return contribution_->ReversePayment(context, request, out); },
        e2e::As{" E2E-Staff ", {"branch-officer"}}, &status));
    EXPECT_EQ(status.error_code(), ::grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
    EXPECT_NE(status.error_message().find("second person"), std::string::npos) << status.error_message();
  }

  // The city's treasurer pays six months for its RT/RW officials in one batch, retried once;
  // a batch with a worker who pays for themselves is refused whole.
  const e2e::As treasurer{"bendahara.e2e", {"treasurer"}, "", "apbd:31.75.06.1005"};
  std::int64_t six = 0;
  for (int m = 0; m < 6; ++m) six += city(month_after(p0, m));
  con::BatchPaymentRequest batch;
  batch.set_idempotency_key("e2e-batch-apbd");
  batch.set_channel("city_budget");
  batch.set_payer_id("apbd:31.75.06.1005");
  batch.set_description("RT/RW officials of Pulo Gebang");
  for (const auto& id : {a_city1, a_city2, b_city}) {
    auto* item = batch.add_items();
    item->set_participant_id(id);
    item->set_amount(six);
    item->set_months(6);
  }
  {
    auto with_self = batch;
    with_self.set_idempotency_key("e2e-batch-apbd-self");
    auto* item = with_self.add_items();
    item->set_participant_id(a_never);
    item->set_amount(six);
    item->set_months(6);
    const auto refused = try_call_as<con::BatchPaymentResult>(
        [&](auto* context, auto* out) { return contribution_->MakeBatchPayment(context, with_self, out); },
        treasurer);
    ASSERT_TRUE(refused);
    EXPECT_FALSE(refused->accepted());
    ASSERT_EQ(refused->failures_size(), 1);
    EXPECT_EQ(refused->failures(0).participant_id(), a_never);
  }
  std::string batch_id;
  for (int attempt = 0; attempt < 2; ++attempt) {
    ::grpc::Status status;
    const auto paid = try_call_as<con::BatchPaymentResult>(
        [&](auto* context, auto* out) { return contribution_->MakeBatchPayment(context, batch, out); },
        treasurer, &status);
    ASSERT_TRUE(paid) << "batch: " << status.error_message();
    const auto& result = *paid;
    ASSERT_TRUE(result.accepted()) << result.ShortDebugString();
    EXPECT_EQ(result.items_paid(), 3);
    if (attempt == 0) batch_id = result.batch_id();
    EXPECT_EQ(result.batch_id(), batch_id);
  }

  // P0 billed: nothing is unpaid yet (a month counts as unpaid once the next one is billed).
  // The partial payer, the one who never pays and the late payer have not paid a whole month.
  EXPECT_FALSE(bill("e2e-bill-p0", p0).repeated());
  expect_counters({{kRwA, {6, 4, 0, 0, 2}}, {kRwB, {3, 2, 0, 0, 1}}}, "after billing " + p0);
  // P1: P0 unpaid for the three who never paid a whole month: still awaiting, never arrears.
  bill("e2e-bill-p1", p1);
  expect_counters({{kRwA, {6, 4, 0, 0, 2}}, {kRwB, {3, 2, 0, 0, 1}}}, "after billing " + p1);
  // P2: the one-month payer falls behind; the two-month payer is still fine.
  bill("e2e-bill-p2", p2);
  expect_counters({{kRwA, {6, 3, 1, 0, 2}}, {kRwB, {3, 2, 0, 0, 1}}}, "after billing " + p2);
  // P3: two unpaid months are arrears; those who never paid still await their first payment.
  bill("e2e-bill-p3", p3);
  // Billing again, with the same key or another, changes nothing.
  EXPECT_TRUE(bill("e2e-bill-p3", p3).repeated());
  EXPECT_TRUE(bill("e2e-bill-p2-again", p2).repeated());
  const std::map<std::string, States> after_p3{{kRwA, {6, 3, 1, 0, 2}}, {kRwB, {3, 1, 1, 0, 1}}};
  expect_counters(after_p3, "after billing " + p3);

  EXPECT_EQ(account(a_retry)->state(), "arrears");
  EXPECT_EQ(account(a_retry)->months_unpaid(), 2);
  EXPECT_EQ(account(a_partial)->state(), "awaiting");
  EXPECT_EQ(account(a_partial)->outstanding(), self(p0) - self(p0) / 2 + self(p1) + self(p2) + self(p3));
  EXPECT_EQ(account(a_ahead)->state(), "active");
  EXPECT_EQ(account(b_two)->state(), "arrears");
  EXPECT_EQ(account(b_city)->covered_through(), month_after(p0, 5));
  // Exactly once in the ledger too: one payment for the retried call and for each batch item.
  const auto retried_statement = statement(a_retry);
  ASSERT_EQ(retried_statement.payments_size(), 1);
  EXPECT_EQ(retried_statement.account().credit(), 0);
  for (const auto& id : {a_city1, a_city2, b_city}) EXPECT_EQ(statement(id).payments_size(), 1) << id;

  // The late payer settles every unpaid month (P0..P2) and is active again (pay_all); the
  // retry of that payment changes nothing.
  const auto catch_up = self(p0) + self(p1) + self(p2);
  EXPECT_EQ(pay("e2e-pay-late", b_late, "agent_cash", catch_up, 3).coverage_state(), "active");
  pay("e2e-pay-late", b_late, "agent_cash", catch_up, 3);
  expect_counters({{kRwA, {6, 3, 1, 0, 2}}, {kRwB, {3, 2, 1, 0, 0}}}, "after the late payment");

  // A move takes the partial payer's state (awaiting) to RW B; an exit takes the arrears away.
  {
    reg::MoveParticipantRequest request;
    request.set_idempotency_key("e2e-move");
    request.set_participant_id(a_partial);
    request.set_to_rw_code(kRwB);
    request.set_rt(2);
    request.set_moved_on(registered_on_);
    call<reg::Participant>("move", [&](auto* context, auto* out) {
      return registration_->MoveParticipant(context, request, out);
    });
  }
  expect_counters({{kRwA, {5, 3, 1, 0, 1}}, {kRwB, {4, 2, 1, 0, 1}}}, "after the move");
  {
    reg::ExitParticipantRequest request;
    request.set_idempotency_key("e2e-exit");
    request.set_participant_id(a_retry);
    request.set_reason("moved_away");
    request.set_exit_date(registered_on_);
    call<reg::Participant>("exit", [&](auto* context, auto* out) {
      return registration_->ExitParticipant(context, request, out);
    });
  }
  expect_counters({{kRwA, {4, 3, 0, 0, 1}}, {kRwB, {4, 2, 1, 0, 1}}}, "after the exit");
  EXPECT_TRUE(process::wait_for([&] { return account(a_retry)->state() == "closed"; }, 10s, 50ms));
  EXPECT_EQ(account(a_partial)->rw_code(), kRwB);
}

}  // namespace
}  // namespace jaring

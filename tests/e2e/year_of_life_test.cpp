// End to end for issue 16 ("Must show"): one worker's life on the whole stack's test clock, with
// nobody calling RunBilling. Registered in March 2026 the worker awaits the first payment (not
// active, counted awaiting); the first payment makes them active; three months go unpaid while
// the clock moves month by month, with the ArrearsWarning of arrears months 1 and 2 on
// jaring.contribution.v1 and then the lapse by itself; paying every unpaid month (the default
// contribution.reactivation=pay_all) makes them active again. On 10 July 2026 the worker has a
// work accident they do not claim; they go on paying a year ahead each July, so their medical
// claim for that accident, filed on 11 July 2031 (5 years and 1 day later), is refused by the JKK
// 5-year limit although they were covered on the day. The accident cannot be dated before the
// registration (eligibility needs coverage on the event date, and registration dates an account
// from its clock), so the clock moves forward five years instead. On 20 July 2031 the worker dies
// in a work accident: the JKK death claim is paid, then a JKK scholarship (no minimum period) for
// their child's 2031 school year; when the clock crosses into 2032 the child is in claims'
// scholarships due for 2032, and the 2032 re-claim is paid. Every wait polls with a deadline.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "jaring/claims/v1/claims.grpc.pb.h"
#include "jaring/contribution/v1/contribution.grpc.pb.h"
#include "jaring/coverage/v1/coverage.grpc.pb.h"
#include "jaring/kafka/kafka.hpp"
#include "jaring/process/process.hpp"
#include "jaring/registration/v1/registration.grpc.pb.h"
#include "jaring/sample/sample.hpp"
#include "stack_test.hpp"
#include "topic_collector.hpp"

namespace jaring {
namespace {

using namespace std::chrono_literals;
namespace reg = registration::v1;
namespace cov = coverage::v1;
namespace con = contribution::v1;
namespace cl = claims::v1;

const std::string kRw = "31.75.06.1005.003";
constexpr std::int64_t kMonthly = 16'800;  // JKK 1% of Rp1,000,000 + JKM Rp6,800 (DESIGN.md section 2)

using e2e::States;

class YearOfLifeE2e : public e2e::StackTest {
 protected:
  YearOfLifeE2e() : StackTest("jaring-year-of-life-e2e", {}, /*test_clock=*/true) {}

  void SetUp() override {
    move_clock("2026-03-15T10:00:00+07:00");
    StackTest::SetUp();
    registration_ = reg::RegistrationService::NewStub(channel("registration"));
    contribution_ = con::ContributionService::NewStub(channel("contribution"));
    coverage_ = cov::CoverageService::NewStub(channel("coverage"));
    claims_ = cl::ClaimsService::NewStub(channel("claims"));
  }

  std::optional<con::Account> account(const std::string& participant) {
    con::GetAccountRequest request;
    request.set_participant_id(participant);
    return try_call<con::Account>(
        [&](auto* context, auto* out) { return contribution_->GetAccount(context, request, out); });
  }

  // Polls until the worker's account is in `state` with `months_unpaid`; the last account seen
  // is in account_.
  bool account_becomes(const std::string& participant, const std::string& state, int months_unpaid) {
    return process::wait_for(
        [&] {
          if (auto a = account(participant)) account_ = *a;
          return account_.state() == state && account_.months_unpaid() == months_unpaid;
        },
        30s, 100ms);
  }

  // The last period the calendar billed on the worker's statement.
  std::string last_billed(const std::string& participant) {
    con::GetStatementRequest request;
    request.set_participant_id(participant);
    const auto statement = try_call<con::Statement>(
        [&](auto* context, auto* out) { return contribution_->GetStatement(context, request, out); });
    std::string last;
    if (statement)
      for (const auto& line : statement->periods())
        if (line.billed()) last = std::max(last, line.period());
    return last;
  }

  States counts() {
    cov::GetRwCoverageRequest request;
    request.set_rw_code(kRw);
    const auto rw = try_call<cov::RwCoverage>(
        [&](auto* context, auto* out) { return coverage_->GetRwCoverage(context, request, out); });
    if (!rw) return {};
    const auto& c = rw->counters();
    return {c.registered(), c.active(), c.arrears(), c.lapsed(), c.awaiting()};
  }

  bool counts_become(const States& expected) {
    return process::wait_for([&] { return (counts_ = counts()) == expected; }, 30s, 100ms);
  }

  // The agent collects `months` of the worker's contributions in cash.
  con::Payment collect(const std::string& participant, int months, const std::string& key) {
    con::PaymentRequest request;
    request.set_idempotency_key(key);
    request.set_participant_id(participant);
    request.set_channel("agent_cash");
    request.set_amount(kMonthly * months);
    request.set_months(months);
    ::grpc::Status status;
    const auto paid = try_call_as<con::Payment>(
        [&](auto* context, auto* out) { return contribution_->MakePayment(context, request, out); }, agent_,
        &status);
    EXPECT_TRUE(paid) << "pay " << months << " month(s): " << status.error_message();
    return paid.value_or(con::Payment{});
  }

  // The ArrearsWarnings of the worker on jaring.contribution.v1, as "months unpaid:oldest
  // period:outstanding"; each names the agent and the RW who should collect.
  std::vector<std::string> warnings(const std::string& participant) {
    std::vector<std::string> out;
    for (const auto& e : collector_.of_type("ArrearsWarning")) {
      const auto& w = e.arrears_warning();
      if (w.participant_id() != participant) continue;
      EXPECT_EQ(w.agent_id(), agent_.agent);
      EXPECT_EQ(w.rw_code(), kRw);
      out.push_back(fmt::format("{}:{}:{}", w.months_unpaid(), w.oldest_unpaid_period(), w.outstanding()));
    }
    return out;
  }

  // One claim call as `as`, that must succeed.
  template <typename Fn>
  cl::Claim step(const std::string& what, Fn&& fn, const e2e::As& as) {
    ::grpc::Status why;
    auto claim = try_call_as<cl::Claim>(std::forward<Fn>(fn), as, &why);
    EXPECT_TRUE(claim) << what << " as " << as.user << ": " << why.error_message();
    return claim.value_or(cl::Claim{});
  }

  // A filed claim through the checklist, verification, approval and payment, each by its role
  // (the approver neither filed nor pays).
  cl::Claim pay_out(const cl::Claim& filed, const std::string& key) {
    cl::AttachDocumentsRequest documents;
    documents.set_claim_id(filed.claim_id());
    for (const auto& d : filed.documents()) documents.add_documents(d.code());
    step(
        "documents", [&](auto* c, auto* out) { return claims_->AttachDocuments(c, documents, out); }, agent_);
    cl::VerifyClaimRequest verify;
    verify.set_claim_id(filed.claim_id());
    step(
        "verify", [&](auto* c, auto* out) { return claims_->VerifyClaim(c, verify, out); }, officer_);
    cl::ApproveClaimRequest approve;
    approve.set_claim_id(filed.claim_id());
    step(
        "approve", [&](auto* c, auto* out) { return claims_->ApproveClaim(c, approve, out); }, approver_);
    cl::PayClaimRequest pay;
    pay.set_claim_id(filed.claim_id());
    pay.set_idempotency_key(key);
    return step(
        "pay", [&](auto* c, auto* out) { return claims_->PayClaim(c, pay, out); }, payer_);
  }

  cl::FileClaimRequest heir_filing(const std::string& participant, const std::string& key) {
    cl::FileClaimRequest file;
    file.set_idempotency_key(key);
    file.set_participant_id(participant);
    file.mutable_claimant()->set_name("Siti Aminah");
    file.mutable_claimant()->set_relation("spouse");
    for (const auto* relation : {"spouse", "child"}) {
      auto* member = file.add_family();
      member->set_relation(relation);
      member->set_alive(true);
    }
    return file;
  }

  cl::Claim file_claim(const cl::FileClaimRequest& file) {
    return step(
        "file " + file.claim_type(), [&](auto* c, auto* out) { return claims_->FileClaim(c, file, out); },
        agent_);
  }

  std::vector<cl::ScholarshipDue> scholarships_due(int year) {
    cl::ListScholarshipsDueRequest request;
    request.set_year(year);
    const auto due = try_call_as<cl::ListScholarshipsDueResponse>(
        [&](auto* c, auto* out) { return claims_->ListScholarshipsDue(c, request, out); }, officer_);
    if (!due) return {};
    return {due->due().begin(), due->due().end()};
  }

  e2e::Collector collector_;
  e2e::As agent_;
  const e2e::As officer_{"officer.e2e", {"branch-officer"}};
  const e2e::As approver_{"approver.e2e", {"approver"}};
  const e2e::As payer_{"approver2.e2e", {"approver"}};
  con::Account account_;
  States counts_;
  std::unique_ptr<reg::RegistrationService::Stub> registration_;
  std::unique_ptr<con::ContributionService::Stub> contribution_;
  std::unique_ptr<cov::CoverageService::Stub> coverage_;
  std::unique_ptr<cl::ClaimsService::Stub> claims_;
};

TEST_F(YearOfLifeE2e, AWorkersYearsOnTheTestClock) {
  metrics::Registry registry("e2e");
  kafka::ConsumerOptions options;
  options.group_id = "e2e-year-of-life-watcher";
  options.topics = {"jaring.contribution.v1"};
  options.max_wait = 100ms;
  kafka::Consumer watcher({stack_->endpoints().kafka_bootstrap, {}}, options, collector_, registry);
  watcher.start();

  // ---- March 2026: an agent of the branch registers a street vendor of RW 3.
  reg::CreateRwRequest rw;
  rw.set_kelurahan_code(kRw.substr(0, 13));
  rw.set_number(3);
  call<reg::Rw>("create RW", [&](auto* c, auto* out) { return registration_->CreateRw(c, rw, out); });
  reg::RegisterAgentRequest perisai;
  perisai.set_idempotency_key("e2e-life-agent");
  perisai.set_name("Rina Perisai");
  perisai.set_phone("081298765432");
  perisai.set_branch_code("pulogebang");
  perisai.set_organisation("Perisai Cakung");
  const auto agent_id = call<reg::Agent>("register agent", [&](auto* c, auto* out) {
                          return registration_->RegisterAgent(c, perisai, out);
                        }).agent_id();
  ASSERT_FALSE(agent_id.empty());
  agent_ = {"agent.e2e", {"agent"}, agent_id};
  sample::Generator generator(2026);
  const auto worker = generator.worker(1);
  reg::RegisterRequest request;
  sample::fill_register_request(worker, request);
  request.set_idempotency_key("e2e-life-1");
  request.set_rw_code(kRw);
  request.set_category("street_vendor");
  request.set_payer("self");
  request.set_programs("jkk+jkm");
  request.set_income_band(1'000'000);
  ::grpc::Status status;
  const auto participant = try_call_as<reg::Participant>(
      [&](auto* c, auto* out) { return registration_->Register(c, request, out); }, agent_, &status);
  ASSERT_TRUE(participant) << "register: " << status.error_message();
  const auto id = participant->participant_id();
  EXPECT_EQ(participant->registered_at().substr(0, 10), "2026-03-15");

  // Registered, never paid: awaiting the first payment, not protected, not counted active.
  ASSERT_TRUE(account_becomes(id, "awaiting", 0)) << account_.state();
  EXPECT_EQ(account_.first_period(), "2026-03");
  EXPECT_TRUE(counts_become({1, 0, 0, 0, 1})) << ::testing::PrintToString(counts_);
  con::QuoteRequest quote;
  quote.set_period("2026-03");
  quote.set_category("street_vendor");
  quote.set_payer("self");
  quote.set_programs("jkk+jkm");
  quote.set_income_band(1'000'000);
  EXPECT_EQ(
      call<con::Charge>("quote", [&](auto* c, auto* out) { return contribution_->Quote(c, quote, out); })
          .total(),
      kMonthly);

  // ---- The first payment (March): active, on the statement and in the RW's counters.
  const auto first = collect(id, 1, "e2e-life-pay-2026-03");
  EXPECT_EQ(first.coverage_state(), "active");
  EXPECT_EQ(first.covered_through(), "2026-03");
  ASSERT_TRUE(account_becomes(id, "active", 0)) << account_.state();
  EXPECT_EQ(account_.covered_through(), "2026-03");
  EXPECT_TRUE(counts_become({1, 1, 0, 0, 0})) << ::testing::PrintToString(counts_);

  // ---- April, May, June, July: the clock crosses each month and the calendar bills it; nothing
  // is paid. April is due (still active); April unpaid in May and May in June are arrears
  // months 1 and 2, each warned once; three unpaid months in July lapse the worker.
  move_clock("2026-04-01T00:05:00+07:00");
  ASSERT_TRUE(process::wait_for([&] { return last_billed(id) == "2026-04"; }, 30s, 100ms)) << last_billed(id);
  ASSERT_TRUE(account_becomes(id, "active", 0)) << account_.state();
  EXPECT_EQ(account_.outstanding(), kMonthly);
  EXPECT_TRUE(warnings(id).empty()) << ::testing::PrintToString(warnings(id));

  move_clock("2026-05-01T00:05:00+07:00");
  ASSERT_TRUE(account_becomes(id, "arrears", 1)) << account_.state() << " " << account_.months_unpaid();
  EXPECT_TRUE(counts_become({1, 0, 1, 0, 0})) << ::testing::PrintToString(counts_);
  EXPECT_TRUE(process::wait_for([&] { return warnings(id).size() == 1; }, 30s, 100ms));
  EXPECT_EQ(warnings(id), (std::vector<std::string>{"1:2026-04:33600"}));
  {
    // The agent's collection list names the worker, one month behind.
    con::ListArrearsRequest list;
    list.set_agent_id(agent_id);
    const auto arrears = try_call_as<con::ListArrearsResponse>(
        [&](auto* c, auto* out) { return contribution_->ListArrears(c, list, out); }, agent_, &status);
    ASSERT_TRUE(arrears) << status.error_message();
    ASSERT_EQ(arrears->entries_size(), 1);
    EXPECT_EQ(arrears->entries(0).participant_id(), id);
    EXPECT_EQ(arrears->entries(0).state(), "arrears");
    EXPECT_EQ(arrears->entries(0).oldest_unpaid_period(), "2026-04");
  }

  move_clock("2026-06-01T00:05:00+07:00");
  ASSERT_TRUE(account_becomes(id, "arrears", 2)) << account_.state() << " " << account_.months_unpaid();
  EXPECT_TRUE(process::wait_for([&] { return warnings(id).size() == 2; }, 30s, 100ms));
  EXPECT_EQ(warnings(id), (std::vector<std::string>{"1:2026-04:33600", "2:2026-04:50400"}));

  move_clock("2026-07-01T00:05:00+07:00");
  ASSERT_TRUE(account_becomes(id, "lapsed", 3)) << account_.state() << " " << account_.months_unpaid();
  EXPECT_EQ(account_.covered_through(), "2026-03");
  EXPECT_TRUE(counts_become({1, 0, 0, 1, 0})) << ::testing::PrintToString(counts_);
  EXPECT_EQ(last_billed(id), "2026-07");

  // ---- 2 July: reactivation takes every unpaid month (pay_all). One month is not enough; the
  // other two and July make the worker active again.
  move_clock("2026-07-02T09:00:00+07:00");
  EXPECT_EQ(collect(id, 1, "e2e-life-pay-2026-04").coverage_state(), "lapsed");
  const auto back = collect(id, 3, "e2e-life-pay-2026-05");
  EXPECT_EQ(back.coverage_state(), "active");
  EXPECT_EQ(back.covered_through(), "2026-07");
  ASSERT_TRUE(account_becomes(id, "active", 0)) << account_.state();
  EXPECT_TRUE(counts_become({1, 1, 0, 0, 0})) << ::testing::PrintToString(counts_);
  // No warning came with the lapse or the reactivation: still the two of arrears months 1 and 2.
  EXPECT_EQ(warnings(id), (std::vector<std::string>{"1:2026-04:33600", "2:2026-04:50400"}));

  // The accident of 10 July 2026 happens while July is paid: claims sees the worker covered.
  const std::string accident = "2026-07-10";
  cl::CheckEligibilityRequest check;
  check.set_participant_id(id);
  check.set_date(accident);
  cl::Eligibility eligibility;
  ASSERT_TRUE(process::wait_for(
      [&] {
        auto e = try_call<cl::Eligibility>(
            [&](auto* c, auto* out) { return claims_->CheckEligibility(c, check, out); });
        if (e) eligibility = *e;
        return e && e->eligible();
      },
      30s, 100ms))
      << eligibility.state() << ": " << eligibility.reason();
  EXPECT_EQ(eligibility.state(), "active");

  // ---- Each July the worker pays the next twelve months ahead, five years running: the
  // calendar bills every month the clock passes, and the worker stays active.
  collect(id, 12, "e2e-life-pay-2026-08");
  for (int year = 2027; year <= 2030; ++year) {
    move_clock(fmt::format("{}-07-05T09:00:00+07:00", year));
    ASSERT_TRUE(process::wait_for([&] { return last_billed(id) == fmt::format("{}-07", year); }, 30s, 100ms))
        << year << ": " << last_billed(id);
    ASSERT_TRUE(account_becomes(id, "active", 0)) << year << ": " << account_.state();
    collect(id, 12, fmt::format("e2e-life-pay-{}-08", year));
  }

  // ---- 11 July 2031, five years and a day after the accident: the worker's medical claim for
  // it is refused by the JKK limit, though the worker was covered that day.
  move_clock("2031-07-11T09:00:00+07:00");
  ASSERT_TRUE(process::wait_for([&] { return last_billed(id) == "2031-07"; }, 30s, 100ms)) << last_billed(id);
  cl::FileClaimRequest medical;
  medical.set_idempotency_key("e2e-life-medical");
  medical.set_participant_id(id);
  medical.set_claim_type("jkk_medical");
  medical.set_event_date(accident);
  medical.mutable_claimant()->set_name(worker.name);
  medical.mutable_claimant()->set_relation("self");
  medical.set_claimed_amount(2'500'000);
  const auto late = file_claim(medical);
  EXPECT_EQ(late.status(), "rejected");
  EXPECT_EQ(late.coverage_state(), "active");
  EXPECT_EQ(late.rejection_reason(),
            "JKK rights lapse 5 years after the accident: the accident was on 2026-07-10, the limit was "
            "2031-07-10, filed on 2031-07-11");

  // ---- 20 July 2031: the worker dies in a work accident. The JKK death claim is paid:
  // 48 x Rp1,000,000 + Rp10m funeral + Rp12m periodic.
  move_clock("2031-07-22T09:00:00+07:00");
  auto death_filing = heir_filing(id, "e2e-life-death");
  death_filing.set_claim_type("jkk_death");
  death_filing.set_event_date("2031-07-20");
  const auto death = file_claim(death_filing);
  ASSERT_EQ(death.status(), "filed") << death.rejection_reason();
  EXPECT_EQ(death.total(), 70'000'000);
  EXPECT_EQ(pay_out(death, "e2e-life-death-pay").status(), "paid");

  // A JKK scholarship (no minimum period) for their child's 2031 school year: SD year 1.
  cl::Child child;
  child.set_name("Dewi Lestari");
  child.set_birth_date("2024-02-10");
  child.set_level("sd");
  child.set_school_year(1);
  auto scholarship_filing = heir_filing(id, "e2e-life-scholarship-2031");
  scholarship_filing.set_claim_type("scholarship");
  scholarship_filing.set_death_claim_id(death.claim_id());
  scholarship_filing.set_scholarship_year(2031);
  *scholarship_filing.add_children() = child;
  const auto first_year = file_claim(scholarship_filing);
  ASSERT_EQ(first_year.status(), "filed") << first_year.rejection_reason();
  EXPECT_EQ(first_year.total(), 1'500'000);
  EXPECT_EQ(pay_out(first_year, "e2e-life-scholarship-2031-pay").status(), "paid");
  // Asked without a year, claims answers for this year by its clock: 2031 is claimed.
  EXPECT_TRUE(scholarships_due(0).empty());

  // ---- The clock crosses into 2032: the child is due for this (2032) school year, claimed again
  // (SD year 2) and paid; then nothing is due this year any more.
  move_clock("2032-01-05T09:00:00+07:00");
  const auto due = scholarships_due(0);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].death_claim_id(), death.claim_id());
  EXPECT_EQ(due[0].child_name(), "Dewi Lestari");
  EXPECT_EQ(due[0].last_year(), 2031);
  EXPECT_EQ(due[0].last_school_year(), 1);
  EXPECT_EQ(due[0].age(), 7);
  child.set_school_year(2);
  scholarship_filing.set_idempotency_key("e2e-life-scholarship-2032");
  scholarship_filing.set_scholarship_year(2032);
  *scholarship_filing.mutable_children(0) = child;
  const auto second_year = file_claim(scholarship_filing);
  ASSERT_EQ(second_year.status(), "filed") << second_year.rejection_reason();
  EXPECT_EQ(second_year.total(), 1'500'000);
  EXPECT_EQ(second_year.event_date(), "2031-07-20");  // the death's
  EXPECT_EQ(pay_out(second_year, "e2e-life-scholarship-2032-pay").status(), "paid");
  EXPECT_TRUE(scholarships_due(0).empty());
  watcher.stop();
}

}  // namespace
}  // namespace jaring

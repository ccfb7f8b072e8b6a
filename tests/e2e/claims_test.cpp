// End to end for issue 7 on the real stack: a worker registered through registration's API
// pays a month through contribution; the claims service learns both from Kafka alone; a widow
// files a JKM death claim (agent), the documents are ticked, branch staff verify, the filer may
// not approve (maker-checker), an approver does, the claim is paid once. ClaimPaid is on
// jaring.claims.v1 once, without NIK or name; the coverage service counts the RW's claims paid
// (count and rupiah) and registration ends the participation (reason death).
#include <gtest/gtest.h>

#include <mutex>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include "jaring/claims/v1/claims.grpc.pb.h"
#include "jaring/contribution/v1/contribution.grpc.pb.h"
#include "jaring/coverage/v1/coverage.grpc.pb.h"
#include "jaring/events/v1/envelope.pb.h"
#include "jaring/grpc/server.hpp"
#include "jaring/kafka/kafka.hpp"
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
namespace cl = claims::v1;

constexpr const char* kKelurahan = "31.75.06.1005";
const std::string kRw = "31.75.06.1005.007";
const std::string kHeirNik = "3172014505800002";

// Every envelope on the claims topic, as another system would read it.
class Collector final : public kafka::BatchHandler {
 public:
  std::map<kafka::TopicPartition, std::int64_t> start_offsets(
      const std::vector<kafka::TopicPartition>&) override {
    return {};
  }
  Result<void> apply(const std::vector<kafka::ConsumedMessage>& batch, kafka::DeadLetters&) override {
    std::lock_guard lock(mutex_);
    for (const auto& m : batch) {
      events::v1::Envelope e;
      if (e.ParseFromString(m.payload)) envelopes_.push_back(e);
      payloads_.push_back(m.payload);
    }
    return {};
  }
  std::vector<events::v1::Envelope> of_type(const std::string& type) {
    std::lock_guard lock(mutex_);
    std::vector<events::v1::Envelope> out;
    for (const auto& e : envelopes_) {
      if (e.type() == type) out.push_back(e);
    }
    return out;
  }
  std::vector<std::string> payloads() {
    std::lock_guard lock(mutex_);
    return payloads_;
  }

 private:
  std::mutex mutex_;
  std::vector<events::v1::Envelope> envelopes_;
  std::vector<std::string> payloads_;
};

class ClaimsE2e : public e2e::StackTest {
 protected:
  ClaimsE2e() : StackTest("jaring-claims-e2e") {}

  void SetUp() override {
    StackTest::SetUp();
    registration_ = reg::RegistrationService::NewStub(channel("registration"));
    contribution_ = con::ContributionService::NewStub(channel("contribution"));
    coverage_ = cov::CoverageService::NewStub(channel("coverage"));
    claims_ = cl::ClaimsService::NewStub(channel("claims"));
  }

  std::optional<cov::RwCoverage> rw_coverage() {
    cov::GetRwCoverageRequest request;
    request.set_rw_code(kRw);
    return try_call<cov::RwCoverage>(
        [&](auto* context, auto* out) { return coverage_->GetRwCoverage(context, request, out); });
  }

  sample::Generator generator_{77};
  std::unique_ptr<reg::RegistrationService::Stub> registration_;
  std::unique_ptr<con::ContributionService::Stub> contribution_;
  std::unique_ptr<cov::CoverageService::Stub> coverage_;
  std::unique_ptr<cl::ClaimsService::Stub> claims_;
};

TEST_F(ClaimsE2e, ADeathClaimFromARegisteredPayingWorkerToPayment) {
  Collector collector;
  metrics::Registry registry("e2e");
  kafka::ConsumerOptions options;
  options.group_id = "e2e-claims-watcher";
  options.topics = {"jaring.claims.v1"};
  options.max_wait = 100ms;
  kafka::Consumer watcher({stack_->endpoints().kafka_bootstrap, {}}, options, collector, registry);
  watcher.start();

  // An RW head registered and paying.
  reg::CreateRwRequest rw;
  rw.set_kelurahan_code(kKelurahan);
  rw.set_number(7);
  call<reg::Rw>("create RW",
                [&](auto* context, auto* out) { return registration_->CreateRw(context, rw, out); });
  reg::RegisterRequest request;
  sample::fill_register_request(generator_.worker(1), request);
  request.set_idempotency_key("e2e-claims-1");
  request.set_rw_code(kRw);
  request.set_category("rt_rw_official");
  request.set_payer("self");
  request.set_programs("jkk+jkm");
  request.set_income_band(1'000'000);
  const auto participant = call<reg::Participant>(
      "register", [&](auto* context, auto* out) { return registration_->Register(context, request, out); });
  const auto id = participant.participant_id();
  ASSERT_FALSE(id.empty());

  ASSERT_TRUE(process::wait_for(
      [&] {
        con::GetAccountRequest account;
        account.set_participant_id(id);
        return try_call<con::Account>(
                   [&](auto* context, auto* out) { return contribution_->GetAccount(context, account, out); })
            .has_value();
      },
      20s, 50ms))
      << "no contribution account";
  con::QuoteRequest quote;
  quote.set_category("rt_rw_official");
  quote.set_payer("self");
  quote.set_programs("jkk+jkm");
  quote.set_income_band(1'000'000);
  const auto charge = call<con::Charge>(
      "quote", [&](auto* context, auto* out) { return contribution_->Quote(context, quote, out); });
  con::PaymentRequest payment;
  payment.set_idempotency_key("e2e-claims-pay-1");
  payment.set_participant_id(id);
  payment.set_channel("agent_cash");
  payment.set_agent_id("a_e2e");
  payment.set_amount(charge.total());
  payment.set_months(1);
  const auto paid = call<con::Payment>(
      "pay", [&](auto* context, auto* out) { return contribution_->MakePayment(context, payment, out); });
  ASSERT_EQ(paid.allocations_size(), 1);
  // The day of the death: today in Jakarta (fixed UTC+07:00), the month registration opened and
  // the payment paid.
  const auto event_date = fmt::format("{:%F}", std::chrono::floor<std::chrono::days>(
                                                   std::chrono::system_clock::now() + std::chrono::hours(7)));
  ASSERT_EQ(paid.allocations(0).period(), event_date.substr(0, 7));

  // The claims service learns the participant and the paid month from Kafka alone.
  cl::CheckEligibilityRequest check;
  check.set_participant_id(id);
  check.set_date(event_date);
  cl::Eligibility eligibility;
  ASSERT_TRUE(process::wait_for(
      [&] {
        auto e = try_call<cl::Eligibility>(
            [&](auto* context, auto* out) { return claims_->CheckEligibility(context, check, out); });
        if (e) eligibility = *e;
        return e && e->state() == "active";
      },
      20s, 50ms))
      << "claims does not see the paid month: " << eligibility.reason();
  EXPECT_EQ(eligibility.state(), "active");

  // The widow files through an agent.
  cl::FileClaimRequest file;
  file.set_idempotency_key("e2e-claim-1");
  file.set_participant_id(id);
  file.set_claim_type("jkm_death");
  file.set_event_date(event_date);
  file.mutable_claimant()->set_name("Siti Aminah");
  file.mutable_claimant()->set_nik(kHeirNik);
  file.mutable_claimant()->set_relation("spouse");
  auto* spouse = file.add_family();
  spouse->set_relation("spouse");
  spouse->set_alive(true);
  spouse->set_name("Siti Aminah");
  file.set_requested_amount(42'000'000);
  const auto filer = [&](auto* context, auto* out) { return claims_->FileClaim(context, file, out); };
  const auto filed = call<cl::Claim>("file", filer, "agent.e2e", "agent");
  ASSERT_EQ(filed.status(), "filed") << filed.rejection_reason();
  EXPECT_EQ(filed.total(), 42'000'000);
  EXPECT_EQ(filed.rw_code(), kRw);
  EXPECT_EQ(call<cl::Claim>("file again", filer, "agent.e2e", "agent").claim_id(), filed.claim_id());

  cl::AttachDocumentsRequest documents;
  documents.set_claim_id(filed.claim_id());
  for (const auto& d : filed.documents()) documents.add_documents(d.code());
  EXPECT_EQ(documents.documents_size(), 7);
  call<cl::Claim>(
      "documents",
      [&](auto* context, auto* out) { return claims_->AttachDocuments(context, documents, out); },
      "agent.e2e", "agent");
  cl::VerifyClaimRequest verify;
  verify.set_claim_id(filed.claim_id());
  call<cl::Claim>(
      "verify", [&](auto* context, auto* out) { return claims_->VerifyClaim(context, verify, out); },
      "officer.e2e", "branch-officer");
  cl::ApproveClaimRequest approve;
  approve.set_claim_id(filed.claim_id());
  ::grpc::Status refused;
  EXPECT_FALSE(try_call<cl::Claim>(
      [&](auto* context, auto* out) { return claims_->ApproveClaim(context, approve, out); }, &refused,
      "agent.e2e", "approver"));
  EXPECT_EQ(refused.error_code(), ::grpc::StatusCode::PERMISSION_DENIED) << refused.error_message();
  const auto approved = call<cl::Claim>(
      "approve", [&](auto* context, auto* out) { return claims_->ApproveClaim(context, approve, out); },
      "approver.e2e", "approver");
  EXPECT_EQ(approved.lines_size(), 3);
  cl::PayClaimRequest pay;
  pay.set_claim_id(filed.claim_id());
  pay.set_idempotency_key("e2e-claim-pay-1");
  const auto done = call<cl::Claim>(
      "pay", [&](auto* context, auto* out) { return claims_->PayClaim(context, pay, out); }, "officer.e2e",
      "branch-officer");
  EXPECT_EQ(done.status(), "paid");
  pay.set_idempotency_key("e2e-claim-pay-2");
  EXPECT_FALSE(
      try_call<cl::Claim>([&](auto* context, auto* out) { return claims_->PayClaim(context, pay, out); },
                          &refused, "officer.e2e", "branch-officer"));
  EXPECT_EQ(refused.error_code(), ::grpc::StatusCode::FAILED_PRECONDITION);

  // The history says who did each step.
  cl::GetClaimRequest get;
  get.set_claim_id(filed.claim_id());
  const auto stored =
      call<cl::Claim>("get", [&](auto* context, auto* out) { return claims_->GetClaim(context, get, out); });
  std::vector<std::string> steps;
  for (const auto& h : stored.history()) steps.push_back(h.action() + ":" + h.user());
  EXPECT_EQ(steps, (std::vector<std::string>{"filed:agent.e2e", "documents:agent.e2e", "verified:officer.e2e",
                                             "approved:approver.e2e", "paid:officer.e2e"}));

  // ClaimPaid once on the bus, ending the participation; no NIK and no name anywhere on it.
  ASSERT_TRUE(process::wait_for([&] { return !collector.of_type("ClaimPaid").empty(); }, 30s, 50ms))
      << "no ClaimPaid on jaring.claims.v1";
  const auto claim_paid = collector.of_type("ClaimPaid");
  ASSERT_EQ(claim_paid.size(), 1u);
  EXPECT_TRUE(claim_paid[0].claim_paid().ends_participation());
  EXPECT_EQ(claim_paid[0].claim_paid().amount(), 42'000'000);
  EXPECT_EQ(claim_paid[0].claim_paid().participant_id(), id);
  EXPECT_EQ(collector.of_type("ClaimFiled").size(), 1u);
  EXPECT_EQ(collector.of_type("ClaimApproved").size(), 1u);
  for (const auto& payload : collector.payloads()) {
    EXPECT_EQ(payload.find(kHeirNik), std::string::npos);
    EXPECT_EQ(payload.find("Siti"), std::string::npos);
  }

  // The RW's claims counter, counted once; registration ends the participation (death).
  std::optional<cov::RwCoverage> rw_now;
  EXPECT_TRUE(process::wait_for(
      [&] {
        rw_now = rw_coverage();
        return rw_now && rw_now->counters().claims_paid() == 1;
      },
      20s, 50ms))
      << "the coverage service did not count the claim";
  ASSERT_TRUE(rw_now);
  EXPECT_EQ(rw_now->counters().claims_paid_rupiah(), 42'000'000);
  reg::GetParticipantRequest who;
  who.set_participant_id(id);
  reg::Participant after;
  EXPECT_TRUE(process::wait_for(
      [&] {
        auto p = try_call<reg::Participant>(
            [&](auto* context, auto* out) { return registration_->GetParticipant(context, who, out); });
        if (p) after = *p;
        return p && p->status() == "exited";
      },
      20s, 50ms))
      << "registration did not end the participation: " << after.status();
  EXPECT_EQ(after.exit_reason(), "death");
  EXPECT_EQ(after.exit_date(), event_date);
  watcher.stop();
  EXPECT_EQ(rw_coverage()->counters().claims_paid(), 1);
}

}  // namespace
}  // namespace jaring

// End to end for issue 7 on the real stack, each step as the role that does it (issue 12): an
// agent registers a worker and collects a month through contribution; the claims service learns
// the paid month from Kafka and asks registration for the worker (a filing while registration is
// down answers UNAVAILABLE and files nothing); the widow files a JKM death claim through that
// agent, the documents are
// ticked, a branch officer verifies, neither the filer (however the token spells them) nor the
// verifier may approve and the approver may not pay (maker-checker), another agent does not see
// the claim; an approver approves, a second approver pays, once. ClaimPaid is on jaring.claims.v1
// once, without NIK or name; the coverage service counts the RW's claims paid (count and rupiah)
// and registration ends the participation (reason death).
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
#include "topic_collector.hpp"

namespace jaring {
namespace {

using namespace std::chrono_literals;
using e2e::Collector;
namespace reg = registration::v1;
namespace cov = coverage::v1;
namespace con = contribution::v1;
namespace cl = claims::v1;

constexpr const char* kKelurahan = "31.75.06.1005";
const std::string kRw = "31.75.06.1005.007";
const std::string kHeirNik = "3172014505800002";

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

  // An RW head registered by a Perisai agent of the branch, who collects the first month.
  reg::CreateRwRequest rw;
  rw.set_kelurahan_code(kKelurahan);
  rw.set_number(7);
  call<reg::Rw>("create RW",
                [&](auto* context, auto* out) { return registration_->CreateRw(context, rw, out); });
  reg::RegisterAgentRequest perisai;
  perisai.set_idempotency_key("e2e-claims-agent");
  perisai.set_name("Rina Perisai");
  perisai.set_phone("081298765432");
  perisai.set_branch_code("pulogebang");
  perisai.set_organisation("Perisai Cakung");
  const auto agent_id = call<reg::Agent>("register agent", [&](auto* context, auto* out) {
                          return registration_->RegisterAgent(context, perisai, out);
                        }).agent_id();
  ASSERT_FALSE(agent_id.empty());
  const e2e::As agent{"agent.e2e", {"agent"}, agent_id};
  const e2e::As officer{"officer.e2e", {"branch-officer"}};
  const e2e::As approver{"approver.e2e", {"approver"}};
  const e2e::As payer{"approver2.e2e", {"approver"}};
  reg::RegisterRequest request;
  sample::fill_register_request(generator_.worker(1), request);
  request.set_idempotency_key("e2e-claims-1");
  request.set_rw_code(kRw);
  request.set_category("rt_rw_official");
  request.set_payer("self");
  request.set_programs("jkk+jkm");
  request.set_income_band(1'000'000);
  ::grpc::Status status;
  const auto participant = try_call_as<reg::Participant>(
      [&](auto* context, auto* out) { return registration_->Register(context, request, out); }, agent,
      &status);
  ASSERT_TRUE(participant) << "register: " << status.error_message();
  EXPECT_EQ(participant->agent_id(), agent_id);  // the agent's own, from the token
  const auto id = participant->participant_id();
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
  payment.set_amount(charge.total());
  payment.set_months(1);
  const auto collected = try_call_as<con::Payment>(
      [&](auto* context, auto* out) { return contribution_->MakePayment(context, payment, out); }, agent,
      &status);
  ASSERT_TRUE(collected) << "pay: " << status.error_message();
  const auto& paid = *collected;
  EXPECT_EQ(paid.agent_id(), agent_id);
  ASSERT_EQ(paid.allocations_size(), 1);
  // The day of the death: today in Jakarta (fixed UTC+07:00), the month registration opened and
  // the payment paid.
  const auto event_date = fmt::format("{:%F}", std::chrono::floor<std::chrono::days>(
                                                   std::chrono::system_clock::now() + std::chrono::hours(7)));
  ASSERT_EQ(paid.allocations(0).period(), event_date.substr(0, 7));

  // The claims service learns the paid month from Kafka, and the participant from registration.
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
  // One claim call as `as`, that must succeed.
  const auto step = [&](const std::string& what, auto&& fn, const e2e::As& as) {
    ::grpc::Status why;
    auto claim = try_call_as<cl::Claim>(fn, as, &why);
    EXPECT_TRUE(claim) << what << " as " << as.user << ": " << why.error_message();
    return claim.value_or(cl::Claim{});
  };
  // One claim call as `as`, that must be refused with `code`.
  const auto refused = [&](const std::string& what, auto&& fn, const e2e::As& as, ::grpc::StatusCode code) {
    ::grpc::Status why;
    EXPECT_FALSE(try_call_as<cl::Claim>(fn, as, &why)) << what << " as \"" << as.user << "\"";
    EXPECT_EQ(why.error_code(), code) << what << " as \"" << as.user << "\": " << why.error_message();
    return why.error_message();
  };
  // With registration down, the filing cannot be judged: UNAVAILABLE, nothing filed; once it is
  // back, the same filing goes through (the agent tries again, as a client does).
  stack_->terminate("registration");
  refused("file while registration is down", filer, agent, ::grpc::StatusCode::UNAVAILABLE);
  cl::ListClaimsRequest all;
  const auto listed = try_call<cl::ListClaimsResponse>(
      [&](auto* context, auto* out) { return claims_->ListClaims(context, all, out); });
  ASSERT_TRUE(listed);
  EXPECT_EQ(listed->claims_size(), 0);
  stack_->restart("registration");
  ASSERT_TRUE(process::wait_for([&] { return try_call_as<cl::Claim>(filer, agent).has_value(); }, 30s, 200ms))
      << "claims did not reach registration again";
  const auto filed = step("file", filer, agent);
  ASSERT_EQ(filed.status(), "filed") << filed.rejection_reason();
  EXPECT_EQ(filed.total(), 42'000'000);
  EXPECT_EQ(filed.rw_code(), kRw);
  EXPECT_EQ(step("file again", filer, agent).claim_id(), filed.claim_id());
  // Another agent's worker is no worker of this one: answered as one nobody announced.
  const e2e::As other_agent{"agent.lain", {"agent"}, "a_other"};
  file.set_idempotency_key("e2e-claim-other-agent");
  refused("file for another agent's worker", filer, other_agent, ::grpc::StatusCode::INVALID_ARGUMENT);
  // A worker registration does not know (its GetParticipantFacts: NOT_FOUND) is named the same way.
  file.set_idempotency_key("e2e-claim-nobody");
  file.set_participant_id("p_nobody");
  const auto nobody = refused("file for nobody", filer, agent, ::grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(nobody.find("unknown participant p_nobody"), std::string::npos) << nobody;
  file.set_participant_id(id);
  file.set_idempotency_key("e2e-claim-1");

  cl::AttachDocumentsRequest documents;
  documents.set_claim_id(filed.claim_id());
  for (const auto& d : filed.documents()) documents.add_documents(d.code());
  EXPECT_EQ(documents.documents_size(), 7);
  const auto attacher = [&](auto* context, auto* out) {
    return claims_->AttachDocuments(context, documents, out);
  };
  step("documents", attacher, agent);
  cl::VerifyClaimRequest verify;
  verify.set_claim_id(filed.claim_id());
  const auto verifier = [&](auto* context, auto* out) { return claims_->VerifyClaim(context, verify, out); };
  step("verify", verifier, officer);

  // Maker-checker on the verified subject: the filer, however the token spells them, and the
  // verifier may not approve.
  cl::ApproveClaimRequest approve;
  approve.set_claim_id(filed.claim_id());
  const auto approval = [&](auto* context, auto* out) {
    return claims_->ApproveClaim(context, approve, out);
  };
  for (const auto* filer_again : {"agent.e2e", " Agent.E2E "}) {
    const auto why = refused("approve", approval, e2e::As{filer_again, {"approver"}},
                             ::grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_NE(why.find("maker-checker"), std::string::npos) << why;
  }
  refused("approve", approval, e2e::As{"OFFICER.E2E", {"approver"}}, ::grpc::StatusCode::PERMISSION_DENIED);
  // Another agent does not see the claim at all.
  cl::GetClaimRequest get;
  get.set_claim_id(filed.claim_id());
  const auto getter = [&](auto* context, auto* out) { return claims_->GetClaim(context, get, out); };
  refused("get", getter, other_agent, ::grpc::StatusCode::NOT_FOUND);
  const auto approved = step("approve", approval, approver);
  EXPECT_EQ(approved.lines_size(), 3);

  // The approver does not pay; a second approver does, once.
  cl::PayClaimRequest pay;
  pay.set_claim_id(filed.claim_id());
  pay.set_idempotency_key("e2e-claim-pay-1");
  const auto payout = [&](auto* context, auto* out) { return claims_->PayClaim(context, pay, out); };
  refused("pay", payout, e2e::As{"Approver.E2E", {"approver"}}, ::grpc::StatusCode::PERMISSION_DENIED);
  const auto done = step("pay", payout, payer);
  EXPECT_EQ(done.status(), "paid");
  pay.set_idempotency_key("e2e-claim-pay-2");
  refused("pay twice", payout, payer, ::grpc::StatusCode::FAILED_PRECONDITION);

  // The history says who did each step, with their roles; the filing agent sees their claim.
  const auto stored = step("get", getter, agent);
  std::vector<std::string> steps;
  for (const auto& h : stored.history()) steps.push_back(h.action() + ":" + h.user() + ":" + h.role());
  EXPECT_EQ(steps,
            (std::vector<std::string>{"filed:agent.e2e:agent", "documents:agent.e2e:agent",
                                      "verified:officer.e2e:branch-officer", "approved:approver.e2e:approver",
                                      "paid:approver2.e2e:approver"}));

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

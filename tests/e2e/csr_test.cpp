// End to end for issue 8 on the real stack: kelurahan staff propose vulnerable workers (new
// ones go through registration, a bad row is refused with its reason); a CSR sponsor deposits,
// sees the budget, accepts one worker and rejects the other; the contribution service bills the
// month, csr-donor pays it from the wallet through SponsorPaymentMade, and the contribution
// statement shows the sponsor as the payer; registration makes the sponsor the payer and the
// coverage service counts one sponsored worker in the RW, exactly once. The impact report then
// shows the month funded; a death claim paid to the family counts in it, and the death ends the
// sponsorship. Each step is taken with the token of the role that takes it: the kelurahan's area
// official proposes, an admin opens the sponsors' wallets, each sponsor acts with its own sponsor
// id and sees nothing of the other's.
#include <gtest/gtest.h>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include "jaring/claims/v1/claims.grpc.pb.h"
#include "jaring/contribution/v1/contribution.grpc.pb.h"
#include "jaring/coverage/v1/coverage.grpc.pb.h"
#include "jaring/csr/v1/csr.grpc.pb.h"
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
namespace csr = csr::v1;
namespace cl = claims::v1;

constexpr const char* kKelurahan = "31.75.06.1005";
const std::string kRw = "31.75.06.1005.001";

class CsrE2e : public e2e::StackTest {
 protected:
  CsrE2e() : StackTest("jaring-csr-e2e") {}

  // A sponsor's (or the city budget's) own staff.
  static e2e::As sponsor_staff(const std::string& user, const std::string& role,
                               const std::string& sponsor_id) {
    return {user, {role}, "", sponsor_id};
  }

  void SetUp() override {
    StackTest::SetUp();
    registration_ = reg::RegistrationService::NewStub(channel("registration"));
    contribution_ = con::ContributionService::NewStub(channel("contribution"));
    coverage_ = cov::CoverageService::NewStub(channel("coverage"));
    csr_ = csr::SponsorService::NewStub(channel("csr-donor"));
    claims_ = cl::ClaimsService::NewStub(channel("claims"));
  }

  std::optional<con::Account> account(const std::string& participant) {
    con::GetAccountRequest request;
    request.set_participant_id(participant);
    return try_call<con::Account>(
        [&](auto* context, auto* out) { return contribution_->GetAccount(context, request, out); });
  }

  std::optional<cov::Counters> rw_counters() {
    cov::ListRwCoverageRequest request;
    request.set_kelurahan_code(kKelurahan);
    const auto reply = try_call<cov::ListRwCoverageResponse>(
        [&](auto* context, auto* out) { return coverage_->ListRwCoverage(context, request, out); });
    if (!reply) return std::nullopt;
    for (const auto& rw : reply->rws())
      if (rw.rw_code() == kRw) return rw.counters();
    return std::nullopt;
  }

  csr::ProposalInput* new_worker(csr::SubmitProposalRequest& request, int serial, const std::string& reason) {
    const auto w = generator_.worker(static_cast<std::uint64_t>(serial));
    auto* item = request.add_items();
    item->set_row(serial + 1);  // as if line numbers of a CSV with a header
    item->set_reason(reason);
    auto* nw = item->mutable_worker();
    nw->set_nik(w.nik);
    nw->set_name(w.name);
    nw->set_birth_date(w.birth_date);
    nw->set_sex(w.sex);
    nw->set_phone(w.phone);
    nw->set_rw_code(kRw);
    nw->set_rt(w.rt);
    nw->set_category("scavenger");
    nw->set_income_band(1'000'000);
    nw->set_programs("jkk+jkm");
    return item;
  }

  sample::Generator generator_{88};
  std::unique_ptr<reg::RegistrationService::Stub> registration_;
  std::unique_ptr<con::ContributionService::Stub> contribution_;
  std::unique_ptr<cov::CoverageService::Stub> coverage_;
  std::unique_ptr<csr::SponsorService::Stub> csr_;
  std::unique_ptr<cl::ClaimsService::Stub> claims_;
};

TEST_F(CsrE2e, KelurahanProposalToAPaidContributionAndASponsoredCounter) {
  {
    reg::CreateRwRequest request;
    request.set_kelurahan_code(kKelurahan);
    request.set_number(1);
    call<reg::Rw>("create RW",
                  [&](auto* context, auto* out) { return registration_->CreateRw(context, request, out); });
  }

  // The kelurahan proposes two new workers and one row registration refuses.
  csr::SubmitProposalRequest propose;
  propose.set_idempotency_key("e2e-proposal");
  propose.set_kelurahan_code(kKelurahan);
  new_worker(propose, 1, "pemulung, no fixed income");
  new_worker(propose, 2, "penjaga makam");
  new_worker(propose, 3, "broken NIK")->mutable_worker()->set_nik("12345");
  const e2e::As lurah{"lurah.pulogebang", {"area-official"}};
  ::grpc::Status status;
  const auto proposal =
      try_call_as<csr::Proposal>(
          [&](auto* context, auto* out) { return csr_->SubmitProposal(context, propose, out); }, lurah,
          &status)
          .value_or(csr::Proposal{});
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(proposal.items_size(), 2) << proposal.ShortDebugString();
  ASSERT_EQ(proposal.refused_size(), 1);
  EXPECT_EQ(proposal.refused(0).row(), 4);
  EXPECT_NE(proposal.refused(0).reason().find("nik"), std::string::npos) << proposal.refused(0).reason();
  EXPECT_EQ(proposal.submitted_by(), "lurah.pulogebang");
  // Kelurahan staff of another area neither propose for Pulo Gebang nor see its proposals.
  {
    const e2e::As gambir{"lurah.gambir", {"area-official"}, "", "", {}, {"31.71.01.1001"}};
    auto elsewhere = propose;
    elsewhere.set_idempotency_key("e2e-proposal-gambir");
    EXPECT_FALSE(try_call_as<csr::Proposal>(
        [&](auto* context, auto* out) { return csr_->SubmitProposal(context, elsewhere, out); }, gambir,
        &status));
    EXPECT_EQ(status.error_code(), ::grpc::StatusCode::PERMISSION_DENIED);
    ASSERT_FALSE(grpc::field_violations(status).empty());
    EXPECT_EQ(grpc::field_violations(status)[0].field, "kelurahan_code");
    csr::ListProposalsRequest list;
    const auto seen = [&](const e2e::As& as) {
      return try_call_as<csr::ListProposalsResponse>(
                 [&](auto* context, auto* out) { return csr_->ListProposals(context, list, out); }, as)
          .value_or(csr::ListProposalsResponse{})
          .proposals_size();
    };
    EXPECT_EQ(seen(gambir), 0);
    EXPECT_EQ(seen(lurah), 1);
  }
  const auto accepted_id = proposal.items(0).participant_id();
  const auto rejected_id = proposal.items(1).participant_id();

  // Accounts open in the contribution service from registration's events.
  std::string p0;
  ASSERT_TRUE(process::wait_for(
      [&] {
        auto a = account(accepted_id);
        if (a) p0 = a->first_period();
        return a.has_value() && account(rejected_id).has_value();
      },
      20s, 50ms));

  // The sponsor deposits, sees the budget, accepts one worker for three months and rejects the other.
  csr::CreateSponsorRequest create;
  create.set_idempotency_key("e2e-sponsor");
  create.set_name("PT Maju Bersama");
  create.set_kind("csr_company");
  const auto sponsor = call<csr::Sponsor>(
      "sponsor", [&](auto* context, auto* out) { return csr_->CreateSponsor(context, create, out); });
  csr::DepositRequest deposit;
  deposit.set_idempotency_key("e2e-deposit");
  deposit.set_sponsor_id(sponsor.sponsor_id());
  deposit.set_amount(1'000'000);
  deposit.set_reference("BCA 0042");
  const auto maju = sponsor_staff("csr.maju", "sponsor", sponsor.sponsor_id());
  for (int attempt = 0; attempt < 2; ++attempt) {  // a retried deposit credits once
    const auto d = try_call_as<csr::DepositResult>(
        [&](auto* context, auto* out) { return csr_->Deposit(context, deposit, out); }, maju, &status);
    ASSERT_TRUE(d) << status.error_message();
    EXPECT_EQ(d->balance(), 1'000'000);
    EXPECT_EQ(d->repeated(), attempt == 1);
  }
  con::QuoteRequest tariff;
  tariff.set_period(p0);
  tariff.set_category("scavenger");
  tariff.set_payer("sponsor");
  tariff.set_programs("jkk+jkm");
  tariff.set_income_band(1'000'000);
  const auto monthly = call<con::Charge>("tariff", [&](auto* context, auto* out) {
                         return contribution_->Quote(context, tariff, out);
                       }).total();
  csr::CohortSpec spec;
  spec.set_sponsor_id(sponsor.sponsor_id());
  spec.set_start_period(p0);
  spec.set_months(3);
  spec.add_participant_ids(accepted_id);
  // The quote needs the participant in csr-donor's projection: wait for registration's event.
  csr::Budget budget;
  ASSERT_TRUE(process::wait_for(
      [&] {
        auto b = try_call_as<csr::Budget>(
            [&](auto* context, auto* out) { return csr_->QuoteCohort(context, spec, out); }, maju);
        if (b) budget = *b;
        return b.has_value();
      },
      20s, 50ms));
  EXPECT_EQ(budget.total(), 3 * monthly);
  EXPECT_EQ(budget.shortfall(), 0);

  csr::AcceptProposalRequest accept;
  accept.set_idempotency_key("e2e-accept");
  accept.set_proposal_id(proposal.proposal_id());
  accept.set_sponsor_id(sponsor.sponsor_id());
  accept.add_item_ids(proposal.items(0).item_id());
  accept.set_cohort_name("Maju Peduli Pemulung");
  accept.set_start_period(p0);
  accept.set_months(3);
  const auto accepted =
      try_call_as<csr::AcceptProposalResult>(
          [&](auto* context, auto* out) { return csr_->AcceptProposal(context, accept, out); }, maju, &status)
          .value_or(csr::AcceptProposalResult{});
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(accepted.cohort().members_size(), 1);
  EXPECT_EQ(accepted.cohort().budget().total(), 3 * monthly);
  EXPECT_EQ(accepted.proposal().items(0).status(), "accepted");
  csr::RejectProposalItemsRequest reject;
  reject.set_idempotency_key("e2e-reject");
  reject.set_proposal_id(proposal.proposal_id());
  reject.add_item_ids(proposal.items(1).item_id());
  reject.set_reason("outside this sponsor's programme");
  EXPECT_EQ(
      try_call_as<csr::Proposal>(
          [&](auto* context, auto* out) { return csr_->RejectProposalItems(context, reject, out); }, maju)
          .value_or(csr::Proposal{})
          .status(),
      "decided");

  // Another sponsor cannot fund the same worker for the same months.
  csr::CreateSponsorRequest other;
  other.set_idempotency_key("e2e-sponsor-2");
  other.set_name("Kota Jakarta Timur");
  other.set_kind("city_budget");
  const auto city = call<csr::Sponsor>(
      "sponsor 2", [&](auto* context, auto* out) { return csr_->CreateSponsor(context, other, out); });
  const auto treasurer = sponsor_staff("bendahara.jaktim", "treasurer", city.sponsor_id());
  csr::CreateCohortRequest overlap;
  overlap.set_idempotency_key("e2e-overlap");
  *overlap.mutable_spec() = spec;
  overlap.mutable_spec()->set_sponsor_id(city.sponsor_id());
  ::grpc::Status refused;
  EXPECT_FALSE(try_call_as<csr::Cohort>(
      [&](auto* context, auto* out) { return csr_->CreateCohort(context, overlap, out); }, treasurer,
      &refused));
  EXPECT_EQ(refused.error_code(), ::grpc::StatusCode::FAILED_PRECONDITION);
  const auto details = grpc::field_violations(refused);
  ASSERT_EQ(details.size(), 1u);
  // The periods are named; the other sponsor's cohort is not the city's business.
  EXPECT_NE(details[0].rule.find(p0 + ".."), std::string::npos) << details[0].rule;
  EXPECT_NE(details[0].rule.find("another sponsor"), std::string::npos) << details[0].rule;
  EXPECT_EQ(details[0].rule.find(accepted.cohort().cohort_id()), std::string::npos) << details[0].rule;

  // Each sponsor sees only itself: the other's wallet, cohort and impact are missing, its list
  // holds itself only, and it cannot put money in the other's wallet.
  {
    csr::GetSponsorRequest other_wallet;
    other_wallet.set_sponsor_id(sponsor.sponsor_id());
    EXPECT_FALSE(try_call_as<csr::Sponsor>(
        [&](auto* context, auto* out) { return csr_->GetSponsor(context, other_wallet, out); }, treasurer,
        &status));
    EXPECT_EQ(status.error_code(), ::grpc::StatusCode::NOT_FOUND);
    csr::GetCohortRequest other_cohort;
    other_cohort.set_cohort_id(accepted.cohort().cohort_id());
    EXPECT_FALSE(try_call_as<csr::Cohort>(
        [&](auto* context, auto* out) { return csr_->GetCohort(context, other_cohort, out); }, treasurer,
        &status));
    EXPECT_EQ(status.error_code(), ::grpc::StatusCode::NOT_FOUND);
    csr::ListSponsorsRequest list;
    const auto listed = try_call_as<csr::ListSponsorsResponse>(
        [&](auto* context, auto* out) { return csr_->ListSponsors(context, list, out); }, treasurer);
    ASSERT_TRUE(listed);
    ASSERT_EQ(listed->sponsors_size(), 1);
    EXPECT_EQ(listed->sponsors(0).sponsor_id(), city.sponsor_id());
    EXPECT_EQ(
        call<csr::ListSponsorsResponse>(
            "list sponsors", [&](auto* context, auto* out) { return csr_->ListSponsors(context, list, out); })
            .sponsors_size(),
        2);  // an admin sees both
    csr::DepositRequest into_other = deposit;
    into_other.set_idempotency_key("e2e-deposit-other");
    EXPECT_FALSE(try_call_as<csr::DepositResult>(
        [&](auto* context, auto* out) { return csr_->Deposit(context, into_other, out); }, treasurer,
        &status));
    EXPECT_EQ(status.error_code(), ::grpc::StatusCode::NOT_FOUND);
  }

  // Registration makes the sponsor the payer; coverage counts one sponsored worker in the RW.
  ASSERT_TRUE(process::wait_for(
      [&] {
        reg::GetParticipantRequest request;
        request.set_participant_id(accepted_id);
        auto p = try_call<reg::Participant>(
            [&](auto* context, auto* out) { return registration_->GetParticipant(context, request, out); });
        return p && p->payer() == "sponsor";
      },
      20s, 50ms))
      << "registration did not make the sponsor the payer";
  std::optional<cov::Counters> counters;
  EXPECT_TRUE(process::wait_for(
      [&] {
        counters = rw_counters();
        return counters && counters->sponsored() == 1;
      },
      20s, 50ms))
      << (counters ? counters->ShortDebugString() : "no counters");

  // Billing the month: csr-donor pays it from the wallet, contribution records the sponsor.
  con::RunBillingRequest bill;
  bill.set_idempotency_key("e2e-bill-" + p0);
  bill.set_period(p0);
  call<con::BillingRun>(
      "billing", [&](auto* context, auto* out) { return contribution_->RunBilling(context, bill, out); });
  ASSERT_TRUE(process::wait_for(
      [&] {
        auto a = account(accepted_id);
        return a && a->covered_through() == p0;
      },
      20s, 50ms))
      << "the sponsor's payment did not reach the contribution service";
  con::GetStatementRequest statement_request;
  statement_request.set_participant_id(accepted_id);
  const auto statement = call<con::Statement>("statement", [&](auto* context, auto* out) {
    return contribution_->GetStatement(context, statement_request, out);
  });
  ASSERT_EQ(statement.payments_size(), 1);
  EXPECT_EQ(statement.payments(0).channel(), "sponsor");
  EXPECT_EQ(statement.payments(0).payer_id(), sponsor.sponsor_id());
  EXPECT_EQ(statement.payments(0).amount(), monthly);
  // The rejected worker pays for themselves: the month stays open for them.
  EXPECT_EQ(account(rejected_id)->covered_through(), "");

  csr::GetSponsorRequest get;
  get.set_sponsor_id(sponsor.sponsor_id());
  const auto after = try_call_as<csr::Sponsor>(
                         [&](auto* context, auto* out) { return csr_->GetSponsor(context, get, out); }, maju)
                         .value_or(csr::Sponsor{});
  EXPECT_EQ(after.balance(), 1'000'000 - monthly);
  EXPECT_EQ(after.spent(), monthly);

  csr::ImpactRequest impact_request;
  impact_request.set_sponsor_id(sponsor.sponsor_id());
  impact_request.set_from_period(p0);
  impact_request.set_to_period(p0);
  const auto impact =
      try_call_as<csr::ImpactReport>(
          [&](auto* context, auto* out) { return csr_->GetImpact(context, impact_request, out); }, maju)
          .value_or(csr::ImpactReport{});
  EXPECT_EQ(impact.workers_protected(), 1);
  EXPECT_EQ(impact.months_funded(), 1);
  EXPECT_EQ(impact.spent(), monthly);
  EXPECT_EQ(impact.rws_reached(), 1);
  // Still exactly one sponsored worker after everything settled.
  EXPECT_EQ(rw_counters().value_or(cov::Counters{}).sponsored(), 1);

  // The sponsored worker dies this month; the family's JKM claim is filed, verified, approved and
  // paid by four different people (maker-checker). The sponsor's impact counts it, and the death
  // ends the sponsorship: no sponsored worker is left.
  // Today in Jakarta (fixed UTC+07:00): the month the sponsor paid, on or after registration.
  const auto event_date = fmt::format("{:%F}", std::chrono::floor<std::chrono::days>(
                                                   std::chrono::system_clock::now() + std::chrono::hours(7)));
  ASSERT_EQ(event_date.substr(0, 7), p0);
  cl::CheckEligibilityRequest check;
  check.set_participant_id(accepted_id);
  check.set_date(event_date);
  ASSERT_TRUE(process::wait_for(
      [&] {
        auto e = try_call<cl::Eligibility>(
            [&](auto* context, auto* out) { return claims_->CheckEligibility(context, check, out); });
        return e && e->state() == "active";
      },
      20s, 50ms))
      << "claims does not see the month the sponsor paid";
  cl::FileClaimRequest file;
  file.set_idempotency_key("e2e-csr-claim");
  file.set_participant_id(accepted_id);
  file.set_claim_type("jkm_death");
  file.set_event_date(event_date);
  file.mutable_claimant()->set_name("Siti Aminah");
  file.mutable_claimant()->set_nik("3172014505800002");
  file.mutable_claimant()->set_relation("spouse");
  auto* spouse = file.add_family();
  spouse->set_relation("spouse");
  spouse->set_alive(true);
  spouse->set_name("Siti Aminah");
  const auto filed = call<cl::Claim>(
      "file", [&](auto* context, auto* out) { return claims_->FileClaim(context, file, out); },
      "officer.filer", "branch-officer");
  ASSERT_EQ(filed.status(), "filed") << filed.rejection_reason();
  cl::AttachDocumentsRequest documents;
  documents.set_claim_id(filed.claim_id());
  for (const auto& d : filed.documents()) documents.add_documents(d.code());
  call<cl::Claim>(
      "documents",
      [&](auto* context, auto* out) { return claims_->AttachDocuments(context, documents, out); },
      "officer.filer", "branch-officer");
  cl::VerifyClaimRequest verify;
  verify.set_claim_id(filed.claim_id());
  call<cl::Claim>(
      "verify", [&](auto* context, auto* out) { return claims_->VerifyClaim(context, verify, out); },
      "officer.verifier", "branch-officer");
  cl::ApproveClaimRequest approve;
  approve.set_claim_id(filed.claim_id());
  call<cl::Claim>(
      "approve", [&](auto* context, auto* out) { return claims_->ApproveClaim(context, approve, out); },
      "head.approver", "approver");
  cl::PayClaimRequest pay;
  pay.set_claim_id(filed.claim_id());
  pay.set_idempotency_key("e2e-csr-claim-pay");
  const auto paid = call<cl::Claim>(
      "pay", [&](auto* context, auto* out) { return claims_->PayClaim(context, pay, out); }, "head.payer",
      "approver");
  ASSERT_EQ(paid.status(), "paid");
  csr::ImpactReport with_claim;
  EXPECT_TRUE(process::wait_for(
      [&] {
        auto r = try_call<csr::ImpactReport>(
            [&](auto* context, auto* out) { return csr_->GetImpact(context, impact_request, out); });
        if (r) with_claim = *r;
        return r && r->claims_paid() == 1;
      },
      20s, 50ms))
      << with_claim.ShortDebugString();
  EXPECT_EQ(with_claim.claims_amount(), paid.total());
  EXPECT_TRUE(process::wait_for(
      [&] {
        counters = rw_counters();
        return counters && counters->sponsored() == 0;
      },
      20s, 50ms))
      << "the death did not end the sponsorship: "
      << (counters ? counters->ShortDebugString() : "no counters");
  const auto ended = call<csr::Cohort>("cohort", [&](auto* context, auto* out) {
    csr::GetCohortRequest request;
    request.set_cohort_id(accepted.cohort().cohort_id());
    return csr_->GetCohort(context, request, out);
  });
  ASSERT_EQ(ended.members_size(), 1);
  EXPECT_FALSE(ended.members(0).active());
  EXPECT_EQ(ended.members(0).end_reason(), "exited");
}

}  // namespace
}  // namespace jaring

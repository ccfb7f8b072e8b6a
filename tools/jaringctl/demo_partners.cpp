#include "demo_partners.hpp"

#include <chrono>
#include <thread>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include "cli.hpp"
#include "jaring/claims/v1/claims.grpc.pb.h"
#include "jaring/csr/v1/csr.grpc.pb.h"

namespace jaring::tools {
namespace csr = jaring::csr::v1;
namespace cl = jaring::claims::v1;

namespace {

using namespace std::chrono_literals;

// One call as the person whose token `as` is, with a deadline; prints what failed and returns
// nullopt.
template <typename Reply, typename Fn>
std::optional<Reply> call(const char* what, const grpc::TokenSource& as, Fn&& fn, bool quiet = false) {
  ::grpc::ClientContext context;
  ctl::prepare(context, as, 20s);
  Reply reply;
  const auto status = fn(&context, &reply);
  if (status.ok()) return reply;
  if (!quiet) fmt::print(stderr, "demo: {}: {}\n", what, status.error_message());
  return std::nullopt;
}

// Repeats `attempt` until it answers or the deadline passes: the services learn participants
// from registration's events a moment after registration answered.
template <typename Attempt>
auto retry(Attempt&& attempt, std::chrono::seconds within = 60s) {
  const auto deadline = std::chrono::steady_clock::now() + within;
  auto result = attempt(true);
  while (!result && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(100ms);  // polling a condition, with a deadline
    result = attempt(true);
  }
  return result ? result : attempt(false);
}

struct SponsorPlan {
  const char* key;
  const char* name;
  const char* kind;
  const char* cohort;
  int months;
  int months_deposited;  // of the cohort's budget: fewer than `months` runs the wallet dry
};

}  // namespace

int load_demo_sponsors(const std::shared_ptr<::grpc::Channel>& channel, DemoPeople& people,
                       const std::vector<std::string>& workers, const std::string& first_period,
                       std::uint64_t seed) {
  if (workers.empty()) return 0;
  auto stub = csr::SponsorService::NewStub(channel);
  // A company funds the first half of the workers listed for sponsors for a year; philanthropy
  // ("protection alms") the rest for six months with two months in its wallet, so its wallet
  // runs low and then dry while the months are billed: the alerts a sponsor's officer sees.
  const SponsorPlan plans[] = {
      {"bank-dki", "CSR Bank DKI Peduli", "csr_company", "Pemulung dan marbot 2026", 12, 12},
      {"sedekah", "Sedekah Perlindungan Pekerja", "philanthropy", "Sedekah perlindungan", 6, 2}};
  const std::size_t half = (workers.size() + 1) / 2;
  int failed = 0;
  for (std::size_t p = 0; p < std::size(plans); ++p) {
    const auto& plan = plans[p];
    const std::vector<std::string> members(
        workers.begin() + static_cast<std::ptrdiff_t>(p == 0 ? 0 : half),
        p == 0 ? workers.begin() + static_cast<std::ptrdiff_t>(half) : workers.end());
    if (members.empty()) continue;
    csr::CreateSponsorRequest create;
    create.set_idempotency_key(fmt::format("demo-{}-sponsor-{}", seed, plan.key));
    create.set_name(plan.name);
    create.set_kind(plan.kind);
    const auto sponsor = call<csr::Sponsor>("sponsor", people.admin(), [&](auto* context, auto* out) {
      return stub->CreateSponsor(context, create, out);
    });
    if (!sponsor) {
      ++failed;
      continue;
    }
    // From here on the sponsor's own officer acts, with the sponsor's id in their token.
    const auto& staff = people.sponsor(sponsor->sponsor_id());
    // Loaded before: the cohort exists, and a second budget would only find its own overlap.
    csr::ListCohortsRequest list;
    list.set_sponsor_id(sponsor->sponsor_id());
    const auto cohorts = call<csr::ListCohortsResponse>(
        "cohorts", staff, [&](auto* context, auto* out) { return stub->ListCohorts(context, list, out); });
    if (!cohorts) {
      ++failed;
      continue;
    }
    if (!cohorts->cohorts().empty()) continue;
    csr::CohortSpec spec;
    spec.set_sponsor_id(sponsor->sponsor_id());
    spec.set_name(plan.cohort);
    spec.set_start_period(first_period);
    spec.set_months(plan.months);
    for (const auto& id : members) spec.add_participant_ids(id);
    // The budget first, as a sponsor sees it before accepting; csr-donor must know the workers.
    const auto budget = retry([&](bool quiet) {
      return call<csr::Budget>(
          "cohort budget", staff,
          [&](auto* context, auto* out) { return stub->QuoteCohort(context, spec, out); }, quiet);
    });
    if (!budget) {
      ++failed;
      continue;
    }
    csr::DepositRequest deposit;
    deposit.set_idempotency_key(fmt::format("demo-{}-deposit-{}", seed, plan.key));
    deposit.set_sponsor_id(sponsor->sponsor_id());
    deposit.set_amount(budget->total() * plan.months_deposited / plan.months);
    deposit.set_reference(fmt::format("transfer {} {}", plan.key, first_period));
    if (!call<csr::DepositResult>("deposit", staff, [&](auto* context, auto* out) {
          return stub->Deposit(context, deposit, out);
        })) {
      ++failed;
      continue;
    }
    csr::CreateCohortRequest cohort;
    cohort.set_idempotency_key(fmt::format("demo-{}-cohort-{}", seed, plan.key));
    *cohort.mutable_spec() = spec;
    const auto created = call<csr::Cohort>(
        "cohort", staff, [&](auto* context, auto* out) { return stub->CreateCohort(context, cohort, out); });
    if (!created) {
      ++failed;
      continue;
    }
    fmt::print("demo: {} ({}) funds {} workers for {} months from {}; deposited Rp{} of Rp{}\n", plan.name,
               plan.kind, created->members_size(), plan.months, first_period, deposit.amount(),
               budget->total());
  }
  return failed;
}

int load_demo_claims(const std::shared_ptr<::grpc::Channel>& channel, DemoPeople& people,
                     const std::vector<DemoDeath>& deaths, const std::string& today, std::uint64_t seed) {
  auto stub = cl::ClaimsService::NewStub(channel);
  int failed = 0;
  int paid = 0;
  for (std::size_t i = 0; i < deaths.size(); ++i) {
    const auto& death = deaths[i];
    // The agent who collected the worker's contributions helps the family claim.
    const auto& agent = people.agent(death.agent_id, death.agent_branch);
    // The claims service decides from the payments it has read: wait until it sees the month paid.
    cl::CheckEligibilityRequest check;
    check.set_participant_id(death.participant_id);
    check.set_date(today);
    const auto eligible = retry([&](bool quiet) -> std::optional<cl::Eligibility> {
      auto e = call<cl::Eligibility>(
          "eligibility", agent,
          [&](auto* context, auto* out) { return stub->CheckEligibility(context, check, out); }, quiet);
      if (e && e->state() == "active") return e;
      if (!quiet && e) fmt::print(stderr, "demo: claim for {}: {}\n", death.participant_id, e->reason());
      return std::nullopt;
    });
    if (!eligible) {
      ++failed;
      continue;
    }
    cl::FileClaimRequest file;
    file.set_idempotency_key(fmt::format("demo-{}-claim-{}", seed, i));
    file.set_participant_id(death.participant_id);
    file.set_claim_type(death.claim_type);
    file.set_event_date(today);
    file.set_agent_id(death.agent_id);
    file.set_note(death.note);
    file.mutable_claimant()->set_name(death.heir_name);
    file.mutable_claimant()->set_nik(death.heir_nik);
    file.mutable_claimant()->set_relation("spouse");
    auto* spouse = file.add_family();
    spouse->set_relation("spouse");
    spouse->set_alive(true);
    spouse->set_name(death.heir_name);
    auto claim = call<cl::Claim>(
        "file claim", agent, [&](auto* context, auto* out) { return stub->FileClaim(context, file, out); });
    if (!claim) {
      ++failed;
      continue;
    }
    if (claim->status() == "paid") {  // loaded before
      ++paid;
      continue;
    }
    // The agent brings every document; the branch officer verifies; a branch head approves and
    // another pays: four people, as maker-checker requires.
    cl::AttachDocumentsRequest documents;
    documents.set_claim_id(claim->claim_id());
    for (const auto& d : claim->documents()) documents.add_documents(d.code());
    cl::VerifyClaimRequest verify;
    verify.set_claim_id(claim->claim_id());
    cl::ApproveClaimRequest approve;
    approve.set_claim_id(claim->claim_id());
    cl::PayClaimRequest pay;
    pay.set_claim_id(claim->claim_id());
    pay.set_idempotency_key(fmt::format("demo-{}-claim-{}-pay", seed, i));
    const auto& officer = people.officer();
    const auto& approver = people.approver();
    const bool done =
        (claim->status() != "filed" ||
         call<cl::Claim>(
             "documents", agent,
             [&](auto* context, auto* out) { return stub->AttachDocuments(context, documents, out); })) &&
        (claim->status() == "verified" || claim->status() == "approved" ||
         call<cl::Claim>(
             "verify", officer,
             [&](auto* context, auto* out) { return stub->VerifyClaim(context, verify, out); })) &&
        (claim->status() == "approved" || call<cl::Claim>("approve", approver,
                                                          [&](auto* context, auto* out) {
                                                            return stub->ApproveClaim(context, approve, out);
                                                          })) &&
        call<cl::Claim>("pay", people.paying_approver(),
                        [&](auto* context, auto* out) { return stub->PayClaim(context, pay, out); });
    if (done) {
      ++paid;
    } else {
      ++failed;
    }
  }
  fmt::print("demo: {} death claim(s) paid to the families\n", paid);
  return failed;
}

}  // namespace jaring::tools

// Chaos: Redis loses every key (FLUSHALL) while workers are being registered, a sponsor funds
// one of them and a death claim of another is paid. The coverage
// service must notice by itself (no generation marker), say it is not ready, rebuild every
// counter from the owners' export streams, and count on from there: at the end every counter of
// every RW equals what the owners hold (0 lost, 0 doubled), and at no poll in between does /readyz
// answer 200 while the counters are below what the owners held before the wipe or above what
// they hold a moment later. The owners' figures come from their own export streams (as an
// auditor). JARING_CHAOS=full registers 60,000 workers; otherwise 2,000. The recovery time (wipe
// to ready, and wipe to exact) is printed, never asserted.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include "chaos.hpp"
#include "jaring/claims/v1/claims.grpc.pb.h"
#include "jaring/contribution/v1/contribution.grpc.pb.h"
#include "jaring/coverage/v1/coverage.grpc.pb.h"
#include "jaring/csr/v1/csr.grpc.pb.h"
#include "jaring/process/process.hpp"
#include "jaring/redis/redis.hpp"
#include "jaring/registration/v1/registration.grpc.pb.h"
#include "jaring/sample/sample.hpp"

namespace jaring {
namespace {

namespace reg = registration::v1;
namespace con = contribution::v1;
namespace cl = claims::v1;
namespace csr = csr::v1;
namespace cov = coverage::v1;
using namespace std::chrono_literals;

constexpr const char* kKelurahan = "31.75.06.1005";  // Pulo Gebang
constexpr int kRws = 8;

// Per RW: registered workers and active accounts; in the kelurahan: sponsored workers, claims
// paid and their rupiah.
struct Figures {
  std::map<std::string, std::int64_t> registered;
  std::map<std::string, std::int64_t> active;
  std::int64_t sponsored = 0;
  std::int64_t claims_paid = 0;
  std::int64_t claims_paid_rupiah = 0;
  std::int64_t total_registered() const {
    std::int64_t n = 0;
    for (const auto& [_, v] : registered) n += v;
    return n;
  }
  std::int64_t total_active() const {
    std::int64_t n = 0;
    for (const auto& [_, v] : active) n += v;
    return n;
  }
  bool operator==(const Figures&) const = default;
};

std::string describe(const Figures& f) {
  return fmt::format("{} registered, {} active, {} sponsored, {} claims paid (Rp{})", f.total_registered(),
                     f.total_active(), f.sponsored, f.claims_paid, f.claims_paid_rupiah);
}

class RedisWipe : public e2e::StackTest {
 protected:
  RedisWipe() : StackTest("jaring-chaos-redis-wipe") {}

  void SetUp() override {
    StackTest::SetUp();
    registration_ = reg::RegistrationService::NewStub(channel("registration"));
    contribution_ = con::ContributionService::NewStub(channel("contribution"));
    claims_ = cl::ClaimsService::NewStub(channel("claims"));
    csr_ = csr::SponsorService::NewStub(channel("csr-donor"));
    coverage_ = cov::CoverageService::NewStub(channel("coverage"));
    for (int number = 1; number <= kRws; ++number) {
      reg::CreateRwRequest request;
      request.set_kelurahan_code(kKelurahan);
      request.set_number(number);
      call<reg::Rw>("CreateRw",
                    [&](auto* context, auto* out) { return registration_->CreateRw(context, request, out); });
    }
    // Counting is under way before the load: the RWs are counted (the group's first join takes a while).
    cov::ListRwCoverageRequest list;
    list.set_kelurahan_code(kKelurahan);
    ASSERT_TRUE(process::wait_for(
        [&] {
          auto reply = try_call<cov::ListRwCoverageResponse>(
              [&](auto* context, auto* out) { return coverage_->ListRwCoverage(context, list, out); });
          return reply && reply->rws_size() == kRws;
        },
        60s, 20ms));
  }

  static std::string rw_code(std::uint64_t serial) {
    return fmt::format("{}.{:03d}", kKelurahan, serial % kRws + 1);
  }

  // A sample worker's registration in the RW its serial gives.
  reg::RegisterRequest request_for(std::uint64_t serial, const std::string& key) {
    reg::RegisterRequest r;
    {
      std::lock_guard lock(mutex_);  // the generator is not thread-safe
      sample::fill_register_request(generator_.worker(serial), r);
    }
    r.set_idempotency_key(key);
    r.set_rw_code(rw_code(serial));
    return r;
  }

  bool register_worker(std::uint64_t serial) {
    const auto r = request_for(serial, fmt::format("chaos-{}", serial));
    return try_call<reg::Participant>(
               [&](auto* context, auto* out) { return registration_->Register(context, r, out); })
        .has_value();
  }

  // What the owners hold, from their export streams (an auditor may read them).
  std::optional<Figures> owners() {
    Figures out;
    for (int n = 1; n <= kRws; ++n) out.registered[rw_code(n - 1)] = out.active[rw_code(n - 1)] = 0;
    const e2e::As auditor{"chaos-auditor", {"auditor"}};
    {
      ::grpc::ClientContext context;
      prepare(context, auditor);
      reg::ExportParticipantsRequest request;
      auto reader = registration_->ExportParticipants(&context, request);
      reg::ParticipantSummary row;
      while (reader->Read(&row)) ++out.registered[row.rw_code()];
      if (!reader->Finish().ok()) return std::nullopt;
    }
    {
      ::grpc::ClientContext context;
      prepare(context, auditor);
      con::ExportCoverageRequest request;
      auto reader = contribution_->ExportCoverage(&context, request);
      con::AccountCoverage row;
      while (reader->Read(&row)) {
        if (row.state() == "active") ++out.active[row.rw_code()];
      }
      // Refused while contribution's outbox holds events: its figures are moving.
      if (!reader->Finish().ok()) return std::nullopt;
    }
    {
      ::grpc::ClientContext context;
      prepare(context, auditor);
      csr::ExportSponsorshipsRequest request;
      auto reader = csr_->ExportSponsorships(&context, request);
      csr::Sponsorship row;
      while (reader->Read(&row)) ++out.sponsored;
      if (!reader->Finish().ok()) return std::nullopt;
    }
    {
      ::grpc::ClientContext context;
      prepare(context, auditor);
      cl::ExportPaidClaimsRequest request;
      auto reader = claims_->ExportPaidClaims(&context, request);
      cl::PaidClaim row;
      while (reader->Read(&row)) {
        ++out.claims_paid;
        out.claims_paid_rupiah += row.amount_rupiah();
      }
      if (!reader->Finish().ok()) return std::nullopt;
    }
    return out;
  }

  // What the owners' store files hold now, read directly (under load the exports refuse while
  // events wait in an outbox). Each store is read on its own: a bound, not a snapshot.
  Figures stores() {
    Figures out;
    for (int n = 1; n <= kRws; ++n) out.registered[rw_code(n - 1)] = out.active[rw_code(n - 1)] = 0;
    const auto query = [&](const std::string& service, const char* sql, const auto& row) {
      const auto& path = stack_->environment(service).at("JARING_STORE_PATH");
      sqlite3* db = nullptr;
      if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
        sqlite3_busy_timeout(db, 5000);
        sqlite3_stmt* stmt = nullptr;
        if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) == SQLITE_OK) {
          while (sqlite3_step(stmt) == SQLITE_ROW) row(stmt);
        }
        sqlite3_finalize(stmt);
      }
      sqlite3_close(db);
    };
    const auto text = [](sqlite3_stmt* stmt, int column) {
      return std::string(reinterpret_cast<const char*>(sqlite3_column_text(stmt, column)));
    };
    query("registration",
          "SELECT rw_code, count(*) FROM participants WHERE status = 'active' GROUP BY rw_code",
          [&](sqlite3_stmt* stmt) { out.registered[text(stmt, 0)] = sqlite3_column_int64(stmt, 1); });
    query("contribution", "SELECT rw_code, count(*) FROM accounts WHERE state = 'active' GROUP BY rw_code",
          [&](sqlite3_stmt* stmt) { out.active[text(stmt, 0)] = sqlite3_column_int64(stmt, 1); });
    query("csr-donor", "SELECT count(DISTINCT participant_id) FROM memberships WHERE active = 1",
          [&](sqlite3_stmt* stmt) { out.sponsored = sqlite3_column_int64(stmt, 0); });
    query("claims", "SELECT count(*), coalesce(sum(total), 0) FROM claims WHERE status = 'paid'",
          [&](sqlite3_stmt* stmt) {
            out.claims_paid = sqlite3_column_int64(stmt, 0);
            out.claims_paid_rupiah = sqlite3_column_int64(stmt, 1);
          });
    return out;
  }

  // What coverage answers.
  std::optional<Figures> counted() {
    cov::ListRwCoverageRequest request;
    request.set_kelurahan_code(kKelurahan);
    auto reply = try_call<cov::ListRwCoverageResponse>(
        [&](auto* context, auto* out) { return coverage_->ListRwCoverage(context, request, out); });
    if (!reply) return std::nullopt;
    Figures out;
    for (int n = 1; n <= kRws; ++n) out.registered[rw_code(n - 1)] = out.active[rw_code(n - 1)] = 0;
    for (const auto& rw : reply->rws()) {
      out.registered[rw.rw_code()] = rw.counters().registered();
      out.active[rw.rw_code()] = rw.counters().active();
      out.sponsored += rw.counters().sponsored();
      out.claims_paid += rw.counters().claims_paid();
      out.claims_paid_rupiah += rw.counters().claims_paid_rupiah();
    }
    return out;
  }

  // A self-paying worker registered by a branch officer (not one of the load's).
  std::string register_one(const std::string& key, std::uint64_t serial) {
    auto r = request_for(serial, key);
    r.set_category("scavenger");
    r.set_payer("self");
    r.set_programs("jkk+jkm");
    r.set_income_band(1'000'000);
    auto p = try_call<reg::Participant>(
        [&](auto* context, auto* out) { return registration_->Register(context, r, out); });
    return p ? p->participant_id() : "";
  }

  // While the load runs: a sponsor funds one worker for three months, and a death claim of
  // another (who paid this month) is filed, verified, approved and paid by four people. Returns
  // what went wrong, empty when all went through.
  std::string sponsor_and_claim() {
    const auto funded = register_one("chaos-funded", 1'000'001);
    const auto deceased = register_one("chaos-deceased", 1'000'002);
    if (funded.empty() || deceased.empty()) return "registering the two workers failed";
    const auto account_of = [&](const std::string& id) {
      std::optional<con::Account> account;
      process::wait_for(
          [&] {
            con::GetAccountRequest get;
            get.set_participant_id(id);
            account = try_call<con::Account>(
                [&](auto* context, auto* out) { return contribution_->GetAccount(context, get, out); });
            return account.has_value();
          },
          60s, 50ms);
      return account;
    };
    const auto account = account_of(funded);
    if (!account) return "no contribution account for the funded worker";

    // The sponsor.
    csr::CreateSponsorRequest create;
    create.set_idempotency_key("chaos-sponsor");
    create.set_name("PT Chaos Peduli");
    create.set_kind("csr_company");
    auto sponsor = try_call<csr::Sponsor>(
        [&](auto* context, auto* out) { return csr_->CreateSponsor(context, create, out); });
    if (!sponsor) return "CreateSponsor failed";
    const e2e::As staff{"csr.chaos", {"sponsor"}, "", sponsor->sponsor_id()};
    csr::DepositRequest deposit;
    deposit.set_idempotency_key("chaos-deposit");
    deposit.set_sponsor_id(sponsor->sponsor_id());
    deposit.set_amount(10'000'000);
    deposit.set_reference("BCA 0042");
    if (!try_call_as<csr::DepositResult>(
            [&](auto* context, auto* out) { return csr_->Deposit(context, deposit, out); }, staff))
      return "Deposit failed";
    csr::CreateCohortRequest cohort;
    cohort.set_idempotency_key("chaos-cohort");
    auto* spec = cohort.mutable_spec();
    spec->set_sponsor_id(sponsor->sponsor_id());
    spec->set_start_period(account->first_period());
    spec->set_months(3);
    spec->add_participant_ids(funded);
    ::grpc::Status why;
    // csr-donor learns the worker from registration's event: retry until it has.
    if (!process::wait_for(
            [&] {
              return try_call_as<csr::Cohort>(
                         [&](auto* context, auto* out) { return csr_->CreateCohort(context, cohort, out); },
                         staff, &why)
                  .has_value();
            },
            60s, 100ms))
      return "CreateCohort: " + why.error_message();

    // The death claim: the worker paid this month.
    if (!account_of(deceased)) return "no contribution account for the deceased worker";
    con::QuoteRequest quote;
    quote.set_category("scavenger");
    quote.set_payer("self");
    quote.set_programs("jkk+jkm");
    quote.set_income_band(1'000'000);
    auto charge = try_call<con::Charge>(
        [&](auto* context, auto* out) { return contribution_->Quote(context, quote, out); });
    if (!charge) return "Quote failed";
    con::PaymentRequest payment;
    payment.set_idempotency_key("chaos-pay");
    payment.set_participant_id(deceased);
    payment.set_channel("bank_va");
    payment.set_amount(charge->total());
    payment.set_months(1);
    if (!try_call<con::Payment>(
            [&](auto* context, auto* out) { return contribution_->MakePayment(context, payment, out); },
            &why))
      return "MakePayment: " + why.error_message();
    const auto today = fmt::format("{:%F}", std::chrono::floor<std::chrono::days>(
                                                std::chrono::system_clock::now() + std::chrono::hours(7)));
    cl::CheckEligibilityRequest check;
    check.set_participant_id(deceased);
    check.set_date(today);
    if (!process::wait_for(
            [&] {
              auto e = try_call<cl::Eligibility>(
                  [&](auto* context, auto* out) { return claims_->CheckEligibility(context, check, out); });
              return e && e->state() == "active";
            },
            60s, 50ms))
      return "claims never saw the paid month";
    const e2e::As filer{"filer.chaos", {"branch-officer"}}, verifier{"verifier.chaos", {"branch-officer"}},
        approver{"approver.chaos", {"approver"}}, payer{"payer.chaos", {"approver"}};
    cl::FileClaimRequest file;
    file.set_idempotency_key("chaos-claim");
    file.set_participant_id(deceased);
    file.set_claim_type("jkm_death");
    file.set_event_date(today);
    file.mutable_claimant()->set_name("Siti Aminah");
    file.mutable_claimant()->set_relation("spouse");
    auto* spouse = file.add_family();
    spouse->set_relation("spouse");
    spouse->set_alive(true);
    spouse->set_name("Siti Aminah");
    file.set_requested_amount(42'000'000);
    // One step of the claim as `as`; false when refused (`why` says why).
    const auto step = [&](auto&& fn, const e2e::As& as) { return try_call_as<cl::Claim>(fn, as, &why); };
    auto filed =
        step([&](auto* context, auto* out) { return claims_->FileClaim(context, file, out); }, filer);
    if (!filed) return "FileClaim: " + why.error_message();
    cl::AttachDocumentsRequest documents;
    documents.set_claim_id(filed->claim_id());
    for (const auto& d : filed->documents()) documents.add_documents(d.code());
    if (!step([&](auto* context, auto* out) { return claims_->AttachDocuments(context, documents, out); },
              filer))
      return "AttachDocuments: " + why.error_message();
    cl::VerifyClaimRequest verify;
    verify.set_claim_id(filed->claim_id());
    if (!step([&](auto* context, auto* out) { return claims_->VerifyClaim(context, verify, out); }, verifier))
      return "VerifyClaim: " + why.error_message();
    cl::ApproveClaimRequest approve;
    approve.set_claim_id(filed->claim_id());
    if (!step([&](auto* context, auto* out) { return claims_->ApproveClaim(context, approve, out); },
              approver))
      return "ApproveClaim: " + why.error_message();
    cl::PayClaimRequest pay;
    pay.set_claim_id(filed->claim_id());
    pay.set_idempotency_key("chaos-claim-pay");
    if (!step([&](auto* context, auto* out) { return claims_->PayClaim(context, pay, out); }, payer))
      return "PayClaim: " + why.error_message();
    return "";
  }

  std::unique_ptr<reg::RegistrationService::Stub> registration_;
  std::unique_ptr<con::ContributionService::Stub> contribution_;
  std::unique_ptr<cl::ClaimsService::Stub> claims_;
  std::unique_ptr<csr::SponsorService::Stub> csr_;
  std::unique_ptr<cov::CoverageService::Stub> coverage_;
  sample::Generator generator_{11};
  std::mutex mutex_;
};

TEST_F(RedisWipe, CountersExactAgainByThemselvesAndNeverReadyWhileWrong) {
  const auto workers = static_cast<std::uint64_t>(chaos::load_size(2'000, 60'000));
  constexpr int kWriters = 2;
  std::atomic<std::uint64_t> next{0};
  std::atomic<int> failures{0};
  std::atomic<std::uint64_t> registered{0};
  std::atomic<int> writing{kWriters};
  std::vector<std::thread> threads;
  // Joined however the test ends (a failed ASSERT returns early).
  struct JoinAll {
    std::vector<std::thread>& threads;
    ~JoinAll() {
      for (auto& t : threads) {
        if (t.joinable()) t.join();
      }
    }
  } join_all{threads};
  std::string side_failure;
  std::atomic<bool> side_done{false};
  threads.emplace_back([&] {
    side_failure = sponsor_and_claim();
    side_done = true;
  });
  for (int t = 0; t < kWriters; ++t) {
    threads.emplace_back([&] {
      for (auto i = next++; i < workers; i = next++) {
        if (!register_worker(i)) ++failures;
        ++registered;
      }
      --writing;
    });
  }

  // Wipe once a quarter is registered and counting is under way, so that most of the load comes
  // after: Redis loses counters, offsets and the generation marker.
  const bool counting = process::wait_for(
      [&] {
        if (registered.load() < workers / 4) return false;
        const auto c = counted();
        return c.has_value();
      },
      120s, 5ms);
  const auto counted_at_wipe = counted();
  // Everything the owners hold now must be counted whenever coverage says it is ready again.
  const std::optional<Figures> before = stores();
  redis::Client redis("127.0.0.1", std::stoi(stack_->endpoints().redis.substr(10)),
                      {.password = stack_->endpoints().redis_password()});
  auto wiped = redis.command({"FLUSHALL"});
  const auto wiped_at = std::chrono::steady_clock::now();
  ASSERT_TRUE(wiped && !wiped->is_error());
  ASSERT_TRUE(counting) << "the coverage service counted nothing";

  httplib::Client admin(stack_->endpoints().services.at("coverage").metrics);
  int polls = 0, ready_polls = 0, wrong_while_ready = 0, not_ready_polls = 0;
  std::string not_ready_body, wrong_example;
  std::optional<double> first_ready_s, exact_s;
  const auto seconds_since_wipe = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - wiped_at).count();
  };
  const bool exact = process::wait_for(
      [&] {
        ++polls;
        auto ready = admin.Get("/readyz");
        if (!ready || ready->status != 200) {
          ++not_ready_polls;
          if (ready && not_ready_body.empty()) not_ready_body = ready->body;
          return false;
        }
        const auto c = counted();
        if (!c) return false;
        ++ready_polls;
        if (!first_ready_s) first_ready_s = seconds_since_wipe();
        // Ready: nothing the owners held before the wipe is missing, nothing is counted twice.
        // One worker may leave meanwhile (the death claim ends a participation and its account):
        // a slack of one on registered and active, where a wiped Redis is thousands short.
        const std::optional<Figures> now = stores();
        const auto below = [](std::int64_t counted, std::int64_t floor) { return counted < floor; };
        const bool wrong =
            below(c->total_registered(), before->total_registered() - 1) ||
            below(c->total_active(), before->total_active() - 1) || below(c->sponsored, before->sponsored) ||
            below(c->claims_paid, before->claims_paid) ||
            (now && (below(now->total_registered(), c->total_registered() - 1) ||
                     below(now->total_active(), c->total_active() - 1) ||
                     below(now->sponsored, c->sponsored) || below(now->claims_paid, c->claims_paid)));
        if (wrong) {
          ++wrong_while_ready;
          if (wrong_example.empty()) {
            wrong_example = fmt::format(
                "{:.2f} s after the wipe: counted {}, owners before the wipe {}, a moment later {}",
                seconds_since_wipe(), describe(*c), describe(*before), now ? describe(*now) : "?");
          }
        }
        if (writing.load() != 0 || !side_done.load()) return false;
        const auto exported = owners();  // quiet now: the exports answer
        if (!exported || *c != *exported) return false;
        exact_s = seconds_since_wipe();
        return true;
      },
      300s, 50ms);
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(side_failure, "");

  // The end: the counters equal the owners' records, RW by RW (0 lost, 0 doubled).
  std::optional<Figures> final_owners, final_counted;
  ASSERT_TRUE(process::wait_for(
      [&] {
        final_owners = owners();
        final_counted = counted();
        return final_owners && final_counted && *final_owners == *final_counted;
      },
      60s, 100ms))
      << "owners " << (final_owners ? describe(*final_owners) : "?") << ", counted "
      << (final_counted ? describe(*final_counted) : "?");
  // The deceased worker's participation ended with the paid death claim.
  EXPECT_EQ(final_owners->total_registered(), static_cast<std::int64_t>(workers) + 1);
  EXPECT_EQ(final_owners->sponsored, 1);
  EXPECT_EQ(final_owners->claims_paid, 1);

  std::cout
      << fmt::format(
             "redis wipe under load: {} workers, wiped at {} registered / {} active (owners), {} registered "
             "counted; "
             "ready again {} s after the wipe, exact (and the load over) {} s after it{}; "
             "{} polls, {} not ready, {} ready, {} ready while wrong; /readyz said: {}",
             workers, before->total_registered(), before->total_active(),
             counted_at_wipe ? counted_at_wipe->total_registered() : -1,
             first_ready_s ? fmt::format("{:.2f}", *first_ready_s) : "never",
             exact_s ? fmt::format("{:.2f}", *exact_s) : "never", exact ? "" : " (not within the deadline)",
             polls, not_ready_polls, ready_polls, wrong_while_ready, not_ready_body)
      << std::endl;
  EXPECT_TRUE(exact) << "the counters did not become exact while the service said ready";
  EXPECT_GT(not_ready_polls, 0) << "the service never said it was not ready after the wipe";
  EXPECT_EQ(wrong_while_ready, 0) << wrong_example;
}

}  // namespace
}  // namespace jaring

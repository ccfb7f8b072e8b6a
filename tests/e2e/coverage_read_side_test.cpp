// End to end on the coverage read side: the dashboard in Debian's headless chromium (numbers
// equal the gRPC answers, live updates without a reload, a screenshot in
// build/test-artifacts/), Redis killed in the middle of a stream of registrations, after
// which `jaring-coverage rebuild` makes every counter exact again, and `jaringctl report ...`
// (snapshots and the reports comparing them). Calls carry tokens signed by the stack's local key:
// a branch officer registers, an admin takes snapshots, the rebuild uses coverage's own credential.
#include <gtest/gtest.h>
#include <httplib.h>

#include <sys/wait.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include <fmt/format.h>

#include "jaring/audit/v1/audit.grpc.pb.h"
#include "jaring/coverage/v1/coverage.grpc.pb.h"
#include "jaring/grpc/edge.hpp"
#include "jaring/grpc/server.hpp"
#include "jaring/registration/v1/registration.grpc.pb.h"
#include "jaring/sample/sample.hpp"
#include "jaring/stack/stack.hpp"
#include "jaring/testing/fixtures.hpp"
#include "stack_test.hpp"

namespace jaring {
namespace {

namespace reg = registration::v1;
namespace cov = coverage::v1;
using namespace std::chrono_literals;

constexpr const char* kKelurahan = "31.75.06.1005";  // Pulo Gebang
constexpr int kRws = 8;

class CoverageReadSide : public ::testing::Test {
 protected:
  void SetUp() override {
    stack::Options options;
    options.run_dir = dir_.path();
    options.bin_dir = testing::bin_dir();
    options.config_dir = testing::source_dir() / "deploy" / "local";
    stack_ = std::make_unique<stack::Stack>(options);
    stack_->start();
    officer_ = stack_->token("branch-officer", "e2e-officer");
    connect();
    for (int number = 1; number <= kRws; ++number) {
      reg::CreateRwRequest request;
      request.set_kelurahan_code(kKelurahan);
      request.set_number(number);
      request.set_target(number == 1 ? 5 : 100);  // one RW can reach its target in the test
      reg::Rw reply;
      ::grpc::ClientContext context;
      prepare(context, 10s);
      ASSERT_TRUE(registration_->CreateRw(&context, request, &reply).ok());
    }
  }

  void connect() {
    registration_ = reg::RegistrationService::NewStub(stack_->channel("registration"));
    coverage_ = cov::CoverageService::NewStub(stack_->channel("coverage"));
  }

  // A deadline and the branch officer's token.
  void prepare(::grpc::ClientContext& context, std::chrono::seconds deadline) const {
    grpc::set_deadline(context, deadline);
    grpc::authorize(context, officer_);
  }

  static std::string rw_code(std::uint64_t serial) {
    return fmt::format("{}.{:03d}", kKelurahan, serial % kRws + 1);
  }

  bool register_worker(std::uint64_t serial) {
    sample::Worker w;
    {
      std::lock_guard lock(mutex_);
      w = generator_.worker(serial);
    }
    reg::RegisterRequest r;
    r.set_idempotency_key(fmt::format("cov-e2e-{}", serial));
    sample::fill_register_request(w, r);
    r.set_rw_code(rw_code(serial));
    reg::Participant reply;
    ::grpc::ClientContext context;
    prepare(context, 10s);
    return registration_->Register(&context, r, &reply).ok();
  }

  std::optional<cov::ListRwCoverageResponse> kelurahan() {
    cov::ListRwCoverageRequest request;
    request.set_kelurahan_code(kKelurahan);
    cov::ListRwCoverageResponse reply;
    ::grpc::ClientContext context;
    prepare(context, 5s);
    if (!coverage_->ListRwCoverage(&context, request, &reply).ok()) return std::nullopt;
    return reply;
  }

  // One counter of every RW of the kelurahan (`registered` unless told).
  std::map<std::string, std::int64_t> counts(std::int64_t (cov::Counters::*counter)()
                                                 const = &cov::Counters::registered) {
    std::map<std::string, std::int64_t> out;
    if (auto k = kelurahan()) {
      for (const auto& rw : k->rws()) out[rw.rw_code()] = (rw.counters().*counter)();
    }
    return out;
  }

  static std::map<std::string, std::int64_t> expected(std::uint64_t workers) {
    std::map<std::string, std::int64_t> out;
    for (std::uint64_t i = 0; i < kRws; ++i) out[rw_code(i)] = 0;
    for (std::uint64_t i = 0; i < workers; ++i) ++out[rw_code(i)];
    return out;
  }

  void expect_counts(const std::map<std::string, std::int64_t>& want,
                     std::int64_t (cov::Counters::*counter)() const = &cov::Counters::registered) {
    std::map<std::string, std::int64_t> seen;
    ASSERT_TRUE(process::wait_for(
        [&] {
          seen = counts(counter);
          return seen == want;
        },
        60s, 100ms))
        << "last seen " << ::testing::PrintToString(seen);
  }

  testing::TempDir dir_{"jaring-cov-e2e"};
  std::unique_ptr<stack::Stack> stack_;
  std::string officer_;
  std::unique_ptr<reg::RegistrationService::Stub> registration_;
  std::unique_ptr<cov::CoverageService::Stub> coverage_;
  sample::Generator generator_{7};
  std::mutex mutex_;
};

std::filesystem::path build_dir() { return testing::bin_dir().parent_path(); }

// Runs a command and returns its exit code and what it printed (stdout and stderr).
std::pair<int, std::string> run(const std::string& command) { return e2e::run(command, true); }

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> out(1);
  for (char c : text) {
    if (c == separator) {
      out.emplace_back();
    } else {
      out.back() += c;
    }
  }
  return out;
}

TEST_F(CoverageReadSide, TheDashboardInChromiumShowsTheGrpcNumbersAndUpdatesLive) {
  const auto modules = build_dir() / "node" / "node_modules";
  if (!std::filesystem::exists(modules / "playwright-core") ||
      !std::filesystem::exists("/usr/bin/chromium")) {
    GTEST_SKIP() << "needs /usr/bin/chromium and playwright-core in " << modules
                 << " (make test installs both)";
  }
  std::uint64_t serial = 0;
  for (; serial < 40; ++serial) ASSERT_TRUE(register_worker(serial));
  expect_counts(expected(serial));
  // Nobody paid: every worker awaits the first payment (counted from the registration itself).
  expect_counts(expected(serial), &cov::Counters::awaiting);

  // What the gRPC API says, for the page to match.
  const auto k = kelurahan();
  ASSERT_TRUE(k);
  cov::GetAreaCoverageRequest request;
  request.set_area_code("31");
  cov::AreaCoverage city;
  ::grpc::ClientContext context;
  prepare(context, 5s);
  ASSERT_TRUE(coverage_->GetAreaCoverage(&context, request, &city).ok());
  nlohmann::json want{{"kelurahan", kKelurahan},
                      {"total_registered", city.summary().totals().registered()},
                      {"rws_at_target", city.summary().rws_at_target()},
                      {"rw_count", city.summary().rw_count()}};
  for (const auto& rw : k->rws()) want["rws"][rw.rw_code()] = rw.counters().registered();
  const auto expected_file = dir_.path() / "expected.json";
  std::ofstream(expected_file) << want.dump();

  // The page asks this control server to register a worker while it watches.
  httplib::Server control;
  control.Post("/register", [&](const httplib::Request&, httplib::Response& res) {
    const auto next = serial++;
    if (!register_worker(next)) {
      res.status = 500;
      return;
    }
    res.set_content(
        nlohmann::json{{"rw_code", rw_code(next)}, {"registered", expected(next + 1).at(rw_code(next))}}
            .dump(),
        "application/json");
  });
  const int control_port = control.bind_to_any_port("127.0.0.1");
  std::thread server([&] { control.listen_after_bind(); });

  const auto screenshot = build_dir() / "test-artifacts" / "dashboard.png";
  const auto command =
      fmt::format("NODE_PATH={} node {} {} http://127.0.0.1:{} {} {} 2>&1", modules.string(),
                  (testing::source_dir() / "tests" / "browser" / "dashboard_test.cjs").string(),
                  stack_->endpoints().services.at("coverage").dashboard, control_port, expected_file.string(),
                  screenshot.string());
  const int status = std::system(command.c_str());
  while (!control.is_running()) std::this_thread::yield();
  control.stop();
  server.join();
  EXPECT_EQ(status, 0) << command;
  EXPECT_TRUE(std::filesystem::exists(screenshot));
}

// Redis (a cache) dies while the coverage service is counting a stream of registrations and
// comes back empty; registrations go on meanwhile. `jaring-coverage rebuild`, run the way an
// operator runs it (once registration's outbox backlog reads zero), makes every counter exact,
// and counting goes on on top of it once per event.
TEST_F(CoverageReadSide, RedisKilledMidStreamThenRebuildMakesTheCountersExact) {
  constexpr std::uint64_t kWorkers = 600;
  std::atomic<std::uint64_t> done{0};
  std::atomic<int> failures{0};
  std::atomic<bool> redis_killed{false};
  std::thread writer([&] {
    for (std::uint64_t i = 0; i < kWorkers; ++i) {
      // The second half is registered while Redis is down or coming back.
      if (i == kWorkers / 2) process::wait_for([&] { return redis_killed.load(); }, 120s);
      if (!register_worker(i)) ++failures;
      ++done;
    }
  });
  const auto counted = [&] {
    std::int64_t sum = 0;
    for (const auto& [_, n] : counts()) sum += n;
    return sum;
  };
  // Kill it once counting is under way, so that Redis loses counters and offsets it had.
  const bool counting = process::wait_for([&] { return counted() >= 50; }, 60s, 20ms);
  stack_->kill("redis");
  redis_killed = true;
  stack_->restart("redis");  // empty: Redis is a cache
  writer.join();
  ASSERT_TRUE(counting) << "the coverage service counted nothing";
  ASSERT_EQ(failures.load(), 0);

  // The service rebuilds by itself (adapters/recovery.hpp); the manual rebuild takes the same
  // path. Run it once registration's outbox backlog reads zero (see adapters/rebuild.hpp).
  httplib::Client metrics(stack_->endpoints().services.at("registration").metrics);
  ASSERT_TRUE(process::wait_for(
      [&] {
        auto res = metrics.Get("/metrics");
        return res && res->body.find("jaring_registration_outbox_backlog_messages 0") != std::string::npos;
      },
      30s, 50ms));
  // The rebuild reads the service's settings, its own credential among them (auth.token_file).
  const auto& ep = stack_->endpoints();
  const auto credential = std::filesystem::path(ep.auth_dir) / "coverage.token";
  ASSERT_TRUE(std::filesystem::exists(credential)) << credential;
  const auto rebuild = [&](const std::string& redis_password_file) {
    return fmt::format(
        "JARING_REDIS_ADDRESS={} JARING_REDIS_PASSWORD_FILE={} JARING_REGISTRATION_ADDRESS={} "
        "JARING_CONTRIBUTION_ADDRESS={} JARING_CLAIMS_ADDRESS={} JARING_CSR_DONOR_ADDRESS={} "
        "JARING_KAFKA_BOOTSTRAP_SERVERS={} "
        "JARING_AUTH_JWKS_FILE={} JARING_AUTH_ISSUER={} JARING_AUTH_TOKEN_FILE={} "
        "JARING_TLS_CA_FILE={} JARING_TLS_CERT_FILE={} JARING_TLS_KEY_FILE={} {} rebuild 2>&1",
        ep.redis, redis_password_file, ep.services.at("registration").grpc,
        ep.services.at("contribution").grpc, ep.services.at("claims").grpc, ep.services.at("csr-donor").grpc,
        ep.kafka_bootstrap, stack_->authority().jwks_file().string(), ep.issuer, credential.string(),
        ep.tls.ca_file, ep.tls.cert_file, ep.tls.key_file, (testing::bin_dir() / "jaring-coverage").string());
  };
  // Without Redis's password coverage is refused, and says why.
  const auto [refused_code, refused_out] = run(rebuild(""));
  EXPECT_NE(refused_code, 0) << refused_out;
  EXPECT_NE(refused_out.find("requires a password and none is configured"), std::string::npos) << refused_out;

  const auto command = rebuild(ep.redis_password_file);
  const auto [code, out] = run(command);
  ASSERT_EQ(code, 0) << command << "\n" << out;
  EXPECT_NE(out.find(fmt::format("{} registered workers", kWorkers)), std::string::npos) << out;
  expect_counts(expected(kWorkers));
  // Nobody paid: the rebuild counts every worker awaiting from contribution's accounts (it waits
  // until contribution has opened the account of every registration below the watermarks).
  expect_counts(expected(kWorkers), &cov::Counters::awaiting);

  // Counting goes on on top of the rebuilt counters, once each.
  for (std::uint64_t i = kWorkers; i < kWorkers + 40; ++i) ASSERT_TRUE(register_worker(i));
  expect_counts(expected(kWorkers + 40));
  expect_counts(expected(kWorkers + 40), &cov::Counters::awaiting);
}

TEST_F(CoverageReadSide, JaringctlReportSnapshotsListsAndComparesThem) {
  // Snapshots are for admins (RunBilling, targets and rebuilds too).
  // An address and the TLS files given by flags, as for a real deployment (no endpoints file).
  const auto& tls = stack_->endpoints().tls;
  const auto ctl =
      fmt::format("JARING_TOKEN={} {} --coverage {} --tls-ca {} --tls-cert {} --tls-key {}",
                  stack_->token("admin", "e2e-admin"), (testing::bin_dir() / "jaringctl").string(),
                  stack_->endpoints().services.at("coverage").grpc, tls.ca_file, tls.cert_file, tls.key_file);
  std::uint64_t serial = 0;
  for (; serial < 10; ++serial) ASSERT_TRUE(register_worker(serial));
  expect_counts(expected(serial));
  auto [code, out] = run(ctl + " report snapshot --label 2026-Q3 --at 2026-09-30");
  ASSERT_EQ(code, 0) << out;
  EXPECT_NE(out.find("2026-Q3"), std::string::npos) << out;
  EXPECT_NE(out.find("2026-09-30"), std::string::npos) << out;

  for (; serial < 15; ++serial) ASSERT_TRUE(register_worker(serial));
  expect_counts(expected(serial));
  std::tie(code, out) = run(ctl + " report snapshot --label 2026-Q4 --at 2026-12-31");
  ASSERT_EQ(code, 0) << out;

  std::tie(code, out) = run(ctl + " report list");
  ASSERT_EQ(code, 0) << out;
  EXPECT_NE(out.find("2026-Q3"), std::string::npos) << out;
  EXPECT_NE(out.find("2026-Q4"), std::string::npos) << out;
  std::tie(code, out) = run(ctl + " --json report list");
  ASSERT_EQ(code, 0) << out;
  const auto listed = nlohmann::json::parse(out, nullptr, false);
  ASSERT_FALSE(listed.is_discarded()) << out;
  ASSERT_EQ(listed["snapshots"].size(), 2u) << out;
  EXPECT_EQ(listed["snapshots"][1]["period"], "2026-Q4");

  // The table for people: five new registrations in the kelurahan between the quarters.
  std::tie(code, out) =
      run(fmt::format("{} report compare --area {} --from 2026-Q3 --to 2026-Q4", ctl, kKelurahan));
  ASSERT_EQ(code, 0) << out;
  EXPECT_NE(out.find("2026-Q4"), std::string::npos) << out;
  EXPECT_NE(out.find(rw_code(0)), std::string::npos) << out;
  const auto total = out.find("\ntotal");
  ASSERT_NE(total, std::string::npos) << out;
  EXPECT_NE(out.find("+5", total), std::string::npos) << out;
  EXPECT_NE(out.find("15 (+5)", total), std::string::npos) << out;

  // CSV to a file: the last row is the kelurahan, registrations from 10 to 15.
  const auto csv = dir_.path() / "report.csv";
  std::tie(code, out) =
      run(fmt::format("{} report compare --area {} --from 2026-Q3 --to 2026-Q4 --format csv "
                      "--output {}",
                      ctl, kKelurahan, csv.string()));
  ASSERT_EQ(code, 0) << out;
  std::ifstream in(csv);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), 1u + kRws + 1u);
  EXPECT_TRUE(lines[0].starts_with("area_code,area_name,level,registrations_from,registrations_to"))
      << lines[0];
  const auto fields = split(lines.back(), ',');
  ASSERT_GE(fields.size(), 6u) << lines.back();
  EXPECT_EQ(fields[0], kKelurahan);
  EXPECT_EQ(fields[3], "10");
  EXPECT_EQ(fields[4], "15");
  EXPECT_EQ(fields[5], "5");

  // HTML, and "now" as the live end.
  std::tie(code, out) =
      run(fmt::format("{} report compare --area {} --from 2026-Q3 --to now --format html", ctl, kKelurahan));
  ASSERT_EQ(code, 0) << out;
  EXPECT_NE(out.find("<table"), std::string::npos) << out;

  // Mistakes name the field.
  std::tie(code, out) = run(fmt::format("{} report compare --area {} --from 2030-Q1", ctl, kKelurahan));
  EXPECT_EQ(code, 1) << out;
  EXPECT_NE(out.find("--from"), std::string::npos) << out;
  std::tie(code, out) = run(ctl + " report snapshot --label 2026-Q7");
  EXPECT_EQ(code, 1) << out;
  EXPECT_NE(out.find("INVALID_ARGUMENT"), std::string::npos) << out;
  EXPECT_NE(out.find("period"), std::string::npos) << out;

  // Coverage's audit trail holds each snapshot the admin took (naming it) and the refused one;
  // its records leave for jaring.audit.v1 through the snapshots' outbox.
  {
    auto audit = jaring::audit::v1::AuditService::NewStub(stack_->channel("coverage"));
    jaring::audit::v1::ListAuditRecordsRequest request;
    request.set_subject("e2e-admin");
    jaring::audit::v1::ListAuditRecordsResponse reply;
    ::grpc::ClientContext context;
    grpc::set_deadline(context, 5s);
    grpc::authorize(context, stack_->token("auditor", "e2e-auditor"));
    const auto status = audit->ListAuditRecords(&context, request, &reply);
    ASSERT_TRUE(status.ok()) << status.error_message();
    std::vector<std::string> results;
    for (const auto& r : reply.records()) {
      if (r.method() != "/jaring.coverage.v1.CoverageService/CreateSnapshot") continue;
      results.push_back(r.result());
      if (r.result() == "OK") {
        EXPECT_EQ(r.ids_size(), 1) << r.ShortDebugString();
      }
    }
    EXPECT_EQ(results, (std::vector<std::string>{"OK", "OK", "INVALID_ARGUMENT"}));
    httplib::Client metrics(stack_->endpoints().services.at("coverage").metrics);
    EXPECT_TRUE(process::wait_for(
        [&] {
          auto res = metrics.Get("/metrics");
          return res && res->body.find("jaring_coverage_outbox_backlog_messages 0") != std::string::npos;
        },
        30s, 50ms));
  }
  std::tie(code, out) =
      run(fmt::format("{} report compare --area {} --from 2026-Q3 --format pdf", ctl, kKelurahan));
  EXPECT_NE(code, 0) << out;
  std::tie(code, out) = run(ctl + " report compare --help");
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("--format"), std::string::npos) << out;
}

}  // namespace
}  // namespace jaring

// End to end on real processes: redis-server, jaring-devkafka, jaring-registration and
// jaring-coverage, each started by the test on free loopback ports and stopped by PID. A branch
// officer's token (signed by the stack's local key) goes with every call.
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <map>
#include <thread>

#include <fmt/format.h>

#include "jaring/coverage/v1/coverage.grpc.pb.h"
#include "jaring/grpc/edge.hpp"
#include "jaring/grpc/server.hpp"
#include "jaring/kafka/kafka.hpp"
#include "jaring/registration/v1/registration.grpc.pb.h"
#include "jaring/sample/sample.hpp"
#include "jaring/stack/stack.hpp"
#include "jaring/testing/fixtures.hpp"

namespace jaring {
namespace {

namespace reg = registration::v1;
namespace cov = coverage::v1;
using namespace std::chrono_literals;

const std::vector<std::string> kKelurahan = {"31.75.06.1005",
                                             "31.75.06.1001"};  // Pulo Gebang, Jatinegara (Cakung)
constexpr int kRwsPerKelurahan = 10;
constexpr int kWorkersPerPhase = 1000;

class WalkingSkeleton : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    shared_dir = new testing::TempDir("jaring-e2e");
    stack::Options options;
    options.run_dir = shared_dir->path();
    options.bin_dir = testing::bin_dir();
    options.config_dir = testing::source_dir() / "deploy" / "local";
    shared_stack = new stack::Stack(options);
    shared_stack->start();
  }
  static void TearDownTestSuite() {
    delete shared_stack;
    delete shared_dir;
  }

  // A deadline and the branch officer's token.
  static void prepare(::grpc::ClientContext& context, std::chrono::seconds deadline) {
    static const auto token = shared_stack->token("branch-officer", "e2e-officer");
    grpc::set_deadline(context, deadline);
    grpc::authorize(context, token);
  }

  void SetUp() override {
    registration_ = reg::RegistrationService::NewStub(shared_stack->channel("registration"));
    coverage_ = cov::CoverageService::NewStub(shared_stack->channel("coverage"));
  }

  // ctest runs each test in its own process with its own stack: each test makes its RWs.
  void create_rws() {
    for (const auto& kelurahan : kKelurahan) {
      for (int number = 1; number <= kRwsPerKelurahan; ++number) {
        reg::CreateRwRequest request;
        request.set_kelurahan_code(kelurahan);
        request.set_number(number);
        reg::Rw reply;
        ::grpc::ClientContext context;
        prepare(context, 10s);
        const auto status = registration_->CreateRw(&context, request, &reply);
        ASSERT_TRUE(status.ok() || status.error_code() == ::grpc::StatusCode::ALREADY_EXISTS)
            << status.error_message();
        if (status.ok()) {
          EXPECT_EQ(reply.target(), 100);
        }
      }
    }
  }

  static std::string rw_code(int i) {
    return fmt::format("{}.{:03d}", kKelurahan[i / kRwsPerKelurahan], i % kRwsPerKelurahan + 1);
  }

  ::grpc::Status register_worker(std::uint64_t serial, reg::Participant* reply) {
    static sample::Generator generator(42);
    static std::mutex mutex;
    sample::Worker w;
    {
      std::lock_guard lock(mutex);
      w = generator.worker(serial);
    }
    reg::RegisterRequest r;
    r.set_idempotency_key(fmt::format("e2e-{}", serial));
    sample::fill_register_request(w, r);
    r.set_rw_code(rw_code(static_cast<int>(serial % (kKelurahan.size() * kRwsPerKelurahan))));
    ::grpc::ClientContext context;
    prepare(context, 10s);
    return registration_->Register(&context, r, reply);
  }

  // registered counter of every RW, by code; empty on a failed call.
  std::map<std::string, std::int64_t> registered_counts() {
    std::map<std::string, std::int64_t> out;
    for (const auto& kelurahan : kKelurahan) {
      cov::ListRwCoverageRequest request;
      request.set_kelurahan_code(kelurahan);
      cov::ListRwCoverageResponse reply;
      ::grpc::ClientContext context;
      prepare(context, 5s);
      if (!coverage_->ListRwCoverage(&context, request, &reply).ok()) return {};
      for (const auto& rw : reply.rws()) out[rw.rw_code()] = rw.counters().registered();
    }
    return out;
  }

  std::map<std::string, std::int64_t> expected(std::int64_t per_rw) {
    std::map<std::string, std::int64_t> out;
    for (std::size_t i = 0; i < kKelurahan.size() * kRwsPerKelurahan; ++i)
      out[rw_code(static_cast<int>(i))] = per_rw;
    return out;
  }

  // The counters once coverage lists every RW the test created.
  std::map<std::string, std::int64_t> counts_of_all_rws() {
    std::map<std::string, std::int64_t> seen;
    EXPECT_TRUE(process::wait_for(
        [&] {
          seen = registered_counts();
          return seen.size() == kKelurahan.size() * kRwsPerKelurahan;
        },
        60s, 50ms));
    return seen;
  }

  // Waits until the counters equal `want`, then checks they stay there (nothing late, nothing twice).
  void expect_counters(const std::map<std::string, std::int64_t>& want) {
    std::map<std::string, std::int64_t> seen;
    const bool reached = process::wait_for(
        [&] {
          seen = registered_counts();
          return seen == want;
        },
        90s, 100ms);
    ASSERT_TRUE(reached) << "counters never reached the expected values; last seen "
                         << ::testing::PrintToString(seen);
  }

  std::string metrics(const std::string& service) {
    const auto url = shared_stack->endpoints().services.at(service).metrics;  // http://127.0.0.1:port
    httplib::Client client(url);
    auto res = client.Get("/metrics");
    return res ? res->body : "";
  }

  static testing::TempDir* shared_dir;
  static stack::Stack* shared_stack;
  std::unique_ptr<reg::RegistrationService::Stub> registration_;
  std::unique_ptr<cov::CoverageService::Stub> coverage_;
};

testing::TempDir* WalkingSkeleton::shared_dir = nullptr;
stack::Stack* WalkingSkeleton::shared_stack = nullptr;

TEST_F(WalkingSkeleton, CountsEveryWorkerExactlyOnceThroughACoverageCrash) {
  create_rws();
  // Every RW is listed with zero before anyone registers in it.
  expect_counters(expected(0));

  // Phase 1: 1,000 workers over 20 RWs.
  for (std::uint64_t i = 0; i < kWorkersPerPhase; ++i) {
    reg::Participant reply;
    const auto status = register_worker(i, &reply);
    ASSERT_TRUE(status.ok()) << i << ": " << status.error_message();
  }
  expect_counters(expected(kWorkersPerPhase / 20));

  // Phase 2: 1,000 more while coverage is killed with SIGKILL and started again.
  std::atomic<int> done{0};
  std::atomic<int> failures{0};
  std::thread writer([&] {
    for (std::uint64_t i = kWorkersPerPhase; i < std::uint64_t{2} * kWorkersPerPhase; ++i) {
      reg::Participant reply;
      if (!register_worker(i, &reply).ok()) ++failures;
      ++done;
    }
  });
  ASSERT_TRUE(process::wait_for([&] { return done.load() >= 300; }, 60s));
  shared_stack->kill("coverage");
  shared_stack->restart("coverage");
  writer.join();
  ASSERT_EQ(failures.load(), 0);
  SetUp();  // new channel to the restarted coverage
  expect_counters(expected(2 * kWorkersPerPhase / 20));

  // Retries with the same idempotency keys register nothing new.
  for (std::uint64_t i = 0; i < 50; ++i) {
    reg::Participant reply;
    ASSERT_TRUE(register_worker(i, &reply).ok());
  }
  expect_counters(expected(2 * kWorkersPerPhase / 20));
}

TEST_F(WalkingSkeleton, BadInputIsRefusedWithTheFieldAndNothingIsCounted) {
  create_rws();
  const auto before = counts_of_all_rws();
  reg::RegisterRequest r;
  r.set_nik("3172011505900000");  // serial 0000
  r.set_birth_date("1990-05-15");
  r.set_sex("M");
  r.set_rw_code("31.75.06.1005.099");  // not in the registry
  r.set_rt(1);
  r.set_category("ojol_driver");
  r.set_income_band(1'000'000);
  r.set_programs("jkk+jkm");
  r.set_payer("self");
  reg::Participant reply;
  ::grpc::ClientContext context;
  prepare(context, 10s);
  const auto status = registration_->Register(&context, r, &reply);
  ASSERT_EQ(status.error_code(), ::grpc::StatusCode::INVALID_ARGUMENT);
  std::map<std::string, std::string> fields;
  for (const auto& v : grpc::field_violations(status)) fields[v.field] = v.rule;
  EXPECT_TRUE(fields.contains("nik"));
  EXPECT_TRUE(fields.contains("name"));
  EXPECT_TRUE(fields.contains("rw_code"));
  EXPECT_EQ(fields.size(), 3u);
  // Good events that follow still arrive, so if the bad one had been published it would show.
  reg::Participant ok;
  ASSERT_TRUE(register_worker(90'000, &ok).ok());
  auto want = before;
  want[ok.rw_code()] += 1;
  expect_counters(want);
}

TEST_F(WalkingSkeleton, AnUnreadableEventGoesToTheDeadLetterTopicAndConsumingGoesOn) {
  create_rws();
  metrics::Registry registry("e2e");
  kafka::Producer producer({shared_stack->endpoints().kafka_bootstrap, {}}, "e2e", registry);
  ASSERT_EQ(producer.produce_and_wait(
                {{"jaring.registration.v1", "junk", "not a protobuf envelope \xff\xff", {}}}, 10s),
            1u);
  const auto before = counts_of_all_rws();
  reg::Participant ok;
  ASSERT_TRUE(register_worker(90'001, &ok).ok());
  auto want = before;
  want[ok.rw_code()] += 1;
  expect_counters(want);
  EXPECT_TRUE(process::wait_for(
      [&] { return metrics("coverage").find("jaring_coverage_dead_letters_total") != std::string::npos; },
      30s));
}

TEST_F(WalkingSkeleton, EveryServiceExposesMetricsAndReadiness) {
  create_rws();               // calls registration
  (void)counts_of_all_rws();  // calls coverage
  for (const auto* service : {"registration", "coverage"}) {
    const auto text = metrics(service);
    EXPECT_NE(text.find(fmt::format("jaring_{}_rpc_requests_total", service)), std::string::npos) << service;
    httplib::Client client(shared_stack->endpoints().services.at(service).metrics);
    for (const auto* path : {"/healthz", "/readyz"}) {
      auto res = client.Get(path);
      ASSERT_TRUE(res) << service << path;
      EXPECT_EQ(res->status, 200) << service << path;
    }
  }
  EXPECT_NE(metrics("registration").find("jaring_registration_outbox_backlog_messages"), std::string::npos);
  EXPECT_NE(metrics("coverage").find("jaring_coverage_consumer_lag_messages"), std::string::npos);
}

}  // namespace
}  // namespace jaring

// Issue 17: coverage with several replicas (snapshots.store: kafka), on the whole stack's test
// clock. Two replicas keep the M&E calendar; when a quarter and a semester end, one of them takes
// each period's snapshot (one record per period on the snapshots topic) and both serve the same
// snapshots under the same ids; a snapshot asked of one is served by the other; a replica started
// later serves every earlier snapshot as soon as it is ready; a replica that goes away right after
// a snapshot leaves its audit record on jaring.audit.v1. Every wait polls with a deadline.

#include <gtest/gtest.h>
#include <httplib.h>
#include <sys/stat.h>

#include <algorithm>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "jaring/common/clock.hpp"
#include "jaring/coverage/v1/coverage.grpc.pb.h"
#include "jaring/kafka/kafka.hpp"
#include "jaring/process/process.hpp"
#include "jaring/redis/redis.hpp"
#include "jaring/registration/v1/registration.grpc.pb.h"
#include "jaring/sample/sample.hpp"
#include "stack_test.hpp"
#include "topic_collector.hpp"

namespace jaring {
namespace {

using namespace std::chrono_literals;
namespace reg = registration::v1;
namespace cov = coverage::v1;

const std::string kTopic = "jaring.coverage.snapshots.v1";
const std::string kKelurahan = "31.75.06.1005";
const std::string kRw = kKelurahan + ".001";

class CoverageReplicasE2e : public e2e::StackTest {
 protected:
  CoverageReplicasE2e()
      : StackTest("jaring-coverage-replicas-e2e", {}, /*test_clock=*/true, [](stack::Options& options) {
          options.services = {"registration", "coverage"};
          // No trend points: the topic's records are the M&E snapshots this test counts.
          options.settings["coverage"] = {{"JARING_SNAPSHOTS_STORE", "kafka"},
                                          {"JARING_COVERAGE_TREND_INTERVAL_SECONDS", "0"}};
        }) {}

  void SetUp() override {
    move_clock("2026-03-31T22:00:00+07:00");
    StackTest::SetUp();
    // What an archive of the audit topic sees.
    kafka::ConsumerOptions options;
    options.group_id = "e2e-audit-archive";
    options.topics = {"jaring.audit.v1"};
    options.max_wait = 100ms;
    watcher_ = std::make_unique<kafka::Consumer>(kafka::Settings{stack_->endpoints().kafka_bootstrap, {}},
                                                 options, audit_, registry_);
    watcher_->start();
  }
  void TearDown() override {
    if (watcher_) watcher_->stop();
    StackTest::TearDown();
  }

  e2e::Collector audit_;
  metrics::Registry registry_{"e2e"};
  std::unique_ptr<kafka::Consumer> watcher_;

  // Another replica of coverage beside the stack's: the same settings, its own ports and file,
  // started from a working directory it may not write (0555).
  struct Replica {
    std::string grpc;
    std::string metrics;
    std::unique_ptr<process::Process> process;
  };
  Replica start_replica(const std::string& name) {
    const auto home = dir_.path() / name;
    std::filesystem::create_directories(home / "data");
    std::filesystem::create_directories(home / "cwd");
    ::chmod((home / "cwd").c_str(), 0555);
    auto env = stack_->environment("coverage");
    Replica r;
    r.grpc = fmt::format("127.0.0.1:{}", process::free_port());
    const auto admin = fmt::format("127.0.0.1:{}", process::free_port());
    r.metrics = "http://" + admin;
    env["JARING_GRPC_LISTEN"] = r.grpc;
    env["JARING_ADMIN_LISTEN"] = admin;
    env["JARING_DASHBOARD_LISTEN"] = fmt::format("127.0.0.1:{}", process::free_port());
    env["JARING_SNAPSHOTS_PATH"] = (home / "data" / "coverage-snapshots.db").string();
    r.process =
        std::make_unique<process::Process>(process::Spec{name,
                                                         {(testing::bin_dir() / "jaring-coverage").string()},
                                                         env,
                                                         (home / "log").string(),
                                                         (home / "cwd").string()});
    httplib::Client admin_client(r.metrics);
    const bool ready = process::wait_for(
        [&] {
          const auto res = admin_client.Get("/readyz");
          return (res && res->status == 200) || !r.process->running();
        },
        60s, 100ms);
    EXPECT_TRUE(ready && r.process->running()) << name << " did not become ready; see " << (home / "log");
    return r;
  }

  // ListSnapshots of one replica (evaluation snapshots): "id period as_of rw_count" each.
  std::vector<std::string> snapshots_of(const std::string& address) {
    auto stub = cov::CoverageService::NewStub(grpc::make_channel(address, stack_->endpoints().tls));
    const auto reply = try_call<cov::ListSnapshotsResponse>([&](auto* context, auto* out) {
      return stub->ListSnapshots(context, cov::ListSnapshotsRequest{}, out);
    });
    std::vector<std::string> out;
    if (reply)
      for (const auto& s : reply->snapshots())
        out.push_back(fmt::format("{} {} {} {}", s.snapshot_id(), s.period(), s.as_of(), s.rw_count()));
    return out;
  }

  std::vector<std::string> periods_of(const std::string& address) {
    std::vector<std::string> out;
    for (const auto& line : snapshots_of(address)) out.push_back(line.substr(line.find(' ') + 1, 7));
    // Two replicas may take two periods at once: their order on the topic is either.
    std::sort(out.begin(), out.end());
    return out;
  }

  // Creates kRw; true once it reached the first replica's counters.
  bool create_rw() {
    auto registration = reg::RegistrationService::NewStub(channel("registration"));
    reg::CreateRwRequest rw;
    rw.set_kelurahan_code(kKelurahan);
    rw.set_number(1);
    call<reg::Rw>("create RW", [&](auto* c, auto* out) { return registration->CreateRw(c, rw, out); });
    auto coverage = cov::CoverageService::NewStub(channel("coverage"));
    return process::wait_for(
        [&] {
          cov::GetRwCoverageRequest request;
          request.set_rw_code(kRw);
          return try_call<cov::RwCoverage>(
                     [&](auto* c, auto* out) { return coverage->GetRwCoverage(c, request, out); })
              .has_value();
        },
        30s, 100ms);
  }

  std::int64_t records_on_topic() {
    const auto marks = kafka::high_watermarks({stack_->endpoints().kafka_bootstrap, {}}, {kTopic});
    return marks ? marks->at(kTopic + ":0") : -1;
  }
};

TEST_F(CoverageReplicasE2e, TwoReplicasTakeEachPeriodOnceBothServeItAndALaterOneServesTheEarlierOnes) {
  const auto first = stack_->endpoints().services.at("coverage").grpc;
  // The RW reaches coverage's counters: snapshots then have a row.
  ASSERT_TRUE(create_rw());
  auto coverage = cov::CoverageService::NewStub(channel("coverage"));
  auto second = start_replica("coverage-2");
  ASSERT_TRUE(second.process->running());
  EXPECT_TRUE(snapshots_of(first).empty());

  // Q1 ends: one of the two takes it, both serve it.
  move_clock("2026-04-01T00:05:00+07:00");
  const std::vector<std::string> q1 = {"2026-Q1"};
  ASSERT_TRUE(
      process::wait_for([&] { return periods_of(first) == q1 && periods_of(second.grpc) == q1; }, 30s, 100ms))
      << "first: " << fmt::format("{}", fmt::join(snapshots_of(first), "; "))
      << " second: " << fmt::format("{}", fmt::join(snapshots_of(second.grpc), "; "));
  // It was claimed in Redis by the replica that took it.
  redis::Client redis("127.0.0.1",
                      std::stoi(stack_->endpoints().redis.substr(stack_->endpoints().redis.rfind(':') + 1)),
                      {"", stack_->endpoints().redis_password()});
  const auto claim = redis.command({"GET", "jaring:cov:claim:evaluation/2026-Q1"});
  ASSERT_TRUE(claim);
  EXPECT_FALSE(claim->is_nil());
  // Q2 and S1 end together.
  move_clock("2026-07-01T00:05:00+07:00");
  const std::vector<std::string> three = {"2026-Q1", "2026-Q2", "2026-S1"};
  ASSERT_TRUE(process::wait_for(
      [&] { return periods_of(first) == three && periods_of(second.grpc) == three; }, 30s, 100ms))
      << "first: " << fmt::format("{}", fmt::join(snapshots_of(first), "; "))
      << " second: " << fmt::format("{}", fmt::join(snapshots_of(second.grpc), "; "));
  const auto listed = snapshots_of(first);
  EXPECT_EQ(snapshots_of(second.grpc), listed);
  EXPECT_TRUE(listed[0].ends_with(" 2026-04-01 1")) << listed[0];
  // Both calendars looked every second meanwhile: still one record per period.
  EXPECT_EQ(records_on_topic(), 3);

  // A snapshot asked of the first is served by the second under the same id.
  cov::CreateSnapshotRequest asked;
  asked.set_period("2026-06-30");
  const auto made = call<cov::Snapshot>(
      "create snapshot", [&](auto* c, auto* out) { return coverage->CreateSnapshot(c, asked, out); });
  ASSERT_GT(made.snapshot_id(), 0);
  const auto expected = fmt::format("{} 2026-06-30 2026-07-01 1", made.snapshot_id());
  ASSERT_TRUE(process::wait_for(
      [&] {
        const auto s = snapshots_of(second.grpc);
        return std::find(s.begin(), s.end(), expected) != s.end();
      },
      30s, 100ms));

  // A replica started later serves every earlier snapshot once it says it is ready.
  auto third = start_replica("coverage-3");
  ASSERT_TRUE(third.process->running());
  EXPECT_EQ(snapshots_of(third.grpc), snapshots_of(first));
  EXPECT_EQ(snapshots_of(third.grpc).size(), 4u);
  EXPECT_EQ(records_on_topic(), 4);

  // A pod goes away right after a change: its file goes with it, the audit record does not.
  auto on_second = cov::CoverageService::NewStub(grpc::make_channel(second.grpc, stack_->endpoints().tls));
  asked.set_period("2026-06-29");
  ::grpc::ClientContext context;
  prepare(context);
  const auto trace = new_id("t_");
  context.AddMetadata("x-trace-id", trace);
  cov::Snapshot taken;
  ASSERT_TRUE(on_second->CreateSnapshot(&context, asked, &taken).ok());
  EXPECT_EQ(second.process->stop(10s), 0);
  std::filesystem::remove_all(dir_.path() / "coverage-2");
  const auto recorded = [&] {
    for (const auto& e : audit_.of_type("AuditRecorded")) {
      const auto& r = e.audit_recorded();
      if (e.trace_id() == trace && r.service() == "coverage" && r.method().ends_with("/CreateSnapshot") &&
          r.result() == "OK" &&
          std::find(r.ids().begin(), r.ids().end(), std::to_string(taken.snapshot_id())) != r.ids().end())
        return true;
    }
    return false;
  };
  EXPECT_TRUE(process::wait_for(recorded, 30s, 100ms))
      << "no audit record of the snapshot on jaring.audit.v1";
  EXPECT_EQ(snapshots_of(third.grpc).size(), 5u);
}

// A live view: WatchCoverage of kKelurahan on one replica, its messages' registered totals kept.
class LiveView {
 public:
  // `prepare` sets the caller's token (and a deadline, which the view lengthens).
  LiveView(const std::shared_ptr<::grpc::Channel>& channel,
           const std::function<void(::grpc::ClientContext&)>& prepare)
      : stub_(cov::CoverageService::NewStub(channel)) {
    prepare(context_);
    context_.set_deadline(std::chrono::system_clock::now() + 5min);
    cov::WatchCoverageRequest request;
    request.set_area_code(kKelurahan);
    reader_ = stub_->WatchCoverage(&context_, request);
    thread_ = std::thread([this] {
      cov::AreaCoverage message;
      while (reader_->Read(&message)) {
        std::lock_guard lock(mutex_);
        totals_.push_back(message.summary().totals().registered());
        changed_.notify_all();
      }
    });
  }
  ~LiveView() {
    context_.TryCancel();
    thread_.join();
  }
  // Waits (up to 30 s) until a message counts `registered`.
  bool shows(std::int64_t registered) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(
        lock, 30s, [&] { return std::find(totals_.begin(), totals_.end(), registered) != totals_.end(); });
  }
  std::string totals() {
    std::lock_guard lock(mutex_);
    return fmt::format("{}", fmt::join(totals_, ", "));
  }

 private:
  std::unique_ptr<cov::CoverageService::Stub> stub_;
  ::grpc::ClientContext context_;
  std::unique_ptr<::grpc::ClientReader<cov::AreaCoverage>> reader_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::int64_t> totals_;
  std::thread thread_;
};

TEST_F(CoverageReplicasE2e, ALiveViewOnEitherReplicaHearsOfEachChangeWhicheverReplicaAppliedIt) {
  ASSERT_TRUE(create_rw());
  auto second = start_replica("coverage-live");
  ASSERT_TRUE(second.process->running());
  const auto prepared = [this](::grpc::ClientContext& context) { prepare(context); };
  LiveView on_first(channel("coverage"), prepared);
  LiveView on_second(grpc::make_channel(second.grpc, stack_->endpoints().tls), prepared);
  ASSERT_TRUE(on_first.shows(0) && on_second.shows(0)) << "the first message of each view: the area now";
  // Each replica says it hears the others (the gauge an alert watches).
  for (const auto& metrics : {stack_->endpoints().services.at("coverage").metrics, second.metrics}) {
    EXPECT_TRUE(process::wait_for(
        [&] { return stack::scrape_metric(metrics, "jaring_coverage_live_changes_subscribed") == 1; }, 30s,
        100ms))
        << metrics;
  }

  // One registration at a time: one replica applies it (the one with its partition), and no later
  // change in the area wakes the other. Both views show it all the same.
  auto registration = reg::RegistrationService::NewStub(channel("registration"));
  sample::Generator generator(17);
  for (int n = 1; n <= 3; ++n) {
    reg::RegisterRequest request;
    request.set_idempotency_key(fmt::format("live-{}", n));
    sample::fill_register_request(generator.worker(static_cast<std::uint64_t>(n)), request);
    request.set_rw_code(kRw);
    call<reg::Participant>("register",
                           [&](auto* c, auto* out) { return registration->Register(c, request, out); });
    EXPECT_TRUE(on_first.shows(n)) << "first replica's view: " << on_first.totals();
    EXPECT_TRUE(on_second.shows(n)) << "second replica's view: " << on_second.totals();
  }
}

}  // namespace
}  // namespace jaring

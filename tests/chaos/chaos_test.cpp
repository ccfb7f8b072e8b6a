// Faults an operator meets (issue #15), each against the real stack, each checked against what
// was acknowledged: a service killed under load, SIGTERM with the broker gone, a full disk. The
// figures each case prints are the closing note's recovery times.
#include <sys/mount.h>
#include <csignal>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <vector>

#include "chaos.hpp"
#include "jaring/csr/v1/csr.grpc.pb.h"
#include "jaring/kafka/kafka.hpp"

namespace jaring::chaos {
namespace {

namespace fs = std::filesystem;

class Chaos : public ChaosTest {
 protected:
  Chaos() : ChaosTest("jaring-chaos") {}
};

// SIGKILL of each service in turn while a branch office keeps registering (and retrying what
// failed, as clients do): every acknowledged registration is counted exactly once, and each
// service is ready again after its restart.
TEST_F(Chaos, EachServiceKilledUnderLoadLosesAndDoublesNothing) {
  create_rws();
  const int total = load_size(1'000, 40'000);
  const std::vector<std::string> victims = {"registration", "coverage", "contribution", "claims",
                                            "csr-donor"};
  std::atomic<int> acknowledged{0};
  auto writer = keep_registering(total, acknowledged);
  for (std::size_t v = 0; v < victims.size(); ++v) {
    const int at = static_cast<int>((v + 1) * total / (victims.size() + 1));
    ASSERT_TRUE(process::wait_for([&] { return acknowledged.load() >= at; }, 300s)) << "load stalled";
    const auto started = std::chrono::steady_clock::now();
    stack_->kill(victims[v]);
    stack_->restart(victims[v]);
    const auto ready = until_readyz(victims[v], 200);
    EXPECT_GE(ready.count(), 0) << victims[v] << " never became ready again";
    std::cout << "[chaos] SIGKILL " << victims[v] << " at " << at << " registrations: ready again after "
              << ms_since(started) << " ms (restart included)\n";
  }
  writer.join();
  const auto started = std::chrono::steady_clock::now();
  EXPECT_TRUE(counters_become(expected(total)));
  std::cout << "[chaos] " << total << " registrations, 5 services killed: counters exact "
            << ms_since(started) << " ms after the last acknowledgement\n";
}

// The broker stopped for 30 s under load (SIGSTOP: it neither answers nor closes a connection),
// then resumed. Registrations go on into the outbox meanwhile; registration stays ready and says
// in /readyz's body that its relay is stalled; once the broker is back every event is on the bus,
// at most the relay's in-flight window of them twice (librdkafka's copies are never handed again),
// and every counter is exact.
TEST_F(Chaos, BrokerStoppedThirtySecondsDoublesAtMostTheInFlightWindow) {
  create_rws();
  const int each = load_size(300, 10'000);  // registered before the stall, and again after it
  std::atomic<int> acknowledged{0};
  // A stack at work: the first registrations counted before the broker stops.
  keep_registering(each, acknowledged).join();
  ASSERT_TRUE(counters_become(expected(each))) << "coverage's log ends:\n" << log_tail("coverage", 20);

  const pid_t broker = pid_of("devkafka");
  ASSERT_EQ(::kill(broker, SIGSTOP), 0);
  const auto stopped = std::chrono::steady_clock::now();
  // One clerk goes on registering (the workers stay contiguous) until the relay reports the stall
  // after 30 s without an acknowledgement; registration stays ready (writes are safe in the
  // outbox) and acknowledges them.
  std::atomic<bool> stop_writing{false};
  auto writer = keep_registering(
      {.first = each, .end = each + 1'000'000, .clerks = 1, .until = &stop_writing}, acknowledged);
  std::string note;
  (void)process::wait_for(
      [&] {
        const auto [code, body] = readyz("registration");
        if (code != 200) return false;
        const auto at = body.find("outbox relay stalled");
        note = at == std::string::npos ? body : body.substr(at, body.find('\n', at) - at);
        return at != std::string::npos;
      },
      60s, 500ms);
  stop_writing = true;  // reported or not (the expectation below says which)
  writer.join();
  const int during = acknowledged.load() - each;
  ::kill(broker, SIGCONT);
  const auto resumed = std::chrono::steady_clock::now();
  EXPECT_NE(note.find("outbox relay stalled"), std::string::npos)
      << "/readyz never said the relay was stalled (or said not ready): " << note;
  EXPECT_GT(during, 0) << "no registration was acknowledged while the broker was stopped";
  std::cout << "[chaos] broker stopped "
            << std::chrono::duration_cast<std::chrono::seconds>(resumed - stopped).count() << " s: " << during
            << " registrations acknowledged meanwhile; /readyz 200 with \"" << note << "\"\n";

  // And the load goes on after it.
  const int total = each + during + each;
  keep_registering({.first = each + during, .end = total}, acknowledged).join();
  const auto load_done = std::chrono::steady_clock::now();
  EXPECT_TRUE(counters_become(expected(total)))
      << "coverage's /readyz: " << readyz("coverage").second << "\ncoverage's log ends:\n"
      << log_tail("coverage", 20);
  std::cout << "[chaos] counters exact " << ms_since(resumed)
            << " ms after the broker resumed (the load ended "
            << std::chrono::duration_cast<std::chrono::milliseconds>(load_done - resumed).count()
            << " ms after it), " << ms_since(load_done) << " ms after the last acknowledgement\n";

  // Every event registration made, each once: one RwCreated per RW and one ParticipantRegistered
  // per worker; what is more on the topic was published twice.
  const auto marks =
      kafka::high_watermarks({stack_->endpoints().kafka_bootstrap, {}}, {"jaring.registration.v1"});
  ASSERT_TRUE(marks) << marks.error().message;
  std::int64_t on_bus = 0;
  for (const auto& [partition, high] : *marks) on_bus += high;
  const std::int64_t events = kRws + total;
  EXPECT_GE(on_bus, events);
  EXPECT_LE(on_bus - events, kafka::RelayOptions{}.max_in_flight) << "duplicates beyond the in-flight window";
  std::cout << "[chaos] jaring.registration.v1 holds " << on_bus << " events for " << events
            << " made: " << on_bus - events << " duplicates\n";
}

// The broker gone (killed, its events with it), then SIGTERM to every service: each leaves
// within 10 s, cleanly, whatever its consumer or relay was waiting for.
TEST_F(Chaos, EveryServiceStopsWithinTenSecondsOfSigtermWithTheBrokerGone) {
  create_rws();
  for (int i = 0; i < 20; ++i) register_until_acknowledged(static_cast<std::uint64_t>(i));
  ASSERT_TRUE(counters_become(expected(20)));
  stack_->kill("devkafka");
  // Work keeps arriving: into the outbox, which the relay cannot empty.
  auto registration = reg::RegistrationService::NewStub(channel("registration"));
  for (int i = 20; i < 40; ++i)
    EXPECT_TRUE(register_worker(*registration, static_cast<std::uint64_t>(i)).ok());
  // Registration's relay holds them: the outbox backlog says so.
  const auto metrics = stack_->endpoints().services.at("registration").metrics;
  EXPECT_TRUE(process::wait_for(
      [&] { return stack::scrape_metric(metrics, "jaring_registration_outbox_backlog_messages") >= 20; },
      30s));
  for (const auto* service : {"coverage", "csr-donor", "claims", "contribution", "registration"}) {
    const auto exit = stack_->terminate(service, 20s);
    std::cout << "[chaos] SIGTERM " << service << " with the broker gone: left after " << exit.took.count()
              << " ms, status " << exit.status << "\n";
    EXPECT_LT(exit.took, 10s) << service << ": " << log_tail(service, 30);
    EXPECT_EQ(exit.status, 0) << service << " did not leave cleanly";
  }

  // The broker back (empty, on its old port) and every service started again: what registration's
  // outbox held all along is delivered.
  stack_->restart("devkafka");
  for (const auto* service : {"registration", "contribution", "claims", "csr-donor", "coverage"})
    stack_->restart(service);
  const auto started = std::chrono::steady_clock::now();
  const auto restarted = stack_->endpoints().services.at("registration").metrics;
  EXPECT_TRUE(process::wait_for(
      [&] { return stack::scrape_metric(restarted, "jaring_registration_outbox_backlog_messages") == 0; },
      60s));
  std::cout << "[chaos] broker and services back: registration's outbox delivered its 20 events after "
            << ms_since(started) << " ms\n";
  // Coverage finds its offsets belong to the lost log and rebuilds from the owners: exact again.
  ASSERT_TRUE(counters_become(expected(40))) << log_tail("coverage", 40);
  std::cout << "[chaos] counters exact after the broker and the services came back: " << ms_since(started)
            << " ms\n";
}

// The broker restarted empty on its address under running services: the consumers notice the
// new log (its cluster id), read it from its start, coverage rebuilds what the lost log held,
// and nothing is lost or doubled.
TEST_F(Chaos, BrokerRestartedEmptyUnderRunningServicesLosesAndDoublesNothing) {
  create_rws();
  for (int i = 0; i < 20; ++i) register_until_acknowledged(static_cast<std::uint64_t>(i));
  ASSERT_TRUE(counters_become(expected(20)));
  stack_->kill("devkafka");
  stack_->restart("devkafka");
  const auto started = std::chrono::steady_clock::now();
  for (int i = 20; i < 40; ++i) register_until_acknowledged(static_cast<std::uint64_t>(i));
  ASSERT_TRUE(counters_become(expected(40))) << log_tail("coverage", 40);
  std::cout << "[chaos] broker restarted empty: counters exact " << ms_since(started)
            << " ms after it was back\n";
}

// The disk of the stores full: every write the services are asked for is refused UNAVAILABLE
// (no SQL, no INTERNAL), /readyz says the store cannot write, and once space is freed the
// services are ready and write again by themselves, with no restart and nothing lost or doubled.
class DiskFull : public ChaosTest {
 protected:
  DiskFull() : ChaosTest("jaring-chaos-disk") {
    data_ = dir_.path() / "run" / "data";
    fs::create_directories(data_);
    if (::mount("tmpfs", data_.c_str(), "tmpfs", 0, "size=48m,mode=0700") == 0) {
      mounted_ = true;
    } else {
      why_not_ = std::strerror(errno);
    }
  }
  ~DiskFull() override {
    if (!mounted_) return;
    stack_->stop();
    ::umount2(data_.c_str(), MNT_DETACH);
  }
  void SetUp() override {
    if (!mounted_)
      GTEST_SKIP() << "cannot mount a small tmpfs here (" << why_not_ << "): needs root or CAP_SYS_ADMIN";
    ChaosTest::SetUp();
  }

  // Fills the tmpfs to the last block: a file written until ENOSPC.
  void fill() {
    filler_ = data_ / "filler";
    std::ofstream out(filler_, std::ios::binary);
    const std::string block(std::size_t{64} * 1024, 'x');
    while (out.write(block.data(), static_cast<std::streamsize>(block.size()))) out.flush();
  }
  void free_space() { fs::remove(filler_); }

  fs::path data_;
  fs::path filler_;
  bool mounted_ = false;
  std::string why_not_;
};

TEST_F(DiskFull, WritesAreRefusedUnavailableNotReadyAndBackByThemselvesOnceSpaceIsFreed) {
  create_rws();
  auto registration = reg::RegistrationService::NewStub(channel("registration"));
  auto sponsors = csr::v1::SponsorService::NewStub(channel("csr-donor"));
  int acknowledged = 0;
  for (; acknowledged < 20; ++acknowledged)
    ASSERT_TRUE(register_worker(*registration, static_cast<std::uint64_t>(acknowledged)).ok());
  fill();

  // The WAL may still have room for a few writes; then each write is refused UNAVAILABLE.
  ::grpc::Status refused;
  for (int i = 0; i < 2'000 && refused.ok(); ++i) {
    refused = register_worker(*registration, static_cast<std::uint64_t>(acknowledged));
    if (refused.ok()) ++acknowledged;
  }
  ASSERT_EQ(refused.error_code(), ::grpc::StatusCode::UNAVAILABLE) << refused.error_message();
  EXPECT_EQ(refused.error_message().find("sqlite"), std::string::npos) << refused.error_message();

  // RegisterBulk too: each row answers UNAVAILABLE (nothing of it written) and the stream ends so.
  {
    reg::RegisterBulkRequest rows;
    sample::Generator generator(99);
    for (int i = 0; i < 5; ++i) {
      auto* r = rows.add_requests();
      sample::fill_register_request(generator.worker(std::uint64_t{50'000} + static_cast<std::uint64_t>(i)),
                                    *r);
      r->set_idempotency_key(fmt::format("bulk-{}", i));
      r->set_rw_code(rw_code(static_cast<std::uint64_t>(i)));
    }
    ::grpc::ClientContext context;
    prepare(context);
    auto stream = registration->RegisterBulk(&context);
    stream->Write(rows);
    stream->WritesDone();
    reg::RegisterBulkResponse results;
    std::vector<int> codes;
    while (stream->Read(&results))
      for (const auto& r : results.results()) codes.push_back(r.code());
    const auto status = stream->Finish();
    EXPECT_EQ(status.error_code(), ::grpc::StatusCode::UNAVAILABLE) << status.error_message();
    EXPECT_EQ(codes, std::vector<int>(5, ::grpc::StatusCode::UNAVAILABLE));
  }

  // csr-donor's store shares the disk: a new sponsor is refused the same way.
  ::grpc::Status sponsor_refused;
  for (int i = 0; i < 500 && sponsor_refused.ok(); ++i) {
    csr::v1::CreateSponsorRequest request;
    request.set_idempotency_key(fmt::format("sp-{}", i));
    request.set_name(fmt::format("PT Penuh {}", i));
    request.set_kind("csr_company");
    try_call<csr::v1::Sponsor>(
        [&](auto* context, auto* reply) { return sponsors->CreateSponsor(context, request, reply); },
        &sponsor_refused);
  }
  EXPECT_EQ(sponsor_refused.error_code(), ::grpc::StatusCode::UNAVAILABLE) << sponsor_refused.error_message();

  for (const auto* service : {"registration", "csr-donor"}) {
    const auto [code, body] = readyz(service);
    EXPECT_EQ(code, 503) << service << ": " << body;
    EXPECT_NE(body.find("cannot write"), std::string::npos) << service << ": " << body;
  }

  free_space();
  for (const auto* service : {"registration", "csr-donor"}) {
    const auto back = until_readyz(service, 200);
    ASSERT_GE(back.count(), 0) << service << " never became ready again: " << readyz(service).second;
    std::cout << "[chaos] disk full, then space freed: " << service << " ready again after " << back.count()
              << " ms\n";
  }
  ASSERT_TRUE(register_worker(*registration, static_cast<std::uint64_t>(acknowledged)).ok());
  ++acknowledged;
  EXPECT_TRUE(counters_become(expected(acknowledged)));
}

}  // namespace
}  // namespace jaring::chaos

#pragma once
// What the chaos tests share (issue #15): a stack of real processes (tests/e2e/stack_test.hpp),
// registrations as a branch office makes them, with the retries a client makes, and the truth to
// compare with afterwards: every acknowledged registration counted once in coverage's RW counters.
//
// JARING_CHAOS=full (`make chaos`) runs the long versions; the default suite runs short ones.

#include <httplib.h>

#include <atomic>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "../e2e/stack_test.hpp"
#include "jaring/coverage/v1/coverage.grpc.pb.h"
#include "jaring/process/process.hpp"
#include "jaring/registration/v1/registration.grpc.pb.h"
#include "jaring/sample/sample.hpp"

namespace jaring::chaos {

namespace reg = registration::v1;
namespace cov = coverage::v1;

// Milliseconds since `started`, for the figures the tests print.
inline std::int64_t ms_since(std::chrono::steady_clock::time_point started) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started)
      .count();
}
using namespace std::chrono_literals;

inline bool full_run() {
  const char* mode = std::getenv("JARING_CHAOS");
  return mode != nullptr && std::string(mode) == "full";
}
// How many registrations a load makes: `full` in `make chaos`, `short_run` in `make test`.
inline int load_size(int short_run, int full) { return full_run() ? full : short_run; }

inline const std::string kKelurahan = "31.75.06.1005";  // Pulo Gebang
constexpr int kRws = 10;

class ChaosTest : public e2e::StackTest {
 protected:
  explicit ChaosTest(const std::string& name) : StackTest(name) {}

  static std::string rw_code(std::uint64_t serial) {
    return fmt::format("{}.{:03d}", kKelurahan, static_cast<int>(serial % kRws) + 1);
  }

  void create_rws() {
    auto registration = reg::RegistrationService::NewStub(channel("registration"));
    for (int number = 1; number <= kRws; ++number) {
      reg::CreateRwRequest request;
      request.set_kelurahan_code(kKelurahan);
      request.set_number(number);
      call<reg::Rw>("CreateRw", [&](auto* context, auto* reply) {
        return registration->CreateRw(context, request, reply);
      });
    }
  }

  // One registration of worker `serial` (its idempotency key is the serial's, so a retry
  // registers nothing new).
  ::grpc::Status register_worker(reg::RegistrationService::Stub& registration, std::uint64_t serial) {
    sample::Worker w;
    {
      std::lock_guard lock(generator_mutex_);
      w = generator_.worker(serial);
    }
    reg::RegisterRequest request;
    request.set_idempotency_key(fmt::format("chaos-{}", serial));
    sample::fill_register_request(w, request);
    request.set_rw_code(rw_code(serial));
    reg::Participant reply;
    ::grpc::ClientContext context;
    prepare(context);
    grpc::set_deadline(context, 10s);
    return registration.Register(&context, request, &reply);
  }

  // As a client does: tries again (the same key) until the registration is acknowledged, on a
  // new channel after each failure (the service may have been restarted). `registration` is the
  // client's stub, kept while calls succeed.
  void register_until_acknowledged(std::uint64_t serial,
                                   std::unique_ptr<reg::RegistrationService::Stub>& registration) {
    for (int attempt = 0; attempt < 600; ++attempt) {
      if (!registration) registration = reg::RegistrationService::NewStub(channel("registration"));
      if (register_worker(*registration, serial).ok()) return;
      registration.reset();
      std::this_thread::sleep_for(100ms);
    }
    ADD_FAILURE() << "registration " << serial << " was never acknowledged";
  }
  void register_until_acknowledged(std::uint64_t serial) {
    std::unique_ptr<reg::RegistrationService::Stub> registration;
    register_until_acknowledged(serial, registration);
  }

  // What a branch office registers: workers first..end-1, by `clerks` clerks side by side (clerk
  // k takes first + k, first + k + clerks, ...), each worker until acknowledged. With `go`, no
  // worker from `pause_at` on is registered until *go is true; with `until`, the clerks take no
  // new worker once *until is true (with one clerk, the workers registered stay contiguous).
  struct Load {
    int first = 0;
    int end = 0;
    int clerks = 4;
    int pause_at = -1;
    const std::atomic<bool>* go = nullptr;
    const std::atomic<bool>* until = nullptr;
  };

  // The branch office at work on a thread of its own; `acknowledged` counts the workers
  // registered. Join the thread before the test ends.
  std::thread keep_registering(Load load, std::atomic<int>& acknowledged) {
    return std::thread([this, load, &acknowledged] {
      std::vector<std::thread> desks;
      desks.reserve(static_cast<std::size_t>(load.clerks));
      for (int clerk = 0; clerk < load.clerks; ++clerk) {
        desks.emplace_back([this, load, &acknowledged, clerk] {
          std::unique_ptr<reg::RegistrationService::Stub> registration;
          for (int i = load.first + clerk; i < load.end; i += load.clerks) {
            if (load.until != nullptr && load.until->load()) return;
            if (load.go != nullptr && load.pause_at >= 0 && i >= load.pause_at)
              (void)process::wait_for([&] { return load.go->load(); }, std::chrono::minutes(5), 10ms);
            register_until_acknowledged(static_cast<std::uint64_t>(i), registration);
            ++acknowledged;
          }
        });
      }
      for (auto& desk : desks) desk.join();
    });
  }
  std::thread keep_registering(int total, std::atomic<int>& acknowledged) {
    return keep_registering(Load{.end = total}, acknowledged);
  }

  // The process id of a stack member.
  pid_t pid_of(const std::string& member) const {
    for (const auto& [name, pid] : stack_->members())
      if (name == member) return pid;
    throw std::runtime_error("no stack member named " + member);
  }

  // registered counter of every RW, by code; empty when coverage does not answer.
  std::map<std::string, std::int64_t> registered_counts() {
    auto coverage = cov::CoverageService::NewStub(channel("coverage"));
    cov::ListRwCoverageRequest request;
    request.set_kelurahan_code(kKelurahan);
    ::grpc::Status status;
    const auto reply = try_call<cov::ListRwCoverageResponse>(
        [&](auto* context, auto* out) { return coverage->ListRwCoverage(context, request, out); }, &status);
    std::map<std::string, std::int64_t> out;
    if (!reply) return out;
    for (const auto& rw : reply->rws()) out[rw.rw_code()] = rw.counters().registered();
    return out;
  }

  // What the counters must say once workers 0..count-1 are registered.
  static std::map<std::string, std::int64_t> expected(int count) {
    std::map<std::string, std::int64_t> out;
    for (int i = 0; i < kRws; ++i) out[rw_code(static_cast<std::uint64_t>(i))] = 0;
    for (int i = 0; i < count; ++i) ++out[rw_code(static_cast<std::uint64_t>(i))];
    return out;
  }

  // Waits until the counters equal `want` (0 lost, 0 doubled); the last ones seen otherwise.
  ::testing::AssertionResult counters_become(const std::map<std::string, std::int64_t>& want,
                                             std::chrono::seconds limit = 120s) {
    std::map<std::string, std::int64_t> seen;
    if (process::wait_for(
            [&] {
              seen = registered_counts();
              return seen == want;
            },
            limit, 100ms)) {
      return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure()
           << "want " << ::testing::PrintToString(want) << ", last seen " << ::testing::PrintToString(seen);
  }

  // /readyz of a service: the status (0 when it does not answer) and the body.
  std::pair<int, std::string> readyz(const std::string& service) const {
    httplib::Client client(stack_->endpoints().services.at(service).metrics);
    client.set_connection_timeout(2s);
    client.set_read_timeout(5s);
    const auto res = client.Get("/readyz");
    if (!res) return {0, ""};
    return {res->status, res->body};
  }

  // Waits until /readyz of `service` answers `status`; how long it took (or -1 ms when it never did).
  std::chrono::milliseconds until_readyz(const std::string& service, int status,
                                         std::chrono::seconds limit = 60s) {
    const auto started = std::chrono::steady_clock::now();
    if (!process::wait_for([&] { return readyz(service).first == status; }, limit, 100ms)) return -1ms;
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
  }

  // The last `lines` lines of a member's log, for a failure message.
  std::string log_tail(const std::string& service, std::size_t lines) const {
    std::ifstream in(dir_.path() / "run" / "logs" / (service + ".log"));
    std::deque<std::string> last;
    for (std::string line; std::getline(in, line);) {
      last.push_back(line);
      if (last.size() > lines) last.pop_front();
    }
    std::string text;
    for (const auto& line : last) text += line + "\n";
    return text;
  }

 private:
  std::mutex generator_mutex_;
  sample::Generator generator_{7};
};

}  // namespace jaring::chaos

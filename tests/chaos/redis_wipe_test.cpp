// Chaos: Redis loses every key (FLUSHALL) while workers are being registered. The coverage
// service must notice by itself (no generation marker), say it is not ready, rebuild every
// counter from the owners' export streams, and count on from there: at the end every counter of
// every RW equals what the owners hold (0 lost, 0 doubled), and at no poll in between does /readyz
// answer 200 while the counters are below what the owners held before the wipe or above what
// they hold a moment later. The owners' figures come from their own export streams (as an
// auditor). JARING_CHAOS=full registers 20,000 workers; otherwise 1,500. The recovery time (wipe
// to ready, and wipe to exact) is printed, never asserted.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "../e2e/stack_test.hpp"
#include "jaring/contribution/v1/contribution.grpc.pb.h"
#include "jaring/coverage/v1/coverage.grpc.pb.h"
#include "jaring/process/process.hpp"
#include "jaring/redis/redis.hpp"
#include "jaring/registration/v1/registration.grpc.pb.h"
#include "jaring/sample/sample.hpp"

namespace jaring {
namespace {

namespace reg = registration::v1;
namespace con = contribution::v1;
namespace cov = coverage::v1;
using namespace std::chrono_literals;

constexpr const char* kKelurahan = "31.75.06.1005";  // Pulo Gebang
constexpr int kRws = 8;

// Per RW: registered workers and active accounts.
struct Figures {
  std::map<std::string, std::int64_t> registered;
  std::map<std::string, std::int64_t> active;
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
  return fmt::format("{} registered, {} active", f.total_registered(), f.total_active());
}

class RedisWipe : public e2e::StackTest {
 protected:
  RedisWipe() : StackTest("jaring-chaos-redis-wipe") {}

  void SetUp() override {
    StackTest::SetUp();
    registration_ = reg::RegistrationService::NewStub(channel("registration"));
    contribution_ = con::ContributionService::NewStub(channel("contribution"));
    coverage_ = cov::CoverageService::NewStub(channel("coverage"));
    for (int number = 1; number <= kRws; ++number) {
      reg::CreateRwRequest request;
      request.set_kelurahan_code(kKelurahan);
      request.set_number(number);
      call<reg::Rw>("CreateRw",
                    [&](auto* context, auto* out) { return registration_->CreateRw(context, request, out); });
    }
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
    r.set_idempotency_key(fmt::format("chaos-{}", serial));
    sample::fill_register_request(w, r);
    r.set_rw_code(rw_code(serial));
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
    }
    return out;
  }

  std::unique_ptr<reg::RegistrationService::Stub> registration_;
  std::unique_ptr<con::ContributionService::Stub> contribution_;
  std::unique_ptr<cov::CoverageService::Stub> coverage_;
  sample::Generator generator_{11};
  std::mutex mutex_;
};

TEST_F(RedisWipe, CountersExactAgainByThemselvesAndNeverReadyWhileWrong) {
  const char* mode = std::getenv("JARING_CHAOS");
  const std::uint64_t workers = mode != nullptr && std::string(mode) == "full" ? 20000 : 1500;
  constexpr int kWriters = 2;
  std::atomic<std::uint64_t> next{0};
  std::atomic<int> failures{0};
  std::atomic<int> writing{kWriters};
  std::vector<std::thread> writers;
  for (int t = 0; t < kWriters; ++t) {
    writers.emplace_back([&] {
      for (auto i = next++; i < workers; i = next++) {
        if (!register_worker(i)) ++failures;
      }
      --writing;
    });
  }

  // Wipe once a quarter is counted: Redis loses counters, offsets and the generation marker.
  const bool counting = process::wait_for(
      [&] {
        const auto c = counted();
        return c && c->total_registered() >= static_cast<std::int64_t>(workers / 4);
      },
      120s, 20ms);
  // Everything the owners hold now must be counted whenever coverage says it is ready again.
  std::optional<Figures> before;
  ASSERT_TRUE(process::wait_for([&] { return (before = owners()).has_value(); }, 30s, 10ms));
  redis::Client redis("127.0.0.1", std::stoi(stack_->endpoints().redis.substr(10)),
                      {.password = stack_->redis_password()});
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
        const auto now = owners();
        for (const auto& [rw, n] : before->registered) {
          if (c->registered.at(rw) < n || c->active.at(rw) < before->active.at(rw) ||
              (now &&
               (c->registered.at(rw) > now->registered.at(rw) || c->active.at(rw) > now->active.at(rw)))) {
            ++wrong_while_ready;
            if (wrong_example.empty()) {
              wrong_example = fmt::format(
                  "{:.2f} s after the wipe: counted {}, owners before the wipe {}, now {}",
                  seconds_since_wipe(), describe(*c), describe(*before), now ? describe(*now) : "?");
            }
            break;
          }
        }
        if (writing.load() != 0 || !now || *c != *now) return false;
        exact_s = seconds_since_wipe();
        return true;
      },
      300s, 50ms);
  for (auto& w : writers) w.join();
  EXPECT_EQ(failures.load(), 0);

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
  EXPECT_EQ(final_owners->total_registered(), static_cast<std::int64_t>(workers));

  std::cout
      << fmt::format(
             "redis wipe under load: {} workers, wiped at {} registered / {} active (owners); "
             "ready again {} s after the wipe, exact {} s after it (load still running until then: {}); "
             "{} polls, {} not ready, {} ready, {} ready while wrong; /readyz said: {}",
             workers, before->total_registered(), before->total_active(),
             first_ready_s ? fmt::format("{:.2f}", *first_ready_s) : "never",
             exact_s ? fmt::format("{:.2f}", *exact_s) : "never", exact ? "yes" : "no", polls,
             not_ready_polls, ready_polls, wrong_while_ready, not_ready_body)
      << std::endl;
  EXPECT_TRUE(exact) << "the counters did not become exact while the service said ready";
  EXPECT_GT(not_ready_polls, 0) << "the service never said it was not ready after the wipe";
  EXPECT_EQ(wrong_while_ready, 0) << wrong_example;
}

}  // namespace
}  // namespace jaring

// Bulk registration end to end: N workers through RegisterBulk into the registration store and
// onto the bus (the outbox drained to Kafka), on the real stack started as `make up` starts it.
// Prints rows per second to acknowledgement and to the bus, and the service's peak memory.
// Target (issue 3): at least 50,000 rows/s on 2 cores.
#include <CLI/CLI.hpp>
#include <cstdio>

#include <unistd.h>
#include <chrono>

#include <atomic>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "jaring/grpc/edge.hpp"
#include "jaring/grpc/server.hpp"
#include "jaring/registration/v1/registration.grpc.pb.h"
#include "jaring/sample/sample.hpp"
#include "jaring/stack/stack.hpp"
#include "jaring/testing/fixtures.hpp"

namespace reg = jaring::registration::v1;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kRowsPerMessage = 2000;

}  // namespace

int main(int argc, char** argv) try {
  CLI::App app{"Bulk registration through the streaming API, end to end to the store and the bus"};
  int rows = 200'000;
  int streams = 1;
  std::string bin_dir = "build/bin";
  std::string config_dir = "deploy/local";
  app.add_option("--rows", rows, "workers to register")->capture_default_str();
  app.add_option("--streams", streams, "concurrent RegisterBulk streams (imports) sharing the rows")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  app.add_option("--bin-dir", bin_dir, "jaring-* binaries")->capture_default_str();
  app.add_option("--config-dir", config_dir, "where topics.yaml is")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  jaring::testing::TempDir dir("jaring-bench-registration");
  auto options = jaring::stack::Options::for_benchmark(dir.path(), bin_dir, config_dir);
  options.services = {"registration"};  // the store and the bus; consumers would share the cores
  jaring::stack::Stack stack(options);
  stack.start();
  const auto& ep = stack.endpoints().services.at("registration");
  pid_t registration_pid = 0;
  for (const auto& [name, pid] : stack.members()) {
    if (name == "registration") registration_pid = pid;
  }
  const auto cpu_of_stack = [&] {
    std::map<std::string, double> cpu;
    for (const auto& [name, pid] : stack.members()) cpu[name] = jaring::process::usage(pid).cpu_seconds;
    cpu["bench client"] = jaring::process::usage(::getpid()).cpu_seconds;
    return cpu;
  };
  auto stub = reg::RegistrationService::NewStub(stack.channel("registration"));
  // A branch officer over every Jakarta branch makes the RWs and streams the rows: one token.
  const auto token = stack.token("branch-officer", "bench.officer");

  // 200 RWs over the kelurahan of Cakung and Duren Sawit.
  std::vector<std::string> rws;
  for (const auto* kelurahan :
       {"31.75.06.1001", "31.75.06.1002", "31.75.06.1003", "31.75.06.1004", "31.75.06.1005", "31.75.07.1001",
        "31.75.07.1002", "31.75.07.1003", "31.75.07.1004", "31.75.07.1005"}) {
    for (int number = 1; number <= 20; ++number) {
      reg::CreateRwRequest request;
      request.set_kelurahan_code(kelurahan);
      request.set_number(number);
      reg::Rw rw;
      ::grpc::ClientContext context;
      jaring::grpc::set_deadline(context, 10s);
      jaring::grpc::authorize(context, token);
      if (!stub->CreateRw(&context, request, &rw).ok()) return 1;
      rws.push_back(rw.code());
    }
  }

  fmt::print("preparing {} workers ...\n", rows);
  jaring::sample::Generator generator(2026);
  std::vector<reg::RegisterRequest> requests(static_cast<std::size_t>(rows));
  for (int i = 0; i < rows; ++i) {
    auto& r = requests[static_cast<std::size_t>(i)];
    jaring::sample::fill_register_request(generator.worker(static_cast<std::uint64_t>(i)), r);
    r.set_rw_code(rws[static_cast<std::size_t>(i) % rws.size()]);
    r.set_idempotency_key(fmt::format("bench-{}", i));
    r.set_row(i);
  }
  const double produced_before =
      jaring::stack::scrape_metric(ep.metrics, "jaring_registration_events_produced_total");

  const auto cpu_before = cpu_of_stack();
  const auto start = Clock::now();
  // Each stream is one import: its own rows, its own writer thread, answers read here.
  std::atomic<int> ok = 0, failed = 0;
  std::string status_text = "OK";
  std::mutex status_mutex;
  const auto import = [&](int first) {
    ::grpc::ClientContext context;
    jaring::grpc::set_deadline(context, 30min);
    jaring::grpc::authorize(context, token);
    auto stream = stub->RegisterBulk(&context);
    std::thread writer([&] {
      reg::RegisterBulkRequest batch;
      for (auto i = static_cast<std::size_t>(first); i < requests.size();
           i += static_cast<std::size_t>(streams)) {
        *batch.add_requests() = requests[i];
        if (batch.requests_size() == kRowsPerMessage) {
          if (!stream->Write(batch)) break;
          batch.Clear();
        }
      }
      if (batch.requests_size() > 0) stream->Write(batch);
      stream->WritesDone();
    });
    reg::RegisterBulkResponse response;
    while (stream->Read(&response)) {
      for (const auto& result : response.results()) (result.code() == 0 ? ok : failed)++;
    }
    writer.join();
    const auto status = stream->Finish();
    if (!status.ok()) {
      std::lock_guard lock(status_mutex);
      status_text = status.error_message();
    }
  };
  std::vector<std::thread> imports;
  imports.reserve(static_cast<std::size_t>(streams));
  for (int s = 0; s < streams; ++s) imports.emplace_back(import, s);
  for (auto& t : imports) t.join();
  const auto acked = Clock::now();
  // On the bus: every registration published by the relay.
  while (jaring::stack::scrape_metric(ep.metrics, "jaring_registration_events_produced_total") -
                 produced_before <
             ok &&
         Clock::now() - acked < 10min) {
    std::this_thread::sleep_for(20ms);
  }
  const auto on_bus = Clock::now();
  const auto cpu_after = cpu_of_stack();

  const double ack_s = std::chrono::duration<double>(acked - start).count();
  const double bus_s = std::chrono::duration<double>(on_bus - start).count();
  fmt::print("\nbulk registration, {} rows over {} stream(s), {} cores\n", rows, streams,
             std::thread::hardware_concurrency());
  fmt::print("  {:<36} {:>12}\n", "stream status", status_text);
  fmt::print("  {:<36} {:>12} ok, {} failed\n", "rows", ok.load(), failed.load());
  fmt::print("  {:<36} {:>12.0f} rows/s ({:.2f} s)\n", "acknowledged (in the store)", ok / ack_s, ack_s);
  fmt::print("  {:<36} {:>12.0f} rows/s ({:.2f} s)\n", "on the bus (outbox drained)", ok / bus_s, bus_s);
  fmt::print("  {:<36} {:>12.1f} MiB\n", "registration peak RSS",
             jaring::process::usage(registration_pid).peak_rss_mib);
  fmt::print("  {:<36} {:>12} rows/s\n", "target", "50000");
  fmt::print("  CPU seconds used during the run (a shared machine slows the clock, not these):\n");
  for (const auto& [name, before] : cpu_before) {
    const double used = cpu_after.at(name) - before;
    fmt::print("    {:<34} {:>8.2f} s  ({:.0f} rows per CPU-second)\n", name, used,
               used > 0 ? ok / used : 0.0);
  }
  return status_text == "OK" && failed == 0 ? 0 : 1;
} catch (const std::exception& e) {
  std::fprintf(stderr, "jaring-bench-registration: %s\n", e.what());
  return 1;
}

// jaring-stack: `make up` / `make down` / `make status` for the embedded stack on one machine.
#include <sys/stat.h>

#include <CLI/CLI.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>

#include <fmt/format.h>

#include "jaring/common/clock.hpp"
#include "jaring/common/period.hpp"
#include "jaring/stack/stack.hpp"

namespace fs = std::filesystem;
using namespace jaring;

namespace {

// Months of history the demo builds on a test clock (up --demo --test-clock).
constexpr int kHistoryMonths = 12;

void print_endpoints(const fs::path& run_dir) {
  std::ifstream in(run_dir / "endpoints.json");
  const auto ep = nlohmann::json::parse(in, nullptr, false);
  if (ep.is_discarded()) return;
  fmt::print("\n  {:<14} {:<22} {}\n", "service", "gRPC", "metrics");
  for (const auto& [name, s] : ep["services"].items()) {
    fmt::print("  {:<14} {:<22} {}\n", name, s.value("grpc", ""), s.value("metrics", ""));
  }
  fmt::print("\n  Kafka bootstrap  {}\n  Redis            {}\n", ep.value("kafka_bootstrap", ""),
             ep.value("redis", ""));
  if (ep["services"].contains("coverage")) {
    fmt::print("  Dashboard        {}\n", ep["services"]["coverage"].value("dashboard", ""));
  }
  fmt::print(
      "\n  Endpoints: {}\n  Logs:      {}\n  Try: build/bin/jaringctl coverage kelurahan 31.75.06.1005\n\n",
      (run_dir / "endpoints.json").string(), (run_dir / "logs").string());
}

int up(const fs::path& run_dir, const fs::path& bin_dir, const fs::path& config_dir, bool demo,
       bool test_clock) {
  if (stack::recorded_running(run_dir)) {
    fmt::print("Jaring is already running (see {}); nothing changed. `make down` stops it.\n",
               (run_dir / "stack.json").string());
    print_endpoints(run_dir);
    return 0;
  }
  // jaring-devkafka keeps its log in memory only: a new stack starts from empty state, so that
  // the stores and the counters never refer to events the new broker does not have.
  stack::stop_recorded(run_dir);
  fs::remove_all(run_dir / "data");
  fs::remove(run_dir / "clock");  // a new stack's test clock starts at the wall clock's now ...
  // ... or, for the demo's history, on the first day of the month a year before this one.
  const bool history = demo && test_clock;
  if (history) {
    fs::create_directories(run_dir);
    const auto first = Period::jakarta(std::chrono::system_clock::now()).next(-kHistoryMonths);
    FileClock::write((run_dir / "clock").string(), *parse_utc(first.str() + "-01T08:00:00+07:00"));
  }
  stack::Options options;
  options.run_dir = fs::absolute(run_dir);
  options.bin_dir = fs::absolute(bin_dir);
  options.config_dir = fs::absolute(config_dir);
  options.detach = true;
  options.preferred_ports = true;
  options.test_clock = test_clock;
  stack::Stack stack(options);
  fmt::print("Starting redis-server, jaring-devkafka and the services (logs in {}) ...\n",
             (run_dir / "logs").string());
  stack.start();
  stack.write_state();
  stack.release();
  if (demo) {
    fmt::print("Loading the demo through the public APIs ...\n");
    std::fflush(stdout);  // before the child writes to the same terminal
    if (history)
      fmt::print("... with {} months of history on the test clock, moved month by month to now ...\n",
                 kHistoryMonths);
    std::fflush(stdout);
    const auto cmd =
        fmt::format("'{}' --endpoints '{}' demo --history-months {}", (bin_dir / "jaringctl").string(),
                    (run_dir / "endpoints.json").string(), history ? kHistoryMonths : 0);
    if (std::system(cmd.c_str()) != 0) {
      fmt::print(stderr, "The demo did not load; the stack runs without it.\n");
    }
  }
  fmt::print("Jaring is up.\n");
  print_endpoints(run_dir);
  return 0;
}

}  // namespace

int main(int argc, char** argv) try {
  ::umask(077);  // the run folder's logs, stores and keys are for their owner only
  CLI::App app{"jaring-stack: starts and stops the embedded Jaring stack on this machine"};
  app.require_subcommand(1);
  fs::path run_dir = ".run";
  fs::path bin_dir = "build/bin";
  fs::path config_dir = "deploy/local";
  bool demo = true;
  bool test_clock = false;
  app.add_option("--run-dir", run_dir, "Where logs, state, stack.json and endpoints.json go")
      ->capture_default_str();
  auto* up_cmd =
      app.add_subcommand("up", "Start redis-server, jaring-devkafka and the services in the background");
  up_cmd->add_option("--bin-dir", bin_dir, "Where the jaring-* binaries are")->capture_default_str();
  up_cmd->add_option("--config-dir", config_dir, "Where topics.yaml is")->capture_default_str();
  up_cmd->add_option("--demo", demo, "Load the demo data after start (DEMO=0 in make)")
      ->capture_default_str();
  up_cmd->add_flag("--test-clock", test_clock,
                   "Run every service on a test clock (.run/clock) that `jaringctl dev clock set` moves; "
                   "with --demo, the demo builds a year of history on it, ending at now; for trying the "
                   "calendar locally, never in production");
  app.add_subcommand("down", "Stop exactly the processes `up` started, by PID");
  app.add_subcommand("status", "Say whether the stack runs, and where");
  CLI11_PARSE(app, argc, argv);

  if (up_cmd->parsed()) return up(run_dir, bin_dir, config_dir, demo, test_clock);
  if (app.got_subcommand("down")) {
    const int stopped = stack::stop_recorded(run_dir);
    if (stopped > 0) {
      fmt::print("Stopped {} processes.\n", stopped);
    } else {
      fmt::print("Nothing was running.\n");
    }
    return 0;
  }
  if (stack::recorded_running(run_dir)) {
    fmt::print("Jaring is running.\n");
    print_endpoints(run_dir);
  } else {
    fmt::print("Jaring is not running. `make up` starts it.\n");
  }
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "jaring-stack: %s\n", e.what());
  return 1;
}

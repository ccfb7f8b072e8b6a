// What following registrations costs each consumer with a SQLite store that follows them
// (contribution, csr-donor; claims asks registration when a claim needs a participant), without
// Kafka and without the rest of the stack: ParticipantRegistered events as registration writes
// them, applied in batches as the consumer hands them over (12 partitions, each batch in partition
// order, one transaction a batch), to each service's real core, store and handler. Prints the CPU
// per event (the applying thread's and the store's checkpoints) and the bytes the store wrote, for
// comparing two commits on one machine: the whole stack's figures move with everything else that
// runs, these much less. Asserts nothing.
#include <time.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <fstream>
#include <functional>
#include <map>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "adapters/event_codec.hpp"
#include "jaring/common/clock.hpp"
#include "jaring/common/ids.hpp"
#include "jaring/sample/sample.hpp"
#include "jaring/testing/fixtures.hpp"
#include "projection.hpp"

using namespace jaring;

namespace {

constexpr int kPartitions = 12;  // deploy/local/topics.yaml

// The process's CPU: the applying thread's and the store's checkpoints in the background.
double cpu_us() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e6 + static_cast<double>(t.tv_nsec) / 1e3;
}

// Bytes this process has written to storage (write_bytes of /proc/self/io).
double written_bytes() {
  std::ifstream io("/proc/self/io");
  std::string key;
  double value = 0;
  while (io >> key >> value) {
    if (key == "write_bytes:") return value;
  }
  return 0;
}

// The events of `count` registrations, as registration's outbox holds them, with the partition and
// offset the bus would give them.
std::vector<kafka::ConsumedMessage> registrations(int count, int rws, int agent_percent) {
  sample::Generator generator(42);
  SystemClock clock;
  std::vector<kafka::ConsumedMessage> out;
  out.reserve(static_cast<std::size_t>(count));
  std::array<std::int64_t, kPartitions> offsets{};
  for (int i = 0; i < count; ++i) {
    const auto w = generator.worker(static_cast<std::uint64_t>(i));
    registration::Participant p;
    p.id = new_id("p_");
    p.nik = w.nik;
    p.name = w.name;
    p.birth_date = w.birth_date;
    p.sex = w.sex.front();
    p.phone = w.phone;
    p.rw_code = fmt::format("31.71.01.1001.{:03d}", i % rws + 1);
    p.rt = w.rt;
    p.category = w.category;
    p.income_band = w.income_band;
    p.programs = w.programs;
    p.payer = w.payer;
    p.branch_code = "jakarta-pusat";
    if (i % 100 < agent_percent) p.agent_id = fmt::format("a_{:03d}", i % 200);
    p.registered_at = format_utc(clock.now());
    auto message = registration::encode_registered(p, clock);
    const auto partition = static_cast<int>(std::hash<std::string>{}(message.key) % kPartitions);
    out.push_back({message.topic, partition, offsets[static_cast<std::size_t>(partition)]++,
                   std::move(message.key), std::move(message.payload)});
  }
  return out;
}

struct Figures {
  double cpu_us_per_event = 0;
  double kib_written_per_event = 0;
};

Figures run(const std::string& name,
            const std::function<std::unique_ptr<bench::Projection>(const std::filesystem::path&)>& make,
            const std::vector<kafka::ConsumedMessage>& events, int batch_size) {
  testing::TempDir dir("jaring-bench-projections-" + name);
  auto projection = make(dir.path());
  const auto written_before = written_bytes();
  double cpu = 0;
  for (std::size_t first = 0; first < events.size(); first += static_cast<std::size_t>(batch_size)) {
    const auto last = std::min(events.size(), first + static_cast<std::size_t>(batch_size));
    std::vector<kafka::ConsumedMessage> batch(events.begin() + static_cast<std::ptrdiff_t>(first),
                                              events.begin() + static_cast<std::ptrdiff_t>(last));
    kafka::in_partition_order(batch);
    const auto start = cpu_us();
    projection->apply(batch);
    cpu += cpu_us() - start;
  }
  const auto n = static_cast<double>(events.size());
  const auto start = cpu_us();
  projection.reset();  // closes the store: its last checkpoint counts
  cpu += cpu_us() - start;
  return {cpu / n, (written_bytes() - written_before) / 1024.0 / n};
}

}  // namespace

int main(int argc, char** argv) try {
  CLI::App app{"jaring-bench-projections: CPU per registration of each SQLite consumer's projection"};
  int events = 200'000;
  int batch = 1'000;
  int rws = 400;
  int repeats = 1;
  int agent_percent = 0;
  std::vector<std::string> only;
  app.add_option("--events", events, "registrations applied to each consumer")->capture_default_str();
  app.add_option("--batch", batch, "events a batch (the consumer's batches reach 2,000)")
      ->capture_default_str();
  app.add_option("--rws", rws, "RWs the registrations are spread over")->capture_default_str();
  app.add_option("--agents", agent_percent,
                 "percent of registrations made by field agents (jaring-bench's are all by branch staff)")
      ->capture_default_str()
      ->check(CLI::Range(0, 100));
  app.add_option("--repeat", repeats, "runs of each consumer, alternated")->capture_default_str();
  app.add_option("--only", only, "contribution or csr-donor (default: both)")
      ->check(CLI::IsMember({"contribution", "csr-donor"}));
  CLI11_PARSE(app, argc, argv);

  const std::map<std::string, std::function<std::unique_ptr<bench::Projection>(const std::filesystem::path&)>>
      consumers{{"contribution", bench::contribution_projection}, {"csr-donor", bench::csr_donor_projection}};
  const auto all_events = registrations(events, rws, agent_percent);
  fmt::print("{} ParticipantRegistered events over {} RWs ({}% by agents), batches of {}, {} partitions\n",
             events, rws, agent_percent, batch, kPartitions);
  fmt::print("{:<14}{:>22}{:>26}\n", "consumer", "CPU µs an event", "KiB written an event");
  for (int r = 0; r < repeats; ++r) {
    for (const auto& [name, make] : consumers) {
      if (!only.empty() && std::ranges::find(only, name) == only.end()) continue;
      const auto f = run(name, make, all_events, batch);
      fmt::print("{:<14}{:>22.2f}{:>26.2f}\n", name, f.cpu_us_per_event, f.kib_written_per_event);
      std::fflush(stdout);
    }
  }
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "jaring-bench-projections: %s\n", e.what());
  return 1;
}

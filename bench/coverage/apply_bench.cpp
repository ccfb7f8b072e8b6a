// Coverage's apply script alone, on a redis-server of its own (no other process competes for the
// CPU): Redis's CPU per event and the memory its event ids take, at several rates of events.
// The rate is the time written in the events' ids (Jaring's ids begin with their millisecond),
// so it decides how many ids share one of the seen sets (see adapters/redis_counters.hpp):
// 100,000 events a second (twice issue 18's 50,000 registrations) put about 390 ids in each
// set of a second. Each event increments two counters of one of 400 RWs, as a registration does.
// Asserts nothing.
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <random>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "adapters/redis_counters.hpp"
#include "jaring/process/process.hpp"
#include "jaring/testing/fixtures.hpp"

using namespace jaring;

namespace {

// A field of Redis's INFO reply ("name:value" lines), as an integer.
std::int64_t info_field(redis::Client& redis, const std::string& section, std::string_view name) {
  auto reply = redis.command({"INFO", section});
  if (!reply || reply->is_error()) throw std::runtime_error("INFO " + section + " failed");
  const auto& text = reply->str;
  const auto at = text.find(fmt::format("{}:", name));
  if (at == std::string::npos) throw std::runtime_error(fmt::format("INFO has no {}", name));
  std::int64_t value = 0;
  const auto* begin = text.data() + at + name.size() + 1;
  std::from_chars(begin, text.data() + text.size(), value);
  return value;
}

struct Figures {
  double cpu_us_per_event = 0;
  double wall_us_per_event = 0;
  double id_bytes_per_event = 0;
};

// A redis-server of its own with coverage's counters on it, as the service leaves a fresh Redis:
// the first generation installed, with no seen hashes of earlier releases to read.
struct FreshCounters {
  testing::RedisServer server;
  redis::Client client{"127.0.0.1", server.port(), {.password = server.password()}};
  coverage::RedisCounters counters{client, "b:", std::chrono::seconds(3600)};

  FreshCounters() {
    if (!counters.pause(std::chrono::seconds(60)) || !counters.install_generation({}, {})) {
      throw std::runtime_error("could not install the first generation");
    }
  }
};

Figures run(int events_per_second, int batches, int batch_size) {
  FreshCounters fresh;
  auto& [server, client, counters] = fresh;
  const auto pid = server.pid();
  const auto memory_before = info_field(client, "memory", "used_memory");
  std::mt19937_64 random(42);
  constexpr std::int64_t kStartMs = 1764644400000;
  constexpr const char* kPartition = "jaring.registration.v1:0";
  std::int64_t offset = 0;
  double cpu = 0;
  std::chrono::steady_clock::duration wall{};
  for (int b = 0; b < batches; ++b) {
    std::vector<coverage::PositionedChange> batch;
    batch.reserve(static_cast<std::size_t>(batch_size));
    for (int i = 0; i < batch_size; ++i, ++offset) {
      const auto ms = kStartMs + offset * 1000 / events_per_second;
      const auto bits = random();
      const auto id = fmt::format("e_{:012x}{:04x}{:016x}", ms, bits >> 48U, random());
      const auto rw = fmt::format("31.75.06.{:04}.{:03}", 1001 + (offset % 100), 1 + (offset / 100) % 4);
      batch.push_back({kPartition,
                       offset,
                       {id,
                        {{coverage::CounterOp::Kind::kIncrement, rw, "registered", 1},
                         {coverage::CounterOp::Kind::kIncrement, rw, "registrations", 1}}}});
    }
    const auto cpu_before = process::usage(pid).cpu_seconds;
    const auto start = std::chrono::steady_clock::now();
    auto applied = counters.apply(batch, {{kPartition, offset}});
    wall += std::chrono::steady_clock::now() - start;
    cpu += process::usage(pid).cpu_seconds - cpu_before;
    if (!applied || applied->applied != batch_size) throw std::runtime_error("a batch did not apply whole");
  }
  const auto events = static_cast<double>(offset);
  return {cpu * 1e6 / events, std::chrono::duration<double, std::micro>(wall).count() / events,
          static_cast<double>(info_field(client, "memory", "used_memory") - memory_before) / events};
}

// Reading a kota as GetAreaCoverage does (the dashboard's and the bench's watcher's question): its
// kelurahan, then every RW's hash, with the counters an RW has after registrations and payments.
struct ReadFigures {
  double reader_cpu_us = 0;  // this process: the adapter building the RWs from the replies
  double redis_cpu_us = 0;
  std::size_t rws = 0;
};

ReadFigures read_kota(int reads) {
  FreshCounters fresh;
  auto& [server, client, counters] = fresh;
  std::vector<coverage::PositionedChange> batch;
  for (int i = 0; i < 400; ++i) {
    const auto rw = fmt::format("31.75.06.{:04}.{:03}", 1001 + (i % 100), 1 + (i / 100) % 4);
    std::vector<coverage::CounterOp> ops{{coverage::CounterOp::Kind::kDeclareRw, rw, "", 100}};
    for (const char* field : coverage::kCounterFields) {
      ops.push_back({coverage::CounterOp::Kind::kIncrement, rw, field, 1 + i});
    }
    batch.push_back({"jaring.registration.v1:0", i, {fmt::format("e{}", i), std::move(ops)}});
  }
  if (!counters.apply(batch, {{"jaring.registration.v1:0", 400}})) throw std::runtime_error("setup failed");
  const auto pid = server.pid();
  const auto redis_before = process::usage(pid).cpu_seconds;
  const auto self_before = process::usage(getpid()).cpu_seconds;
  std::size_t rws = 0;
  for (int r = 0; r < reads; ++r) {
    auto kelurahans = counters.kelurahans();
    if (!kelurahans) throw std::runtime_error("reading the kelurahan failed");
    auto read = counters.rws_of_kelurahans(*kelurahans);
    if (!read) throw std::runtime_error("reading the RWs failed");
    rws = read->size();
  }
  const auto n = static_cast<double>(reads);
  return {(process::usage(getpid()).cpu_seconds - self_before) * 1e6 / n,
          (process::usage(pid).cpu_seconds - redis_before) * 1e6 / n, rws};
}

}  // namespace

int main(int argc, char** argv) try {
  CLI::App app{"Coverage's apply script alone: Redis CPU and memory per event, by rate"};
  int batches = 100;
  int batch_size = 1800;
  std::vector<int> rates{30'000, 70'000, 120'000};
  app.add_option("--batches", batches, "batches per rate")->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("--batch", batch_size, "events per batch (the bulk phase's batches hold about 1,800)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--rates", rates, "events per second, as the ids' times say")->capture_default_str();
  int reads = 2000;
  app.add_option("--reads", reads, "reads of a kota's RWs")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  CLI11_PARSE(app, argc, argv);
  std::printf("%-18s %22s %22s %26s\n", "events/s (ids)", "Redis CPU µs/event", "apply wall µs/event",
              "memory for ids, B/event");
  for (const int rate : rates) {
    const auto f = run(rate, batches, batch_size);
    std::printf("%-18d %22.2f %22.2f %26.1f\n", rate, f.cpu_us_per_event, f.wall_us_per_event,
                f.id_bytes_per_event);
  }
  const auto read = read_kota(reads);
  std::printf(
      "\nreading a kota of %zu RWs (%d times): %.0f µs of the reader's CPU and %.0f µs of Redis's a read\n",
      read.rws, reads, read.reader_cpu_us, read.redis_cpu_us);
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "jaring-bench-coverage-apply: %s\n", e.what());
  return 1;
}

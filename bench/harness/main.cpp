// jaring-bench: end-to-end throughput and freshness of the real stack beside the ceilings of
// its parts, measured in one run on this machine. Prints one table and writes the same as JSON
// under bench/results/ (with the commit, the date and the core count) to compare runs. With
// --runs and --compare-bin-dir it measures several times (two builds alternately) and sums the
// runs up side by side with the machine's load as each began.
#include <unistd.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "ceilings.hpp"
#include "in_flight.hpp"
#include "jaring/areas/areas.hpp"
#include "jaring/coverage/v1/coverage.grpc.pb.h"
#include "jaring/grpc/edge.hpp"
#include "jaring/grpc/server.hpp"
#include "jaring/registration/v1/registration.grpc.pb.h"
#include "jaring/sample/sample.hpp"
#include "jaring/stack/stack.hpp"
#include "jaring/testing/fixtures.hpp"

namespace reg = jaring::registration::v1;
namespace cov = jaring::coverage::v1;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char* kKota = "31.75";  // every RW of the run is in Jakarta Timur

struct Options {
  int rows = 200'000;   // bulk registrations
  int single = 20'000;  // single-call registrations
  int paced = 50'000;   // registrations at a paced 10,000/s for freshness
  int in_flight = 8;    // single calls outstanding at once (clients)
  bool quick = false;
  std::string bin_dir = "build/bin";
  std::string config_dir = "deploy/local";
  std::string results_dir = "bench/results";
  int runs = 1;                 // measurements in a row, each on a fresh stack
  std::string compare_bin_dir;  // another build, measured alternately with bin_dir
};

struct Latency {
  double p50 = 0, p99 = 0, max = 0;  // milliseconds
};

// Time (since `start`, ms) at which each registration was acknowledged, in acknowledgement order.
using AckTimes = std::vector<double>;

// Polls the kota's registered total and keeps (time, total) samples.
class Watcher {
 public:
  Watcher(cov::CoverageService::Stub& coverage, std::string token, Clock::time_point start)
      : coverage_(coverage), token_(std::move(token)), start_(start) {}
  ~Watcher() { stop(); }

  std::int64_t total() {
    cov::GetAreaCoverageRequest request;
    request.set_area_code(kKota);
    cov::AreaCoverage reply;
    ::grpc::ClientContext context;
    jaring::grpc::set_deadline(context, 5s);
    jaring::grpc::authorize(context, token_);
    return coverage_.GetAreaCoverage(&context, request, &reply).ok() ? reply.summary().totals().registered()
                                                                     : -1;
  }

  // Samples the total every kPeriod: fine enough for freshness in tens of ms. Each question costs
  // coverage and Redis a kota's RWs (about 2 ms of CPU): the CPU figures take that out
  // (measure_overhead).
  static constexpr auto kPeriod = 10ms;
  std::int64_t polls() const { return polls_.load(); }
  void start() {
    thread_ = std::thread([this] {
      auto next = Clock::now();
      while (!stopping_) {
        const auto t = total();
        polls_.fetch_add(1);
        const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start_).count();
        if (t >= 0) {
          std::lock_guard lock(mutex_);
          samples_.emplace_back(ms, t);
        }
        next += kPeriod;
        std::this_thread::sleep_until(next);
      }
    });
  }

  // Waits until the total reaches `want` (or the deadline); returns the ms it was first seen.
  std::optional<double> wait_for(std::int64_t want, std::chrono::seconds deadline) {
    const auto until = Clock::now() + deadline;
    while (Clock::now() < until) {
      {
        std::lock_guard lock(mutex_);
        for (const auto& [ms, t] : samples_) {
          if (t >= want) return ms;
        }
      }
      std::this_thread::sleep_for(5ms);
    }
    return std::nullopt;
  }

  // Latency of the k-th acknowledged registration: from its acknowledgement to the first sample
  // whose total counts k registrations past the baseline (counters only grow in this run).
  Latency latency(const AckTimes& acks, std::int64_t baseline) {
    std::lock_guard lock(mutex_);
    std::vector<double> lat;
    std::size_t s = 0;
    for (std::size_t k = 0; k < acks.size(); ++k) {
      while (s < samples_.size() && samples_[s].second - baseline < static_cast<std::int64_t>(k + 1)) ++s;
      if (s == samples_.size()) break;
      lat.push_back(std::max(0.0, samples_[s].first - acks[k]));
    }
    if (lat.empty()) return {};
    std::sort(lat.begin(), lat.end());
    const auto at = [&](double q) {
      return lat[std::min(lat.size() - 1, static_cast<std::size_t>(q * static_cast<double>(lat.size())))];
    };
    return {at(0.50), at(0.99), lat.back()};
  }

  void stop() {
    stopping_ = true;
    if (thread_.joinable()) thread_.join();
  }

 private:
  cov::CoverageService::Stub& coverage_;
  std::string token_;
  Clock::time_point start_;
  std::mutex mutex_;
  std::vector<std::pair<double, std::int64_t>> samples_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::int64_t> polls_{0};
  std::thread thread_;
};

std::string commit() {
  std::string out;
  if (FILE* pipe = ::popen("git rev-parse --short HEAD 2>/dev/null", "r")) {
    char buffer[64];
    while (std::fgets(buffer, sizeof buffer, pipe)) out += buffer;
    ::pclose(pipe);
  }
  while (!out.empty() && std::isspace(static_cast<unsigned char>(out.back()))) out.pop_back();
  return out.empty() ? "unknown" : out;
}

// What every JSON result begins with: the commit measured, when, and on how many cores.
nlohmann::json result_header() {
  return {{"commit", commit()},
          {"date", fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", fmt::gmtime(std::time(nullptr)))},
          {"cores", std::thread::hardware_concurrency()}};
}

// Writes `json` to <results_dir>/<date>-<commit><suffix>.json and returns that path.
std::filesystem::path write_result(const std::string& results_dir, const std::string& suffix,
                                   const nlohmann::json& json) {
  std::filesystem::create_directories(results_dir);
  auto file = std::filesystem::path(results_dir) / fmt::format("{:%Y%m%dT%H%M%SZ}-{}{}.json",
                                                               fmt::gmtime(std::time(nullptr)),
                                                               json.at("commit").get<std::string>(), suffix);
  std::ofstream(file) << json.dump(2) << "\n";
  return file;
}

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// Sends rows through RegisterBulk in messages of `per_message`, at most `messages_per_second`
// messages a second (0: as fast as the service takes them), as the caller of `token`. Returns
// per-row ack times.
AckTimes send_bulk(reg::RegistrationService::Stub& stub, const std::string& token,
                   const std::vector<reg::RegisterRequest>& rows, int per_message, double messages_per_second,
                   Clock::time_point start, int& failed) {
  ::grpc::ClientContext context;
  jaring::grpc::set_deadline(context, 30min);
  jaring::grpc::authorize(context, token);
  auto stream = stub.RegisterBulk(&context);
  std::thread writer([&] {
    reg::RegisterBulkRequest message;
    const auto pace = messages_per_second > 0 ? std::chrono::duration<double>(1.0 / messages_per_second)
                                              : std::chrono::duration<double>(0);
    auto next = Clock::now();
    for (std::size_t i = 0; i < rows.size(); ++i) {
      *message.add_requests() = rows[i];
      if (message.requests_size() == per_message || i + 1 == rows.size()) {
        if (pace.count() > 0) {
          std::this_thread::sleep_until(next);
          next += std::chrono::duration_cast<Clock::duration>(pace);
        }
        if (!stream->Write(message)) break;
        message.Clear();
      }
    }
    stream->WritesDone();
  });
  AckTimes acks;
  reg::RegisterBulkResponse response;
  while (stream->Read(&response)) {
    const double at = ms_since(start);
    for (const auto& r : response.results()) {
      if (r.code() == 0) {
        acks.push_back(at);
      } else {
        ++failed;
      }
    }
  }
  writer.join();
  (void)stream->Finish();
  return acks;
}

// Registers rows with one unary call each, `in_flight` calls outstanding (as many clients, each
// asking again once answered), every call with the same token (as one client would; the
// services' verification cache sees it again); per-row ack times, sorted.
AckTimes send_single(reg::RegistrationService::Stub& stub, const std::string& token,
                     const std::vector<reg::RegisterRequest>& rows, int in_flight, Clock::time_point start,
                     int& failed) {
  AckTimes acks;
  acks.reserve(rows.size());
  jaring::bench::call_in_flight<reg::Participant>(
      rows.size(), in_flight,
      [&](std::size_t i, ::grpc::ClientContext& context, ::grpc::CompletionQueue& cq) {
        jaring::grpc::set_deadline(context, 10s);
        jaring::grpc::authorize(context, token);
        return stub.PrepareAsyncRegister(&context, rows[i], &cq);
      },
      [&](std::size_t /*i*/, bool ok) {
        if (ok) {
          acks.push_back(ms_since(start));
        } else {
          ++failed;
        }
      });
  return acks;  // one thread took them as they came: in order
}

std::vector<reg::RegisterRequest> make_rows(jaring::sample::Generator& generator, std::uint64_t first,
                                            int count, const std::vector<std::string>& rws) {
  std::vector<reg::RegisterRequest> rows(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) {
    const auto serial = first + static_cast<std::uint64_t>(i);
    auto& r = rows[static_cast<std::size_t>(i)];
    jaring::sample::fill_register_request(generator.worker(serial), r);
    r.set_rw_code(rws[serial % rws.size()]);
    r.set_idempotency_key(fmt::format("bench-{}", serial));
    r.set_row(static_cast<std::int64_t>(serial));
  }
  return rows;
}

// A figure for each process of the stack, by name.
using PerProcess = std::map<std::string, double>;

// What every process had used when it was read (CPU seconds, user + system, every thread; bytes
// written to storage), when that was, and how often the watcher had asked.
struct UsageMark {
  PerProcess seconds;
  PerProcess disk_written;
  Clock::time_point at;
  std::int64_t polls = 0;
  double generator_seconds = 0;  // this process's: the clients and the watcher
};
UsageMark usage_mark(const jaring::stack::Stack& stack, const Watcher& watcher) {
  UsageMark mark{{}, {}, Clock::now(), watcher.polls(), jaring::process::usage(getpid()).cpu_seconds};
  for (const auto& [name, pid] : stack.members()) {
    const auto usage = jaring::process::usage(pid);
    mark.seconds[name] = usage.cpu_seconds;
    mark.disk_written[name] = static_cast<double>(usage.disk_written);
  }
  return mark;
}

// What each process used between two readings of one figure.
PerProcess used(const PerProcess& from, const PerProcess& to) {
  PerProcess out;
  for (const auto& [name, value] : to) {
    const auto it = from.find(name);
    out[name] = value - (it == from.end() ? 0 : it->second);
  }
  return out;
}

// The figures with their sum over the processes as "all".
PerProcess with_all(PerProcess figures) {
  double all = 0;
  for (const auto& [_, value] : figures) all += value;
  figures["all"] = all;
  return figures;
}

double seconds_between(const UsageMark& from, const UsageMark& to) {
  return std::chrono::duration<double>(to.at - from.at).count();
}

// What the stack spends when nobody registers, per process: `idle` CPU seconds per second
// (consumer polls, heartbeats, relays looking) and `per_poll` CPU seconds for each of the
// watcher's questions (coverage and Redis summing a kota).
struct Overhead {
  PerProcess idle;
  PerProcess per_poll;
};

// Measures it: quiet first, then with the watcher asking.
Overhead measure_overhead(const jaring::stack::Stack& stack, Watcher& watcher) {
  const auto quiet_from = usage_mark(stack, watcher);
  std::this_thread::sleep_for(2s);
  const auto quiet_to = usage_mark(stack, watcher);
  watcher.start();
  std::this_thread::sleep_for(200ms);
  const auto asked_from = usage_mark(stack, watcher);
  std::this_thread::sleep_for(2s);
  const auto asked_to = usage_mark(stack, watcher);
  Overhead o;
  const auto quiet = used(quiet_from.seconds, quiet_to.seconds);
  const auto asked = used(asked_from.seconds, asked_to.seconds);
  const double quiet_s = seconds_between(quiet_from, quiet_to);
  const double asked_s = seconds_between(asked_from, asked_to);
  const auto polls = static_cast<double>(asked_to.polls - asked_from.polls);
  for (const auto& [name, cpu] : quiet) {
    o.idle[name] = cpu / quiet_s;
    const double extra = asked.at(name) - o.idle[name] * asked_s;
    o.per_poll[name] = polls > 0 ? std::max(0.0, extra / polls) : 0;
  }
  return o;
}

// What one phase cost every process, in µs of CPU per registration, with the sum as "all": the
// CPU used between the marks less the idle CPU over the phase's length and the watcher's
// questions asked meanwhile, so that the figure says what registering cost.
PerProcess cpu_us_per_row(const UsageMark& before, const UsageMark& after, std::size_t rows,
                          const Overhead& o) {
  PerProcess out;
  const double seconds = seconds_between(before, after);
  const auto polls = static_cast<double>(after.polls - before.polls);
  for (const auto& [name, cpu] : used(before.seconds, after.seconds)) {
    const double overhead = o.idle.at(name) * seconds + o.per_poll.at(name) * polls;
    out[name] = rows == 0 ? 0 : std::max(0.0, cpu - overhead) * 1e6 / static_cast<double>(rows);
  }
  return with_all(std::move(out));
}

// What the load generator (this process) used between two marks, µs per registration: beside the
// stack on the same cores, it is CPU the stack did not get.
double generator_us_per_row(const UsageMark& before, const UsageMark& after, std::size_t rows) {
  return rows == 0 ? 0
                   : (after.generator_seconds - before.generator_seconds) * 1e6 / static_cast<double>(rows);
}

// KiB each process wrote to storage between two marks, per registration, with the sum as "all":
// SQLite's WAL frames and checkpoints, Redis's persistence, the broker's log.
PerProcess disk_kib_per_row(const UsageMark& before, const UsageMark& after, std::size_t rows) {
  PerProcess out;
  for (const auto& [name, bytes] : used(before.disk_written, after.disk_written))
    out[name] = rows == 0 ? 0 : bytes / 1024.0 / static_cast<double>(rows);
  return with_all(std::move(out));
}

// Registrations a second; 0 for a phase that made none (--single 0), not NaN.
double rate_of(std::size_t count, double seconds) {
  return count == 0 || seconds <= 0 ? 0 : static_cast<double>(count) / seconds;
}

struct Figure {
  std::string name;
  double value;
  std::string unit;
  std::string bounded_by;  // a ceiling's name, or empty
  double ceiling = 0;
  std::string target;
};

// The 1-minute load average: how busy the machine already was as a run began.
double load_average() {
  double load = -1;
  std::ifstream("/proc/loadavg") >> load;
  return load;
}

// What one run measured, for the summary of several: issue 18's four figures.
struct RunSummary {
  std::string bin_dir;
  double load_before = 0;
  double bulk_e2e = 0;      // rows/s, end to end (in Redis)
  double single_calls = 0;  // calls/s, acknowledged
  double paced_p99 = 0;     // ms, freshness at 10,000/s
  double cpu_bulk = 0;      // µs of CPU per registration, every process, bulk
  bool complete = false;
};

// One of the summary's figures: how to read it from a run, and its target.
struct SummaryFigure {
  const char* name;
  const char* key;  // in the JSON
  double RunSummary::*value;
  double target;
  bool at_least;  // the target is a floor (a rate), not a ceiling (a time or a cost)
};
constexpr std::array kSummaryFigures{
    SummaryFigure{"bulk, rows/s", "bulk_end_to_end_rows_per_s", &RunSummary::bulk_e2e, 50'000, true},
    SummaryFigure{"single, calls/s", "single_calls_per_s", &RunSummary::single_calls, 5'000, true},
    SummaryFigure{"paced p99, ms", "paced_freshness_p99_ms", &RunSummary::paced_p99, 250, false},
    SummaryFigure{"CPU µs, bulk", "cpu_us_per_registration_bulk", &RunSummary::cpu_bulk, 40, false},
};

// ">= 50000", "<= 250" ...
std::string target_text(const SummaryFigure& f) {
  return fmt::format("{} {}", f.at_least ? ">=" : "<=", f.target);
}
const SummaryFigure& kBulkTarget = kSummaryFigures[0];
const SummaryFigure& kSingleTarget = kSummaryFigures[1];
const SummaryFigure& kPacedTarget = kSummaryFigures[2];
const SummaryFigure& kCpuTarget = kSummaryFigures[3];

bool meets(const SummaryFigure& f, double value) {
  return f.at_least ? value >= f.target : value <= f.target;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const auto n = values.size();
  return n == 0 ? 0 : n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

// Several runs side by side, in the order they ran, with each build's medians and whether it met
// every target in every run; the same as JSON beside the runs' own files.
void summarise(const std::vector<RunSummary>& runs, const std::vector<std::string>& builds,
               const std::string& results_dir) {
  fmt::print(
      "\n\njaring-bench: {} runs in a row, each on a fresh stack (load: the 1-minute load average as it "
      "began)\n\n",
      runs.size());
  fmt::print("  {:<6} {:<32} {:>6}", "run", "services from", "load");
  for (const auto& f : kSummaryFigures) fmt::print(" {:>16}", f.name);
  fmt::print("\n");
  auto json = result_header();
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const auto& r = runs[i];
    fmt::print("  {:<6} {:<32} {:>6.2f}", i + 1, r.bin_dir, r.load_before);
    nlohmann::json run = {
        {"bin_dir", r.bin_dir}, {"load_average_before", r.load_before}, {"complete", r.complete}};
    for (const auto& f : kSummaryFigures) {
      fmt::print(" {:>16.{}f}", r.*f.value, f.at_least ? 0 : 1);
      run[f.key] = r.*f.value;
    }
    fmt::print("{}\n", r.complete ? "" : "  (incomplete)");
    json["runs"].push_back(run);
  }
  for (const auto& build : builds) {
    fmt::print("  {:<6} {:<32} {:>6}", "median", build, "");
    std::string missed;
    for (const auto& f : kSummaryFigures) {
      std::vector<double> values;
      bool every = true;
      for (const auto& r : runs) {
        if (r.bin_dir != build) continue;
        values.push_back(r.*f.value);
        every = every && r.complete && meets(f, r.*f.value);
      }
      const double m = median(values);
      fmt::print(" {:>16.{}f}", m, f.at_least ? 0 : 1);
      json["medians"][build][f.key] = m;
      json["met_in_every_run"][build][f.key] = every;
      if (!every) missed += fmt::format("{}{}", missed.empty() ? "" : "; ", f.name);
    }
    fmt::print("\n  {:<6} {:<32} {:>6}   {}\n", "", "", "",
               missed.empty() ? "every target met in every run" : "missed in some run: " + missed);
  }
  fmt::print("  {:<6} {:<32} {:>6}", "target", "", "");
  for (const auto& f : kSummaryFigures) fmt::print(" {:>16}", target_text(f));
  fmt::print("\n");
  fmt::print("  summary: {}\n", write_result(results_dir, "-runs", json).string());
}

// Measures the stack built in `bin_dir` once, from its start to its stop: prints the table and
// writes the JSON (its name ends in `label` when there is one).
RunSummary run_once(const Options& o, const std::string& bin_dir, const std::string& label) {
  const double load_before = load_average();
  fmt::print("starting the stack ...\n");
  jaring::testing::TempDir dir("jaring-bench");
  auto options = jaring::stack::Options::for_benchmark(dir.path(), bin_dir, o.config_dir);
  jaring::stack::Stack stack(options);
  stack.start();
  const auto& ep = stack.endpoints();

  fmt::print("measuring the ceilings ...\n");
  const auto redis_colon = ep.redis.rfind(':');
  const int scale = o.quick ? 10 : 1;
  const auto sqlite = jaring::bench::sqlite_inserts(200'000 / scale);
  const auto kafka = jaring::bench::kafka_produce(ep.kafka_bootstrap, 100'000 / scale);
  const auto redis = jaring::bench::redis_hincrby(ep.redis.substr(0, redis_colon),
                                                  std::stoi(ep.redis.substr(redis_colon + 1)),
                                                  ep.redis_password(), 200'000 / scale);
  const auto unary = jaring::bench::grpc_unary(o.in_flight, 50'000 / scale);

  // One branch officer over every Jakarta branch makes the RWs and registers every worker: one
  // token for the whole run.
  const auto token = stack.token("branch-officer", "bench.officer");
  auto registration = reg::RegistrationService::NewStub(stack.channel("registration"));
  auto coverage = cov::CoverageService::NewStub(stack.channel("coverage"));
  std::vector<std::string> rws;
  const auto& areas = jaring::areas::Registry::jakarta();
  for (const auto* kecamatan : areas.children(kKota)) {
    for (const auto* kelurahan : areas.children(kecamatan->code)) {
      for (int number = 1; number <= 4 && rws.size() < 400; ++number) {
        reg::CreateRwRequest request;
        request.set_kelurahan_code(kelurahan->code);
        request.set_number(number);
        reg::Rw rw;
        ::grpc::ClientContext context;
        jaring::grpc::set_deadline(context, 10s);
        jaring::grpc::authorize(context, token);
        if (registration->CreateRw(&context, request, &rw).ok()) rws.push_back(rw.code());
      }
    }
  }

  fmt::print("preparing {} workers ...\n", o.rows + o.single + o.paced);
  jaring::sample::Generator generator(2026);
  const auto bulk_rows = make_rows(generator, 0, o.rows, rws);
  const auto single_rows = make_rows(generator, static_cast<std::uint64_t>(o.rows), o.single, rws);
  const auto paced_rows = make_rows(
      generator, static_cast<std::uint64_t>(o.rows) + static_cast<std::uint64_t>(o.single), o.paced, rws);

  // Warm up: the first events wait for the consumer groups to form; not part of any figure.
  {
    int warm_failed = 0;
    const auto warm = make_rows(generator,
                                static_cast<std::uint64_t>(o.rows) + static_cast<std::uint64_t>(o.single) +
                                    static_cast<std::uint64_t>(o.paced),
                                100, rws);
    const auto t0 = Clock::now();
    Watcher warm_watcher(*coverage, token, t0);
    const auto before = warm_watcher.total();
    warm_watcher.start();
    const auto acks = send_bulk(*registration, token, warm, 100, 0, t0, warm_failed);
    (void)warm_watcher.wait_for(before + static_cast<std::int64_t>(acks.size()), 2min);
  }

  const auto start = Clock::now();
  Watcher watcher(*coverage, token, start);
  const auto baseline = watcher.total();
  // What the stack spends with nothing to register (this starts the watcher).
  const auto overhead = measure_overhead(stack, watcher);
  int failed = 0;
  std::vector<Figure> figures;

  // 1. Bulk, as fast as the service takes it.
  fmt::print("bulk: {} registrations ...\n", o.rows);
  const double bulk_start = ms_since(start);
  const auto bulk_before = usage_mark(stack, watcher);
  const auto bulk_acks = send_bulk(*registration, token, bulk_rows, 1000, 0, start, failed);
  const auto bulk_seen = watcher.wait_for(baseline + static_cast<std::int64_t>(bulk_acks.size()), 10min);
  const auto bulk_after = usage_mark(stack, watcher);
  const auto bulk_cpu = cpu_us_per_row(bulk_before, bulk_after, bulk_acks.size(), overhead);
  const auto bulk_disk = disk_kib_per_row(bulk_before, bulk_after, bulk_acks.size());
  const double bulk_ack_s = (bulk_acks.empty() ? 0 : bulk_acks.back() - bulk_start) / 1000.0;
  const double bulk_e2e_s = (bulk_seen.value_or(ms_since(start)) - bulk_start) / 1000.0;
  const auto bulk_latency = watcher.latency(bulk_acks, baseline);
  figures.push_back({"bulk registration, acknowledged", rate_of(bulk_acks.size(), bulk_ack_s), "rows/s",
                     sqlite.name, sqlite.per_second, ""});
  // Every registration is written to SQLite and published to Kafka: the slower of the two bounds it.
  const auto& bulk_bound = sqlite.per_second < kafka.per_second ? sqlite : kafka;
  figures.push_back({"bulk registration, end to end (in Redis)", rate_of(bulk_acks.size(), bulk_e2e_s),
                     "rows/s", bulk_bound.name, bulk_bound.per_second, target_text(kBulkTarget)});

  // 2. Single calls from several clients at once.
  fmt::print("single calls: {} registrations, {} in flight ...\n", o.single, o.in_flight);
  const auto base2 = baseline + static_cast<std::int64_t>(bulk_acks.size());
  const double single_start = ms_since(start);
  const auto single_before = usage_mark(stack, watcher);
  auto single_acks = send_single(*registration, token, single_rows, o.in_flight, start, failed);
  const auto single_seen = watcher.wait_for(base2 + static_cast<std::int64_t>(single_acks.size()), 5min);
  const auto single_after = usage_mark(stack, watcher);
  const auto single_cpu = cpu_us_per_row(single_before, single_after, single_acks.size(), overhead);
  const auto single_disk = disk_kib_per_row(single_before, single_after, single_acks.size());
  const double single_ack_s = (single_acks.empty() ? 0 : single_acks.back() - single_start) / 1000.0;
  const double single_e2e_s = (single_seen.value_or(ms_since(start)) - single_start) / 1000.0;
  figures.push_back({"single calls, acknowledged", rate_of(single_acks.size(), single_ack_s), "calls/s",
                     unary.name, unary.per_second, target_text(kSingleTarget)});
  figures.push_back({"single calls, end to end (in Redis)", rate_of(single_acks.size(), single_e2e_s),
                     "rows/s", unary.name, unary.per_second, ""});
  const auto single_latency = watcher.latency(single_acks, base2);

  // 3. Paced at 10,000/s: messages of 100 rows every 10 ms.
  fmt::print("paced: {} registrations at 10,000/s ...\n", o.paced);
  const auto base3 = base2 + static_cast<std::int64_t>(single_acks.size());
  const auto paced_before = usage_mark(stack, watcher);
  const auto paced_acks = send_bulk(*registration, token, paced_rows, 100, 100.0, start, failed);
  (void)watcher.wait_for(base3 + static_cast<std::int64_t>(paced_acks.size()), 5min);
  const auto paced_after = usage_mark(stack, watcher);
  const auto paced_cpu = cpu_us_per_row(paced_before, paced_after, paced_acks.size(), overhead);
  const auto paced_disk = disk_kib_per_row(paced_before, paced_after, paced_acks.size());
  const auto paced_latency = watcher.latency(paced_acks, base3);
  watcher.stop();

  // The table.
  const auto print_row = [](const std::string& name, const std::string& value, const std::string& ceiling,
                            const std::string& ratio, const std::string& target) {
    fmt::print("  {:<44} {:>16} {:>44} {:>7} {:>10}\n", name, value, ceiling, ratio, target);
  };
  fmt::print("\njaring-bench {} on {} cores, commit {}, services from {}\n\n", o.quick ? "(quick)" : "",
             std::thread::hardware_concurrency(), commit(), bin_dir);
  print_row("figure", "value", "bounded by (ceiling)", "ratio", "target");
  for (const auto& c : {sqlite, kafka, redis, unary}) {
    print_row("ceiling: " + c.name.substr(0, c.name.find(" (")),
              fmt::format("{:.0f} {}", c.per_second, c.unit), "", "", "");
  }
  for (const auto& f : figures) {
    print_row(f.name, fmt::format("{:.0f} {}", f.value, f.unit),
              fmt::format("{} ({:.0f})", f.bounded_by.substr(0, f.bounded_by.find(" (")), f.ceiling),
              fmt::format("{:.2f}", f.ceiling > 0 ? f.value / f.ceiling : 0), f.target);
  }
  const auto print_latency = [&](const std::string& name, const Latency& l, const std::string& target) {
    print_row(name, fmt::format("{:.0f}/{:.0f}/{:.0f} ms", l.p50, l.p99, l.max), "", "", target);
  };
  print_latency("freshness p50/p99/max, bulk at full speed", bulk_latency, "");
  print_latency("freshness p50/p99/max, single calls", single_latency, "");
  print_latency("freshness p50/p99/max, paced 10,000/s", paced_latency, "p99 " + target_text(kPacedTarget));
  // A figure per registration for every process, a row a phase.
  using Phases = std::vector<std::pair<std::string, PerProcess>>;
  const auto print_phases = [](const std::string& title, const Phases& phases, int decimals) {
    fmt::print("\n  {}\n  {:<20}", title, "phase");
    for (const auto& [name, _] : phases.front().second) fmt::print(" {:>12}", name);
    fmt::print("\n");
    for (const auto& [phase, values] : phases) {
      fmt::print("  {:<20}", phase);
      for (const auto& [_, value] : values) fmt::print(" {:>12.{}f}", value, decimals);
      fmt::print("\n");
    }
  };
  // CPU per registration, every process, over each phase (until the last row was counted).
  const Phases cpu_phases = {{"bulk", bulk_cpu}, {"single", single_cpu}, {"paced_10000_per_s", paced_cpu}};
  print_phases(fmt::format("CPU µs per registration (target: all {})", target_text(kCpuTarget)), cpu_phases,
               1);
  double idle_all = 0;
  for (const auto& [_, rate] : overhead.idle) idle_all += rate;
  fmt::print("  {:<20} {:>12.1f}", "idle, ms CPU/s", idle_all * 1e3);
  for (const auto& [_, rate] : overhead.idle) fmt::print(" {:>12.1f}", rate * 1e3);
  double poll_all = 0;
  for (const auto& [_, cost] : overhead.per_poll) poll_all += cost;
  fmt::print("\n  {:<20} {:>12.0f}", "a watcher poll, µs", poll_all * 1e6);
  for (const auto& [_, cost] : overhead.per_poll) fmt::print(" {:>12.0f}", cost * 1e6);
  fmt::print("\n  (each phase less the idle CPU over its length and the watcher's polls meanwhile)\n");
  const std::vector<std::pair<std::string, double>> generator_cpu = {
      {"bulk", generator_us_per_row(bulk_before, bulk_after, bulk_acks.size())},
      {"single", generator_us_per_row(single_before, single_after, single_acks.size())},
      {"paced_10000_per_s", generator_us_per_row(paced_before, paced_after, paced_acks.size())}};
  fmt::print("  the load generator beside them (jaring-bench: clients and watcher; not in all):");
  for (const auto& [phase, us] : generator_cpu) fmt::print(" {} {:.1f};", phase, us);
  fmt::print("\n");
  // Bytes written to storage per registration: an index whose inserts land all over it (by RW, by
  // NIK) dirties a page a row, and SQLite writes each dirty page whole at every commit (a WAL
  // frame) and again at the checkpoint.
  const Phases disk_phases = {
      {"bulk", bulk_disk}, {"single", single_disk}, {"paced_10000_per_s", paced_disk}};
  print_phases("KiB written to storage per registration", disk_phases, 2);
  nlohmann::json memory = nlohmann::json::object();
  fmt::print("\n  peak RSS:");
  for (const auto& [name, pid] : stack.members()) {
    const double mib = jaring::process::usage(pid).peak_rss_mib;
    memory[name] = mib;
    fmt::print(" {} {:.0f} MiB;", name, mib);
  }
  fmt::print(" (target: every service under 200 MB at 1,000,000 participants)\n");
  if (failed > 0) fmt::print("  {} registrations failed\n", failed);

  // The same as JSON, to compare runs over time.
  auto result = result_header();
  result.update({
      {"quick", o.quick},
      {"bin_dir", bin_dir},
      {"load_average_before", load_before},
      {"sizes", {{"bulk", o.rows}, {"single", o.single}, {"paced", o.paced}, {"in_flight", o.in_flight}}},
      {"failed", failed},
      {"peak_rss_mib", memory},
  });
  for (const auto& c : {sqlite, kafka, redis, unary}) result["ceilings"][c.name] = {{c.unit, c.per_second}};
  for (const auto& f : figures) {
    result["figures"][f.name] = {{"value", f.value},
                                 {"unit", f.unit},
                                 {"bounded_by", f.bounded_by},
                                 {"ceiling", f.ceiling},
                                 {"ratio", f.ceiling > 0 ? f.value / f.ceiling : 0},
                                 {"target", f.target}};
  }
  for (const auto& [phase, cpu] : cpu_phases) result["cpu_us_per_registration"][phase] = cpu;
  for (const auto& [phase, us] : generator_cpu) result["generator_cpu_us_per_registration"][phase] = us;
  for (const auto& [phase, kib] : disk_phases) result["disk_kib_per_registration"][phase] = kib;
  for (const auto& [name, rate] : overhead.idle) result["idle_cpu_ms_per_s"][name] = rate * 1e3;
  for (const auto& [name, cost] : overhead.per_poll) result["watcher_poll_cpu_us"][name] = cost * 1e6;
  for (const auto& [name, l] : {std::pair{"bulk", bulk_latency}, std::pair{"single", single_latency},
                                std::pair{"paced_10000_per_s", paced_latency}}) {
    result["freshness_ms"][name] = {{"p50", l.p50}, {"p99", l.p99}, {"max", l.max}};
  }
  const auto file = write_result(o.results_dir, label.empty() ? "" : "-" + label, result);
  fmt::print("  results: {}\n", file.string());
  const bool complete = bulk_seen && single_seen && failed == 0;
  if (!complete) fmt::print("  the run did not complete: some registrations were not counted in time\n");
  return {bin_dir,
          load_before,
          rate_of(bulk_acks.size(), bulk_e2e_s),
          rate_of(single_acks.size(), single_ack_s),
          paced_latency.p99,
          bulk_cpu.at("all"),
          complete};
}

}  // namespace

int main(int argc, char** argv) try {
  jaring::grpc::disable_lock_order_checks();  // as the services do
  CLI::App app{"jaring-bench: end-to-end throughput and freshness beside this machine's ceilings"};
  Options o;
  app.add_option("--rows", o.rows, "registrations through the bulk stream")->capture_default_str();
  app.add_option("--single", o.single, "registrations by single calls")->capture_default_str();
  app.add_option("--paced", o.paced, "registrations at 10,000/s for the freshness figure")
      ->capture_default_str();
  app.add_option("--in-flight,--threads", o.in_flight, "single calls outstanding at once (clients)")
      ->capture_default_str();
  app.add_flag("--quick", o.quick, "a small run that only proves the harness works");
  app.add_option("--bin-dir", o.bin_dir, "jaring-* binaries")->capture_default_str();
  app.add_option("--config-dir", o.config_dir, "where topics.yaml is")->capture_default_str();
  app.add_option("--results-dir", o.results_dir, "where the JSON result goes")->capture_default_str();
  app.add_option("--runs", o.runs, "measure this many times in a row, each on a fresh stack, and summarise")
      ->check(CLI::Range(1, 20))
      ->capture_default_str();
  app.add_option("--compare-bin-dir", o.compare_bin_dir,
                 "another build's jaring-* binaries: each run measures both, alternately, and the summary "
                 "sets them side by side");
  CLI11_PARSE(app, argc, argv);
  if (o.quick) {
    o.rows = 2000;
    o.single = 400;
    o.paced = 1000;
    o.in_flight = 4;
  }

  std::vector<std::string> builds{o.bin_dir};
  if (!o.compare_bin_dir.empty()) builds.push_back(o.compare_bin_dir);
  const auto total = static_cast<std::size_t>(o.runs) * builds.size();
  const bool several = total > 1;
  std::vector<RunSummary> runs;
  for (int run = 1; run <= o.runs; ++run) {
    for (const auto& bin_dir : builds) {
      if (several) fmt::print("\n=== run {} of {}: {} ===\n", runs.size() + 1, total, bin_dir);
      runs.push_back(run_once(o, bin_dir, several ? fmt::format("run{}", runs.size() + 1) : ""));
    }
  }
  // A build compared with itself (the quick test's way) is one build in the summary.
  builds.erase(std::unique(builds.begin(), builds.end()), builds.end());
  if (runs.size() > 1) summarise(runs, builds, o.results_dir);
  const bool complete = std::all_of(runs.begin(), runs.end(), [](const RunSummary& r) { return r.complete; });
  return complete ? 0 : 1;
} catch (const std::exception& e) {
  std::fprintf(stderr, "jaring-bench: %s\n", e.what());
  return 1;
}

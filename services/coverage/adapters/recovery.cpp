#include "recovery.hpp"

#include <spdlog/spdlog.h>

#include <fmt/format.h>

namespace jaring::coverage {
namespace {

constexpr const char* kLost =
    "Redis holds no generation marker (it lost its state, or this is the first start): rebuilding every "
    "counter from the owners";

}  // namespace

Recovery::Recovery(RedisCounters& counters, RebuildSources sources, metrics::Registry& metrics,
                   std::chrono::milliseconds interval)
    : counters_(counters),
      sources_(std::move(sources)),
      interval_(interval),
      rebuilds_(metrics.counter("rebuilds_total", "Generations rebuilt from the owners' exports").Add({})),
      losses_(
          metrics
              .counter("redis_state_lost_total", "Times Redis was found without coverage's generation marker")
              .Add({})),
      rebuild_seconds_(metrics
                           .gauge("rebuild_duration_seconds",
                                  "From the need of a rebuild to its new generation, the last time")
                           .Add({})),
      trusted_(
          metrics.gauge("counters_trusted", "1 while the counters match the owners' records (ready), else 0")
              .Add({})),
      task_("recovery", interval_, [this] { check_once(); }) {}

Recovery::~Recovery() { stop(); }

void Recovery::start() { task_.start(); }

void Recovery::stop() { task_.stop(); }

bool Recovery::due(std::string reason) {
  std::lock_guard lock(mutex_);
  if (due_) return false;
  due_ = std::move(reason);
  due_since_ = std::chrono::steady_clock::now();
  last_failure_.clear();
  trusted_.Set(0);
  task_.poke();
  return true;
}

void Recovery::lost() {
  if (due(kLost)) losses_.Increment();
}

void Recovery::repair(std::string reason) { due(std::move(reason)); }

std::optional<std::string> Recovery::not_ready() {
  {
    std::lock_guard lock(mutex_);
    if (due_)
      return last_failure_.empty() ? *due_ : fmt::format("{} (last attempt: {})", *due_, last_failure_);
    if (!checked_) return "checking Redis's generation marker";
  }
  auto marker = counters_.generation();
  if (!marker) return "Redis is not reachable: " + marker.error().message;
  if (!*marker) {
    lost();
    return kLost;
  }
  return std::nullopt;
}

void Recovery::check_once() {
  auto marker = counters_.generation();
  if (!marker) return;  // Redis away: the readiness check says so; nothing to rebuild into
  if (!*marker) lost();
  std::string reason;
  std::chrono::steady_clock::time_point since;
  {
    std::lock_guard lock(mutex_);
    if (!due_) {
      checked_ = true;
      trusted_.Set(1);
      return;
    }
    reason = *due_;
    since = due_since_;
  }
  spdlog::warn("{}", reason);
  auto done = rebuild(counters_, sources_, 3, std::chrono::seconds(5));
  std::lock_guard lock(mutex_);
  if (!done) {
    last_failure_ = done.error().message;
    spdlog::warn("rebuild failed, trying again in {} ms: {}", interval_.count(), last_failure_);
    return;
  }
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - since;
  rebuilds_.Increment();
  rebuild_seconds_.Set(took.count());
  spdlog::info(
      "rebuilt generation {} in {:.1f} s: {} RWs, {} registered, {} active, {} sponsored, {} claims paid ({} "
      "export(s)); counting resumes at the watermarks",
      done->generation, took.count(), done->rws, done->totals.registered, done->totals.active,
      done->totals.sponsored, done->totals.claims_paid, done->attempts);
  due_.reset();
  last_failure_.clear();
  checked_ = true;
  trusted_.Set(1);
}

}  // namespace jaring::coverage

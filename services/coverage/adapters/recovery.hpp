#pragma once
// Keeps the counters honest without an operator. Redis is a cache: it can lose its keys (a
// restart without persistence, FLUSHALL, an eviction). The generation marker (`generation`,
// redis_counters.hpp) is written with every generation's offsets, so a Redis without it holds no
// state of coverage's. Then, and when the reconciler confirmed drift, this:
//   - makes the service not ready at once (the readiness check reads the marker itself, so
//     /readyz never answers 200 between a loss and the next periodic check), and says why in
//     /readyz's body;
//   - rebuilds every counter from the owners (rebuild.hpp), again every `interval` until it
//     succeeds (under steady load it waits for a quiet moment), meanwhile the apply script
//     refuses every batch (no marker, or paused), so nothing is counted into an empty Redis;
//   - is ready again once the new generation is installed: consumers resume from its offsets.
// Decision on drift: rebuild automatically (two reads a moment apart agreed, so it is not events
// in flight); the gauges and the rebuilds counter record it.
// The first start of a new installation looks like a loss (no marker): with nothing on the bus
// the generation starts empty at once; with events on it the rebuild exports the owners.

#include <chrono>
#include <mutex>
#include <optional>
#include <string>

#include "jaring/metrics/metrics.hpp"
#include "jaring/service/periodic.hpp"
#include "rebuild.hpp"
#include "redis_counters.hpp"

namespace jaring::coverage {

class Recovery {
 public:
  // `counters`: on a Redis connection of its own (the rebuild holds it for a while).
  Recovery(RedisCounters& counters, RebuildSources sources, metrics::Registry& metrics,
           std::chrono::milliseconds interval = std::chrono::seconds(1));
  ~Recovery();
  // Checks now, then every `interval`.
  void start();
  void stop();
  // Why the counters cannot be trusted now (nullopt: they can): no marker in Redis (read now),
  // a rebuild due or running, Redis not answering.
  std::optional<std::string> not_ready();
  // Drift the reconciler confirmed: rebuild.
  void repair(std::string reason);

 private:
  void check_once();
  // Makes a rebuild due for `reason`; false when one was due already.
  bool due(std::string reason);
  void lost();
  RedisCounters& counters_;
  RebuildSources sources_;
  std::chrono::milliseconds interval_;  // between checks, and after a failed rebuild
  prometheus::Counter& rebuilds_;
  prometheus::Counter& losses_;
  prometheus::Gauge& rebuild_seconds_;
  prometheus::Gauge& trusted_;
  std::mutex mutex_;
  bool checked_ = false;            // one check has found a marker or installed one
  std::optional<std::string> due_;  // why a rebuild is due, until one succeeds
  std::string last_failure_;        // the last rebuild's failure, for /readyz
  std::chrono::steady_clock::time_point due_since_{};
  // Runs check_once every interval; a new reason to rebuild pokes it at once.
  service::PeriodicTask task_;  // last: its thread uses the members above
};

}  // namespace jaring::coverage

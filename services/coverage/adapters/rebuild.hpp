#pragma once
// `jaring-coverage rebuild` and the periodic reconciliation.
//
// Rebuild, and why its counters are exact: (1) pause counting (a key the apply script checks;
// running consumers retry their batch until it goes); (2) read the high watermarks of
// registration's topic, (3) export registration's RWs and participants, (4) read the
// watermarks again: if they moved, an event was published during the export and it is not
// known whether the export saw it, so go back to (2). (5) Write a new generation: registration's
// counters from the export, every other counter as Redis held it (nothing moved them while
// paused), registration's partitions at the watermarks and every other partition where it was;
// switch to it and lift the pause in one step. Events published after the watermarks are then
// counted on top of the export.
//
// The export is only consistent with the watermarks if everything registration stored before
// the export is already on the bus. Its outbox relay publishes after the commit, so an event can
// be in the store (and the export) but not yet below the watermarks: counted twice once
// published. A necessary check catches it: every exported RW and participant was announced by
// at least one event and offsets count every event ever appended, so the watermarks must add up
// to at least (RWs + participants) in the export; until they do, the rebuild waits (at most
// `catch_up`) and exports again. The check is exact while registration published only RwCreated
// and ParticipantRegistered; each other event (an update, a move, an exit) loosens the bound by
// one, so a backlog no larger than their number could still slip through: run rebuild when
// registration's outbox backlog (jaring_registration_outbox_backlog_messages) is zero. (On jaring-devkafka
// this was the whole story of the "watermarks are 0" report: the watermark query answers right, but right
// after a start registration's first publish takes about a second, and the rebuild ran before it.)

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "../core/recount.hpp"
#include "jaring/kafka/kafka.hpp"
#include "jaring/metrics/metrics.hpp"
#include "redis_counters.hpp"

namespace jaring::coverage {

// Next offset to be written per partition ("<topic>:<partition>") of `topic`.
Result<std::map<std::string, std::int64_t>> high_watermarks(const kafka::Settings& settings,
                                                            const std::string& topic);

struct RebuildResult {
  std::int64_t generation = 0;
  std::int64_t rws = 0;
  std::int64_t registered = 0;
  std::map<std::string, std::int64_t> offsets;  // where counting resumes
  int attempts = 0;
};

// `catch_up`: how long to wait for registration to publish what the export holds (see above).
Result<RebuildResult> rebuild(RedisCounters& counters, RegistrationSource& source,
                              const kafka::Settings& kafka, const std::string& registration_topic,
                              int max_attempts = 5,
                              std::chrono::milliseconds catch_up = std::chrono::seconds(60));

// Compares Redis with registration every `interval` and exposes the drift as gauges
// (jaring_coverage_reconcile_drift_workers / _rws; zero when healthy).
class Reconciler {
 public:
  Reconciler(CounterReader& counters, RegistrationSource& source, metrics::Registry& metrics,
             std::chrono::seconds interval);
  ~Reconciler();
  void start();
  void stop();
  // One comparison now. An RW counts as drifted only when it differs in two reads a moment
  // apart, so that events in flight do not look like drift.
  Result<Drift> run_once();

 private:
  Result<Drift> compare();
  CounterReader& counters_;
  RegistrationSource& source_;
  std::chrono::seconds interval_;
  prometheus::Gauge& drift_workers_;
  prometheus::Gauge& drift_rws_;
  prometheus::Counter& failures_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace jaring::coverage

#pragma once
// The rebuild (automatic after Redis lost its state, see recovery.hpp, and
// `jaring-coverage rebuild`) and the periodic reconciliation.
//
// Rebuild, and why its counters are exact: (1) pause counting (a key the apply script checks;
// running consumers retry their batch until it goes); (2) read the high watermarks of every
// partition of every topic coverage consumes; (3) export every owner's facts (registration's RWs
// and participants, contribution's coverage states, csr-donor's sponsorships, claims' paid
// claims: core/recount.hpp); (4) read the watermarks again: if any moved, an event was published
// during the exports and it is not known whether they saw it, so go back to (2). (5) Write a
// whole new generation: every counter from the exports, every partition's offset at its
// watermark; switch to it and lift the pause in one step. Events published after the watermarks
// are then counted on top of the exports.
//
// The exports are only consistent with the watermarks if everything the owners stored before
// exporting is already on the bus: each outbox relay publishes after the commit, so a fact can be
// in a store (and an export) but not yet below the watermarks, and would be counted twice once
// published. Contribution, csr-donor and claims refuse an export while their outbox holds
// anything, checked before and after reading (jaring/common/export.hpp): a refusal is a retry.
// Registration's export has no such check; a necessary one stands in: every exported RW and
// participant was announced by at least one event and offsets count every event ever appended,
// so its topic's watermarks must add up to at least (RWs + participants) in the export; until
// they do, the rebuild waits (at most `catch_up`) and exports again. That check is exact while
// registration published only RwCreated and ParticipantRegistered; each other event (an update,
// a move, an exit) loosens the bound by one, so a backlog no larger than their number could still
// slip through: a manual rebuild is best run when registration's outbox backlog
// (jaring_registration_outbox_backlog_messages) is zero.
//
// Under steady load the watermarks move during every export: the rebuild keeps trying (the
// automatic one until it succeeds) and succeeds in the first quiet moment of the exports' length.
// When every watermark is 0 (nothing was ever published: a first start) there is nothing to
// export: the generation starts empty at offset 0.

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "../core/recount.hpp"
#include "jaring/kafka/kafka.hpp"
#include "jaring/metrics/metrics.hpp"
#include "jaring/service/periodic.hpp"
#include "redis_counters.hpp"

namespace jaring::coverage {

// What a rebuild asks and where: the owners, the bus and the topics coverage consumes
// (registration's among them, named for the check above).
struct RebuildSources {
  Owners owners;
  kafka::Settings kafka;
  std::vector<std::string> topics;
  std::string registration_topic;
};

struct RebuildResult {
  std::int64_t generation = 0;
  std::int64_t rws = 0;
  std::int64_t registered = 0;
  Counters totals;                              // every counter summed over the RWs
  std::map<std::string, std::int64_t> offsets;  // where counting resumes
  int attempts = 0;
};

// `catch_up`: how long to wait for registration to publish what the export holds (see above).
Result<RebuildResult> rebuild(RedisCounters& counters, const RebuildSources& sources, int max_attempts = 5,
                              std::chrono::milliseconds catch_up = std::chrono::seconds(60));

// Compares Redis with the owners every `interval` and exposes the drift as gauges
// (jaring_coverage_reconcile_drift_workers / _rws; zero when healthy). Confirmed drift calls
// `on_drift` (the service makes itself not ready and rebuilds: recovery.hpp).
class Reconciler {
 public:
  Reconciler(CounterReader& counters, Owners owners, metrics::Registry& metrics,
             std::chrono::seconds interval, std::function<void(const Drift&)> on_drift = {});
  ~Reconciler();
  void start();
  void stop();
  // One comparison now. An RW counts as drifted only when it differs alike in two reads a
  // moment apart, so that events in flight do not look like drift.
  Result<Drift> run_once();

 private:
  Result<Drift> compare();
  // One scheduled comparison: counted, logged, and drift handed to on_drift_.
  void reconcile();
  CounterReader& counters_;
  Owners owners_;
  std::function<void(const Drift&)> on_drift_;
  prometheus::Gauge& drift_workers_;
  prometheus::Gauge& drift_rws_;
  prometheus::Counter& failures_;
  service::PeriodicTask task_;  // last: its thread uses the members above
};

}  // namespace jaring::coverage

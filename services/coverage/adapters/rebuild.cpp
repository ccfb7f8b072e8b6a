#include "rebuild.hpp"

#include <spdlog/spdlog.h>

#include <fmt/format.h>

#include <algorithm>
#include <thread>

namespace jaring::coverage {
namespace {

Result<std::vector<RwCoverage>> all_rws(CounterReader& counters) {
  auto kelurahans = counters.kelurahans();
  if (!kelurahans) return fail(kelurahans.error());
  return counters.rws_of_kelurahans(*kelurahans);
}

// How many of registration's events below `watermarks` contribution had not applied when its last
// export began; nullopt when none, or when contribution did not say (a version before it did: it
// announced every opening itself).
std::optional<std::int64_t> contribution_behind(const RebuildSources& sources, const std::string& cluster,
                                                const std::map<std::string, std::int64_t>& watermarks) {
  if (sources.owners.contribution == nullptr) return std::nullopt;
  const auto applied = sources.owners.contribution->applied_before_export(cluster);
  if (!applied) return std::nullopt;
  std::int64_t behind = 0;
  for (const auto& [partition, next] : watermarks) {
    if (!partition.starts_with(sources.registration_topic + ":")) continue;
    const auto it = applied->find(partition);
    behind += std::max<std::int64_t>(0, next - (it == applied->end() ? 0 : it->second));
  }
  if (behind == 0) return std::nullopt;
  return behind;
}

}  // namespace

Result<RebuildResult> rebuild(RedisCounters& counters, const RebuildSources& sources, int max_attempts,
                              std::chrono::milliseconds catch_up) {
  // One rebuild at a time (the automatic one and `jaring-coverage rebuild` may meet): wait for the
  // other to finish, as long as it may take.
  const auto wait_until = std::chrono::steady_clock::now() + catch_up;
  for (;;) {
    auto paused = counters.pause(std::chrono::minutes(10));
    if (!paused) return fail(paused.error());
    if (*paused) break;
    if (std::chrono::steady_clock::now() >= wait_until) {
      return fail(Error::unavailable("another rebuild is running (the pause key is held)"));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // a client polling a lock
  }
  const auto give_up = [&](Error error) -> Result<RebuildResult> {
    (void)counters.resume();
    return fail(std::move(error));
  };
  // The log the offsets belong to: a rebuild after a broker restart starts a generation on the new
  // one (consumers of the old log's offsets are refused until they read this one).
  auto cluster = kafka::cluster_id(sources.kafka);
  if (!cluster) return give_up(cluster.error());
  const auto install = [&](RebuildResult& out, const std::vector<RwCoverage>& rws,
                           std::map<std::string, std::int64_t> offsets) -> Result<RebuildResult> {
    if (auto now = kafka::cluster_id(sources.kafka); !now || *now != *cluster) {
      return give_up(now ? Error::unavailable("the broker's log was replaced during the rebuild")
                         : now.error());
    }
    auto generation = counters.install_generation(rws, offsets, *cluster);
    if (!generation) return give_up(generation.error());
    out.generation = *generation;
    out.offsets = std::move(offsets);
    out.rws = static_cast<std::int64_t>(rws.size());
    for (const auto& rw : rws) out.totals += rw.counters;
    out.registered = out.totals.registered;
    return out;
  };
  const auto catch_up_until = std::chrono::steady_clock::now() + catch_up;
  const auto& registration_topic = sources.registration_topic;
  RebuildResult out;
  for (out.attempts = 1; out.attempts <= max_attempts;) {
    auto before = kafka::high_watermarks(sources.kafka, sources.topics);
    if (!before) return give_up(before.error());
    std::int64_t ever = 0;
    for (const auto& [_, next] : *before) ever += next;
    if (ever == 0) return install(out, {}, std::move(*before));  // nothing published yet: nothing to export
    // RWs listed before the export are all in it: a lower bound on what it announces.
    std::int64_t registry = 0;
    if (sources.owners.registration != nullptr) {
      auto rws = sources.owners.registration->rws();
      if (!rws) return give_up(rws.error());
      registry = static_cast<std::int64_t>(rws->size());
    }
    auto recounted = recount(sources.owners);
    if (!recounted) {
      // An owner with unpublished events, or one not answering (yet): try again.
      spdlog::info("rebuild: {}; exporting again", recounted.error().message);
      if (++out.attempts > max_attempts) return give_up(recounted.error());
      std::this_thread::sleep_for(std::chrono::milliseconds(200));  // a client polling remote systems
      continue;
    }
    auto after = kafka::high_watermarks(sources.kafka, sources.topics);
    if (!after) return give_up(after.error());
    if (*after != *before) {
      spdlog::info("rebuild: events were published during the export; exporting again");
      ++out.attempts;
      continue;
    }
    // Registrations counted awaiting from their own event open an account that announces nothing:
    // one contribution had not applied when its export began is in no counter the rebuild installs,
    // and its event is below the watermarks. Wait until contribution has applied them all.
    if (const auto behind = contribution_behind(sources, *cluster, *after)) {
      if (std::chrono::steady_clock::now() >= catch_up_until) {
        return give_up(Error::unavailable(fmt::format(
            "contribution had not applied {} of {}'s events when its export began (see its consumer "
            "lag); the awaiting counts would miss their accounts",
            *behind, registration_topic)));
      }
      spdlog::info("rebuild: contribution has {} of {}'s events to apply; waiting for its consumer", *behind,
                   registration_topic);
      std::this_thread::sleep_for(std::chrono::milliseconds(500));  // a client polling a remote system
      continue;
    }
    // Registration's changes it has not published yet (its outbox relay is behind) would be
    // counted again on top of the export when they come: wait for them. Registration says how many
    // it held when its export ended; every event published before that is below the watermarks.
    const auto unpublished = sources.owners.registration != nullptr
                                 ? sources.owners.registration->unpublished_after_export()
                                 : std::nullopt;
    if (unpublished) {
      if (*unpublished == 0) return install(out, *recounted, std::move(*after));
      if (std::chrono::steady_clock::now() >= catch_up_until) {
        return give_up(Error::unavailable(
            fmt::format("registration still held {} unpublished events after its export (see "
                        "jaring_registration_outbox_backlog_messages)",
                        *unpublished)));
      }
      spdlog::info("rebuild: registration holds {} unpublished events; waiting for its outbox", *unpublished);
      std::this_thread::sleep_for(std::chrono::milliseconds(500));  // a client polling a remote system
      continue;
    }
    // A registration that does not say: every RW and every participant in its export was
    // announced by at least one event (RwCreated, ParticipantRegistered), and offsets count every
    // event ever appended, kept or not, so fewer events below the watermarks means unpublished
    // changes (or a log that lost its events, which only the trailer above can tell apart).
    std::int64_t announced = registry, on_bus = 0;
    for (const auto& rw : *recounted) announced += rw.counters.registrations;
    for (const auto& [partition, next] : *after) {
      if (partition.starts_with(registration_topic + ":")) on_bus += next;
    }
    if (on_bus < announced) {
      if (std::chrono::steady_clock::now() >= catch_up_until) {
        return give_up(Error::unavailable(fmt::format(
            "{} holds {} events but registration's export implies at least {}: registration has not "
            "published everything it stored (see jaring_registration_outbox_backlog_messages), or the "
            "topic was reset under a store that was not",
            registration_topic, on_bus, announced)));
      }
      spdlog::info(
          "rebuild: {} events on {}, the export implies at least {}; waiting for registration's outbox",
          on_bus, registration_topic, announced);
      std::this_thread::sleep_for(std::chrono::milliseconds(500));  // a client polling a remote system
      continue;
    }
    return install(out, *recounted, std::move(*after));
  }
  return give_up(Error::unavailable(fmt::format(
      "the owners kept publishing during {} exports; try again when it is quieter", max_attempts)));
}

Reconciler::Reconciler(CounterReader& counters, Owners owners, metrics::Registry& metrics,
                       std::chrono::seconds interval, std::function<void(const Drift&)> on_drift)
    : counters_(counters),
      owners_(owners),
      on_drift_(std::move(on_drift)),
      drift_workers_(
          metrics
              .gauge(
                  "reconcile_drift_workers",
                  "Counts (workers, claims) by which Redis differs from the owners' records (0 when healthy)")
              .Add({})),
      drift_rws_(metrics.gauge("reconcile_drift_rws", "RWs where a counter differs from the owners' records")
                     .Add({})),
      failures_(
          metrics.counter("reconcile_failures_total", "Reconciliations that could not compare").Add({})),
      task_("reconciliation", interval, [this] { reconcile(); }) {}

Reconciler::~Reconciler() { stop(); }

// The first comparison after one interval: at start the consumer is still catching up.
void Reconciler::start() { task_.start(/*run_now=*/false); }

void Reconciler::stop() { task_.stop(); }

void Reconciler::reconcile() {
  if (auto d = run_once(); !d) {
    failures_.Increment();
    spdlog::warn("reconciliation failed: {}", d.error().message);
  } else if (d->workers != 0) {
    spdlog::warn("reconciliation: {} RWs differ from the owners by {}; rebuilding", d->rws, d->workers);
    if (on_drift_) on_drift_(*d);
  }
}

Result<Drift> Reconciler::compare() {
  auto counted = all_rws(counters_);
  if (!counted) return fail(counted.error());
  auto expected = recount(owners_);
  if (!expected) return fail(expected.error());
  return drift(*expected, *counted);
}

Result<Drift> Reconciler::run_once() {
  auto first = compare();
  if (!first) return first;
  if (first->rws != 0) {
    std::this_thread::sleep_for(std::chrono::seconds(2));  // let events in flight land
    auto second = compare();
    if (!second) return second;
    Drift both;
    for (const auto& [rw, d] : second->by_rw) {
      const auto it = first->by_rw.find(rw);
      if (it == first->by_rw.end() || it->second != d) continue;
      both.by_rw[rw] = d;
      both.workers += count_difference(d);
      ++both.rws;
    }
    *first = std::move(both);
  }
  drift_workers_.Set(static_cast<double>(first->workers));
  drift_rws_.Set(static_cast<double>(first->rws));
  return first;
}

}  // namespace jaring::coverage

#include "rebuild.hpp"

#include <librdkafka/rdkafka.h>
#include <spdlog/spdlog.h>

#include <fmt/format.h>

#include <thread>

namespace jaring::coverage {
namespace {

Result<std::vector<RwCoverage>> all_rws(CounterReader& counters) {
  auto kelurahans = counters.kelurahans();
  if (!kelurahans) return fail(kelurahans.error());
  return counters.rws_of_kelurahans(*kelurahans);
}

}  // namespace

Result<std::map<std::string, std::int64_t>> high_watermarks(const kafka::Settings& settings,
                                                            const std::string& topic) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  const auto set = [&](const std::string& key, const std::string& value) {
    return rd_kafka_conf_set(conf, key.c_str(), value.c_str(), err, sizeof err) == RD_KAFKA_CONF_OK;
  };
  // read_uncommitted: the high watermark itself (nothing in Jaring uses Kafka transactions, and
  // jaring-devkafka answers 0 for the last stable offset).
  bool ok =
      set("bootstrap.servers", settings.bootstrap_servers) && set("isolation.level", "read_uncommitted");
  for (const auto& [key, value] : settings.properties) ok = ok && set(key, value);
  if (!ok) {
    rd_kafka_conf_destroy(conf);
    return fail(Error::internal(fmt::format("kafka settings: {}", err)));
  }
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  if (rk == nullptr) return fail(Error::unavailable(fmt::format("kafka: {}", err)));
  std::map<std::string, std::int64_t> out;
  rd_kafka_topic_t* handle = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  const rd_kafka_metadata_t* metadata = nullptr;
  auto code = rd_kafka_metadata(rk, 0, handle, &metadata, 10000);
  Result<std::map<std::string, std::int64_t>> result = out;
  if (code != RD_KAFKA_RESP_ERR_NO_ERROR || metadata->topic_cnt != 1 || metadata->topics[0].err) {
    result = fail(Error::unavailable(fmt::format("kafka metadata of {}: {}", topic, rd_kafka_err2str(code))));
  } else {
    for (int i = 0; i < metadata->topics[0].partition_cnt; ++i) {
      const auto partition = metadata->topics[0].partitions[i].id;
      std::int64_t low = 0, high = 0;
      code = rd_kafka_query_watermark_offsets(rk, topic.c_str(), partition, &low, &high, 10000);
      if (code != RD_KAFKA_RESP_ERR_NO_ERROR) {
        result = fail(Error::unavailable(
            fmt::format("watermarks of {}:{}: {}", topic, partition, rd_kafka_err2str(code))));
        break;
      }
      (*result)[fmt::format("{}:{}", topic, partition)] = high;
    }
  }
  if (metadata != nullptr) rd_kafka_metadata_destroy(metadata);
  rd_kafka_topic_destroy(handle);
  rd_kafka_destroy(rk);
  return result;
}

Result<RebuildResult> rebuild(RedisCounters& counters, RegistrationSource& source,
                              const kafka::Settings& kafka, const std::string& registration_topic,
                              int max_attempts, std::chrono::milliseconds catch_up) {
  if (auto paused = counters.pause(std::chrono::minutes(10)); !paused) return fail(paused.error());
  const auto give_up = [&](Error error) -> Result<RebuildResult> {
    (void)counters.resume();
    return fail(std::move(error));
  };
  const auto catch_up_until = std::chrono::steady_clock::now() + catch_up;
  RebuildResult out;
  for (out.attempts = 1; out.attempts <= max_attempts;) {
    auto before = high_watermarks(kafka, registration_topic);
    if (!before) return give_up(before.error());
    // RWs listed before the export are all in it: a lower bound on what it announces.
    auto registry = source.rws();
    if (!registry) return give_up(registry.error());
    // Counting is paused, so what Redis holds is stable: it is the base for other owners' counters.
    auto previous = all_rws(counters);
    if (!previous) return give_up(previous.error());
    auto recounted = recount(source, *previous);
    if (!recounted) return give_up(recounted.error());
    auto after = high_watermarks(kafka, registration_topic);
    if (!after) return give_up(after.error());
    if (*after != *before) {
      spdlog::info("rebuild: events were published during the export; exporting again");
      ++out.attempts;
      continue;
    }
    // Every RW and every participant in the export was announced by at least one event
    // (RwCreated, ParticipantRegistered), and offsets count every event ever appended, kept or
    // not. Fewer events below the watermarks means registration stored changes it has not
    // published yet (its outbox relay is behind): they would be counted again on top of the
    // export when they come, so wait for them.
    std::int64_t announced = 0, on_bus = 0;
    announced += static_cast<std::int64_t>(registry->size());
    for (const auto& rw : *recounted) announced += rw.counters.registrations;
    for (const auto& [_, next] : *after) on_bus += next;
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
      std::this_thread::sleep_for(std::chrono::milliseconds(500));  // a CLI polling a remote system
      continue;
    }
    auto offsets = counters.offsets({});
    if (!offsets) return give_up(offsets.error());
    std::erase_if(*offsets, [&](const auto& kv) { return kv.first.starts_with(registration_topic + ":"); });
    offsets->insert(after->begin(), after->end());
    auto generation = counters.install_generation(*recounted, *offsets);
    if (!generation) return give_up(generation.error());
    out.generation = *generation;
    out.offsets = std::move(*offsets);
    out.rws = static_cast<std::int64_t>(recounted->size());
    for (const auto& rw : *recounted) out.registered += rw.counters.registered;
    return out;
  }
  return give_up(Error::unavailable(fmt::format(
      "registration kept publishing during {} exports; try again when it is quieter", max_attempts)));
}

Reconciler::Reconciler(CounterReader& counters, RegistrationSource& source, metrics::Registry& metrics,
                       std::chrono::seconds interval)
    : counters_(counters),
      source_(source),
      interval_(interval),
      drift_workers_(
          metrics
              .gauge("reconcile_drift_workers",
                     "Registered workers by which Redis differs from registration (0 when healthy)")
              .Add({})),
      drift_rws_(metrics.gauge("reconcile_drift_rws", "RWs whose registered count differs from registration")
                     .Add({})),
      failures_(
          metrics.counter("reconcile_failures_total", "Reconciliations that could not compare").Add({})) {}

Reconciler::~Reconciler() { stop(); }

void Reconciler::start() {
  thread_ = std::thread([this] {
    std::unique_lock lock(mutex_);
    while (!wake_.wait_for(lock, interval_, [this] { return stopping_; })) {
      lock.unlock();
      if (auto d = run_once(); !d) {
        failures_.Increment();
        spdlog::warn("reconciliation failed: {}", d.error().message);
      } else if (d->workers != 0) {
        spdlog::warn(
            "reconciliation: {} RWs differ from registration by {} workers; run jaring-coverage rebuild",
            d->rws, d->workers);
      }
      lock.lock();
    }
  });
}

void Reconciler::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Result<Drift> Reconciler::compare() {
  auto counted = all_rws(counters_);
  if (!counted) return fail(counted.error());
  auto expected = recount(source_, {});
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
      both.workers += std::llabs(d);
      ++both.rws;
    }
    *first = std::move(both);
  }
  drift_workers_.Set(static_cast<double>(first->workers));
  drift_rws_.Set(static_cast<double>(first->rws));
  return first;
}

}  // namespace jaring::coverage

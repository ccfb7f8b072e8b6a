// jaring-coverage: consumes the owners' topics into per-RW counters in Redis, and serves them
// over gRPC and the dashboard. When Redis lost its state (or the reconciler confirmed drift) it
// reports not ready and rebuilds every counter from the owners' export streams by itself
// (adapters/recovery.hpp); `jaring-coverage rebuild` runs the same rebuild (adapters/rebuild.hpp)
// once and exits. Both ask the owners with coverage's own credential (auth.token_file).
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <fstream>

#include <cstdlib>
#include <iostream>

#include "adapters/dashboard.hpp"
#include "adapters/event_handler.hpp"
#include "adapters/grpc_service.hpp"
#include "adapters/kafka_snapshots.hpp"
#include "adapters/rebuild.hpp"
#include "adapters/recovery.hpp"
#include "adapters/redis_counters.hpp"
#include "adapters/registration_export.hpp"
#include "adapters/sqlite_snapshots.hpp"
#include "jaring/common/secret_file.hpp"
#include "jaring/kafka/kafka.hpp"
#include "jaring/service/periodic.hpp"
#include "jaring/service/service.hpp"

using namespace jaring;

namespace {

struct Settings {
  service::CommonSettings common;
  config::HostPort dashboard_listen;
  bool dashboard_require_token = false;
  metrics::HttpTls dashboard_tls;
  coverage::StreamLimits dashboard_streams;
  config::HostPort redis_address;
  redis::Auth redis_auth;
  std::string redis_prefix;
  std::chrono::seconds dedupe_ttl;
  kafka::Settings kafka;
  kafka::ConsumerOptions consumer;
  std::string registration_topic;
  std::string contribution_topic;
  std::string claims_topic;
  std::string csr_topic;
  std::string registration_address;
  std::string contribution_address;
  std::string claims_address;
  std::string csr_address;
  std::string snapshots_path;
  bool snapshots_on_kafka = false;
  std::string snapshots_topic;
  std::chrono::seconds claim_ttl{600};
  std::string branches_file;
  std::chrono::seconds trend_interval;
  std::chrono::seconds reconcile_interval;
  std::chrono::seconds calendar_interval{60};
  std::chrono::milliseconds live_min_interval{1000};
};

// Both the service and `rebuild` read every key, so that one settings file serves both.
Settings read_settings(const config::Source& source) {
  config::Reader reader(source);
  Settings s;
  s.common = service::read_common(reader, 50052, 9102);
  s.dashboard_listen = reader.host_port("dashboard.listen", "127.0.0.1:8080");
  s.dashboard_require_token = reader.boolean("dashboard.require_token", false);
  s.dashboard_tls = service::read_http_tls(reader, "dashboard.tls.");
  // Each open stream is a thread of the dashboard's server: bounded.
  s.dashboard_streams.max_streams = static_cast<int>(
      reader.integer("dashboard.events.max_streams", s.dashboard_streams.max_streams, 1, 1000));
  s.dashboard_streams.max_streams_per_client = static_cast<int>(reader.integer(
      "dashboard.events.max_streams_per_client", s.dashboard_streams.max_streams_per_client, 1, 1000));
  // A live view (a dashboard's event stream, WatchCoverage) hears of changes at most this often:
  // each time it reads its area again.
  s.live_min_interval = std::chrono::milliseconds(
      reader.integer("live.min_interval_ms", s.live_min_interval.count(), 0, 60'000));
  s.redis_address = reader.host_port("redis.address", "127.0.0.1:6379");
  s.redis_auth.username = reader.string("redis.username", "");
  // The password from a file (a mounted Secret), never from the settings file or a variable,
  // and never printed: an error names the key and the path only.
  if (const auto file = reader.string("redis.password_file", ""); !file.empty()) {
    auto password = read_secret_file(file);
    if (!password) throw config::ConfigError("redis.password_file: cannot read a password from " + file);
    s.redis_auth.password = std::move(*password);
  } else if (!s.redis_auth.username.empty()) {
    throw config::ConfigError("redis.username: needs redis.password_file");
  }
  s.redis_prefix = reader.string("redis.prefix", "jaring:cov:");
  s.dedupe_ttl = std::chrono::seconds(
      reader.integer("coverage.dedupe_ttl_seconds", 86400, 60, std::int64_t{30} * 86400));
  s.kafka = service::read_kafka(reader);
  // Registration's topic is always followed (rebuild reads its watermarks); contribution's
  // CoverageChanged moves active / arrears / lapsed, claims' ClaimPaid the claims paid,
  // csr-donor's SponsorshipChanged the sponsored workers, and an empty name turns one of them off.
  s.registration_topic = reader.string("kafka.topics.registration", "jaring.registration.v1");
  s.consumer = service::read_consumer(
      reader, "coverage",
      {{"contribution", "jaring.contribution.v1"}, {"claims", "jaring.claims.v1"}, {"csr", "jaring.csr.v1"}});
  // The rebuild asks the owner of each topic followed for its export.
  s.contribution_topic = reader.string("kafka.topics.contribution", "jaring.contribution.v1");
  s.claims_topic = reader.string("kafka.topics.claims", "jaring.claims.v1");
  s.csr_topic = reader.string("kafka.topics.csr", "jaring.csr.v1");
  s.consumer.topics.insert(s.consumer.topics.begin(), s.registration_topic);
  s.consumer.max_batch = static_cast<int>(reader.integer("coverage.max_batch", 2000, 1, 50000));
  // How long a batch waits for more events after its first. None by default: a batch takes what
  // the consumer has fetched when it begins (up to max_batch), so batches grow by themselves
  // when Redis falls behind and the counters' freshness pays no wait. The SQLite consumers wait
  // 50 ms for fuller commits; at 10,000 registrations/s paced that wait here made the freshness
  // p99 482-561 ms, none 140-296 ms (jaring-bench, docs/coverage.md).
  s.consumer.max_wait = std::chrono::milliseconds(reader.integer("coverage.max_wait_ms", 0, 0, 1000));
  s.registration_address = reader.string("registration.address", "127.0.0.1:50051");
  s.contribution_address = reader.string("contribution.address", "127.0.0.1:50053");
  s.claims_address = reader.string("claims.address", "127.0.0.1:50054");
  s.csr_address = reader.string("csr-donor.address", "127.0.0.1:50055");
  s.snapshots_path = reader.string("snapshots.path", "coverage-snapshots.db");
  // sqlite: the snapshots in snapshots.path, one replica (make up). kafka: on the topic every
  // replica reads (adapters/kafka_snapshots.hpp); snapshots.path is then a replica's read model,
  // audit trail and outbox, on a writable volume of its own.
  const auto store = reader.string("snapshots.store", "sqlite");
  if (store != "sqlite" && store != "kafka")
    throw config::ConfigError("snapshots.store: must be sqlite or kafka");
  s.snapshots_on_kafka = store == "kafka";
  s.snapshots_topic = reader.string("kafka.topics.snapshots", "jaring.coverage.snapshots.v1");
  if (s.snapshots_on_kafka && s.snapshots_topic.empty())
    throw config::ConfigError("kafka.topics.snapshots: must name a topic with snapshots.store kafka");
  s.claim_ttl = std::chrono::seconds(reader.integer("snapshots.claim_ttl_seconds", 600, 10, 86400));
  s.branches_file = reader.string("areas.branches_file", "");
  s.trend_interval = std::chrono::seconds(
      reader.integer("coverage.trend_interval_seconds", 86400, 0, std::int64_t{366} * 86400));
  s.calendar_interval = std::chrono::seconds(reader.integer("calendar.interval_seconds", 60, 1, 86400));
  s.reconcile_interval = std::chrono::seconds(
      reader.integer("coverage.reconcile_interval_seconds", 900, 0, std::int64_t{7} * 86400));
  reader.finish();
  return s;
}

// Branch offices: registration owns the kecamatan -> Kantor Cabang mapping; coverage reads the
// same CSV (areas.branches_file) or the compiled-in Jakarta default.
areas::BranchMap load_branches(const std::string& file) {
  if (file.empty()) return areas::BranchMap::jakarta();
  auto loaded = areas::BranchMap::load_csv(file);
  if (!loaded) throw config::ConfigError("areas.branches_file: " + loaded.error().message);
  return std::move(*loaded);
}

// The owners' export streams, for the rebuild and the reconciliation: only of the topics followed.
struct OwnerExports {
  // `caller`: coverage::export_caller, for every owner.
  OwnerExports(const Settings& s, const jaring::grpc::Caller& caller)
      : registration(service::channel(s.common, s.registration_address), areas::Registry::jakarta(), caller),
        contribution(service::channel(s.common, s.contribution_address), caller),
        sponsorships(service::channel(s.common, s.csr_address), caller),
        claims(service::channel(s.common, s.claims_address), caller),
        sources{{&registration, s.contribution_topic.empty() ? nullptr : &contribution,
                 s.csr_topic.empty() ? nullptr : &sponsorships, s.claims_topic.empty() ? nullptr : &claims},
                s.kafka,
                s.consumer.topics,
                s.registration_topic} {}
  coverage::RegistrationExport registration;
  coverage::ContributionExport contribution;
  coverage::SponsorshipExport sponsorships;
  coverage::PaidClaimsExport claims;
  coverage::RebuildSources sources;
};

int serve(const Settings& s) {
  service::Runtime runtime("coverage", s.common);
  const auto branches = load_branches(s.branches_file);
  const coverage::AreaIndex areas(areas::Registry::jakarta(), branches);
  redis::Client writer(s.redis_address.host, s.redis_address.port, s.redis_auth);
  redis::Client readers(s.redis_address.host, s.redis_address.port, s.redis_auth);
  redis::Client recovering(s.redis_address.host, s.redis_address.port, s.redis_auth);
  // The service counts only under a generation marker: never into a Redis that lost its state.
  coverage::RedisCounters counters(writer, s.redis_prefix, s.dedupe_ttl, true);
  coverage::RedisCounters rebuilt(recovering, s.redis_prefix, s.dedupe_ttl, true);
  coverage::RedisCounters read_side(readers, s.redis_prefix, s.dedupe_ttl);
  coverage::Queries queries(read_side, areas);
  coverage::ChangeFeed feed(s.live_min_interval);
  coverage::SqliteSnapshots local_snapshots(s.snapshots_path);
  // The audit trail (of CreateSnapshot) in the snapshots' file, in the snapshot's transaction;
  // its records reach jaring.audit.v1 through that file's outbox. Set before any edge exists.
  // At SIGTERM the relay gets a few seconds to publish what is left (the file may go with the pod).
  kafka::Producer producer(s.kafka, "jaring-coverage", runtime.metrics);
  kafka::OutboxRelay relay(local_snapshots.db(), producer, runtime.metrics,
                           {.delivery_timeout = std::chrono::seconds(3)});
  runtime.trail = std::make_unique<audit::Trail>(local_snapshots.db(), runtime.name, runtime.clock());
  // Several replicas: the snapshots on a topic they all read, scheduled ones claimed in Redis.
  std::unique_ptr<coverage::KafkaSnapshots> shared_snapshots;
  std::unique_ptr<coverage::RedisSnapshotClaims> claims;
  if (s.snapshots_on_kafka) {
    shared_snapshots =
        std::make_unique<coverage::KafkaSnapshots>(local_snapshots, producer, s.kafka, s.snapshots_topic);
    claims = std::make_unique<coverage::RedisSnapshotClaims>(readers, s.redis_prefix, s.claim_ttl);
  }
  coverage::SnapshotStore& snapshots =
      shared_snapshots ? static_cast<coverage::SnapshotStore&>(*shared_snapshots) : local_snapshots;
  coverage::Evaluation evaluation(queries, snapshots, runtime.clock(), claims.get());
  coverage::EventHandler handler(counters, runtime.metrics, &feed);
  // The changes other replicas apply reach this one's live views through Redis (the apply script
  // announces each batch's RWs); this replica's own reach the feed from its handler. Whenever the
  // subscription (re)starts, views read again: announcements while it was down are lost.
  auto& hearing = runtime.metrics
                      .gauge("live_changes_subscribed",
                             "1 while this replica hears the changes other replicas apply (Redis channel)")
                      .Add({});
  redis::Subscriber announcements(s.redis_address.host, s.redis_address.port, s.redis_auth,
                                  counters.changes_channel(),
                                  {[&counters, &feed](std::string_view message) {
                                     if (auto rws = counters.changed_elsewhere(message)) feed.publish(*rws);
                                   },
                                   [&feed, &hearing] {
                                     hearing.Set(1);
                                     feed.publish_anything();
                                   },
                                   [&hearing] { hearing.Set(0); }});
  kafka::Consumer consumer(s.kafka, s.consumer, handler, runtime.metrics);
  coverage::GrpcService api(queries, feed, evaluation, runtime.edge(coverage::GrpcService::kName));
  coverage::Dashboard dashboard(queries, feed, evaluation,
                                s.dashboard_require_token ? runtime.verifier.get() : nullptr, s.dashboard_tls,
                                s.dashboard_streams);
  OwnerExports owners(s, coverage::export_caller(runtime.credentials()));
  coverage::Recovery recovery(rebuilt, owners.sources, runtime.metrics);
  handler.on_log_replaced([&recovery](std::string reason) { recovery.repair(std::move(reason)); });
  coverage::Reconciler reconciler(
      read_side, owners.sources.owners, runtime.metrics, s.reconcile_interval,
      [&recovery](const coverage::Drift& d) {
        recovery.repair(fmt::format("the reconciler found {} RWs differing from the owners by {}: rebuilding",
                                    d.rws, d.workers));
      });
  // A failed trend point is only a gap in the line: the next comes at the next interval.
  service::PeriodicTask trend("trend snapshot", s.trend_interval, [&evaluation] {
    if (auto taken = evaluation.record_trend(); !taken)
      spdlog::warn("trend snapshot: {}", taken.error().message);
  });

  // The M&E calendar: the quarterly and semester snapshots once their period ends.
  service::PeriodicTask calendar("M&E calendar", s.calendar_interval, [&evaluation] {
    auto taken = evaluation.take_due_snapshots();
    if (!taken) {
      spdlog::warn("M&E calendar: {}", taken.error().message);
      return;
    }
    for (const auto& snapshot : *taken) spdlog::info("M&E calendar: snapshot {} taken", snapshot.period);
  });

  runtime.grpc.add_service(&api);
  if (shared_snapshots) shared_snapshots->start();
  relay.start();
  recovery.start();
  announcements.start();
  consumer.start();
  dashboard.start(s.dashboard_listen.host, s.dashboard_listen.port);
  if (s.reconcile_interval.count() > 0) reconciler.start();
  if (s.trend_interval.count() > 0) trend.start(/*run_now=*/false);
  calendar.start();
  // Ready while Redis answers and holds counters that match the owners (recovery.hpp): never
  // while a lost state is being rebuilt. A replica without partitions still serves reads.
  runtime.start(
      [&readers, &recovery, &shared_snapshots]() -> std::optional<std::string> {
        if (!readers.ping()) return "Redis is not reachable";
        // Not ready until the read model holds every snapshot the topic had.
        if (shared_snapshots) {
          if (auto loading = shared_snapshots->not_ready()) return loading;
        }
        return recovery.not_ready();
      },
      {[&relay] { return relay.readiness_note(); }});
  spdlog::info("dashboard on http://{}:{}/{}", s.dashboard_listen.host, dashboard.port(),
               s.dashboard_require_token ? " (its API needs a bearer token)" : "");
  service::wait_for_shutdown();
  runtime.stop();
  feed.close();  // ends Watch streams and Server-Sent Events
  announcements.stop();
  calendar.stop();
  trend.stop();
  reconciler.stop();
  recovery.stop();
  dashboard.stop();
  consumer.stop();
  if (shared_snapshots) shared_snapshots->stop();
  if (producer.reachable(std::chrono::milliseconds(500))) relay.drain_once();
  relay.stop();
  return 0;
}

int run_rebuild(const Settings& s) {
  redis::Client client(s.redis_address.host, s.redis_address.port, s.redis_auth);
  coverage::RedisCounters counters(client, s.redis_prefix, s.dedupe_ttl);
  // Coverage's own credential, on behalf of the operator who runs the command.
  const char* user = std::getenv("USER");
  OwnerExports owners(s,
                      coverage::export_caller(service::credentials(s.common), user != nullptr ? user : ""));
  auto done = coverage::rebuild(counters, owners.sources);
  if (!done) {
    std::cerr << "jaring-coverage rebuild: " << done.error().message << "\n";
    return 1;
  }
  const auto& t = done->totals;
  std::cout << "rebuilt generation " << done->generation << ": " << done->rws << " RWs, " << t.registered
            << " registered workers, " << t.active << " active, " << t.arrears << " in arrears, " << t.lapsed
            << " lapsed, " << t.sponsored << " sponsored, " << t.claims_paid << " claims paid (Rp"
            << t.claims_paid_rupiah << ") (" << done->attempts << " export(s)); counting resumes at";
  for (const auto& [partition, next] : done->offsets) std::cout << " " << partition << "=" << next;
  std::cout << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return service::run("coverage", argc, argv,
                      [](const config::Source& source) { return serve(read_settings(source)); },
                      {{"rebuild", "recompute every counter from the owners' exports, then exit",
                        [](const config::Source& source) { return run_rebuild(read_settings(source)); }}});
}

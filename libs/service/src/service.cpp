#include "jaring/service/service.hpp"

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <sys/stat.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include <fmt/format.h>

#include "jaring/log/log.hpp"

namespace jaring::service {
namespace {

sigset_t shutdown_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

}  // namespace

CommonSettings read_common(config::Reader& reader, int grpc_port, int admin_port) {
  CommonSettings s;
  s.log_level = reader.choice("log.level", "info", {"trace", "debug", "info", "warn", "error"});
  s.grpc_listen = reader.host_port("grpc.listen", "127.0.0.1:" + std::to_string(grpc_port));
  s.grpc_limits.max_receive_bytes =
      static_cast<int>(reader.integer("grpc.max_receive_message_bytes", s.grpc_limits.max_receive_bytes,
                                      std::int64_t{64} * 1024, std::int64_t{64} * 1024 * 1024));
  s.grpc_limits.max_concurrent_streams = static_cast<int>(
      reader.integer("grpc.max_concurrent_streams", s.grpc_limits.max_concurrent_streams, 1, 10000));
  s.admin_listen = reader.host_port("admin.listen", "127.0.0.1:" + std::to_string(admin_port));
  s.auth.jwks_file = reader.required_string("auth.jwks_file");
  s.auth.issuer = reader.required_string("auth.issuer");
  s.auth.audience = reader.string("auth.audience", "jaring");
  s.auth.leeway = std::chrono::seconds(reader.integer("auth.leeway_seconds", 60, 0, 600));
  s.token_file = reader.string("auth.token_file", "");
  s.clock_test_file = reader.string("clock.test_file", "");
  const bool allow_test_clock = reader.boolean("clock.allow_test", false);
  if (!s.clock_test_file.empty() && !allow_test_clock)
    throw config::ConfigError(
        "clock.test_file: a test clock needs clock.allow_test: true (never in production)");
  s.tls.cert_file = reader.string("tls.cert_file", "");
  s.tls.key_file = reader.string("tls.key_file", "");
  s.tls.ca_file = reader.string("tls.ca_file", "");
  s.tls.client_ca_file = reader.string("tls.client_ca_file", "");
  s.tls.refresh_seconds = static_cast<int>(reader.integer("tls.refresh_seconds", 60, 1, 86400));
  if (const auto broken = grpc::check(s.tls); !broken.empty())
    throw config::ConfigError(broken.front().field + ": " + broken.front().rule);
  s.admin_tls = read_http_tls(reader, "admin.tls.");
  return s;
}

metrics::HttpTls read_http_tls(config::Reader& reader, const std::string& prefix) {
  metrics::HttpTls tls;
  tls.cert_file = reader.string(prefix + "cert_file", "");
  tls.key_file = reader.string(prefix + "key_file", "");
  if (const auto broken = grpc::check_key_pair(prefix, tls.cert_file, tls.key_file); !broken.empty())
    throw config::ConfigError(broken.front().field + ": " + broken.front().rule);
  return tls;
}

std::shared_ptr<::grpc::Channel> channel(const CommonSettings& settings, const std::string& address) {
  return grpc::make_channel(address, settings.tls);
}

kafka::Settings read_kafka(config::Reader& reader) {
  return {reader.string("kafka.bootstrap_servers", "127.0.0.1:9092"), reader.map("kafka.properties.")};
}

kafka::ConsumerOptions read_consumer(config::Reader& reader, const std::string& service,
                                     const std::vector<Topic>& topics) {
  kafka::ConsumerOptions options;
  options.group_id = reader.string("kafka.group_id", "jaring-" + service);
  for (const auto& topic : topics) {
    if (auto name = reader.string("kafka.topics." + topic.name, topic.fallback); !name.empty())
      options.topics.push_back(std::move(name));
  }
  options.session_timeout_ms =
      static_cast<int>(reader.integer("kafka.session_timeout_ms", 6000, 3000, 300000));
  return options;
}

std::string file_or_compiled_in(const std::string& key, const std::string& file, const char* compiled_in) {
  if (file.empty()) return compiled_in;
  std::ifstream in(file);
  if (!in) throw config::ConfigError(key + ": cannot read " + file);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

config::ConfigError invalid_file(const std::string& key, const Error& error) {
  std::string message = key + ":";
  for (const auto& v : error.violations) message += " " + v.field + ": " + v.rule;
  if (error.violations.empty()) message += " " + error.message;
  return config::ConfigError(message);
}

metrics::ReadyCheck store_ready(store::Database& db) {
  return [&db]() -> std::optional<std::string> {
    try {
      db.read([](store::Database& d) { d.exec("SELECT 1"); });
    } catch (const std::exception& e) {
      return std::string("store: ") + e.what();
    }
    // A store that answers reads but cannot write (disk full) would refuse every change: not
    // ready until a write commits again, which this probe tries (Database::probe_write: room on
    // the disk and a new page in the file; no data).
    if (const auto failure = db.write_failure()) {
      if (!db.probe_write()) return "store cannot write: " + *failure;
    }
    return std::nullopt;
  };
}

StoreAndOutbox::StoreAndOutbox(Runtime& runtime, const std::string& store_path,
                               const std::vector<store::Migration>& migrations, const kafka::Settings& kafka)
    : runtime_(runtime),
      lock_(store_path == ":memory:" ? nullptr : store::StoreLock::take(store_path)),
      db_(store::Database::open(store_path, migrations)),
      producer_(kafka, "jaring-" + runtime.name, runtime.metrics),
      relay_(*db_, producer_, runtime.metrics) {
  runtime_.trail = std::make_unique<audit::Trail>(*db_, runtime_.name, runtime_.clock());
}

kafka::BatchHandler& StoreAndOutbox::batched(events::EnvelopeHandler& handler) {
  handler.batch_in(*db_);
  return handler;
}

void StoreAndOutbox::serve(kafka::Consumer& consumer) {
  relay_.start();
  consumer.start();
  try {
    // A stalled relay shows in /readyz's body but keeps the service ready: writes wait safely in
    // the outbox.
    runtime_.start(store_ready(*db_), {[this] { return relay_.readiness_note(); }});
  } catch (...) {
    consumer.stop();
    relay_.stop();
    throw;
  }
  wait_for_shutdown();
  runtime_.stop();
  consumer.stop();
  relay_.stop();
}

Runtime::Runtime(std::string service, CommonSettings settings)
    : name(service),
      common(std::move(settings)),
      metrics(std::move(service)),
      grpc(metrics, common.grpc_limits),
      clock_(make_clock(common)) {
  log::init(name, common.log_level);
  if (!common.clock_test_file.empty())
    spdlog::warn("business time from the test clock {}", common.clock_test_file);
  try {
    verifier = std::make_unique<auth::Verifier>(common.auth, wall_clock_);
  } catch (const std::exception& e) {
    throw config::ConfigError(std::string("auth.jwks_file: ") + e.what());
  }
}

Runtime::~Runtime() = default;

std::unique_ptr<Clock> make_clock(const CommonSettings& settings) {
  if (settings.clock_test_file.empty()) return std::make_unique<SystemClock>();
  try {
    return std::make_unique<FileClock>(settings.clock_test_file);
  } catch (const std::exception& e) {
    throw config::ConfigError(std::string("clock.test_file: ") + e.what());
  }
}

grpc::Edge& Runtime::edge(const std::string& proto_service) {
  for (auto& e : edges_) {
    if (e->service() == proto_service) return *e;
  }
  edges_.push_back(std::make_unique<grpc::Edge>(proto_service, *verifier, metrics, trail.get()));
  return *edges_.back();
}

grpc::TokenSource credentials(const CommonSettings& settings) {
  if (settings.token_file.empty())
    throw config::ConfigError("auth.token_file: this service calls others and needs its own token");
  try {
    return grpc::TokenSource::file(settings.token_file);
  } catch (const std::exception& e) {
    throw config::ConfigError(std::string("auth.token_file: ") + e.what());
  }
}

grpc::TokenSource Runtime::credentials() const { return service::credentials(common); }

void Runtime::start(metrics::ReadyCheck ready, std::vector<metrics::ReadyNote> notes) {
  if (trail) {
    audit_service_ = std::make_unique<grpc::AuditService>(edge("jaring.audit.v1.AuditService"), *trail);
    grpc.add_service(audit_service_.get());
  }
  grpc.start(common.grpc_listen.str(), grpc::server_credentials(common.tls));
  admin =
      std::make_unique<metrics::AdminServer>(metrics, std::move(ready), common.admin_tls, std::move(notes));
  admin->start(common.admin_listen.host, common.admin_listen.port);
  spdlog::info("{} serving gRPC ({}) on {}:{} and metrics on {}:{}", name,
               !common.tls.serves_tls()            ? "plaintext"
               : common.tls.client_ca_file.empty() ? "TLS"
                                                   : "TLS, client certificates required",
               common.grpc_listen.host, grpc.port(), common.admin_listen.host, admin->port());
}

void Runtime::stop() {
  spdlog::info("{} stopping", name);
  grpc.set_serving(false);
  grpc.shutdown();
  if (admin) admin->stop();
}

void wait_for_shutdown() {
  const auto set = shutdown_signals();
  int signal = 0;
  sigwait(&set, &signal);
}

crypto::Keys read_data_keys(config::Reader& reader) {
  const auto path = reader.required_string("crypto.key_file");
  if (path.empty()) return {};  // recorded as a problem: reader.finish() throws it
  auto keys = crypto::Keys::load(path);
  if (!keys) {
    const auto& v = keys.error().violations.front();
    // The violation names the file and the entry; never a key's bytes.
    throw config::ConfigError(fmt::format("crypto.key_file: {}: {}", v.field, v.rule));
  }
  return std::move(*keys);
}

int rekey(const std::string& store_path, const std::vector<store::Migration>& migrations,
          const crypto::Sealer& sealer, const std::vector<crypto::SealedTable>& tables) {
  const auto db = store::Database::open(store_path, migrations);
  const auto describe = [&](const crypto::KeyCensus& c) {
    std::string out;
    for (const auto& [key, n] : c.values_by_key)
      out += fmt::format("{}{} under {}", out.empty() ? "" : ", ", n,
                         key == 0 ? std::string("no key (clear)") : fmt::format("key {}", key));
    if (out.empty()) out = "no values";
    if (c.stale_indexes > 0)
      out += fmt::format("; {} blind indexes under an older index key", c.stale_indexes);
    return out;
  };
  std::cout << "re-sealing " << store_path << " under data key " << sealer.current_data_key()
            << " and index key " << sealer.current_index_key() << "\n";
  for (const auto& table : tables) {
    const auto before = crypto::census(*db, sealer, table);
    const auto done = crypto::reseal(*db, sealer, table);
    const auto after = crypto::census(*db, sealer, table);
    std::cout << fmt::format("{}: {} rows, {} re-sealed; before: {}; now: {}\n", table.table, done.rows,
                             done.rewritten, describe(before), describe(after));
  }
  return 0;
}

std::function<StoreFile(const config::Source&)> plain_store(std::string fallback,
                                                            std::vector<store::Migration> (*migrations)()) {
  return [fallback = std::move(fallback), migrations](const config::Source& source) {
    // Only the store's key: the commands need no other setting (and do not check them).
    config::Reader reader(source);
    return StoreFile{reader.string("store.path", fallback), migrations()};
  };
}

std::vector<Command> store_commands(const std::function<StoreFile(const config::Source&)>& store) {
  struct BackupOptions {
    std::string to;
    bool force = false;
  };
  auto backup = std::make_shared<BackupOptions>();
  auto from = std::make_shared<std::string>();
  const auto rows = [](const store::BackupContents& c) {
    std::string out;
    for (const auto& [table, n] : c.rows) out += fmt::format("  {}: {} rows\n", table, n);
    return out;
  };
  const auto offsets = [](const store::BackupContents& c) {
    std::string out;
    for (const auto& [partition, next] : c.consumer_offsets) out += fmt::format(" {}@{}", partition, next);
    return out.empty() ? std::string(" none recorded") : out;
  };
  const auto seconds_since = [](std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  return {
      {"backup", "write a consistent copy of the store (taken while the service runs) to --to",
       [store, backup, rows, offsets, seconds_since](const config::Source& source) {
         const auto file = store(source);
         const auto start = std::chrono::steady_clock::now();
         try {
           const auto c = store::backup(file.path, backup->to, backup->force);
           std::cout << fmt::format(
               "backed up {} to {}: {} bytes, schema version {}, {} outbox event(s) not yet published "
               "(published again after a restore), in {:.2f} s\n{}consumer offsets:{}\n",
               file.path, backup->to, c.bytes, c.schema_version, c.outbox_backlog, seconds_since(start),
               rows(c), offsets(c));
           return 0;
         } catch (const store::StoreError& e) {
           std::cerr << "backup: " << e.what() << "\n";
           return 1;
         }
       },
       [backup](CLI::App& sub) {
         sub.add_option("--to", backup->to, "the backup file to write")->required();
         sub.add_flag("--force", backup->force, "replace the file when it exists");
       }},
      {"restore",
       "put the backup --from in place of the store (the service stopped); the current store is moved aside",
       [store, from, rows, offsets, seconds_since](const config::Source& source) {
         const auto file = store(source);
         const auto start = std::chrono::steady_clock::now();
         try {
           const auto outcome = store::restore(file.path, *from, file.migrations);
           const auto& c = outcome.contents;
           std::cout << fmt::format(
               "restored {} from {} in {:.2f} s: {} bytes, schema version {}, {} outbox event(s) to "
               "publish again\n{}",
               file.path, *from, seconds_since(start), c.bytes, c.schema_version, c.outbox_backlog,
               outcome.moved_aside.empty() ? std::string("there was no store to replace\n")
                                           : "the store it replaced is at " + outcome.moved_aside + "\n");
           std::cout << rows(c) << "consumers resume at:" << offsets(c) << "\n";
           return 0;
         } catch (const store::StoreError& e) {
           std::cerr << "restore: " << e.what() << "\n";
           return 1;
         }
       },
       [from](CLI::App& sub) { sub.add_option("--from", *from, "the backup file to restore")->required(); }},
  };
}

int run(const std::string& service, int argc, char** argv,
        const std::function<int(const config::Source&)>& serve, const std::vector<Command>& commands) {
  // Stores, their WAL and shm files, snapshots and exports hold personal data: owner only.
  ::umask(077);
  CLI::App app{"jaring-" + service + ": see README.md for its settings"};
  std::string config_file;
  if (const char* env = std::getenv("JARING_CONFIG")) config_file = env;
  app.add_option("--config", config_file, "YAML settings file; JARING_* environment variables override it");
  // Each command takes --config too (`jaring-coverage rebuild --config F`).
  app.fallthrough();
  std::vector<std::pair<CLI::App*, const Command*>> chosen;
  for (const auto& command : commands) {
    auto* sub = app.add_subcommand(command.name, command.help);
    if (command.options) command.options(*sub);
    chosen.emplace_back(sub, &command);
  }
  app.require_subcommand(0, 1);
  CLI11_PARSE(app, argc, argv);
  std::function<int(const config::Source&)> body = serve;
  for (const auto& [sub, command] : chosen) {
    if (sub->parsed()) body = command->body;
  }

  jaring::grpc::disable_lock_order_checks();
  // Block the shutdown signals before any thread starts, so that only sigwait sees them.
  const auto set = shutdown_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  try {
    const auto source = config::Source::load(config_file);
    return body(source);
  } catch (const config::ConfigError& e) {
    std::cerr << "jaring-" << service << ": " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "jaring-" << service << ": cannot start: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace jaring::service

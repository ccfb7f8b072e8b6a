#pragma once
// What every service's main() shares: command line (--config), settings every service has,
// JSON logging, metrics with /healthz and /readyz, the gRPC server, and waiting for SIGTERM.
// A service's main only wires its own adapters into its core between start and wait.

#include <functional>
#include <memory>
#include <string>

#include "jaring/audit/trail.hpp"
#include "jaring/auth/verifier.hpp"
#include "jaring/config/config.hpp"
#include "jaring/crypto/sealed_table.hpp"
#include "jaring/events/handler.hpp"
#include "jaring/grpc/audit_service.hpp"
#include "jaring/grpc/edge.hpp"
#include "jaring/grpc/server.hpp"
#include "jaring/grpc/tls.hpp"
#include "jaring/kafka/kafka.hpp"
#include "jaring/metrics/metrics.hpp"
#include "jaring/store/backup.hpp"
#include "jaring/store/sqlite.hpp"

namespace CLI {
class App;
}  // namespace CLI

namespace jaring::service {

struct CommonSettings {
  std::string log_level;
  config::HostPort grpc_listen;
  // grpc.max_receive_message_bytes (4 MiB), grpc.max_concurrent_streams (100 per connection).
  grpc::ServerLimits grpc_limits;
  config::HostPort admin_listen;  // /metrics, /healthz, /readyz
  // Who may call: auth.jwks_file and auth.issuer (required: no service answers unauthenticated
  // calls), auth.audience (jaring), auth.leeway_seconds (60).
  auth::VerifierSettings auth;
  // This service's own credential for its calls to other services (auth.token_file: a token
  // with role `service`, from a Secret; re-read when it changes). Empty for services that call
  // no one.
  std::string token_file;
  // TLS for the gRPC server and for this service's calls to others: tls.cert_file,
  // tls.key_file, tls.ca_file, tls.client_ca_file (mTLS), tls.refresh_seconds.
  grpc::TlsFiles tls;
  // HTTPS on the admin port (admin.tls.cert_file, admin.tls.key_file); plain HTTP without.
  metrics::HttpTls admin_tls;
  // Business time: empty for the system clock; clock.test_file names the whole-stack test clock
  // (a FileClock), refused unless clock.allow_test is true (local stacks and tests only).
  std::string clock_test_file{};
};

// HTTPS settings under `prefix` (admin.tls., dashboard.tls.): both files or neither, readable.
// Throws config::ConfigError naming the key.
metrics::HttpTls read_http_tls(config::Reader& reader, const std::string& prefix);

// Throws config::ConfigError naming the key of the first broken rule (never a value).
CommonSettings read_common(config::Reader& reader, int grpc_port, int admin_port);

// A channel to another service at `address`, with TLS as `settings` say.
std::shared_ptr<::grpc::Channel> channel(const CommonSettings& settings, const std::string& address);

// A service's credential for calls to others (auth.token_file), for a command that runs no
// Runtime (jaring-coverage rebuild). Throws config::ConfigError naming the key when it is not
// set or cannot be read.
grpc::TokenSource credentials(const CommonSettings& settings);

// How a service reaches Kafka: kafka.bootstrap_servers and kafka.properties.* (librdkafka's).
kafka::Settings read_kafka(config::Reader& reader);

// A topic a service follows: its setting (kafka.topics.<name>) and the topic by default.
struct Topic {
  std::string name;  // registration, contribution, claims, csr
  std::string fallback;
};
// The consumer group of `service`: kafka.group_id (jaring-<service>), the topics it follows (an
// empty name turns one off) and kafka.session_timeout_ms.
kafka::ConsumerOptions read_consumer(config::Reader& reader, const std::string& service,
                                     const std::vector<Topic>& topics);

// The text of the settings file `key` names, or `compiled_in` when it names none. Throws
// config::ConfigError naming the key when the file cannot be read.
std::string file_or_compiled_in(const std::string& key, const std::string& file, const char* compiled_in);
// A start-up error for a settings file whose content breaks a rule: the key, then each rule.
config::ConfigError invalid_file(const std::string& key, const Error& error);
// A table of effective-dated figures (tariffs, benefits) from the file `key` names, or the one
// compiled in: Table::parse(text, source) checks it; a broken table stops the start naming `key`.
template <typename Table>
Table load_table(const std::string& key, const std::string& file, const char* compiled_in,
                 const std::string& what) {
  auto table = Table::parse(file_or_compiled_in(key, file, compiled_in),
                            file.empty() ? what + " (compiled in)" : file);
  if (!table) throw invalid_file(key, table.error());
  return std::move(*table);
}

// Readiness of a service whose state is its SQLite store: ready while the store answers and can
// write (after a write failed for lack of space, until a probe write commits again). With Kafka
// away it still takes work into its outbox, and the relay publishes it later.
metrics::ReadyCheck store_ready(store::Database& db);

// The running parts a service's main wires together.
struct Runtime {
  std::string name;
  CommonSettings common;
  metrics::Registry metrics;
  grpc::Server grpc;
  std::unique_ptr<metrics::AdminServer> admin;
  std::unique_ptr<auth::Verifier> verifier;
  // The audit trail in the service's store (StoreAndOutbox sets it); null for a service without one.
  std::unique_ptr<audit::Trail> trail;

  // Business time for the core and the calendar: the system clock, or the test clock that
  // clock.test_file names. Tokens are checked against the system clock either way.
  const Clock& clock() const { return *clock_; }

  // Installs JSON logging first, so that everything built after it logs in that form. Reads the
  // JWKS: a missing or empty one stops the start.
  Runtime(std::string service, CommonSettings settings);
  ~Runtime();
  // The edge every handler of the proto service `proto_service` goes through (one per service).
  grpc::Edge& edge(const std::string& proto_service);
  // This service's credential for calls to others (auth.token_file). Throws config::ConfigError
  // naming the key when it is not set or cannot be read.
  grpc::TokenSource credentials() const;
  // Starts gRPC (with the audit trail's AuditService when there is a trail) and the admin
  // endpoint; readiness asks `ready`, and /readyz's body adds what `notes` say.
  void start(metrics::ReadyCheck ready, std::vector<metrics::ReadyNote> notes = {});
  void stop();

 private:
  std::unique_ptr<Clock> clock_;
  SystemClock wall_clock_;
  std::vector<std::unique_ptr<grpc::Edge>> edges_;
  std::unique_ptr<grpc::AuditService> audit_service_;
};

// The business clock `settings` name: the system clock, or a FileClock on clock_test_file.
// Throws config::ConfigError naming clock.test_file when that file holds no instant.
std::unique_ptr<Clock> make_clock(const CommonSettings& settings);

// What the services whose state is a SQLite store wire the same way: the store with its
// migrations, the outbox relay that publishes what it commits, and a consumer of the other
// services' events whose batches apply in one store transaction.
class StoreAndOutbox {
 public:
  StoreAndOutbox(Runtime& runtime, const std::string& store_path,
                 const std::vector<store::Migration>& migrations, const kafka::Settings& kafka);
  store::Database& db() { return *db_; }
  // The consumer's handler, set to apply each batch in one transaction of the store.
  kafka::BatchHandler& batched(events::EnvelopeHandler& handler);
  // Starts the relay, the consumer and serving (ready while the store answers: with Kafka away
  // the service still takes work into its outbox), waits for SIGTERM or SIGINT, then stops them
  // in the reverse order.
  void serve(kafka::Consumer& consumer);

 private:
  Runtime& runtime_;
  // Held while serving: a restore (or a second process on the same volume) is refused meanwhile.
  std::unique_ptr<store::StoreLock> lock_;
  std::unique_ptr<store::Database> db_;
  kafka::Producer producer_;
  kafka::OutboxRelay relay_;
};

// The keys that seal personal data in this service's store: crypto.key_file (required; written
// by `jaringctl keys new`). Throws config::ConfigError naming the key and the broken rule; when
// the key is missing, the reader's finish() does.
crypto::Keys read_data_keys(config::Reader& reader);

// `jaring-<service> rekey`: opens the store at `store_path` (applying its migrations), re-seals
// every value of `tables` not under the current keys, and prints for each table how its values
// stood before and after. The service may keep running meanwhile. Returns the exit code.
int rekey(const std::string& store_path, const std::vector<store::Migration>& migrations,
          const crypto::Sealer& sealer, const std::vector<crypto::SealedTable>& tables);

// A command of a service's program besides serving (`jaring-coverage rebuild`), with the same
// --config.
struct Command {
  std::string name;
  std::string help;
  std::function<int(const config::Source&)> body;
  // Declares the command's own options on its subcommand (CLI11), binding them to values the
  // body reads: both lambdas share them (a shared_ptr they capture). None when empty.
  std::function<void(CLI::App&)> options = {};
};

// The store of a service whose state is one SQLite file: its path (store.path) and the
// migrations this release applies to it.
struct StoreFile {
  std::string path;
  std::vector<store::Migration> migrations;
  // What the migrations refer to and must outlive them (the Sealer of a store that seals).
  std::shared_ptr<const void> keep_alive = {};
};

// `backup --to PATH [--force]` and `restore --from PATH` of a service whose store `store` reads
// from the settings (docs/operations.md, "Backup and restore"). A backup runs beside the serving
// service; a restore refuses while the service holds the store.
std::vector<Command> store_commands(const std::function<StoreFile(const config::Source&)>& store);

// The `rekey` command of a service whose store adapter `Store` seals personal data (it has
// migrations(sealer) and sealed_tables()); `read` returns the service's settings, with their
// store_path and keys.
template <typename Store, typename Read>
Command rekey_command(Read read) {
  return {"rekey", "re-seal the personal data in the store under the current keys of crypto.key_file",
          [read](const config::Source& source) {
            const auto settings = read(source);
            const crypto::Sealer sealer(settings.keys);
            return rekey(settings.store_path, Store::migrations(sealer), sealer, Store::sealed_tables());
          }};
}

// The store of a service whose migrations need no settings: store.path (`fallback` by default).
std::function<StoreFile(const config::Source&)> plain_store(std::string fallback,
                                                            std::vector<store::Migration> (*migrations)());

// The store of a service whose store adapter `Store` seals personal data (migrations(sealer));
// `read` returns the service's settings, with their store_path and keys.
template <typename Store, typename Read>
std::function<StoreFile(const config::Source&)> sealed_store(Read read) {
  return [read](const config::Source& source) {
    const auto settings = read(source);
    auto sealer = std::make_shared<const crypto::Sealer>(settings.keys);
    return StoreFile{settings.store_path, Store::migrations(*sealer), sealer};
  };
}

// A service's commands: `rekey` (for a store that seals) and the store's backup and restore.
template <typename Store, typename Read>
std::vector<Command> sealed_store_commands(Read read) {
  auto commands = store_commands(sealed_store<Store>(read));
  commands.insert(commands.begin(), rekey_command<Store>(read));
  return commands;
}

// Parses --config (or JARING_CONFIG) and an optional command, sets up signals and logging, runs
// the command's body or else `serve`, and turns start-up failures into a clear message and exit
// code 2. `serve` returns the exit code after calling wait_for_shutdown().
int run(const std::string& service, int argc, char** argv,
        const std::function<int(const config::Source&)>& serve, const std::vector<Command>& commands = {});

// The same with the commands first, for a main whose `serve` is a lambda written in place.
inline int run(const std::string& service, int argc, char** argv, const std::vector<Command>& commands,
               const std::function<int(const config::Source&)>& serve) {
  return run(service, argc, argv, serve, commands);
}

// Blocks until SIGTERM or SIGINT.
void wait_for_shutdown();

}  // namespace jaring::service

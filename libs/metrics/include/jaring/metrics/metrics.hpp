#pragma once
// Prometheus metrics named jaring_<service>_<name>_<unit>, and the admin HTTP endpoint every
// service exposes: /metrics, /healthz (the process is alive) and /readyz (it can do its work).

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace httplib {
class Server;
}

namespace jaring::metrics {

class Registry {
 public:
  explicit Registry(std::string service);

  // `name` is the part after jaring_<service>_, e.g. "rpc_requests_total".
  prometheus::Family<prometheus::Counter>& counter(std::string_view name, std::string_view help);
  prometheus::Family<prometheus::Gauge>& gauge(std::string_view name, std::string_view help);
  prometheus::Family<prometheus::Histogram>& histogram(std::string_view name, std::string_view help);

  // Latency buckets in seconds, from 0.5 ms to 10 s.
  static prometheus::Histogram::BucketBoundaries latency_buckets();

  // The Prometheus text exposition of every metric.
  std::string serialize() const;
  const std::string& service() const { return service_; }

 private:
  std::string full_name(std::string_view name) const;
  std::string service_;
  std::shared_ptr<prometheus::Registry> registry_;
};

// Returns nullopt when ready, or the reason it is not.
using ReadyCheck = std::function<std::optional<std::string>()>;
// A remark /readyz adds to its body without changing its answer, for a condition an operator
// should see that does not make the answers wrong (a stalled outbox relay: writes wait safely in
// the outbox). Returns nullopt when there is nothing to say.
using ReadyNote = std::function<std::optional<std::string>()>;

// An HTTP server (cpp-httplib) serving in a background thread: the admin endpoint and the
// coverage dashboard both run on one.
// HTTPS for an HTTP server (admin.tls.*, dashboard.tls.*): both files or neither. The files are
// checked again at most every `refresh_seconds` when a client connects, so a rotated certificate
// serves new connections without a restart.
struct HttpTls {
  std::string cert_file{};
  std::string key_file{};
  int refresh_seconds = 60;
  bool enabled() const { return !cert_file.empty(); }
};

class HttpServer {
 public:
  // Plain HTTP, or HTTPS only when `tls` is enabled. Throws std::runtime_error when the
  // certificate or key cannot be loaded (naming the files, never their content).
  explicit HttpServer(const HttpTls& tls = {});
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  httplib::Server& http() { return *server_; }
  // Binds host:port (port 0 picks a free one) and serves in a background thread. Throws
  // std::runtime_error naming `what` when the address cannot be bound.
  void start(const std::string& host, int port, const std::string& what);
  void stop();
  int port() const { return port_; }

 private:
  struct Certificates;
  std::shared_ptr<Certificates> certificates_;  // before server_, whose callbacks use it
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

// HTTP server for /metrics, /healthz and /readyz on its own port; services may add routes.
// /readyz answers 200 "ready" or 503 "not ready: <reason>", then one line per note that has
// something to say.
class AdminServer {
 public:
  AdminServer(Registry& registry, ReadyCheck ready, const HttpTls& tls = {},
              std::vector<ReadyNote> notes = {});
  ~AdminServer();
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  // Binds host:port (port 0 picks a free one) and serves in a background thread.
  // Throws std::runtime_error when the address cannot be bound.
  void start(const std::string& host, int port) { server_.start(host, port, "HTTP (metrics)"); }
  void stop() { server_.stop(); }
  int port() const { return server_.port(); }
  httplib::Server& http() { return server_.http(); }

 private:
  Registry& registry_;
  ReadyCheck ready_;
  std::vector<ReadyNote> notes_;
  HttpServer server_;
};

}  // namespace jaring::metrics

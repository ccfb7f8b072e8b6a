#include "jaring/metrics/metrics.hpp"

#include <httplib.h>
#include <prometheus/text_serializer.h>

#include <chrono>
#include <stdexcept>

#include <fmt/format.h>

namespace jaring::metrics {

Registry::Registry(std::string service)
    : service_(std::move(service)), registry_(std::make_shared<prometheus::Registry>()) {}

std::string Registry::full_name(std::string_view name) const {
  std::string svc = service_;
  for (auto& c : svc) {
    if (c == '-') c = '_';
  }
  return fmt::format("jaring_{}_{}", svc, name);
}

prometheus::Family<prometheus::Counter>& Registry::counter(std::string_view name, std::string_view help) {
  return prometheus::BuildCounter().Name(full_name(name)).Help(std::string(help)).Register(*registry_);
}

prometheus::Family<prometheus::Gauge>& Registry::gauge(std::string_view name, std::string_view help) {
  return prometheus::BuildGauge().Name(full_name(name)).Help(std::string(help)).Register(*registry_);
}

prometheus::Family<prometheus::Histogram>& Registry::histogram(std::string_view name, std::string_view help) {
  return prometheus::BuildHistogram().Name(full_name(name)).Help(std::string(help)).Register(*registry_);
}

prometheus::Histogram::BucketBoundaries Registry::latency_buckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

std::string Registry::serialize() const {
  return prometheus::TextSerializer().Serialize(registry_->Collect());
}

HttpServer::HttpServer() : server_(std::make_unique<httplib::Server>()) {}

HttpServer::~HttpServer() { stop(); }

void HttpServer::start(const std::string& host, int port, const std::string& what) {
  if (port == 0) {
    port_ = server_->bind_to_any_port(host);
  } else if (server_->bind_to_port(host, port)) {
    port_ = port;
  } else {
    port_ = -1;
  }
  if (port_ <= 0) throw std::runtime_error(fmt::format("cannot listen on {}:{} for {}", host, port, what));
  // The socket already listens after bind: clients queue until the accept loop runs.
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  // stop() before the loop runs would be lost and join() would hang: wait for it to run.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!server_->is_running() && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
}

void HttpServer::stop() {
  if (thread_.joinable()) {
    server_->stop();
    thread_.join();
  }
}

AdminServer::AdminServer(Registry& registry, ReadyCheck ready)
    : registry_(registry), ready_(std::move(ready)) {
  auto& routes = http();
  routes.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(registry_.serialize(), "text/plain; version=0.0.4");
  });
  routes.Get("/healthz",
             [](const httplib::Request&, httplib::Response& res) { res.set_content("ok\n", "text/plain"); });
  routes.Get("/readyz", [this](const httplib::Request&, httplib::Response& res) {
    const auto reason = ready_ ? ready_() : std::nullopt;
    if (reason) {
      res.status = 503;
      res.set_content("not ready: " + *reason + "\n", "text/plain");
    } else {
      res.set_content("ready\n", "text/plain");
    }
  });
}

AdminServer::~AdminServer() { stop(); }

}  // namespace jaring::metrics

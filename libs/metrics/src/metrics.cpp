#include "jaring/metrics/metrics.hpp"

#include <httplib.h>
#include <prometheus/text_serializer.h>

#include <chrono>
#include <filesystem>
#include <mutex>
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

// The certificate and key an HTTPS server presents, loaded again when their files change.
struct HttpServer::Certificates {
  HttpTls files;
  std::mutex mutex;
  std::chrono::steady_clock::time_point checked{};
  std::filesystem::file_time_type cert_time{};
  std::filesystem::file_time_type key_time{};
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> current{nullptr, SSL_CTX_free};

  // A context holding the files' certificate chain and key, or nullptr when they do not load.
  static SSL_CTX* load(const HttpTls& files) {
    SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
    if (ctx == nullptr) return nullptr;
    if (SSL_CTX_use_certificate_chain_file(ctx, files.cert_file.c_str()) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, files.key_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1) {
      SSL_CTX_free(ctx);
      return nullptr;
    }
    return ctx;
  }

  // At start: the files must load.
  explicit Certificates(HttpTls tls) : files(std::move(tls)) {
    if (!reload())
      throw std::runtime_error(
          fmt::format("cannot load the certificate {} with the key {}", files.cert_file, files.key_file));
  }

  bool reload() {
    std::error_code ec;
    const auto cert = std::filesystem::last_write_time(files.cert_file, ec);
    const auto key = ec ? cert : std::filesystem::last_write_time(files.key_file, ec);
    if (ec) return false;
    if (current && cert == cert_time && key == key_time) return true;
    SSL_CTX* fresh = load(files);
    if (fresh == nullptr) return false;  // half-written: keep serving the one we have
    current.reset(fresh);
    cert_time = cert;
    key_time = key;
    return true;
  }

  // Per handshake: the current certificate and key on this connection.
  static int on_handshake(SSL* ssl, void* self) {
    auto& c = *static_cast<Certificates*>(self);
    std::lock_guard lock(c.mutex);
    const auto now = std::chrono::steady_clock::now();
    if (now - c.checked >= std::chrono::seconds(c.files.refresh_seconds)) {
      c.checked = now;
      c.reload();
    }
    if (!c.current) return 0;
    X509* cert = SSL_CTX_get0_certificate(c.current.get());
    EVP_PKEY* key = SSL_CTX_get0_privatekey(c.current.get());
    STACK_OF(X509)* chain = nullptr;
    SSL_CTX_get0_chain_certs(c.current.get(), &chain);
    return SSL_use_cert_and_key(ssl, cert, key, chain, 1) == 1 ? 1 : 0;
  }
};

HttpServer::HttpServer(const HttpTls& tls) {
  if (!tls.enabled()) {
    server_ = std::make_unique<httplib::Server>();
    return;
  }
  if (tls.key_file.empty()) throw std::runtime_error("a certificate " + tls.cert_file + " without its key");
  certificates_ = std::make_shared<Certificates>(tls);
  auto* certificates = certificates_.get();
  server_ = std::make_unique<httplib::SSLServer>([certificates](SSL_CTX& ctx) {
    SSL_CTX_set_min_proto_version(&ctx, TLS1_2_VERSION);
    SSL_CTX_set_cert_cb(&ctx, &Certificates::on_handshake, certificates);
    return true;
  });
}

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

AdminServer::AdminServer(Registry& registry, ReadyCheck ready, const HttpTls& tls,
                         std::vector<ReadyNote> notes)
    : registry_(registry), ready_(std::move(ready)), notes_(std::move(notes)), server_(tls) {
  auto& routes = http();
  routes.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(registry_.serialize(), "text/plain; version=0.0.4");
  });
  routes.Get("/healthz",
             [](const httplib::Request&, httplib::Response& res) { res.set_content("ok\n", "text/plain"); });
  routes.Get("/readyz", [this](const httplib::Request&, httplib::Response& res) {
    const auto reason = ready_ ? ready_() : std::nullopt;
    std::string body = reason ? "not ready: " + *reason + "\n" : "ready\n";
    for (const auto& note : notes_) {
      if (const auto line = note ? note() : std::nullopt) body += *line + "\n";
    }
    if (reason) res.status = 503;
    res.set_content(body, "text/plain");
  });
}

AdminServer::~AdminServer() { stop(); }

}  // namespace jaring::metrics

#pragma once
// What every service's main() shares: command line (--config), settings every service has,
// JSON logging, metrics with /healthz and /readyz, the gRPC server, and waiting for SIGTERM.
// A service's main only wires its own adapters into its core between start and wait.

#include <functional>
#include <memory>
#include <string>

#include "jaring/config/config.hpp"
#include "jaring/grpc/server.hpp"
#include "jaring/metrics/metrics.hpp"

namespace jaring::service {

struct CommonSettings {
  std::string log_level;
  config::HostPort grpc_listen;
  config::HostPort admin_listen;  // /metrics, /healthz, /readyz
};

CommonSettings read_common(config::Reader& reader, int grpc_port, int admin_port);

// The running parts a service's main wires together.
struct Runtime {
  std::string name;
  CommonSettings common;
  metrics::Registry metrics;
  grpc::Server grpc;
  std::unique_ptr<metrics::AdminServer> admin;

  // Installs JSON logging first, so that everything built after it logs in that form.
  Runtime(std::string service, CommonSettings settings);
  // Starts gRPC and the admin endpoint; readiness asks `ready`.
  void start(metrics::ReadyCheck ready);
  void stop();
};

// Parses --config (or JARING_CONFIG), sets up signals and logging, runs `body`, and turns
// start-up failures into a clear message and exit code 2. `body` returns the exit code after
// calling wait_for_shutdown().
int run(const std::string& service, int argc, char** argv,
        const std::function<int(const config::Source&)>& body);

// Blocks until SIGTERM or SIGINT.
void wait_for_shutdown();

}  // namespace jaring::service

#pragma once
// The embedded stack on one machine: redis-server, jaring-devkafka and the services, each a
// separate process on loopback with its log and state under a run directory. `make up` starts
// it detached (jaring-stack), the end-to-end tests start it as their children; both stop
// exactly the processes they started, by PID.

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "jaring/auth/local.hpp"
#include "jaring/grpc/tls.hpp"
#include "jaring/process/process.hpp"

namespace jaring::stack {

struct Options {
  std::filesystem::path run_dir;     // logs/, data/, stack.json, endpoints.json
  std::filesystem::path bin_dir;     // where jaring-* binaries are
  std::filesystem::path config_dir;  // deploy/local: topics.yaml
  bool detach = false;               // outlive this process (make up)
  bool preferred_ports = false;      // the well-known ports when free (make up), else any free port
  std::string log_level = "info";
  // Which services to start (redis and devkafka always start); empty: all of them. A benchmark
  // of one service leaves the others out so that they do not share its cores.
  std::vector<std::string> services;
  // gRPC with TLS, and client certificates required between everyone (a local CA under
  // run_dir/tls). Off only for a test of plaintext itself.
  bool tls = true;
  // A whole-stack test clock: every service reads business time from run_dir/clock (clock.test_file
  // with clock.allow_test), which starts at the wall clock's now unless it exists; move it with
  // set_test_clock (jaringctl dev clock set).
  bool test_clock = false;
  // More settings of a service, as JARING_* variables over those the stack sets (a test of
  // coverage's shared snapshots sets JARING_SNAPSHOTS_STORE=kafka).
  std::map<std::string, std::map<std::string, std::string>> settings{};

  // What a benchmark uses: the given folders made absolute, logs at warn so they do not cost.
  static Options for_benchmark(const std::filesystem::path& run_dir, const std::filesystem::path& bin_dir,
                               const std::filesystem::path& config_dir) {
    Options o;
    o.run_dir = run_dir;
    o.bin_dir = std::filesystem::absolute(bin_dir);
    o.config_dir = std::filesystem::absolute(config_dir);
    o.log_level = "warn";
    return o;
  }
};

// Where each part listens.
struct Endpoints {
  std::string kafka_bootstrap;
  std::string redis;                // host:port
  std::string redis_password_file;  // its password (run_dir/auth/redis.password, 0600)
  // The keys registration and claims seal personal data with (run_dir/auth/data-keys.yaml, 0600).
  std::string data_keys_file;
  // The test clock's file when the stack runs on one (Options::test_clock), else empty.
  std::string clock_file;
  struct Service {
    std::string grpc;       // host:port
    std::string metrics;    // http://host:port (/metrics, /healthz, /readyz)
    std::string dashboard;  // coverage only: http://host:port/
  };
  std::map<std::string, Service> services;
  // The local identity provider: its key folder (run_dir/auth), the issuer and the JWKS every
  // service verifies tokens with. jaringctl signs its local tokens with the key there.
  std::string auth_dir;
  std::string issuer;
  // What a client of this stack calls with: the local CA and a client certificate (empty files
  // when the stack runs plaintext). jaringctl reads it from endpoints.json.
  grpc::TlsFiles tls;
  nlohmann::json to_json() const;
  // The password in redis_password_file, for a benchmark or test that talks to Redis itself.
  std::string redis_password() const;
};

class Stack {
 public:
  explicit Stack(Options options);
  ~Stack();  // stops what it started unless released

  // Starts every member in order and waits until each is ready. Throws std::runtime_error
  // naming the member that failed, with the end of its log.
  void start();
  // Stops every member in reverse order.
  void stop();
  // SIGKILL one member (crash tests) / start it again with the same settings and wait for it.
  void kill(const std::string& name);
  void restart(const std::string& name);
  // SIGTERM one member and wait for it to leave, SIGKILL after `grace`: how long it took to
  // leave and its exit status (-SIGKILL when it had to be killed). restart() brings it back.
  struct Exit {
    std::chrono::milliseconds took{};
    int status = 0;
  };
  Exit terminate(const std::string& name, std::chrono::milliseconds grace = std::chrono::seconds(10));
  // The environment a member runs with (its settings): for a command that must read the same,
  // such as `jaring-registration rekey`.
  const std::map<std::string, std::string>& environment(const std::string& name) const;
  // Leaves the members running and forgets them (make up writes stack.json first).
  void release();

  const Endpoints& endpoints() const { return endpoints_; }
  // The local identity provider, once start() made or found its key: tokens for tests.
  const auth::LocalAuthority& authority() const;
  // A token for `role` over every Jakarta branch and area 31 (with the agent or sponsor id the
  // role needs, when given), signed by the local key.
  std::string token(std::string_view role, std::string_view subject, std::string agent = {},
                    std::string sponsor = {}) const;
  std::vector<std::pair<std::string, pid_t>> members() const;
  // A channel to `service` as a client of this stack calls it (TLS with the client certificate).
  std::shared_ptr<::grpc::Channel> channel(const std::string& service) const;
  // Writes stack.json (who runs, by PID) and endpoints.json into the run directory.
  void write_state() const;

 private:
  struct Member;
  void start_member(Member& member);
  void wait_ready(Member& member);
  int port(int preferred);
  Options options_;
  Endpoints endpoints_;
  std::unique_ptr<auth::LocalAuthority> authority_;
  std::vector<std::unique_ptr<Member>> members_;
};

// For `make down`: stops the members listed in run_dir/stack.json, checking that each PID still
// runs the program that was started. Returns how many were stopped.
int stop_recorded(const std::filesystem::path& run_dir);
// True when stack.json lists members and at least one of them is alive.
bool recorded_running(const std::filesystem::path& run_dir);

// A counter or gauge read from a service's /metrics (`metrics_url` as in Endpoints), summed over
// its labels; 0 when absent or unreachable. For benchmarks and tests that watch a running stack.
double scrape_metric(const std::string& metrics_url, const std::string& name);

}  // namespace jaring::stack

#include "jaring/stack/stack.hpp"

#include <httplib.h>
#include <signal.h>

#include <algorithm>
#include <fstream>
#include <optional>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <tuple>

#include <fmt/format.h>

#include "jaring/areas/areas.hpp"
#include "jaring/common/clock.hpp"
#include "jaring/common/secret_file.hpp"
#include "jaring/crypto/keys.hpp"
#include "jaring/stack/local_tls.hpp"

namespace jaring::stack {
namespace fs = std::filesystem;
using namespace std::chrono_literals;

struct Stack::Member {
  std::string name;
  process::Spec spec;
  std::string ready_url;  // http GET answering 200 when ready; empty: ready_file
  fs::path ready_file;    // a file the member writes when ready (devkafka's bootstrap)
  std::unique_ptr<process::Process> process;
};

namespace {

std::string tail(const fs::path& log, std::size_t lines) {
  std::ifstream in(log);
  std::vector<std::string> all;
  for (std::string line; std::getline(in, line);) all.push_back(line);
  std::string out;
  for (std::size_t i = all.size() > lines ? all.size() - lines : 0; i < all.size(); ++i)
    out += "  | " + all[i] + "\n";
  return out;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

bool http_ok(const std::string& url) {
  // url: http://host:port/path
  const auto rest = url.substr(7);
  const auto slash = rest.find('/');
  const auto hostport = rest.substr(0, slash);
  const auto colon = hostport.rfind(':');
  httplib::Client client(hostport.substr(0, colon), std::stoi(hostport.substr(colon + 1)));
  client.set_connection_timeout(1, 0);
  client.set_read_timeout(2, 0);
  auto res = client.Get(rest.substr(slash));
  return res && res->status == 200;
}

// 32 hex digits from the kernel's generator: a local stack's Redis password.
std::string random_secret() {
  std::ifstream urandom("/dev/urandom", std::ios::binary);
  unsigned char bytes[16];
  if (!urandom.read(reinterpret_cast<char*>(bytes), sizeof bytes))
    throw std::runtime_error("cannot read /dev/urandom for the Redis password");
  return fmt::format("{:02x}", fmt::join(bytes, ""));
}

// The program a PID runs now, to be sure a recorded PID was not reused by something else.
std::string exe_of(pid_t pid) {
  std::error_code ec;
  const auto target = fs::read_symlink(fmt::format("/proc/{}/exe", pid), ec);
  return ec ? std::string() : target.string();
}

}  // namespace

nlohmann::json Endpoints::to_json() const {
  nlohmann::json services_json = nlohmann::json::object();
  for (const auto& [name, s] : services) {
    nlohmann::json one = {{"grpc", s.grpc}, {"metrics", s.metrics}};
    if (!s.dashboard.empty()) one["dashboard"] = s.dashboard;
    services_json[name] = one;
  }
  nlohmann::json out = {
      {"kafka_bootstrap", kafka_bootstrap},
      {"redis", redis},
      {"redis_password_file", redis_password_file},
      {"data_keys_file", data_keys_file},
      {"services", services_json},
      {"auth", {{"dir", auth_dir}, {"issuer", issuer}, {"jwks_file", auth_dir + "/jwks.json"}}}};
  if (!clock_file.empty()) out["clock_file"] = clock_file;
  if (tls.calls_with_tls())
    out["tls"] = {{"ca_file", tls.ca_file}, {"cert_file", tls.cert_file}, {"key_file", tls.key_file}};
  return out;
}

std::string Endpoints::redis_password() const { return read_secret_file(redis_password_file).value_or(""); }

Stack::Stack(Options options) : options_(std::move(options)) {}

Stack::~Stack() {
  try {
    stop();
  } catch (...) {
  }
}

int Stack::port(int preferred) {
  if (options_.preferred_ports && !process::port_open("127.0.0.1", preferred)) return preferred;
  return process::free_port();
}

const auth::LocalAuthority& Stack::authority() const {
  if (!authority_) throw std::logic_error("the stack has not started: no local key yet");
  return *authority_;
}

std::string Stack::token(std::string_view role, std::string_view subject, std::string agent,
                         std::string sponsor) const {
  std::vector<std::string> branches;
  for (const auto& b : areas::BranchMap::jakarta().branches()) branches.push_back(b.code);
  return authority().token_for(role, subject, std::move(branches), {"31"}, std::move(agent),
                               std::move(sponsor));
}

void Stack::start() {
  // Logs, stores and keys hold personal data and secrets: folders for the owner only.
  for (const auto& dir : {options_.run_dir, options_.run_dir / "logs", options_.run_dir / "data"}) {
    fs::create_directories(dir);
    fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace);
  }
  // The local identity provider: a key made once per run folder, a token per service.
  authority_ = std::make_unique<auth::LocalAuthority>(
      auth::LocalAuthority::open_or_create(fs::absolute(options_.run_dir) / "auth"));
  endpoints_.auth_dir = (fs::absolute(options_.run_dir) / "auth").string();
  endpoints_.issuer = authority_->issuer();
  // The keys that seal personal data, made once per run folder (`jaringctl keys rotate` adds one).
  const auto data_keys = fs::absolute(options_.run_dir) / "auth" / "data-keys.yaml";
  if (!fs::exists(data_keys)) {
    if (auto written = crypto::Keys::generate().write(data_keys.string()); !written)
      throw std::runtime_error(written.error().message);
  }
  endpoints_.data_keys_file = data_keys.string();
  std::optional<LocalTls> tls;
  if (options_.tls) {
    tls = LocalTls::open_or_create(fs::absolute(options_.run_dir) / "tls");
    endpoints_.tls = tls->client("operator");
  }
  const auto bin = [&](const char* name) { return (options_.bin_dir / name).string(); };
  const auto log = [&](const std::string& name) {
    return (options_.run_dir / "logs" / (name + ".log")).string();
  };

  auto redis = std::make_unique<Member>();
  const int redis_port = port(6380);
  endpoints_.redis = fmt::format("127.0.0.1:{}", redis_port);
  fs::create_directories(options_.run_dir / "data" / "redis");
  // Redis wants a password, made once per run folder; it goes to redis-server in a config file
  // (a command line is readable by every local user) and to coverage as a file.
  const auto password_file = fs::absolute(options_.run_dir) / "auth" / "redis.password";
  if (!fs::exists(password_file)) std::ofstream(password_file) << random_secret() << "\n";
  fs::permissions(password_file, fs::perms::owner_read | fs::perms::owner_write, fs::perm_options::replace);
  endpoints_.redis_password_file = password_file.string();
  const auto redis_conf = options_.run_dir / "data" / "redis" / "redis.conf";
  std::ofstream(redis_conf) << "requirepass " << endpoints_.redis_password() << "\n";
  fs::permissions(redis_conf, fs::perms::owner_read | fs::perms::owner_write, fs::perm_options::replace);
  redis->name = "redis";
  redis->spec = {"redis",
                 {"/usr/bin/redis-server", fs::absolute(redis_conf).string(), "--port",
                  std::to_string(redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                  "--dir", (options_.run_dir / "data" / "redis").string()},
                 {},
                 log("redis"),
                 "",
                 options_.detach};
  members_.push_back(std::move(redis));

  auto kafka = std::make_unique<Member>();
  kafka->name = "devkafka";
  kafka->ready_file = options_.run_dir / "kafka.bootstrap";
  fs::remove(kafka->ready_file);
  // A fixed port: a restarted broker comes back where every service looks for it.
  kafka->spec = {"devkafka",
                 {bin("jaring-devkafka"), "--topics-file", (options_.config_dir / "topics.yaml").string(),
                  "--bootstrap-file", kafka->ready_file.string(), "--port", std::to_string(port(9092))},
                 {},
                 log("devkafka"),
                 "",
                 options_.detach};
  members_.push_back(std::move(kafka));
  for (auto& m : members_) start_member(*m);
  endpoints_.kafka_bootstrap = read_file(members_[1]->ready_file);
  while (!endpoints_.kafka_bootstrap.empty() &&
         std::isspace(static_cast<unsigned char>(endpoints_.kafka_bootstrap.back()))) {
    endpoints_.kafka_bootstrap.pop_back();
  }

  if (options_.test_clock) {
    const auto clock_file = fs::absolute(options_.run_dir) / "clock";
    if (!fs::exists(clock_file)) FileClock::write(clock_file.string(), std::chrono::system_clock::now());
    endpoints_.clock_file = clock_file.string();
  }

  struct ServicePorts {
    const char* name;
    int grpc, admin, dashboard;
  };
  // Coverage last: its rebuild asks every other service for its export.
  for (const auto& s :
       {ServicePorts{"registration", 50051, 9101, 0}, ServicePorts{"contribution", 50053, 9103, 0},
        ServicePorts{"claims", 50054, 9104, 0}, ServicePorts{"csr-donor", 50055, 9105, 0},
        ServicePorts{"coverage", 50052, 9102, 8080}}) {
    if (!options_.services.empty() &&
        std::find(options_.services.begin(), options_.services.end(), s.name) == options_.services.end()) {
      continue;
    }
    auto member = std::make_unique<Member>();
    member->name = s.name;
    Endpoints::Service ep;
    const int grpc_port = port(s.grpc);
    const int admin_port = port(s.admin);
    ep.grpc = fmt::format("127.0.0.1:{}", grpc_port);
    ep.metrics = fmt::format("http://127.0.0.1:{}", admin_port);
    std::map<std::string, std::string> env = {
        {"JARING_GRPC_LISTEN", ep.grpc},
        {"JARING_ADMIN_LISTEN", fmt::format("127.0.0.1:{}", admin_port)},
        {"JARING_KAFKA_BOOTSTRAP_SERVERS", endpoints_.kafka_bootstrap},
        {"JARING_LOG_LEVEL", options_.log_level},
        {"JARING_AUTH_JWKS_FILE", authority_->jwks_file().string()},
        {"JARING_AUTH_ISSUER", authority_->issuer()},
        // The service's own credential for its calls to other services; a local stack's lasts
        // 30 days (production's come from the identity provider and rotate).
        {"JARING_AUTH_TOKEN_FILE",
         authority_->write_service_token(s.name, std::chrono::hours(24 * 30)).string()},
    };
    if (tls) {
      const auto files = tls->service(s.name);
      env["JARING_TLS_CERT_FILE"] = files.cert_file;
      env["JARING_TLS_KEY_FILE"] = files.key_file;
      env["JARING_TLS_CA_FILE"] = files.ca_file;
      env["JARING_TLS_CLIENT_CA_FILE"] = files.client_ca_file;
    }
    if (!endpoints_.clock_file.empty()) {
      env["JARING_CLOCK_TEST_FILE"] = endpoints_.clock_file;
      env["JARING_CLOCK_ALLOW_TEST"] = "true";
      // A moved clock is noticed within a second by the services that keep a calendar.
      if (std::string_view(s.name) == "contribution" || std::string_view(s.name) == "coverage")
        env["JARING_CALENDAR_INTERVAL_SECONDS"] = "1";
      // The dashboard's trend takes its point of each day the clock visits (one a day).
      if (std::string_view(s.name) == "coverage") env["JARING_COVERAGE_TREND_INTERVAL_SECONDS"] = "1";
    }
    if (std::string_view(s.name) == "registration" || std::string_view(s.name) == "claims") {
      env["JARING_CRYPTO_KEY_FILE"] = endpoints_.data_keys_file;
    }
    if (std::string_view(s.name) == "registration") {
      env["JARING_STORE_PATH"] = (options_.run_dir / "data" / "registration.db").string();
    }
    if (std::string_view(s.name) == "contribution") {
      env["JARING_STORE_PATH"] = (options_.run_dir / "data" / "contribution.db").string();
    }
    if (std::string_view(s.name) == "claims") {
      env["JARING_STORE_PATH"] = (options_.run_dir / "data" / "claims.db").string();
      // A claim's participant is registration's answer (GetParticipantFacts).
      if (endpoints_.services.contains("registration"))
        env["JARING_REGISTRATION_ADDRESS"] = endpoints_.services.at("registration").grpc;
    }
    if (std::string_view(s.name) == "csr-donor") {
      env["JARING_STORE_PATH"] = (options_.run_dir / "data" / "csr-donor.db").string();
      // New workers in proposals go through registration; budget quotes ask contribution.
      if (endpoints_.services.contains("registration"))
        env["JARING_REGISTRATION_ADDRESS"] = endpoints_.services.at("registration").grpc;
      if (endpoints_.services.contains("contribution"))
        env["JARING_CONTRIBUTION_ADDRESS"] = endpoints_.services.at("contribution").grpc;
    }
    if (s.dashboard != 0) {
      const int dashboard_port = port(s.dashboard);
      ep.dashboard = fmt::format("http://127.0.0.1:{}/", dashboard_port);
      env["JARING_DASHBOARD_LISTEN"] = fmt::format("127.0.0.1:{}", dashboard_port);
      env["JARING_REDIS_ADDRESS"] = endpoints_.redis;
      env["JARING_REDIS_PASSWORD_FILE"] = endpoints_.redis_password_file;
      env["JARING_SNAPSHOTS_PATH"] = (options_.run_dir / "data" / "coverage-snapshots.db").string();
      env["JARING_REGISTRATION_ADDRESS"] = endpoints_.services.at("registration").grpc;
      // The owners of the other topics it follows; a topic whose owner is not in this stack is
      // not followed (nothing would be on it, and the rebuild could not ask for its export).
      for (const auto& [owner, key, topic] :
           {std::tuple{"contribution", "CONTRIBUTION", "CONTRIBUTION"},
            std::tuple{"claims", "CLAIMS", "CLAIMS"}, std::tuple{"csr-donor", "CSR_DONOR", "CSR"}}) {
        if (endpoints_.services.contains(owner)) {
          env[fmt::format("JARING_{}_ADDRESS", key)] = endpoints_.services.at(owner).grpc;
        } else {
          env[fmt::format("JARING_KAFKA_TOPICS_{}", topic)] = "";
        }
      }
    }
    if (const auto more = options_.settings.find(s.name); more != options_.settings.end()) {
      for (const auto& [key, value] : more->second) env[key] = value;
    }
    member->ready_url = ep.metrics + "/readyz";
    member->spec = {s.name,         {bin(fmt::format("jaring-{}", s.name).c_str())}, env, log(s.name), "",
                    options_.detach};
    endpoints_.services[s.name] = ep;
    start_member(*member);
    members_.push_back(std::move(member));
  }
}

std::shared_ptr<::grpc::Channel> Stack::channel(const std::string& service) const {
  return grpc::make_channel(endpoints_.services.at(service).grpc, endpoints_.tls);
}

void Stack::start_member(Member& member) {
  member.process = std::make_unique<process::Process>(member.spec);
  wait_ready(member);
}

void Stack::wait_ready(Member& member) {
  const auto ready = [&] {
    if (!member.ready_url.empty()) return http_ok(member.ready_url);
    if (!member.ready_file.empty())
      return fs::exists(member.ready_file) && fs::file_size(member.ready_file) > 0;
    // redis: accepts connections on its port
    const auto& argv = member.spec.argv;
    const auto port = std::find(argv.begin(), argv.end(), "--port");
    return port != argv.end() && port + 1 != argv.end() &&
           process::port_open("127.0.0.1", std::stoi(*(port + 1)));
  };
  const bool ok = process::wait_for([&] { return ready() || !member.process->running(); }, 60s, 50ms);
  if (!ok || !member.process->running()) {
    throw std::runtime_error(fmt::format("{} did not become ready (log {}):\n{}", member.name,
                                         member.spec.log_path, tail(member.spec.log_path, 15)));
  }
}

void Stack::stop() {
  for (auto it = members_.rbegin(); it != members_.rend(); ++it) {
    if ((*it)->process) (*it)->process->stop(10s);
    (*it)->process.reset();
  }
  members_.clear();
}

void Stack::kill(const std::string& name) {
  for (auto& m : members_) {
    if (m->name == name && m->process) m->process->kill();
  }
}

Stack::Exit Stack::terminate(const std::string& name, std::chrono::milliseconds grace) {
  for (auto& m : members_) {
    if (m->name != name || !m->process) continue;
    const auto started = std::chrono::steady_clock::now();
    const int status = m->process->stop(grace);
    return {std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started),
            status};
  }
  throw std::runtime_error("no stack member named " + name);
}

void Stack::restart(const std::string& name) {
  for (auto& m : members_) {
    if (m->name != name) continue;
    if (m->process && m->process->running()) m->process->stop(10s);
    if (!m->ready_file.empty()) fs::remove(m->ready_file);
    start_member(*m);
    return;
  }
  throw std::runtime_error("no stack member named " + name);
}

const std::map<std::string, std::string>& Stack::environment(const std::string& name) const {
  for (const auto& m : members_) {
    if (m->name == name) return m->spec.env;
  }
  throw std::runtime_error("no stack member named " + name);
}

void Stack::release() {
  for (auto& m : members_) {
    if (m->process) m->process->release();
    m->process.reset();
  }
  members_.clear();
}

std::vector<std::pair<std::string, pid_t>> Stack::members() const {
  std::vector<std::pair<std::string, pid_t>> out;
  out.reserve(members_.size());
  for (const auto& m : members_) out.emplace_back(m->name, m->process ? m->process->pid() : -1);
  return out;
}

void Stack::write_state() const {
  nlohmann::json members = nlohmann::json::array();
  for (const auto& m : members_) {
    if (!m->process) continue;
    members.push_back({{"name", m->name},
                       {"pid", m->process->pid()},
                       {"exe", exe_of(m->process->pid())},
                       {"log", m->spec.log_path}});
  }
  std::ofstream(options_.run_dir / "stack.json") << nlohmann::json{{"members", members}}.dump(2) << "\n";
  std::ofstream(options_.run_dir / "endpoints.json") << endpoints_.to_json().dump(2) << "\n";
}

namespace {

struct Recorded {
  std::string name;
  pid_t pid;
  std::string exe;
  bool alive() const { return pid > 0 && ::kill(pid, 0) == 0 && exe_of(pid) == exe; }
};

std::vector<Recorded> recorded(const fs::path& run_dir) {
  std::vector<Recorded> out;
  std::ifstream in(run_dir / "stack.json");
  if (!in) return out;
  const auto state = nlohmann::json::parse(in, nullptr, false);
  if (state.is_discarded() || !state.contains("members")) return out;
  for (const auto& m : state["members"]) {
    out.push_back({m.value("name", ""), m.value("pid", -1), m.value("exe", "")});
  }
  return out;
}

}  // namespace

bool recorded_running(const fs::path& run_dir) {
  for (const auto& m : recorded(run_dir)) {
    if (m.alive()) return true;
  }
  return false;
}

int stop_recorded(const fs::path& run_dir) {
  auto members = recorded(run_dir);
  int stopped = 0;
  for (auto it = members.rbegin(); it != members.rend(); ++it) {
    if (!it->alive()) continue;  // gone already, or the PID now belongs to another program
    auto adopted = process::Process::adopt(it->name, it->pid);
    adopted.stop(10s);
    ++stopped;
  }
  fs::remove(run_dir / "stack.json");
  fs::remove(run_dir / "endpoints.json");
  return stopped;
}

double scrape_metric(const std::string& metrics_url, const std::string& name) {
  httplib::Client client(metrics_url);
  auto res = client.Get("/metrics");
  if (!res) return 0;
  const std::regex line("^" + name + R"((\{[^}]*\})? ([0-9.e+]+)$)");
  double sum = 0;
  std::istringstream in(res->body);
  for (std::string l; std::getline(in, l);) {
    std::smatch m;
    if (std::regex_match(l, m, line)) sum += std::stod(m[2]);
  }
  return sum;
}

}  // namespace jaring::stack

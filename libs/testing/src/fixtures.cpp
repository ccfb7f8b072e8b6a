#include "jaring/testing/fixtures.hpp"

#include "jaring/common/ids.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace jaring::testing {
namespace {

using namespace std::chrono_literals;

std::filesystem::path env_dir(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') {
    throw std::runtime_error(
        std::string(name) +
        " is not set: run the test through ctest, or export it (JARING_BIN_DIR=<build>/bin, "
        "JARING_SOURCE_DIR=<source root>)");
  }
  return value;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The end of a log, to put in an error message when a fixture's process did not come up.
std::string log_tail(const std::filesystem::path& path) {
  auto text = read_file(path);
  constexpr std::size_t kTail = 2000;
  if (text.size() > kTail) text = "..." + text.substr(text.size() - kTail);
  return text.empty() ? "(empty log)" : text;
}

// Sends PING over a plain socket: the fixture must not depend on a Redis client library.
bool redis_answers_ping(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  timeval timeout{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = false;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    constexpr std::string_view kPing = "PING\r\n";
    if (::send(fd, kPing.data(), kPing.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(kPing.size())) {
      std::string reply;
      char buffer[64];
      while (reply.find("\r\n") == std::string::npos && reply.size() < 256) {
        ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
        if (n <= 0) break;
        reply.append(buffer, static_cast<std::size_t>(n));
      }
      // NOAUTH: up, and wanting a password.
      ok = reply.starts_with("+PONG") || reply.starts_with("-NOAUTH");
    }
  }
  ::close(fd);
  return ok;
}

}  // namespace

std::filesystem::path bin_dir() { return env_dir("JARING_BIN_DIR"); }

std::filesystem::path source_dir() { return env_dir("JARING_SOURCE_DIR"); }

TempDir::TempDir(const std::string& prefix) {
  std::string pattern = (std::filesystem::temp_directory_path() / (prefix + "XXXXXX")).string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw std::runtime_error("cannot create a temp directory " + pattern + ": " + std::strerror(errno));
  }
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

RedisServer::RedisServer() : dir_("jaring-redis-"), password_(new_id("redis-")) {
  // In a file, not on the command line, where every local user could read it.
  std::ofstream(dir_.path() / "redis.conf") << "requirepass " << password_ << "\n";
  std::filesystem::permissions(dir_.path() / "redis.conf",
                               std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
                               std::filesystem::perm_options::replace);
  // A free port can be taken between free_port() and redis binding it; try a few.
  for (int attempt = 1;; ++attempt) {
    port_ = process::free_port();
    try {
      start();
      return;
    } catch (const std::exception& e) {
      if (attempt == 3) throw;
      spdlog::warn("redis-server on port {} did not start ({}); trying another port", port_, e.what());
    }
  }
}

RedisServer::~RedisServer() = default;

void RedisServer::start() {
  process::Spec spec;
  spec.name = "redis-server";
  spec.argv = {"redis-server", (dir_.path() / "redis.conf").string(),
               "--port",       std::to_string(port_),
               "--bind",       "127.0.0.1",
               "--save",       "",
               "--appendonly", "no",
               "--dir",        dir_.path().string(),
               "--daemonize",  "no",
               "--logfile",    ""};
  auto log = dir_.path() / "redis.log";
  spec.log_path = log.string();
  process_ = std::make_unique<process::Process>(spec);
  bool up = process::wait_for([&] { return redis_answers_ping(port_) || !process_->running(); }, 20s);
  if (!up || !process_->running()) {
    process_.reset();
    throw std::runtime_error("redis-server did not answer PING on 127.0.0.1:" + std::to_string(port_) +
                             (up ? " (it exited)" : " within 20 s") + "; log:\n" + log_tail(log));
  }
}

void RedisServer::kill() {
  if (process_) process_->kill();
  process_.reset();
}

void RedisServer::restart() {
  kill();
  start();
}

DevKafka::DevKafka(const std::map<std::string, int>& topics) : dir_("jaring-devkafka-") {
  auto binary = bin_dir() / "jaring-devkafka";
  if (!std::filesystem::exists(binary)) {
    throw std::runtime_error(binary.string() + " does not exist: build the jaring-devkafka target first");
  }
  auto topics_file = source_dir() / "deploy" / "local" / "topics.yaml";
  auto bootstrap_file = dir_.path() / "bootstrap";
  auto log = dir_.path() / "devkafka.log";

  process::Spec spec;
  spec.name = "jaring-devkafka";
  spec.argv = {binary.string(), "--topics-file", topics_file.string(), "--bootstrap-file",
               bootstrap_file.string()};
  for (const auto& [name, partitions] : topics) {
    spec.argv.push_back("--topic");
    spec.argv.push_back(name + ":" + std::to_string(partitions));
  }
  spec.log_path = log.string();
  process_ = std::make_unique<process::Process>(spec);

  // devkafka writes the file atomically (temp + rename), so existing means complete.
  bool up =
      process::wait_for([&] { return std::filesystem::exists(bootstrap_file) || !process_->running(); }, 30s);
  if (!up || !std::filesystem::exists(bootstrap_file)) {
    int status = process_->stop(2s);
    process_.reset();
    throw std::runtime_error("jaring-devkafka did not write " + bootstrap_file.string() +
                             (up ? " (exit status " + std::to_string(status) + ")" : " within 30 s") +
                             "; log:\n" + log_tail(log));
  }
  bootstrap_ = read_file(bootstrap_file);
  while (!bootstrap_.empty() && (bootstrap_.back() == '\n' || bootstrap_.back() == '\r'))
    bootstrap_.pop_back();
}

// Only ever our own child's PID: never 0 or -1, which would signal a group or everyone.
void DevKafka::pause() {
  if (!process_ || process_->pid() <= 0 || !process_->running() || ::kill(process_->pid(), SIGSTOP) != 0)
    throw std::runtime_error("cannot pause jaring-devkafka");
  paused_ = true;
}

void DevKafka::resume() {
  if (!process_ || process_->pid() <= 0 || !process_->running() || ::kill(process_->pid(), SIGCONT) != 0)
    throw std::runtime_error("cannot resume jaring-devkafka");
  paused_ = false;
}

DevKafka::~DevKafka() {
  if (paused_ && process_ && process_->pid() > 0 && process_->running())
    ::kill(process_->pid(), SIGCONT);  // else SIGTERM waits
  if (process_) {
    try {
      process_->stop(std::chrono::seconds(10));
    } catch (const std::exception& e) {
      spdlog::error("stopping jaring-devkafka: {}", e.what());
    }
  }
}

}  // namespace jaring::testing

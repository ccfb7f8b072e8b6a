#include "jaring/process/process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace jaring::process {
namespace {

std::string errno_text(int err) { return std::strerror(err); }

// posix_spawn cannot set a parent-death signal: setpriv (util-linux, Essential in Debian) sets
// it and then runs the program in its place, under the same PID.
constexpr const char* kSetpriv = "/usr/bin/setpriv";

// The program argv[0] names, found as posix_spawnp would: a name with a slash as it is (from the
// child's working directory), a bare name on the PATH. Checked here, since through setpriv a
// missing one would only exit 127.
std::optional<std::string> executable(const std::string& name, const std::string& working_dir) {
  const auto runnable = [](const std::string& path) {
    std::error_code error;
    return ::access(path.c_str(), X_OK) == 0 && !std::filesystem::is_directory(path, error);
  };
  if (name.find('/') != std::string::npos) {
    const auto path = std::filesystem::path(working_dir) / name;  // an absolute name stays itself
    return runnable(path.string()) ? std::optional(path.string()) : std::nullopt;
  }
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    auto candidate = (dir.empty() ? std::string(".") : dir) + "/" + name;
    if (runnable(candidate)) return candidate;
  }
  return std::nullopt;
}

// Parent environment with the spec's entries added or overriding.
std::vector<std::string> merged_environment(const std::map<std::string, std::string>& extra) {
  std::map<std::string, std::string> env;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string_view text(*entry);
    auto eq = text.find('=');
    if (eq == std::string_view::npos) continue;
    env.emplace(std::string(text.substr(0, eq)), std::string(text.substr(eq + 1)));
  }
  for (const auto& [key, value] : extra) env[key] = value;
  std::vector<std::string> out;
  out.reserve(env.size());
  for (const auto& [key, value] : env) out.push_back(std::string(key).append("=").append(value));
  return out;
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// Closes an fd when leaving scope.
struct FdGuard {
  int fd = -1;
  ~FdGuard() {
    if (fd >= 0) ::close(fd);
  }
};

// An adopted PID can be a zombie of some other parent: kill(pid, 0) succeeds on it, yet it is gone.
bool is_zombie(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string content;
  if (!stat || !std::getline(stat, content)) return false;
  auto close_paren = content.rfind(')');
  if (close_paren == std::string::npos || close_paren + 2 >= content.size()) return false;
  return content[close_paren + 2] == 'Z';
}

int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return -WTERMSIG(status);
  return status;
}

}  // namespace

Process::Process(Spec spec) : name_(spec.name), child_(true) {
  if (spec.argv.empty()) throw std::runtime_error("process " + spec.name + ": empty argv");

  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_init(&attr);
  struct Cleanup {
    posix_spawn_file_actions_t* actions;
    posix_spawnattr_t* attr;
    ~Cleanup() {
      posix_spawn_file_actions_destroy(actions);
      posix_spawnattr_destroy(attr);
    }
  } cleanup{&actions, &attr};

  // Open the log here rather than in the child so that a bad path is a clear error.
  FdGuard log;
  if (!spec.log_path.empty()) {
    std::error_code ec;
    auto parent = std::filesystem::path(spec.log_path).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);
    log.fd = ::open(spec.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (log.fd < 0) {
      throw std::runtime_error("process " + spec.name + ": cannot open log " + spec.log_path + ": " +
                               errno_text(errno));
    }
    posix_spawn_file_actions_adddup2(&actions, log.fd, STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, log.fd, STDERR_FILENO);
  }
  // Services never read stdin; a detached one must not hold the terminal.
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  if (!spec.working_dir.empty()) posix_spawn_file_actions_addchdir_np(&actions, spec.working_dir.c_str());

  // The child starts with no blocked signals and default handlers, whatever the parent did
  // (devkafka and services block SIGTERM to sigwait on it).
  short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
  if (spec.detach) flags |= POSIX_SPAWN_SETSID;
  posix_spawnattr_setflags(&attr, flags);
  sigset_t empty;
  sigemptyset(&empty);
  posix_spawnattr_setsigmask(&attr, &empty);
  sigset_t defaults;
  sigemptyset(&defaults);
  for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGCHLD, SIGQUIT, SIGUSR1, SIGUSR2}) {
    sigaddset(&defaults, sig);
  }
  posix_spawnattr_setsigdefault(&attr, &defaults);

  std::vector<std::string> args = spec.argv;
  if (spec.end_with_starter && !spec.detach && ::access(kSetpriv, X_OK) == 0) {
    const auto program = executable(args.front(), spec.working_dir);
    if (!program) {
      throw std::runtime_error("process " + spec.name + ": cannot start " + spec.argv[0] + ": " +
                               errno_text(ENOENT));
    }
    args.front() = *program;
    args.insert(args.begin(), {kSetpriv, "--pdeathsig", "TERM"});
  }
  std::vector<std::string> env = merged_environment(spec.env);
  auto argv = c_strings(args);
  auto envp = c_strings(env);

  pid_t pid = -1;
  // posix_spawnp: argv[0] may be a bare name (redis-server) found on the PATH.
  int rc = posix_spawnp(&pid, argv[0], &actions, &attr, argv.data(), envp.data());
  if (rc != 0) {
    throw std::runtime_error("process " + spec.name + ": cannot start " + spec.argv[0] + ": " +
                             errno_text(rc));
  }
  pid_ = pid;
}

Process Process::adopt(std::string name, pid_t pid) { return Process(std::move(name), pid, false); }

Process::~Process() {
  if (pid_ > 0 && !exited_) {
    try {
      stop();
    } catch (...) {
      // A destructor must not throw; the process is left to its fate.
    }
  }
}

Process::Process(Process&& other) noexcept
    : name_(std::move(other.name_)),
      pid_(other.pid_),
      child_(other.child_),
      exited_(other.exited_),
      status_(other.status_) {
  other.pid_ = -1;
}

Process& Process::operator=(Process&& other) noexcept {
  if (this != &other) {
    if (pid_ > 0 && !exited_) {
      try {
        stop();
      } catch (...) {
      }
    }
    name_ = std::move(other.name_);
    pid_ = other.pid_;
    child_ = other.child_;
    exited_ = other.exited_;
    status_ = other.status_;
    other.pid_ = -1;
  }
  return *this;
}

bool Process::running() {
  if (pid_ <= 0 || exited_) return false;
  if (child_) {
    int status = 0;
    pid_t rc = 0;
    do {
      rc = ::waitpid(pid_, &status, WNOHANG);
    } while (rc < 0 && errno == EINTR);
    if (rc == pid_) {
      exited_ = true;
      status_ = decode_status(status);
      return false;
    }
    if (rc < 0) {
      // ECHILD: someone else reaped it (or it was never ours); treat it as gone.
      exited_ = true;
      return false;
    }
    return true;
  }
  if (::kill(pid_, 0) == 0 || errno == EPERM) {
    if (!is_zombie(pid_)) return true;
  }
  exited_ = true;
  return false;
}

bool Process::wait_exit(std::chrono::milliseconds timeout, int* status) {
  bool gone = wait_for([this] { return !running(); }, timeout, std::chrono::milliseconds(10));
  if (gone && status != nullptr) *status = status_;
  return gone;
}

int Process::stop(std::chrono::milliseconds grace) {
  if (!running()) return status_;
  ::kill(pid_, SIGTERM);
  int status = 0;
  if (wait_exit(grace, &status)) return status;
  ::kill(pid_, SIGKILL);
  if (!child_) status_ = -SIGKILL;  // an adopted process's status is not ours to read
  if (!wait_exit(std::chrono::seconds(30), &status)) {
    throw std::runtime_error("process " + name_ + " (pid " + std::to_string(pid_) +
                             ") survived SIGKILL for 30 s");
  }
  return status;
}

void Process::kill() {
  if (!running()) return;
  ::kill(pid_, SIGKILL);
  if (!child_) status_ = -SIGKILL;
  if (!wait_exit(std::chrono::seconds(30), nullptr)) {
    throw std::runtime_error("process " + name_ + " (pid " + std::to_string(pid_) +
                             ") survived SIGKILL for 30 s");
  }
}

bool wait_for(const std::function<bool()>& condition, std::chrono::milliseconds timeout,
              std::chrono::milliseconds interval) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (condition()) return true;
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return condition();
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(interval, deadline - now));
  }
}

int free_port() {
  // The kernel may hand the same ephemeral port out again right after we release it; remember
  // the last ones we gave so two fixtures started back to back do not get the same port.
  static std::mutex mutex;
  static std::deque<int> recent;
  std::lock_guard lock(mutex);
  for (int attempt = 0; attempt < 50; ++attempt) {
    FdGuard sock{::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)};
    if (sock.fd < 0) throw std::runtime_error("free_port: socket: " + errno_text(errno));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (::bind(sock.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      throw std::runtime_error("free_port: bind: " + errno_text(errno));
    }
    socklen_t len = sizeof addr;
    if (::getsockname(sock.fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      throw std::runtime_error("free_port: getsockname: " + errno_text(errno));
    }
    int port = ntohs(addr.sin_port);
    if (std::find(recent.begin(), recent.end(), port) != recent.end()) continue;
    recent.push_back(port);
    if (recent.size() > 64) recent.pop_front();
    return port;
  }
  throw std::runtime_error("free_port: no fresh port after 50 attempts");
}

bool port_open(const std::string& host, int port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0) return false;
  bool open = false;
  for (addrinfo* ai = found; ai != nullptr && !open; ai = ai->ai_next) {
    FdGuard sock{::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol)};
    if (sock.fd < 0) continue;
    if (::connect(sock.fd, ai->ai_addr, ai->ai_addrlen) == 0) {
      open = true;
      break;
    }
    if (errno != EINPROGRESS) continue;
    pollfd pfd{sock.fd, POLLOUT, 0};
    if (::poll(&pfd, 1, 1000) == 1) {
      int err = 0;
      socklen_t len = sizeof err;
      ::getsockopt(sock.fd, SOL_SOCKET, SO_ERROR, &err, &len);
      open = err == 0;
    }
  }
  ::freeaddrinfo(found);
  return open;
}

}  // namespace jaring::process

namespace jaring::process {

Usage usage(pid_t pid) {
  Usage u;
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.starts_with("VmHWM:")) u.peak_rss_mib = std::stod(line.substr(6)) / 1024.0;
  }
  std::ifstream stat_file("/proc/" + std::to_string(pid) + "/stat");
  const std::string stat((std::istreambuf_iterator<char>(stat_file)), std::istreambuf_iterator<char>());
  const auto after_name = stat.rfind(')');  // the command name may hold spaces
  if (after_name == std::string::npos) return u;
  std::istringstream fields(stat.substr(after_name + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14 || i == 15) ticks += std::stod(field);  // utime, stime
  }
  u.cpu_seconds = ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
  std::ifstream io("/proc/" + std::to_string(pid) + "/io");
  for (std::string line; std::getline(io, line);) {
    if (line.starts_with("write_bytes:")) u.disk_written = std::stoll(line.substr(12));
  }
  return u;
}

}  // namespace jaring::process

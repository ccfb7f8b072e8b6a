#pragma once
// Child processes started and stopped by PID: the embedded stack (`make up`) and the test
// fixtures both use this, so that we only ever signal processes we started ourselves.

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace jaring::process {

struct Spec {
  std::string name;                        // for logs and messages
  std::vector<std::string> argv;           // argv[0] is the executable path
  std::map<std::string, std::string> env;  // added to (or overriding) the parent's environment
  std::string log_path;                    // stdout and stderr go here (appended); empty: inherit
  std::string working_dir;                 // empty: the parent's
  bool detach = false;                     // new session, outlives the parent (make up)
  // Otherwise it is sent SIGTERM when the thread that started it ends, as when a test or a
  // benchmark crashes: no redis-server, broker or service is left running after its starter.
  // Start such children from a thread that lives as long as they should (the main thread).
  bool end_with_starter = true;
};

class Process {
 public:
  // Starts the process. Throws std::runtime_error when it cannot be spawned.
  explicit Process(Spec spec);
  // Adopts a process started earlier (make down reads PIDs back from .run/).
  static Process adopt(std::string name, pid_t pid);
  ~Process();  // stops the process if still running (SIGTERM, then SIGKILL)
  Process(Process&& other) noexcept;
  Process& operator=(Process&& other) noexcept;
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  const std::string& name() const { return name_; }
  bool running();
  // SIGTERM, then SIGKILL after `grace`; returns the exit status (or -signal). For an adopted
  // process the status is unknown: 0 when it left on SIGTERM, -SIGKILL when it had to be killed.
  int stop(std::chrono::milliseconds grace = std::chrono::seconds(10));
  // SIGKILL at once (crash tests); returns after the process is gone.
  void kill();
  // Leaves the process running and forgets it (a detached stack member).
  void release() { pid_ = -1; }

 private:
  Process(std::string name, pid_t pid, bool child) : name_(std::move(name)), pid_(pid), child_(child) {}
  bool wait_exit(std::chrono::milliseconds timeout, int* status);
  std::string name_;
  pid_t pid_ = -1;
  bool child_ = true;    // our own child (can be reaped) or adopted
  bool exited_ = false;  // reaped or seen gone: the PID may belong to someone else by now
  int status_ = 0;       // exit status (or -signal) once exited_
};

// Polls `condition` every `interval` until it is true or `timeout` passes; returns its last value.
bool wait_for(const std::function<bool()>& condition, std::chrono::milliseconds timeout,
              std::chrono::milliseconds interval = std::chrono::milliseconds(20));

// What a process has used so far, from /proc: for benchmarks that report memory, CPU and writes.
struct Usage {
  double peak_rss_mib = 0;        // VmHWM
  double cpu_seconds = 0;         // user + system, all threads
  std::int64_t disk_written = 0;  // bytes it sent to storage (write_bytes of /proc/<pid>/io)
};
Usage usage(pid_t pid);

// A free TCP port on 127.0.0.1 (bound then released: the caller should bind it soon).
int free_port();

// True when something accepts TCP connections on host:port.
bool port_open(const std::string& host, int port);

}  // namespace jaring::process

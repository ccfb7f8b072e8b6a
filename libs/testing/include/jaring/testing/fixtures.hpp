#pragma once
// Test fixtures on real components: a redis-server and a jaring-devkafka, each started on free
// loopback ports in a fresh temp directory and stopped by its PID when the fixture ends.

#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "jaring/process/process.hpp"

namespace jaring::testing {

// Directory of the project's built binaries (JARING_BIN_DIR, set by ctest).
std::filesystem::path bin_dir();
// Root of the source tree (JARING_SOURCE_DIR, set by ctest).
std::filesystem::path source_dir();
// A new empty directory under the system temp dir, removed when the object dies.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix);
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

class RedisServer {
 public:
  // Starts redis-server on a free port without persistence, requiring a password of its own
  // (as make up's does); waits until it answers.
  RedisServer();
  ~RedisServer();
  int port() const { return port_; }
  // The redis-server's process (to stop it for a while, or to read its CPU time).
  pid_t pid() const { return process_->pid(); }
  const std::string& password() const { return password_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  // Crash and restart on the same port (the data is gone: Redis is a cache).
  void kill();
  void restart();

 private:
  void start();
  TempDir dir_;
  int port_ = 0;
  std::string password_;
  std::unique_ptr<process::Process> process_;
};

class DevKafka {
 public:
  // Starts jaring-devkafka with the project's topics (partitions per topic as given, default
  // from deploy/local/topics.yaml), waits until it wrote its bootstrap address.
  explicit DevKafka(const std::map<std::string, int>& topics = {});
  ~DevKafka();
  const std::string& bootstrap() const { return bootstrap_; }
  // SIGKILL: the broker is gone at once, as in a crash (fault tests).
  void kill() { process_->kill(); }
  // SIGSTOP and SIGCONT: a stalled broker keeps its connections open and answers nothing until
  // resumed (fault tests). The fixture resumes a paused broker before stopping it.
  void pause();
  void resume();

 private:
  bool paused_ = false;
  TempDir dir_;
  std::string bootstrap_;
  std::unique_ptr<process::Process> process_;
};

}  // namespace jaring::testing

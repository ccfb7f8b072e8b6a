// Issue 17, the pod smoke test (label deploy): each of the five services started as the chart
// starts it, with the config.yaml the chart renders from its default values
// (tests/deploy/chart-config, no helm needed), from a working directory it may not write, with
// only the chart's volumes writable (/tmp and the data volume, here folders of a temporary
// "pod root"), and as an unprivileged user (uid 65534 through setpriv) when the test runs as
// root, as CI does. Each must reach /readyz 200, nothing may be written outside its volumes,
// and each leaves cleanly on SIGTERM.

#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "jaring/auth/local.hpp"
#include "jaring/crypto/keys.hpp"
#include "jaring/process/process.hpp"
#include "jaring/stack/local_tls.hpp"
#include "jaring/testing/fixtures.hpp"

namespace jaring {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr uid_t kNobody = 65534;

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void replace_all(std::string& text, const std::string& from, const std::string& to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
}

// Every file and folder under `dir` (the pod's volumes and working directory after the run).
std::vector<std::string> entries(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    out.push_back(fs::relative(e.path(), dir).string());
  return out;
}

class PodSmoke : public ::testing::Test {
 protected:
  struct Pod {
    std::string name;
    fs::path root;  // stands for the pod's file system
    std::string grpc, admin, dashboard;
    std::unique_ptr<process::Process> process;
  };

  PodSmoke() : dir_("jaring-pod-smoke"), as_root_(::geteuid() == 0) {
    // The temporary folder is 0700: the unprivileged user must be able to walk to its pod.
    ::chmod(dir_.path().c_str(), 0755);
  }

  // What the chart mounts read-only: its config, the JWKS and token, the TLS files, Redis's
  // password and the data keys; then the writable volumes and a working directory (0555).
  void prepare(Pod& pod, const std::map<std::string, std::string>& callees) {
    const auto etc = pod.root / "etc" / "jaring";
    for (const auto* sub : {"config", "auth", "tls", "redis", "keys"}) fs::create_directories(etc / sub);
    fs::copy_file(authority_->jwks_file(), etc / "auth" / "jwks.json");
    fs::copy_file(authority_->write_service_token(pod.name, 1h), etc / "auth" / "token");
    const auto files = tls_->service(pod.name);
    fs::copy_file(files.cert_file, etc / "tls" / "tls.crt");
    fs::copy_file(files.key_file, etc / "tls" / "tls.key");
    fs::copy_file(files.ca_file, etc / "tls" / "ca.crt");
    std::ofstream(etc / "redis" / "password") << redis_.password() << "\n";
    ASSERT_TRUE(keys_.write((etc / "keys" / "keys.yaml").string()));

    auto config =
        read_text(testing::source_dir() / "tests" / "deploy" / "chart-config" / (pod.name + ".yaml"));
    ASSERT_FALSE(config.empty()) << pod.name;
    replace_all(config, "@ROOT@", pod.root.string());
    replace_all(config, "@GRPC@", pod.grpc);
    replace_all(config, "@ADMIN@", pod.admin);
    replace_all(config, "@DASHBOARD@", pod.dashboard);
    replace_all(config, "@KAFKA@", kafka_.bootstrap());
    replace_all(config, "@REDIS@", redis_.address());
    replace_all(config, "@ISSUER@", authority_->issuer());
    for (const auto& [placeholder, address] : callees) replace_all(config, placeholder, address);
    ASSERT_EQ(config.find('@'), std::string::npos) << pod.name << ": a placeholder is left:\n" << config;
    std::ofstream(etc / "config" / "config.yaml") << config;

    // The volumes: writable by the pod's user only. The rest stays root's and read-only to it.
    for (const auto* volume : {"tmp", "var/lib/jaring"}) {
      fs::create_directories(pod.root / volume);
      ::chmod((pod.root / volume).c_str(), 0700);
    }
    fs::create_directories(pod.root / "workdir");
    if (as_root_) {
      // fsGroup and 0440 Secrets in the chart: here the files are the user's own, read-only.
      for (const auto& e : fs::recursive_directory_iterator(etc)) {
        ::chown(e.path().c_str(), kNobody, kNobody);
        ::chmod(e.path().c_str(), e.is_directory() ? 0500 : 0400);
      }
      ::chown(etc.c_str(), kNobody, kNobody);
      for (const auto* volume : {"tmp", "var/lib/jaring"})
        ::chown((pod.root / volume).c_str(), kNobody, kNobody);
      for (auto p = pod.root; p != dir_.path(); p = p.parent_path()) ::chmod(p.c_str(), 0755);
      ::chmod((pod.root / "var").c_str(), 0755);
      ::chmod((pod.root / "var" / "lib").c_str(), 0755);
      ::chmod((pod.root / "etc").c_str(), 0755);
    } else {
      for (const auto& e : fs::recursive_directory_iterator(etc)) {
        if (!e.is_directory()) ::chmod(e.path().c_str(), 0400);
      }
    }
    // The image's working directory on a read-only root file system.
    ::chmod((pod.root / "workdir").c_str(), 0555);
  }

  Pod& start(const std::string& name, const std::map<std::string, std::string>& callees = {}) {
    auto pod = std::make_unique<Pod>();
    pod->name = name;
    pod->root = dir_.path() / name;
    pod->grpc = fmt::format("127.0.0.1:{}", process::free_port());
    pod->admin = fmt::format("127.0.0.1:{}", process::free_port());
    pod->dashboard = fmt::format("127.0.0.1:{}", process::free_port());
    prepare(*pod, callees);
    const auto binary = (testing::bin_dir() / ("jaring-" + name)).string();
    std::vector<std::string> argv;
    if (as_root_) {
      argv = {"/usr/bin/setpriv", fmt::format("--reuid={}", kNobody), fmt::format("--regid={}", kNobody),
              "--clear-groups", "--"};
    }
    argv.push_back(binary);
    // Only the chart's environment: JARING_CONFIG names the config file, /tmp is the emptyDir.
    const std::map<std::string, std::string> env = {
        {"JARING_CONFIG", (pod->root / "etc" / "jaring" / "config" / "config.yaml").string()},
        {"TMPDIR", (pod->root / "tmp").string()},
        {"HOME", (pod->root / "workdir").string()}};
    pod->process = std::make_unique<process::Process>(process::Spec{
        name, argv, env, (dir_.path() / (name + ".log")).string(), (pod->root / "workdir").string()});
    pods_.push_back(std::move(pod));
    return *pods_.back();
  }

  // Waits for /readyz 200 (or the process's end); the reason and the end of the log otherwise.
  void expect_ready(Pod& pod) {
    httplib::Client admin("http://" + pod.admin);
    admin.set_connection_timeout(1s);
    std::string last;
    const bool ready = process::wait_for(
        [&] {
          if (!pod.process->running()) return true;
          const auto res = admin.Get("/readyz");
          if (res) last = fmt::format("{} {}", res->status, res->body);
          return res && res->status == 200;
        },
        90s, 200ms);
    const auto log = read_text(dir_.path() / (pod.name + ".log"));
    ASSERT_TRUE(ready && pod.process->running())
        << pod.name << " did not reach /readyz 200 (last answer: " << last << "); its log ends:\n"
        << log.substr(log.size() > 3000 ? log.size() - 3000 : 0);
  }

  testing::TempDir dir_;
  bool as_root_;
  testing::RedisServer redis_;
  testing::DevKafka kafka_;
  crypto::Keys keys_ = crypto::Keys::generate();
  std::unique_ptr<auth::LocalAuthority> authority_ =
      std::make_unique<auth::LocalAuthority>(auth::LocalAuthority::open_or_create(dir_.path() / "idp"));
  std::unique_ptr<stack::LocalTls> tls_ =
      std::make_unique<stack::LocalTls>(stack::LocalTls::open_or_create(dir_.path() / "ca"));
  std::vector<std::unique_ptr<Pod>> pods_;
};

TEST_F(PodSmoke, EveryServiceStartsAsTheChartRunsItReachesReadyAndLeavesOnSigterm) {
  if (as_root_) {
    std::cout << "running each service as uid " << kNobody << " (setpriv)\n";
  } else {
    std::cout << "not root: each service runs as this user (" << ::geteuid()
              << "); the unprivileged-user part needs root and is skipped\n";
  }
  // The owners first: coverage asks each of them for its export when Redis holds no counters;
  // claims and csr-donor call registration.
  auto& registration = start("registration");
  auto& contribution = start("contribution");
  auto& claims = start("claims", {{"@REGISTRATION@", registration.grpc}});
  auto& csr =
      start("csr-donor", {{"@REGISTRATION@", registration.grpc}, {"@CONTRIBUTION@", contribution.grpc}});
  auto& coverage = start("coverage", {{"@REGISTRATION@", registration.grpc},
                                      {"@CONTRIBUTION@", contribution.grpc},
                                      {"@CLAIMS@", claims.grpc},
                                      {"@CSR_DONOR@", csr.grpc}});
  for (auto* pod : {&registration, &contribution, &claims, &csr, &coverage}) expect_ready(*pod);
  if (HasFatalFailure()) return;

  for (const auto& pod : pods_) {
    // Nothing in the working directory; the stores on the data volume.
    EXPECT_TRUE(entries(pod->root / "workdir").empty()) << pod->name;
    const auto data = entries(pod->root / "var" / "lib" / "jaring");
    const auto store = pod->name == "coverage" ? "coverage-snapshots.db" : pod->name + ".db";
    EXPECT_NE(std::find(data.begin(), data.end(), store), data.end()) << pod->name;
    if (as_root_) {
      struct stat info {};
      ASSERT_EQ(::stat((pod->root / "var" / "lib" / "jaring" / store).c_str(), &info), 0);
      EXPECT_EQ(info.st_uid, kNobody) << pod->name << " did not run as the unprivileged user";
    }
  }

  // A pod deleted: SIGTERM to all at once; each leaves cleanly well within the chart's grace
  // period (terminationGracePeriodSeconds 30; DESIGN.md asks for 10 s).
  const auto sent = std::chrono::steady_clock::now();
  for (const auto& pod : pods_) ::kill(pod->process->pid(), SIGTERM);
  for (const auto& pod : pods_) {
    EXPECT_EQ(pod->process->stop(10s), 0) << pod->name << " did not exit cleanly on SIGTERM";
    EXPECT_LT(std::chrono::steady_clock::now() - sent, 10s) << pod->name;
  }
}

}  // namespace
}  // namespace jaring

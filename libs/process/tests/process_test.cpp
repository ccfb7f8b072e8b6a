#include "jaring/process/process.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>

namespace jaring::process {
namespace {

using namespace std::chrono_literals;

class ProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "jaring-process-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string read(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  Spec shell(const std::string& script) {
    Spec spec;
    spec.name = "sh";
    spec.argv = {"/bin/sh", "-c", script};
    spec.log_path = (dir_ / "out.log").string();
    return spec;
  }

  std::filesystem::path dir_;
};

TEST_F(ProcessTest, WritesStdoutAndStderrToTheLogWithMergedEnvironment) {
  auto spec = shell("echo out $JARING_TEST_VAR; echo err >&2; pwd");
  spec.env["JARING_TEST_VAR"] = "forty-two";
  spec.working_dir = dir_.string();
  Process p(spec);
  ASSERT_TRUE(wait_for([&] { return !p.running(); }, 10s));
  EXPECT_EQ(p.stop(), 0);
  auto log = read(dir_ / "out.log");
  EXPECT_NE(log.find("out forty-two\n"), std::string::npos) << log;
  EXPECT_NE(log.find("err\n"), std::string::npos) << log;
  EXPECT_NE(log.find(std::filesystem::canonical(dir_).string()), std::string::npos) << log;
}

TEST_F(ProcessTest, LogIsAppendedNotTruncated) {
  {
    Process p(shell("echo first"));
    ASSERT_TRUE(wait_for([&] { return !p.running(); }, 10s));
  }
  {
    Process p(shell("echo second"));
    ASSERT_TRUE(wait_for([&] { return !p.running(); }, 10s));
  }
  EXPECT_EQ(read(dir_ / "out.log"), "first\nsecond\n");
}

TEST_F(ProcessTest, ReportsExitCode) {
  Process p(shell("exit 3"));
  ASSERT_TRUE(wait_for([&] { return !p.running(); }, 10s));
  EXPECT_EQ(p.stop(), 3);
}

TEST_F(ProcessTest, ARelativeProgramIsFoundFromTheWorkingDirectory) {
  std::filesystem::create_directories(dir_ / "tools");
  std::ofstream(dir_ / "tools" / "say") << "#!/bin/sh\necho said\n";
  std::filesystem::permissions(dir_ / "tools" / "say", std::filesystem::perms::owner_all);
  Spec spec;
  spec.name = "say";
  spec.argv = {"./tools/say"};
  spec.working_dir = dir_.string();
  spec.log_path = (dir_ / "out.log").string();
  Process p(spec);
  ASSERT_TRUE(wait_for([&] { return !p.running(); }, 10s));
  EXPECT_EQ(p.stop(), 0);
  EXPECT_EQ(read(dir_ / "out.log"), "said\n");
}

TEST_F(ProcessTest, StopSendsSigterm) {
  Process p(shell("exec sleep 100"));
  EXPECT_TRUE(p.running());
  EXPECT_EQ(p.stop(), -SIGTERM);
  EXPECT_FALSE(p.running());
}

TEST_F(ProcessTest, StopEscalatesToSigkillAfterGrace) {
  // An ignored signal stays ignored across exec: sleep will not die of SIGTERM.
  Process p(shell("trap '' TERM; echo ready; exec sleep 100"));
  // SIGTERM before the trap is set would end the shell at once.
  ASSERT_TRUE(wait_for([&] { return read(dir_ / "out.log") == "ready\n"; }, 10s));
  auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(p.stop(300ms), -SIGKILL);
  EXPECT_GE(std::chrono::steady_clock::now() - started, 300ms);
}

TEST_F(ProcessTest, KillIsImmediate) {
  Process p(shell("trap '' TERM; exec sleep 100"));
  p.kill();
  EXPECT_FALSE(p.running());
}

TEST_F(ProcessTest, DestructorStopsTheProcess) {
  pid_t pid = 0;
  {
    Process p(shell("exec sleep 100"));
    pid = p.pid();
    ASSERT_EQ(::kill(pid, 0), 0);
  }
  EXPECT_NE(::kill(pid, 0), 0);  // reaped: not even a zombie is left
}

// The program a process runs now: the first word of its command line.
std::string program_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline");
  std::string first;
  std::getline(in, first, '\0');
  return first;
}

TEST_F(ProcessTest, AChildEndsWhenTheThreadThatStartedItEnds) {
  // As when a test crashes with a fixture's redis-server running: the server goes with it.
  std::optional<Process> child;
  std::thread starter([&] {
    child.emplace(shell("exec sleep 100"));
    // The signal is set before the shell runs, and the shell becomes sleep.
    wait_for([&] { return program_of(child->pid()) == "sleep"; }, 10s);
  });
  starter.join();
  ASSERT_TRUE(wait_for([&] { return !child->running(); }, 10s)) << "still running after its starter ended";
  EXPECT_EQ(child->stop(), -SIGTERM);
}

TEST_F(ProcessTest, ADetachedChildOutlivesTheThreadThatStartedIt) {
  auto spec = shell("exec sleep 100");
  spec.detach = true;
  std::optional<Process> child;
  std::thread starter([&] {
    child.emplace(spec);
    wait_for([&] { return program_of(child->pid()) == "sleep"; }, 10s);
  });
  starter.join();
  std::this_thread::sleep_for(300ms);
  EXPECT_TRUE(child->running());
  EXPECT_EQ(child->stop(5s), -SIGTERM);
}

TEST_F(ProcessTest, UnknownExecutableThrows) {
  Spec spec;
  spec.name = "missing";
  spec.argv = {(dir_ / "no-such-binary").string()};
  EXPECT_THROW(Process{spec}, std::runtime_error);
  spec.argv = {"no-such-program-on-the-path"};
  EXPECT_THROW(Process{spec}, std::runtime_error);
  spec.argv.clear();
  EXPECT_THROW(Process{spec}, std::runtime_error);
}

TEST_F(ProcessTest, DetachedProcessHasItsOwnSessionAndCanBeAdopted) {
  auto spec = shell("exec sleep 100");
  spec.detach = true;
  Process started(spec);
  pid_t pid = started.pid();
  EXPECT_EQ(::getsid(pid), pid);
  started.release();  // what `make up` does before it exits

  Process adopted = Process::adopt("sleep", pid);
  EXPECT_TRUE(adopted.running());
  EXPECT_EQ(adopted.stop(5s), 0);
  EXPECT_FALSE(adopted.running());
  // Still our child, so a zombie until reaped here; the adopted view already calls it gone.
  int status = 0;
  EXPECT_EQ(::waitpid(pid, &status, 0), pid);
}

TEST_F(ProcessTest, MovedProcessIsOwnedOnce) {
  Process a(shell("exec sleep 100"));
  pid_t pid = a.pid();
  Process b(std::move(a));
  EXPECT_EQ(b.pid(), pid);
  EXPECT_FALSE(a.running());  // NOLINT(bugprone-use-after-move): moved-from is defined as empty
  EXPECT_TRUE(b.running());
  EXPECT_EQ(b.stop(), -SIGTERM);
}

TEST(WaitForTest, ReturnsTrueAsSoonAsTheConditionHolds) {
  int calls = 0;
  EXPECT_TRUE(wait_for([&] { return ++calls == 3; }, 10s, 1ms));
  EXPECT_EQ(calls, 3);
}

TEST(WaitForTest, ReturnsFalseAfterTheTimeout) {
  auto started = std::chrono::steady_clock::now();
  EXPECT_FALSE(wait_for([] { return false; }, 100ms));
  EXPECT_GE(std::chrono::steady_clock::now() - started, 100ms);
}

TEST(PortTest, FreePortIsBindableAndPortOpenSeesListeners) {
  int port = free_port();
  EXPECT_GT(port, 0);
  EXPECT_NE(port, free_port());
  EXPECT_FALSE(port_open("127.0.0.1", port));

  int sock = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(sock, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  ASSERT_EQ(::bind(sock, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(sock, 4), 0);
  EXPECT_TRUE(port_open("127.0.0.1", port));
  EXPECT_TRUE(port_open("localhost", port));
  ::close(sock);
  EXPECT_FALSE(port_open("127.0.0.1", port));
}

}  // namespace
}  // namespace jaring::process

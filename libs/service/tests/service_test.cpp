#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>

#include "jaring/service/periodic.hpp"
#include "jaring/service/service.hpp"

namespace jaring::service {
namespace {

int run_with(std::vector<std::string> args, const std::function<int(const config::Source&)>& body) {
  std::vector<char*> argv;
  argv.reserve(args.size());
  for (auto& a : args) argv.push_back(a.data());
  return run("test", static_cast<int>(argv.size()), argv.data(), body);
}

TEST(Run, ABadSettingStopsStartUpWithExitCodeTwoNamingTheKey) {
  ::setenv("JARING_GRPC_LISTEN", "no-port-here", 1);
  ::testing::internal::CaptureStderr();
  const int code = run_with({"jaring-test"}, [](const config::Source& source) {
    config::Reader reader(source);
    read_common(reader, 50051, 9101);
    reader.finish();
    return 0;
  });
  const auto err = ::testing::internal::GetCapturedStderr();
  ::unsetenv("JARING_GRPC_LISTEN");
  EXPECT_EQ(code, 2);
  EXPECT_NE(err.find("grpc.listen (env JARING_GRPC_LISTEN): must be host:port"), std::string::npos) << err;
}

TEST(Run, AMissingConfigFileIsNamed) {
  ::testing::internal::CaptureStderr();
  const int code =
      run_with({"jaring-test", "--config", "/nonexistent/jaring.yaml"}, [](const auto&) { return 0; });
  const auto err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(code, 2);
  EXPECT_NE(err.find("/nonexistent/jaring.yaml"), std::string::npos) << err;
}

TEST(Run, OtherStartUpFailuresExitWithOne) {
  ::testing::internal::CaptureStderr();
  const int code =
      run_with({"jaring-test"}, [](const auto&) -> int { throw std::runtime_error("disk on fire"); });
  const auto err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(code, 1);
  EXPECT_NE(err.find("cannot start: disk on fire"), std::string::npos);
}

// A command's own options reach its body; backup and restore are such commands.
TEST(Run, StoreCommandsTakeTheirOptionsAndAMissingOneIsRefused) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("jaring_service_test_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  const auto store = (dir / "s.db").string();
  const std::vector<store::Migration> migrations = {{1, "CREATE TABLE t (x);"}};
  (void)store::Database::open(store, migrations);
  ::setenv("JARING_STORE_PATH", store.c_str(), 1);
  const auto commands = store_commands([&](const config::Source& source) {
    config::Reader reader(source);
    return StoreFile{reader.string("store.path", ""), migrations};
  });
  const auto with = [&](std::vector<std::string> args) {
    std::vector<char*> argv;
    argv.reserve(args.size());
    for (auto& a : args) argv.push_back(a.data());
    return run(
        "test", static_cast<int>(argv.size()), argv.data(), [](const auto&) { return 9; }, commands);
  };
  const auto backup = (dir / "b.db").string();
  ::testing::internal::CaptureStdout();
  EXPECT_EQ(with({"jaring-test", "backup", "--to", backup}), 0);
  const auto out = ::testing::internal::GetCapturedStdout();
  EXPECT_NE(out.find("t: 0 rows"), std::string::npos) << out;
  EXPECT_TRUE(std::filesystem::exists(backup));
  ::testing::internal::CaptureStderr();
  EXPECT_NE(with({"jaring-test", "backup", "--to", backup}), 0);
  EXPECT_NE(::testing::internal::GetCapturedStderr().find("--force"), std::string::npos);
  EXPECT_EQ(with({"jaring-test", "backup", "--to", backup, "--force"}), 0);
  ::testing::internal::CaptureStdout();
  EXPECT_EQ(with({"jaring-test", "restore", "--from", backup}), 0);
  EXPECT_NE(::testing::internal::GetCapturedStdout().find("the store it replaced is at"), std::string::npos);
  ::testing::internal::CaptureStderr();
  EXPECT_NE(with({"jaring-test", "restore"}), 0);  // --from is required
  ::testing::internal::GetCapturedStderr();
  ::unsetenv("JARING_STORE_PATH");
  std::filesystem::remove_all(dir);
}

TEST(ReadCommon, DefaultsAreLoopback) {
  const auto source = config::Source::from_map({});
  config::Reader reader(source);
  const auto common = read_common(reader, 50051, 9101);
  EXPECT_EQ(common.grpc_listen.str(), "127.0.0.1:50051");
  EXPECT_EQ(common.admin_listen.str(), "127.0.0.1:9101");
  EXPECT_EQ(common.log_level, "info");
}

TEST(ReadCommon, ATestClockIsRefusedUnlessAllowed) {
  const auto refused = config::Source::from_map({{"clock.test_file", "/tmp/clock"}});
  config::Reader reader(refused);
  try {
    read_common(reader, 50051, 9101);
    FAIL() << "a test clock without clock.allow_test started";
  } catch (const config::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("clock.test_file"), std::string::npos) << e.what();
  }
  const auto allowed =
      config::Source::from_map({{"clock.test_file", "/tmp/clock"}, {"clock.allow_test", "true"}});
  config::Reader allowed_reader(allowed);
  EXPECT_EQ(read_common(allowed_reader, 50051, 9101).clock_test_file, "/tmp/clock");
  const auto none = config::Source::from_map({});
  config::Reader none_reader(none);
  EXPECT_TRUE(read_common(none_reader, 50051, 9101).clock_test_file.empty());
  CommonSettings missing;
  missing.clock_test_file = "/nonexistent/clock";
  EXPECT_THROW(make_clock(missing), config::ConfigError);
}

// Waits for `done` with a deadline (no sleeps as synchronisation).
bool eventually(const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::yield();
  }
  return true;
}

TEST(PeriodicTask, RunsAtStartAndWhenPokedAndSurvivesAThrowingRun) {
  std::atomic<int> runs{0};
  PeriodicTask task("test chore", std::chrono::hours(1), [&runs] {
    if (++runs == 2) throw std::runtime_error("broken run");
  });
  task.start();
  ASSERT_TRUE(eventually([&] { return runs.load() == 1; }));
  task.poke();
  ASSERT_TRUE(eventually([&] { return runs.load() == 2; }));  // this one throws
  task.poke();
  ASSERT_TRUE(eventually([&] { return runs.load() == 3; }));  // and the task goes on
  // An hour's wait ends at once on stop().
  const auto before = std::chrono::steady_clock::now();
  task.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - before, std::chrono::seconds(30));
  task.stop();
  EXPECT_EQ(runs.load(), 3);
}

TEST(PeriodicTask, RunsEveryIntervalAndCanWaitForTheFirst) {
  std::atomic<int> runs{0};
  PeriodicTask task("test chore", std::chrono::milliseconds(1), [&runs] { ++runs; });
  task.start(/*run_now=*/false);
  ASSERT_TRUE(eventually([&] { return runs.load() >= 3; }));
  task.stop();
}

TEST(ReadCommon, GrpcLimitsHaveDefaultsAndBounds) {
  const auto defaults = config::Source::from_map({});
  config::Reader reader(defaults);
  const auto common = read_common(reader, 50051, 9101);
  EXPECT_EQ(common.grpc_limits.max_receive_bytes, 4 * 1024 * 1024);
  EXPECT_EQ(common.grpc_limits.max_concurrent_streams, 100);

  const auto set = config::Source::from_map(
      {{"grpc.max_receive_message_bytes", "1048576"}, {"grpc.max_concurrent_streams", "16"}});
  config::Reader set_reader(set);
  const auto limited = read_common(set_reader, 50051, 9101);
  EXPECT_EQ(limited.grpc_limits.max_receive_bytes, 1048576);
  EXPECT_EQ(limited.grpc_limits.max_concurrent_streams, 16);

  const auto unbounded = config::Source::from_map(
      {{"grpc.max_receive_message_bytes", "1000000000"}, {"grpc.max_concurrent_streams", "0"}});
  config::Reader bad_reader(unbounded);
  read_common(bad_reader, 50051, 9101);
  try {
    bad_reader.finish();
    FAIL() << "limits out of range must stop the start";
  } catch (const config::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("grpc.max_receive_message_bytes"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("grpc.max_concurrent_streams"), std::string::npos) << e.what();
  }
}

TEST(ReadConsumer, GroupAndTopicsDefaultAndAnEmptyTopicIsNotFollowed) {
  const auto source =
      config::Source::from_map({{"kafka.topics.csr", ""}, {"kafka.session_timeout_ms", "4000"}});
  config::Reader reader(source);
  const auto options =
      read_consumer(reader, "claims", {{"registration", "jaring.registration.v1"}, {"csr", "jaring.csr.v1"}});
  EXPECT_EQ(options.group_id, "jaring-claims");
  EXPECT_EQ(options.topics, std::vector<std::string>{"jaring.registration.v1"});
  EXPECT_EQ(options.session_timeout_ms, 4000);
  EXPECT_EQ(read_kafka(reader).bootstrap_servers, "127.0.0.1:9092");
}

TEST(SettingsFiles, CompiledInUnlessAFileIsNamedAndErrorsNameTheKey) {
  EXPECT_EQ(file_or_compiled_in("tariffs.file", "", "built: in"), "built: in");
  try {
    file_or_compiled_in("tariffs.file", "/nonexistent/tariffs.yaml", "built: in");
    FAIL() << "an unreadable file must stop the start";
  } catch (const config::ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), "tariffs.file: cannot read /nonexistent/tariffs.yaml");
  }
  const auto error = invalid_file("benefits.file", Error::invalid({{"jkm.funeral", "must be positive"}}));
  EXPECT_EQ(std::string(error.what()), "benefits.file: jkm.funeral: must be positive");
}

}  // namespace
}  // namespace jaring::service

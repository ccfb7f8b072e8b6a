#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "jaring/config/config.hpp"

namespace jaring::config {
namespace {

class ConfigFile : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = std::filesystem::temp_directory_path() /
            ("jaring-config-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".yaml");
  }
  void TearDown() override {
    std::filesystem::remove(path_);
    ::unsetenv("JARINGTEST_GRPC_LISTEN");
  }
  void write(const std::string& text) { std::ofstream(path_) << text; }
  std::filesystem::path path_;
};

TEST_F(ConfigFile, ReadsNestedKeysAndEnvironmentWins) {
  write(
      "grpc:\n  listen: 127.0.0.1:5000\nstore:\n  path: /tmp/x.db\nkafka:\n  properties:\n    "
      "security.protocol: ssl\n");
  ::setenv("JARINGTEST_GRPC_LISTEN", "127.0.0.1:6000", 1);
  const auto source = Source::load(path_.string(), "JARINGTEST_");
  Reader reader(source);
  EXPECT_EQ(reader.host_port("grpc.listen", "127.0.0.1:1").port, 6000);
  EXPECT_EQ(reader.string("store.path", ""), "/tmp/x.db");
  EXPECT_EQ(reader.map("kafka.properties.").at("security.protocol"), "ssl");
  EXPECT_NO_THROW(reader.finish());
}

TEST_F(ConfigFile, UnreadableYamlNamesTheFile) {
  write("grpc: [unclosed\n");
  try {
    Source::load(path_.string(), "JARINGTEST_");
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find(path_.string()), std::string::npos);
  }
}

TEST(Reader, NamesEveryBadKeyAndItsRule) {
  const auto source = Source::from_map(
      {{"redis.address", "localhost"}, {"coverage.batch", "lots"}, {"log.level", "loud"}, {"typo.key", "1"}});
  Reader reader(source);
  reader.host_port("redis.address", "127.0.0.1:6379");
  EXPECT_EQ(reader.integer("coverage.batch", 100, 1, 10000), 100);
  reader.choice("log.level", "info", {"debug", "info", "warn", "error"});
  try {
    reader.finish();
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("redis.address (env JARING_REDIS_ADDRESS): must be host:port"), std::string::npos)
        << what;
    EXPECT_NE(what.find("coverage.batch (env JARING_COVERAGE_BATCH): must be an integer from 1 to 10000 (got "
                        "a value of 4 "
                        "characters)"),
              std::string::npos)
        << what;
    EXPECT_EQ(what.find("lots"), std::string::npos) << what;  // the key, never its value
    EXPECT_NE(what.find("log.level"), std::string::npos) << what;
    EXPECT_NE(what.find("typo.key: unknown key"), std::string::npos) << what;
  }
}

TEST(Reader, RequiredKeyMissingIsAProblem) {
  const auto source = Source::from_map({});
  Reader reader(source);
  reader.required_string("kafka.bootstrap_servers");
  EXPECT_THROW(reader.finish(), ConfigError);
}

TEST(Reader, FallbacksApplyWhenKeysAreAbsent) {
  const auto source = Source::from_map({{"grpc.enabled", "no"}});
  Reader reader(source);
  EXPECT_FALSE(reader.boolean("grpc.enabled", true));
  EXPECT_EQ(reader.integer("coverage.batch", 42, 1, 100), 42);
  EXPECT_EQ(reader.host_port("grpc.listen", "0.0.0.0:50051").str(), "0.0.0.0:50051");
  EXPECT_NO_THROW(reader.finish());
}

}  // namespace
}  // namespace jaring::config

#include "jaring/testing/fixtures.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>

namespace jaring::testing {
namespace {

using namespace std::chrono_literals;

// A one-shot Redis command over a raw socket, after AUTH; returns the first line of its reply.
std::string redis_command(const RedisServer& redis, const std::string& command) {
  const int port = redis.port();
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  std::string reply;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    std::string line = "AUTH " + redis.password() + "\r\n" + command + "\r\n";
    ::send(fd, line.data(), line.size(), MSG_NOSIGNAL);
    char buffer[256];
    // Two lines: AUTH's answer, then the first of the command's.
    const auto two_lines = [&] {
      const auto first = reply.find("\r\n");
      return first != std::string::npos && reply.find("\r\n", first + 2) != std::string::npos;
    };
    while (!two_lines()) {
      ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
      if (n <= 0) break;
      reply.append(buffer, static_cast<std::size_t>(n));
    }
  }
  ::close(fd);
  if (!reply.starts_with("+OK\r\n")) return "AUTH refused: " + reply;
  reply = reply.substr(5);
  return reply.substr(0, reply.find("\r\n"));
}

// Partition count per topic as the cluster reports it (-1 when absent).
std::map<std::string, int> cluster_topics(const std::string& bootstrap) {
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), errstr, sizeof errstr);
  rd_kafka_conf_set(conf, "allow.auto.create.topics", "false", errstr, sizeof errstr);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  std::map<std::string, int> out;
  const rd_kafka_metadata_t* md = nullptr;
  if (rd_kafka_metadata(rk, 1, nullptr, &md, 10000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    for (int i = 0; i < md->topic_cnt; ++i) out[md->topics[i].topic] = md->topics[i].partition_cnt;
    rd_kafka_metadata_destroy(md);
  }
  rd_kafka_destroy(rk);
  return out;
}

std::pair<std::string, int> split_host_port(const std::string& address) {
  auto colon = address.rfind(':');
  return {address.substr(0, colon), std::stoi(address.substr(colon + 1))};
}

TEST(TempDirTest, CreatesAndRemoves) {
  std::filesystem::path path;
  {
    TempDir dir("jaring-tempdir-");
    path = dir.path();
    EXPECT_TRUE(std::filesystem::is_directory(path));
    std::ofstream(path / "file") << "x";
    TempDir other("jaring-tempdir-");
    EXPECT_NE(other.path(), path);
  }
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(EnvTest, DirsComeFromCtest) {
  EXPECT_TRUE(std::filesystem::is_directory(bin_dir()));
  EXPECT_TRUE(std::filesystem::exists(source_dir() / "deploy" / "local" / "topics.yaml"));
}

TEST(RedisServerTest, AnswersAndIsGoneAfterDestruction) {
  int port = 0;
  {
    RedisServer redis;
    port = redis.port();
    EXPECT_EQ(redis.address(), "127.0.0.1:" + std::to_string(port));
    EXPECT_EQ(redis_command(redis, "PING"), "+PONG");
    EXPECT_EQ(redis_command(redis, "SET k v"), "+OK");
    EXPECT_EQ(redis_command(redis, "CONFIG GET save").substr(0, 1), "*");
  }
  EXPECT_FALSE(process::port_open("127.0.0.1", port));
}

TEST(RedisServerTest, KillAndRestartKeepThePortAndLoseTheData) {
  RedisServer redis;
  int port = redis.port();
  ASSERT_EQ(redis_command(redis, "SET k v"), "+OK");
  redis.kill();
  EXPECT_FALSE(process::port_open("127.0.0.1", port));
  redis.restart();
  EXPECT_EQ(redis.port(), port);
  EXPECT_EQ(redis_command(redis, "PING"), "+PONG");
  EXPECT_EQ(redis_command(redis, "GET k"), "$-1");  // a nil bulk string: the data went with the crash
}

TEST(DevKafkaTest, ServesTheProjectTopicsAndIsGoneAfterDestruction) {
  std::string bootstrap;
  {
    DevKafka kafka({{"jaring.claims.v1", 3}, {"jaring.test.v1", 2}});
    bootstrap = kafka.bootstrap();
    ASSERT_FALSE(bootstrap.empty());
    auto topics = cluster_topics(bootstrap);
    EXPECT_EQ(topics["jaring.registration.v1"], 12);
    EXPECT_EQ(topics["jaring.contribution.v1"], 12);
    EXPECT_EQ(topics["jaring.claims.v1"], 3);  // overridden
    EXPECT_EQ(topics["jaring.csr.v1"], 8);
    EXPECT_EQ(topics["jaring.deadletter.v1"], 4);
    EXPECT_EQ(topics["jaring.test.v1"], 2);  // added
  }
  auto [host, port] = split_host_port(bootstrap.substr(0, bootstrap.find(',')));
  EXPECT_FALSE(process::port_open(host, port));
}

TEST(DevKafkaTest, BadTopicOverrideFailsWithTheLog) {
  try {
    DevKafka kafka({{"jaring.bad.v1", 0}});
    FAIL() << "a topic with 0 partitions was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("jaring.bad.v1:0: partitions must be 1..1024"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace jaring::testing

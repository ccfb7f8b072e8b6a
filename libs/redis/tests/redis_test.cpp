#include <gtest/gtest.h>

#include "jaring/redis/redis.hpp"
#include "jaring/testing/fixtures.hpp"

namespace jaring::redis {
namespace {

TEST(RedisClient, PipelinesCommandsInOrder) {
  testing::RedisServer server;
  Client client("127.0.0.1", server.port(), {.password = server.password()});
  std::vector<Command> commands(1000, {"HINCRBY", "rw:31.75.06.1005.002", "registered", "1"});
  commands.push_back({"HGET", "rw:31.75.06.1005.002", "registered"});
  auto replies = client.pipeline(commands);
  ASSERT_TRUE(replies) << replies.error().message;
  ASSERT_EQ(replies->size(), 1001u);
  EXPECT_EQ((*replies)[0].as_int(), 1);
  EXPECT_EQ((*replies)[999].as_int(), 1000);
  EXPECT_EQ(replies->back().as_int(), 1000);
}

TEST(RedisClient, RedisErrorsAreRepliesNotFailures) {
  testing::RedisServer server;
  Client client("127.0.0.1", server.port(), {.password = server.password()});
  ASSERT_TRUE(client.command({"SET", "k", "text"}));
  auto reply = client.command({"INCR", "k"});
  ASSERT_TRUE(reply);
  EXPECT_TRUE(reply->is_error());
  auto missing = client.command({"GET", "nothing"});
  ASSERT_TRUE(missing);
  EXPECT_TRUE(missing->is_nil());
}

TEST(RedisClient, ScriptsSurviveARedisRestart) {
  testing::RedisServer server;
  Client client("127.0.0.1", server.port(), {.password = server.password()});
  const std::string script = "return redis.call('INCRBY', KEYS[1], ARGV[1])";
  auto first = client.eval(script, {"counter"}, {"5"});
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(first->as_int(), 5);

  server.kill();
  auto down = client.eval(script, {"counter"}, {"1"});
  ASSERT_FALSE(down);
  EXPECT_EQ(down.error().code, ErrorCode::kUnavailable);

  server.restart();  // a new server: no data, no scripts
  auto again = client.eval(script, {"counter"}, {"2"});
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->as_int(), 2);
}

TEST(RedisClient, UnreachableServerIsUnavailable) {
  Client client("127.0.0.1", 1, {}, std::chrono::milliseconds(200));
  auto reply = client.command({"PING"});
  ASSERT_FALSE(reply);
  EXPECT_EQ(reply.error().code, ErrorCode::kUnavailable);
  EXPECT_FALSE(client.ping());
}

TEST(RedisClient, AServerWantingAPasswordSaysSoInsteadOfFailingEveryCommand) {
  testing::RedisServer server;
  Client without("127.0.0.1", server.port());
  auto refused = without.command({"GET", "k"});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(refused.error().message.find("requires a password and none is configured"), std::string::npos)
      << refused.error().message;

  Client wrong("127.0.0.1", server.port(), {.password = "not-" + server.password()});
  auto wrong_reply = wrong.command({"GET", "k"});
  ASSERT_FALSE(wrong_reply);
  EXPECT_NE(wrong_reply.error().message.find("refused the configured username or password"),
            std::string::npos)
      << wrong_reply.error().message;
  EXPECT_EQ(wrong_reply.error().message.find(server.password()), std::string::npos);  // never the secret

  Client right("127.0.0.1", server.port(), {.password = server.password()});
  EXPECT_TRUE(right.ping());
}

}  // namespace
}  // namespace jaring::redis

#include <gtest/gtest.h>

#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

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

// What a subscriber handed on, for a test to wait on.
class Inbox {
 public:
  Subscriber::Handlers handlers() {
    return {[this](std::string_view message) {
              std::lock_guard lock(mutex_);
              messages_.emplace_back(message);
              changed_.notify_all();
            },
            [this] {
              std::lock_guard lock(mutex_);
              ++subscriptions_;
              changed_.notify_all();
            },
            [this] {
              std::lock_guard lock(mutex_);
              ++losses_;
              changed_.notify_all();
            }};
  }
  // Waits (up to 10 s) until the connection was lost `n` times; returns how often it was.
  int losses(int n) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, std::chrono::seconds(10), [&] { return losses_ >= n; });
    return losses_;
  }
  // Waits (up to 10 s) until `n` messages came; returns those there are.
  std::vector<std::string> messages(std::size_t n) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, std::chrono::seconds(10), [&] { return messages_.size() >= n; });
    return messages_;
  }
  // Waits (up to 10 s) until the subscription started `n` times; returns how often it did.
  int subscriptions(int n) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, std::chrono::seconds(10), [&] { return subscriptions_ >= n; });
    return subscriptions_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::string> messages_;
  int subscriptions_ = 0;
  int losses_ = 0;
};

TEST(RedisSubscriber, HandsOnItsChannelsMessagesInOrder) {
  testing::RedisServer server;
  Client client("127.0.0.1", server.port(), {.password = server.password()});
  Inbox inbox;
  Subscriber subscriber("127.0.0.1", server.port(), {.password = server.password()}, "jaring:changes",
                        inbox.handlers());
  subscriber.start();
  ASSERT_EQ(inbox.subscriptions(1), 1);
  EXPECT_TRUE(subscriber.subscribed());
  ASSERT_TRUE(client.pipeline({{"PUBLISH", "jaring:changes", "one"},
                               {"PUBLISH", "jaring:other", "not ours"},
                               {"PUBLISH", "jaring:changes", "two"}}));
  EXPECT_EQ(inbox.messages(2), (std::vector<std::string>{"one", "two"}));
}

TEST(RedisSubscriber, SubscribesAgainWhenRedisComesBack) {
  testing::RedisServer server;
  Client client("127.0.0.1", server.port(), {.password = server.password()});
  Inbox inbox;
  Subscriber subscriber("127.0.0.1", server.port(), {.password = server.password()}, "jaring:changes",
                        inbox.handlers(), std::chrono::milliseconds(100));
  subscriber.start();
  ASSERT_EQ(inbox.subscriptions(1), 1);

  server.kill();
  ASSERT_EQ(inbox.losses(1), 1) << "the lost connection is noticed";
  EXPECT_FALSE(subscriber.subscribed());

  server.restart();
  ASSERT_EQ(inbox.subscriptions(2), 2) << "subscribed again, and told so (to catch up)";
  ASSERT_TRUE(client.command({"PUBLISH", "jaring:changes", "after"}));
  EXPECT_EQ(inbox.messages(1), (std::vector<std::string>{"after"}));
  subscriber.stop();
  EXPECT_EQ(inbox.losses(0), 1) << "a stop is not a loss";  // no handler runs after stop()
}

// A Redis that stops answering but keeps the connection open (SIGSTOP here; a hung server or a
// network that drops packets silently alike) is noticed by the keep-alive, not only a closed one.
TEST(RedisSubscriber, ARedisThatStopsAnsweringIsTakenForLostAndSubscribedToAgainOnceItAnswers) {
  testing::RedisServer server;
  Client client("127.0.0.1", server.port(), {.password = server.password()});
  const auto pid = server.pid();
  Inbox inbox;
  Subscriber subscriber("127.0.0.1", server.port(), {.password = server.password()}, "jaring:changes",
                        inbox.handlers(), std::chrono::milliseconds(100), std::chrono::milliseconds(300));
  subscriber.start();
  ASSERT_EQ(inbox.subscriptions(1), 1);
  // Quiet but answering: the PINGs are answered, the subscription stays.
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_TRUE(subscriber.subscribed());
  EXPECT_EQ(inbox.losses(0), 0);

  ASSERT_EQ(::kill(pid, SIGSTOP), 0);
  struct Resume {
    pid_t pid;
    ~Resume() { ::kill(pid, SIGCONT); }
  } resume{pid};
  ASSERT_EQ(inbox.losses(1), 1) << "a Redis that does not answer its PING is taken for lost";
  EXPECT_FALSE(subscriber.subscribed());

  ASSERT_EQ(::kill(pid, SIGCONT), 0);
  ASSERT_EQ(inbox.subscriptions(2), 2) << "subscribed again once Redis answers";
  ASSERT_TRUE(client.command({"PUBLISH", "jaring:changes", "after"}));
  EXPECT_EQ(inbox.messages(1), (std::vector<std::string>{"after"}));
}

TEST(RedisSubscriber, AWrongPasswordIsRetriedAndStopEndsTheWaitingAtOnce) {
  testing::RedisServer server;
  Inbox inbox;
  Subscriber subscriber("127.0.0.1", server.port(), {.password = "not-the-password"}, "jaring:changes",
                        inbox.handlers(), std::chrono::seconds(30));
  subscriber.start();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_FALSE(subscriber.subscribed());
  const auto asked = std::chrono::steady_clock::now();
  subscriber.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - asked, std::chrono::seconds(5)) << "stop waited out the retry";
  EXPECT_EQ(inbox.subscriptions(0), 0);
}

}  // namespace
}  // namespace jaring::redis

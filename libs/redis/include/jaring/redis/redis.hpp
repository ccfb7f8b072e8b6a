#pragma once
// Redis through hiredis: pipelined commands (one round trip for many), Lua scripts run by SHA,
// and reconnection after Redis restarts. Safe to share between threads (calls serialise). A
// Subscriber receives one channel's messages on a connection and a thread of its own.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "jaring/common/result.hpp"

struct redisContext;

namespace jaring::redis {

// A reply of Redis. hiredis builds it as it reads (src/redis.cpp), with no tree of its own to copy.
struct Reply {
  enum class Type { kNil, kInteger, kString, kStatus, kError, kArray };
  Type type = Type::kNil;
  std::int64_t integer = 0;
  std::string str;  // string, status or error text
  std::vector<Reply> elements;

  bool is_error() const { return type == Type::kError; }
  bool is_nil() const { return type == Type::kNil; }
  // Integer replies, and strings that hold an integer (HGET of a counter); 0 for nil.
  std::int64_t as_int() const;
};

using Command = std::vector<std::string>;

// Who the client is to Redis (AUTH): the password alone for `requirepass`, or an ACL user.
struct Auth {
  std::string username{};  // empty: Redis's default user
  std::string password{};  // empty: no AUTH
};

class Client {
 public:
  // Connects on first use, and again after a failure; with `auth`, every connection
  // authenticates first. A Redis that wants a password this client lacks, or refuses the one
  // it has, is a connection failure whose message says so (never the password).
  Client(std::string host, int port, Auth auth = {},
         std::chrono::milliseconds timeout = std::chrono::seconds(5));
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // One command; Redis errors come back as Reply::Type::kError, connection trouble as Error.
  Result<Reply> command(const Command& args);
  // Every command in one round trip; replies in order.
  Result<std::vector<Reply>> pipeline(const std::vector<Command>& commands);
  // EVALSHA, loading the script first when Redis does not know it (new or restarted server).
  Result<Reply> eval(const std::string& script, const std::vector<std::string>& keys,
                     const std::vector<std::string>& args);
  // The same, with keys and arguments the caller holds: they reach hiredis without a copy (a
  // batch of coverage changes has thousands).
  Result<Reply> eval(const std::string& script, std::span<const std::string_view> keys,
                     std::span<const std::string_view> args);
  bool ping();

 private:
  Result<void> ensure_connected();
  // The replies of the next `count` commands queued.
  Result<std::vector<Reply>> replies_locked(std::size_t count);
  Result<std::vector<Reply>> pipeline_locked(const std::vector<Command>& commands);
  void drop();
  std::string host_;
  int port_;
  Auth auth_;
  std::chrono::milliseconds timeout_;
  std::mutex mutex_;
  redisContext* context_ = nullptr;
  std::string script_sha_source_;  // source whose SHA is cached
  std::string script_sha_;
};

// The messages PUBLISHed to one channel, handed to `on_message` (payload only) on the
// subscriber's thread, in the order Redis sent them. Pub/sub delivers at most once: what is
// published while the connection is down (Redis restarting, the network gone) is lost, and the
// thread connects again every `retry` until it is stopped. `on_subscribed` runs on that thread
// each time the subscription (re)starts: the moment to catch up on what may have been missed;
// `on_lost` when the connection was lost (not when stopped).
class Subscriber {
 public:
  struct Handlers {
    std::function<void(std::string_view)> on_message;
    std::function<void()> on_subscribed{};
    std::function<void()> on_lost{};
  };
  // `keepalive`: after that long without a word from Redis the subscriber PINGs, and after as
  // long again without an answer it takes the connection for lost (a Redis that stalled, or a
  // connection a network dropped silently) and connects again. Pub/sub alone says nothing while
  // no one publishes.
  Subscriber(std::string host, int port, Auth auth, std::string channel, Handlers handlers,
             std::chrono::milliseconds retry = std::chrono::seconds(1),
             std::chrono::milliseconds keepalive = std::chrono::seconds(5));
  ~Subscriber();  // stops
  Subscriber(const Subscriber&) = delete;
  Subscriber& operator=(const Subscriber&) = delete;

  void start();
  // Returns once the thread has ended (within about kPollInterval); no handler runs after.
  void stop();
  // Subscribed now (tests; a service tracks it through on_subscribed and on_lost).
  bool subscribed() const { return subscribed_.load(); }

  // How long the thread waits for a message before it looks whether it should stop.
  static constexpr std::chrono::milliseconds kPollInterval{200};

 private:
  void run();
  // Connects, authenticates and subscribes; false (logged once per outage) when that failed.
  bool subscribe();
  // Hands on the messages that arrived; false when the connection failed.
  bool receive();
  // After a wait with nothing read: PINGs Redis once `keepalive_` passed since it was last
  // heard; false once an answer is overdue.
  bool keep_alive();
  void drop();

  std::string host_;
  int port_;
  Auth auth_;
  std::string channel_;
  Handlers handlers_;
  std::chrono::milliseconds retry_;
  std::chrono::milliseconds keepalive_;
  redisContext* context_ = nullptr;                // the thread's own
  std::chrono::steady_clock::time_point heard_{};  // the last reply read (the thread's)
  bool pinged_ = false;                            // a PING is waiting for its answer
  std::atomic<bool> subscribed_{false};
  bool failing_ = false;  // an outage was logged
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace jaring::redis

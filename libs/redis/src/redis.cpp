#include "jaring/redis/redis.hpp"

#include <hiredis/hiredis.h>

#include <poll.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <memory>
#include <string_view>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "jaring/common/assert.hpp"

namespace jaring::redis {
namespace {

// Queues one command (its parts: strings or string_views) on the connection; its reply is read
// with redisGetReply. hiredis copies the parts: they need not outlive the call.
template <typename Parts>
void queue(redisContext* context, const Parts& parts) {
  std::vector<const char*> argv;
  std::vector<std::size_t> lens;
  argv.reserve(parts.size());
  lens.reserve(parts.size());
  for (const auto& a : parts) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  redisAppendCommandArgv(context, static_cast<int>(argv.size()), argv.data(), lens.data());
}

// hiredis builds each reply as a Reply directly (redisReplyObjectFunctions), not as its own tree
// of redisReply that was copied after: a pipelined read of a kota's RWs has thousands of values,
// and the copy doubled the allocations (a third of what reading them cost this side).
// A reply's place: a new root, or its element of the array being read (sized when it began).
Reply* place(const redisReadTask* task) {
  if (task->parent == nullptr) return new Reply;  // owned by whoever reads it: see take()
  auto* parent = static_cast<Reply*>(task->parent->obj);
  JARING_ASSERT(parent->type == Reply::Type::kArray && task->idx >= 0 &&
                    static_cast<std::size_t>(task->idx) < parent->elements.size(),
                "hiredis places an element within the array it announced");
  return &parent->elements[static_cast<std::size_t>(task->idx)];
}
void* create_string(const redisReadTask* task, char* str, std::size_t len) {
  auto* reply = place(task);
  reply->type = task->type == REDIS_REPLY_ERROR    ? Reply::Type::kError
                : task->type == REDIS_REPLY_STATUS ? Reply::Type::kStatus
                                                   : Reply::Type::kString;
  reply->str.assign(str, len);
  return reply;
}
void* create_array(const redisReadTask* task, int elements) {
  auto* reply = place(task);
  reply->type = Reply::Type::kArray;
  reply->elements.resize(static_cast<std::size_t>(std::max(elements, 0)));
  return reply;
}
void* create_integer(const redisReadTask* task, long long value) {
  auto* reply = place(task);
  reply->type = Reply::Type::kInteger;
  reply->integer = value;
  return reply;
}
void* create_nil(const redisReadTask* task) {
  auto* reply = place(task);
  reply->type = Reply::Type::kNil;
  return reply;
}
// hiredis frees only roots (a reply it gives up on); the elements go with them.
void free_reply(void* reply) { delete static_cast<Reply*>(reply); }

redisReplyObjectFunctions* reply_functions() {
  static redisReplyObjectFunctions functions{create_string, create_array, create_integer, create_nil,
                                             free_reply};
  return &functions;
}

// The reply redisGetReply handed over (built by reply_functions()).
Reply take(void* raw) {
  const std::unique_ptr<Reply> owned(static_cast<Reply*>(raw));
  return std::move(*owned);
}

timeval to_timeval(std::chrono::milliseconds ms) {
  return {static_cast<time_t>(ms.count() / 1000), static_cast<suseconds_t>((ms.count() % 1000) * 1000)};
}

// A connection that answered PING (after AUTH when configured), with `timeout` on each read and
// write; the caller frees it. UNAVAILABLE, with a message an operator can act on, otherwise.
Result<redisContext*> open(const std::string& host, int port, const Auth& auth,
                           std::chrono::milliseconds timeout) {
  redisContext* context = redisConnectWithTimeout(host.c_str(), port, to_timeval(timeout));
  const auto refuse = [&](std::string message) -> Result<redisContext*> {
    if (context != nullptr) redisFree(context);
    return fail(Error::unavailable(std::move(message)));
  };
  if (context == nullptr || context->err != 0)
    return refuse(fmt::format("redis {}:{}: {}", host, port, context ? context->errstr : "out of memory"));
  redisSetTimeout(context, to_timeval(timeout));
  context->reader->fn = reply_functions();
  // AUTH (when configured) and PING in one round trip: a server that wants a password we do not
  // have answers NOAUTH here, once, with a message an operator can act on, instead of an error
  // reply to every command.
  std::vector<Command> handshake;
  if (!auth.password.empty()) {
    Command command{"AUTH"};
    if (!auth.username.empty()) command.push_back(auth.username);
    command.push_back(auth.password);
    handshake.push_back(std::move(command));
  }
  handshake.push_back({"PING"});
  for (const auto& command : handshake) queue(context, command);
  for (const auto& command : handshake) {
    void* raw = nullptr;
    if (redisGetReply(context, &raw) != REDIS_OK || raw == nullptr)
      return refuse(fmt::format("redis {}:{}: {}", host, port, context->errstr));
    const auto reply = take(raw);
    const std::string error = reply.is_error() ? reply.str : "";
    if (error.empty()) continue;
    if (error.starts_with("NOAUTH"))
      return refuse(fmt::format(
          "redis {}:{} requires a password and none is configured (redis.password_file, redis.username)",
          host, port));
    if (command.front() == "AUTH")
      return refuse(fmt::format(
          "redis {}:{} refused the configured username or password (redis.password_file, redis.username): {}",
          host, port, error.substr(0, error.find(' '))));
    return refuse(fmt::format("redis {}:{}: {}", host, port, error));
  }
  return context;
}

}  // namespace

std::int64_t Reply::as_int() const {
  if (type == Type::kInteger) return integer;
  std::int64_t value = 0;
  if (type == Type::kString) std::from_chars(str.data(), str.data() + str.size(), value);
  return value;
}

Client::Client(std::string host, int port, Auth auth, std::chrono::milliseconds timeout)
    : host_(std::move(host)), port_(port), auth_(std::move(auth)), timeout_(timeout) {}

Client::~Client() { drop(); }

void Client::drop() {
  if (context_ != nullptr) redisFree(context_);
  context_ = nullptr;
}

Result<void> Client::ensure_connected() {
  if (context_ != nullptr) return {};
  auto opened = open(host_, port_, auth_, timeout_);
  if (!opened) return fail(opened.error());
  context_ = *opened;
  return {};
}

Result<std::vector<Reply>> Client::replies_locked(std::size_t count) {
  std::vector<Reply> replies;
  replies.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    void* raw = nullptr;
    if (redisGetReply(context_, &raw) != REDIS_OK || raw == nullptr) {
      auto message = fmt::format("redis {}:{}: {}", host_, port_, context_->errstr);
      drop();  // the stream is out of step now: start afresh next time
      return fail(Error::unavailable(std::move(message)));
    }
    replies.push_back(take(raw));
  }
  return replies;
}

Result<std::vector<Reply>> Client::pipeline_locked(const std::vector<Command>& commands) {
  if (auto ok = ensure_connected(); !ok) return fail(ok.error());
  for (const auto& command : commands) queue(context_, command);
  return replies_locked(commands.size());
}

Result<std::vector<Reply>> Client::pipeline(const std::vector<Command>& commands) {
  std::lock_guard lock(mutex_);
  return pipeline_locked(commands);
}

Result<Reply> Client::command(const Command& args) {
  auto replies = pipeline({args});
  if (!replies) return fail(replies.error());
  return std::move(replies->front());
}

Result<Reply> Client::eval(const std::string& script, const std::vector<std::string>& keys,
                           const std::vector<std::string>& args) {
  const std::vector<std::string_view> key_views(keys.begin(), keys.end());
  const std::vector<std::string_view> arg_views(args.begin(), args.end());
  return eval(script, key_views, arg_views);
}

Result<Reply> Client::eval(const std::string& script, std::span<const std::string_view> keys,
                           std::span<const std::string_view> args) {
  std::lock_guard lock(mutex_);
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (script_sha_source_ != script || script_sha_.empty()) {
      auto loaded = pipeline_locked({{"SCRIPT", "LOAD", script}});
      if (!loaded) return fail(loaded.error());
      if (loaded->front().is_error())
        return fail(Error::internal("redis SCRIPT LOAD: " + loaded->front().str));
      script_sha_ = loaded->front().str;
      script_sha_source_ = script;
    }
    if (auto ok = ensure_connected(); !ok) return fail(ok.error());
    const auto key_count = std::to_string(keys.size());
    std::vector<std::string_view> parts{"EVALSHA", script_sha_, key_count};
    parts.reserve(parts.size() + keys.size() + args.size());
    parts.insert(parts.end(), keys.begin(), keys.end());
    parts.insert(parts.end(), args.begin(), args.end());
    queue(context_, parts);
    auto replies = replies_locked(1);
    if (!replies) return fail(replies.error());
    auto& reply = replies->front();
    if (reply.is_error() && reply.str.starts_with("NOSCRIPT")) {
      script_sha_.clear();  // Redis restarted and forgot it: load again
      continue;
    }
    return std::move(reply);
  }
  return fail(Error::internal("redis keeps forgetting the script"));
}

bool Client::ping() {
  auto reply = command({"PING"});
  return reply && reply->str == "PONG";
}

Subscriber::Subscriber(std::string host, int port, Auth auth, std::string channel, Handlers handlers,
                       std::chrono::milliseconds retry, std::chrono::milliseconds keepalive)
    : host_(std::move(host)),
      port_(port),
      auth_(std::move(auth)),
      channel_(std::move(channel)),
      handlers_(std::move(handlers)),
      retry_(retry),
      keepalive_(keepalive) {
  JARING_ASSERT(handlers_.on_message != nullptr, "a subscriber hands its messages to someone");
}

Subscriber::~Subscriber() { stop(); }

void Subscriber::start() {
  JARING_ASSERT(!thread_.joinable(), "a subscriber starts once");
  thread_ = std::thread([this] { run(); });
}

void Subscriber::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  subscribed_ = false;  // stopped, not lost
  drop();
}

void Subscriber::run() {
  while (true) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
    }
    if (context_ == nullptr && !subscribe()) {
      std::unique_lock lock(mutex_);
      wake_.wait_for(lock, retry_, [this] { return stopping_; });
      continue;
    }
    if (!receive()) drop();
  }
}

bool Subscriber::subscribe() {
  auto opened = open(host_, port_, auth_, std::chrono::seconds(5));
  std::string why;
  if (opened) {
    context_ = *opened;
    const std::array<std::string_view, 2> command{"SUBSCRIBE", channel_};
    queue(context_, command);
    void* raw = nullptr;
    if (redisGetReply(context_, &raw) != REDIS_OK || raw == nullptr) {
      why = context_->errstr;
    } else {
      const auto reply = take(raw);
      // ["subscribe", channel, count]; an ACL user without the channel gets an error instead.
      if (reply.is_error()) why = reply.str;
    }
  } else {
    why = opened.error().message;
  }
  if (!why.empty()) {
    drop();
    if (!failing_)
      spdlog::warn("redis subscription to {}: {} (trying again every {} ms)", channel_, why, retry_.count());
    failing_ = true;
    return false;
  }
  if (failing_) spdlog::info("redis subscription to {}: subscribed again", channel_);
  failing_ = false;
  heard_ = std::chrono::steady_clock::now();
  pinged_ = false;
  subscribed_ = true;
  if (handlers_.on_subscribed) handlers_.on_subscribed();
  return true;
}

bool Subscriber::receive() {
  // The replies hiredis has read already first; then wait (a while) for more on the socket.
  while (true) {
    void* raw = nullptr;
    if (redisGetReplyFromReader(context_, &raw) != REDIS_OK) return false;
    if (raw == nullptr) break;
    const auto reply = take(raw);
    heard_ = std::chrono::steady_clock::now();
    pinged_ = false;
    // ["message", channel, payload]; a PING's answer is ["pong", ""]
    if (reply.type == Reply::Type::kArray && reply.elements.size() == 3 && reply.elements[0].str == "message")
      handlers_.on_message(reply.elements[2].str);
  }
  pollfd socket{.fd = context_->fd, .events = POLLIN, .revents = 0};
  const int ready = ::poll(&socket, 1, static_cast<int>(kPollInterval.count()));
  if (ready < 0) return errno == EINTR;
  if (ready == 0) return keep_alive();
  // Readable, or closed: hiredis reads what there is, and fails on a closed connection.
  return redisBufferRead(context_) == REDIS_OK;
}

bool Subscriber::keep_alive() {
  const auto silent = std::chrono::steady_clock::now() - heard_;
  if (silent < keepalive_) return true;
  if (pinged_) {
    if (silent < 2 * keepalive_) return true;
    spdlog::warn("redis subscription to {}: no answer to a PING in {} ms", channel_, keepalive_.count());
    return false;
  }
  const std::array<std::string_view, 1> ping{"PING"};
  queue(context_, ping);
  for (int done = 0; done == 0;) {
    if (redisBufferWrite(context_, &done) != REDIS_OK) return false;
  }
  pinged_ = true;
  return true;
}

void Subscriber::drop() {
  if (context_ != nullptr) redisFree(context_);
  context_ = nullptr;
  if (subscribed_.exchange(false)) {
    spdlog::warn("redis subscription to {}: the connection was lost", channel_);
    if (handlers_.on_lost) handlers_.on_lost();
  }
}

}  // namespace jaring::redis

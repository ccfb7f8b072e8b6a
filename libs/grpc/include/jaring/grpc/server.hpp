#pragma once
// gRPC plumbing shared by every service: a server with standard health checking
// (grpc.health.v1), server reflection, RPC metrics and limits on what a client can make it hold; the one
// mapping from domain errors to gRPC status codes with google.rpc.BadRequest field details; deadlines for
// clients.

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "jaring/common/result.hpp"
#include "jaring/metrics/metrics.hpp"

namespace jaring::grpc {

// The status a domain error becomes: INVALID_ARGUMENT carries a google.rpc.BadRequest with one
// field violation per broken rule.
::grpc::Status to_status(const Error& error);

// Turns off the lock-order (deadlock) checks of Abseil's Mutex, on which gRPC's own locks are
// built. Debian's Abseil is compiled without NDEBUG, so every lock and unlock of gRPC's updates a
// graph of lock order, under one lock of its own, and records stack traces: 2% of registration's
// profile in single calls, and a lock every gRPC thread queues on (README, "Benchmarks"). Called
// once at the start of a process that serves or calls gRPC, before its first thread.
void disable_lock_order_checks();

// Reads the field violations back from a status (clients and tests).
std::vector<FieldViolation> field_violations(const ::grpc::Status& status);

// "INVALID_ARGUMENT" for INVALID_ARGUMENT: for people and metric labels.
const char* status_code_name(::grpc::StatusCode code);

// Streams an export to `writer`: `run(sink)` calls sink(row) for each row (false: stop) and
// `convert(row, message)` fills a message. A client that went away ends it with CANCELLED.
template <class Row, class Message, class Run, class Convert>
::grpc::Status stream_export(::grpc::ServerContext* context, ::grpc::ServerWriter<Message>* writer, Run&& run,
                             Convert&& convert) {
  bool ok = true;
  auto done = run([&](const Row& row) {
    Message message;
    convert(row, message);
    ok = !context->IsCancelled() && writer->Write(message);
    return ok;
  });
  if (!done) return to_status(done.error());
  return ok ? ::grpc::Status::OK : ::grpc::Status(::grpc::StatusCode::CANCELLED, "client went away");
}

// Logs an unexpected failure inside a handler and answers INTERNAL without details.
::grpc::Status internal_error(const char* what);

// Sets a deadline on a client call: every call Jaring makes has one.
void set_deadline(::grpc::ClientContext& context, std::chrono::milliseconds timeout);

// What one client can make a server hold. A request message larger than max_receive_bytes is
// refused with RESOURCE_EXHAUSTED before any handler sees it (and never buffered whole); one
// connection runs at most max_concurrent_streams calls at once (HTTP/2
// SETTINGS_MAX_CONCURRENT_STREAMS: a client's further calls wait for a free stream). Read from
// grpc.max_receive_message_bytes and grpc.max_concurrent_streams (libs/service).
struct ServerLimits {
  // gRPC's own default, stated: a RegisterBulk batch of 1,000 rows is about 200 KiB.
  int max_receive_bytes = 4 * 1024 * 1024;
  int max_concurrent_streams = 100;
};

struct ServedMethods;  // server.cpp: the method names metrics may use as labels

class Server {
 public:
  explicit Server(metrics::Registry& metrics, ServerLimits limits = {});
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Services must outlive the server.
  void add_service(::grpc::Service* service);
  // Binds `address` (host:port, port 0 picks one) and starts serving, plaintext unless
  // `credentials` (grpc/tls.hpp) say otherwise. Throws std::runtime_error when it cannot bind.
  void start(const std::string& address,
             const std::shared_ptr<::grpc::ServerCredentials>& credentials = nullptr);
  int port() const { return port_; }
  // Health of the whole server ("" service) as grpc.health.v1 reports it.
  void set_serving(bool serving);
  void shutdown(std::chrono::milliseconds grace = std::chrono::seconds(5));

 private:
  metrics::Registry& metrics_;
  ServerLimits limits_;
  std::shared_ptr<ServedMethods> served_;
  std::vector<::grpc::Service*> services_;
  std::unique_ptr<::grpc::Server> server_;
  int port_ = 0;
};

}  // namespace jaring::grpc

#pragma once
// The one boundary every RPC of every service passes (as userver's handler base owns the request
// boundary): no handler writes its own authentication, authorization, trace handling, audit or
// error mapping. In order, for each call:
//   1. the trace id: the caller's x-trace-id when it is hex (or a W3C traceparent), else a new one;
//   2. authentication: `authorization: Bearer <JWT>` verified by auth::Verifier (UNAUTHENTICATED);
//   3. authorization: the method's entry in the access table (auth::policies), deny by default
//      (PERMISSION_DENIED), a per-subject rate where the table sets one (RESOURCE_EXHAUSTED);
//   4. the scope of the call, handed to the handler, which applies it in its store queries;
//   5. the audit record of a change or of a read of personal data (audit::CallRecord), written
//      in the change's own transaction or after the call;
//   6. the handler, whose exceptions become INTERNAL here (UNAVAILABLE for a store failure,
//      INVALID_ARGUMENT for an event too large for the outbox).
// A service acting for a user (role `service`) names that user in x-jaring-acting-user; anyone
// else's header is ignored.

#include <grpcpp/grpcpp.h>

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "jaring/audit/trail.hpp"
#include "jaring/auth/policy.hpp"
#include "jaring/auth/verifier.hpp"
#include "jaring/metrics/metrics.hpp"

namespace google::protobuf {
class Message;
}

namespace jaring::grpc {

inline constexpr const char* kActingUserHeader = "x-jaring-acting-user";
// The trailer an owner's export stream ends with: its events not yet on the bus when the last row
// was sent (0: every exported fact's event is on the bus). Coverage's rebuild waits for 0.
inline constexpr const char* kUnpublishedEventsTrailer = "jaring-unpublished-events";
// The trailer of an export whose rows follow another owner's events (contribution's accounts
// open from registration's): how far the store had applied each partition before the first row
// (store::consumer_positions_text). Coverage's rebuild waits until that reaches the watermarks.
inline constexpr const char* kAppliedOffsetsTrailer = "jaring-applied-offsets";

// What a handler knows of the call the edge let in.
struct Call {
  const auth::Identity& caller;
  const auth::Scope& scope;
  std::string_view method;  // full gRPC name
};

class Edge {
 public:
  // `service`: the full proto name, e.g. jaring.registration.v1.RegistrationService. `trail` may
  // be null for a service that keeps no audit trail of its own.
  // `policies` finds a method's entry: the project's one table unless a test gives its own.
  using PolicyLookup = std::function<const auth::MethodPolicy*(std::string_view method)>;
  Edge(std::string service, auth::Verifier& verifier, metrics::Registry& metrics, audit::Trail* trail,
       PolicyLookup policies = auth::find_policy);
  Edge(const Edge&) = delete;
  Edge& operator=(const Edge&) = delete;

  using Handler = std::function<::grpc::Status(const Call&)>;

  // A unary or server-streaming call: `request` is known, `reply` (may be null for a stream)
  // is read for the ids the audit records. `context` is a synchronous method's ServerContext or
  // a callback method's CallbackServerContext (answered with answer_inline below).
  ::grpc::Status serve(::grpc::ServerContextBase* context, std::string_view method,
                       const google::protobuf::Message* request, const google::protobuf::Message* reply,
                       const Handler& handler);

  const std::string& service() const { return service_; }

 private:
  struct Admitted;
  ::grpc::Status admit(::grpc::ServerContextBase& context, const std::string& method,
                       const google::protobuf::Message* request, Admitted& out);
  bool within_rate(const std::string& subject, const auth::MethodPolicy& policy);

  std::string service_;
  auth::Verifier& verifier_;
  audit::Trail* trail_;
  PolicyLookup policies_;
  prometheus::Family<prometheus::Counter>& refusals_;
  std::mutex rate_mutex_;
  struct Bucket {
    double tokens = 0;
    std::chrono::steady_clock::time_point at;
  };
  std::map<std::string, Bucket, std::less<>> buckets_;
};

// Where a call runs. gRPC's synchronous server hands each call to a thread of its pool, which
// answers it, waits until the answer is sent and goes back to polling. A method a service marks
// as a callback method (the generated WithCallbackMethod_<Method>) runs instead on the gRPC thread
// that received it, and answers it there through this: no hand-off between threads. For
// registration's single Register calls that was a tenth to a fifth less of its CPU a call and
// about a tenth more calls a second (docs/performance.md). Those threads are few (half the
// cores, 2 to 16) and every callback method shares them with gRPC's health service, so a service
// runs only its short writes of one record there, which wait for the store's one writer anyway.
// Reads, streams and long writes (a billing run, a bulk import) stay on the pool, where a read
// never waits behind a write. `status` is what Edge::serve answered.
inline ::grpc::ServerUnaryReactor* answer_inline(::grpc::CallbackServerContext* context,
                                                 const ::grpc::Status& status) {
  auto* reactor = context->DefaultReactor();
  reactor->Finish(status);
  return reactor;
}

// The ids a message names: every string field called *_id (or *_ids), down to nested messages,
// at most `limit`. What the audit trail records of a request and its answer.
std::vector<std::string> ids_in(const google::protobuf::Message& message, std::size_t limit = 1000);

// A trace id the edge accepts from a caller (16 to 32 hex digits, optionally t_-prefixed, or a
// W3C traceparent's trace id), or "" when the text is not one. Trace ids are logged, audited and
// passed on unmasked, so one with a run of 16 decimal digits (a NIK is one) is refused too.
std::string accepted_trace_id(std::string_view text);

// Where a client's bearer token comes from: a fixed string, or a file re-read when it changes
// (a Secret mounted into the pod, rotated by the platform).
class TokenSource {
 public:
  TokenSource() = default;
  static TokenSource fixed(std::string token);
  static TokenSource file(std::string path);
  // The current token; throws std::runtime_error when the file cannot be read.
  std::string token() const;
  bool empty() const { return state_ == nullptr; }

 private:
  struct State;
  std::shared_ptr<State> state_;
};

// Adds `authorization: Bearer ...` (and, for a service acting for a user, that user) to a call.
void authorize(::grpc::ClientContext& context, const TokenSource& token, std::string_view acting_for = {});
void authorize(::grpc::ClientContext& context, const std::string& token, std::string_view acting_for = {});

}  // namespace jaring::grpc

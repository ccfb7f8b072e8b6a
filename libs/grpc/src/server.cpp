#include "jaring/grpc/server.hpp"

#include <absl/synchronization/mutex.h>
#include <google/protobuf/descriptor.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/impl/server_initializer.h>
#include <grpcpp/support/server_interceptor.h>

#include <atomic>
#include <stdexcept>
#include <unordered_set>

#include <spdlog/spdlog.h>

#include <fmt/format.h>

#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace jaring::grpc {
namespace {

::grpc::StatusCode code_of(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
      return ::grpc::StatusCode::INVALID_ARGUMENT;
    case ErrorCode::kNotFound:
      return ::grpc::StatusCode::NOT_FOUND;
    case ErrorCode::kAlreadyExists:
      return ::grpc::StatusCode::ALREADY_EXISTS;
    case ErrorCode::kFailedPrecondition:
      return ::grpc::StatusCode::FAILED_PRECONDITION;
    case ErrorCode::kPermissionDenied:
      return ::grpc::StatusCode::PERMISSION_DENIED;
    case ErrorCode::kUnavailable:
      return ::grpc::StatusCode::UNAVAILABLE;
    case ErrorCode::kInternal:
      return ::grpc::StatusCode::INTERNAL;
    case ErrorCode::kUnauthenticated:
      return ::grpc::StatusCode::UNAUTHENTICATED;
  }
  return ::grpc::StatusCode::INTERNAL;
}

}  // namespace

const char* status_code_name(::grpc::StatusCode code) {
  static const char* const kNames[] = {
      "OK",        "CANCELLED",      "UNKNOWN",           "INVALID_ARGUMENT",   "DEADLINE_EXCEEDED",
      "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
      "ABORTED",   "OUT_OF_RANGE",   "UNIMPLEMENTED",     "INTERNAL",           "UNAVAILABLE",
      "DATA_LOSS", "UNAUTHENTICATED"};
  const auto index = static_cast<std::size_t>(code);
  return index < std::size(kNames) ? kNames[index] : "UNKNOWN";
}

// The full names (/package.Service/Method) of the methods this server serves, known once it has
// started. Metric labels come only from this set: a call to a made-up name reaches gRPC's generic
// handler with that name, and labelling it would add a time series per name anyone invents.
struct ServedMethods {
  std::atomic<bool> known{false};
  std::unordered_set<std::string> names;  // written once, before `known`

  void learn(::grpc::Server& server) {
    // ServerInitializer is how server plugins (reflection) read the names of the served services.
    ::grpc::ServerInitializer initializer(&server);
    const auto* pool = google::protobuf::DescriptorPool::generated_pool();
    for (const auto& service : *initializer.GetServiceList()) {
      if (service == "grpc.health.v1.Health") {
        // gRPC serves health checking from its own messages, not from protobuf descriptors.
        names.insert({"/grpc.health.v1.Health/Check", "/grpc.health.v1.Health/Watch"});
        continue;
      }
      if (const auto* descriptor = pool->FindServiceByName(service)) {
        for (int i = 0; i < descriptor->method_count(); ++i)
          names.insert("/" + service + "/" + descriptor->method(i)->name());
      }
    }
    known.store(true, std::memory_order_release);
  }

  std::string label(const char* method) const {
    if (method == nullptr || !known.load(std::memory_order_acquire) || !names.contains(method))
      return "unknown";
    return method;
  }
};

namespace {

// Counts and times every RPC by method and status code.
class MetricsInterceptor final : public ::grpc::experimental::Interceptor {
 public:
  MetricsInterceptor(std::string method, prometheus::Family<prometheus::Counter>& requests,
                     prometheus::Family<prometheus::Histogram>& latency)
      : method_(std::move(method)), requests_(requests), latency_(latency) {}

  void Intercept(::grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(::grpc::experimental::InterceptionHookPoints::PRE_SEND_STATUS)) {
      const auto status = methods->GetSendStatus();
      const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start_;
      requests_.Add({{"method", method_}, {"code", status_code_name(status.error_code())}}).Increment();
      latency_.Add({{"method", method_}}, metrics::Registry::latency_buckets()).Observe(took.count());
    }
    methods->Proceed();
  }

 private:
  std::string method_;
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Histogram>& latency_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

class MetricsInterceptorFactory final : public ::grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  MetricsInterceptorFactory(metrics::Registry& metrics, std::shared_ptr<const ServedMethods> served)
      : served_(std::move(served)),
        requests_(metrics.counter("rpc_requests_total",
                                  "gRPC calls served, by method (unknown: one this server does not serve) "
                                  "and status code")),
        latency_(metrics.histogram("rpc_duration_seconds", "gRPC call latency, by method")) {}

  ::grpc::experimental::Interceptor* CreateServerInterceptor(
      ::grpc::experimental::ServerRpcInfo* info) override {
    return new MetricsInterceptor(served_->label(info->method()), requests_, latency_);
  }

 private:
  std::shared_ptr<const ServedMethods> served_;
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Histogram>& latency_;
};

}  // namespace

void disable_lock_order_checks() { absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore); }

::grpc::Status to_status(const Error& error) {
  // Status, message and details travel in trailing metadata, which a client refuses beyond its
  // limit (8 KiB by default) with an error that says nothing of the cause. A refusal naming
  // hundreds of fields (a batch, a cohort of hundreds of workers) lists the first ones and says
  // how many more there are.
  constexpr std::size_t kMaxViolations = 20;
  constexpr std::size_t kMaxMessage = 1024;
  const auto code = code_of(error.code);
  if (!error.cause.empty())
    spdlog::error("answered {}: {} ({})", status_code_name(code), error.message, error.cause);
  auto message = error.message;
  if (message.size() > kMaxMessage) message = message.substr(0, kMaxMessage) + " ...";
  if (error.violations.empty()) return {code, message};
  google::rpc::BadRequest bad_request;
  for (std::size_t i = 0; i < error.violations.size() && i < kMaxViolations; ++i) {
    auto* fv = bad_request.add_field_violations();
    fv->set_field(error.violations[i].field);
    fv->set_description(error.violations[i].rule.substr(0, kMaxMessage / 4));
  }
  if (error.violations.size() > kMaxViolations) {
    auto* more = bad_request.add_field_violations();
    more->set_field("(more)");
    more->set_description(
        fmt::format("{} more violations not listed", error.violations.size() - kMaxViolations));
  }
  google::rpc::Status status;
  status.set_code(static_cast<int>(code));
  status.set_message(message);
  status.add_details()->PackFrom(bad_request);
  return {code, message, status.SerializeAsString()};
}

std::vector<FieldViolation> field_violations(const ::grpc::Status& status) {
  std::vector<FieldViolation> out;
  google::rpc::Status details;
  if (!details.ParseFromString(status.error_details())) return out;
  for (const auto& any : details.details()) {
    google::rpc::BadRequest bad_request;
    if (!any.UnpackTo(&bad_request)) continue;
    for (const auto& fv : bad_request.field_violations()) out.push_back({fv.field(), fv.description()});
  }
  return out;
}

::grpc::Status internal_error(const char* what) {
  spdlog::error("request failed: {}", what);
  return {::grpc::StatusCode::INTERNAL, "internal error; the service logged the cause"};
}

void set_deadline(::grpc::ClientContext& context, std::chrono::milliseconds timeout) {
  context.set_deadline(std::chrono::system_clock::now() + timeout);
}

Server::Server(metrics::Registry& metrics, ServerLimits limits)
    : metrics_(metrics), limits_(limits), served_(std::make_shared<ServedMethods>()) {}

Server::~Server() { shutdown(std::chrono::milliseconds(0)); }

void Server::add_service(::grpc::Service* service) { services_.push_back(service); }

void Server::start(const std::string& address,
                   const std::shared_ptr<::grpc::ServerCredentials>& credentials) {
  ::grpc::EnableDefaultHealthCheckService(true);
  ::grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  ::grpc::ServerBuilder builder;
  builder.AddListeningPort(address, credentials ? credentials : ::grpc::InsecureServerCredentials(), &port_);
  for (auto* service : services_) builder.RegisterService(service);
  builder.SetMaxReceiveMessageSize(limits_.max_receive_bytes);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, limits_.max_concurrent_streams);
  // Threads kept polling for calls (gRPC's defaults are 1 to 2): with more of them waiting, a call
  // that comes is taken by a thread already polling instead of one woken for it. And a thread that
  // served a call exits when `MAX_POLLERS` others already poll, while a call finding fewer than
  // `MIN_POLLERS` starts a new one: with a ceiling of 8, 8 clients made registration start and end
  // about 150 threads a second. Up to 64 stay (a thread idle for long still exits above that).
  // Measured with jaring-bench's single calls (8 client threads, 2 cores, alternated runs):
  // defaults 1,009-1,089 calls/s; 4 to 8: 1,346-1,350 calls/s, registration 635-651 µs of CPU a
  // call; 4 to 64: 1,611-1,773 calls/s, 469-517 µs.
  builder.SetSyncServerOption(::grpc::ServerBuilder::SyncServerOption::MIN_POLLERS, 4);
  builder.SetSyncServerOption(::grpc::ServerBuilder::SyncServerOption::MAX_POLLERS, 64);
  std::vector<std::unique_ptr<::grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(std::make_unique<MetricsInterceptorFactory>(metrics_, served_));
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  server_ = builder.BuildAndStart();
  if (!server_ || port_ == 0) throw std::runtime_error(fmt::format("cannot serve gRPC on {}", address));
  // The health service joins the list in BuildAndStart: learnt after it. A call in between is
  // counted as unknown.
  served_->learn(*server_);
}

void Server::set_serving(bool serving) {
  if (server_ && server_->GetHealthCheckService())
    server_->GetHealthCheckService()->SetServingStatus(serving);
}

void Server::shutdown(std::chrono::milliseconds grace) {
  if (!server_) return;
  server_->Shutdown(std::chrono::system_clock::now() + grace);
  server_->Wait();
  server_.reset();
}

}  // namespace jaring::grpc

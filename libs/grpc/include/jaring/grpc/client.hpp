#pragma once
// How a service calls another: with its own credential (role `service`, auth.token_file), naming
// the user the call is made for, under a deadline. Every client of another service goes through
// one (claims' RegistryClient, csr-donor's remote calls, coverage's export readers), as every
// method a service serves goes through its Edge.

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "jaring/common/result.hpp"
#include "jaring/grpc/edge.hpp"

namespace jaring::grpc {

// What every outgoing call of a client carries.
class Caller {
 public:
  // `acting_for`: the user each call is made for unless the call names one (empty: the service
  // calls on its own account).
  Caller(TokenSource token, std::chrono::milliseconds timeout, std::string acting_for = {});

  // Readies `context` for one call made for `acting_for` (the caller's own user when empty): its
  // deadline (`timeout` from now, or the caller's), the bearer token, the acting user and the
  // current trace id. A token file that cannot be read (the platform replacing the Secret) is
  // UNAVAILABLE, as a callee that is away would be: the call can only be tried again, and the
  // error's cause (logged, never sent) names the file.
  Result<void> prepare(::grpc::ClientContext& context, std::string_view acting_for = {},
                       std::optional<std::chrono::milliseconds> timeout = std::nullopt) const;

 private:
  TokenSource token_;
  std::chrono::milliseconds timeout_;
  std::string acting_for_;
};

// Another service's stub and the Caller its calls go out with.
template <typename Service>
class Client {
 public:
  Client(const std::shared_ptr<::grpc::Channel>& channel, Caller caller)
      : stub_(Service::NewStub(channel)), caller_(std::move(caller)) {}

  typename Service::Stub& stub() const { return *stub_; }
  const Caller& caller() const { return caller_; }
  Result<void> prepare(::grpc::ClientContext& context, std::string_view acting_for = {},
                       std::optional<std::chrono::milliseconds> timeout = std::nullopt) const {
    return caller_.prepare(context, acting_for, timeout);
  }

 private:
  std::unique_ptr<typename Service::Stub> stub_;
  Caller caller_;
};

}  // namespace jaring::grpc

#include "jaring/grpc/client.hpp"

#include <exception>

#include "jaring/grpc/server.hpp"

namespace jaring::grpc {

Caller::Caller(TokenSource token, std::chrono::milliseconds timeout, std::string acting_for)
    : token_(std::move(token)), timeout_(timeout), acting_for_(std::move(acting_for)) {}

Result<void> Caller::prepare(::grpc::ClientContext& context, std::string_view acting_for,
                             std::optional<std::chrono::milliseconds> timeout) const {
  std::string token;
  try {
    token = token_.token();
  } catch (const std::exception& e) {
    return fail(Error::unavailable("this service's own credential cannot be read now; try again", e.what()));
  }
  set_deadline(context, timeout.value_or(timeout_));
  authorize(context, token, acting_for.empty() ? std::string_view(acting_for_) : acting_for);
  return {};
}

}  // namespace jaring::grpc

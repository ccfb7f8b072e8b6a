#pragma once
// Typed results for domain code: no exceptions across RPC or Kafka callbacks.
// Each service maps Error to a transport status in one place (libs/grpc).

#include <expected>
#include <string>
#include <utility>
#include <vector>

namespace jaring {

enum class ErrorCode {
  kInvalidArgument,
  kNotFound,
  kAlreadyExists,
  kFailedPrecondition,
  kPermissionDenied,
  kUnavailable,
  kInternal,
  kUnauthenticated,
};

// A rule a request field broke: `field` is the request's field name, `rule` says which rule.
struct FieldViolation {
  std::string field;
  std::string rule;
};

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;  // what the caller is told
  std::vector<FieldViolation> violations;
  // What went wrong inside (SQL, a file path, a library's message): logged where the error
  // becomes an answer, never sent to a client.
  std::string cause{};

  static Error invalid(std::vector<FieldViolation> violations);
  // PERMISSION_DENIED naming the fields whose values the caller may not use (outside their scope).
  static Error denied(std::vector<FieldViolation> violations);
  static Error not_found(std::string message) { return {ErrorCode::kNotFound, std::move(message), {}}; }
  static Error already_exists(std::string message) {
    return {ErrorCode::kAlreadyExists, std::move(message), {}};
  }
  static Error unavailable(std::string message, std::string cause = {}) {
    return {ErrorCode::kUnavailable, std::move(message), {}, std::move(cause)};
  }
  static Error internal(std::string message, std::string cause = {}) {
    return {ErrorCode::kInternal, std::move(message), {}, std::move(cause)};
  }
  static Error permission_denied(std::string message) {
    return {ErrorCode::kPermissionDenied, std::move(message), {}};
  }
  static Error unauthenticated(std::string message) {
    return {ErrorCode::kUnauthenticated, std::move(message), {}};
  }
};

template <typename T>
using Result = std::expected<T, Error>;

// Shorthand for returning an error from a function whose result is Result<T>.
inline std::unexpected<Error> fail(Error error) { return std::unexpected<Error>(std::move(error)); }

}  // namespace jaring

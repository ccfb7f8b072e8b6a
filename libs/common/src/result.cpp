#include "jaring/common/result.hpp"

namespace jaring {

namespace {
std::string message_of(const std::vector<FieldViolation>& violations) {
  std::string message;
  for (const auto& v : violations) {
    if (!message.empty()) message += "; ";
    message += v.field + ": " + v.rule;
  }
  return message;
}
}  // namespace

Error Error::invalid(std::vector<FieldViolation> violations) {
  auto message = message_of(violations);
  return {ErrorCode::kInvalidArgument, std::move(message), std::move(violations)};
}

Error Error::denied(std::vector<FieldViolation> violations) {
  auto message = message_of(violations);
  return {ErrorCode::kPermissionDenied, std::move(message), std::move(violations)};
}

}  // namespace jaring

#include "jaring/common/result.hpp"

namespace jaring {

Error Error::invalid(std::vector<FieldViolation> violations) {
  std::string message;
  for (const auto& v : violations) {
    if (!message.empty()) message += "; ";
    message += v.field + ": " + v.rule;
  }
  return {ErrorCode::kInvalidArgument, std::move(message), std::move(violations)};
}

}  // namespace jaring

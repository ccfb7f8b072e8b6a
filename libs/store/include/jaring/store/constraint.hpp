#pragma once
// A store whose core checks every rule before it writes still keeps the rules in its schema
// (CHECK, UNIQUE): a constraint that fails anyway names the request field it guards, never the
// SQL that SQLite quotes in its message.

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "jaring/common/result.hpp"

namespace jaring::store {

struct ConstraintGuard {
  std::string_view constraint;  // as SQLite names it in its message ("balance >= 0", "deposits.key")
  FieldViolation violation;     // the request field it guards, and the rule in the caller's words
};

// FAILED_PRECONDITION for SQLite's message `what` when a constraint failed: naming the first
// guard it matches, else saying that the change breaks a rule of `store`. std::nullopt when
// `what` is no constraint failure.
inline std::optional<Error> constraint_refusal(std::string_view store, std::string_view what,
                                               std::span<const ConstraintGuard> guards) {
  if (what.find("constraint failed") == std::string_view::npos) return std::nullopt;
  for (const auto& guard : guards) {
    if (what.find(guard.constraint) != std::string_view::npos)
      return Error{ErrorCode::kFailedPrecondition,
                   guard.violation.field + ": " + guard.violation.rule,
                   {guard.violation}};
  }
  return Error{ErrorCode::kFailedPrecondition, "the change breaks a rule of the " + std::string(store), {}};
}

}  // namespace jaring::store

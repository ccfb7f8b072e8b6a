#include "rules.hpp"

#include <fmt/format.h>

#include "jaring/common/text.hpp"

namespace jaring::csr {

bool owns(const auth::Scope& scope, const std::string& sponsor_id) {
  return scope.covers({"", "", "", sponsor_id});
}

Error precondition(std::string message, std::vector<FieldViolation> violations) {
  return {ErrorCode::kFailedPrecondition, std::move(message), std::move(violations)};
}

Error overflow(std::string field, const std::string& what) {
  return Error::invalid({{std::move(field), what + " would not fit in a rupiah figure"}});
}

Error no_sponsor(const std::string& id) { return Error::not_found("no sponsor " + id); }
Error no_cohort(const std::string& id) { return Error::not_found("no cohort " + id); }
Error no_proposal(const std::string& id) { return Error::not_found("no proposal " + id); }

void check_key(std::vector<FieldViolation>& bad, const std::string& key) {
  if (key.empty()) {
    bad.push_back({"idempotency_key", "required"});
  } else {
    text::check(bad, "idempotency_key", key, text::kIdempotencyKey);
  }
}

bool check_count(std::vector<FieldViolation>& bad, const std::string& field, std::size_t count,
                 std::size_t most) {
  if (count <= most) return true;
  bad.push_back({field, fmt::format("must list at most {} entries", most)});
  return false;
}

Month this_month(const Clock& clock) { return Month::jakarta(clock.now()); }
std::string now_text(const Clock& clock) { return format_utc(clock.now()); }

}  // namespace jaring::csr

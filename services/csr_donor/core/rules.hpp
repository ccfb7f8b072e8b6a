#pragma once
// What every part of the csr-donor core shares: who asks and whether their scope reaches a
// sponsor, the checks every mutating call makes, the refusals that answer what a caller may not
// see as missing, and "now" in the business calendar (Asia/Jakarta months).
//
// Who may see and touch what (DESIGN.md section 6) is decided in the parts, from the caller's
// scope, and applied in the store's queries: a sponsor or treasurer sees and changes only its own
// sponsor (another's answers as a missing one); an area official submits and reads the proposals
// of its areas, sees the sponsors' directory without their wallets, and the cohorts and impact in
// its areas; auditors and admins see everything.

#include <string>
#include <vector>

#include "jaring/auth/policy.hpp"
#include "jaring/common/clock.hpp"
#include "jaring/common/result.hpp"
#include "month.hpp"

namespace jaring::csr {

// Who asks, as the edge verified them: the subject recorded on what they change (and named to
// the services csr-donor asks on their behalf), and what their scope lets them see or touch.
struct Actor {
  std::string subject;
  auth::Scope scope;
};

// Whether a scope reaches a sponsor's own business (wallet, ledger, cohorts, decisions).
bool owns(const auth::Scope& scope, const std::string& sponsor_id);

// A cohort or a new one from a proposal funds 1..kMaxMonths months.
inline constexpr int kMaxMonths = 120;

Error precondition(std::string message, std::vector<FieldViolation> violations = {});
// A rupiah figure that does not fit: INVALID_ARGUMENT naming the field that drove it.
Error overflow(std::string field, const std::string& what);
// A sponsor's business answers as a missing one to callers it does not belong to (no leak of
// what exists).
Error no_sponsor(const std::string& id);
Error no_cohort(const std::string& id);
Error no_proposal(const std::string& id);

// Every mutating call's idempotency key: required, and a token.
void check_key(std::vector<FieldViolation>& bad, const std::string& key);
// Adds a violation when a repeated field lists more than `most` entries; returns whether it fits.
bool check_count(std::vector<FieldViolation>& bad, const std::string& field, std::size_t count,
                 std::size_t most);

// This month in Asia/Jakarta, and now as stored (UTC, RFC 3339).
Month this_month(const Clock& clock);
std::string now_text(const Clock& clock);

}  // namespace jaring::csr

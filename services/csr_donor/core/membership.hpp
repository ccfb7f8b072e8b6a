#pragma once
// Who a cohort funds: joining and leaving (each announced by a SponsorshipChanged, which
// registration and coverage follow), the overlap behind the no-double-funding rule, and a cohort
// as a caller may see it. Cohorts, proposals and the projections of other services' facts all
// change memberships through these.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ports.hpp"

namespace jaring::csr {

// Periods of `membership` that overlap from..to, or nullopt.
std::optional<std::pair<Month, Month>> overlap(const Membership& membership, Month from, Month to);

// A participant is sponsored while one of its memberships is active.
bool sponsored(const std::vector<Membership>& memberships);

// Who funds a worker already for a..b: named to its own sponsor (and to auditors), "another
// sponsor" to the others, whose business it is not.
std::string describe(const Membership& membership, Month a, Month b, const std::optional<Cohort>& other,
                     const auth::Scope& scope);

// A participant joins `cohort` from `from` to its last month, needing `monthly` a month.
void join(CohortUnit& unit, const Cohort& cohort, const Sponsor& sponsor, const Participant& participant,
          Month from, Rupiah monthly);
// Ends a membership at `to` (if earlier) with a reason, announcing the end of sponsorship.
void leave(CohortUnit& unit, Membership& membership, Month to, const std::string& reason);

// A cohort with the members `scope` covers (all of them for its sponsor), or NOT_FOUND when the
// scope reaches neither the cohort's sponsor nor one of its members.
Result<CohortView> cohort_view(CohortUnit& unit, const std::string& cohort_id, const auth::Scope& scope);

}  // namespace jaring::csr

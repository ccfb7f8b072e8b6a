#include "membership.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "rules.hpp"

namespace jaring::csr {

std::optional<std::pair<Month, Month>> overlap(const Membership& m, Month from, Month to) {
  const auto a = std::max(m.from, from);
  const auto b = std::min(m.to, to);
  if (b < a) return std::nullopt;
  return std::pair{a, b};
}

bool sponsored(const std::vector<Membership>& memberships) {
  return std::ranges::any_of(memberships, [](const Membership& m) { return m.active; });
}

std::string describe(const Membership& m, Month a, Month b, const std::optional<Cohort>& other,
                     const auth::Scope& scope) {
  if (!owns(scope, m.sponsor_id))
    return fmt::format("{} is already funded for {}..{} by another sponsor", m.participant_id, a.str(),
                       b.str());
  return fmt::format("{} is already funded for {}..{} by cohort {}{} of sponsor {}", m.participant_id,
                     a.str(), b.str(), m.cohort_id,
                     other && !other->name.empty() ? " (" + other->name + ")" : "", m.sponsor_id);
}

void join(CohortUnit& unit, const Cohort& cohort, const Sponsor& sponsor, const Participant& participant,
          Month from, Rupiah monthly) {
  const bool was = sponsored(unit.memberships_of(participant.id));
  unit.save_membership(
      {cohort.id, sponsor.id, participant.id, participant.rw_code, from, cohort.last, true, "", monthly});
  unit.publish(SponsorshipChanged{participant.id, participant.rw_code, "", was, true, sponsor.id,
                                  sponsor.kind, cohort.id, "joined", from.str(), cohort.last.str()});
}

void leave(CohortUnit& unit, Membership& m, Month to, const std::string& reason) {
  if (!m.active) return;
  if (to < m.to) m.to = std::max(to, m.from.previous());  // an empty range funds nothing
  m.active = false;
  m.end_reason = reason;
  unit.save_membership(m);
  const bool still = sponsored(unit.memberships_of(m.participant_id));
  auto s = unit.sponsor(m.sponsor_id);
  unit.publish(SponsorshipChanged{m.participant_id, m.rw_code, "", true, still, m.sponsor_id,
                                  s ? s->kind : "", m.cohort_id, reason, m.from.str(), m.to.str()});
}

Result<CohortView> cohort_view(CohortUnit& unit, const std::string& cohort_id, const auth::Scope& scope) {
  auto c = unit.cohort(cohort_id);
  if (!c) return fail(no_cohort(cohort_id));
  CohortView view{*c, unit.members_within(cohort_id, scope), {}};
  if (!owns(scope, c->sponsor_id) && view.members.empty()) return fail(no_cohort(cohort_id));
  view.budget.sponsor_id = c->sponsor_id;
  view.budget.members = static_cast<int>(view.members.size());
  view.budget.total = c->budget;
  return view;
}

}  // namespace jaring::csr

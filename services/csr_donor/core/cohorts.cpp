#include "cohorts.hpp"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "jaring/areas/areas.hpp"
#include "jaring/common/codes.hpp"
#include "jaring/common/ids.hpp"
#include "jaring/common/text.hpp"
#include "membership.hpp"

namespace jaring::csr {
namespace {

// Bounds of a cohort spec's repeated fields: a cohort of a few thousand workers, the RWs of a
// city, the worker categories.
constexpr std::size_t kMaxNamed = 10'000;
constexpr int kMaxMembers = 10'000;
constexpr std::size_t kMaxRws = 3'000;
constexpr std::size_t kMaxCategories = std::size(codes::kCategories);

// The fields of a cohort spec that need no store: texts, codes and bounds.
void check_spec(std::vector<FieldViolation>& bad, const CohortSpec& spec) {
  text::check(bad, "sponsor_id", spec.sponsor_id, text::kId);
  text::check(bad, "name", spec.name, text::kLabel);
  if (spec.max_members < 0 || spec.max_members > kMaxMembers)
    bad.push_back({"max_members", fmt::format("must be 0..{}", kMaxMembers)});
  if (check_count(bad, "participant_ids", spec.participant_ids.size(), kMaxNamed)) {
    for (std::size_t i = 0; i < spec.participant_ids.size(); ++i)
      text::check(bad, fmt::format("participant_ids[{}]", i), spec.participant_ids[i], text::kId);
  }
  if (check_count(bad, "categories", spec.categories.size(), kMaxCategories)) {
    for (std::size_t i = 0; i < spec.categories.size(); ++i) {
      if (!codes::one_of(spec.categories[i], codes::kCategories))
        bad.push_back({fmt::format("categories[{}]", i), "not a worker category"});
    }
  }
  if (check_count(bad, "rw_codes", spec.rw_codes.size(), kMaxRws)) {
    for (std::size_t i = 0; i < spec.rw_codes.size(); ++i) {
      if (!areas::RwCode::parse(spec.rw_codes[i]))
        bad.push_back({fmt::format("rw_codes[{}]", i), "must be an RW code like 31.75.06.1005.002"});
    }
  }
}

struct Plan {
  Sponsor sponsor;
  Month start, last;
  std::vector<Participant> members;
  int open_slots = 0;
};

}  // namespace

// Checks a spec and chooses its members (named ones, or candidates by categories and RWs).
static Result<Plan> plan_cohort(CohortUnit& unit, const CohortSpec& spec, Month current,
                                const auth::Scope& scope) {
  std::vector<FieldViolation> bad;
  check_spec(bad, spec);
  // Nothing is read for a spec whose texts or counts are bad (nor 10,000 ids looked up for nothing).
  if (!bad.empty()) return fail(Error::invalid(std::move(bad)));
  std::optional<Month> start =
      spec.start_period.empty() ? std::optional(current) : Month::parse(spec.start_period);
  if (!start) bad.push_back({"start_period", "must be a month YYYY-MM"});
  if (start && *start < current) bad.push_back({"start_period", "must not be before this month"});
  if (spec.months < 1 || spec.months > kMaxMonths) bad.push_back({"months", "must be 1..120"});
  const bool named = !spec.participant_ids.empty();
  if (named && spec.max_members > 0)
    bad.push_back({"max_members", "give either participant_ids or max_members with categories and RWs"});
  if (!named && spec.max_members <= 0)
    bad.push_back({"participant_ids", "give named participants, or max_members with categories and RWs"});
  if (!named && spec.max_members > 0 && spec.rw_codes.empty() && spec.categories.empty())
    bad.push_back({"rw_codes", "a cohort by criteria needs RWs or categories"});
  Plan plan;
  if (!spec.sponsor_id.empty()) {
    auto s = unit.sponsor(spec.sponsor_id);
    if (!s || !owns(scope, s->id)) return fail(no_sponsor(spec.sponsor_id));
    plan.sponsor = *s;
  }
  std::set<std::string> seen;
  for (std::size_t i = 0; i < spec.participant_ids.size(); ++i) {
    const auto& id = spec.participant_ids[i];
    const auto field = fmt::format("participant_ids[{}]", i);
    if (!seen.insert(id).second) {
      bad.push_back({field, "listed twice"});
      continue;
    }
    auto p = unit.participant(id);
    if (!p) {
      bad.push_back({field, id + " is not a known participant"});
    } else if (!p->active) {
      bad.push_back({field, id + " has left the programme"});
    } else {
      plan.members.push_back(*p);
    }
  }
  if (!bad.empty()) return fail(Error::invalid(std::move(bad)));
  plan.start = *start;
  plan.last = start->next(spec.months - 1);
  if (named) {
    // No double funding: refuse, naming the periods and the cohort that already fund them.
    std::vector<FieldViolation> taken;
    for (std::size_t i = 0; i < plan.members.size(); ++i) {
      for (const auto& m : unit.memberships_of(plan.members[i].id)) {
        if (auto o = overlap(m, plan.start, plan.last))
          taken.push_back({fmt::format("participant_ids[{}]", i),
                           describe(m, o->first, o->second, unit.cohort(m.cohort_id), scope)});
      }
    }
    if (!taken.empty()) {
      auto message = fmt::format("{} participant(s) are already funded for some of {}..{}: {}", taken.size(),
                                 plan.start.str(), plan.last.str(), taken.front().rule);
      return fail(precondition(std::move(message), std::move(taken)));
    }
  } else {
    // Candidates not funded by anyone in these periods, up to max_members.
    for (const auto& p : unit.candidates(spec.categories, spec.rw_codes, 100'000)) {
      if (static_cast<int>(plan.members.size()) >= spec.max_members) break;
      const auto ms = unit.memberships_of(p.id);
      if (std::ranges::any_of(
              ms, [&](const Membership& m) { return overlap(m, plan.start, plan.last).has_value(); }))
        continue;
      plan.members.push_back(p);
    }
    plan.open_slots = spec.max_members - static_cast<int>(plan.members.size());
  }
  return plan;
}

Result<Budget> Cohorts::quote_cohort(const CohortSpec& spec, const Actor& by) {
  Plan plan;
  auto planned = store_.read([&](CohortUnit& unit) -> Result<void> {
    auto p = plan_cohort(unit, spec, this_month(clock_), by.scope);
    if (!p) return fail(p.error());
    plan = std::move(*p);
    return {};
  });
  if (!planned) return fail(planned.error());
  return quoter_.budget_for(plan.sponsor, plan.members, plan.start, plan.last, plan.open_slots,
                            spec.categories, by.subject);
}

Result<CohortView> Cohorts::create_cohort(const std::string& key, const CohortSpec& spec, const Actor& by) {
  std::vector<FieldViolation> bad;
  check_key(bad, key);
  check_spec(bad, spec);
  if (!bad.empty()) return fail(Error::invalid(std::move(bad)));
  std::optional<std::string> earlier;
  Plan plan;
  auto planned = store_.read([&](CohortUnit& unit) -> Result<void> {
    earlier = unit.recall(key);
    if (earlier) return {};
    auto p = plan_cohort(unit, spec, this_month(clock_), by.scope);
    if (!p) return fail(p.error());
    plan = std::move(*p);
    return {};
  });
  if (!planned) return fail(planned.error());
  if (earlier) return cohort(*earlier, by.scope);
  // Quoting asks the contribution service, so it happens before the transaction.
  Quoter::Quotes quotes;
  auto budget = quoter_.budget_for(plan.sponsor, plan.members, plan.start, plan.last, plan.open_slots,
                                   spec.categories, by.subject, &quotes);
  if (!budget) return fail(budget.error());
  CohortView out;
  auto done = store_.transact([&](CohortUnit& unit) -> Result<void> {
    if (auto again = unit.recall(key)) {
      earlier = again;
      return {};
    }
    // Planned again inside the transaction: a concurrent cohort may have taken a member.
    auto p = plan_cohort(unit, spec, this_month(clock_), by.scope);
    if (!p) return fail(p.error());
    Cohort c;
    c.id = new_id("c_");
    c.sponsor_id = p->sponsor.id;
    c.name = spec.name;
    c.start = p->start;
    c.months = spec.months;
    c.last = p->last;
    c.max_members = spec.max_members;
    c.categories = spec.categories;
    c.rw_codes = spec.rw_codes;
    c.budget = budget->total;
    c.created_at = now_text(clock_);
    c.created_by = by.subject;
    unit.save_cohort(c);
    // Each member needs their own tariff, so the cohort's monthly need is the sum of its members'
    // tariffs (for a named cohort the budget's first month, summed there with checked arithmetic),
    // never an even split of that month rounded down.
    const auto payer = payer_of_kind(p->sponsor.kind);
    for (const auto& m : p->members)
      join(unit, c, p->sponsor, m, c.start, Quoter::quoted_monthly(quotes, c.start, terms_of(m, payer)));
    unit.publish(CohortStarted{c, static_cast<int>(p->members.size())});
    unit.remember(key, c.id);
    funds_.check(unit, p->sponsor);
    auto view = cohort_view(unit, c.id, by.scope);
    if (!view) return fail(view.error());
    out = std::move(*view);
    out.budget = *budget;
    return {};
  });
  if (!done) return fail(done.error());
  if (out.cohort.id.empty() && earlier) return cohort(*earlier, by.scope);
  return out;
}

Result<CohortView> Cohorts::end_cohort(const std::string& key, const std::string& cohort_id,
                                       const std::string& last_text, const Actor& by) {
  std::vector<FieldViolation> bad;
  check_key(bad, key);
  text::check(bad, "cohort_id", cohort_id, text::kId);
  auto last = last_text.empty() ? std::optional(this_month(clock_)) : Month::parse(last_text);
  if (!last) bad.push_back({"last_period", "must be a month YYYY-MM"});
  if (!bad.empty()) return fail(Error::invalid(std::move(bad)));
  CohortView out;
  auto done = store_.transact([&](CohortUnit& unit) -> Result<void> {
    auto c = unit.cohort(cohort_id);
    if (!c || !owns(by.scope, c->sponsor_id)) return fail(no_cohort(cohort_id));
    if (!unit.recall(key)) {
      if (c->status != cohort_status::kActive)
        return fail(precondition(fmt::format("cohort {} has ended already ({})", c->id, c->end_reason)));
      // Bills already paid stay paid: a cohort ends this month at the earliest.
      if (*last < this_month(clock_) && this_month(clock_) <= c->last)
        return fail(Error::invalid({{"last_period", "must not be before this month"}}));
      const auto effective = std::min(*last, c->last);
      c->last = std::max(effective, c->start.previous());
      c->status = cohort_status::kEnded;
      c->end_reason = "ended_by_sponsor";
      c->ended_by = by.subject;
      unit.save_cohort(*c);
      for (auto& m : unit.members(c->id)) leave(unit, m, c->last, "cohort_ended");
      unit.publish(CohortEnded{c->id, c->sponsor_id, c->last.str(), c->end_reason});
      unit.remember(key, c->id);
      if (auto s = unit.sponsor(c->sponsor_id)) funds_.check(unit, *s);
    }
    auto view = cohort_view(unit, cohort_id, by.scope);
    if (!view) return fail(view.error());
    out = std::move(*view);
    return {};
  });
  if (!done) return fail(done.error());
  return out;
}

Result<int> Cohorts::close_completed() {
  int closed = 0;
  auto done = store_.transact([&](CohortUnit& unit) -> Result<void> {
    for (auto& c : unit.cohorts_ended_before(this_month(clock_))) {
      c.status = cohort_status::kEnded;
      c.end_reason = "completed";
      unit.save_cohort(c);
      for (auto& m : unit.members(c.id)) leave(unit, m, m.to, "cohort_ended");
      unit.publish(CohortEnded{c.id, c.sponsor_id, c.last.str(), c.end_reason});
      if (auto s = unit.sponsor(c.sponsor_id)) funds_.check(unit, *s);
      ++closed;
    }
    return {};
  });
  if (!done) return fail(done.error());
  return closed;
}

Result<std::vector<CohortView>> Cohorts::cohorts(const std::string& sponsor_id, const auth::Scope& scope) {
  if (!owns(scope, sponsor_id) && scope.areas.empty()) return fail(no_sponsor(sponsor_id));
  std::vector<CohortView> out;
  auto done = store_.read([&](CohortUnit& unit) -> Result<void> {
    if (!unit.sponsor(sponsor_id)) return fail(no_sponsor(sponsor_id));
    for (const auto& c : unit.cohorts(sponsor_id, scope)) {
      auto view = cohort_view(unit, c.id, scope);
      if (!view) return fail(view.error());
      out.push_back(std::move(*view));
    }
    return {};
  });
  if (!done) return fail(done.error());
  return out;
}

Result<CohortView> Cohorts::cohort(const std::string& cohort_id, const auth::Scope& scope) {
  CohortView out;
  auto done = store_.read([&](CohortUnit& unit) -> Result<void> {
    auto view = cohort_view(unit, cohort_id, scope);
    if (!view) return fail(view.error());
    out = std::move(*view);
    return {};
  });
  if (!done) return fail(done.error());
  return out;
}

}  // namespace jaring::csr

#include "projections.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "jaring/common/assert.hpp"
#include "jaring/common/money.hpp"
#include "jaring/common/text.hpp"
#include "membership.hpp"

namespace jaring::csr {
namespace {

bool contains(const std::vector<std::string>& list, const std::string& value) {
  return std::ranges::find(list, value) != list.end();
}

}  // namespace

void Projections::fill_from_registration(ProjectionUnit& unit, const Participant& p) {
  if (p.payer != "self" || !p.active) return;
  const auto current = this_month(clock_);
  for (const auto& c : unit.criteria_cohorts()) {
    if (c.last < current) continue;
    if (!c.rw_codes.empty() && !contains(c.rw_codes, p.rw_code)) continue;
    if (!c.categories.empty() && !contains(c.categories, p.category)) continue;
    const auto members = unit.members(c.id);
    const auto active = std::ranges::count_if(members, [](const Membership& m) { return m.active; });
    if (active >= c.max_members) continue;
    const auto from = std::max(c.start, current);
    const auto ms = unit.memberships_of(p.id);
    if (std::ranges::any_of(ms, [&](const Membership& m) { return overlap(m, from, c.last).has_value(); }))
      return;
    auto s = unit.sponsor(c.sponsor_id);
    if (!s) continue;
    // The cost is learnt from the first bill; until then the cohort's average stands in.
    Rupiah monthly = 0;
    for (const auto& m : members) monthly = std::max(monthly, m.monthly);
    join(unit, c, *s, p, from, monthly);
    funds_.check(unit, *s);
    return;
  }
}

Result<void> Projections::participant_registered(const std::string& /*event_id*/,
                                                 const Participant& participant) {
  return store_.transact([&](ProjectionUnit& unit) -> Result<void> {
    // Announced twice (redelivered, or re-registered after an exit): the first one counts. A
    // participant's row is never removed, so it is what says the event was applied: the event id
    // is not recorded (a row less per registration).
    if (!unit.add_participant(participant)) return {};
    fill_from_registration(unit, participant);
    return {};
  });
}

Result<void> Projections::participant_updated(const std::string& event_id, const Participant& changes) {
  return store_.transact([&](ProjectionUnit& unit) -> Result<void> {
    if (unit.seen_event(event_id)) return {};
    auto p = unit.participant(changes.id);
    if (!p) return {};  // registered before csr-donor listened: nothing to follow
    if (!changes.category.empty()) p->category = changes.category;
    if (!changes.payer.empty()) p->payer = changes.payer;
    if (!changes.programs.empty()) p->programs = changes.programs;
    if (changes.income_band > 0) p->income_band = changes.income_band;
    unit.save_participant(*p);
    return {};
  });
}

Result<void> Projections::participant_moved(const std::string& event_id, const std::string& participant_id,
                                            const std::string& to_rw_code) {
  return store_.transact([&](ProjectionUnit& unit) -> Result<void> {
    if (unit.seen_event(event_id)) return {};
    auto p = unit.participant(participant_id);
    if (!p || p->rw_code == to_rw_code) return {};
    const auto from_rw = p->rw_code;
    p->rw_code = to_rw_code;
    unit.save_participant(*p);
    auto memberships = unit.memberships_of(participant_id);
    std::optional<Membership> current;
    for (auto& m : memberships) {
      if (!m.active) continue;
      m.rw_code = to_rw_code;
      unit.save_membership(m);
      if (!current) current = m;
    }
    if (current) {
      auto s = unit.sponsor(current->sponsor_id);
      unit.publish(SponsorshipChanged{participant_id, to_rw_code, from_rw, true, true, current->sponsor_id,
                                      s ? s->kind : "", current->cohort_id, "moved", current->from.str(),
                                      current->to.str()});
    }
    return {};
  });
}

Result<void> Projections::participant_exited(const std::string& event_id, const std::string& participant_id,
                                             const std::string& exit_date) {
  return store_.transact([&](ProjectionUnit& unit) -> Result<void> {
    if (unit.seen_event(event_id)) return {};
    auto p = unit.participant(participant_id);
    if (!p) return {};
    p->active = false;
    p->exit_date = exit_date;
    unit.save_participant(*p);
    // Funding stops with the month of the exit; later months are nobody's to pay.
    const auto last = Month::of_date(exit_date).value_or(this_month(clock_));
    for (auto& m : unit.memberships_of(participant_id)) {
      if (!m.active) continue;
      leave(unit, m, last, "exited");
      if (auto s = unit.sponsor(m.sponsor_id)) funds_.check(unit, *s);
    }
    return {};
  });
}

Result<BillOutcome> Projections::contribution_billed(const std::string& event_id, const Billed& bill) {
  const auto period = Month::parse(bill.period);
  if (!period) return fail(Error::invalid({{"period", "must be a month YYYY-MM"}}));
  BillOutcome outcome = BillOutcome::kNotSponsored;
  auto done = store_.transact([&](ProjectionUnit& unit) -> Result<void> {
    if (unit.seen_event(event_id)) {
      outcome = BillOutcome::kAlreadyHandled;
      return {};
    }
    // At most one membership covers a period (no double funding), ended or not.
    std::optional<Membership> funding;
    for (auto& m : unit.memberships_of(bill.participant_id)) {
      if (m.covers(*period)) funding = m;
    }
    if (!funding) return {};
    if (bill.amount > 0 && funding->monthly != bill.amount) {
      funding->monthly = bill.amount;  // the monthly need follows the real bills
      unit.save_membership(*funding);
    }
    if (bill.outstanding <= 0) {
      outcome = BillOutcome::kNothingDue;
      return {};
    }
    const auto allocation_id = fmt::format("{}:{}", bill.participant_id, period->str());
    if (unit.allocation(allocation_id)) {
      outcome = BillOutcome::kAlreadyHandled;
      return {};
    }
    auto s = unit.sponsor(funding->sponsor_id);
    if (!s) return fail(Error::internal("membership of a missing sponsor " + funding->sponsor_id));
    const auto rw = bill.rw_code.empty() ? funding->rw_code : bill.rw_code;
    if (s->balance < bill.outstanding) {
      // Nobody pays silently: the bill stays open for the worker or the agent, and an alert goes out.
      unit.save_failure({bill.participant_id, s->id, funding->cohort_id, rw, *period, bill.outstanding,
                         s->balance, now_text(clock_), "insufficient_funds"});
      unit.publish(SponsorPaymentFailed{s->id, funding->cohort_id, bill.participant_id, rw, period->str(),
                                        "insufficient_funds", bill.agent_id, bill.outstanding, s->balance});
      funds_.check(unit, *s);
      outcome = BillOutcome::kFailed;
      return {};
    }
    // The wallet pays only what it holds, so its balance never goes below zero.
    JARING_ASSERT(bill.outstanding > 0 && s->balance >= bill.outstanding, "a wallet pays only what it holds");
    const auto spent = checked_add(s->spent, bill.outstanding);
    if (!spent) return fail(overflow("outstanding", "the sponsor's spending with this bill"));
    s->balance -= bill.outstanding;
    s->spent = *spent;
    unit.save_sponsor(*s);
    const auto at = now_text(clock_);
    unit.save_allocation({allocation_id, s->id, funding->cohort_id, bill.participant_id, rw, *period,
                          bill.outstanding, false, at});
    unit.append_ledger({0, s->id, "payment", -bill.outstanding, s->balance, allocation_id,
                        bill.participant_id, period->str(), funding->cohort_id, at, ""});
    unit.publish(SponsorPaymentMade{s->id, allocation_id, bill.participant_id, period->str(),
                                    funding->cohort_id, rw, bill.outstanding});
    funds_.check(unit, *s);
    outcome = BillOutcome::kPaid;
    return {};
  });
  if (!done) return fail(done.error());
  return outcome;
}

Result<bool> Projections::payment_rejected(const std::string& event_id, const Rejected& rejected) {
  bool refunded = false;
  auto done = store_.transact([&](ProjectionUnit& unit) -> Result<void> {
    if (unit.seen_event(event_id)) return {};
    auto a = unit.allocation(rejected.allocation_id);
    // Not ours (or refunded already): nothing to give back.
    if (!a || a->refunded || a->sponsor_id != rejected.sponsor_id) return {};
    auto s = unit.sponsor(a->sponsor_id);
    if (!s) return fail(Error::internal("allocation of a missing sponsor " + a->sponsor_id));
    const auto balance = checked_add(s->balance, a->amount);
    const auto spent = checked_sub(s->spent, a->amount);
    if (!balance || !spent) return fail(overflow("amount", "the wallet's balance after this refund"));
    a->refunded = true;
    unit.save_allocation(*a);
    s->balance = *balance;
    s->spent = *spent;
    unit.save_sponsor(*s);
    const auto at = now_text(clock_);
    // The reason is contribution's text, stored in the ledger and published again: one that breaks
    // the reason rule (too long, control characters, a NIK) is not copied, so that no event from
    // elsewhere can carry into csr-donor's own what its callers could not; the refund stands.
    const auto why = text::violation(rejected.reason, text::kReason)
                         ? std::string("contribution refused the payment (its reason was not readable)")
                         : rejected.reason;
    unit.append_ledger({0, s->id, "refund", a->amount, s->balance, a->id, a->participant_id, a->period.str(),
                        a->cohort_id, at, why});
    // The bill may still be open (the worker's credit paid part of it, and a period has one payer):
    // someone must know, as when the wallet is short.
    const auto reason = "rejected: " + why;
    unit.save_failure(
        {a->participant_id, s->id, a->cohort_id, a->rw_code, a->period, a->amount, s->balance, at, reason});
    unit.publish(SponsorPaymentFailed{s->id, a->cohort_id, a->participant_id, a->rw_code, a->period.str(),
                                      reason, "", a->amount, s->balance});
    funds_.check(unit, *s);
    refunded = true;
    return {};
  });
  if (!done) return fail(done.error());
  return refunded;
}

Result<void> Projections::claim_paid(const std::string& event_id, const ClaimPaid& claim) {
  const auto month = Month::of_date(claim.event_date);
  if (!month) return fail(Error::invalid({{"event_date", "must be a date YYYY-MM-DD"}}));
  return store_.transact([&](ProjectionUnit& unit) -> Result<void> {
    if (unit.seen_event(event_id)) return {};
    // Impact belongs to the sponsor who funded the worker when the death or accident happened.
    for (const auto& m : unit.memberships_of(claim.participant_id)) {
      if (!m.covers(*month)) continue;
      unit.save_claim({claim.claim_id, claim.participant_id, m.sponsor_id, m.cohort_id,
                       claim.rw_code.empty() ? m.rw_code : claim.rw_code, claim.claim_type, claim.event_date,
                       claim.amount});
      break;
    }
    return {};
  });
}

}  // namespace jaring::csr

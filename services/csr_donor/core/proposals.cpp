#include "proposals.hpp"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "jaring/areas/areas.hpp"
#include "jaring/common/codes.hpp"
#include "jaring/common/ids.hpp"
#include "jaring/common/money.hpp"
#include "jaring/common/text.hpp"
#include "membership.hpp"

namespace jaring::csr {
namespace {

// Bounds and field rules of a proposal beyond libs/common's usual ones (jaring/common/text.hpp):
// the items of one proposal or decision, and a new worker's texts.
constexpr std::size_t kMaxItems = 5'000;
constexpr text::Rule kOptionalId{text::Kind::kToken, 64, false};
constexpr text::Rule kShortCode{text::Kind::kToken, 32, false};  // a date, a sex, a programme code
constexpr text::Rule kPhone{text::Kind::kLine, 20, false};

// Item ids of a decision: at most kMaxItems, each an id.
void check_item_ids(std::vector<FieldViolation>& bad, const std::vector<std::string>& ids) {
  if (!check_count(bad, "item_ids", ids.size(), kMaxItems)) return;
  for (std::size_t i = 0; i < ids.size(); ++i)
    text::check(bad, fmt::format("item_ids[{}]", i), ids[i], text::kId);
}

// One row of a proposal: the texts' rules and bounds. What a worker's fields mean (a real NIK,
// an active RW) is registration's to judge, row by row; a missing reason refuses the row alone.
void check_input(std::vector<FieldViolation>& bad, const std::string& at, const ProposalInput& in) {
  if (in.row < 0) bad.push_back({at + ".row", "must not be negative"});
  text::check(bad, at + ".participant_id", in.participant_id, kOptionalId);
  text::check(bad, at + ".reason", in.reason, {text::Kind::kFreeText, text::kReason.max_chars, false});
  if (!in.worker) return;
  const auto& w = *in.worker;
  const auto field = [&](const char* name) { return at + ".worker." + name; };
  // Digits only and no longer than a NIK; whether it is a valid NIK is registration's answer,
  // which refuses that row alone.
  if (w.nik.size() > 16 || !std::ranges::all_of(w.nik, [](char c) { return c >= '0' && c <= '9'; }))
    bad.push_back({field("nik"), "must be digits, at most 16"});
  text::check(bad, field("name"), w.name, {text::Kind::kLine, text::kName.max_chars, false});
  text::check(bad, field("birth_date"), w.birth_date, kShortCode);
  text::check(bad, field("sex"), w.sex, kShortCode);
  text::check(bad, field("phone"), w.phone, kPhone);
  text::check(bad, field("rw_code"), w.rw_code, kShortCode);
  if (w.rt < 0 || w.rt > 999) bad.push_back({field("rt"), "must be 0..999"});
  text::check(bad, field("category"), w.category, kShortCode);
  if (w.income_band < 0) bad.push_back({field("income_band"), "must not be negative"});
  if (!w.programs.empty() && !codes::one_of(w.programs, codes::kPrograms))
    bad.push_back({field("programs"), "must be jkk+jkm or jkk+jkm+jht (empty for jkk+jkm)"});
  text::check(bad, field("agent_id"), w.agent_id, kOptionalId);
}

// Open proposals are addressed to every sponsor; a decided item belongs to the sponsor that
// decided it.
bool reaches(const auth::Scope& scope, const Proposal& p) {
  if (scope.covers({"", p.kelurahan_code, "", ""})) return true;
  if (scope.sponsor.empty()) return false;
  return std::ranges::any_of(p.items, [&](const ProposalItem& i) {
    return i.status == item_status::kPending || i.sponsor_id == scope.sponsor;
  });
}

// A proposal as a sponsor sees it: another sponsor's decisions show as decided, without whose.
Proposal as_seen(Proposal p, const auth::Scope& scope) {
  if (scope.all || scope.sponsor.empty() || scope.covers({"", p.kelurahan_code, "", ""})) return p;
  for (auto& i : p.items) {
    if (i.sponsor_id.empty() || i.sponsor_id == scope.sponsor) continue;
    i.sponsor_id.clear();
    i.cohort_id.clear();
    i.decided_by.clear();
    i.decision_reason.clear();
  }
  return p;
}

}  // namespace

std::string Proposal::status() const {
  return std::ranges::any_of(items, [](const ProposalItem& i) { return i.status == item_status::kPending; })
             ? "open"
             : "decided";
}

Result<Proposal> Proposals::submit_proposal(const std::string& key, const std::string& kelurahan_code,
                                            const std::vector<ProposalInput>& inputs, const std::string& note,
                                            const Actor& by) {
  std::vector<FieldViolation> bad;
  check_key(bad, key);
  if (kelurahan_code.empty()) {
    bad.push_back({"kelurahan_code", "required"});
  } else if (kelurahan_code.size() != 13 || !areas::RwCode::parse(kelurahan_code + ".001")) {
    // pp.kk.cc.dddd: the kelurahan part of an RW code, checked by the one parser of those.
    bad.push_back({"kelurahan_code", "must be a kelurahan code like 31.75.06.1005"});
  }
  if (inputs.empty()) bad.push_back({"items", "a proposal lists at least one worker"});
  text::check(bad, "note", note, text::kNote);
  if (check_count(bad, "items", inputs.size(), kMaxItems)) {
    for (std::size_t i = 0; i < inputs.size(); ++i) check_input(bad, fmt::format("items[{}]", i), inputs[i]);
  }
  if (!bad.empty()) return fail(Error::invalid(std::move(bad)));
  // Kelurahan staff propose for their own areas: registration, asked with csr-donor's own
  // credential, would register anyone anywhere.
  const auto outside = [&](const std::string& area) { return !by.scope.covers({"", area, "", ""}); };
  std::vector<FieldViolation> denied;
  if (outside(kelurahan_code)) denied.push_back({"kelurahan_code", "outside the areas you serve"});
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].worker && outside(inputs[i].worker->rw_code))
      denied.push_back({fmt::format("items[{}].worker.rw_code", i), "outside the areas you serve"});
  }
  if (!denied.empty()) return fail(Error::denied(std::move(denied)));
  std::optional<std::string> earlier;
  auto recalled = store_.read([&](ProposalUnit& unit) -> Result<void> {
    earlier = unit.recall(key);
    return {};
  });
  if (!recalled) return fail(recalled.error());
  if (earlier) return proposal(*earlier, by.scope);

  Proposal p;
  p.id = new_id("prop_");
  p.kelurahan_code = kelurahan_code;
  p.submitted_by = by.subject;
  p.submitted_at = now_text(clock_);
  p.note = note;
  // Rows are checked first; new workers then go to registration in one call.
  std::vector<ProposalInput> to_register;
  std::vector<ProposalItem> known;
  auto checked = store_.read([&](ProposalUnit& unit) -> Result<void> {
    for (const auto& in : inputs) {
      if (in.reason.empty()) {
        p.refused.push_back({in.row, "reason: required (why this worker needs a sponsor)"});
      } else if (in.worker && !in.participant_id.empty()) {
        p.refused.push_back({in.row, "give a participant id or a new worker, not both"});
      } else if (in.worker) {
        to_register.push_back(in);
      } else if (in.participant_id.empty()) {
        p.refused.push_back({in.row, "participant_id or a new worker is required"});
      } else if (auto known_p = unit.participant(in.participant_id); !known_p || outside(known_p->rw_code)) {
        p.refused.push_back({in.row, in.participant_id + " is not a known participant"});
      } else if (!known_p->active) {
        p.refused.push_back({in.row, in.participant_id + " has left the programme"});
      } else {
        ProposalItem item;
        item.row = in.row;
        item.participant_id = known_p->id;
        item.rw_code = known_p->rw_code;
        item.category = known_p->category;
        item.programs = known_p->programs;
        item.income_band = known_p->income_band;
        item.reason = in.reason;
        known.push_back(std::move(item));
      }
    }
    return {};
  });
  if (!checked) return fail(checked.error());
  std::vector<ProposalItem> items = std::move(known);
  if (!to_register.empty()) {
    auto results = registrar_.register_workers(to_register, by.subject);
    if (!results) return fail(results.error());
    for (std::size_t i = 0; i < to_register.size() && i < results->size(); ++i) {
      const auto& r = (*results)[i];
      const auto& in = to_register[i];
      if (r.participant_id.empty()) {
        p.refused.push_back({in.row, r.reason.empty() ? "refused by registration" : r.reason});
        continue;
      }
      ProposalItem item;
      item.row = in.row;
      item.participant_id = r.participant_id;
      item.rw_code = in.worker->rw_code;
      item.category = in.worker->category;
      item.programs = in.worker->programs.empty() ? kDefaultPrograms : in.worker->programs;
      item.income_band = in.worker->income_band;
      item.reason = in.reason;
      items.push_back(std::move(item));
    }
  }
  std::ranges::sort(items, {}, &ProposalItem::row);
  std::set<std::string> listed;
  for (auto& item : items) {
    if (!listed.insert(item.participant_id).second) {
      p.refused.push_back({item.row, item.participant_id + " is listed twice"});
      continue;
    }
    item.item_id = std::to_string(p.items.size() + 1);
    p.items.push_back(std::move(item));
  }
  std::ranges::sort(p.refused, {}, &RefusedRow::row);
  if (p.items.empty()) {
    std::vector<FieldViolation> rows;
    rows.reserve(p.refused.size());
    for (const auto& r : p.refused) rows.push_back({fmt::format("items[row {}]", r.row), r.reason});
    return fail(Error::invalid(std::move(rows)));
  }
  Proposal out;
  auto done = store_.transact([&](ProposalUnit& unit) -> Result<void> {
    if (auto again = unit.recall(key)) {
      auto stored = unit.proposal(*again);
      if (!stored) return fail(Error::internal("idempotency key points at a missing proposal"));
      out = *stored;
      return {};
    }
    unit.save_proposal(p);
    unit.remember(key, p.id);
    out = p;
    return {};
  });
  if (!done) return fail(done.error());
  return out;
}

Result<std::vector<Proposal>> Proposals::proposals(const std::string& kelurahan_code,
                                                   const std::string& status, const auth::Scope& scope) {
  if (!status.empty() && status != "open" && status != "decided")
    return fail(Error::invalid({{"status", "must be open, decided or empty"}}));
  std::vector<Proposal> out;
  auto done = store_.read([&](ProposalUnit& unit) -> Result<void> {
    for (auto& p : unit.proposals(kelurahan_code, scope)) {
      if (status.empty() || p.status() == status) out.push_back(as_seen(std::move(p), scope));
    }
    return {};
  });
  if (!done) return fail(done.error());
  return out;
}

Result<Proposal> Proposals::proposal(const std::string& proposal_id, const auth::Scope& scope) {
  Proposal out;
  auto done = store_.read([&](ProposalUnit& unit) -> Result<void> {
    auto p = unit.proposal(proposal_id);
    if (!p || !reaches(scope, *p)) return fail(no_proposal(proposal_id));
    out = as_seen(std::move(*p), scope);
    return {};
  });
  if (!done) return fail(done.error());
  return out;
}

namespace {

// Items a decision is about: the listed ones (each must be pending), or every pending one.
Result<std::vector<std::size_t>> chosen_items(const Proposal& p, const std::vector<std::string>& ids) {
  std::vector<std::size_t> out;
  std::vector<FieldViolation> bad;
  if (ids.empty()) {
    for (std::size_t i = 0; i < p.items.size(); ++i)
      if (p.items[i].status == item_status::kPending) out.push_back(i);
    if (out.empty()) return fail(precondition("proposal " + p.id + " has no pending item"));
    return out;
  }
  for (std::size_t k = 0; k < ids.size(); ++k) {
    const auto it = std::ranges::find(p.items, ids[k], &ProposalItem::item_id);
    const auto field = fmt::format("item_ids[{}]", k);
    if (it == p.items.end()) {
      bad.push_back({field, "no item " + ids[k] + " in proposal " + p.id});
    } else if (it->status != item_status::kPending) {
      bad.push_back({field, "item " + ids[k] + " was " + it->status + " already"});
    } else {
      const auto index = static_cast<std::size_t>(it - p.items.begin());
      if (std::ranges::find(out, index) == out.end()) out.push_back(index);
    }
  }
  if (!bad.empty()) return fail(Error::invalid(std::move(bad)));
  return out;
}

}  // namespace

Result<Acceptance> Proposals::accept(const AcceptCommand& c, const Actor& by) {
  std::vector<FieldViolation> bad;
  check_key(bad, c.idempotency_key);
  text::check(bad, "proposal_id", c.proposal_id, text::kId);
  text::check(bad, "sponsor_id", c.sponsor_id, text::kId);
  check_item_ids(bad, c.item_ids);
  text::check(bad, "cohort_id", c.cohort_id, kOptionalId);
  text::check(bad, "cohort_name", c.cohort_name, text::kLabel);
  const bool new_cohort = c.cohort_id.empty();
  std::optional<Month> start;
  if (new_cohort) {
    start = c.start_period.empty() ? std::optional(this_month(clock_)) : Month::parse(c.start_period);
    if (!start) bad.push_back({"start_period", "must be a month YYYY-MM"});
    if (start && *start < this_month(clock_))
      bad.push_back({"start_period", "must not be before this month"});
    if (c.months < 1 || c.months > kMaxMonths) bad.push_back({"months", "must be 1..120 for a new cohort"});
  }
  if (!bad.empty()) return fail(Error::invalid(std::move(bad)));
  if (!owns(by.scope, c.sponsor_id)) return fail(no_sponsor(c.sponsor_id));

  // Read what the decision needs and quote it before the transaction (the quote is remote).
  std::optional<std::string> earlier;
  Sponsor sponsor;
  std::vector<Participant> members;
  Month from, to;
  const auto gather = [&](ProposalUnit& unit, Proposal& p, std::vector<std::size_t>& chosen,
                          std::optional<Cohort>& existing) -> Result<void> {
    auto found = unit.proposal(c.proposal_id);
    if (!found || !reaches(by.scope, *found)) return fail(no_proposal(c.proposal_id));
    p = std::move(*found);
    auto s = unit.sponsor(c.sponsor_id);
    if (!s) return fail(no_sponsor(c.sponsor_id));
    sponsor = *s;
    auto items = chosen_items(p, c.item_ids);
    if (!items) return fail(items.error());
    chosen = std::move(*items);
    if (!new_cohort) {
      existing = unit.cohort(c.cohort_id);
      // Another sponsor's cohort is none of this one's business: missing, as far as it knows.
      if (!existing || existing->sponsor_id != sponsor.id) return fail(no_cohort(c.cohort_id));
      if (existing->status != cohort_status::kActive)
        return fail(precondition(fmt::format("cohort {} has ended", existing->id)));
      from = std::max(existing->start, this_month(clock_));
      to = existing->last;
      if (to < from)
        return fail(precondition(fmt::format("cohort {} has no period left to fund", existing->id)));
    } else {
      from = *start;
      to = start->next(c.months - 1);
    }
    members.clear();
    std::vector<FieldViolation> taken;
    for (std::size_t k = 0; k < chosen.size(); ++k) {
      const auto& item = p.items[chosen[k]];
      Participant m;
      if (auto known = unit.participant(item.participant_id)) {
        m = *known;
        if (!m.active) {
          taken.push_back({fmt::format("item_ids[{}]", k), m.id + " has left the programme"});
          continue;
        }
      } else {
        // Registered with the proposal; registration's event may not have arrived yet.
        m = {item.participant_id, item.rw_code,     item.category, "self",
             item.programs,       item.income_band, true,          ""};
      }
      for (const auto& ms : unit.memberships_of(m.id)) {
        if (auto o = overlap(ms, from, to))
          taken.push_back({fmt::format("item_ids[{}]", k),
                           describe(ms, o->first, o->second, unit.cohort(ms.cohort_id), by.scope)});
      }
      members.push_back(std::move(m));
    }
    if (!taken.empty()) {
      auto message = fmt::format("{} item(s) cannot join for {}..{}: {}", taken.size(), from.str(), to.str(),
                                 taken.front().rule);
      return fail(precondition(std::move(message), std::move(taken)));
    }
    return {};
  };

  auto gathered = store_.read([&](ProposalUnit& unit) -> Result<void> {
    earlier = unit.recall(c.idempotency_key);
    if (earlier) return {};
    Proposal p;
    std::vector<std::size_t> chosen;
    std::optional<Cohort> existing;
    return gather(unit, p, chosen, existing);
  });
  if (!gathered) return fail(gathered.error());
  const auto answer_again = [&](const std::string& cohort_id) -> Result<Acceptance> {
    auto p = proposal(c.proposal_id, by.scope);
    if (!p) return fail(p.error());
    Acceptance again{std::move(*p), {}};
    auto read = store_.read([&](ProposalUnit& unit) -> Result<void> {
      auto v = cohort_view(unit, cohort_id, by.scope);
      if (!v) return fail(v.error());
      again.cohort = std::move(*v);
      return {};
    });
    if (!read) return fail(read.error());
    return again;
  };
  if (earlier) return answer_again(*earlier);
  Quoter::Quotes quotes;
  auto budget = quoter_.budget_for(sponsor, members, from, to, 0, {}, by.subject, &quotes);
  if (!budget) return fail(budget.error());

  Acceptance out;
  auto done = store_.transact([&](ProposalUnit& unit) -> Result<void> {
    earlier = unit.recall(c.idempotency_key);
    if (earlier) return {};
    Proposal p;
    std::vector<std::size_t> chosen;
    std::optional<Cohort> existing;
    if (auto again = gather(unit, p, chosen, existing); !again) return again;
    Cohort cohort;
    if (existing) {
      cohort = *existing;
      const auto total = checked_add(cohort.budget, budget->total);
      if (!total) return fail(overflow("cohort_id", "the cohort's budget with these items"));
      cohort.budget = *total;
      unit.save_cohort(cohort);
    } else {
      cohort.id = new_id("c_");
      cohort.sponsor_id = sponsor.id;
      cohort.name = c.cohort_name.empty() ? "proposal " + p.id : c.cohort_name;
      cohort.start = from;
      cohort.months = c.months;
      cohort.last = to;
      cohort.budget = budget->total;
      cohort.created_at = now_text(clock_);
      cohort.created_by = by.subject;
      unit.save_cohort(cohort);
    }
    for (std::size_t k = 0; k < chosen.size(); ++k) {
      auto& item = p.items[chosen[k]];
      // Each member needs their own tariff (their sum is the budget's first month).
      join(unit, cohort, sponsor, members[k], from,
           Quoter::quoted_monthly(quotes, from, terms_of(members[k], payer_of_kind(sponsor.kind))));
      item.status = item_status::kAccepted;
      item.sponsor_id = sponsor.id;
      item.cohort_id = cohort.id;
      item.decided_by = by.subject;
      item.decided_at = now_text(clock_);
    }
    if (!existing) unit.publish(CohortStarted{cohort, static_cast<int>(chosen.size())});
    unit.save_proposal(p);
    unit.remember(c.idempotency_key, cohort.id);
    funds_.check(unit, sponsor);
    auto view = cohort_view(unit, cohort.id, by.scope);
    if (!view) return fail(view.error());
    out = {as_seen(std::move(p), by.scope), std::move(*view)};
    out.cohort.budget = *budget;
    return {};
  });
  if (!done) return fail(done.error());
  if (out.proposal.id.empty() && earlier) return answer_again(*earlier);
  return out;
}

Result<Proposal> Proposals::reject_items(const std::string& key, const std::string& proposal_id,
                                         const std::vector<std::string>& item_ids, const std::string& reason,
                                         const Actor& by) {
  std::vector<FieldViolation> bad;
  check_key(bad, key);
  text::check(bad, "proposal_id", proposal_id, text::kId);
  check_item_ids(bad, item_ids);
  if (reason.empty()) {
    bad.push_back({"reason", "required: kelurahan staff need to know why"});
  } else {
    text::check(bad, "reason", reason, text::kReason);
  }
  if (!bad.empty()) return fail(Error::invalid(std::move(bad)));
  Proposal out;
  auto done = store_.transact([&](ProposalUnit& unit) -> Result<void> {
    auto p = unit.proposal(proposal_id);
    if (!p || !reaches(by.scope, *p)) return fail(no_proposal(proposal_id));
    if (!unit.recall(key)) {
      auto chosen = chosen_items(*p, item_ids);
      if (!chosen) return fail(chosen.error());
      for (auto i : *chosen) {
        auto& item = p->items[i];
        item.status = item_status::kRejected;
        item.decision_reason = reason;
        item.sponsor_id = by.scope.sponsor;
        item.decided_by = by.subject;
        item.decided_at = now_text(clock_);
      }
      unit.save_proposal(*p);
      unit.remember(key, p->id);
    }
    out = as_seen(std::move(*p), by.scope);
    return {};
  });
  if (!done) return fail(done.error());
  return out;
}

}  // namespace jaring::csr

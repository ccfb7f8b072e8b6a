#include "csr.hpp"

#include <algorithm>
#include <limits>
#include <set>

#include <fmt/format.h>

#include "jaring/areas/areas.hpp"
#include "jaring/common/assert.hpp"
#include "jaring/common/codes.hpp"
#include "jaring/common/export.hpp"
#include "jaring/common/ids.hpp"
#include "jaring/common/text.hpp"

namespace jaring::csr {
namespace {

constexpr int kMaxMonths = 120;
constexpr Rupiah kLowestBand = 1'000'000;  // DESIGN.md: the lowest declared income band
constexpr const char* kDefaultPrograms = "jkk+jkm";

// Bounds of repeated fields: a cohort or a proposal of a few thousand workers, the RWs of a
// city, the worker categories, the items of one decision.
constexpr std::size_t kMaxNamed = 10'000;
constexpr int kMaxMembers = 10'000;
constexpr std::size_t kMaxRws = 3'000;
constexpr std::size_t kMaxCategories = std::size(codes::kCategories);
constexpr std::size_t kMaxItems = 5'000;
// Field rules beyond libs/common's usual ones (jaring/common/text.hpp).
constexpr text::Rule kOptionalId{text::Kind::kToken, 64, false};
constexpr text::Rule kShortCode{text::Kind::kToken, 32, false};  // a date, a sex, a programme code
constexpr text::Rule kPhone{text::Kind::kLine, 20, false};
// A deposit's reference is what the bank or the budget office wrote ("BCA 0042", "DPA-SKPD
// 1.02/2026"): a line, not a token like the system's own references.
constexpr text::Rule kDepositReference{text::Kind::kLine, 100, false};

Error precondition(std::string message, std::vector<FieldViolation> violations = {}) {
  return {ErrorCode::kFailedPrecondition, std::move(message), std::move(violations)};
}

// A rupiah figure that does not fit: INVALID_ARGUMENT naming the field that drove it.
Error overflow(std::string field, std::string what) {
  return Error::invalid({{std::move(field), what + " would not fit in a rupiah figure"}});
}

// Every mutating call's idempotency key: required, and a token.
void check_key(std::vector<FieldViolation>& bad, const std::string& key) {
  if (key.empty()) {
    bad.push_back({"idempotency_key", "required"});
  } else {
    text::check(bad, "idempotency_key", key, text::kIdempotencyKey);
  }
}

// Adds a violation when a repeated field lists more than `most` entries; returns whether it fits.
bool check_count(std::vector<FieldViolation>& bad, const std::string& field, std::size_t count,
                 std::size_t most) {
  if (count <= most) return true;
  bad.push_back({field, fmt::format("must list at most {} entries", most)});
  return false;
}

// Item ids of a decision: at most kMaxItems, each an id.
void check_item_ids(std::vector<FieldViolation>& bad, const std::vector<std::string>& ids) {
  if (!check_count(bad, "item_ids", ids.size(), kMaxItems)) return;
  for (std::size_t i = 0; i < ids.size(); ++i)
    text::check(bad, fmt::format("item_ids[{}]", i), ids[i], text::kId);
}

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

bool contains(const std::vector<std::string>& list, const std::string& value) {
  return std::ranges::find(list, value) != list.end();
}

// A participant is sponsored while one of its memberships is active.
bool sponsored(const std::vector<Membership>& memberships, const std::string& except_cohort = "") {
  return std::ranges::any_of(memberships,
                             [&](const Membership& m) { return m.active && m.cohort_id != except_cohort; });
}

Terms terms_of(const Participant& p, const std::string& payer) {
  return {p.category, payer, p.programs.empty() ? kDefaultPrograms : p.programs,
          p.income_band > 0 ? p.income_band : kLowestBand};
}

// A sponsor's business answers as a missing one to callers it does not belong to (no leak of
// what exists).
Error no_sponsor(const std::string& id) { return Error::not_found("no sponsor " + id); }
Error no_cohort(const std::string& id) { return Error::not_found("no cohort " + id); }
Error no_proposal(const std::string& id) { return Error::not_found("no proposal " + id); }

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

// Who funds a worker already: named to its own sponsor (and to auditors), "another sponsor" to
// the others, whose business it is not.
std::string describe(const Membership& m, Month a, Month b, const std::optional<Cohort>& other,
                     const auth::Scope& scope) {
  if (!owns(scope, m.sponsor_id))
    return fmt::format("{} is already funded for {}..{} by another sponsor", m.participant_id, a.str(),
                       b.str());
  return fmt::format("{} is already funded for {}..{} by cohort {}{} of sponsor {}", m.participant_id,
                     a.str(), b.str(), m.cohort_id,
                     other && !other->name.empty() ? " (" + other->name + ")" : "", m.sponsor_id);
}

}  // namespace

std::string Proposal::status() const {
  return std::ranges::any_of(items, [](const ProposalItem& i) { return i.status == item_status::kPending; })
             ? "open"
             : "decided";
}

bool owns(const auth::Scope& scope, const std::string& sponsor_id) {
  return scope.covers({"", "", "", sponsor_id});
}

std::string payer_of_kind(const std::string& kind) {
  return kind == "city_budget" ? "city_budget" : "sponsor";
}

std::optional<std::pair<Month, Month>> overlap(const Membership& m, Month from, Month to) {
  const auto a = std::max(m.from, from);
  const auto b = std::min(m.to, to);
  if (b < a) return std::nullopt;
  return std::pair{a, b};
}

Month CsrDonor::now_month() const { return Month::jakarta(clock_.now()); }
std::string CsrDonor::now_text() const { return format_utc(clock_.now()); }

Result<Rupiah> CsrDonor::month_cost(QuoteCache& cache, Month period, const Terms& terms,
                                    const std::string& by) {
  const auto key = std::pair{period.index(), terms};
  if (auto it = cache.find(key); it != cache.end()) return it->second;
  auto amount = tariffs_.monthly(period, terms, by);
  if (!amount) return amount;
  cache[key] = *amount;
  return *amount;
}

SponsorView CsrDonor::view_of(Unit& unit, const Sponsor& sponsor) {
  SponsorView view{sponsor, unit.monthly_need(sponsor.id, now_month()), -1};
  if (view.monthly_need > 0)
    view.months_left = static_cast<int>(
        std::min<Rupiah>(sponsor.balance / view.monthly_need, std::numeric_limits<int>::max()));
  return view;
}

void CsrDonor::check_funds(Unit& unit, Sponsor& sponsor) {
  const auto view = view_of(unit, sponsor);
  const bool low = view.months_left >= 0 && view.months_left < settings_.low_balance_months;
  if (low && !sponsor.funds_low) {
    // Once per crossing: the flag stays until the wallet covers the setting again.
    unit.publish(SponsorFundsLow{sponsor.id, sponsor.balance, view.monthly_need, view.months_left});
    sponsor.funds_low = true;
    unit.save_sponsor(sponsor);
  } else if (!low && sponsor.funds_low) {
    sponsor.funds_low = false;
    unit.save_sponsor(sponsor);
  }
}

// ---------------------------------------------------------------- sponsors and wallets

Result<SponsorView> CsrDonor::create_sponsor(const std::string& key, const std::string& name,
                                             const std::string& kind, const Actor& by) {
  std::vector<FieldViolation> bad;
  check_key(bad, key);
  text::check(bad, "name", name, text::kOrganisation);
  if (!codes::one_of(kind, kKinds))
    bad.push_back({"kind", "must be csr_company, city_budget or philanthropy"});
  if (!bad.empty()) return fail(Error::invalid(std::move(bad)));
  SponsorView out;
  auto done = store_.transact([&](Unit& unit) -> Result<void> {
    if (auto earlier = unit.recall(key)) {
      auto s = unit.sponsor(*earlier);
      if (!s) return fail(Error::internal("idempotency key points at a missing sponsor"));
      if (s->name != name || s->kind != kind)
        return fail(Error::already_exists("idempotency key was used for sponsor " + s->id));
      out = view_of(unit, *s);
      return {};
    }
    Sponsor s{new_id("s_"), name, kind, 0, 0, 0, false, now_text(), by.subject};
    unit.save_sponsor(s);
    unit.remember(key, s.id);
    out = view_of(unit, s);
    return {};
  });
  if (!done) return fail(done.error());
  return out;
}

Result<std::vector<SponsorView>> CsrDonor::sponsors(const auth::Scope& scope) {
  std::vector<SponsorView> out;
  auto done = store_.read([&](Unit& unit) -> Result<void> {
    for (const auto& s : unit.sponsors(scope)) out.push_back(view_of(unit, s));
    return {};
  });
  if (!done) return fail(done.error());
  return out;
}

Result<SponsorView> CsrDonor::sponsor(const std::string& sponsor_id, const auth::Scope& scope) {
  // The directory (every sponsor, without wallets: the adapter hides them) is for area officials.
  if (!owns(scope, sponsor_id) && scope.areas.empty()) return fail(no_sponsor(sponsor_id));
  SponsorView out;
  auto done = store_.read([&](Unit& unit) -> Result<void> {
    auto s = unit.sponsor(sponsor_id);
    if (!s) return fail(no_sponsor(sponsor_id));
    out = view_of(unit, *s);
    return {};
  });
  if (!done) return fail(done.error());
  return out;
}

Result<Deposit> CsrDonor::deposit(const std::string& key, const std::string& sponsor_id, Rupiah amount,
                                  const std::string& reference, const Actor& by) {
  std::vector<FieldViolation> bad;
  check_key(bad, key);
  text::check(bad, "sponsor_id", sponsor_id, text::kId);
  if (amount <= 0) {
    bad.push_back({"amount", "must be a positive number of rupiah"});
  } else if (amount > settings_.max_deposit) {
    bad.push_back({"amount", fmt::format("must be at most {} a deposit (wallet.max_deposit)",
                                         format_rupiah(settings_.max_deposit))});
  }
  text::check(bad, "reference", reference, kDepositReference);
  if (!bad.empty()) return fail(Error::invalid(std::move(bad)));
  if (!owns(by.scope, sponsor_id)) return fail(no_sponsor(sponsor_id));
  Deposit out;
  auto done = store_.transact([&](Unit& unit) -> Result<void> {
    if (auto earlier = unit.deposit_by_key(key)) {
      if (earlier->sponsor_id != sponsor_id || earlier->amount != amount)
        return fail(Error::already_exists("idempotency key was used for deposit " + earlier->id));
      out = *earlier;
      out.repeated = true;  // a retry: nothing is credited twice
      return {};
    }
    auto s = unit.sponsor(sponsor_id);
    if (!s) return fail(no_sponsor(sponsor_id));
    const auto balance = checked_add(s->balance, amount);
    const auto deposited = checked_add(s->deposited, amount);
    if (!balance || !deposited) return fail(overflow("amount", "the wallet's balance after this deposit"));
    s->balance = *balance;
    s->deposited = *deposited;
    out = {new_id("dep_"), s->id, key, reference, now_text(), by.subject, amount, s->balance, false};
    unit.save_deposit(out);
    unit.append_ledger({0, s->id, "deposit", amount, s->balance, out.id, "", "", "", out.at, reference});
    unit.save_sponsor(*s);
    unit.publish(SponsorDeposited{s->id, out.id, s->kind, amount, s->balance});
    check_funds(unit, *s);
    return {};
  });
  if (!done) return fail(done.error());
  return out;
}

Result<std::vector<LedgerLine>> CsrDonor::ledger(const std::string& sponsor_id, int limit,
                                                 const auth::Scope& scope) {
  if (!owns(scope, sponsor_id)) return fail(no_sponsor(sponsor_id));
  std::vector<LedgerLine> out;
  auto done = store_.read([&](Unit& unit) -> Result<void> {
    if (!unit.sponsor(sponsor_id)) return fail(no_sponsor(sponsor_id));
    out = unit.ledger(sponsor_id, limit <= 0 ? 100 : limit);
    return {};
  });
  if (!done) return fail(done.error());
  return out;
}

// ---------------------------------------------------------------- cohorts

Result<Budget> CsrDonor::budget_for(const Sponsor& sponsor, const std::vector<Participant>& members,
                                    Month from, Month to, int open_slots,
                                    const std::vector<std::string>& categories, const std::string& by,
                                    QuoteCache* quotes) {
  QuoteCache local;
  QuoteCache& cache = quotes != nullptr ? *quotes : local;
  Budget budget;
  budget.sponsor_id = sponsor.id;
  budget.members = static_cast<int>(members.size()) + open_slots;
  budget.balance = sponsor.balance;
  const auto payer = payer_of_kind(sponsor.kind);
  for (auto p = from; p <= to; p = p.next()) {
    BudgetMonth month{p, budget.members, 0};
    std::optional<Rupiah> amount = 0;
    for (const auto& m : members) {
      auto cost = month_cost(cache, p, terms_of(m, payer), by);
      if (!cost) return fail(cost.error());
      if (amount) amount = checked_add(*amount, *cost);
    }
    if (open_slots > 0) {
      // Workers not chosen yet: the dearest of the categories at the lowest band.
      Rupiah dearest = 0;
      const std::vector<std::string> any{"other_informal"};
      for (const auto& c : categories.empty() ? any : categories) {
        auto cost = month_cost(cache, p, {c, payer, kDefaultPrograms, kLowestBand}, by);
        if (!cost) return fail(cost.error());
        dearest = std::max(dearest, *cost);
      }
      const auto open = checked_mul(dearest, open_slots);
      amount = amount && open ? checked_add(*amount, *open) : std::nullopt;
    }
    const auto total = amount ? checked_add(budget.total, *amount) : std::nullopt;
    // Bounded members and months keep real tariffs far below this: only absurd quotes reach it.
    if (!total) return fail(overflow("months", "the budget of these members for these months"));
    month.amount = *amount;
    budget.total = *total;
    budget.months.push_back(month);
  }
  // Both are at least 0, so the difference fits.
  budget.shortfall = std::max<Rupiah>(0, budget.total - budget.balance);
  return budget;
}

Rupiah CsrDonor::quoted_monthly(const QuoteCache& quotes, Month period, const Terms& terms) {
  if (auto it = quotes.find({period.index(), terms}); it != quotes.end()) return it->second;
  // Terms the quote did not see (a member chosen again inside the transaction, or whose band
  // changed meanwhile): the dearest tariff quoted stands in until the first bill says
  // (contribution_billed). The quote is remote, so it is not asked inside the transaction.
  Rupiah dearest = 0;
  for (const auto& [key, amount] : quotes)
    if (key.first == period.index()) dearest = std::max(dearest, amount);
  return dearest;
}

namespace {

struct Plan {
  Sponsor sponsor;
  Month start, last;
  std::vector<Participant> members;
  int open_slots = 0;
};

}  // namespace

// Checks a spec and chooses its members (named ones, or candidates by categories and RWs).
static Result<Plan> plan_cohort(Unit& unit, const CohortSpec& spec, Month current, const auth::Scope& scope) {
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

Result<Budget> CsrDonor::quote_cohort(const CohortSpec& spec, const Actor& by) {
  Plan plan;
  auto planned = store_.read([&](Unit& unit) -> Result<void> {
    auto p = plan_cohort(unit, spec, now_month(), by.scope);
    if (!p) return fail(p.error());
    plan = std::move(*p);
    return {};
  });
  if (!planned) return fail(planned.error());
  return budget_for(plan.sponsor, plan.members, plan.start, plan.last, plan.open_slots, spec.categories,
                    by.subject);
}

void CsrDonor::join(Unit& unit, const Cohort& cohort, const Sponsor& sponsor, const Participant& participant,
                    Month from, Rupiah monthly) {
  const auto before = unit.memberships_of(participant.id);
  const bool was = sponsored(before);
  unit.save_membership(
      {cohort.id, sponsor.id, participant.id, participant.rw_code, from, cohort.last, true, "", monthly});
  unit.publish(SponsorshipChanged{participant.id, participant.rw_code, "", was, true, sponsor.id,
                                  sponsor.kind, cohort.id, "joined", from.str(), cohort.last.str()});
}

void CsrDonor::leave(Unit& unit, Membership& m, Month to, const std::string& reason) {
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

Result<CohortView> CsrDonor::create_cohort(const std::string& key, const CohortSpec& spec, const Actor& by) {
  std::vector<FieldViolation> bad;
  check_key(bad, key);
  check_spec(bad, spec);
  if (!bad.empty()) return fail(Error::invalid(std::move(bad)));
  std::optional<std::string> earlier;
  Plan plan;
  auto planned = store_.read([&](Unit& unit) -> Result<void> {
    earlier = unit.recall(key);
    if (earlier) return {};
    auto p = plan_cohort(unit, spec, now_month(), by.scope);
    if (!p) return fail(p.error());
    plan = std::move(*p);
    return {};
  });
  if (!planned) return fail(planned.error());
  if (earlier) return cohort(*earlier, by.scope);
  // Quoting asks the contribution service, so it happens before the transaction.
  QuoteCache quotes;
  auto budget = budget_for(plan.sponsor, plan.members, plan.start, plan.last, plan.open_slots,
                           spec.categories, by.subject, &quotes);
  if (!budget) return fail(budget.error());
  CohortView out;
  auto done = store_.transact([&](Unit& unit) -> Result<void> {
    if (auto again = unit.recall(key)) {
      earlier = again;
      return {};
    }
    // Planned again inside the transaction: a concurrent cohort may have taken a member.
    auto p = plan_cohort(unit, spec, now_month(), by.scope);
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
    c.created_at = now_text();
    c.created_by = by.subject;
    unit.save_cohort(c);
    // Each member needs their own tariff, so the cohort's monthly need is the sum of its members'
    // tariffs (for a named cohort the budget's first month, summed there with checked arithmetic),
    // never an even split of that month rounded down.
    const auto payer = payer_of_kind(p->sponsor.kind);
    for (const auto& m : p->members)
      join(unit, c, p->sponsor, m, c.start, quoted_monthly(quotes, c.start, terms_of(m, payer)));
    unit.publish(CohortStarted{c, static_cast<int>(p->members.size())});
    unit.remember(key, c.id);
    check_funds(unit, p->sponsor);
    auto view = view_of(unit, c.id, by.scope);
    if (!view) return fail(view.error());
    out = std::move(*view);
    out.budget = *budget;
    return {};
  });
  if (!done) return fail(done.error());
  if (out.cohort.id.empty() && earlier) return cohort(*earlier, by.scope);
  return out;
}

Result<CohortView> CsrDonor::view_of(Unit& unit, const std::string& cohort_id, const auth::Scope& scope) {
  auto c = unit.cohort(cohort_id);
  if (!c) return fail(no_cohort(cohort_id));
  CohortView view{*c, unit.members_within(cohort_id, scope), {}};
  if (!owns(scope, c->sponsor_id) && view.members.empty()) return fail(no_cohort(cohort_id));
  view.budget.sponsor_id = c->sponsor_id;
  view.budget.members = static_cast<int>(view.members.size());
  view.budget.total = c->budget;
  return view;
}

Result<CohortView> CsrDonor::end_cohort(const std::string& key, const std::string& cohort_id,
                                        const std::string& last_text, const Actor& by) {
  std::vector<FieldViolation> bad;
  check_key(bad, key);
  text::check(bad, "cohort_id", cohort_id, text::kId);
  auto last = last_text.empty() ? std::optional(now_month()) : Month::parse(last_text);
  if (!last) bad.push_back({"last_period", "must be a month YYYY-MM"});
  if (!bad.empty()) return fail(Error::invalid(std::move(bad)));
  CohortView out;
  auto done = store_.transact([&](Unit& unit) -> Result<void> {
    auto c = unit.cohort(cohort_id);
    if (!c || !owns(by.scope, c->sponsor_id)) return fail(no_cohort(cohort_id));
    if (!unit.recall(key)) {
      if (c->status != cohort_status::kActive)
        return fail(precondition(fmt::format("cohort {} has ended already ({})", c->id, c->end_reason)));
      // Bills already paid stay paid: a cohort ends this month at the earliest.
      if (*last < now_month() && now_month() <= c->last)
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
      if (auto s = unit.sponsor(c->sponsor_id)) check_funds(unit, *s);
    }
    auto view = view_of(unit, cohort_id, by.scope);
    if (!view) return fail(view.error());
    out = std::move(*view);
    return {};
  });
  if (!done) return fail(done.error());
  return out;
}

Result<int> CsrDonor::close_completed() {
  int closed = 0;
  auto done = store_.transact([&](Unit& unit) -> Result<void> {
    for (auto& c : unit.cohorts_ended_before(now_month())) {
      c.status = cohort_status::kEnded;
      c.end_reason = "completed";
      unit.save_cohort(c);
      for (auto& m : unit.members(c.id)) leave(unit, m, m.to, "cohort_ended");
      unit.publish(CohortEnded{c.id, c.sponsor_id, c.last.str(), c.end_reason});
      if (auto s = unit.sponsor(c.sponsor_id)) check_funds(unit, *s);
      ++closed;
    }
    return {};
  });
  if (!done) return fail(done.error());
  return closed;
}

Result<std::vector<CohortView>> CsrDonor::cohorts(const std::string& sponsor_id, const auth::Scope& scope) {
  if (!owns(scope, sponsor_id) && scope.areas.empty()) return fail(no_sponsor(sponsor_id));
  std::vector<CohortView> out;
  auto done = store_.read([&](Unit& unit) -> Result<void> {
    if (!unit.sponsor(sponsor_id)) return fail(no_sponsor(sponsor_id));
    for (const auto& c : unit.cohorts(sponsor_id, scope)) {
      auto view = view_of(unit, c.id, scope);
      if (!view) return fail(view.error());
      out.push_back(std::move(*view));
    }
    return {};
  });
  if (!done) return fail(done.error());
  return out;
}

Result<CohortView> CsrDonor::cohort(const std::string& cohort_id, const auth::Scope& scope) {
  CohortView out;
  auto done = store_.read([&](Unit& unit) -> Result<void> {
    auto view = view_of(unit, cohort_id, scope);
    if (!view) return fail(view.error());
    out = std::move(*view);
    return {};
  });
  if (!done) return fail(done.error());
  return out;
}

// ---------------------------------------------------------------- proposals

Result<Proposal> CsrDonor::submit_proposal(const std::string& key, const std::string& kelurahan_code,
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
  auto recalled = store_.read([&](Unit& unit) -> Result<void> {
    earlier = unit.recall(key);
    return {};
  });
  if (!recalled) return fail(recalled.error());
  if (earlier) return proposal(*earlier, by.scope);

  Proposal p;
  p.id = new_id("prop_");
  p.kelurahan_code = kelurahan_code;
  p.submitted_by = by.subject;
  p.submitted_at = now_text();
  p.note = note;
  // Rows are checked first; new workers then go to registration in one call.
  std::vector<ProposalInput> to_register;
  std::vector<ProposalItem> known;
  auto checked = store_.read([&](Unit& unit) -> Result<void> {
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
    for (const auto& r : p.refused) rows.push_back({fmt::format("items[row {}]", r.row), r.reason});
    return fail(Error::invalid(std::move(rows)));
  }
  Proposal out;
  auto done = store_.transact([&](Unit& unit) -> Result<void> {
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

Result<std::vector<Proposal>> CsrDonor::proposals(const std::string& kelurahan_code,
                                                  const std::string& status, const auth::Scope& scope) {
  if (!status.empty() && status != "open" && status != "decided")
    return fail(Error::invalid({{"status", "must be open, decided or empty"}}));
  std::vector<Proposal> out;
  auto done = store_.read([&](Unit& unit) -> Result<void> {
    for (auto& p : unit.proposals(kelurahan_code, scope)) {
      if (status.empty() || p.status() == status) out.push_back(as_seen(std::move(p), scope));
    }
    return {};
  });
  if (!done) return fail(done.error());
  return out;
}

Result<Proposal> CsrDonor::proposal(const std::string& proposal_id, const auth::Scope& scope) {
  Proposal out;
  auto done = store_.read([&](Unit& unit) -> Result<void> {
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

Result<Acceptance> CsrDonor::accept(const AcceptCommand& c, const Actor& by) {
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
    start = c.start_period.empty() ? std::optional(now_month()) : Month::parse(c.start_period);
    if (!start) bad.push_back({"start_period", "must be a month YYYY-MM"});
    if (start && *start < now_month()) bad.push_back({"start_period", "must not be before this month"});
    if (c.months < 1 || c.months > kMaxMonths) bad.push_back({"months", "must be 1..120 for a new cohort"});
  }
  if (!bad.empty()) return fail(Error::invalid(std::move(bad)));
  if (!owns(by.scope, c.sponsor_id)) return fail(no_sponsor(c.sponsor_id));

  // Read what the decision needs and quote it before the transaction (the quote is remote).
  std::optional<std::string> earlier;
  Sponsor sponsor;
  std::vector<Participant> members;
  Month from, to;
  const auto gather = [&](Unit& unit, Proposal& p, std::vector<std::size_t>& chosen,
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
      from = std::max(existing->start, now_month());
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

  auto gathered = store_.read([&](Unit& unit) -> Result<void> {
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
    auto v = cohort(cohort_id, by.scope);
    if (!v) return fail(v.error());
    return Acceptance{std::move(*p), std::move(*v)};
  };
  if (earlier) return answer_again(*earlier);
  QuoteCache quotes;
  auto budget = budget_for(sponsor, members, from, to, 0, {}, by.subject, &quotes);
  if (!budget) return fail(budget.error());

  Acceptance out;
  auto done = store_.transact([&](Unit& unit) -> Result<void> {
    if ((earlier = unit.recall(c.idempotency_key))) return {};
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
      cohort.created_at = now_text();
      cohort.created_by = by.subject;
      unit.save_cohort(cohort);
    }
    for (std::size_t k = 0; k < chosen.size(); ++k) {
      auto& item = p.items[chosen[k]];
      // Each member needs their own tariff (their sum is the budget's first month).
      join(unit, cohort, sponsor, members[k], from,
           quoted_monthly(quotes, from, terms_of(members[k], payer_of_kind(sponsor.kind))));
      item.status = item_status::kAccepted;
      item.sponsor_id = sponsor.id;
      item.cohort_id = cohort.id;
      item.decided_by = by.subject;
      item.decided_at = now_text();
    }
    if (!existing) unit.publish(CohortStarted{cohort, static_cast<int>(chosen.size())});
    unit.save_proposal(p);
    unit.remember(c.idempotency_key, cohort.id);
    check_funds(unit, sponsor);
    auto view = view_of(unit, cohort.id, by.scope);
    if (!view) return fail(view.error());
    out = {as_seen(std::move(p), by.scope), std::move(*view)};
    out.cohort.budget = *budget;
    return {};
  });
  if (!done) return fail(done.error());
  if (out.proposal.id.empty() && earlier) return answer_again(*earlier);
  return out;
}

Result<Proposal> CsrDonor::reject_items(const std::string& key, const std::string& proposal_id,
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
  auto done = store_.transact([&](Unit& unit) -> Result<void> {
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
        item.decided_at = now_text();
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

// ---------------------------------------------------------------- impact

Result<void> CsrDonor::export_sponsorships(const std::function<bool(const SponsorshipFact&)>& sink) {
  return export_published<SponsorshipFact>(
      [&](const std::string& after, int limit) { return store_.sponsorships_page(after, limit); },
      [](const SponsorshipFact& f) { return f.participant_id; }, [&] { return store_.unpublished(); }, sink);
}

Result<Impact> CsrDonor::impact(const std::string& sponsor_id, const std::string& from_text,
                                const std::string& to_text, const auth::Scope& scope) {
  std::vector<FieldViolation> bad;
  const auto from = Month::parse(from_text);
  const auto to = Month::parse(to_text);
  if (sponsor_id.empty()) bad.push_back({"sponsor_id", "required"});
  if (!from) bad.push_back({"from_period", "must be a month YYYY-MM"});
  if (!to) bad.push_back({"to_period", "must be a month YYYY-MM"});
  if (from && to && *to < *from) bad.push_back({"to_period", "must not be before from_period"});
  if (!bad.empty()) return fail(Error::invalid(std::move(bad)));
  if (!owns(scope, sponsor_id) && scope.areas.empty()) return fail(no_sponsor(sponsor_id));
  Impact out;
  auto done = store_.read([&](Unit& unit) -> Result<void> {
    auto s = unit.sponsor(sponsor_id);
    if (!s) return fail(no_sponsor(sponsor_id));
    out.sponsor_id = s->id;
    out.sponsor_name = s->name;
    out.from_period = from->str();
    out.to_period = to->str();
    // Sums of stored figures: one that does not fit says so rather than wrap.
    const auto add_to = [](Rupiah& sum, Rupiah amount) {
      const auto next = checked_add(sum, amount);
      if (next) sum = *next;
      return next.has_value();
    };
    const auto too_large = [] {
      return precondition("the impact figures of these periods do not fit in a rupiah figure",
                          {{"to_period", "choose a shorter range"}});
    };
    std::map<std::string, RwImpact> rws;
    std::map<std::string, std::set<std::string>> workers_by_rw;
    std::set<std::string> workers;
    for (const auto& a : unit.allocations(sponsor_id, *from, *to, scope)) {
      auto& rw = rws[a.rw_code];
      rw.rw_code = a.rw_code;
      ++rw.months_funded;
      if (!add_to(rw.spent, a.amount) || !add_to(out.spent, a.amount)) return fail(too_large());
      workers_by_rw[a.rw_code].insert(a.participant_id);
      workers.insert(a.participant_id);
      ++out.months_funded;
    }
    for (const auto& c : unit.claims(sponsor_id, *from, *to, scope)) {
      auto& rw = rws[c.rw_code];
      rw.rw_code = c.rw_code;
      ++rw.claims_paid;
      ++out.claims_paid;
      if (!add_to(rw.claims_amount, c.amount) || !add_to(out.claims_amount, c.amount))
        return fail(too_large());
    }
    out.payments_failed = static_cast<int>(unit.failures(sponsor_id, *from, *to, scope).size());
    for (auto& [code, rw] : rws) {
      rw.workers = static_cast<int>(workers_by_rw[code].size());
      out.rws.push_back(rw);
    }
    out.workers_protected = static_cast<int>(workers.size());
    out.rws_reached = static_cast<int>(workers_by_rw.size());
    return {};
  });
  if (!done) return fail(done.error());
  return out;
}

// ---------------------------------------------------------------- facts from other services

void CsrDonor::fill_from_registration(Unit& unit, const Participant& p) {
  if (p.payer != "self" || !p.active) return;
  const auto current = now_month();
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
    check_funds(unit, *s);
    return;
  }
}

Result<void> CsrDonor::participant_registered(const std::string& event_id, const Participant& participant) {
  return store_.transact([&](Unit& unit) -> Result<void> {
    if (unit.seen_event(event_id)) return {};
    if (unit.participant(participant.id)) return {};  // announced twice: the first one counts
    unit.save_participant(participant);
    fill_from_registration(unit, participant);
    return {};
  });
}

Result<void> CsrDonor::participant_updated(const std::string& event_id, const Participant& changes) {
  return store_.transact([&](Unit& unit) -> Result<void> {
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

Result<void> CsrDonor::participant_moved(const std::string& event_id, const std::string& participant_id,
                                         const std::string& to_rw_code) {
  return store_.transact([&](Unit& unit) -> Result<void> {
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

Result<void> CsrDonor::participant_exited(const std::string& event_id, const std::string& participant_id,
                                          const std::string& exit_date) {
  return store_.transact([&](Unit& unit) -> Result<void> {
    if (unit.seen_event(event_id)) return {};
    auto p = unit.participant(participant_id);
    if (!p) return {};
    p->active = false;
    p->exit_date = exit_date;
    unit.save_participant(*p);
    // Funding stops with the month of the exit; later months are nobody's to pay.
    const auto last = Month::of_date(exit_date).value_or(now_month());
    for (auto& m : unit.memberships_of(participant_id)) {
      if (!m.active) continue;
      leave(unit, m, last, "exited");
      if (auto s = unit.sponsor(m.sponsor_id)) check_funds(unit, *s);
    }
    return {};
  });
}

Result<BillOutcome> CsrDonor::contribution_billed(const std::string& event_id, const Billed& bill) {
  const auto period = Month::parse(bill.period);
  if (!period) return fail(Error::invalid({{"period", "must be a month YYYY-MM"}}));
  BillOutcome outcome = BillOutcome::kNotSponsored;
  auto done = store_.transact([&](Unit& unit) -> Result<void> {
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
                         s->balance, now_text(), "insufficient_funds"});
      unit.publish(SponsorPaymentFailed{s->id, funding->cohort_id, bill.participant_id, rw, period->str(),
                                        "insufficient_funds", bill.agent_id, bill.outstanding, s->balance});
      check_funds(unit, *s);
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
    const auto at = now_text();
    unit.save_allocation({allocation_id, s->id, funding->cohort_id, bill.participant_id, rw, *period,
                          bill.outstanding, false, at});
    unit.append_ledger({0, s->id, "payment", -bill.outstanding, s->balance, allocation_id,
                        bill.participant_id, period->str(), funding->cohort_id, at, ""});
    unit.publish(SponsorPaymentMade{s->id, allocation_id, bill.participant_id, period->str(),
                                    funding->cohort_id, rw, bill.outstanding});
    check_funds(unit, *s);
    outcome = BillOutcome::kPaid;
    return {};
  });
  if (!done) return fail(done.error());
  return outcome;
}

Result<bool> CsrDonor::payment_rejected(const std::string& event_id, const Rejected& rejected) {
  bool refunded = false;
  auto done = store_.transact([&](Unit& unit) -> Result<void> {
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
    const auto at = now_text();
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
    check_funds(unit, *s);
    refunded = true;
    return {};
  });
  if (!done) return fail(done.error());
  return refunded;
}

Result<void> CsrDonor::claim_paid(const std::string& event_id, const ClaimPaid& claim) {
  const auto month = Month::of_date(claim.event_date);
  if (!month) return fail(Error::invalid({{"event_date", "must be a date YYYY-MM-DD"}}));
  return store_.transact([&](Unit& unit) -> Result<void> {
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

#include "claims.hpp"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "jaring/common/assert.hpp"
#include "jaring/common/codes.hpp"
#include "jaring/common/export.hpp"
#include "jaring/common/ids.hpp"
#include "jaring/common/text.hpp"
#include "rules.hpp"

namespace jaring::claims {
namespace {

Error precondition(std::string message, std::vector<FieldViolation> violations = {}) {
  return {ErrorCode::kFailedPrecondition, std::move(message), std::move(violations)};
}

// A rule's refusal on a field: INVALID_ARGUMENT naming the field and the rule.
Error field_error(std::string field, std::string rule) {
  return Error::invalid({{std::move(field), std::move(rule)}});
}

// Bounds of repeated fields: a family card lists a household, a filing a few children (the
// schedule's limit is checked later) and a step a claim type's checklist.
constexpr std::size_t kMaxFamily = 20;
constexpr std::size_t kMaxChildren = 10;
constexpr std::size_t kMaxBodyParts = 20;
constexpr std::size_t kMaxDocuments = 20;
// Field rules beyond libs/common's usual ones (jaring/common/text.hpp).
constexpr text::Rule kOptionalId{text::Kind::kToken, 64, false};
constexpr text::Rule kOptionalName{text::Kind::kLine, 100, false};
constexpr text::Rule kCode{text::Kind::kToken, 64, true};

bool digits_only(const std::string& text) {
  return !text.empty() && std::ranges::all_of(text, [](char c) { return c >= '0' && c <= '9'; });
}

// A phone number as written on a form: an optional + and 8 to 15 digits.
bool valid_phone(std::string_view phone) {
  if (phone.starts_with('+')) phone.remove_prefix(1);
  return phone.size() >= 8 && phone.size() <= 15 && digits_only(std::string(phone));
}

// Adds a violation when a repeated field lists more than `most` entries; returns whether it fits.
bool check_count(std::vector<FieldViolation>& bad, const char* field, std::size_t count, std::size_t most) {
  if (count <= most) return true;
  bad.push_back({field, fmt::format("must list at most {} entries", most)});
  return false;
}

// The claim id every later step names: an id the system gave.
Result<void> check_claim_id(const std::string& claim_id) {
  std::vector<FieldViolation> bad;
  if (!text::check(bad, "claim_id", claim_id, text::kId)) return fail(Error::invalid(std::move(bad)));
  return {};
}

std::string child_key(const Child& c) { return c.name + "|" + c.birth_date; }

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
  return out;
}

// The schedule a claim's figures come from: the event date's, or for a scholarship the school
// year's (a new schedule raises next year's scholarships).
Date schedule_date(const Claim& claim) {
  if (claim.type == type::kScholarship) {
    return Date{std::chrono::year(claim.scholarship_year), std::chrono::January, std::chrono::day(1)};
  }
  return *parse_date(claim.event_date);
}

void add_history(Claim& claim, const std::string& action, const std::string& from, const Actor& actor,
                 const std::string& at, const std::string& note) {
  claim.history.push_back({action, from, claim.status, actor.subject, actor.roles, at, note});
}

// The actor with a normalised subject, so that every comparison and every record names one
// person one way.
Actor normalised(const Actor& actor) { return {auth::normalise_subject(actor.subject), actor.roles}; }

Result<void> need_actor(const Actor& actor) {
  if (actor.subject.empty())
    return fail(Error::permission_denied("the caller is unknown: every step records who did it"));
  return {};
}

Error maker_checker(const Actor& actor, const std::string& did, const Claim& claim, const std::string& step,
                    const char* rule) {
  return Error::permission_denied(fmt::format("maker-checker: {} {} claim {} and may not {} it ({})",
                                              actor.subject, did, claim.id, step, rule));
}

constexpr const char* kThreePeople = "filer, verifier and approver are three different people";

// What a filing answers for a participant it may not name: the same as for one that does not
// exist, so that nobody learns of participants outside their scope.
Error unknown_participant(const std::string& participant_id) {
  return field_error("participant_id", "unknown participant " + participant_id +
                                           ": registration does not know them, or not one you serve");
}

// The band in force on `date` for a claim of `participant`.
Rupiah band_on(const Participant& participant, const std::string& date) {
  return income_on(participant.incomes, date, participant.income_band);
}

}  // namespace

// ---------------------------------------------------------------- filing rules

std::vector<FieldViolation> check_filing(const FileCommand& c, const BenefitTable& benefits,
                                         Date today_date) {
  const auto today_text = date_text(today_date);
  const bool scholarship = c.claim_type == type::kScholarship;
  const bool own = by_participant(c.claim_type);
  std::vector<FieldViolation> bad;
  if (c.idempotency_key.empty()) {
    bad.push_back({"idempotency_key", "required: a retried filing must not file twice"});
  } else {
    text::check(bad, "idempotency_key", c.idempotency_key, text::kIdempotencyKey);
  }
  text::check(bad, "participant_id", c.participant_id, text::kId);
  text::check(bad, "agent_id", c.agent_id, kOptionalId);
  text::check(bad, "note", c.note, text::kNote);
  if (!codes::one_of(c.claim_type, kClaimTypes))
    bad.push_back({"claim_type",
                   "must be jkm_death, jkk_death, jkk_temporary_incapacity, jkk_medical, scholarship, "
                   "jkk_total_disability or jkk_partial_disability"});
  const auto event = parse_date(c.event_date);
  if (!scholarship) {
    if (!event) {
      bad.push_back({"event_date", "must be a date YYYY-MM-DD"});
    } else if (*event > today_date) {
      bad.push_back({"event_date", fmt::format("must not be in the future (today is {})", today_text)});
    }
  } else if (!c.event_date.empty()) {
    bad.push_back({"event_date", "leave empty for a scholarship: the death claim's date applies"});
  }
  text::check(bad, "claimant.name", c.claimant.name, text::kName);
  if (!c.claimant.nik.empty() && (c.claimant.nik.size() != 16 || !digits_only(c.claimant.nik)))
    bad.push_back({"claimant.nik", "must be 16 digits"});
  if (!c.claimant.phone.empty() && !valid_phone(c.claimant.phone))
    bad.push_back({"claimant.phone", "must be a phone number: an optional + and 8 to 15 digits"});
  if (own) {
    if (!c.claimant.relation.empty() && c.claimant.relation != "self")
      bad.push_back({"claimant.relation",
                     "must be self (or empty): the participant claims JKK incapacity and "
                     "medical costs"});
  } else if (!heir_rank(c.claimant.relation)) {
    bad.push_back({"claimant.relation",
                   "must be an heir: spouse, child, parent, grandchild, grandparent, sibling, "
                   "parent_in_law or will"});
  }
  if (check_count(bad, "family", c.family.size(), kMaxFamily)) {
    for (std::size_t i = 0; i < c.family.size(); ++i) {
      if (!heir_rank(c.family[i].relation))
        bad.push_back({fmt::format("family[{}].relation", i), "must be an heir relation"});
      text::check(bad, fmt::format("family[{}].name", i), c.family[i].name, kOptionalName);
    }
  }
  if (c.claim_type == type::kJkkIncapacity) {
    if (c.incapacity_months < 1) bad.push_back({"incapacity_months", "must be at least 1"});
  } else if (c.incapacity_months != 0) {
    bad.push_back({"incapacity_months", "only for jkk_temporary_incapacity"});
  }
  if (c.claim_type == type::kJkkPartialDisability) {
    if (c.body_parts.empty())
      bad.push_back({"body_parts", "must name at least one body part of the benefit table"});
    if (check_count(bad, "body_parts", c.body_parts.size(), kMaxBodyParts)) {
      for (std::size_t i = 0; i < c.body_parts.size(); ++i)
        text::check(bad, fmt::format("body_parts[{}]", i), c.body_parts[i], text::kId);
    }
  } else if (!c.body_parts.empty()) {
    bad.push_back({"body_parts", "only for jkk_partial_disability"});
  }
  if (c.claim_type == type::kJkkMedical) {
    if (c.claimed_amount <= 0)
      bad.push_back({"claimed_amount", "must be the medical costs claimed, in rupiah"});
  } else if (c.claimed_amount != 0) {
    bad.push_back({"claimed_amount", "only for jkk_medical"});
  }
  if (c.requested_amount < 0) bad.push_back({"requested_amount", "must not be negative"});
  if (scholarship) {
    if (c.death_claim_id.empty()) {
      bad.push_back({"death_claim_id", "required: the paid death claim"});
    } else {
      text::check(bad, "death_claim_id", c.death_claim_id, text::kId);
    }
    if (c.scholarship_year < 1900 || c.scholarship_year > static_cast<int>(today_date.year()) + 1)
      bad.push_back({"scholarship_year",
                     fmt::format("must be a year up to {}", static_cast<int>(today_date.year()) + 1)});
    if (c.children.empty()) bad.push_back({"children", "at least one child"});
    std::set<std::string> seen;
    const bool few = check_count(bad, "children", c.children.size(), kMaxChildren);
    for (std::size_t i = 0; few && i < c.children.size(); ++i) {
      const auto& ch = c.children[i];
      const auto at = [&](const char* f) { return fmt::format("children[{}].{}", i, f); };
      const bool named = text::check(bad, at("name"), ch.name, text::kName);
      if (!parse_date(ch.birth_date)) bad.push_back({at("birth_date"), "must be a date YYYY-MM-DD"});
      text::check(bad, at("level"), ch.level, kCode);
      if (named && !seen.insert(child_key(ch)).second)
        bad.push_back({at("name"), "the same child is listed twice"});
    }
  } else {
    if (!c.death_claim_id.empty()) bad.push_back({"death_claim_id", "only for scholarship"});
    if (!c.children.empty()) bad.push_back({"children", "only for scholarship"});
    if (c.scholarship_year != 0) bad.push_back({"scholarship_year", "only for scholarship"});
  }
  // Amounts above the most one claim pays under the schedule of the event (of the school year
  // for a scholarship), before anything is read.
  if (bad.empty()) {
    const auto date =
        scholarship ? Date{std::chrono::year(c.scholarship_year), std::chrono::January, std::chrono::day(1)}
                    : *event;
    if (const auto s = benefits.on(date)) {
      const auto ceiling = fmt::format("must be at most {}, the most one claim pays ({})",
                                       format_rupiah((*s)->max_benefit), (*s)->name);
      if (c.claimed_amount > (*s)->max_benefit) bad.push_back({"claimed_amount", ceiling});
      if (c.requested_amount > (*s)->max_benefit) bad.push_back({"requested_amount", ceiling});
    }
  }
  return bad;
}

Result<void> check_type_rules(const FileCommand& c, const BenefitSchedule& s, Date today_date) {
  const auto event = parse_date(c.event_date);
  if (!event && c.claim_type != type::kScholarship)
    return fail(field_error("event_date", "must be a date YYYY-MM-DD"));
  if (c.claim_type == type::kJkkTotalDisability || c.claim_type == type::kJkkPartialDisability) {
    if (s.disability_total_income_multiple == 0)
      return fail(field_error("event_date", fmt::format("the benefit schedule in effect then ({}) pays no "
                                                        "permanent disability",
                                                        s.name)));
    for (std::size_t i = 0; i < c.body_parts.size(); ++i) {
      const auto field = fmt::format("body_parts[{}]", i);
      if (s.body_part(c.body_parts[i]) == nullptr) {
        std::string names;
        for (const auto& b : s.body_parts) names += (names.empty() ? "" : ", ") + b.part;
        return fail(field_error(field, fmt::format("'{}' is not in the body part table of {}: one of {}",
                                                   c.body_parts[i], s.name, names)));
      }
      if (std::count(c.body_parts.begin(), c.body_parts.begin() + static_cast<std::ptrdiff_t>(i),
                     c.body_parts[i]) > 0)
        return fail(field_error(field, fmt::format("'{}' is listed twice", c.body_parts[i])));
    }
  }
  if (c.claim_type == type::kJkkIncapacity) {
    if (c.incapacity_months > s.incapacity_max_months)
      return fail(field_error("incapacity_months", fmt::format("at most {} months per claim ({})",
                                                               s.incapacity_max_months, s.name)));
    const auto months_elapsed =
        month_index(today_date) - month_index(*event) + (today_date.day() >= event->day() ? 0 : -1);
    if (c.incapacity_months > std::max(1, months_elapsed + 1))
      return fail(
          field_error("incapacity_months",
                      fmt::format("{} month(s) since the accident on {}: months not yet passed cannot be "
                                  "claimed",
                                  std::max(0, months_elapsed), c.event_date)));
  }
  return {};
}

Result<void> check_scholarship(const FileCommand& c, const BenefitSchedule& s,
                               std::span<const ScholarshipRecord> previous) {
  std::set<std::string> children;
  for (const auto& r : previous) children.insert(child_key(r.child));
  for (const auto& ch : c.children) children.insert(child_key(ch));
  if (static_cast<int>(children.size()) > s.scholarship_max_children)
    return fail(field_error("children", fmt::format("a scholarship is for at most {} children ({} with those "
                                                    "claimed before)",
                                                    s.scholarship_max_children, children.size())));
  for (std::size_t i = 0; i < c.children.size(); ++i) {
    const auto& ch = c.children[i];
    const auto at = [&](const char* f) { return fmt::format("children[{}].{}", i, f); };
    const auto* level = s.level(ch.level);
    if (level == nullptr) {
      std::vector<std::string> names;
      names.reserve(s.levels.size());
      for (const auto& l : s.levels) names.push_back(l.level);
      return fail(field_error(at("level"), "must be one of " + join(names)));
    }
    if (ch.school_year < 1 || ch.school_year > level->max_years)
      return fail(field_error(at("school_year"),
                              fmt::format("{} is paid for years 1 to {}", ch.level, level->max_years)));
    const Date january{std::chrono::year(c.scholarship_year), std::chrono::January, std::chrono::day(1)};
    const auto age = age_on(*parse_date(ch.birth_date), january);
    if (age >= s.scholarship_max_age)
      return fail(field_error(at("birth_date"), fmt::format("the scholarship ends at {}: {} on 1 January {}",
                                                            s.scholarship_max_age, age, c.scholarship_year)));
    if (ch.married) return fail(field_error(at("married"), "the scholarship ends at marriage"));
    if (ch.working) return fail(field_error(at("working"), "the scholarship ends when the child works"));
    int years_at_level = 0;
    for (const auto& r : previous) {
      if (child_key(r.child) != child_key(ch)) continue;
      if (r.year == c.scholarship_year)
        return fail(
            field_error(at("name"), fmt::format("already claimed for {}: a scholarship is claimed once a "
                                                "year",
                                                c.scholarship_year)));
      if (r.child.level == ch.level) ++years_at_level;
    }
    if (years_at_level >= level->max_years)
      return fail(field_error(at("level"), fmt::format("{} was paid {} year(s) already, the most it pays",
                                                       ch.level, years_at_level)));
  }

  return {};
}

std::string rule_refusal(const Claim& claim, const Claim* death, const BenefitSchedule& s, Date today_date) {
  std::string refusal;
  if (claim.type == type::kScholarship) {
    // The minimum period is the JKM scholarship's only: a JKK scholarship (death from work) has
    // none.
    if (death != nullptr && death->type == type::kJkmDeath &&
        claim.coverage.contribution_months < s.scholarship_min_contribution_months)
      refusal = fmt::format("a JKM scholarship needs at least {} months of contributions; {} were paid by {}",
                            s.scholarship_min_contribution_months, claim.coverage.contribution_months,
                            claim.event_date);
  } else if (!claim.coverage.eligible) {
    refusal = "not covered on the event date: " + claim.coverage.reason;
  }
  if (const auto event = parse_date(claim.event_date);
      refusal.empty() && event && claim.type.starts_with("jkk_")) {
    const auto limit = add_years(*event, s.jkk_claim_limit_years);
    if (today_date > limit)
      refusal = fmt::format(
          "JKK rights lapse {} years after the accident: the accident was on {}, the limit was {}, "
          "filed on {}",
          s.jkk_claim_limit_years, claim.event_date, date_text(limit), date_text(today_date));
  }
  return refusal;
}

std::string fingerprint(const FileCommand& c) {
  // Unit separators keep fields apart; the order is fixed.
  std::string out =
      fmt::format("{}\x1f{}\x1f{}\x1f{}\x1f{}\x1f{}\x1f{}\x1f{}\x1f{}\x1f{}\x1f{}\x1f{}\x1f{}\x1f{}",
                  c.participant_id, c.claim_type, c.event_date, c.claimant.name, c.claimant.nik,
                  c.claimant.relation, c.claimant.phone, c.agent_id, c.incapacity_months, c.claimed_amount,
                  c.death_claim_id, c.scholarship_year, c.requested_amount, c.note);
  for (const auto& f : c.family) out += fmt::format("\x1e{}\x1f{}\x1f{}", f.relation, f.alive, f.name);
  for (const auto& b : c.body_parts) out += fmt::format("\x1c{}", b);
  for (const auto& ch : c.children)
    out += fmt::format("\x1d{}\x1f{}\x1f{}\x1f{}\x1f{}\x1f{}", ch.name, ch.birth_date, ch.level,
                       ch.school_year, ch.married, ch.working);
  return out;
}

auth::ScopedRow row_of(const Participant& p) { return {p.branch_code, p.rw_code, p.agent_id, ""}; }
auth::ScopedRow row_of(const Claim& c) { return {c.branch_code, c.rw_code, c.agent_id, ""}; }

std::string Claims::today() const { return jakarta_date(clock_.now()); }

// ---------------------------------------------------------------- projections

Result<void> Claims::project(const std::string& event_id, const std::function<Result<void>(Unit&)>& fn) {
  if (event_id.empty()) return fail(Error::invalid({{"event_id", "required"}}));
  return store_.transact([&](Unit& unit) -> Result<void> {
    if (unit.seen_event(event_id)) return {};
    return fn(unit);
  });
}

Result<void> Claims::contribution_billed(const std::string& event_id, const std::string& participant_id,
                                         const std::string& period, Rupiah outstanding, TimePoint at) {
  const auto month = parse_month(period);
  if (participant_id.empty() || !month)
    return fail(
        Error::invalid({{"period", "ContributionBilled needs a participant id and a period YYYY-MM"}}));
  return project(event_id, [&](Unit& unit) -> Result<void> {
    PeriodFact fact{*month, true, false, ""};
    for (const auto& p : unit.periods(participant_id)) {
      if (p.period == *month) fact = p;
    }
    fact.billed = true;
    // Paid ahead or from credit: billing finds nothing owed, so the period is paid now at the latest.
    if (outstanding == 0 && !fact.paid) {
      fact.paid = true;
      fact.paid_on = jakarta_date(at);
    } else if (outstanding > 0) {
      fact.paid = false;
      fact.paid_on.clear();
    }
    unit.save_period(participant_id, fact);
    return {};
  });
}

Result<void> Claims::payment_received(const std::string& event_id, const PaymentFacts& payment,
                                      TimePoint at) {
  std::vector<int> touched;
  for (const auto& p : payment.periods) {
    auto m = parse_month(p);
    if (!m) return fail(Error::invalid({{"periods", "\"" + p + "\" is not a period YYYY-MM"}}));
    touched.push_back(*m);
  }
  std::set<int> paid;
  for (const auto& p : payment.paid_periods) {
    auto m = parse_month(p);
    if (!m) return fail(Error::invalid({{"paid_periods", "\"" + p + "\" is not a period YYYY-MM"}}));
    paid.insert(*m);
  }
  if (payment.paid_periods.empty() && !payment.covered_through.empty()) {
    // Older producers: allocation runs oldest first, so what it touched up to covered_through is paid.
    const auto through = parse_month(payment.covered_through);
    for (int m : touched) {
      if (through && m <= *through) paid.insert(m);
    }
  }
  return project(event_id, [&](Unit& unit) -> Result<void> {
    std::map<int, PeriodFact> facts;
    for (const auto& p : unit.periods(payment.participant_id)) facts[p.period] = p;
    for (int m : touched) {
      auto& fact = facts.try_emplace(m, PeriodFact{m, false, false, ""}).first->second;
      const bool now_paid = paid.contains(m);
      if (now_paid && !fact.paid) {
        fact.paid = true;
        fact.paid_on = jakarta_date(at);
      } else if (!now_paid) {
        fact.paid = false;
        fact.paid_on.clear();
      }
      unit.save_period(payment.participant_id, fact);
    }
    unit.save_payment_periods(payment.payment_id, payment.participant_id, touched);
    return {};
  });
}

Result<void> Claims::payment_reversed(const std::string& event_id, const std::string& participant_id,
                                      const std::string& payment_id) {
  return project(event_id, [&](Unit& unit) -> Result<void> {
    const auto touched = unit.payment_periods(payment_id);
    for (auto fact : unit.periods(participant_id)) {
      if (std::ranges::count(touched, fact.period) == 0) continue;
      fact.paid = false;
      fact.paid_on.clear();
      unit.save_period(participant_id, fact);
    }
    return {};
  });
}

// ---------------------------------------------------------------- filing

Result<Claim> Claims::file(const FileCommand& command, const Actor& caller, const auth::Scope& scope) {
  const auto actor = normalised(caller);
  if (auto ok = need_actor(actor); !ok) return fail(ok.error());
  // An agent files under their own agent id, which also keeps the claim in their scope.
  auto c = command;
  if (scope.only_agent()) {
    if (c.agent_id.empty()) c.agent_id = scope.agent;
    if (c.agent_id != scope.agent)
      return fail(Error::denied({{"agent_id", "an agent files under their own agent id"}}));
  }
  const auto today_text = today();
  const auto today_date = *parse_date(today_text);
  const bool scholarship = c.claim_type == type::kScholarship;
  const bool own = by_participant(c.claim_type);

  // Checks that need no store: every broken rule at once.
  auto bad = check_filing(c, benefits_, today_date);
  if (!bad.empty()) return fail(Error::invalid(std::move(bad)));

  // Asked before the transaction, which never waits on a call. A retry of a filing made before is
  // answered even when registration cannot answer now.
  const auto known = registry_.participant(c.participant_id, actor.subject);

  const auto print = fingerprint(c);
  Claim out;
  auto done = store_.transact([&](Unit& unit) -> Result<void> {
    if (auto existing = unit.claim_by_key(c.idempotency_key)) {
      // Someone else's claim: nothing of it, not even its id.
      if (!scope.covers(row_of(*existing)))
        return fail(field_error("idempotency_key", "was used for a different filing"));
      if (existing->fingerprint != print)
        return fail(
            field_error("idempotency_key", "was used for a different filing (claim " + existing->id + ")"));
      out = std::move(*existing);
      return {};
    }
    if (!known) return fail(known.error());
    const auto& participant = *known;
    // A moved worker's claim belongs to the branch that served them on the event date: its staff
    // may file it as well as the branch serving them now.
    const auto event_branch =
        participant ? branch_on(participant->branches, c.event_date, participant->branch_code) : "";
    if (!participant || !(scope.covers(row_of(*participant)) ||
                          scope.covers({event_branch, participant->rw_code, participant->agent_id, ""})))
      return fail(unknown_participant(c.participant_id));
    Claim claim;
    claim.id = new_id("c_");
    claim.idempotency_key = c.idempotency_key;
    claim.fingerprint = print;
    claim.participant_id = c.participant_id;
    claim.type = c.claim_type;
    claim.event_date = c.event_date;
    claim.rw_code = participant->rw_code;
    claim.branch_code = event_branch;
    // A filing that names no agent keeps the participant's, who registered them.
    claim.agent_id = c.agent_id.empty() ? participant->agent_id : c.agent_id;
    claim.claimant = c.claimant;
    if (own) claim.claimant.relation = "self";
    claim.family = c.family;
    claim.incapacity_months = c.incapacity_months;
    claim.body_parts = c.body_parts;
    claim.claimed_amount = c.claimed_amount;
    claim.requested_amount = c.requested_amount;
    claim.death_claim_id = c.death_claim_id;
    claim.scholarship_year = c.scholarship_year;
    claim.children = c.children;
    claim.note = c.note;
    claim.filed_by = actor.subject;
    claim.filed_at = format_utc(clock_.now());
    claim.filed_month = today_text.substr(0, 7);

    // Heirs: the claimant must hold the highest rank among the living family.
    if (!own) {
      if (auto refusal = heir_refusal(c.claimant.relation, c.family))
        return fail(field_error("claimant.relation", *refusal));
    }

    std::string refusal;  // a rule that refuses the claim: recorded as rejected, with the reason
    if (is_death(c.claim_type)) {
      for (const auto& other : unit.claims_of(c.participant_id)) {
        if (is_death(other.type) && other.status != status::kRejected)
          return fail(
              precondition(fmt::format("participant {} already has death claim {} ({}): a death is claimed "
                                       "once",
                                       c.participant_id, other.id, other.status)));
      }
    }
    std::optional<Claim> death;
    if (scholarship) {
      death = unit.claim(c.death_claim_id);
      if (!death || !is_death(death->type) || death->participant_id != c.participant_id)
        return fail(
            field_error("death_claim_id", "must be a death claim of participant " + c.participant_id));
      if (death->status != status::kPaid)
        return fail(field_error("death_claim_id", "the death claim is " + death->status +
                                                      ": scholarships follow a paid death claim"));
      claim.event_date = death->event_date;
    }
    const auto schedule = benefits_.on(schedule_date(claim));
    if (!schedule) return fail(field_error("event_date", schedule.error().message));
    const BenefitSchedule& s = **schedule;

    // Type rules on amounts and children: INVALID_ARGUMENT naming the field.
    if (auto ok = check_type_rules(c, s, today_date); !ok) return ok;
    if (scholarship) {
      if (auto ok = check_scholarship(c, s, unit.scholarships_of(c.death_claim_id)); !ok) return ok;
    }

    // Eligibility in business time: the event date's period as it stood on that date.
    const auto periods = unit.periods(c.participant_id);
    claim.coverage = judge_coverage(*participant, periods, claim.event_date, settings_);
    refusal = rule_refusal(claim, death ? &*death : nullptr, s, today_date);

    // The band in force on the event date: a raise declared after the accident pays nothing more.
    auto benefit = compute_benefit(claim, s, band_on(*participant, claim.event_date));
    if (!benefit) return fail(benefit.error());
    claim.lines = std::move(benefit->lines);
    claim.total = benefit->total;
    if (c.requested_amount > 0 && c.requested_amount != claim.total)
      return fail(field_error("requested_amount", fmt::format("must equal what the rules give: {} ({})",
                                                              format_rupiah(claim.total), s.name)));
    for (const auto& code : required_documents(claim.type, claim.claimant.relation))
      claim.documents.push_back({code, false, "", ""});

    claim.status = status::kFiled;
    add_history(claim, "filed", "", actor, claim.filed_at, c.note);
    std::vector<Event> events{ClaimFiled{claim}};
    if (!refusal.empty()) {
      claim.status = status::kRejected;
      claim.rejection_reason = refusal;
      add_history(claim, "rejected", status::kFiled, {"rules", "system"}, claim.filed_at, refusal);
      events.push_back(ClaimRejected{claim, "rules"});
    }
    unit.save_claim(claim);
    for (const auto& e : events) unit.publish(e);
    out = std::move(claim);
    return {};
  });
  if (!done) return fail(done.error());
  return out;
}

// ---------------------------------------------------------------- later steps

Result<std::optional<Participant>> Claims::participant_of(const std::string& claim_id, const Actor& actor,
                                                          const auth::Scope& scope,
                                                          std::string_view only_type) {
  const auto claim = store_.claim(claim_id);
  // Not there for the caller, or not a claim that needs it: the step answers for itself.
  if (!claim || !scope.covers(row_of(*claim)) || (!only_type.empty() && claim->type != only_type))
    return std::optional<Participant>();
  auto known = registry_.participant(claim->participant_id, actor.subject);
  if (!known) return fail(known.error());
  // Registration never removes a participant: one it does not know for a stored claim is a fault.
  if (!*known)
    return fail(Error::internal(fmt::format("registration does not know participant {} of claim {}",
                                            claim->participant_id, claim->id)));
  return known;
}

Result<Claim> Claims::step(const std::string& claim_id, const Actor& actor, const auth::Scope& scope,
                           const std::function<Result<void>(Unit&, Claim&, std::vector<Event>&)>& fn) {
  if (auto ok = need_actor(actor); !ok) return fail(ok.error());
  if (claim_id.empty()) return fail(field_error("claim_id", "required"));
  Claim out;
  auto done = store_.transact([&](Unit& unit) -> Result<void> {
    auto claim = unit.claim(claim_id);
    // A claim out of the caller's scope is answered as one that does not exist.
    if (!claim || !scope.covers(row_of(*claim))) return fail(Error::not_found("no claim " + claim_id));
    std::vector<Event> events;
    const auto before = claim->history.size();
    if (auto ok = fn(unit, *claim, events); !ok) return ok;
    if (claim->history.size() != before) {
      unit.save_claim(*claim);
      for (const auto& e : events) unit.publish(e);
    }
    out = std::move(*claim);
    return {};
  });
  if (!done) return fail(done.error());
  return out;
}

Result<Claim> Claims::attach_documents(const std::string& claim_id, const std::vector<std::string>& documents,
                                       const Actor& caller, const auth::Scope& scope) {
  if (auto ok = check_claim_id(claim_id); !ok) return fail(ok.error());
  if (documents.empty()) return fail(field_error("documents", "at least one document code"));
  std::vector<FieldViolation> malformed;
  if (check_count(malformed, "documents", documents.size(), kMaxDocuments)) {
    for (std::size_t i = 0; i < documents.size(); ++i)
      text::check(malformed, fmt::format("documents[{}]", i), documents[i], kCode);
  }
  if (!malformed.empty()) return fail(Error::invalid(std::move(malformed)));
  const auto actor = normalised(caller);
  return step(claim_id, actor, scope, [&](Unit&, Claim& claim, std::vector<Event>&) -> Result<void> {
    if (claim.status != status::kFiled && claim.status != status::kVerified)
      return fail(precondition(
          fmt::format("claim {} is {}: documents are ticked before approval", claim.id, claim.status)));
    std::vector<std::string> checklist;
    checklist.reserve(claim.documents.size());
    for (const auto& d : claim.documents) checklist.push_back(d.code);
    std::vector<FieldViolation> bad;
    for (std::size_t i = 0; i < documents.size(); ++i) {
      if (std::ranges::count(checklist, documents[i]) == 0)
        bad.push_back(
            {fmt::format("documents[{}]", i), fmt::format("\"{}\" is not on the {} checklist: {}",
                                                          documents[i], claim.type, join(checklist))});
    }
    if (!bad.empty()) return fail(Error::invalid(std::move(bad)));
    const auto at = format_utc(clock_.now());
    std::vector<std::string> ticked;
    for (auto& d : claim.documents) {
      if (d.received || std::ranges::count(documents, d.code) == 0) continue;
      d.received = true;
      d.received_by = actor.subject;
      d.received_at = at;
      ticked.push_back(d.code);
    }
    if (!ticked.empty()) add_history(claim, "documents", claim.status, actor, at, join(ticked));
    return {};
  });
}

Result<Claim> Claims::verify(const std::string& claim_id, Rupiah verified_amount, const std::string& note,
                             const Actor& caller, const auth::Scope& scope) {
  if (auto ok = check_claim_id(claim_id); !ok) return fail(ok.error());
  if (std::vector<FieldViolation> bad; !text::check(bad, "note", note, text::kNote))
    return fail(Error::invalid(std::move(bad)));
  const auto actor = normalised(caller);
  // Medical costs are paid by the band in force on the event date.
  auto participant = participant_of(claim_id, actor, scope, type::kJkkMedical);
  if (!participant) return fail(participant.error());
  return step(claim_id, actor, scope, [&](Unit&, Claim& claim, std::vector<Event>&) -> Result<void> {
    if (claim.status != status::kFiled)
      return fail(precondition(
          fmt::format("claim {} is {}: only a filed claim is verified", claim.id, claim.status)));
    if (auth::same_subject(actor.subject, claim.filed_by))
      return fail(maker_checker(actor, "filed", claim, "verify", kThreePeople));
    if (const auto missing = missing_documents(claim); !missing.empty())
      return fail(precondition("documents are missing: " + join(missing),
                               {{"documents", "missing: " + join(missing)}}));
    if (claim.type == type::kJkkMedical) {
      if (verified_amount <= 0)
        return fail(
            field_error("verified_amount", "required for medical costs: the amount the receipts support"));
      if (verified_amount > claim.claimed_amount)
        return fail(field_error("verified_amount", fmt::format("must not exceed the costs claimed ({})",
                                                               format_rupiah(claim.claimed_amount))));
      claim.verified_amount = verified_amount;
      auto schedule = benefits_.on(schedule_date(claim));
      if (!schedule) return fail(schedule.error());
      JARING_ASSERT(participant->has_value(), "the participant of a medical claim is asked before its step");
      auto benefit = compute_benefit(claim, **schedule, band_on(**participant, claim.event_date));
      if (!benefit) return fail(benefit.error());
      claim.lines = std::move(benefit->lines);
      claim.total = benefit->total;
    } else if (verified_amount != 0 && verified_amount != claim.total) {
      return fail(field_error(
          "verified_amount",
          fmt::format("must equal what the rules give ({}) or be left empty", format_rupiah(claim.total))));
    }
    claim.status = status::kVerified;
    claim.verified_by = actor.subject;
    add_history(claim, "verified", status::kFiled, actor, format_utc(clock_.now()), note);
    return {};
  });
}

Result<Claim> Claims::approve(const std::string& claim_id, const std::string& note, const Actor& caller,
                              const auth::Scope& scope) {
  if (auto ok = check_claim_id(claim_id); !ok) return fail(ok.error());
  if (std::vector<FieldViolation> bad; !text::check(bad, "note", note, text::kNote))
    return fail(Error::invalid(std::move(bad)));
  const auto actor = normalised(caller);
  // Judged again on registration's answer now: an exit recorded since filing counts.
  auto participant = participant_of(claim_id, actor, scope);
  if (!participant) return fail(participant.error());
  return step(claim_id, actor, scope, [&](Unit& unit, Claim& claim, std::vector<Event>& out) -> Result<void> {
    if (claim.status != status::kVerified)
      return fail(precondition(
          fmt::format("claim {} is {}: only a verified claim is approved", claim.id, claim.status)));
    if (auth::same_subject(actor.subject, claim.filed_by))
      return fail(maker_checker(actor, "filed", claim, "approve", kThreePeople));
    if (auth::same_subject(actor.subject, claim.verified_by))
      return fail(maker_checker(actor, "verified", claim, "approve", kThreePeople));
    if (const auto missing = missing_documents(claim); !missing.empty())
      return fail(precondition("documents are missing: " + join(missing),
                               {{"documents", "missing: " + join(missing)}}));
    JARING_ASSERT(participant->has_value(), "the participant of a claim is asked before its approval");
    const auto& p = **participant;
    // Judged again: a payment reversed since filing can take the protection away.
    if (claim.type != type::kScholarship) {
      const auto coverage =
          judge_coverage(p, unit.periods(claim.participant_id), claim.event_date, settings_);
      if (!coverage.eligible)
        return fail(precondition("not covered on the event date any more: " + coverage.reason));
      claim.coverage = coverage;
    }
    auto schedule = benefits_.on(schedule_date(claim));
    if (!schedule) return fail(schedule.error());
    auto benefit = compute_benefit(claim, **schedule, band_on(p, claim.event_date));
    if (!benefit) return fail(benefit.error());
    claim.lines = std::move(benefit->lines);
    claim.total = benefit->total;
    claim.status = status::kApproved;
    claim.approved_by = actor.subject;
    add_history(claim, "approved", status::kVerified, actor, format_utc(clock_.now()),
                note.empty() ? "total " + format_rupiah(claim.total) : note);
    out.push_back(ClaimApproved{claim});
    return {};
  });
}

Result<Claim> Claims::pay(const std::string& claim_id, const std::string& idempotency_key,
                          const std::string& reference, const Actor& caller, const auth::Scope& scope) {
  if (auto ok = check_claim_id(claim_id); !ok) return fail(ok.error());
  std::vector<FieldViolation> bad;
  text::check(bad, "idempotency_key", idempotency_key, text::kIdempotencyKey);
  text::check(bad, "reference", reference, text::kReference);
  if (!bad.empty()) return fail(Error::invalid(std::move(bad)));
  const auto actor = normalised(caller);
  return step(claim_id, actor, scope, [&](Unit&, Claim& claim, std::vector<Event>& events) -> Result<void> {
    if (auth::same_subject(actor.subject, claim.approved_by))
      return fail(maker_checker(actor, "approved", claim, "pay", "the payer is not the approver"));
    if (claim.status == status::kPaid) {
      if (!idempotency_key.empty() && idempotency_key == claim.pay_key)
        return {};  // a retry: the same answer
      return fail(precondition(fmt::format("claim {} was paid on {} by {}: a claim is paid once", claim.id,
                                           claim.paid_on, claim.paid_by)));
    }
    if (claim.status != status::kApproved)
      return fail(precondition(
          fmt::format("claim {} is {}: only an approved claim is paid", claim.id, claim.status)));
    claim.status = status::kPaid;
    claim.paid_on = today();
    claim.paid_by = actor.subject;
    claim.pay_key = idempotency_key;
    claim.payment_reference = reference;
    add_history(claim, "paid", status::kApproved, actor, format_utc(clock_.now()),
                format_rupiah(claim.total) + (reference.empty() ? "" : ", reference " + reference));
    events.push_back(ClaimPaid{claim, is_death(claim.type)});
    return {};
  });
}

Result<Claim> Claims::reject(const std::string& claim_id, const std::string& reason, const Actor& caller,
                             const auth::Scope& scope) {
  if (auto ok = check_claim_id(claim_id); !ok) return fail(ok.error());
  if (reason.empty()) return fail(field_error("reason", "required: a rejection says why"));
  if (std::vector<FieldViolation> bad; !text::check(bad, "reason", reason, text::kReason))
    return fail(Error::invalid(std::move(bad)));
  const auto actor = normalised(caller);
  return step(claim_id, actor, scope, [&](Unit&, Claim& claim, std::vector<Event>& events) -> Result<void> {
    if (claim.status == status::kPaid || claim.status == status::kRejected)
      return fail(precondition(fmt::format("claim {} is {} already", claim.id, claim.status)));
    const auto from = claim.status;
    claim.status = status::kRejected;
    claim.rejection_reason = reason;
    add_history(claim, "rejected", from, actor, format_utc(clock_.now()), reason);
    events.push_back(ClaimRejected{claim, actor.subject});
    return {};
  });
}

// ---------------------------------------------------------------- queries

Result<Claim> Claims::get(const std::string& claim_id, const auth::Scope& scope) {
  if (claim_id.empty()) return fail(field_error("claim_id", "required"));
  auto claim = store_.claim(claim_id);
  if (!claim || !scope.covers(row_of(*claim))) return fail(Error::not_found("no claim " + claim_id));
  return std::move(*claim);
}

Result<ClaimPage> Claims::list(const ClaimFilter& filter, const auth::Scope& scope) {
  std::vector<FieldViolation> bad;
  const std::string_view statuses[] = {status::kFiled, status::kVerified, status::kApproved, status::kPaid,
                                       status::kRejected};
  if (!filter.status.empty() && !codes::one_of(filter.status, statuses))
    bad.push_back({"status", "must be filed, verified, approved, paid or rejected"});
  if (!filter.period.empty() && !parse_month(filter.period))
    bad.push_back({"period", "must be a month YYYY-MM"});
  if (filter.page_size < 0 || filter.page_size > 500)
    bad.push_back({"page_size", "must be between 0 and 500"});
  if (!bad.empty()) return fail(Error::invalid(std::move(bad)));
  auto f = filter;
  if (f.page_size == 0) f.page_size = 50;
  return store_.list(f, scope);
}

Result<std::vector<ScholarshipDue>> Claims::scholarships_due(int year, const std::string& branch_code,
                                                             const auth::Scope& scope) {
  if (year == 0) year = std::stoi(today().substr(0, 4));
  if (year < 1900 || year > 9999) return fail(field_error("year", "must be a year (0: this year)"));
  const auto schedule =
      benefits_.on(Date{std::chrono::year(year), std::chrono::January, std::chrono::day(1)});
  if (!schedule) return fail(field_error("year", schedule.error().message));
  const Date january{std::chrono::year(year), std::chrono::January, std::chrono::day(1)};
  std::vector<ScholarshipDue> out;
  for (const auto& r : store_.latest_scholarships(branch_code, scope)) {
    if (r.year >= year) continue;  // claimed already (or a later year)
    const auto birth = parse_date(r.child.birth_date);
    if (!birth) continue;
    const int age = age_on(*birth, january);
    if (age >= (*schedule)->scholarship_max_age || r.child.married || r.child.working) continue;
    out.push_back({r.participant_id, r.death_claim_id, r.branch_code, r.child, r.year, age});
  }
  return out;
}

Result<void> Claims::export_paid(const std::function<bool(const PaidClaimFact&)>& sink) {
  return export_published<PaidClaimFact>(
      [&](const std::string& after, int limit) { return store_.paid_claims_page(after, limit); },
      [](const PaidClaimFact& f) { return f.claim_id; }, [&] { return store_.unpublished(); }, sink);
}

Result<Coverage> Claims::coverage_on(const std::string& participant_id, const std::string& date,
                                     const Actor& actor, const auth::Scope& scope) {
  if (!parse_date(date)) return fail(field_error("date", "must be a date YYYY-MM-DD"));
  if (std::vector<FieldViolation> bad; !text::check(bad, "participant_id", participant_id, text::kId))
    return fail(Error::invalid(std::move(bad)));
  auto known = registry_.participant(participant_id, actor.subject);
  if (!known) return fail(known.error());
  const auto& participant = *known;
  if (!participant || !scope.covers(row_of(*participant))) return fail(unknown_participant(participant_id));
  const auto periods = store_.periods(participant_id);
  return judge_coverage(*participant, periods, date, settings_);
}

}  // namespace jaring::claims

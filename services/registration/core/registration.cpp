#include "registration.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <map>

#include <fmt/format.h>

#include "jaring/common/ids.hpp"
#include "jaring/common/period.hpp"
#include "jaring/common/text.hpp"
#include "nik.hpp"

namespace jaring::registration {
namespace {

using std::chrono::year_month_day;

constexpr int kMaxPageSize = 1000;
constexpr int kExportPage = 5000;

template <std::size_t N>
bool one_of(std::string_view value, const std::string_view (&allowed)[N]) {
  return std::find(std::begin(allowed), std::end(allowed), value) != std::end(allowed);
}

template <std::size_t N>
std::string one_of_rule(const std::string_view (&allowed)[N]) {
  return fmt::format("must be one of {}", fmt::join(allowed, ", "));
}

// Indonesian mobile numbers: 08xxxxxxxx (10-13 digits) or +628xxxxxxxx.
bool valid_phone(std::string_view phone) {
  std::string_view digits = phone;
  if (digits.starts_with("+62")) {
    digits.remove_prefix(3);
    if (!digits.starts_with("8")) return false;
  } else if (!digits.starts_with("08")) {
    return false;
  }
  return digits.size() >= 9 && digits.size() <= 13 &&
         std::all_of(digits.begin(), digits.end(), [](unsigned char c) { return std::isdigit(c); });
}

const char* const kPhoneRule = "must be an Indonesian mobile number: 08... or +628..., 10 to 13 digits";
const char* const kIncomeRule =
    "must be from 1000000 (the lowest band) to 20000000 (the top band), in whole rupiah";

bool valid_income(std::int64_t income) { return income >= kLowestIncomeBand && income <= kTopIncomeBand; }

// The fields every change of a participant carries.
void check_change(std::vector<FieldViolation>& v, const std::string& idempotency_key,
                  const std::string& participant_id) {
  text::check(v, "idempotency_key", idempotency_key, text::kIdempotencyKey);
  text::check(v, "participant_id", participant_id, text::kId);
}
const char* const kKelurahanRule = "must be the code of a known kelurahan, e.g. 31.75.06.1005";

std::string trim(std::string text) {
  text.erase(0, text.find_first_not_of(" \t"));
  text.erase(text.find_last_not_of(" \t") + 1);
  return text;
}

// A date field that must be a real date, not after `latest`, not before `earliest` (if set).
void check_date(std::vector<FieldViolation>& v, const char* field, const std::string& text,
                year_month_day latest, std::optional<year_month_day> earliest = std::nullopt,
                const char* earliest_rule = "") {
  const auto date = parse_date(text);
  if (!date) {
    v.push_back({field, "must be a real date written YYYY-MM-DD"});
  } else if (std::chrono::sys_days{*date} > std::chrono::sys_days{latest}) {
    v.push_back({field, "must not be in the future"});
  } else if (earliest && std::chrono::sys_days{*date} < std::chrono::sys_days{*earliest}) {
    v.push_back({field, earliest_rule});
  }
}

// Adds a change of one field to `added`: `after` from `since` on. The field's first change also
// adds `before` from the registration day (`start`). A day before the field's last entry (a
// backdated move) counts from that entry's day, so that the last entry stays the current value.
template <typename Entry, typename Value>
void add_change(const std::vector<Entry>& known, const std::string& start, const Value& before,
                std::string since, const Value& after, std::vector<Entry>& added) {
  if (known.empty()) added.push_back(Entry{start, before});
  const auto& floor = known.empty() ? start : known.back().since;
  if (since < floor) since = floor;
  added.push_back(Entry{std::move(since), after});
}

// INVALID_ARGUMENT when `id` is no participant id: checked before it is looked up, and so before a
// NOT_FOUND could echo it.
std::optional<Error> bad_participant_id(const std::string& id) {
  if (std::vector<FieldViolation> v; !text::check(v, "participant_id", id, text::kId))
    return Error::invalid(std::move(v));
  return std::nullopt;
}

}  // namespace

std::string registered_on(const Participant& participant) {
  const auto at = parse_utc(participant.registered_at);
  return at ? jakarta_date(*at) : participant.registered_at.substr(0, 10);
}

year_month_day Registration::today() const { return jakarta_today(clock_); }

Result<Rw> Registration::create_rw(const std::string& kelurahan_code, int number, int target) {
  std::vector<FieldViolation> violations;
  const auto* kelurahan = areas_.find(kelurahan_code);
  if (kelurahan == nullptr || kelurahan->level != areas::Level::kKelurahan) {
    violations.push_back({"kelurahan_code", kKelurahanRule});
  }
  if (number < 1 || number > 999) violations.push_back({"number", "must be from 1 to 999"});
  if (target < 0 || target > 100000)
    violations.push_back({"target", "must be from 1 to 100000 (0 for the default 100)"});
  if (!violations.empty()) return fail(Error::invalid(std::move(violations)));

  Rw rw;
  rw.code = areas::RwCode{kelurahan_code, number}.str();
  rw.kelurahan_code = kelurahan_code;
  rw.kelurahan_name = kelurahan->name;
  rw.target = target == 0 ? kDefaultRwTarget : target;
  return store_.create_rw(rw, RwCreatedEvent{rw});
}

Result<std::vector<Rw>> Registration::list_rws(const std::string& kelurahan_code) {
  const auto* kelurahan = areas_.find(kelurahan_code);
  if (kelurahan == nullptr || kelurahan->level != areas::Level::kKelurahan) {
    return fail(Error::invalid({{"kelurahan_code", kKelurahanRule}}));
  }
  return store_.list_rws(kelurahan_code);
}

Result<Rw> Registration::update_rw(const RwChange& change) {
  std::vector<FieldViolation> v;
  if (!areas::RwCode::parse(change.code))
    v.push_back({"rw_code", "must be an RW code like 31.75.06.1005.002"});
  if (change.target && (*change.target < 1 || *change.target > 100000)) {
    v.push_back({"target", "must be from 1 to 100000"});
  }
  if (!change.target && !change.active)
    v.push_back({"target", "give a target or active (nothing to change)"});
  if (!v.empty()) return fail(Error::invalid(std::move(v)));
  return store_.update_rw(change.code, [&change](Rw& rw) {
    if (change.target) rw.target = *change.target;
    if (change.active) rw.active = *change.active;
  });
}

std::vector<FieldViolation> Registration::validate(
    const RegisterCommand& c, Participant& p,
    const std::function<std::optional<Rw>(const std::string&)>& rw_of) {
  std::vector<FieldViolation> v;
  const auto nik = parse_nik(c.nik, today());
  if (const auto* rejection = std::get_if<NikRejection>(&nik)) v.push_back({"nik", rejection->rule});

  const auto name = trim(c.name);
  text::check(v, "name", name, text::kName);

  const auto birth = parse_date(c.birth_date);
  if (!birth) {
    v.push_back({"birth_date", "must be a real date written YYYY-MM-DD"});
  } else if (const auto* info = std::get_if<NikInfo>(&nik); info && info->birth_date != *birth) {
    v.push_back({"birth_date",
                 fmt::format("must match the birth date in the NIK ({})", date_text(info->birth_date))});
  }

  if (c.sex != "M" && c.sex != "F") {
    v.push_back({"sex", "must be M or F"});
  } else if (const auto* info = std::get_if<NikInfo>(&nik); info && info->sex != c.sex[0]) {
    v.push_back({"sex", fmt::format("must match the NIK, which says {} (day of birth {} 40)", info->sex,
                                    info->sex == 'F' ? "plus" : "without")});
  }

  if (!c.phone.empty() && !valid_phone(c.phone)) v.push_back({"phone", kPhoneRule});

  if (!areas::RwCode::parse(c.rw_code)) {
    v.push_back({"rw_code", "must be an RW code like 31.75.06.1005.002"});
  } else if (const auto rw = rw_of(c.rw_code); !rw || !rw->active) {
    v.push_back({"rw_code", "must be an active RW in the registry (create the RW first)"});
  }
  if (c.rt < 1 || c.rt > 999) v.push_back({"rt", "must be from 1 to 999"});
  if (!one_of(c.category, kCategories)) v.push_back({"category", one_of_rule(kCategories)});
  if (!valid_income(c.income_band)) v.push_back({"income_band", kIncomeRule});
  if (!one_of(c.programs, kPrograms)) v.push_back({"programs", one_of_rule(kPrograms)});
  if (!one_of(c.payer, kPayers)) v.push_back({"payer", one_of_rule(kPayers)});
  if (!c.project_end_date.empty()) {
    const auto end = parse_date(c.project_end_date);
    if (c.category != kConstructionWorker) {
      v.push_back(
          {"project_end_date", "is only for construction_worker (coverage for a project's duration)"});
    } else if (!end || std::chrono::sys_days{*end} < std::chrono::sys_days{today()}) {
      v.push_back({"project_end_date", "must be a real date YYYY-MM-DD, today or later"});
    }
  }
  if (!c.agent_id.empty() && text::check(v, "agent_id", c.agent_id, text::kReference) &&
      !store_.find_agent(c.agent_id)) {
    v.push_back({"agent_id", "must be a registered agent (or empty when branch staff register directly)"});
  }
  text::check(v, "idempotency_key", c.idempotency_key, text::kIdempotencyKey);
  if (!v.empty()) return v;

  p.nik = c.nik;
  p.name = name;
  p.birth_date = c.birth_date;
  p.sex = c.sex[0];
  p.phone = c.phone;
  p.rw_code = c.rw_code;
  p.rt = c.rt;
  p.category = c.category;
  p.income_band = c.income_band;
  p.programs = c.programs;
  p.payer = c.payer;
  p.agent_id = c.agent_id;
  p.project_end_date = c.project_end_date;
  if (const auto* branch = branches_.branch_of(c.rw_code)) p.branch_code = branch->code;
  return v;
}

std::optional<Participant> Registration::replay(const std::string& idempotency_key) {
  if (idempotency_key.empty()) return std::nullopt;
  const auto id = store_.find_idempotency_key(idempotency_key);
  return id ? store_.find_participant(*id) : std::nullopt;
}

namespace {

// PERMISSION_DENIED naming the field, when `admit` refuses `p`.
std::optional<Error> refusal(const Admission& admit, const Participant& p) {
  if (!admit) return std::nullopt;
  auto violation = admit(p);
  if (!violation) return std::nullopt;
  return Error::denied({std::move(*violation)});
}

}  // namespace

Result<Participant> Registration::register_participant(const RegisterCommand& command,
                                                       const Admission& admit) {
  // A key used before answers with what it registered, whatever this command says. The write
  // finds such a key itself (it claims the key first), so the key is looked up beforehand only
  // for a command that would be refused: a read transaction less per registration.
  const auto answer_earlier = [&](const Participant& earlier) -> Result<Participant> {
    // A key replayed by someone who may not see what it registered tells them nothing.
    if (auto refused = refusal(admit, earlier)) return fail(std::move(*refused));
    return earlier;
  };
  Participant participant;
  const auto rw_of = [this](const std::string& code) { return store_.find_rw(code); };
  auto violations = validate(command, participant, rw_of);
  auto refused = violations.empty() ? refusal(admit, participant) : Error::invalid(std::move(violations));
  if (refused) {
    if (auto earlier = replay(command.idempotency_key)) return answer_earlier(*earlier);
    return fail(std::move(*refused));
  }
  participant.id = new_id("p_");
  participant.registered_at = format_utc(clock_.now());
  const auto id = participant.id;
  auto written = store_.insert_participant(std::move(participant), command.idempotency_key);
  // Another id: the key had registered that participant before.
  if (written && written->id != id) return answer_earlier(*written);
  return written;
}

std::vector<BulkOutcome> Registration::register_bulk(const std::vector<RegisterCommand>& commands) {
  std::vector<PreparedBulk> batches;
  batches.push_back(prepare_bulk(commands));
  return std::move(store_bulk(std::move(batches)).front());
}

PreparedBulk Registration::prepare_bulk(const std::vector<RegisterCommand>& commands,
                                        const Admission& admit) {
  PreparedBulk out;
  out.outcomes.assign(commands.size(), BulkOutcome{fail(Error::internal("not processed")), false});
  std::map<std::string, std::optional<Rw>> rws;  // one look-up per RW per batch
  const auto rw_of = [&](const std::string& code) {
    auto it = rws.find(code);
    if (it == rws.end()) it = rws.emplace(code, store_.find_rw(code)).first;
    return it->second;
  };
  std::vector<std::string> keys;
  for (const auto& c : commands) {
    if (!c.idempotency_key.empty()) keys.push_back(c.idempotency_key);
  }
  const auto earlier = store_.find_by_idempotency_keys(keys);
  const auto now = format_utc(clock_.now());
  out.rows.reserve(commands.size());
  out.row_index.reserve(commands.size());
  for (std::size_t i = 0; i < commands.size(); ++i) {
    if (const auto it = earlier.find(commands[i].idempotency_key); it != earlier.end()) {
      if (auto refused = refusal(admit, it->second)) {
        out.outcomes[i].result = fail(std::move(*refused));
      } else {
        out.outcomes[i] = {it->second, true};
      }
      continue;
    }
    Participant p;
    if (auto violations = validate(commands[i], p, rw_of); !violations.empty()) {
      out.outcomes[i].result = fail(Error::invalid(std::move(violations)));
      continue;
    }
    if (auto refused = refusal(admit, p)) {
      out.outcomes[i].result = fail(std::move(*refused));
      continue;
    }
    p.id = new_id("p_");
    p.registered_at = now;
    out.rows.push_back({std::move(p), commands[i].idempotency_key, {}});
    out.row_index.push_back(i);
  }
  store_.prepare(out.rows);
  return out;
}

std::vector<std::vector<BulkOutcome>> Registration::store_bulk(std::vector<PreparedBulk> batches) {
  std::vector<std::span<NewParticipant>> groups;
  groups.reserve(batches.size());
  for (auto& batch : batches) groups.emplace_back(batch.rows);
  auto written = store_.insert_participants(groups);
  std::vector<std::vector<BulkOutcome>> out;
  std::size_t next = 0;
  for (auto& batch : batches) {
    for (const auto index : batch.row_index) batch.outcomes[index] = std::move(written[next++]);
    out.push_back(std::move(batch.outcomes));
  }
  return out;
}

Result<Participant> Registration::get_participant(const std::string& id) {
  if (auto bad = bad_participant_id(id)) return fail(std::move(*bad));
  auto participant = store_.find_participant(id);
  if (!participant) return fail(Error::not_found(fmt::format("participant {} not found", id)));
  return *participant;
}

Result<ParticipantFacts> Registration::participant_facts(const std::string& id) {
  if (auto bad = bad_participant_id(id)) return fail(std::move(*bad));
  auto facts = store_.find_facts(id);
  if (!facts) return fail(Error::not_found(fmt::format("participant {} not found", id)));
  return std::move(*facts);
}

Result<Participant> Registration::find_by_nik(const std::string& nik) {
  if (const auto parsed = parse_nik(nik, today());
      const auto* rejection = std::get_if<NikRejection>(&parsed)) {
    return fail(Error::invalid({{"nik", rejection->rule}}));
  }
  auto participant = store_.find_by_nik(nik);
  if (!participant) return fail(Error::not_found("no participation for this NIK"));
  return *participant;
}

Result<ParticipantPage> Registration::list_by_rw(const std::string& rw_code, int page_size,
                                                 const std::string& page_token, const auth::Scope& scope) {
  std::vector<FieldViolation> v;
  if (!areas::RwCode::parse(rw_code)) v.push_back({"rw_code", "must be an RW code like 31.75.06.1005.002"});
  if (page_size < 0 || page_size > kMaxPageSize)
    v.push_back({"page_size", "must be from 1 to 1000 (0 for 100)"});
  if (!page_token.empty() && !page_token.starts_with("p_"))
    v.push_back({"page_token", "must come from a previous page"});
  if (!v.empty()) return fail(Error::invalid(std::move(v)));
  const int limit = page_size == 0 ? 100 : page_size;
  ParticipantPage page;
  page.participants = store_.list_by_rw(rw_code, page_token, limit + 1, scope);
  if (static_cast<int>(page.participants.size()) > limit) {
    page.participants.resize(static_cast<std::size_t>(limit));
    page.next_page_token = page.participants.back().id;
  }
  return page;
}

Result<void> Registration::export_all(bool include_exited,
                                      const std::function<bool(const Participant&)>& sink) {
  std::string after;
  for (;;) {
    const auto page = store_.list_all(after, kExportPage);
    for (const auto& p : page) {
      if ((include_exited || p.status == "active") && !sink(p)) return {};
    }
    if (static_cast<int>(page.size()) < kExportPage) return {};
    after = page.back().id;
  }
}

Result<Participant> Registration::active_participant(const std::string& id) {
  auto participant = get_participant(id);
  if (!participant) return participant;
  if (participant->status != "active") {
    return fail({ErrorCode::kFailedPrecondition,
                 fmt::format("participant {} has exited ({} on {})", id, participant->exit_reason,
                             participant->exit_date),
                 {}});
  }
  return participant;
}

Result<Participant> Registration::update_participant(const UpdateCommand& c) {
  std::vector<FieldViolation> v;
  check_change(v, c.idempotency_key, c.participant_id);
  if (c.phone && !c.phone->empty() && !valid_phone(*c.phone)) v.push_back({"phone", kPhoneRule});
  if (c.category && !one_of(*c.category, kCategories)) v.push_back({"category", one_of_rule(kCategories)});
  if (c.income_band && !valid_income(*c.income_band)) v.push_back({"income_band", kIncomeRule});
  if (c.payer && !one_of(*c.payer, kPayers)) v.push_back({"payer", one_of_rule(kPayers)});
  if (c.programs && !one_of(*c.programs, kPrograms)) v.push_back({"programs", one_of_rule(kPrograms)});
  if (!c.phone && !c.category && !c.income_band && !c.payer && !c.programs) {
    v.push_back({"phone", "give at least one of phone, category, income_band, payer, programs"});
  }
  if (!v.empty()) return fail(Error::invalid(std::move(v)));
  if (auto earlier = replay(c.idempotency_key)) return *earlier;
  auto p = active_participant(c.participant_id);
  if (!p) return p;
  const auto previous_payer = p->payer;
  History added;
  // A new band counts from the day it is declared: a claim for an earlier day keeps the old one.
  if (c.income_band && *c.income_band != p->income_band) {
    add_change(store_.history(p->id).bands, registered_on(*p), p->income_band, date_text(today()),
               *c.income_band, added.bands);
  }
  if (c.phone) p->phone = *c.phone;
  if (c.category) p->category = *c.category;
  if (c.income_band) p->income_band = *c.income_band;
  if (c.payer) p->payer = *c.payer;
  if (c.programs) p->programs = *c.programs;
  if (p->category != kConstructionWorker) p->project_end_date.clear();
  return store_.save_participant(*p, ParticipantUpdatedEvent{*p, previous_payer}, c.idempotency_key, added);
}

Result<Participant> Registration::move_participant(const MoveCommand& c) {
  std::vector<FieldViolation> v;
  check_change(v, c.idempotency_key, c.participant_id);
  if (!v.empty()) return fail(Error::invalid(std::move(v)));
  if (auto earlier = replay(c.idempotency_key)) return *earlier;
  auto p = active_participant(c.participant_id);
  if (!p) return p;
  if (!areas::RwCode::parse(c.to_rw_code)) {
    v.push_back({"to_rw_code", "must be an RW code like 31.75.06.1005.002"});
  } else if (const auto rw = store_.find_rw(c.to_rw_code); !rw || !rw->active) {
    v.push_back({"to_rw_code", "must be an active RW in the registry"});
  } else if (c.to_rw_code == p->rw_code) {
    v.push_back({"to_rw_code", "must differ from the participant's RW"});
  }
  if (c.rt < 1 || c.rt > 999) v.push_back({"rt", "must be from 1 to 999"});
  check_date(v, "moved_on", c.moved_on, today());
  if (!v.empty()) return fail(Error::invalid(std::move(v)));
  const auto from = p->rw_code;
  const auto from_branch = p->branch_code;
  p->rw_code = c.to_rw_code;
  p->rt = c.rt;
  if (const auto* branch = branches_.branch_of(c.to_rw_code)) p->branch_code = branch->code;
  History added;
  // The new branch serves the participant from the day of the move.
  if (p->branch_code != from_branch) {
    add_change(store_.history(p->id).branches, registered_on(*p), from_branch, c.moved_on, p->branch_code,
               added.branches);
  }
  return store_.save_participant(*p, ParticipantMovedEvent{*p, from, c.moved_on}, c.idempotency_key, added);
}

Result<Participant> Registration::exit_participant(const ExitCommand& c) {
  std::vector<FieldViolation> v;
  check_change(v, c.idempotency_key, c.participant_id);
  if (!v.empty()) return fail(Error::invalid(std::move(v)));
  if (auto earlier = replay(c.idempotency_key)) return *earlier;
  auto p = active_participant(c.participant_id);
  if (!p) return p;
  if (!one_of(c.reason, kExitReasons)) v.push_back({"reason", one_of_rule(kExitReasons)});
  check_date(v, "exit_date", c.exit_date, today(), parse_date(p->registered_at.substr(0, 10)),
             "must not be before the registration");
  if (!v.empty()) return fail(Error::invalid(std::move(v)));
  p->status = "exited";
  p->exit_reason = c.reason;
  p->exit_date = c.exit_date;
  return store_.save_participant(*p, ParticipantExitedEvent{*p}, c.idempotency_key, {});
}

Result<std::optional<Participant>> Registration::end_by_paid_claim(const std::string& event_id,
                                                                   const std::string& participant_id,
                                                                   const std::string& death_date) {
  const auto key = "event:" + event_id;
  if (replay(key)) return std::optional<Participant>();
  auto p = get_participant(participant_id);
  if (!p) return fail(p.error());
  // Staff may have recorded the death already: the participation has ended either way.
  if (p->status != "active") return std::optional<Participant>();
  auto exited = exit_participant({key, participant_id, "death", death_date});
  if (!exited) return fail(exited.error());
  return std::optional<Participant>(std::move(*exited));
}

Result<std::optional<Participant>> Registration::follow_sponsorship(const std::string& event_id,
                                                                    const std::string& participant_id,
                                                                    bool sponsored,
                                                                    const std::string& sponsor_kind) {
  const auto key = "event:" + event_id;
  if (replay(key)) return std::optional<Participant>();
  auto p = get_participant(participant_id);
  if (!p) return fail(p.error());
  const std::string payer = !sponsored ? "self" : sponsor_kind == "city_budget" ? "city_budget" : "sponsor";
  if (p->status != "active" || p->payer == payer) return std::optional<Participant>();
  UpdateCommand update;
  update.idempotency_key = key;
  update.participant_id = participant_id;
  update.payer = payer;
  auto updated = update_participant(update);
  if (!updated) return fail(updated.error());
  return std::optional<Participant>(std::move(*updated));
}

Result<Agent> Registration::register_agent(const AgentCommand& c) {
  std::vector<FieldViolation> v;
  const auto name = trim(c.name);
  const auto organisation = trim(c.organisation);
  text::check(v, "name", name, text::kName);
  if (!c.phone.empty() && !valid_phone(c.phone)) v.push_back({"phone", kPhoneRule});
  if (branches_.find(c.branch_code) == nullptr) {
    v.push_back(
        {"branch_code", "must be a known branch office code (ListAreas shows them), e.g. pulogebang"});
  }
  text::check(v, "organisation", organisation, text::kOrganisation);
  text::check(v, "idempotency_key", c.idempotency_key, text::kIdempotencyKey);
  if (!v.empty()) return fail(Error::invalid(std::move(v)));
  if (!c.idempotency_key.empty()) {
    if (const auto id = store_.find_idempotency_key(c.idempotency_key)) {
      if (auto agent = store_.find_agent(*id)) return *agent;
    }
  }
  Agent agent{new_id("a_"), name, c.phone, c.branch_code, organisation, format_utc(clock_.now())};
  return store_.insert_agent(agent, AgentRegisteredEvent{agent}, c.idempotency_key);
}

Result<std::vector<Participant>> Registration::agent_registrations(const std::string& agent_id,
                                                                   const std::string& month) {
  std::vector<FieldViolation> v;
  if (!store_.find_agent(agent_id)) v.push_back({"agent_id", "must be a registered agent"});
  auto first = month.size() == 7 ? parse_date(month + "-01") : std::nullopt;
  // The bounds below become instants in nanoseconds (years 1678 to 2262 only): a year far out
  // would overflow them.
  if (first && (first->year() < std::chrono::year{2000} || first->year() > std::chrono::year{2100}))
    first.reset();
  if (!first) v.push_back({"month", "must be a month written YYYY-MM, from 2000-01 to 2100-12"});
  if (!v.empty()) return fail(Error::invalid(std::move(v)));
  // The month's bounds in Asia/Jakarta, as UTC instants.
  const auto start = jakarta_midnight(*first);
  const auto end = jakarta_midnight(first->year() / first->month() / 1 + std::chrono::months{1});
  return store_.registered_by_agent(agent_id, format_utc(start), format_utc(end));
}

}  // namespace jaring::registration

#include "registration.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>

#include <fmt/format.h>

#include "jaring/common/ids.hpp"
#include "nik.hpp"

namespace jaring::registration {
namespace {

template <std::size_t N>
bool one_of(std::string_view value, const std::string_view (&allowed)[N]) {
  return std::find(std::begin(allowed), std::end(allowed), value) != std::end(allowed);
}

template <std::size_t N>
std::string list(const std::string_view (&allowed)[N]) {
  return fmt::format("{}", fmt::join(allowed, ", "));
}

std::optional<std::chrono::year_month_day> parse_date(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  for (std::size_t i : {0u, 1u, 2u, 3u, 5u, 6u, 8u, 9u}) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return std::nullopt;
  }
  const std::chrono::year_month_day ymd{
      std::chrono::year{std::stoi(std::string(text.substr(0, 4)))},
      std::chrono::month{static_cast<unsigned>(std::stoi(std::string(text.substr(5, 2))))},
      std::chrono::day{static_cast<unsigned>(std::stoi(std::string(text.substr(8, 2))))}};
  if (!ymd.ok()) return std::nullopt;
  return ymd;
}

std::string format_date(std::chrono::year_month_day ymd) {
  return fmt::format("{:04d}-{:02d}-{:02d}", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                     static_cast<unsigned>(ymd.day()));
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

}  // namespace

Result<Rw> Registration::create_rw(const std::string& kelurahan_code, int number, int target) {
  std::vector<FieldViolation> violations;
  const auto* kelurahan = areas_.find(kelurahan_code);
  if (kelurahan == nullptr || kelurahan->level != areas::Level::kKelurahan) {
    violations.push_back({"kelurahan_code", "must be the code of a known kelurahan, e.g. 31.75.06.1005"});
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
    return fail(
        Error::invalid({{"kelurahan_code", "must be the code of a known kelurahan, e.g. 31.75.06.1005"}}));
  }
  return store_.list_rws(kelurahan_code);
}

std::vector<FieldViolation> Registration::validate(const RegisterCommand& c, Participant& p) {
  std::vector<FieldViolation> v;
  const auto today = std::chrono::year_month_day{std::chrono::floor<std::chrono::days>(clock_.now())};

  const auto nik = parse_nik(c.nik, today);
  if (const auto* rejection = std::get_if<NikRejection>(&nik)) v.push_back({"nik", rejection->rule});

  std::string name = c.name;
  name.erase(0, name.find_first_not_of(" \t"));
  name.erase(name.find_last_not_of(" \t") + 1);
  if (name.empty()) {
    v.push_back({"name", "is required"});
  } else if (name.size() > 100) {
    v.push_back({"name", "must be at most 100 characters"});
  }

  const auto birth = parse_date(c.birth_date);
  if (!birth) {
    v.push_back({"birth_date", "must be a real date written YYYY-MM-DD"});
  } else if (const auto* info = std::get_if<NikInfo>(&nik); info && info->birth_date != *birth) {
    v.push_back({"birth_date",
                 fmt::format("must match the birth date in the NIK ({})", format_date(info->birth_date))});
  }

  if (c.sex != "M" && c.sex != "F") {
    v.push_back({"sex", "must be M or F"});
  } else if (const auto* info = std::get_if<NikInfo>(&nik); info && info->sex != c.sex[0]) {
    v.push_back({"sex", fmt::format("must match the NIK, which says {} (day of birth {} 40)", info->sex,
                                    info->sex == 'F' ? "plus" : "without")});
  }

  if (!c.phone.empty() && !valid_phone(c.phone)) {
    v.push_back({"phone", "must be an Indonesian mobile number: 08... or +628..., 10 to 13 digits"});
  }

  std::optional<Rw> rw;
  if (!areas::RwCode::parse(c.rw_code)) {
    v.push_back({"rw_code", "must be an RW code like 31.75.06.1005.002"});
  } else {
    rw = store_.find_rw(c.rw_code);
    if (!rw || !rw->active) v.push_back({"rw_code", "must be an RW in the registry (create the RW first)"});
  }
  if (c.rt < 1 || c.rt > 999) v.push_back({"rt", "must be from 1 to 999"});
  if (!one_of(c.category, kCategories)) v.push_back({"category", "must be one of " + list(kCategories)});
  if (c.income_band < kLowestIncomeBand) {
    v.push_back({"income_band",
                 fmt::format("must be at least {} (the lowest band), in whole rupiah", kLowestIncomeBand)});
  }
  if (!one_of(c.programs, kPrograms)) v.push_back({"programs", "must be one of " + list(kPrograms)});
  if (!one_of(c.payer, kPayers)) v.push_back({"payer", "must be one of " + list(kPayers)});
  if (c.idempotency_key.size() > 128) v.push_back({"idempotency_key", "must be at most 128 characters"});
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
  return v;
}

Result<Participant> Registration::register_participant(const RegisterCommand& command) {
  if (!command.idempotency_key.empty()) {
    if (auto earlier = store_.find_by_idempotency_key(command.idempotency_key)) return *earlier;
  }
  Participant participant;
  if (auto violations = validate(command, participant); !violations.empty()) {
    return fail(Error::invalid(std::move(violations)));
  }
  participant.id = new_id("p_");
  participant.registered_at = format_utc(clock_.now());
  return store_.insert_participant(participant, ParticipantRegisteredEvent{participant},
                                   command.idempotency_key);
}

Result<Participant> Registration::get_participant(const std::string& id) {
  if (id.empty()) return fail(Error::invalid({{"participant_id", "is required"}}));
  auto participant = store_.find_participant(id);
  if (!participant) return fail(Error::not_found(fmt::format("participant {} not found", id)));
  return *participant;
}

}  // namespace jaring::registration

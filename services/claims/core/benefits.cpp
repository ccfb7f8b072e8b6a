#include "benefits.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <limits>
#include <ranges>

#include <fmt/format.h>

namespace jaring::claims {
namespace {

// Collects problems while reading YAML so that one start names every bad entry.
struct YamlReader {
  std::vector<std::string>& problems;
  std::string where;

  std::int64_t number(const YAML::Node& node, const std::string& path) {
    YAML::Node n = YAML::Clone(node);
    std::string raw;
    try {
      for (const auto& part : path | std::views::split('.')) n = n[std::string(part.begin(), part.end())];
      if (!n || !n.IsScalar()) {
        problems.push_back(fmt::format("{}: {} is missing", where, path));
        return 0;
      }
      raw = n.as<std::string>();
      std::size_t used = 0;
      const auto value = std::stoll(raw, &used);
      if (used == raw.size()) return value;
    } catch (const std::exception&) {
    }
    problems.push_back(fmt::format("{}: {} must be a whole number, not \"{}\"", where, path, raw));
    return 0;
  }
};

// The largest total a claim reaches under a schedule (medical costs aside: they are what was
// claimed, bounded by max_benefit at filing), or std::nullopt when a figure does not fit.
std::optional<Rupiah> largest_benefit(const BenefitSchedule& s) {
  auto unbounded = s;
  unbounded.max_benefit = std::numeric_limits<Rupiah>::max();
  Rupiah largest = 0;
  for (const char* type : {type::kJkmDeath, type::kJkkDeath, type::kJkkIncapacity, type::kJkkTotalDisability,
                           type::kJkkPartialDisability}) {
    Claim c;
    c.type = type;
    c.incapacity_months = type == type::kJkkIncapacity ? s.incapacity_max_months : 0;
    if (type == type::kJkkPartialDisability)
      for (const auto& b : s.body_parts) c.body_parts.push_back(b.part);
    const auto benefit = compute_benefit(c, unbounded, s.max_declared_income);
    if (!benefit) return std::nullopt;
    largest = std::max(largest, benefit->total);
  }
  // Scholarships: max_children children at the dearest level.
  const auto dearest = std::ranges::max(s.levels, {}, &ScholarshipLevel::amount);
  const auto scholarships = checked_mul(dearest.amount, s.scholarship_max_children);
  if (!scholarships) return std::nullopt;
  return std::max(largest, *scholarships);
}

void validate(const std::vector<BenefitSchedule>& schedules, std::vector<std::string>& problems) {
  if (schedules.empty()) problems.push_back("schedules: at least one schedule is needed");
  for (std::size_t i = 0; i < schedules.size(); ++i) {
    const auto& s = schedules[i];
    const auto where = fmt::format("schedules[{}] ({})", i, s.name);
    if (i > 0 && !(schedules[i - 1].effective_from < s.effective_from))
      problems.push_back(fmt::format("{}: effective_from must be later than the entry before", where));
    const auto positive = [&](std::int64_t v, const char* what) {
      if (v <= 0) problems.push_back(fmt::format("{}: {} must be positive", where, what));
    };
    positive(s.jkm_lump_sum, "jkm.lump_sum");
    positive(s.jkm_periodic, "jkm.periodic");
    positive(s.jkm_funeral, "jkm.funeral");
    positive(s.jkk_death_income_multiple, "jkk_death.income_multiple");
    positive(s.jkk_death_funeral, "jkk_death.funeral");
    positive(s.jkk_death_periodic, "jkk_death.periodic");
    positive(s.incapacity_full_months, "temporary_incapacity.full_months");
    positive(s.incapacity_max_months, "temporary_incapacity.max_months");
    positive(s.jkk_claim_limit_years, "jkk_claim_limit_years");
    positive(s.scholarship_max_children, "scholarship.max_children");
    positive(s.scholarship_max_age, "scholarship.max_age");
    positive(s.scholarship_min_contribution_months, "scholarship.min_contribution_months");
    if (s.incapacity_full_rate_bp < 1 || s.incapacity_full_rate_bp > 10000 ||
        s.incapacity_reduced_rate_bp < 0 || s.incapacity_reduced_rate_bp > 10000)
      problems.push_back(fmt::format("{}: temporary_incapacity rates must be between 0 and 10000", where));
    if (s.levels.empty()) problems.push_back(fmt::format("{}: scholarship.levels must not be empty", where));
    for (const auto& l : s.levels) {
      if (l.level.empty() || l.amount <= 0 || l.max_years <= 0)
        problems.push_back(fmt::format("{}: scholarship level \"{}\" needs a positive amount and max_years",
                                       where, l.level));
      if (std::ranges::count(s.levels, l.level, &ScholarshipLevel::level) > 1)
        problems.push_back(fmt::format("{}: scholarship level \"{}\" is listed twice", where, l.level));
    }
    if (!s.body_parts.empty() || s.disability_total_income_multiple != 0) {
      positive(s.disability_total_income_multiple, "jkk_disability.total_income_multiple");
      positive(s.disability_partial_income_multiple, "jkk_disability.partial_income_multiple");
      if (s.disability_partial_max_bp < 1 || s.disability_partial_max_bp > 10000)
        problems.push_back(fmt::format("{}: jkk_disability.partial_max_bp must be from 1 to 10000", where));
      if (s.body_parts.empty())
        problems.push_back(fmt::format("{}: jkk_disability.body_parts must not be empty", where));
    }
    for (const auto& b : s.body_parts) {
      if (b.part.empty() || b.rate_bp < 1 || b.rate_bp > 10000)
        problems.push_back(
            fmt::format("{}: body part \"{}\" needs a name and a rate_bp from 1 to 10000", where, b.part));
      if (std::ranges::count(s.body_parts, b.part, &BodyPart::part) > 1)
        problems.push_back(fmt::format("{}: body part \"{}\" is listed twice", where, b.part));
    }
    positive(s.max_declared_income, "max_declared_income");
    positive(s.max_benefit, "max_benefit");
    // max_benefit must cover every figure the rules compute at the top band, so that a claim
    // within the rules is never refused for its size.
    if (s.max_benefit > 0 && s.max_declared_income > 0 && !s.levels.empty()) {
      const auto largest = largest_benefit(s);
      if (!largest) {
        problems.push_back(fmt::format("{}: the figures at max_declared_income do not fit in rupiah", where));
      } else if (*largest > s.max_benefit) {
        problems.push_back(
            fmt::format("{}: max_benefit {} is below the {} these rules compute at the top band", where,
                        s.max_benefit, *largest));
      }
    }
  }
}

std::string join(const std::vector<std::string>& problems) {
  std::string out;
  for (const auto& p : problems) out += (out.empty() ? "" : "; ") + p;
  return out;
}

}  // namespace

const BodyPart* BenefitSchedule::body_part(const std::string& part) const {
  const auto it = std::ranges::find(body_parts, part, &BodyPart::part);
  return it == body_parts.end() ? nullptr : &*it;
}

const ScholarshipLevel* BenefitSchedule::level(const std::string& code) const {
  const auto it = std::ranges::find(levels, code, &ScholarshipLevel::level);
  return it == levels.end() ? nullptr : &*it;
}

std::optional<Rupiah> apply_rate(Rupiah amount, std::int64_t basis_points) {
  const auto scaled = checked_mul(amount, basis_points);
  if (!scaled) return std::nullopt;
  const auto rounded = checked_add(*scaled, 5000);
  if (!rounded) return std::nullopt;
  return *rounded / 10000;
}

Result<BenefitTable> BenefitTable::make(std::vector<BenefitSchedule> schedules, const std::string& source) {
  std::vector<std::string> problems;
  validate(schedules, problems);
  if (!problems.empty()) return fail(Error::invalid({{source, join(problems)}}));
  BenefitTable table;
  table.schedules_ = std::move(schedules);
  return table;
}

Result<BenefitTable> BenefitTable::parse(const std::string& yaml, const std::string& source) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml);
  } catch (const YAML::Exception& e) {
    return fail(Error::invalid({{source, fmt::format("not valid YAML: {}", e.what())}}));
  }
  std::vector<std::string> problems;
  std::vector<BenefitSchedule> schedules;
  try {
    const auto list = root["schedules"];
    for (std::size_t i = 0; list && i < list.size(); ++i) {
      const auto node = list[i];
      YamlReader r{problems, fmt::format("schedules[{}]", i)};
      BenefitSchedule s;
      s.name = node["name"] ? node["name"].as<std::string>() : "";
      const auto from = node["effective_from"] ? node["effective_from"].as<std::string>() : "";
      if (auto date = parse_date(from)) {
        s.effective_from = *date;
      } else {
        problems.push_back(fmt::format("{}: effective_from must be YYYY-MM-DD, not \"{}\"", r.where, from));
      }
      s.max_declared_income = r.number(node, "max_declared_income");
      s.max_benefit = r.number(node, "max_benefit");
      s.jkm_lump_sum = r.number(node, "jkm.lump_sum");
      s.jkm_periodic = r.number(node, "jkm.periodic");
      s.jkm_funeral = r.number(node, "jkm.funeral");
      s.jkk_death_income_multiple = static_cast<int>(r.number(node, "jkk_death.income_multiple"));
      s.jkk_death_funeral = r.number(node, "jkk_death.funeral");
      s.jkk_death_periodic = r.number(node, "jkk_death.periodic");
      s.incapacity_full_months = static_cast<int>(r.number(node, "temporary_incapacity.full_months"));
      s.incapacity_full_rate_bp = static_cast<int>(r.number(node, "temporary_incapacity.full_rate_bp"));
      s.incapacity_reduced_rate_bp = static_cast<int>(r.number(node, "temporary_incapacity.reduced_rate_bp"));
      s.incapacity_max_months = static_cast<int>(r.number(node, "temporary_incapacity.max_months"));
      s.jkk_claim_limit_years = static_cast<int>(r.number(node, "jkk_claim_limit_years"));
      s.scholarship_max_children = static_cast<int>(r.number(node, "scholarship.max_children"));
      s.scholarship_max_age = static_cast<int>(r.number(node, "scholarship.max_age"));
      s.scholarship_min_contribution_months =
          static_cast<int>(r.number(node, "scholarship.min_contribution_months"));
      const auto levels = node["scholarship"]["levels"];
      for (std::size_t j = 0; levels && j < levels.size(); ++j) {
        YamlReader lr{problems, fmt::format("schedules[{}].scholarship.levels[{}]", i, j)};
        ScholarshipLevel l;
        l.level = levels[j]["level"] ? levels[j]["level"].as<std::string>() : "";
        l.amount = lr.number(levels[j], "amount");
        l.max_years = static_cast<int>(lr.number(levels[j], "max_years"));
        s.levels.push_back(std::move(l));
      }
      // Optional: a schedule without it pays no permanent disability.
      if (const auto d = node["jkk_disability"]) {
        s.disability_total_income_multiple =
            static_cast<int>(r.number(node, "jkk_disability.total_income_multiple"));
        s.disability_partial_income_multiple =
            static_cast<int>(r.number(node, "jkk_disability.partial_income_multiple"));
        s.disability_partial_max_bp = static_cast<int>(r.number(node, "jkk_disability.partial_max_bp"));
        const auto parts = d["body_parts"];
        for (std::size_t j = 0; parts && j < parts.size(); ++j) {
          YamlReader br{problems, fmt::format("schedules[{}].jkk_disability.body_parts[{}]", i, j)};
          BodyPart b;
          b.part = parts[j]["part"] ? parts[j]["part"].as<std::string>() : "";
          b.rate_bp = static_cast<int>(br.number(parts[j], "rate_bp"));
          s.body_parts.push_back(std::move(b));
        }
      }
      schedules.push_back(std::move(s));
    }
  } catch (const YAML::Exception& e) {
    problems.push_back(e.what());
  }
  if (!problems.empty()) return fail(Error::invalid({{source, join(problems)}}));
  return make(std::move(schedules), source);
}

Result<const BenefitSchedule*> BenefitTable::on(Date date) const {
  const auto it = std::ranges::find_if(schedules_ | std::views::reverse,
                                       [&](const BenefitSchedule& s) { return s.effective_from <= date; });
  if (it == (schedules_ | std::views::reverse).end())
    return fail(Error::not_found(fmt::format("no benefit schedule is in effect on {}", date_text(date))));
  return &*it;
}

Result<Benefit> compute_benefit(const Claim& claim, const BenefitSchedule& s, Rupiah declared_income) {
  // A band above the top one was never paid for: contributions were billed on the top band.
  const Rupiah income = std::clamp<Rupiah>(declared_income, 0, s.max_declared_income);
  const auto income_text = declared_income > s.max_declared_income
                               ? fmt::format("{}, the top band (declared {})", format_rupiah(income),
                                             format_rupiah(declared_income))
                               : format_rupiah(income);
  Benefit out;
  auto& lines = out.lines;
  bool fits = true;
  // Unwraps a checked figure; one that does not fit refuses the whole benefit below.
  const auto figure = [&](std::optional<Rupiah> value) {
    if (!value) fits = false;
    return value.value_or(0);
  };
  const auto basis = [&](std::string text) { return fmt::format("{} ({})", text, s.name); };
  if (claim.type == type::kJkmDeath) {
    lines.push_back({"jkm_lump_sum", s.jkm_lump_sum, basis("JKM lump sum")});
    lines.push_back({"jkm_periodic", s.jkm_periodic, basis("JKM periodic benefit, paid at once")});
    lines.push_back({"jkm_funeral", s.jkm_funeral, basis("JKM funeral costs")});
  } else if (claim.type == type::kJkkDeath) {
    lines.push_back(
        {"jkk_death_lump_sum", figure(checked_mul(income, s.jkk_death_income_multiple)),
         basis(fmt::format("{} x declared income {}", s.jkk_death_income_multiple, income_text))});
    lines.push_back({"jkk_funeral", s.jkk_death_funeral, basis("JKK funeral costs")});
    lines.push_back({"jkk_periodic", s.jkk_death_periodic, basis("JKK periodic benefit, paid at once")});
  } else if (claim.type == type::kJkkIncapacity) {
    const int full = std::min(claim.incapacity_months, s.incapacity_full_months);
    const int reduced = claim.incapacity_months - full;
    const auto full_monthly = figure(apply_rate(income, s.incapacity_full_rate_bp));
    const auto reduced_monthly = figure(apply_rate(income, s.incapacity_reduced_rate_bp));
    if (full > 0)
      lines.push_back(
          {"jkk_incapacity_full", figure(checked_mul(full_monthly, full)),
           basis(fmt::format("{} month(s) x {} ({}% of declared income {})", full,
                             format_rupiah(full_monthly), s.incapacity_full_rate_bp / 100, income_text))});
    if (reduced > 0)
      lines.push_back(
          {"jkk_incapacity_reduced", figure(checked_mul(reduced_monthly, reduced)),
           basis(fmt::format("{} month(s) x {} ({}% of declared income {}) after month {}", reduced,
                             format_rupiah(reduced_monthly), s.incapacity_reduced_rate_bp / 100, income_text,
                             s.incapacity_full_months))});
  } else if (claim.type == type::kJkkTotalDisability) {
    lines.push_back({"jkk_total_disability", figure(checked_mul(income, s.disability_total_income_multiple)),
                     basis(fmt::format("total permanent disability: {} x declared income {}",
                                       s.disability_total_income_multiple, income_text))});
  } else if (claim.type == type::kJkkPartialDisability) {
    // Each part at its rate of (multiple x income); the rates together count up to the cap, taken
    // from the last parts listed.
    const auto base = figure(checked_mul(income, s.disability_partial_income_multiple));
    int left_bp = s.disability_partial_max_bp;
    for (const auto& name : claim.body_parts) {
      const auto* part = s.body_part(name);
      if (part == nullptr) continue;  // refused at filing
      const int rate = std::min(part->rate_bp, left_bp);
      left_bp -= rate;
      lines.push_back(
          {"jkk_partial_disability:" + part->part, figure(apply_rate(base, rate)),
           basis(fmt::format("{}: {}.{:02}% x {} x declared income {}{}", part->part, rate / 100, rate % 100,
                             s.disability_partial_income_multiple, income_text,
                             rate < part->rate_bp ? fmt::format(" (the parts together count up to {}.{:02}%)",
                                                                s.disability_partial_max_bp / 100,
                                                                s.disability_partial_max_bp % 100)
                                                  : ""))});
    }
  } else if (claim.type == type::kJkkMedical) {
    const auto amount = claim.verified_amount > 0 ? claim.verified_amount : claim.claimed_amount;
    lines.push_back({"jkk_medical", amount,
                     claim.verified_amount > 0 ? "medical costs as verified against the receipts"
                                               : "medical costs as claimed, to be verified"});
  } else if (claim.type == type::kScholarship) {
    for (std::size_t i = 0; i < claim.children.size(); ++i) {
      const auto& c = claim.children[i];
      const auto* level = s.level(c.level);
      if (level == nullptr) continue;
      lines.push_back({fmt::format("scholarship_child_{}", i + 1), level->amount,
                       basis(fmt::format("{} year {} of {}, school year {}", c.level, c.school_year,
                                         level->max_years, claim.scholarship_year))});
    }
  }
  const auto total = checked_sum(lines | std::views::transform(&BenefitLine::amount));
  if (fits && total && *total >= 0 && *total <= s.max_benefit) {
    out.total = *total;
    return out;
  }
  const auto rule = fmt::format("the benefit {} is above the most one claim pays, {} ({})",
                                fits && total ? format_rupiah(*total) : "beyond any rupiah figure",
                                format_rupiah(s.max_benefit), s.name);
  if (claim.type == type::kJkkMedical)
    return fail(Error::invalid({{claim.verified_amount > 0 ? "verified_amount" : "claimed_amount", rule}}));
  return fail(Error{ErrorCode::kFailedPrecondition, rule, {}});
}

}  // namespace jaring::claims

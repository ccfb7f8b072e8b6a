#include "benefits.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
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
  }
}

std::string join(const std::vector<std::string>& problems) {
  std::string out;
  for (const auto& p : problems) out += (out.empty() ? "" : "; ") + p;
  return out;
}

}  // namespace

const ScholarshipLevel* BenefitSchedule::level(const std::string& code) const {
  const auto it = std::ranges::find(levels, code, &ScholarshipLevel::level);
  return it == levels.end() ? nullptr : &*it;
}

Rupiah apply_rate(Rupiah amount, std::int64_t basis_points) { return (amount * basis_points + 5000) / 10000; }

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

std::vector<BenefitLine> benefit_lines(const Claim& claim, const BenefitSchedule& s, Rupiah income) {
  std::vector<BenefitLine> lines;
  const auto basis = [&](std::string text) { return fmt::format("{} ({})", text, s.name); };
  if (claim.type == type::kJkmDeath) {
    lines.push_back({"jkm_lump_sum", s.jkm_lump_sum, basis("JKM lump sum")});
    lines.push_back({"jkm_periodic", s.jkm_periodic, basis("JKM periodic benefit, paid at once")});
    lines.push_back({"jkm_funeral", s.jkm_funeral, basis("JKM funeral costs")});
  } else if (claim.type == type::kJkkDeath) {
    lines.push_back(
        {"jkk_death_lump_sum", s.jkk_death_income_multiple * income,
         basis(fmt::format("{} x declared income {}", s.jkk_death_income_multiple, format_rupiah(income)))});
    lines.push_back({"jkk_funeral", s.jkk_death_funeral, basis("JKK funeral costs")});
    lines.push_back({"jkk_periodic", s.jkk_death_periodic, basis("JKK periodic benefit, paid at once")});
  } else if (claim.type == type::kJkkIncapacity) {
    const int full = std::min(claim.incapacity_months, s.incapacity_full_months);
    const int reduced = claim.incapacity_months - full;
    const auto full_monthly = apply_rate(income, s.incapacity_full_rate_bp);
    const auto reduced_monthly = apply_rate(income, s.incapacity_reduced_rate_bp);
    if (full > 0)
      lines.push_back({"jkk_incapacity_full", full * full_monthly,
                       basis(fmt::format("{} month(s) x {} ({}% of declared income {})", full,
                                         format_rupiah(full_monthly), s.incapacity_full_rate_bp / 100,
                                         format_rupiah(income)))});
    if (reduced > 0)
      lines.push_back(
          {"jkk_incapacity_reduced", reduced * reduced_monthly,
           basis(fmt::format("{} month(s) x {} ({}% of declared income {}) after month {}", reduced,
                             format_rupiah(reduced_monthly), s.incapacity_reduced_rate_bp / 100,
                             format_rupiah(income), s.incapacity_full_months))});
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
  return lines;
}

Rupiah total_of(const std::vector<BenefitLine>& lines) {
  Rupiah total = 0;
  for (const auto& l : lines) total += l.amount;
  return total;
}

}  // namespace jaring::claims

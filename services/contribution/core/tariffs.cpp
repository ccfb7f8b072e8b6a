#include "tariffs.hpp"

#include "codes.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <ranges>

#include <fmt/format.h>

namespace jaring::contribution {
namespace {

// No band or amount of a tariff file is above this (Rp1,000,000,000 a month): far above any real
// band, and it keeps every rate, sum and 12-month product of the ledger well inside an int64.
constexpr Rupiah kMaxTariffAmount = 1'000'000'000;

// Collects problems while reading YAML so that one start names every bad entry.
struct YamlReader {
  std::vector<std::string>& problems;
  std::string where;

  std::string text(const YAML::Node& node, const char* key) {
    if (!node[key] || !node[key].IsScalar()) {
      problems.push_back(fmt::format("{}: {} is missing", where, key));
      return {};
    }
    return node[key].as<std::string>();
  }
  std::int64_t number(const YAML::Node& node, const char* key) {
    const auto raw = text(node, key);
    if (raw.empty()) return 0;
    try {
      std::size_t used = 0;
      const auto value = std::stoll(raw, &used);
      if (used == raw.size()) return value;
    } catch (const std::exception&) {
    }
    problems.push_back(fmt::format("{}: {} must be a whole number, not \"{}\"", where, key, raw));
    return 0;
  }
  Period period(const YAML::Node& node, const char* key) {
    const auto raw = text(node, key);
    if (raw.empty()) return {};
    auto parsed = Period::parse(raw);
    if (!parsed) problems.push_back(fmt::format("{}: {} must be YYYY-MM, not \"{}\"", where, key, raw));
    return parsed.value_or(Period{});
  }
  std::vector<std::string> list(const YAML::Node& node, const char* key) {
    std::vector<std::string> out;
    if (!node[key]) return out;
    if (!node[key].IsSequence()) {
      problems.push_back(fmt::format("{}: {} must be a list", where, key));
      return out;
    }
    for (const auto& item : node[key]) out.push_back(item.as<std::string>());
    return out;
  }
};

void validate(const std::vector<Schedule>& schedules, const std::vector<Discount>& discounts,
              std::vector<std::string>& problems) {
  if (schedules.empty()) problems.push_back("schedules: at least one schedule is needed");
  for (std::size_t i = 0; i < schedules.size(); ++i) {
    const auto& s = schedules[i];
    const auto where = fmt::format("schedules[{}] ({})", i, s.name.empty() ? s.effective_from.str() : s.name);
    if (i > 0 && !(schedules[i - 1].effective_from < s.effective_from))
      problems.push_back(fmt::format("{}: effective_from must be later than the entry before", where));
    if (s.jkk_rate_bp < 1 || s.jkk_rate_bp > 10000)
      problems.push_back(fmt::format("{}: jkk_rate_bp must be between 1 and 10000", where));
    if (s.jht_rate_bp < 0 || s.jht_rate_bp > 10000)
      problems.push_back(fmt::format("{}: jht_rate_bp must be between 0 and 10000", where));
    if (s.jkm_amount <= 0 || s.jkm_amount > kMaxTariffAmount)
      problems.push_back(
          fmt::format("{}: jkm_amount must be positive and at most {}", where, kMaxTariffAmount));
    if (s.income_bands.empty()) problems.push_back(fmt::format("{}: income_bands must not be empty", where));
    for (std::size_t b = 0; b < s.income_bands.size(); ++b) {
      if (s.income_bands[b] <= 0 || s.income_bands[b] > kMaxTariffAmount ||
          (b > 0 && s.income_bands[b] <= s.income_bands[b - 1])) {
        problems.push_back(fmt::format("{}: income_bands must be positive, ascending and at most {}", where,
                                       kMaxTariffAmount));
        break;
      }
    }
  }
  for (std::size_t i = 0; i < discounts.size(); ++i) {
    const auto& d = discounts[i];
    const auto where = fmt::format("discounts[{}] ({})", i, d.name);
    if (d.to < d.from) problems.push_back(fmt::format("{}: to must not be before from", where));
    if (d.rate_bp < 1 || d.rate_bp > 10000)
      problems.push_back(fmt::format("{}: rate_bp must be between 1 and 10000", where));
    for (const auto& sector : d.sectors) {
      if (!one_of(sector, kCategories))
        problems.push_back(fmt::format("{}: unknown sector \"{}\"", where, sector));
    }
    for (const auto& payer : d.excluded_payers) {
      if (!one_of(payer, kPayers)) problems.push_back(fmt::format("{}: unknown payer \"{}\"", where, payer));
    }
    // Two reliefs for the same sector in the same month would be ambiguous.
    for (std::size_t j = 0; j < i; ++j) {
      const auto& o = discounts[j];
      const bool months_overlap = !(o.to < d.from || d.to < o.from);
      const bool sectors_overlap =
          o.sectors.empty() || d.sectors.empty() ||
          std::ranges::any_of(d.sectors, [&](const auto& s) { return std::ranges::count(o.sectors, s) > 0; });
      if (months_overlap && sectors_overlap)
        problems.push_back(fmt::format("{}: overlaps discounts[{}] ({}) for a sector", where, j, o.name));
    }
  }
}

std::string join(const std::vector<std::string>& problems) {
  std::string out;
  for (const auto& p : problems) out += (out.empty() ? "" : "; ") + p;
  return out;
}

}  // namespace

Rupiah apply_rate(Rupiah amount, std::int64_t basis_points) {
  const auto share = checked_rate(amount, basis_points);
  // Bands, rates and collected sums are bounded where they enter (validate, the payment ceiling).
  JARING_ASSERT(share.has_value(), "a rate of a bounded amount overflowed");
  return *share;
}

Result<TariffTable> TariffTable::make(std::vector<Schedule> schedules, std::vector<Discount> discounts,
                                      const std::string& source) {
  std::vector<std::string> problems;
  validate(schedules, discounts, problems);
  if (!problems.empty()) return fail(Error::invalid({{source, join(problems)}}));
  TariffTable table;
  table.schedules_ = std::move(schedules);
  table.discounts_ = std::move(discounts);
  return table;
}

Result<TariffTable> TariffTable::parse(const std::string& yaml, const std::string& source) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml);
  } catch (const YAML::Exception& e) {
    return fail(Error::invalid({{source, fmt::format("not valid YAML: {}", e.what())}}));
  }
  std::vector<std::string> problems;
  std::vector<Schedule> schedules;
  std::vector<Discount> discounts;
  try {
    for (std::size_t i = 0; root["schedules"] && i < root["schedules"].size(); ++i) {
      const auto node = root["schedules"][i];
      YamlReader r{problems, fmt::format("schedules[{}]", i)};
      Schedule s;
      s.name = node["name"] ? node["name"].as<std::string>() : "";
      s.effective_from = r.period(node, "effective_from");
      s.jkk_rate_bp = static_cast<int>(r.number(node, "jkk_rate_bp"));
      s.jkm_amount = r.number(node, "jkm_amount");
      s.jht_rate_bp = static_cast<int>(r.number(node, "jht_rate_bp"));
      for (const auto& band : r.list(node, "income_bands")) {
        try {
          s.income_bands.push_back(std::stoll(band));
        } catch (const std::exception&) {
          problems.push_back(fmt::format("schedules[{}]: income band \"{}\" is not a number", i, band));
        }
      }
      schedules.push_back(std::move(s));
    }
    for (std::size_t i = 0; root["discounts"] && i < root["discounts"].size(); ++i) {
      const auto node = root["discounts"][i];
      YamlReader r{problems, fmt::format("discounts[{}]", i)};
      Discount d;
      d.name = r.text(node, "name");
      d.from = r.period(node, "from");
      d.to = r.period(node, "to");
      d.rate_bp = static_cast<int>(r.number(node, "rate_bp"));
      d.sectors = r.list(node, "sectors");
      d.excluded_payers = r.list(node, "excluded_payers");
      discounts.push_back(std::move(d));
    }
  } catch (const YAML::Exception& e) {
    problems.push_back(e.what());
  }
  if (!problems.empty()) return fail(Error::invalid({{source, join(problems)}}));
  return make(std::move(schedules), std::move(discounts), source);
}

Result<Charge> TariffTable::charge(Period period, const Terms& terms) const {
  const auto it = std::ranges::find_if(schedules_ | std::views::reverse,
                                       [&](const Schedule& s) { return s.effective_from <= period; });
  if (it == (schedules_ | std::views::reverse).end())
    return fail(Error::not_found(fmt::format("no tariff schedule is in effect in {}", period.str())));
  const Schedule& s = *it;
  Charge c;
  c.period = period;
  // The band is the highest lower bound not above the declared income; below the lowest band,
  // the lowest band (the floor of BPU contributions).
  c.band = s.income_bands.front();
  for (const auto band : s.income_bands) {
    if (band <= terms.income_band) c.band = band;
  }
  c.jkk = apply_rate(c.band, s.jkk_rate_bp);
  c.jkm = s.jkm_amount;
  c.jht = terms.programs == "jkk+jkm+jht" ? apply_rate(c.band, s.jht_rate_bp) : 0;
  for (const auto& d : discounts_) {
    if (period < d.from || d.to < period) continue;
    if (!d.sectors.empty() && std::ranges::count(d.sectors, terms.category) == 0) continue;
    if (std::ranges::count(d.excluded_payers, terms.payer) > 0) continue;
    Rupiah base = c.jkk;
    add_bounded(base, c.jkm);
    c.discount = apply_rate(base, d.rate_bp);
    c.discount_name = d.name;
    break;
  }
  c.total = c.jkk;
  add_bounded(c.total, c.jkm);
  add_bounded(c.total, c.jht);
  add_bounded(c.total, -c.discount);
  return c;
}

}  // namespace jaring::contribution

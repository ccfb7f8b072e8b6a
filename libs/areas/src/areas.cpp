#include "jaring/areas/areas.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace jaring::areas {

extern const char kJakartaAreasCsv[];  // generated from data/jakarta-areas.csv

namespace {

std::optional<Level> parse_level(std::string_view text) {
  if (text == "province") return Level::kProvince;
  if (text == "kota") return Level::kKota;
  if (text == "kecamatan") return Level::kKecamatan;
  if (text == "kelurahan") return Level::kKelurahan;
  return std::nullopt;
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

}  // namespace

Result<Registry> Registry::parse_csv(std::string_view text, const std::string& origin) {
  Registry registry;
  std::istringstream in{std::string(text)};
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line_no == 1 || line.empty()) continue;  // header
    std::vector<std::string> cols;
    std::size_t start = 0;
    for (int i = 0; i < 3; ++i) {
      const auto comma = line.find(',', start);
      if (comma == std::string::npos) break;
      cols.push_back(line.substr(start, comma - start));
      start = comma + 1;
    }
    cols.push_back(line.substr(start));  // the name may hold commas
    const auto level = cols.size() == 4 ? parse_level(cols[0]) : std::nullopt;
    if (!level || cols[1].empty()) {
      return fail(
          Error::invalid({{fmt::format("{}:{}", origin, line_no), "expected level,code,parent_code,name"}}));
    }
    registry.areas_[cols[1]] = Area{*level, cols[1], cols[2], cols[3]};
  }
  return registry;
}

Result<Registry> Registry::load_csv(const std::string& path) {
  std::ifstream in(path);
  if (!in) return fail(Error::invalid({{"areas.file", fmt::format("cannot read {}", path)}}));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return parse_csv(buffer.str(), path);
}

const Registry& Registry::jakarta() {
  static const Registry registry = [] {
    auto parsed = parse_csv(kJakartaAreasCsv, "jakarta-areas.csv");
    return parsed ? std::move(*parsed) : Registry{};
  }();
  return registry;
}

const Area* Registry::find(std::string_view code) const {
  const auto it = areas_.find(code);
  return it == areas_.end() ? nullptr : &it->second;
}

std::vector<const Area*> Registry::children(std::string_view code) const {
  std::vector<const Area*> out;
  for (const auto& [_, area] : areas_) {
    if (area.parent_code == code) out.push_back(&area);
  }
  return out;
}

std::size_t Registry::count(Level level) const {
  return static_cast<std::size_t>(std::count_if(
      areas_.begin(), areas_.end(), [&](const auto& item) { return item.second.level == level; }));
}

std::string RwCode::str() const { return fmt::format("{}.{:03d}", kelurahan, number); }

std::optional<RwCode> RwCode::parse(std::string_view code) {
  // pp.kk.cc.dddd.rrr
  if (code.size() != 17) return std::nullopt;
  const std::string_view parts[] = {code.substr(0, 2), code.substr(3, 2), code.substr(6, 2),
                                    code.substr(9, 4), code.substr(14, 3)};
  if (code[2] != '.' || code[5] != '.' || code[8] != '.' || code[13] != '.') return std::nullopt;
  for (const auto part : parts) {
    if (!all_digits(part)) return std::nullopt;
  }
  const int number = std::stoi(std::string(parts[4]));
  if (number < 1) return std::nullopt;
  return RwCode{std::string(code.substr(0, 13)), number};
}

std::vector<std::string> ancestors(std::string_view kelurahan_code) {
  if (kelurahan_code.size() != 13) return {};
  return {std::string(kelurahan_code.substr(0, 8)), std::string(kelurahan_code.substr(0, 5)),
          std::string(kelurahan_code.substr(0, 2))};
}

}  // namespace jaring::areas

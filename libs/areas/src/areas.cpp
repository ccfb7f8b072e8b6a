#include "jaring/areas/areas.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace jaring::areas {

extern const char kJakartaAreasCsv[];     // generated from data/jakarta-areas.csv
extern const char kJakartaBranchesCsv[];  // generated from data/jakarta-branches.csv

namespace {

std::optional<Level> parse_level(std::string_view text) {
  if (text == "province") return Level::kProvince;
  if (text == "kota") return Level::kKota;
  if (text == "kecamatan") return Level::kKecamatan;
  if (text == "kelurahan") return Level::kKelurahan;
  return std::nullopt;
}

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// Splits a simple CSV line (these reference files quote nothing) into at most `n` fields, the
// last taking the rest of the line.
std::vector<std::string> split(const std::string& line, std::size_t n) {
  std::vector<std::string> cols;
  std::size_t start = 0;
  while (cols.size() + 1 < n) {
    const auto comma = line.find(',', start);
    if (comma == std::string::npos) break;
    cols.push_back(line.substr(start, comma - start));
    start = comma + 1;
  }
  cols.push_back(line.substr(start));
  return cols;
}

// Calls `row(line_no, line)` for each data line (after the header), without CR.
template <typename F>
Result<void> each_line(std::string_view text, F&& row) {
  std::istringstream in{std::string(text)};
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line_no == 1 || line.empty()) continue;
    if (auto ok = row(line_no, line); !ok) return ok;
  }
  return {};
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

}  // namespace

Result<Registry> Registry::parse_csv(std::string_view text, const std::string& origin) {
  Registry registry;
  auto ok = each_line(text, [&](int line_no, const std::string& line) -> Result<void> {
    const auto cols = split(line, 4);  // the name may hold commas
    const auto level = cols.size() == 4 ? parse_level(cols[0]) : std::nullopt;
    if (!level || cols[1].empty()) {
      return fail(
          Error::invalid({{fmt::format("{}:{}", origin, line_no), "expected level,code,parent_code,name"}}));
    }
    registry.areas_[cols[1]] = Area{*level, cols[1], cols[2], cols[3]};
    return {};
  });
  if (!ok) return fail(ok.error());
  return registry;
}

Result<Registry> Registry::load_csv(const std::string& path) {
  const auto text = read_file(path);
  if (!text) return fail(Error::invalid({{"areas.file", fmt::format("cannot read {}", path)}}));
  return parse_csv(*text, path);
}

Result<Registry> Registry::load_national(const std::string& dir) {
  Registry registry;
  struct File {
    const char* name;
    Level level;
    std::size_t columns;  // provinces: code,name; the others: code,parent_code,name
  };
  for (const auto& f :
       {File{"provinces.csv", Level::kProvince, 2}, File{"regencies.csv", Level::kKota, 3},
        File{"districts.csv", Level::kKecamatan, 3}, File{"villages.csv", Level::kKelurahan, 3}}) {
    const auto path = dir + "/" + f.name;
    const auto text = read_file(path);
    if (!text) return fail(Error::invalid({{"areas.national_dir", fmt::format("cannot read {}", path)}}));
    auto ok = each_line(*text, [&](int line_no, const std::string& line) -> Result<void> {
      auto cols = split(line, f.columns);
      if (cols.size() != f.columns || cols[0].empty()) {
        return fail(
            Error::invalid({{fmt::format("{}:{}", path, line_no), "expected code,[parent_code,]name"}}));
      }
      if (f.columns == 2) cols.insert(cols.begin() + 1, "");
      registry.areas_[cols[0]] = Area{f.level, cols[0], cols[1], cols[2]};
      return {};
    });
    if (!ok) return fail(ok.error());
  }
  return registry;
}

const Registry& Registry::jakarta() {
  static const Registry registry = [] {
    auto parsed = parse_csv(kJakartaAreasCsv, "jakarta-areas.csv");
    return parsed ? std::move(*parsed) : Registry{};
  }();
  return registry;
}

const BranchMap& BranchMap::jakarta() {
  static const BranchMap map = [] {
    auto parsed = parse_csv(kJakartaBranchesCsv, "jakarta-branches.csv");
    return parsed ? std::move(*parsed) : BranchMap{};
  }();
  return map;
}

Result<BranchMap> BranchMap::parse_csv(std::string_view text, const std::string& origin) {
  BranchMap map;
  auto ok = each_line(text, [&](int line_no, const std::string& line) -> Result<void> {
    const auto cols = split(line, 3);
    const auto where = fmt::format("{}:{}", origin, line_no);
    if (cols.size() != 3 || cols[0].empty() || cols[1].empty() || cols[2].size() != 8) {
      return fail(
          Error::invalid({{where, "expected branch_code,branch_name,kecamatan_code (e.g. 31.75.06)"}}));
    }
    if (map.by_kecamatan_.contains(cols[2])) {
      return fail(
          Error::invalid({{where, fmt::format("kecamatan {} is already served by a branch", cols[2])}}));
    }
    map.branches_[cols[0]] = Branch{cols[0], cols[1]};
    map.by_kecamatan_[cols[2]] = cols[0];
    return {};
  });
  if (!ok) return fail(ok.error());
  return map;
}

Result<BranchMap> BranchMap::load_csv(const std::string& path) {
  const auto text = read_file(path);
  if (!text) return fail(Error::invalid({{"branches.file", fmt::format("cannot read {}", path)}}));
  return parse_csv(*text, path);
}

const Branch* BranchMap::branch_of(std::string_view area_code) const {
  if (area_code.size() < 8) return nullptr;
  const auto it = by_kecamatan_.find(area_code.substr(0, 8));
  return it == by_kecamatan_.end() ? nullptr : find(it->second);
}

const Branch* BranchMap::find(std::string_view branch_code) const {
  const auto it = branches_.find(branch_code);
  return it == branches_.end() ? nullptr : &it->second;
}

std::vector<Branch> BranchMap::branches() const {
  std::vector<Branch> out;
  out.reserve(branches_.size());
  for (const auto& [_, b] : branches_) out.push_back(b);
  return out;
}

std::vector<std::string> BranchMap::kecamatan_of(std::string_view branch_code) const {
  std::vector<std::string> out;
  for (const auto& [kecamatan, code] : by_kecamatan_) {
    if (code == branch_code) out.push_back(kecamatan);
  }
  return out;
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

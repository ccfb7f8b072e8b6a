#pragma once
// Indonesian administrative areas down to the kelurahan (Kemendagri codes), and the RW codes
// Jaring adds below them: province 31 > kota 31.75 > kecamatan 31.75.06 > kelurahan
// 31.75.06.1005 > RW 31.75.06.1005.002 > RT 31.75.06.1005.002.003.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "jaring/common/result.hpp"

namespace jaring::areas {

enum class Level { kProvince, kKota, kKecamatan, kKelurahan };

struct Area {
  Level level = Level::kProvince;
  std::string code;
  std::string parent_code;
  std::string name;
};

class Registry {
 public:
  // DKI Jakarta, compiled in from libs/areas/data/jakarta-areas.csv (ODbL, see data/README.md).
  static const Registry& jakarta();
  // A file in the jakarta-areas.csv format (level,code,parent_code,name).
  static Result<Registry> load_csv(const std::string& path);
  // The national files of idn-area-data in `dir`: provinces.csv, regencies.csv, districts.csv,
  // villages.csv (code,parent_code,name; provinces code,name).
  static Result<Registry> load_national(const std::string& dir);
  static Result<Registry> parse_csv(std::string_view text, const std::string& origin);

  const Area* find(std::string_view code) const;
  // Direct children of an area, sorted by code.
  std::vector<const Area*> children(std::string_view code) const;
  std::size_t size() const { return areas_.size(); }
  std::size_t count(Level level) const;

 private:
  std::map<std::string, Area, std::less<>> areas_;
};

// An RW under a kelurahan: number 1..999, written with three digits.
struct RwCode {
  std::string kelurahan;  // 31.75.06.1005
  int number = 0;         // 2

  std::string str() const;  // 31.75.06.1005.002
  // Parses the canonical form; nullopt when it is not one.
  static std::optional<RwCode> parse(std::string_view code);
};

// A BPJS Ketenagakerjaan branch office (Kantor Cabang).
struct Branch {
  std::string code;  // pulogebang
  std::string name;  // Jakarta Pulogebang
};

// Which branch office serves each kecamatan. Registration owns it; the default for Jakarta is
// compiled in from data/jakarta-branches.csv and deployments replace it by configuration.
class BranchMap {
 public:
  static const BranchMap& jakarta();
  // CSV with the header branch_code,branch_name,kecamatan_code; a kecamatan at most once.
  static Result<BranchMap> parse_csv(std::string_view text, const std::string& origin);
  static Result<BranchMap> load_csv(const std::string& path);

  // The branch of a kecamatan, or of the kecamatan above a kelurahan or RW code.
  const Branch* branch_of(std::string_view area_code) const;
  const Branch* find(std::string_view branch_code) const;
  std::vector<Branch> branches() const;
  std::vector<std::string> kecamatan_of(std::string_view branch_code) const;

 private:
  std::map<std::string, Branch, std::less<>> branches_;           // by code
  std::map<std::string, std::string, std::less<>> by_kecamatan_;  // kecamatan -> branch code
};

// Parent codes of a kelurahan code: {kecamatan, kota, province}; empty when malformed.
std::vector<std::string> ancestors(std::string_view kelurahan_code);

}  // namespace jaring::areas

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "jaring/areas/areas.hpp"

namespace jaring::areas {
namespace {

TEST(Jakarta, HasEveryKotaKecamatanAndKelurahan) {
  const auto& jakarta = Registry::jakarta();
  EXPECT_EQ(jakarta.count(Level::kProvince), 1u);
  EXPECT_EQ(jakarta.count(Level::kKota), 6u);
  EXPECT_EQ(jakarta.count(Level::kKecamatan), 44u);
  EXPECT_EQ(jakarta.count(Level::kKelurahan), 267u);
  const auto* pulo_gebang = jakarta.find("31.75.06.1005");
  ASSERT_NE(pulo_gebang, nullptr);
  EXPECT_EQ(pulo_gebang->level, Level::kKelurahan);
  EXPECT_EQ(pulo_gebang->parent_code, "31.75.06");
  EXPECT_EQ(jakarta.find("31.75.06")->name, "Cakung");
  EXPECT_EQ(jakarta.children("31.75.06").size(), 7u);
}

TEST(RwCode, ParsesOnlyTheCanonicalForm) {
  const auto rw = RwCode::parse("31.75.06.1005.002");
  ASSERT_TRUE(rw);
  EXPECT_EQ(rw->kelurahan, "31.75.06.1005");
  EXPECT_EQ(rw->number, 2);
  EXPECT_EQ(rw->str(), "31.75.06.1005.002");
  for (const char* bad : {"", "31.75.06.1005.2", "31.75.06.1005.000", "31.75.06.1005-002",
                          "31.75.06.100a.002", "31.75.06.1005.002.003"}) {
    EXPECT_FALSE(RwCode::parse(bad)) << bad;
  }
}

TEST(Ancestors, WalksUpFromAKelurahan) {
  EXPECT_EQ(ancestors("31.75.06.1005"), (std::vector<std::string>{"31.75.06", "31.75", "31"}));
  EXPECT_TRUE(ancestors("31.75").empty());
}

TEST(Registry, RejectsMalformedLinesWithTheirNumber) {
  const auto parsed =
      Registry::parse_csv("level,code,parent_code,name\nkota,31.75,31,X\nvillage,1,2\n", "f.csv");
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().violations.at(0).field, "f.csv:3");
}

TEST(Registry, LoadsTheNationalFilesOfIdnAreaData) {
  const auto dir = std::filesystem::temp_directory_path() / ("jaring-areas-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "provinces.csv") << "code,name\n31,DKI JAKARTA\n32,JAWA BARAT\n";
  std::ofstream(dir / "regencies.csv") << "code,province_code,name\n32.01,32,KABUPATEN BOGOR\n";
  std::ofstream(dir / "districts.csv") << "code,regency_code,name\n32.01.01,32.01,Cibinong\n";
  std::ofstream(dir / "villages.csv") << "code,district_code,name\n32.01.01.1001,32.01.01,Pakansari\n";
  const auto national = Registry::load_national(dir.string());
  ASSERT_TRUE(national) << national.error().message;
  EXPECT_EQ(national->count(Level::kProvince), 2u);
  EXPECT_EQ(national->find("32.01.01.1001")->parent_code, "32.01.01");
  EXPECT_EQ(national->children("32.01").size(), 1u);
  std::filesystem::remove(dir / "villages.csv");
  const auto missing = Registry::load_national(dir.string());
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().violations.at(0).field, "areas.national_dir");
  std::filesystem::remove_all(dir);
}

TEST(Branches, EveryJakartaKecamatanHasExactlyOneBranch) {
  const auto& areas = Registry::jakarta();
  const auto& branches = BranchMap::jakarta();
  for (const auto* kota : areas.children("31")) {
    for (const auto* kecamatan : areas.children(kota->code)) {
      EXPECT_NE(branches.branch_of(kecamatan->code), nullptr) << kecamatan->name;
    }
  }
  EXPECT_EQ(branches.branch_of("31.75.06.1005.002")->name, "Jakarta Pulogebang");  // from an RW code
  EXPECT_EQ(branches.branch_of("31.75.08")->code, "ceger");
  EXPECT_EQ(branches.kecamatan_of("pulogebang"), (std::vector<std::string>{"31.75.06", "31.75.07"}));
  EXPECT_EQ(branches.branch_of("32.01.01"), nullptr);
}

TEST(Branches, AKecamatanServedTwiceIsRefusedWithItsLine) {
  const auto parsed =
      BranchMap::parse_csv("branch_code,branch_name,kecamatan_code\na,A,31.75.06\nb,B,31.75.06\n", "b.csv");
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().violations.at(0).field, "b.csv:3");
  EXPECT_NE(parsed.error().violations.at(0).rule.find("already served"), std::string::npos);
}

}  // namespace
}  // namespace jaring::areas

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace jaring::areas

#include <gtest/gtest.h>

#include "core/nik.hpp"

namespace jaring::registration {
namespace {

using namespace std::chrono;
constexpr year_month_day kToday{year{2026}, November, day{21}};

struct Rejected {
  const char* nik;
  const char* rule_part;
};

class NikRejections : public ::testing::TestWithParam<Rejected> {};

TEST_P(NikRejections, NamesTheRule) {
  const auto result = parse_nik(GetParam().nik, kToday);
  ASSERT_TRUE(std::holds_alternative<NikRejection>(result)) << GetParam().nik;
  EXPECT_NE(std::get<NikRejection>(result).rule.find(GetParam().rule_part), std::string::npos)
      << std::get<NikRejection>(result).rule;
}

INSTANTIATE_TEST_SUITE_P(
    EveryRule, NikRejections,
    ::testing::Values(
        Rejected{"", "exactly 16 digits"}, Rejected{"317201150590001", "exactly 16 digits"},
        Rejected{"31720115059000012", "exactly 16 digits"}, Rejected{"31720115059O0001", "digits only"},
        Rejected{"3172 11505900001", "digits only"}, Rejected{"1072011505900001", "province code"},
        Rejected{"9572011505900001", "province code"}, Rejected{"0072011505900001", "province code"},
        Rejected{"3172013202900001", "not a real date"},  // 32 February
        Rejected{"3172013002900001", "not a real date"},  // 30 February
        Rejected{"3172012902910001", "not a real date"},  // 29 Feb 1991, not a leap year
        Rejected{"3172010013900001", "not a real date"},  // month 13
        Rejected{"3172010000900001", "not a real date"},  // day 00
        Rejected{"3172014000900001", "not a real date"},  // day 40 = 00 for a woman
        Rejected{"3172017201900001", "not a real date"},  // day 72 = 32 for a woman
        Rejected{"3172010112260001", "in the future"},    // 1 December 2026
        Rejected{"3172011505900000", "serial"}));

TEST(Nik, ReadsAManBornInTheNineties) {
  const auto result = parse_nik("3172011505900001", kToday);
  const auto& info = std::get<NikInfo>(result);
  EXPECT_EQ(info.province, 31);
  EXPECT_EQ(info.sex, 'M');
  EXPECT_EQ(info.birth_date, (year_month_day{year{1990}, May, day{15}}));
  EXPECT_EQ(info.serial, 1);
}

TEST(Nik, DayPlusFortyIsAWoman) {
  const auto info = std::get<NikInfo>(parse_nik("3175065505850002", kToday));
  EXPECT_EQ(info.sex, 'F');
  EXPECT_EQ(info.birth_date, (year_month_day{year{1985}, May, day{15}}));
}

TEST(Nik, TwoDigitYearsNotInTheFutureAreThisCentury) {
  EXPECT_EQ(std::get<NikInfo>(parse_nik("3172011505100001", kToday)).birth_date.year(), year{2010});
  EXPECT_EQ(std::get<NikInfo>(parse_nik("3172011505270001", kToday)).birth_date.year(), year{1927});
  EXPECT_EQ(std::get<NikInfo>(parse_nik("3172012011260001", kToday)).birth_date.year(), year{2026});
}

TEST(Nik, LeapDayIsARealDate) {
  EXPECT_TRUE(std::holds_alternative<NikInfo>(parse_nik("3172016902000001", kToday)));  // woman, 29 Feb 2000
}

TEST(Nik, AcceptsEveryProvinceFromElevenToNinetyFour) {
  // Migrants: a NIK first issued outside Jakarta is never rejected for that.
  for (int province : {11, 12, 33, 51, 76, 91, 94}) {
    const auto nik = std::to_string(province) + "01011505900001";
    EXPECT_TRUE(std::holds_alternative<NikInfo>(parse_nik(nik, kToday))) << nik;
  }
}

TEST(Nik, MasksTheMiddleEightDigits) {
  EXPECT_EQ(mask_nik("3172011505900001"), "3172********0001");
  EXPECT_EQ(mask_nik("12345"), "*****");
}

}  // namespace
}  // namespace jaring::registration

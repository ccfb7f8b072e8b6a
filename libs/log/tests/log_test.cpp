#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "jaring/log/log.hpp"

namespace jaring::log {
namespace {

TEST(MaskNik, MasksSixteenDigitRunsOnly) {
  EXPECT_EQ(mask_nik("nik 3172011505900001 rejected"), "nik 3172********0001 rejected");
  EXPECT_EQ(mask_nik("3172011505900001,3175064107850002"), "3172********0001,3175********0002");
  EXPECT_EQ(mask_nik("phone 081234567890 and 12345678901234567"), "phone 081234567890 and 12345678901234567");
  EXPECT_EQ(mask_nik(""), "");
}

TEST(MaskNik, MasksNiksWrittenInGroupsWithSingleSeparators) {
  EXPECT_EQ(mask_nik("nik 3175 0612 3456 7890 salah"), "nik 3175 **** **** 7890 salah");
  EXPECT_EQ(mask_nik("3175-06-120390-0001"), "3175-**-******-0001");
  EXPECT_EQ(mask_nik("NIK: 31.75.06.120390.0001."), "NIK: 31.75.**.******.0001.");
  EXPECT_EQ(mask_nik("317506 120390 0001"), "3175** ****** 0001");
  // A number after it with the same separator does not hide it.
  EXPECT_EQ(mask_nik("3175 0612 3456 7890 25 kali"), "3175 **** **** 7890 25 kali");
  EXPECT_EQ(mask_nik("ke-2 3175 0612 3456 7890 1 kali"), "ke-2 3175 **** **** 7890 1 kali");
  EXPECT_EQ(mask_nik("3175061234567890 12"), "3175********7890 12");
  EXPECT_EQ(mask_nik("reason: 3172011505900001/3175-06-120390-0001"),
            "reason: 3172********0001/3175-**-******-0001");
}

TEST(MaskNik, LeavesOrdinaryNumbersAlone) {
  for (const auto* text : {
           "Rp42.000.000 and 42.000.000 42.000.000",  // amounts, even two in a row
           "income 1.000.000.000.000 benefit 48.000.022.000.000",
           "9.223.372.036.854.775.807",     // INT64_MAX in thousands
           "period 2026-11-01 2026-11-30",  // two dates in a row
           "2026-11-30 16:37:13", "phone 0812-3456-7890, +62 812 3456 7890, 081234567890123",
           "rt 31.75.06.1005.002.003 rw 31.75.06.1005.002",  // an RT code has 16 digits too
           "1 2 3 4 5 6 7 8 9 10 11 12 13",                  // single digits are never NIK groups
       }) {
    EXPECT_EQ(mask_nik(text), text);
  }
  // Mixed separators are two numbers, not one NIK.
  EXPECT_EQ(mask_nik("2026.11.30 2026-12-31"), "2026.11.30 2026-12-31");
}

TEST(JsonLogger, WritesOneMaskedJsonObjectPerLineWithTheTraceId) {
  std::ostringstream out;
  init("registration", "info", std::make_shared<spdlog::sinks::ostream_sink_mt>(out));
  {
    TraceScope trace("t-123");
    spdlog::info("registered nik {} in rw {}", "3172011505900001", "31.75.06.1005.002");
  }
  spdlog::debug("not written at info level");
  spdlog::warn("no \"trace\" here");

  std::istringstream lines(out.str());
  std::string first, second, third;
  ASSERT_TRUE(std::getline(lines, first));
  ASSERT_TRUE(std::getline(lines, second));
  EXPECT_FALSE(std::getline(lines, third));

  const auto a = nlohmann::json::parse(first);
  EXPECT_EQ(a["service"], "registration");
  EXPECT_EQ(a["level"], "info");
  EXPECT_EQ(a["trace_id"], "t-123");
  EXPECT_EQ(a["msg"], "registered nik 3172********0001 in rw 31.75.06.1005.002");
  EXPECT_EQ(first.find("3172011505900001"), std::string::npos);

  const auto b = nlohmann::json::parse(second);
  EXPECT_EQ(b["level"], "warning");
  EXPECT_FALSE(b.contains("trace_id"));
  EXPECT_EQ(b["msg"], "no \"trace\" here");
}

}  // namespace
}  // namespace jaring::log

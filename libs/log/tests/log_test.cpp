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

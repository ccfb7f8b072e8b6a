#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <thread>

#include "jaring/common/clock.hpp"
#include "jaring/common/ids.hpp"
#include "jaring/common/money.hpp"
#include "jaring/common/period.hpp"
#include "jaring/common/result.hpp"
#include "jaring/common/text.hpp"

namespace jaring {
namespace {

TEST(Error, InvalidJoinsEveryViolationIntoTheMessage) {
  const auto e = Error::invalid({{"nik", "must be 16 digits"}, {"name", "is required"}});
  EXPECT_EQ(e.code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(e.message, "nik: must be 16 digits; name: is required");
  ASSERT_EQ(e.violations.size(), 2u);
}

TEST(Clock, FormatsUtcWithMilliseconds) {
  const TimePoint at = std::chrono::sys_days{std::chrono::year{2026} / 11 / 21} + std::chrono::hours{14} +
                       std::chrono::milliseconds{5};
  EXPECT_EQ(format_utc(at), "2026-11-21T14:00:00.005Z");
  using namespace std::chrono;
  EXPECT_EQ(
      format_utc(sys_days{year{2028} / 2 / 29} + hours{23} + minutes{59} + seconds{59} + milliseconds{999}),
      "2028-02-29T23:59:59.999Z");
  EXPECT_EQ(
      format_utc(sys_days{year{2026} / 12 / 31} + hours{7} + minutes{5} + seconds{9} + microseconds{42'999}),
      "2026-12-31T07:05:09.042Z");  // below a millisecond: dropped
  EXPECT_EQ(format_utc(TimePoint{}), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_utc(TimePoint{} - milliseconds{1}), "1969-12-31T23:59:59.999Z");
}

TEST(Clock, ParsesRfc3339InstantsWithOffsetsAndFractions) {
  using namespace std::chrono;
  const TimePoint midnight_wib = sys_days{year{2026} / 11 / 30} + hours(17);
  EXPECT_EQ(parse_utc("2026-11-30T17:00:00Z"), midnight_wib);
  EXPECT_EQ(parse_utc("2026-12-01T00:00:00+07:00"), midnight_wib);
  EXPECT_EQ(parse_utc("2026-11-30T12:30:00-04:30"), midnight_wib);
  EXPECT_EQ(parse_utc("2026-11-30T17:00:00.250Z"), midnight_wib + milliseconds(250));
  EXPECT_EQ(parse_utc(format_utc(midnight_wib + milliseconds(7))), midnight_wib + milliseconds(7));
  for (const char* bad :
       {"", "2026-11-30", "2026-11-30T17:00:00", "2026-02-30T00:00:00Z", "2026-11-30T24:00:00Z",
        "2026-11-30T17:00:00.Z", "2026-11-30T17:00:00+7:00", "2026-11-30 17:00:00Z x"})
    EXPECT_FALSE(parse_utc(bad)) << bad;
}

TEST(Clock, JakartaTodayTurnsAtMidnightWib) {
  using namespace std::chrono;
  FixedClock clock(sys_days{year{2026} / 11 / 30} + hours(16) + minutes(59));
  EXPECT_EQ(date_text(jakarta_today(clock)), "2026-11-30");
  clock.set(sys_days{year{2026} / 11 / 30} + hours(17));
  EXPECT_EQ(jakarta_today(clock), year{2026} / 12 / 1);
  EXPECT_EQ(Period::jakarta(clock.now()).str(), "2026-12");
  EXPECT_EQ(jakarta_midnight(year{2026} / 12 / 1), clock.now());
  EXPECT_EQ(Period::of(2026, 12).first_day(), year{2026} / 12 / 1);
  EXPECT_FALSE(parse_date("2026-02-29"));
  EXPECT_EQ(parse_date("2028-02-29"), year{2028} / 2 / 29);
}

TEST(Clock, AFileClockFollowsItsFileAndKeepsTheLastGoodInstant) {
  const auto path = std::filesystem::temp_directory_path() / ("jaring-clock-" + new_id("t") + ".txt");
  const auto write = [&](const std::string& text) {
    std::ofstream(path) << text;
    // Another modification time for each write, whatever the file system's granularity.
    static auto stamp = std::filesystem::file_time_type::clock::now();
    stamp += std::chrono::seconds(1);
    std::filesystem::last_write_time(path, stamp);
  };
  EXPECT_THROW(FileClock{path.string()}, std::runtime_error);
  write("2026-12-01T00:00:00+07:00\n");
  FileClock clock(path.string());
  const auto first = *parse_utc("2026-11-30T17:00:00Z");
  EXPECT_EQ(clock.now(), first);
  write("2027-01-01T00:00:00+07:00");
  EXPECT_EQ(clock.now(), *parse_utc("2026-12-31T17:00:00Z"));
  write("not a time");
  EXPECT_EQ(clock.now(), *parse_utc("2026-12-31T17:00:00Z"));
  // jaringctl dev clock set writes it whole, its owner's only.
  FileClock::write(path.string(), first);
  EXPECT_EQ(clock.now(), first);
  EXPECT_EQ(std::filesystem::status(path).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  std::filesystem::remove(path);
  EXPECT_EQ(clock.now(), first);
}

TEST(Clock, AFileClockSetRunningGoesOnFromItsInstantAtTheSystemClocksPace) {
  const auto path = std::filesystem::temp_directory_path() / ("jaring-clock-" + new_id("t") + ".txt");
  const auto at = *parse_utc("2026-12-01T00:00:00+07:00");
  FileClock::write(path.string(), at, FileClock::Flow::kRuns);
  FileClock clock(path.string());
  const auto first = clock.now();
  // Set a moment ago: it has run since, by no more than the system clock did.
  EXPECT_GE(first, at);
  EXPECT_LT(first, at + std::chrono::seconds(5));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_GE(clock.now() - first, std::chrono::milliseconds(20));
  // The file gone: it runs on from what it held.
  std::filesystem::remove(path);
  const auto gone = clock.now();
  EXPECT_GE(gone, first);
  // Set again standing: it stands.
  FileClock::write(path.string(), at);
  EXPECT_EQ(clock.now(), at);
  std::filesystem::remove(path);
}

TEST(Ids, AreUniqueAndPrefixed) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const auto id = new_id("p_");
    EXPECT_EQ(id.size(), 34u);
    EXPECT_EQ(id.substr(0, 2), "p_");
    EXPECT_TRUE(seen.insert(id).second);
  }
}

// About one random 128-bit hex id in 250 has 16 decimal digits in a row; in 20,000 several would.
TEST(Ids, NeverHoldARunOfDigitsThatLooksLikeANik) {
  for (int i = 0; i < 20'000; ++i) {
    const auto id = new_id("t_");
    ASSERT_FALSE(has_decimal_run(id, kNikDigits)) << id;
  }
  EXPECT_TRUE(has_decimal_run("ab3175061234567890120000cd", kNikDigits));
  EXPECT_FALSE(has_decimal_run("317506123456789a", kNikDigits));
}

TEST(Money, FormatsRupiahWithDotsBetweenThousands) {
  EXPECT_EQ(format_rupiah(0), "Rp0");
  EXPECT_EQ(format_rupiah(999), "Rp999");
  EXPECT_EQ(format_rupiah(16'800), "Rp16.800");
  EXPECT_EQ(format_rupiah(42'000'000), "Rp42.000.000");
  EXPECT_EQ(format_rupiah(-5'000), "-Rp5.000");
  EXPECT_EQ(format_rupiah(INT64_MIN), "-Rp9.223.372.036.854.775.808");
}

TEST(Money, CheckedArithmeticRefusesWhatDoesNotFit) {
  constexpr Rupiah kMax = std::numeric_limits<Rupiah>::max();
  EXPECT_EQ(checked_add(16'800, 4'200), 21'000);
  EXPECT_EQ(checked_add(kMax, 1), std::nullopt);
  EXPECT_EQ(checked_add(kMax, kMax), std::nullopt);  // once a credit of -133,602
  EXPECT_EQ(checked_sub(INT64_MIN, 1), std::nullopt);
  EXPECT_EQ(checked_sub(0, 5'000), -5'000);
  EXPECT_EQ(checked_mul(16'800, 12), 201'600);
  EXPECT_EQ(checked_mul(kMax / 2, 3), std::nullopt);
  EXPECT_EQ(checked_mul_div(1'000'000'000'000, 48, 1), 48'000'000'000'000);
  EXPECT_EQ(checked_mul_div(kMax, 2, 4), kMax / 2);  // exact through 128 bits
  EXPECT_EQ(checked_mul_div(kMax, 4, 2), std::nullopt);
  EXPECT_EQ(checked_mul_div(8'500'000, 7, 10), 5'950'000);
  EXPECT_EQ(checked_rate(1'000'000, 100), 10'000);  // JKK: 1% of the lowest band
  EXPECT_EQ(checked_rate(16'850, 750), 1'264);      // 1,263.75 rounds up
  EXPECT_EQ(checked_rate(-16'850, 750), -1'264);
  EXPECT_EQ(checked_rate(kMax, 10'000), kMax);
  EXPECT_EQ(checked_rate(kMax, 10'001), std::nullopt);
  Rupiah total = 16'800;
  add_bounded(total, 25'200);
  EXPECT_EQ(total, 42'000);
  EXPECT_DEATH(add_bounded(total, kMax), "overflowed");
  const std::array<Rupiah, 3> amounts{16'800, 16'800, 8'400};
  EXPECT_EQ(checked_sum(amounts), 42'000);
  const std::array<Rupiah, 2> too_much{kMax, 1};
  EXPECT_EQ(checked_sum(too_much), std::nullopt);
}

TEST(Text, LinesRefuseControlCharactersAndBidiOverrides) {
  EXPECT_EQ(text::violation("Siti Nurhaliza", text::kName), std::nullopt);
  EXPECT_EQ(text::violation("Andrés Ñoño", text::kName), std::nullopt);  // not ASCII, still a name
  EXPECT_EQ(text::violation("", text::kName), "is required");
  EXPECT_EQ(text::violation("   ", text::kName), "is required");
  EXPECT_EQ(text::violation("", text::kLabel), std::nullopt);
  for (const std::string& bad : {std::string("a\0b", 3), std::string("a\rb"), std::string("a\nb"),
                                 std::string("\x1b[31mred"), std::string("a\x7f"), std::string("a\xc2\x85"),
                                 std::string("a\xe2\x80\xae"
                                             "b")}) {
    EXPECT_EQ(text::violation(bad, text::kName), "must not contain control characters") << bad;
  }
  EXPECT_EQ(text::violation("a\xff", text::kName), "must be valid UTF-8 text");
  EXPECT_EQ(text::violation("a\xc3", text::kName), "must be valid UTF-8 text");         // truncated
  EXPECT_EQ(text::violation("\xc0\xafx", text::kName), "must be valid UTF-8 text");     // overlong
  EXPECT_EQ(text::violation("\xed\xa0\x80", text::kName), "must be valid UTF-8 text");  // surrogate
}

TEST(Text, LengthsCountCharactersAndStopEarly) {
  EXPECT_EQ(text::violation(std::string(100, 'a'), text::kName), std::nullopt);
  EXPECT_EQ(text::violation(std::string(101, 'a'), text::kName), "must be at most 100 characters");
  std::string wide;
  for (int i = 0; i < 100; ++i) wide += "\xc3\xa9";  // 100 characters, 200 bytes
  EXPECT_EQ(text::violation(wide, text::kName), std::nullopt);
  EXPECT_EQ(text::violation(std::string(3'000'000, 'x'), text::kReason), "must be at most 500 characters");
}

TEST(Text, FreeTextAllowsNewlinesButNoNik) {
  EXPECT_EQ(text::violation("checked at the branch\nsecond line", text::kReason), std::nullopt);
  EXPECT_EQ(text::violation("tab\there", text::kReason),
            "must not contain control characters other than newline");
  EXPECT_NE(text::violation("wrong person: 3175 0612 3456 7890", text::kReason), std::nullopt);
  EXPECT_EQ(text::violation("paid Rp42.000.000 on 2026-11-30, call 0812-3456-7890", text::kReason),
            std::nullopt);
}

TEST(Text, TokensAreAsciiIdsAndKeys) {
  EXPECT_EQ(text::violation("p_0123abcd", text::kId), std::nullopt);
  EXPECT_EQ(text::violation("31.75.06.1005:key-1", text::kIdempotencyKey), std::nullopt);
  EXPECT_EQ(text::violation("a b", text::kId), "may contain only letters, digits and . _ : -");
  EXPECT_EQ(text::violation("", text::kId), "is required");
  EXPECT_EQ(text::violation("", text::kIdempotencyKey), std::nullopt);
  EXPECT_EQ(text::violation("agent-Rina Perisai", text::kIdempotencyKey), std::nullopt);
  EXPECT_EQ(text::violation("key\n2", text::kIdempotencyKey), "must not contain control characters");
}

TEST(Text, CheckNamesTheField) {
  std::vector<FieldViolation> out;
  EXPECT_TRUE(text::check(out, "name", "Siti", text::kName));
  EXPECT_FALSE(text::check(out, "name", "", text::kName));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].field, "name");
  EXPECT_EQ(out[0].rule, "is required");
}

TEST(Text, FindsNikLikeRunsWhateverTheirGrouping) {
  std::size_t length = 0;
  EXPECT_EQ(text::find_nik_like("3175061203900001"), 0u);
  EXPECT_EQ(text::find_nik_like("NIK 3175 0612 3456 7890.", 0, &length), 4u);
  EXPECT_EQ(length, 19u);
  EXPECT_EQ(text::find_nik_like("x 3175-06-120390-0001", 0, &length), 2u);
  EXPECT_EQ(length, 19u);
  EXPECT_EQ(text::find_nik_like("31.75.06.120390.0001"), 0u);
  // An amount before the NIK does not hide it; the NIK starts at its own group.
  EXPECT_EQ(text::find_nik_like("42.000.000 3175061203900001", 0, &length), 11u);
  EXPECT_EQ(length, 16u);
  // Ordinary numbers are not NIKs.
  for (const char* fine : {"Rp42.000.000", "2026-11-30", "0812-3456-7890", "+6281234567890",
                           "31.75.06.1005.002", "12345678901234567", "123456789012345"}) {
    EXPECT_EQ(text::find_nik_like(fine), std::string_view::npos) << fine;
  }
  EXPECT_EQ(text::find_nik_like("3175061203900001 and 3175061203900002", 1), 21u);
}

}  // namespace
}  // namespace jaring

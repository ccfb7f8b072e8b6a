#include "jaring/common/clock.hpp"

#include <sys/stat.h>

#include <fmt/compile.h>
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string_view>

#include "digits.hpp"
#include "jaring/common/period.hpp"

namespace jaring {
namespace {

// A test clock's file ends with this when its instant runs on from when it was written.
constexpr std::string_view kRunning = " running";

std::string trimmed(const std::string& text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

}  // namespace

std::string format_utc(TimePoint at) {
  // The civil date by arithmetic and the fields as integers (fmt's chrono formatting went through
  // gmtime and parsed its format on each call: 179 ns against 125 here). Floored, so an instant
  // before 1970 is its own second (truncated, -1 ms was ".-01" of 1970-01-01T00:00:00).
  const auto ms = std::chrono::floor<std::chrono::milliseconds>(at);
  const auto day = std::chrono::floor<std::chrono::days>(ms);
  const std::chrono::year_month_day date{day};
  const std::chrono::hh_mm_ss time{ms - day};
  return fmt::format(FMT_COMPILE("{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}.{:03d}Z"),
                     static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
                     static_cast<unsigned>(date.day()), time.hours().count(), time.minutes().count(),
                     time.seconds().count(), time.subseconds().count());
}

std::optional<TimePoint> parse_utc(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)
  if (text.size() < 20 || (text[10] != 'T' && text[10] != 't') || text[13] != ':' || text[16] != ':')
    return std::nullopt;
  const auto day = parse_date(text.substr(0, 10));
  const auto h = detail::digits(text.substr(11, 2));
  const auto m = detail::digits(text.substr(14, 2));
  const auto s = detail::digits(text.substr(17, 2));
  if (!day || !h || !m || !s || *h > 23 || *m > 59 || *s > 59) return std::nullopt;
  std::size_t at = 19;
  std::chrono::nanoseconds fraction{0};
  if (at < text.size() && text[at] == '.') {
    std::int64_t scale = 100000000;
    ++at;
    const auto begin = at;
    while (at < text.size() && text[at] >= '0' && text[at] <= '9') {
      fraction += std::chrono::nanoseconds((text[at] - '0') * scale);
      scale /= 10;
      ++at;
    }
    if (at == begin) return std::nullopt;
  }
  std::chrono::minutes offset{0};
  const auto zone = text.substr(at);
  if (zone != "Z" && zone != "z") {
    if (zone.size() != 6 || (zone[0] != '+' && zone[0] != '-') || zone[3] != ':') return std::nullopt;
    const auto oh = detail::digits(zone.substr(1, 2));
    const auto om = detail::digits(zone.substr(4, 2));
    if (!oh || !om || *oh > 23 || *om > 59) return std::nullopt;
    offset = std::chrono::hours(*oh) + std::chrono::minutes(*om);
    if (zone[0] == '-') offset = -offset;
  }
  const auto local = std::chrono::sys_days(*day) + std::chrono::hours(*h) + std::chrono::minutes(*m) +
                     std::chrono::seconds(*s) + fraction;
  return std::chrono::time_point_cast<TimePoint::duration>(local - offset);
}

FileClock::FileClock(std::string path) : path_(std::move(path)) {
  (void)now();
  if (seen_mtime_ns_ < 0)
    throw std::runtime_error(fmt::format("test clock file {} must hold an RFC 3339 instant", path_));
}

void FileClock::write(const std::string& path, TimePoint at, Flow flow) {
  const auto temporary = path + ".new";
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << format_utc(at) << (flow == Flow::kRuns ? kRunning : std::string_view{}) << "\n";
    if (!out.flush()) throw std::runtime_error("cannot write the test clock " + temporary);
  }
  // Like every file Jaring writes: its owner's only.
  std::error_code error;
  std::filesystem::permissions(temporary,
                               std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
                               std::filesystem::perm_options::replace, error);
  if (error) throw std::runtime_error("cannot restrict the test clock " + temporary + ": " + error.message());
  if (std::rename(temporary.c_str(), path.c_str()) != 0)
    throw std::runtime_error("cannot move the test clock to " + path);
}

TimePoint FileClock::now() const {
  struct stat info {};
  std::lock_guard lock(mutex_);
  // A file gone keeps the last instant, standing or running.
  const bool readable = ::stat(path_.c_str(), &info) == 0;
  const std::int64_t mtime =
      static_cast<std::int64_t>(info.st_mtim.tv_sec) * 1000000000 + info.st_mtim.tv_nsec;
  const auto inode = static_cast<std::uint64_t>(info.st_ino);
  if (readable && (inode != seen_inode_ || mtime != seen_mtime_ns_ ||
                   static_cast<std::int64_t>(info.st_size) != seen_size_)) {
    std::ifstream in(path_);
    std::stringstream text;
    text << in.rdbuf();
    auto content = trimmed(text.str());
    const bool runs = content.ends_with(kRunning);
    if (runs) content = trimmed(content.substr(0, content.size() - kRunning.size()));
    // A file caught half-written parses as nothing: keep the last instant and look again next time.
    if (auto parsed = parse_utc(content)) {
      at_ = *parsed;
      runs_ = runs;
      set_at_ = TimePoint(std::chrono::duration_cast<TimePoint::duration>(std::chrono::nanoseconds(mtime)));
      seen_inode_ = inode;
      seen_mtime_ns_ = mtime;
      seen_size_ = static_cast<std::int64_t>(info.st_size);
    }
  }
  if (!runs_) return at_;
  return at_ + std::max(std::chrono::system_clock::now() - set_at_, TimePoint::duration::zero());
}

}  // namespace jaring

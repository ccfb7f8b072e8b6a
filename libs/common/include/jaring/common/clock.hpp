#pragma once
// Time source injected into domain code so tests can fix "now".

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace jaring {

using TimePoint = std::chrono::system_clock::time_point;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
};

class SystemClock final : public Clock {
 public:
  TimePoint now() const override { return std::chrono::system_clock::now(); }
};

// A clock that stays where a test puts it.
class FixedClock final : public Clock {
 public:
  explicit FixedClock(TimePoint at) : at_(at) {}
  TimePoint now() const override { return at_; }
  void set(TimePoint at) { at_ = at; }

 private:
  TimePoint at_;
};

// A whole stack's test clock: "now" is the RFC 3339 instant written in a file (by `jaringctl dev
// clock set`), re-read when the file's modification time or size changes, so that now() stays a
// stat() while the file is unchanged. The instant stands still until the file changes, or, when
// the file says "<instant> running", runs on from it at the system clock's pace (from the file's
// modification time: when it was set), as a demo's history leaves a stack to go on in real time.
// Never used in production: a service builds one only when clock.allow_test is true. Throws
// std::runtime_error at construction when the file cannot be read or holds no instant; later, a
// file being rewritten or broken keeps the last good instant.
class FileClock final : public Clock {
 public:
  enum class Flow : char { kStands, kRuns };
  explicit FileClock(std::string path);
  TimePoint now() const override;
  const std::string& path() const { return path_; }
  // Moves a test clock: writes `at` (RFC 3339 UTC, and " running" with Flow::kRuns) to `path`
  // whole (a temporary file renamed over it), so a reader never sees half an instant. Throws
  // std::runtime_error when it cannot.
  static void write(const std::string& path, TimePoint at, Flow flow = Flow::kStands);

 private:
  std::string path_;
  mutable std::mutex mutex_;
  mutable std::uint64_t seen_inode_ = 0;
  mutable std::int64_t seen_mtime_ns_ = -1;
  mutable std::int64_t seen_size_ = -1;
  mutable TimePoint at_{};
  mutable bool runs_ = false;
  mutable TimePoint set_at_{};  // the system clock when the file was written (its mtime)
};

// RFC 3339 in UTC with milliseconds, e.g. 2026-11-21T14:00:00.123Z.
std::string format_utc(TimePoint at);
// An RFC 3339 instant (2026-12-01T00:00:00Z, 2026-12-01T07:00:00+07:00, fractions allowed);
// nullopt for anything else.
std::optional<TimePoint> parse_utc(std::string_view text);

}  // namespace jaring

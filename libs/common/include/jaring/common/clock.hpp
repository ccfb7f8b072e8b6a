#pragma once
// Time source injected into domain code so tests can fix "now".

#include <chrono>
#include <string>

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

// RFC 3339 in UTC with milliseconds, e.g. 2026-11-21T14:00:00.123Z.
std::string format_utc(TimePoint at);

}  // namespace jaring

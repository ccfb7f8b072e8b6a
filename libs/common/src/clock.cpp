#include "jaring/common/clock.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

namespace jaring {

std::string format_utc(TimePoint at) {
  const auto ms = std::chrono::time_point_cast<std::chrono::milliseconds>(at);
  const auto secs = std::chrono::time_point_cast<std::chrono::seconds>(ms);
  const auto frac = (ms - secs).count();
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03d}Z", secs, frac);
}

}  // namespace jaring

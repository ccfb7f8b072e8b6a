#include "jaring/common/ids.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <random>

#include <fmt/compile.h>
#include <fmt/format.h>

namespace jaring {

bool has_decimal_run(std::string_view text, std::size_t length) {
  std::size_t run = 0;
  for (const char c : text) {
    run = c >= '0' && c <= '9' ? run + 1 : 0;
    if (run >= length) return true;
  }
  return false;
}

std::string new_id(std::string_view prefix) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  // 48 bits of milliseconds first: ids sort by creation time, so a store inserts them at the
  // end of its index instead of at random places. 80 random bits keep them unique.
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  // Ids are logged and audited unmasked, and a log masks a run of 16 decimal digits as a NIK:
  // about one random id in 250 would have one, so those are drawn again. The loop ends: the
  // random bits alone can break any run.
  for (;;) {
    const std::uint64_t random_hi = rng() & 0xffff;
    const std::uint64_t random_lo = rng();
    // Compiled: every registration and every event takes an id, and parsing the format at each
    // call was most of its cost.
    auto id = fmt::format(FMT_COMPILE("{}{:012x}{:04x}{:016x}"), prefix,
                          static_cast<std::uint64_t>(ms) & 0xffffffffffffULL, random_hi, random_lo);
    if (!has_decimal_run(std::string_view(id).substr(prefix.size()), kNikDigits)) return id;
  }
}

}  // namespace jaring

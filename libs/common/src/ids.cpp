#include "jaring/common/ids.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <random>

#include <fmt/format.h>

namespace jaring {

std::string new_id(std::string_view prefix) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  // 48 bits of milliseconds first: ids sort by creation time, so a store inserts them at the
  // end of its index instead of at random places. 80 random bits keep them unique.
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  const std::uint64_t random_hi = rng() & 0xffff;
  const std::uint64_t random_lo = rng();
  return fmt::format("{}{:012x}{:04x}{:016x}", prefix, static_cast<std::uint64_t>(ms) & 0xffffffffffffULL,
                     random_hi, random_lo);
}

}  // namespace jaring

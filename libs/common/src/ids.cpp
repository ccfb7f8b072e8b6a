#include "jaring/common/ids.hpp"

#include <array>
#include <cstdint>
#include <random>

#include <fmt/format.h>

namespace jaring {

std::string new_id(std::string_view prefix) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  const std::uint64_t hi = rng();
  const std::uint64_t lo = rng();
  return fmt::format("{}{:016x}{:016x}", prefix, hi, lo);
}

}  // namespace jaring

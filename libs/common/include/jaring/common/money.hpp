#pragma once
// Money is whole rupiah in an int64, never floating point.

#include <cstdint>
#include <optional>
#include <string>

#include "jaring/common/assert.hpp"

namespace jaring {

using Rupiah = std::int64_t;

// Rp16.800, Rp42.000.000, -Rp5.000: the Indonesian way, dots between thousands.
std::string format_rupiah(Rupiah amount);

// Checked rupiah arithmetic: every sum, product and balance goes through these, so a result that
// does not fit an int64 is refused instead of wrapping (two INT64_MAX payments once made an
// account's credit -133,602). std::nullopt when the exact result does not fit.
[[nodiscard]] inline std::optional<Rupiah> checked_add(Rupiah a, Rupiah b) {
  Rupiah out = 0;
  if (__builtin_add_overflow(a, b, &out)) return std::nullopt;
  return out;
}
[[nodiscard]] inline std::optional<Rupiah> checked_sub(Rupiah a, Rupiah b) {
  Rupiah out = 0;
  if (__builtin_sub_overflow(a, b, &out)) return std::nullopt;
  return out;
}
[[nodiscard]] inline std::optional<Rupiah> checked_mul(Rupiah a, std::int64_t factor) {
  Rupiah out = 0;
  if (__builtin_mul_overflow(a, factor, &out)) return std::nullopt;
  return out;
}
// a * numerator / denominator, rounded toward zero, exact in 128 bits (a rate in per mille, a
// pro-rata share). `denominator` must not be 0.
[[nodiscard]] std::optional<Rupiah> checked_mul_div(Rupiah a, std::int64_t numerator,
                                                    std::int64_t denominator);

// `basis_points` (100 = 1%) of `amount`, rounded half away from zero, exact through 128 bits.
[[nodiscard]] std::optional<Rupiah> checked_rate(Rupiah amount, std::int64_t basis_points);

// Adds `amount` to `total` where validation has bounded every term (amounts, counts, tariffs), so
// that an overflow can only be a bug: it crashes loudly instead of wrapping into a wrong balance.
inline void add_bounded(Rupiah& total, Rupiah amount) {
  const auto sum = checked_add(total, amount);
  JARING_ASSERT(sum.has_value(), "a sum of bounded rupiah amounts overflowed");
  total = *sum;
}

// The sum of `amounts`, or std::nullopt when a partial sum does not fit.
template <typename Range>
[[nodiscard]] std::optional<Rupiah> checked_sum(const Range& amounts) {
  Rupiah total = 0;
  for (const Rupiah amount : amounts) {
    const auto next = checked_add(total, amount);
    if (!next) return std::nullopt;
    total = *next;
  }
  return total;
}

}  // namespace jaring

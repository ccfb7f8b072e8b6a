#include "jaring/common/money.hpp"

#include <limits>
#include <string>

#include "jaring/common/assert.hpp"

namespace jaring {

std::string format_rupiah(Rupiah amount) {
  // Work on the unsigned magnitude: negating INT64_MIN would overflow.
  const bool negative = amount < 0;
  const std::uint64_t magnitude =
      negative ? 0 - static_cast<std::uint64_t>(amount) : static_cast<std::uint64_t>(amount);
  const std::string digits = std::to_string(magnitude);
  std::string out = negative ? "-Rp" : "Rp";
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back('.');
    out.push_back(digits[i]);
  }
  return out;
}

std::optional<Rupiah> checked_mul_div(Rupiah a, std::int64_t numerator, std::int64_t denominator) {
  JARING_ASSERT(denominator != 0, "a rupiah share needs a denominator");
  const __int128 exact = static_cast<__int128>(a) * numerator / denominator;
  if (exact > std::numeric_limits<Rupiah>::max() || exact < std::numeric_limits<Rupiah>::min())
    return std::nullopt;
  return static_cast<Rupiah>(exact);
}

std::optional<Rupiah> checked_rate(Rupiah amount, std::int64_t basis_points) {
  const __int128 scaled = static_cast<__int128>(amount) * basis_points;
  const __int128 exact = (scaled >= 0 ? scaled + 5000 : scaled - 5000) / 10000;
  if (exact > std::numeric_limits<Rupiah>::max() || exact < std::numeric_limits<Rupiah>::min())
    return std::nullopt;
  return static_cast<Rupiah>(exact);
}

}  // namespace jaring

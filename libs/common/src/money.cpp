#include "jaring/common/money.hpp"

#include <string>

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

}  // namespace jaring

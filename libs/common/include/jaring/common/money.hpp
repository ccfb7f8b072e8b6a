#pragma once
// Money is whole rupiah in an int64, never floating point.

#include <cstdint>
#include <string>

namespace jaring {

using Rupiah = std::int64_t;

// Rp16.800, Rp42.000.000, -Rp5.000: the Indonesian way, dots between thousands.
std::string format_rupiah(Rupiah amount);

}  // namespace jaring

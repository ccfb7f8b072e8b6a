#pragma once
// Billing periods as csr-donor sees them: the calendar months in Asia/Jakarta that the
// contribution service bills (jaring::Period).

#include "jaring/common/period.hpp"

namespace jaring::csr {

using Month = Period;

}  // namespace jaring::csr

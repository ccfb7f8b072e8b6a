#pragma once
// The account contribution's tests open unless they say otherwise: a PKK cadre of RW
// 31.75.06.1005.002 in Pulo Gebang, registered by agent a_1 on 10 March 2026, paying for
// themselves at Rp1,000,000 declared income.

#include <string>

#include "core/model.hpp"

namespace jaring::contribution::testing {

// `counted_awaiting`: registration's event counted the worker awaiting (the opening announces
// nothing).
inline Opening sample_opening(const std::string& id, bool counted_awaiting = false) {
  return {id,
          "31.75.06.1005.002",
          "a_1",
          "pulogebang",
          "2026-03-10",
          "",
          "2026-03-10T01:00:00.000Z",
          {"pkk", "self", "jkk+jkm", 1'000'000},
          counted_awaiting};
}

}  // namespace jaring::contribution::testing

#pragma once
// The owners' export streams (the facts coverage counts, for its rebuild): every row of a paged
// store read, then a check that the store held no unpublished event before or after the read.
//
// Why the check: coverage installs the exported facts with the topics' high watermarks read
// around the export, and counts events above them on top. A fact committed but still in the
// outbox when exported would be counted again once published. With the outbox empty at the start
// and at the end, every exported fact is already on the bus, and a change committed during the
// export is either still in the outbox at the end (refused here) or published (the watermarks
// moved: coverage exports again).

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "jaring/common/result.hpp"

namespace jaring {

inline constexpr int kExportPage = 1000;

// `page(after, limit)`: rows with key > after, by key, at most limit; `key(row)`; `unpublished()`:
// the outbox backlog; `sink(row)` returns false to stop (the client went away: not an error).
template <class Row>
Result<void> export_published(const std::function<std::vector<Row>(const std::string&, int)>& page,
                              const std::function<std::string(const Row&)>& key,
                              const std::function<std::int64_t()>& unpublished,
                              const std::function<bool(const Row&)>& sink) {
  const auto check = [&]() -> Result<void> {
    if (const auto backlog = unpublished(); backlog > 0) {
      return fail(Error::unavailable(fmt::format(
          "{} stored events are not published yet: the export would not match the bus; try again", backlog)));
    }
    return {};
  };
  if (auto clear = check(); !clear) return clear;
  std::string after;
  for (;;) {
    const auto rows = page(after, kExportPage);
    for (const auto& row : rows) {
      if (!sink(row)) return {};
    }
    if (static_cast<int>(rows.size()) < kExportPage) break;
    after = key(rows.back());
  }
  return check();
}

}  // namespace jaring

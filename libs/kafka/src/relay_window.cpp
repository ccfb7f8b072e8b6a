#include "jaring/kafka/relay_window.hpp"

#include <algorithm>
#include <iterator>

#include "jaring/common/assert.hpp"

namespace jaring::kafka {

void RelayWindow::handed(std::int64_t id) {
  JARING_ASSERT(id > last_handed_, "rows are handed in id order, each once");
  last_handed_ = id;
  unreported_.insert(unreported_.end(), id);
}

void RelayWindow::reported(std::int64_t id, bool acknowledged) {
  const auto erased = unreported_.erase(id);
  JARING_ASSERT(erased == 1, "a report is for a row in flight, and comes once");
  if (acknowledged) acknowledged_.push_back(id);
}

RelayWindow::Removal RelayWindow::take(bool exact) {
  Removal removal;
  if (acknowledged_.empty()) return removal;
  std::sort(acknowledged_.begin(), acknowledged_.end());
  if (exact) {
    removal.ids = std::move(acknowledged_);
    acknowledged_.clear();
    return removal;
  }
  const auto below = unreported_.empty() ? last_handed_ + 1 : *unreported_.begin();
  const auto end = std::lower_bound(acknowledged_.begin(), acknowledged_.end(), below);
  if (end == acknowledged_.begin()) return removal;
  removal.through = *std::prev(end);
  acknowledged_.erase(acknowledged_.begin(), end);
  return removal;
}

void RelayWindow::restart() {
  JARING_ASSERT(
      unreported_.empty() && acknowledged_.empty(),
      "the outbox is read again from its oldest row only with nothing of it in flight or unremoved");
  last_handed_ = 0;
}

}  // namespace jaring::kafka

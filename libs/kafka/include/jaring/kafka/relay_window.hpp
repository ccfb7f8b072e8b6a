#pragma once
// Which published outbox rows the relay may remove (OutboxRelay): the rows it handed to the
// producer, their reports, and the acknowledged rows not yet removed. Reports come per partition,
// so the acknowledged ids have holes where another partition's reports are still to come.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <vector>

namespace jaring::kafka {

class RelayWindow {
 public:
  // The relay handed the row `id` to the producer; rows are handed in increasing id order.
  void handed(std::int64_t id);
  // The report of a handed row: acknowledged by the broker, or not (failed, or refused and set
  // aside by the relay before it next takes a removal).
  void reported(std::int64_t id, bool acknowledged);
  // Rows handed and not yet reported.
  std::int64_t in_flight() const { return static_cast<std::int64_t>(unreported_.size()); }
  std::size_t acknowledged() const { return acknowledged_.size(); }
  // The highest id handed since the start or the last restart (0: none); the relay reads on from
  // there.
  std::int64_t last_handed() const { return last_handed_; }

  // Rows to remove from the outbox: every row up to `through`, or exactly `ids` (increasing).
  struct Removal {
    std::optional<std::int64_t> through;
    std::vector<std::int64_t> ids;
    bool empty() const { return !through && ids.empty(); }
  };
  // The acknowledged rows below the oldest one still in flight, as one range: rows are read in id
  // order, so below it the outbox holds no row but acknowledged ones (the relay has set the
  // refused ones aside). `exact` (a failed row stays in the outbox, somewhere among them): every
  // acknowledged id, each. Those taken are forgotten.
  Removal take(bool exact);
  // Reading again from the outbox's oldest row (the relay's rewind): nothing may be in flight or
  // acknowledged and not yet removed.
  void restart();

 private:
  std::set<std::int64_t> unreported_;
  std::vector<std::int64_t> acknowledged_;
  std::int64_t last_handed_ = 0;
};

}  // namespace jaring::kafka

#pragma once
// The parts of an event envelope every producer fills the same way: a new event id, the
// producing service, the trace id of the request that caused it, and when it happened.
// Producers set the type and the payload themselves.

#include <string>
#include <string_view>

#include "jaring/common/clock.hpp"
#include "jaring/events/v1/envelope.pb.h"

namespace jaring::events {

// Sets event_id (new, time-ordered), producer, trace_id (the current log trace id) and
// occurred_at (the clock's now) on `envelope`. Within a CauseScope the id is derived instead.
void stamp(v1::Envelope& envelope, std::string_view producer, const Clock& clock);

// While it lives, the events this thread stamps are caused by applying the consumed event
// `cause_id`: the n-th of them gets an id derived from (cause, producer, n) rather than a new
// one. Applying the same event again (a restored store re-reading what it consumed after its
// backup) then produces the same ids, which consumers recognise, never a second copy of a fact.
class CauseScope {
 public:
  explicit CauseScope(std::string_view cause_id);
  ~CauseScope();
  CauseScope(const CauseScope&) = delete;
  CauseScope& operator=(const CauseScope&) = delete;

 private:
  bool owner_ = false;  // this scope set the thread's cause (an inner one leaves it alone)
};

// The id of the `n`-th event `producer` stamps while applying `cause_id`: "e_", the cause's
// 12 hex digits of time when it has them (so ids still sort roughly by time), then a SHA-256 of
// the three, never with a NIK-long run of digits.
std::string derived_event_id(std::string_view cause_id, std::string_view producer, int n);

// When the event happened (its occurred_at) as a time point.
TimePoint occurred_at(const v1::Envelope& envelope);

}  // namespace jaring::events

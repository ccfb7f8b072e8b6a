#pragma once
// The parts of an event envelope every producer fills the same way: a new event id, the
// producing service, the trace id of the request that caused it, and when it happened.
// Producers set the type and the payload themselves.

#include <string_view>

#include "jaring/common/clock.hpp"
#include "jaring/events/v1/envelope.pb.h"

namespace jaring::events {

// Sets event_id (new, time-ordered), producer, trace_id (the current log trace id) and
// occurred_at (the clock's now) on `envelope`.
void stamp(v1::Envelope& envelope, std::string_view producer, const Clock& clock);

// When the event happened (its occurred_at) as a time point.
TimePoint occurred_at(const v1::Envelope& envelope);

}  // namespace jaring::events

#pragma once
// What an envelope on the owners' topics does to the counters: decoded into the core's event,
// planned by the core (coverage.hpp). The consumer applies the result; the fuzz target checks it.

#include <vector>

#include "../core/model.hpp"
#include "jaring/common/result.hpp"
#include "jaring/events/v1/envelope.pb.h"

namespace jaring::coverage {

// The counter changes of one envelope; none for the types coverage does not count; an
// INVALID_ARGUMENT naming the field for an event it cannot count (the consumer dead-letters it).
Result<std::vector<CounterOp>> changes_of(const events::v1::Envelope& envelope);

}  // namespace jaring::coverage

#pragma once
// Turns csr-donor's domain events into outbox rows: an Envelope on jaring.csr.v1, keyed by
// participant id for participant facts (so they stay in order with the worker's other events)
// and by sponsor id for wallet and cohort facts. No NIK, no name.

#include "../core/model.hpp"
#include "jaring/common/clock.hpp"
#include "jaring/store/outbox.hpp"

namespace jaring::csr {

inline constexpr const char* kTopic = "jaring.csr.v1";

store::OutboxMessage encode_event(const Event& event, const Clock& clock);

}  // namespace jaring::csr

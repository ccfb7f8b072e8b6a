#pragma once
// Turns contribution's domain events into outbox rows: an Envelope on jaring.contribution.v1,
// keyed by participant id so that one worker's events stay in order. No NIK, no name.

#include "../core/model.hpp"
#include "jaring/common/clock.hpp"
#include "jaring/store/outbox.hpp"

namespace jaring::contribution {

inline constexpr const char* kTopic = "jaring.contribution.v1";

store::OutboxMessage encode_event(const Event& event, const Clock& clock);

}  // namespace jaring::contribution

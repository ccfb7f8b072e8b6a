#pragma once
// Turns the claims core's events into outbox rows: an Envelope on jaring.claims.v1, keyed by
// participant id so that one worker's events stay in order. No NIK and no name: heirs appear by
// relation only.

#include "../core/model.hpp"
#include "jaring/common/clock.hpp"
#include "jaring/store/outbox.hpp"

namespace jaring::claims {

inline constexpr const char* kTopic = "jaring.claims.v1";

store::OutboxMessage encode_event(const Event& event, const Clock& clock);

}  // namespace jaring::claims

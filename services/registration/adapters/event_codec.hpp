#pragma once
// Turns registration's domain events into outbox rows: an Envelope on jaring.registration.v1,
// keyed so that one worker's (or one RW's) events stay in order. No NIK, no name.

#include <string>

#include "../core/model.hpp"
#include "jaring/common/clock.hpp"
#include "jaring/store/outbox.hpp"

namespace jaring::registration {

inline constexpr const char* kTopic = "jaring.registration.v1";

store::OutboxMessage encode_event(const Event& event, const Clock& clock);
// encode_event(ParticipantRegisteredEvent{participant}), without copying the participant.
store::OutboxMessage encode_registered(const Participant& participant, const Clock& clock);

}  // namespace jaring::registration

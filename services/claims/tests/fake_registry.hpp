#pragma once
// Registration as the claims core asks it, in memory: the participants a test gives it, the
// questions it was asked, and a switch to answer as a registration that is down.

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/ports.hpp"

namespace jaring::claims::testing {

class FakeRegistry final : public Registry {
 public:
  Result<std::optional<Participant>> participant(const std::string& participant_id,
                                                 const std::string& acting_for) override {
    asked.emplace_back(participant_id, acting_for);
    if (down) return fail(Error::unavailable("registration cannot answer now; try again"));
    const auto it = participants.find(participant_id);
    if (it == participants.end()) return std::optional<Participant>();
    return std::optional<Participant>(it->second);
  }

  std::map<std::string, Participant> participants;
  bool down = false;
  std::vector<std::pair<std::string, std::string>> asked;  // participant id, acting for
};

}  // namespace jaring::claims::testing

#pragma once
// Registration's GetParticipantFacts behind the claims core's Registry port: the participant of a
// claim, asked when the claim needs it, with claims' own credential (role `service`) naming the
// user it asks for.

#include <chrono>
#include <memory>
#include <string>

#include "../core/ports.hpp"
#include "jaring/grpc/client.hpp"
#include "jaring/registration/v1/registration.grpc.pb.h"

namespace jaring::claims {

class RegistryClient final : public Registry {
 public:
  RegistryClient(const std::shared_ptr<::grpc::Channel>& channel, grpc::TokenSource token,
                 std::chrono::milliseconds timeout);
  Result<std::optional<Participant>> participant(const std::string& participant_id,
                                                 const std::string& acting_for) override;

 private:
  grpc::Client<registration::v1::RegistrationService> registration_;
};

}  // namespace jaring::claims

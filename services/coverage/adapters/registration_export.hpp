#pragma once
// Registration's export streams over gRPC (ListRws per kelurahan, ExportParticipants), for the
// rebuild and the reconciliation, with coverage's own credential (role `service`, auth.token_file)
// and the user it acts for, if any (the operator running `jaring-coverage rebuild`).

#include <chrono>
#include <memory>
#include <string>

#include "../core/recount.hpp"
#include "jaring/areas/areas.hpp"
#include "jaring/grpc/edge.hpp"
#include "jaring/registration/v1/registration.grpc.pb.h"

namespace jaring::coverage {

class RegistrationExport final : public RegistrationSource {
 public:
  // `channel`: to registration, with the TLS coverage's settings give (service::channel).
  RegistrationExport(std::shared_ptr<::grpc::Channel> channel, const areas::Registry& areas,
                     grpc::TokenSource token, std::string acting_for = {},
                     std::chrono::seconds deadline = std::chrono::seconds(300));
  Result<std::vector<RegisteredRw>> rws() override;
  Result<void> participants(const std::function<void(const ParticipantRow&)>& row) override;

 private:
  std::unique_ptr<registration::v1::RegistrationService::Stub> stub_;
  const areas::Registry& areas_;
  grpc::TokenSource token_;
  std::string acting_for_;
  std::chrono::seconds deadline_;
};

}  // namespace jaring::coverage

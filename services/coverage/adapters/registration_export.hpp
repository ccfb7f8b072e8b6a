#pragma once
// Registration's export streams over gRPC (ListRws per kelurahan, ExportParticipants), for the
// rebuild and the reconciliation.

#include <chrono>
#include <memory>
#include <string>

#include "../core/recount.hpp"
#include "jaring/areas/areas.hpp"
#include "jaring/registration/v1/registration.grpc.pb.h"

namespace jaring::coverage {

class RegistrationExport final : public RegistrationSource {
 public:
  RegistrationExport(const std::string& address, const areas::Registry& areas,
                     std::chrono::seconds deadline = std::chrono::seconds(300));
  Result<std::vector<RegisteredRw>> rws() override;
  Result<void> participants(const std::function<void(const ParticipantRow&)>& row) override;

 private:
  std::unique_ptr<registration::v1::RegistrationService::Stub> stub_;
  const areas::Registry& areas_;
  std::chrono::seconds deadline_;
};

}  // namespace jaring::coverage

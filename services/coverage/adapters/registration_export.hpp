#pragma once
// The owners' export streams over gRPC, for the rebuild and the reconciliation: registration's
// (ListRws per kelurahan, ExportParticipants), contribution's ExportCoverage, csr-donor's
// ExportSponsorships and claims' ExportPaidClaims, each with coverage's own credential (role
// `service`, auth.token_file) and the user it acts for, if any (the operator running
// `jaring-coverage rebuild`).

#include <chrono>
#include <memory>
#include <string>

#include "../core/recount.hpp"
#include "jaring/areas/areas.hpp"
#include "jaring/claims/v1/claims.grpc.pb.h"
#include "jaring/contribution/v1/contribution.grpc.pb.h"
#include "jaring/csr/v1/csr.grpc.pb.h"
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
  std::optional<std::int64_t> unpublished_after_export() const override { return unpublished_; }

 private:
  std::unique_ptr<registration::v1::RegistrationService::Stub> stub_;
  const areas::Registry& areas_;
  grpc::TokenSource token_;
  std::string acting_for_;
  std::chrono::seconds deadline_;
  std::optional<std::int64_t> unpublished_;
};

// Who calls the other owners' exports, and for how long at most.
struct ExportCaller {
  grpc::TokenSource token;
  std::string acting_for;
  std::chrono::seconds deadline{300};
};

class ContributionExport final : public FactSource {
 public:
  ContributionExport(std::shared_ptr<::grpc::Channel> channel, ExportCaller caller);
  Result<void> facts(const std::function<void(const OwnerFact&)>& fact) override;
  std::optional<std::map<std::string, std::int64_t>> applied_before_export(
      const std::string& cluster) const override;

 private:
  std::unique_ptr<contribution::v1::ContributionService::Stub> stub_;
  ExportCaller caller_;
  std::optional<std::string> applied_;  // the last export's trailer
};

class SponsorshipExport final : public FactSource {
 public:
  SponsorshipExport(std::shared_ptr<::grpc::Channel> channel, ExportCaller caller);
  Result<void> facts(const std::function<void(const OwnerFact&)>& fact) override;

 private:
  std::unique_ptr<csr::v1::SponsorService::Stub> stub_;
  ExportCaller caller_;
};

class PaidClaimsExport final : public FactSource {
 public:
  PaidClaimsExport(std::shared_ptr<::grpc::Channel> channel, ExportCaller caller);
  Result<void> facts(const std::function<void(const OwnerFact&)>& fact) override;

 private:
  std::unique_ptr<claims::v1::ClaimsService::Stub> stub_;
  ExportCaller caller_;
};

}  // namespace jaring::coverage

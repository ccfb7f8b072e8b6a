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
#include "jaring/grpc/client.hpp"
#include "jaring/registration/v1/registration.grpc.pb.h"

namespace jaring::coverage {

class RegistrationExport final : public RegistrationSource {
 public:
  // `channel`: to registration, with the TLS coverage's settings give (service::channel).
  RegistrationExport(const std::shared_ptr<::grpc::Channel>& channel, const areas::Registry& areas,
                     grpc::Caller caller);
  Result<std::vector<RegisteredRw>> rws() override;
  Result<void> participants(const std::function<void(const ParticipantRow&)>& row) override;
  std::optional<std::int64_t> unpublished_after_export() const override { return unpublished_; }

 private:
  grpc::Client<registration::v1::RegistrationService> registration_;
  const areas::Registry& areas_;
  std::optional<std::int64_t> unpublished_;
};

// How the exports are called: with coverage's credential, for the user given (if any), each
// export stream for at most five minutes.
grpc::Caller export_caller(grpc::TokenSource token, std::string acting_for = {});

class ContributionExport final : public FactSource {
 public:
  ContributionExport(const std::shared_ptr<::grpc::Channel>& channel, grpc::Caller caller);
  Result<void> facts(const std::function<void(const OwnerFact&)>& fact) override;
  std::optional<std::map<std::string, std::int64_t>> applied_before_export(
      const std::string& cluster) const override;

 private:
  grpc::Client<contribution::v1::ContributionService> contribution_;
  std::optional<std::string> applied_;  // the last export's trailer
};

class SponsorshipExport final : public FactSource {
 public:
  SponsorshipExport(const std::shared_ptr<::grpc::Channel>& channel, grpc::Caller caller);
  Result<void> facts(const std::function<void(const OwnerFact&)>& fact) override;

 private:
  grpc::Client<csr::v1::SponsorService> csr_donor_;
};

class PaidClaimsExport final : public FactSource {
 public:
  PaidClaimsExport(const std::shared_ptr<::grpc::Channel>& channel, grpc::Caller caller);
  Result<void> facts(const std::function<void(const OwnerFact&)>& fact) override;

 private:
  grpc::Client<claims::v1::ClaimsService> claims_;
};

}  // namespace jaring::coverage

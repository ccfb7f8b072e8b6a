#pragma once
// The two synchronous questions csr-donor asks other services while a user waits: the monthly
// contribution for a budget quote (the contribution service's Quote, so that the tariffs have one
// source of truth) and the registration of new workers listed in a proposal (registration's
// RegisterBulk stream). Both calls carry csr-donor's own credential (role `service`) and name the
// user they are made for, whom the callee records.

#include <chrono>
#include <memory>
#include <string>

#include "../core/ports.hpp"
#include "jaring/contribution/v1/contribution.grpc.pb.h"
#include "jaring/grpc/client.hpp"
#include "jaring/registration/v1/registration.grpc.pb.h"

namespace jaring::csr {

class ContributionTariffs final : public Tariffs {
 public:
  ContributionTariffs(const std::shared_ptr<::grpc::Channel>& channel, grpc::TokenSource token,
                      std::chrono::milliseconds timeout);
  Result<Rupiah> monthly(Month period, const Terms& terms, const std::string& acting_for) override;

 private:
  grpc::Client<contribution::v1::ContributionService> contribution_;
};

class RegistrationClient final : public Registrar {
 public:
  RegistrationClient(const std::shared_ptr<::grpc::Channel>& channel, grpc::TokenSource token,
                     std::chrono::milliseconds timeout);
  Result<std::vector<Registered>> register_workers(const std::vector<ProposalInput>& rows,
                                                   const std::string& submitted_by) override;

 private:
  grpc::Client<registration::v1::RegistrationService> registration_;
};

}  // namespace jaring::csr

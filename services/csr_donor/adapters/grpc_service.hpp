#pragma once
// SponsorService over gRPC: converts messages to and from the core's types. Every handler runs
// through the edge (authentication, the access table, audit, errors) and hands the caller's
// subject and scope to the core, which applies the scope (csr.hpp).

#include "../core/csr.hpp"
#include "jaring/csr/v1/csr.grpc.pb.h"
#include "jaring/grpc/edge.hpp"

namespace jaring::csr {

class GrpcService final : public v1::SponsorService::Service {
 public:
  inline static const std::string kName = "jaring.csr.v1.SponsorService";
  GrpcService(CsrDonor& core, grpc::Edge& edge) : core_(core), edge_(edge) {}

  ::grpc::Status CreateSponsor(::grpc::ServerContext* context, const v1::CreateSponsorRequest* request,
                               v1::Sponsor* reply) override;
  ::grpc::Status ListSponsors(::grpc::ServerContext* context, const v1::ListSponsorsRequest* request,
                              v1::ListSponsorsResponse* reply) override;
  ::grpc::Status GetSponsor(::grpc::ServerContext* context, const v1::GetSponsorRequest* request,
                            v1::Sponsor* reply) override;
  ::grpc::Status Deposit(::grpc::ServerContext* context, const v1::DepositRequest* request,
                         v1::DepositResult* reply) override;
  ::grpc::Status GetLedger(::grpc::ServerContext* context, const v1::GetLedgerRequest* request,
                           v1::Ledger* reply) override;
  ::grpc::Status QuoteCohort(::grpc::ServerContext* context, const v1::CohortSpec* request,
                             v1::Budget* reply) override;
  ::grpc::Status CreateCohort(::grpc::ServerContext* context, const v1::CreateCohortRequest* request,
                              v1::Cohort* reply) override;
  ::grpc::Status EndCohort(::grpc::ServerContext* context, const v1::EndCohortRequest* request,
                           v1::Cohort* reply) override;
  ::grpc::Status ListCohorts(::grpc::ServerContext* context, const v1::ListCohortsRequest* request,
                             v1::ListCohortsResponse* reply) override;
  ::grpc::Status GetCohort(::grpc::ServerContext* context, const v1::GetCohortRequest* request,
                           v1::Cohort* reply) override;
  ::grpc::Status SubmitProposal(::grpc::ServerContext* context, const v1::SubmitProposalRequest* request,
                                v1::Proposal* reply) override;
  ::grpc::Status ListProposals(::grpc::ServerContext* context, const v1::ListProposalsRequest* request,
                               v1::ListProposalsResponse* reply) override;
  ::grpc::Status GetProposal(::grpc::ServerContext* context, const v1::GetProposalRequest* request,
                             v1::Proposal* reply) override;
  ::grpc::Status AcceptProposal(::grpc::ServerContext* context, const v1::AcceptProposalRequest* request,
                                v1::AcceptProposalResult* reply) override;
  ::grpc::Status RejectProposalItems(::grpc::ServerContext* context,
                                     const v1::RejectProposalItemsRequest* request,
                                     v1::Proposal* reply) override;
  ::grpc::Status ExportSponsorships(::grpc::ServerContext* context,
                                    const v1::ExportSponsorshipsRequest* request,
                                    ::grpc::ServerWriter<v1::Sponsorship>* writer) override;
  ::grpc::Status GetImpact(::grpc::ServerContext* context, const v1::ImpactRequest* request,
                           v1::ImpactReport* reply) override;

 private:
  CsrDonor& core_;
  grpc::Edge& edge_;
};

}  // namespace jaring::csr

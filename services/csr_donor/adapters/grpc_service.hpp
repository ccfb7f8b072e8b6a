#pragma once
// SponsorService over gRPC: converts messages to and from the core's types. Every handler runs
// through the edge (authentication, the access table, audit, errors) and hands the caller's
// subject and scope to the core, which applies the scope (csr.hpp).

#include "../core/csr.hpp"
#include "jaring/csr/v1/csr.grpc.pb.h"
#include "jaring/grpc/edge.hpp"

namespace jaring::csr {

// CreateSponsor, Deposit: writes of one record, run where gRPC receives them (grpc/edge.hpp, answer_inline);
// everything else on the synchronous server's pool.
using ServiceBase = v1::SponsorService::WithCallbackMethod_CreateSponsor<
    v1::SponsorService::WithCallbackMethod_Deposit<v1::SponsorService::Service>>;

class GrpcService final : public ServiceBase {
 public:
  inline static const std::string kName = "jaring.csr.v1.SponsorService";
  GrpcService(CsrDonor& core, grpc::Edge& edge) : core_(core), edge_(edge) {}

  ::grpc::ServerUnaryReactor* CreateSponsor(::grpc::CallbackServerContext* context,
                                            const v1::CreateSponsorRequest* request,
                                            v1::Sponsor* reply) override {
    return grpc::answer_inline(context, create_sponsor(context, request, reply));
  }
  ::grpc::Status ListSponsors(::grpc::ServerContext* context, const v1::ListSponsorsRequest* request,
                              v1::ListSponsorsResponse* reply) override;
  ::grpc::Status GetSponsor(::grpc::ServerContext* context, const v1::GetSponsorRequest* request,
                            v1::Sponsor* reply) override;
  ::grpc::ServerUnaryReactor* Deposit(::grpc::CallbackServerContext* context,
                                      const v1::DepositRequest* request, v1::DepositResult* reply) override {
    return grpc::answer_inline(context, deposit(context, request, reply));
  }
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

  // The callback methods' handlers, each through the edge (the fuzz target calls them directly).
  ::grpc::Status create_sponsor(::grpc::ServerContextBase* context, const v1::CreateSponsorRequest* request,
                                v1::Sponsor* reply);
  ::grpc::Status deposit(::grpc::ServerContextBase* context, const v1::DepositRequest* request,
                         v1::DepositResult* reply);

 private:
  CsrDonor& core_;
  grpc::Edge& edge_;
};

}  // namespace jaring::csr

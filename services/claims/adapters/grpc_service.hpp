#pragma once
// ClaimsService over gRPC: converts messages to and from the core's types. Every handler runs
// through the edge (authentication, the access table, audit, errors) and hands the core the
// verified caller (subject and roles, for maker-checker and the history) and the call's scope:
// a claim out of scope is NOT_FOUND, lists hold only in-scope claims.

#include "../core/claims.hpp"
#include "jaring/claims/v1/claims.grpc.pb.h"
#include "jaring/grpc/edge.hpp"

namespace jaring::claims {

class GrpcService final : public v1::ClaimsService::Service {
 public:
  inline static const std::string kName = "jaring.claims.v1.ClaimsService";
  GrpcService(Claims& core, grpc::Edge& edge) : core_(core), edge_(edge) {}

  ::grpc::Status FileClaim(::grpc::ServerContext* context, const v1::FileClaimRequest* request,
                           v1::Claim* reply) override;
  ::grpc::Status AttachDocuments(::grpc::ServerContext* context, const v1::AttachDocumentsRequest* request,
                                 v1::Claim* reply) override;
  ::grpc::Status VerifyClaim(::grpc::ServerContext* context, const v1::VerifyClaimRequest* request,
                             v1::Claim* reply) override;
  ::grpc::Status ApproveClaim(::grpc::ServerContext* context, const v1::ApproveClaimRequest* request,
                              v1::Claim* reply) override;
  ::grpc::Status PayClaim(::grpc::ServerContext* context, const v1::PayClaimRequest* request,
                          v1::Claim* reply) override;
  ::grpc::Status RejectClaim(::grpc::ServerContext* context, const v1::RejectClaimRequest* request,
                             v1::Claim* reply) override;
  ::grpc::Status GetClaim(::grpc::ServerContext* context, const v1::GetClaimRequest* request,
                          v1::Claim* reply) override;
  ::grpc::Status ListClaims(::grpc::ServerContext* context, const v1::ListClaimsRequest* request,
                            v1::ListClaimsResponse* reply) override;
  ::grpc::Status ListScholarshipsDue(::grpc::ServerContext* context,
                                     const v1::ListScholarshipsDueRequest* request,
                                     v1::ListScholarshipsDueResponse* reply) override;
  ::grpc::Status ExportPaidClaims(::grpc::ServerContext* context, const v1::ExportPaidClaimsRequest* request,
                                  ::grpc::ServerWriter<v1::PaidClaim>* writer) override;
  ::grpc::Status CheckEligibility(::grpc::ServerContext* context, const v1::CheckEligibilityRequest* request,
                                  v1::Eligibility* reply) override;

 private:
  Claims& core_;
  grpc::Edge& edge_;
};

// The API form of a claim (the claimant's NIK is never sent back).
void to_proto(const Claim& claim, v1::Claim* out, bool with_history);

}  // namespace jaring::claims

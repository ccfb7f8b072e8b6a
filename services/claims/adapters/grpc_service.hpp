#pragma once
// ClaimsService over gRPC: converts messages to and from the core's types. Every handler runs
// through the edge (authentication, the access table, audit, errors) and hands the core the
// verified caller (subject and roles, for maker-checker and the history) and the call's scope:
// a claim out of scope is NOT_FOUND, lists hold only in-scope claims.

#include "../core/claims.hpp"
#include "jaring/claims/v1/claims.grpc.pb.h"
#include "jaring/grpc/edge.hpp"

namespace jaring::claims {

// FileClaim, AttachDocuments, VerifyClaim, ApproveClaim, PayClaim, RejectClaim: writes of one record, run
// where gRPC receives them (grpc/edge.hpp, answer_inline); everything else on the synchronous server's pool.
using ServiceBase = v1::ClaimsService::WithCallbackMethod_FileClaim<
    v1::ClaimsService::WithCallbackMethod_AttachDocuments<v1::ClaimsService::WithCallbackMethod_VerifyClaim<
        v1::ClaimsService::WithCallbackMethod_ApproveClaim<v1::ClaimsService::WithCallbackMethod_PayClaim<
            v1::ClaimsService::WithCallbackMethod_RejectClaim<v1::ClaimsService::Service>>>>>>;

class GrpcService final : public ServiceBase {
 public:
  inline static const std::string kName = "jaring.claims.v1.ClaimsService";
  GrpcService(Claims& core, grpc::Edge& edge) : core_(core), edge_(edge) {}

  ::grpc::ServerUnaryReactor* FileClaim(::grpc::CallbackServerContext* context,
                                        const v1::FileClaimRequest* request, v1::Claim* reply) override {
    return grpc::answer_inline(context, file_claim(context, request, reply));
  }
  ::grpc::ServerUnaryReactor* AttachDocuments(::grpc::CallbackServerContext* context,
                                              const v1::AttachDocumentsRequest* request,
                                              v1::Claim* reply) override {
    return grpc::answer_inline(context, attach_documents(context, request, reply));
  }
  ::grpc::ServerUnaryReactor* VerifyClaim(::grpc::CallbackServerContext* context,
                                          const v1::VerifyClaimRequest* request, v1::Claim* reply) override {
    return grpc::answer_inline(context, verify_claim(context, request, reply));
  }
  ::grpc::ServerUnaryReactor* ApproveClaim(::grpc::CallbackServerContext* context,
                                           const v1::ApproveClaimRequest* request,
                                           v1::Claim* reply) override {
    return grpc::answer_inline(context, approve_claim(context, request, reply));
  }
  ::grpc::ServerUnaryReactor* PayClaim(::grpc::CallbackServerContext* context,
                                       const v1::PayClaimRequest* request, v1::Claim* reply) override {
    return grpc::answer_inline(context, pay_claim(context, request, reply));
  }
  ::grpc::ServerUnaryReactor* RejectClaim(::grpc::CallbackServerContext* context,
                                          const v1::RejectClaimRequest* request, v1::Claim* reply) override {
    return grpc::answer_inline(context, reject_claim(context, request, reply));
  }
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

  // The callback methods' handlers, each through the edge (the fuzz target calls them directly).
  ::grpc::Status file_claim(::grpc::ServerContextBase* context, const v1::FileClaimRequest* request,
                            v1::Claim* reply);
  ::grpc::Status attach_documents(::grpc::ServerContextBase* context,
                                  const v1::AttachDocumentsRequest* request, v1::Claim* reply);
  ::grpc::Status verify_claim(::grpc::ServerContextBase* context, const v1::VerifyClaimRequest* request,
                              v1::Claim* reply);
  ::grpc::Status approve_claim(::grpc::ServerContextBase* context, const v1::ApproveClaimRequest* request,
                               v1::Claim* reply);
  ::grpc::Status pay_claim(::grpc::ServerContextBase* context, const v1::PayClaimRequest* request,
                           v1::Claim* reply);
  ::grpc::Status reject_claim(::grpc::ServerContextBase* context, const v1::RejectClaimRequest* request,
                              v1::Claim* reply);

 private:
  Claims& core_;
  grpc::Edge& edge_;
};

// The API form of a claim (the claimant's NIK is never sent back).
void to_proto(const Claim& claim, v1::Claim* out, bool with_history);

}  // namespace jaring::claims

#pragma once
// ContributionService over gRPC: converts messages to and from the core's types. Every handler
// runs through the edge (authentication, the access table, audit, errors) and hands the core the
// caller's subject and scope: an account out of scope is NOT_FOUND, lists hold only in-scope rows,
// payments are recorded under the caller's subject.

#include <functional>
#include <string>

#include "../core/contribution.hpp"
#include "jaring/contribution/v1/contribution.grpc.pb.h"
#include "jaring/grpc/edge.hpp"

namespace jaring::contribution {

// MakePayment, ReversePayment: writes of one record, run where gRPC receives them (grpc/edge.hpp,
// answer_inline); everything else on the synchronous server's pool.
using ServiceBase = v1::ContributionService::WithCallbackMethod_MakePayment<
    v1::ContributionService::WithCallbackMethod_ReversePayment<v1::ContributionService::Service>>;

class GrpcService final : public ServiceBase {
 public:
  inline static const std::string kName = "jaring.contribution.v1.ContributionService";
  // `applied`: how far the store has applied the topics it follows (store::consumer_positions_text),
  // sent with ExportCoverage's rows.
  GrpcService(Contribution& core, grpc::Edge& edge, std::function<std::string()> applied = {})
      : core_(core), edge_(edge), applied_(std::move(applied)) {}

  ::grpc::Status RunBilling(::grpc::ServerContext* context, const v1::RunBillingRequest* request,
                            v1::BillingRun* reply) override;
  ::grpc::ServerUnaryReactor* MakePayment(::grpc::CallbackServerContext* context,
                                          const v1::PaymentRequest* request, v1::Payment* reply) override {
    return grpc::answer_inline(context, make_payment(context, request, reply));
  }
  ::grpc::Status MakeBatchPayment(::grpc::ServerContext* context, const v1::BatchPaymentRequest* request,
                                  v1::BatchPaymentResult* reply) override;
  ::grpc::ServerUnaryReactor* ReversePayment(::grpc::CallbackServerContext* context,
                                             const v1::ReversePaymentRequest* request,
                                             v1::Payment* reply) override {
    return grpc::answer_inline(context, reverse_payment(context, request, reply));
  }
  ::grpc::Status GetAccount(::grpc::ServerContext* context, const v1::GetAccountRequest* request,
                            v1::Account* reply) override;
  ::grpc::Status GetStatement(::grpc::ServerContext* context, const v1::GetStatementRequest* request,
                              v1::Statement* reply) override;
  ::grpc::Status ListArrears(::grpc::ServerContext* context, const v1::ListArrearsRequest* request,
                             v1::ListArrearsResponse* reply) override;
  ::grpc::Status CoverageAt(::grpc::ServerContext* context, const v1::CoverageAtRequest* request,
                            v1::CoverageAtResponse* reply) override;
  ::grpc::Status Quote(::grpc::ServerContext* context, const v1::QuoteRequest* request,
                       v1::Charge* reply) override;
  ::grpc::Status ExportCoverage(::grpc::ServerContext* context, const v1::ExportCoverageRequest* request,
                                ::grpc::ServerWriter<v1::AccountCoverage>* writer) override;
  ::grpc::Status GetSettlement(::grpc::ServerContext* context, const v1::SettlementRequest* request,
                               v1::SettlementReport* reply) override;

  // The callback methods' handlers, each through the edge (the fuzz target calls them directly).
  ::grpc::Status make_payment(::grpc::ServerContextBase* context, const v1::PaymentRequest* request,
                              v1::Payment* reply);
  ::grpc::Status reverse_payment(::grpc::ServerContextBase* context, const v1::ReversePaymentRequest* request,
                                 v1::Payment* reply);

 private:
  // The account if the scope reaches it; NOT_FOUND alike for one that does not exist.
  Result<Account> visible(const std::string& participant_id, const auth::Scope& scope);
  Contribution& core_;
  grpc::Edge& edge_;
  std::function<std::string()> applied_;
};

}  // namespace jaring::contribution

#pragma once
// ContributionService over gRPC: converts messages to and from the core's types and maps the
// core's errors to gRPC status codes (libs/grpc does the mapping, in one place).

#include "../core/contribution.hpp"
#include "jaring/contribution/v1/contribution.grpc.pb.h"

namespace jaring::contribution {

class GrpcService final : public v1::ContributionService::Service {
 public:
  explicit GrpcService(Contribution& core) : core_(core) {}

  ::grpc::Status RunBilling(::grpc::ServerContext* context, const v1::RunBillingRequest* request,
                            v1::BillingRun* reply) override;
  ::grpc::Status MakePayment(::grpc::ServerContext* context, const v1::PaymentRequest* request,
                             v1::Payment* reply) override;
  ::grpc::Status MakeBatchPayment(::grpc::ServerContext* context, const v1::BatchPaymentRequest* request,
                                  v1::BatchPaymentResult* reply) override;
  ::grpc::Status ReversePayment(::grpc::ServerContext* context, const v1::ReversePaymentRequest* request,
                                v1::Payment* reply) override;
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
  ::grpc::Status GetSettlement(::grpc::ServerContext* context, const v1::SettlementRequest* request,
                               v1::SettlementReport* reply) override;

 private:
  Contribution& core_;
};

}  // namespace jaring::contribution

#pragma once
// CoverageService over gRPC.

#include "../core/coverage.hpp"
#include "jaring/coverage/v1/coverage.grpc.pb.h"

namespace jaring::coverage {

void to_proto(const RwCoverage& rw, v1::RwCoverage* out);

class GrpcService final : public v1::CoverageService::Service {
 public:
  explicit GrpcService(Queries& queries) : queries_(queries) {}

  ::grpc::Status GetRwCoverage(::grpc::ServerContext* context, const v1::GetRwCoverageRequest* request,
                               v1::RwCoverage* reply) override;
  ::grpc::Status ListRwCoverage(::grpc::ServerContext* context, const v1::ListRwCoverageRequest* request,
                                v1::ListRwCoverageResponse* reply) override;

 private:
  Queries& queries_;
};

}  // namespace jaring::coverage

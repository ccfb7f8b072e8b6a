#pragma once
// CoverageService over gRPC.

#include "../core/change_feed.hpp"
#include "../core/coverage.hpp"
#include "../core/evaluation.hpp"
#include "jaring/coverage/v1/coverage.grpc.pb.h"

namespace jaring::coverage {

void to_proto(const RwCoverage& rw, v1::RwCoverage* out);
void to_proto(const AreaSummary& area, v1::AreaSummary* out);
void to_proto(const AreaCoverage& area, v1::AreaCoverage* out);

class GrpcService final : public v1::CoverageService::Service {
 public:
  GrpcService(Queries& queries, ChangeFeed& feed, Evaluation& evaluation)
      : queries_(queries), feed_(feed), evaluation_(evaluation) {}

  ::grpc::Status GetRwCoverage(::grpc::ServerContext* context, const v1::GetRwCoverageRequest* request,
                               v1::RwCoverage* reply) override;
  ::grpc::Status ListRwCoverage(::grpc::ServerContext* context, const v1::ListRwCoverageRequest* request,
                                v1::ListRwCoverageResponse* reply) override;
  ::grpc::Status GetAreaCoverage(::grpc::ServerContext* context, const v1::GetAreaCoverageRequest* request,
                                 v1::AreaCoverage* reply) override;
  ::grpc::Status ListBranchCoverage(::grpc::ServerContext* context,
                                    const v1::ListBranchCoverageRequest* request,
                                    v1::ListBranchCoverageResponse* reply) override;
  ::grpc::Status RankRws(::grpc::ServerContext* context, const v1::RankRwsRequest* request,
                         v1::RankRwsResponse* reply) override;
  ::grpc::Status WatchCoverage(::grpc::ServerContext* context, const v1::WatchCoverageRequest* request,
                               ::grpc::ServerWriter<v1::AreaCoverage>* writer) override;
  ::grpc::Status CreateSnapshot(::grpc::ServerContext* context, const v1::CreateSnapshotRequest* request,
                                v1::Snapshot* reply) override;
  ::grpc::Status ListSnapshots(::grpc::ServerContext* context, const v1::ListSnapshotsRequest* request,
                               v1::ListSnapshotsResponse* reply) override;
  ::grpc::Status GetReport(::grpc::ServerContext* context, const v1::GetReportRequest* request,
                           v1::Report* reply) override;

 private:
  Queries& queries_;
  ChangeFeed& feed_;
  Evaluation& evaluation_;
};

}  // namespace jaring::coverage

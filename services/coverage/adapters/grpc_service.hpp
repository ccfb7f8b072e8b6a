#pragma once
// CoverageService over gRPC. Every handler runs through the edge (authentication, the access
// table, audit, errors). The answers are aggregates without personal data, open to every role;
// CreateSnapshot is for admins, audited in the snapshot's own transaction.

#include "../core/change_feed.hpp"
#include "../core/coverage.hpp"
#include "../core/evaluation.hpp"
#include "jaring/coverage/v1/coverage.grpc.pb.h"
#include "jaring/grpc/edge.hpp"

namespace jaring::coverage {

void to_proto(const RwCoverage& rw, v1::RwCoverage* out);
void to_proto(const AreaSummary& area, v1::AreaSummary* out);
void to_proto(const AreaCoverage& area, v1::AreaCoverage* out);

class GrpcService final : public v1::CoverageService::Service {
 public:
  inline static const std::string kName = "jaring.coverage.v1.CoverageService";
  GrpcService(Queries& queries, ChangeFeed& feed, Evaluation& evaluation, grpc::Edge& edge)
      : queries_(queries), feed_(feed), evaluation_(evaluation), edge_(edge) {}

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
  grpc::Edge& edge_;
};

}  // namespace jaring::coverage

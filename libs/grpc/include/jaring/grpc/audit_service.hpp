#pragma once
// jaring.audit.v1.AuditService on a service's gRPC port: its audit trail, for auditors only
// (through the edge like every RPC). Nothing here changes a record.

#include "jaring/audit/trail.hpp"
#include "jaring/audit/v1/audit.grpc.pb.h"
#include "jaring/grpc/edge.hpp"

namespace jaring::grpc {

class AuditService final : public jaring::audit::v1::AuditService::Service {
 public:
  // `edge` must be the edge of jaring.audit.v1.AuditService.
  AuditService(Edge& edge, jaring::audit::Trail& trail) : edge_(edge), trail_(trail) {}
  ::grpc::Status ListAuditRecords(::grpc::ServerContext* context,
                                  const jaring::audit::v1::ListAuditRecordsRequest* request,
                                  jaring::audit::v1::ListAuditRecordsResponse* reply) override;

 private:
  Edge& edge_;
  jaring::audit::Trail& trail_;
};

}  // namespace jaring::grpc

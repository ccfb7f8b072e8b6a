#include "jaring/grpc/audit_service.hpp"

namespace jaring::grpc {

::grpc::Status AuditService::ListAuditRecords(::grpc::ServerContext* context,
                                              const jaring::audit::v1::ListAuditRecordsRequest* request,
                                              jaring::audit::v1::ListAuditRecordsResponse* reply) {
  return edge_.serve(context, "ListAuditRecords", request, nullptr, [&](const Call&) {
    jaring::audit::Query query;
    query.subject = auth::normalise_subject(request->subject());
    query.id = request->id();
    query.from = request->from();
    query.to = request->to();
    query.limit = request->limit();
    query.trace_id = request->trace_id();
    for (const auto& r : trail_.find(query)) {
      auto* out = reply->add_records();
      out->set_audit_id(r.audit_id);
      out->set_at(r.at);
      out->set_service(r.service);
      out->set_subject(r.subject);
      out->set_acting_for(r.acting_for);
      out->set_roles(r.roles);
      out->set_method(r.method);
      for (const auto& id : r.ids) out->add_ids(id);
      out->set_result(r.result);
      out->set_trace_id(r.trace_id);
    }
    return ::grpc::Status::OK;
  });
}

}  // namespace jaring::grpc

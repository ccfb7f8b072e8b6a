#include "jaring/grpc/audit_service.hpp"

#include <regex>

#include "jaring/grpc/server.hpp"

namespace jaring::grpc {
namespace {

// A time as the trail writes it (UTC, milliseconds: 2026-11-30T09:00:00.000Z), since the trail
// compares times as text; nullopt when `text` is not RFC 3339 in UTC.
std::optional<std::string> trail_time(const std::string& text) {
  static const std::regex kUtc(R"((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.(\d{1,9}))?Z)");
  std::smatch m;
  if (!std::regex_match(text, m, kUtc)) return std::nullopt;
  auto fraction = m[3].str();
  fraction.resize(3, '0');
  return m[1].str() + "." + fraction + "Z";
}

}  // namespace

::grpc::Status AuditService::ListAuditRecords(::grpc::ServerContext* context,
                                              const jaring::audit::v1::ListAuditRecordsRequest* request,
                                              jaring::audit::v1::ListAuditRecordsResponse* reply) {
  return edge_.serve(context, "ListAuditRecords", request, nullptr, [&](const Call&) {
    std::vector<FieldViolation> bad;
    const auto from = request->from().empty() ? std::optional<std::string>("") : trail_time(request->from());
    const auto to = request->to().empty() ? std::optional<std::string>("") : trail_time(request->to());
    if (!from) bad.push_back({"from", "must be RFC 3339 in UTC, e.g. 2026-11-30T09:00:00Z"});
    if (!to) bad.push_back({"to", "must be RFC 3339 in UTC, e.g. 2026-12-01T00:00:00Z"});
    if (request->limit() < 0 || request->limit() > 1000)
      bad.push_back({"limit", "must be from 1 to 1000 (0 for 100)"});
    if (!bad.empty()) return to_status(Error::invalid(std::move(bad)));
    jaring::audit::Query query;
    query.subject = auth::normalise_subject(request->subject());
    query.id = request->id();
    query.from = *from;
    query.to = *to;
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

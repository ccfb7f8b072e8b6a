#include "grpc_service.hpp"

#include <algorithm>

#include "jaring/grpc/server.hpp"
#include "report_render.hpp"

namespace jaring::coverage {
namespace {

void to_proto(const Counters& c, v1::Counters* out) {
  out->set_registered(c.registered);
  out->set_active(c.active);
  out->set_arrears(c.arrears);
  out->set_lapsed(c.lapsed);
  out->set_sponsored(c.sponsored);
  out->set_claims_paid(c.claims_paid);
  out->set_claims_paid_rupiah(c.claims_paid_rupiah);
  out->set_registrations(c.registrations);
  out->set_awaiting(c.awaiting);
}

void to_proto(const Snapshot& s, v1::Snapshot* out) {
  out->set_snapshot_id(s.id);
  out->set_period(s.period);
  out->set_as_of(s.as_of);
  out->set_taken_at(s.taken_at);
  out->set_rw_count(s.rw_count);
  out->set_kind(s.kind);
}

}  // namespace

void to_proto(const RwCoverage& rw, v1::RwCoverage* out) {
  out->set_rw_code(rw.rw_code);
  out->set_kelurahan_code(rw.kelurahan_code);
  out->set_target(rw.target);
  out->set_deactivated(!rw.active);
  to_proto(rw.counters, out->mutable_counters());
}

void to_proto(const AreaSummary& a, v1::AreaSummary* out) {
  out->set_code(a.code);
  out->set_name(a.name);
  out->set_level(to_string(a.level));
  to_proto(a.totals, out->mutable_totals());
  out->set_rw_count(a.rw_count);
  out->set_rws_at_target(a.rws_at_target);
  out->set_target(a.target);
  out->set_share_at_target(a.share_at_target());
}

void to_proto(const AreaCoverage& a, v1::AreaCoverage* out) {
  to_proto(a.summary, out->mutable_summary());
  for (const auto& c : a.children) to_proto(c, out->add_children());
  for (const auto& rw : a.rws) to_proto(rw, out->add_rws());
}

::grpc::Status GrpcService::GetRwCoverage(::grpc::ServerContext* context,
                                          const v1::GetRwCoverageRequest* request, v1::RwCoverage* reply) {
  return edge_.serve(context, "GetRwCoverage", request, reply, [&](const grpc::Call&) {
    auto rw = queries_.rw(request->rw_code());
    if (!rw) return grpc::to_status(rw.error());
    to_proto(*rw, reply);
    return ::grpc::Status::OK;
  });
}

::grpc::Status GrpcService::ListRwCoverage(::grpc::ServerContext* context,
                                           const v1::ListRwCoverageRequest* request,
                                           v1::ListRwCoverageResponse* reply) {
  return edge_.serve(context, "ListRwCoverage", request, reply, [&](const grpc::Call&) {
    auto kelurahan = queries_.kelurahan(request->kelurahan_code());
    if (!kelurahan) return grpc::to_status(kelurahan.error());
    reply->set_kelurahan_code(kelurahan->kelurahan_code);
    for (const auto& rw : kelurahan->rws) to_proto(rw, reply->add_rws());
    to_proto(kelurahan->totals, reply->mutable_totals());
    reply->set_rws_at_target(kelurahan->rws_at_target);
    return ::grpc::Status::OK;
  });
}

::grpc::Status GrpcService::GetAreaCoverage(::grpc::ServerContext* context,
                                            const v1::GetAreaCoverageRequest* request,
                                            v1::AreaCoverage* reply) {
  return edge_.serve(context, "GetAreaCoverage", request, reply, [&](const grpc::Call&) {
    auto area = queries_.area(request->area_code());
    if (!area) return grpc::to_status(area.error());
    to_proto(*area, reply);
    return ::grpc::Status::OK;
  });
}

::grpc::Status GrpcService::ListBranchCoverage(::grpc::ServerContext* context,
                                               const v1::ListBranchCoverageRequest* request,
                                               v1::ListBranchCoverageResponse* reply) {
  return edge_.serve(context, "ListBranchCoverage", request, reply, [&](const grpc::Call&) {
    auto branches = queries_.branches();
    if (!branches) return grpc::to_status(branches.error());
    for (const auto& b : *branches) to_proto(b, reply->add_branches());
    return ::grpc::Status::OK;
  });
}

::grpc::Status GrpcService::RankRws(::grpc::ServerContext* context, const v1::RankRwsRequest* request,
                                    v1::RankRwsResponse* reply) {
  return edge_.serve(context, "RankRws", request, reply, [&](const grpc::Call&) {
    if (request->limit() < 0 || request->limit() > 100) {
      return grpc::to_status(Error::invalid({{"limit", "must be between 1 and 100 (0 means 10)"}}));
    }
    const auto limit = static_cast<std::size_t>(request->limit() == 0 ? 10 : request->limit());
    auto rws = queries_.rws_under(request->area_code());
    if (!rws) return grpc::to_status(rws.error());
    const auto order = ranked(std::move(*rws));
    for (std::size_t i = 0; i < std::min(limit, order.size()); ++i) {
      to_proto(order[i], reply->add_top());
      to_proto(order[order.size() - 1 - i], reply->add_bottom());
    }
    return ::grpc::Status::OK;
  });
}

::grpc::Status GrpcService::WatchCoverage(::grpc::ServerContext* context,
                                          const v1::WatchCoverageRequest* request,
                                          ::grpc::ServerWriter<v1::AreaCoverage>* writer) {
  return edge_.serve(context, "WatchCoverage", request, nullptr, [&](const grpc::Call&) {
    auto area = queries_.areas().describe(request->area_code());
    if (!area) return grpc::to_status(area.error());
    const auto& areas = queries_.areas();
    // Subscribe before the first read, so that no change falls between the two.
    auto subscription =
        feed_.subscribe([&areas, a = *area](const std::string& rw) { return areas.contains(a, rw); });
    bool send = true;
    while (!context->IsCancelled() && !subscription->closed()) {
      if (send) {
        auto now = queries_.area(request->area_code());
        if (!now) return grpc::to_status(now.error());
        v1::AreaCoverage message;
        to_proto(*now, &message);
        if (!writer->Write(message)) return ::grpc::Status::OK;  // the client left
      }
      // Wake up now and then to notice a cancelled call.
      send = !subscription->wait(std::chrono::seconds(1)).empty();
    }
    return ::grpc::Status::OK;
  });
}

::grpc::Status GrpcService::CreateSnapshot(::grpc::ServerContext* context,
                                           const v1::CreateSnapshotRequest* request, v1::Snapshot* reply) {
  return edge_.serve(context, "CreateSnapshot", request, reply, [&](const grpc::Call&) {
    auto snapshot = evaluation_.snapshot(request->period(), request->as_of());
    if (!snapshot) return grpc::to_status(snapshot.error());
    to_proto(*snapshot, reply);
    return ::grpc::Status::OK;
  });
}

::grpc::Status GrpcService::ListSnapshots(::grpc::ServerContext* context,
                                          const v1::ListSnapshotsRequest* request,
                                          v1::ListSnapshotsResponse* reply) {
  return edge_.serve(context, "ListSnapshots", request, reply, [&](const grpc::Call&) {
    auto list = evaluation_.list(request->include_trend());
    if (!list) return grpc::to_status(list.error());
    for (const auto& s : *list) to_proto(s, reply->add_snapshots());
    return ::grpc::Status::OK;
  });
}

::grpc::Status GrpcService::GetReport(::grpc::ServerContext* context, const v1::GetReportRequest* request,
                                      v1::Report* reply) {
  return edge_.serve(context, "GetReport", request, reply, [&](const grpc::Call&) {
    const auto& format = request->format();
    if (format != "" && format != "csv" && format != "html") {
      return grpc::to_status(Error::invalid({{"format", "must be empty, csv or html"}}));
    }
    auto report =
        evaluation_.report(request->area_code(), request->from_snapshot_id(), request->to_snapshot_id());
    if (!report) return grpc::to_status(report.error());
    to_proto(report->from, reply->mutable_from());
    to_proto(report->to, reply->mutable_to());
    const auto row = [](const ReportRow& r, v1::ReportRow* out) {
      to_proto(r.from, out->mutable_from());
      to_proto(r.to, out->mutable_to());
    };
    row(report->total, reply->mutable_total());
    for (const auto& r : report->rows) row(r, reply->add_rows());
    if (format == "csv") reply->set_rendered(render_csv(*report));
    if (format == "html") reply->set_rendered(render_html(*report));
    return ::grpc::Status::OK;
  });
}

}  // namespace jaring::coverage

#include "grpc_service.hpp"

#include "jaring/grpc/server.hpp"

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
}

}  // namespace

void to_proto(const RwCoverage& rw, v1::RwCoverage* out) {
  out->set_rw_code(rw.rw_code);
  out->set_kelurahan_code(rw.kelurahan_code);
  out->set_target(rw.target);
  to_proto(rw.counters, out->mutable_counters());
}

::grpc::Status GrpcService::GetRwCoverage(::grpc::ServerContext*, const v1::GetRwCoverageRequest* request,
                                          v1::RwCoverage* reply) {
  auto rw = queries_.rw(request->rw_code());
  if (!rw) return grpc::to_status(rw.error());
  to_proto(*rw, reply);
  return ::grpc::Status::OK;
}

::grpc::Status GrpcService::ListRwCoverage(::grpc::ServerContext*, const v1::ListRwCoverageRequest* request,
                                           v1::ListRwCoverageResponse* reply) {
  auto kelurahan = queries_.kelurahan(request->kelurahan_code());
  if (!kelurahan) return grpc::to_status(kelurahan.error());
  reply->set_kelurahan_code(kelurahan->kelurahan_code);
  for (const auto& rw : kelurahan->rws) to_proto(rw, reply->add_rws());
  to_proto(kelurahan->totals, reply->mutable_totals());
  reply->set_rws_at_target(kelurahan->rws_at_target);
  return ::grpc::Status::OK;
}

}  // namespace jaring::coverage

#include "grpc_service.hpp"

#include <spdlog/spdlog.h>

#include "../core/nik.hpp"
#include "jaring/common/ids.hpp"
#include "jaring/grpc/server.hpp"
#include "jaring/log/log.hpp"

namespace jaring::registration {
namespace {

void to_proto(const Rw& rw, v1::Rw* out) {
  out->set_code(rw.code);
  out->set_kelurahan_code(rw.kelurahan_code);
  out->set_kelurahan_name(rw.kelurahan_name);
  out->set_target(rw.target);
  out->set_active(rw.active);
}

void to_proto(const Participant& p, v1::Participant* out) {
  out->set_participant_id(p.id);
  out->set_nik_masked(mask_nik(p.nik));
  out->set_name(p.name);
  out->set_birth_date(p.birth_date);
  out->set_sex(std::string(1, p.sex));
  out->set_phone(p.phone);
  out->set_rw_code(p.rw_code);
  out->set_rt(p.rt);
  out->set_category(p.category);
  out->set_income_band(p.income_band);
  out->set_programs(p.programs);
  out->set_payer(p.payer);
  out->set_agent_id(p.agent_id);
  out->set_branch_code(p.branch_code);
  out->set_status(p.status);
  out->set_registered_at(p.registered_at);
}

// The trace id a caller sent (x-trace-id metadata), or a new one.
std::string trace_id(const ::grpc::ServerContext* context) {
  const auto& metadata = context->client_metadata();
  if (auto it = metadata.find("x-trace-id"); it != metadata.end())
    return {it->second.data(), it->second.size()};
  return new_id("t_");
}

}  // namespace

::grpc::Status GrpcService::CreateRw(::grpc::ServerContext* context, const v1::CreateRwRequest* request,
                                     v1::Rw* reply) {
  log::TraceScope trace(trace_id(context));
  auto rw = core_.create_rw(request->kelurahan_code(), request->number(), request->target());
  if (!rw) return grpc::to_status(rw.error());
  spdlog::info("RW {} created with target {}", rw->code, rw->target);
  to_proto(*rw, reply);
  return ::grpc::Status::OK;
}

::grpc::Status GrpcService::ListRws(::grpc::ServerContext*, const v1::ListRwsRequest* request,
                                    v1::ListRwsResponse* reply) {
  auto rws = core_.list_rws(request->kelurahan_code());
  if (!rws) return grpc::to_status(rws.error());
  for (const auto& rw : *rws) to_proto(rw, reply->add_rws());
  return ::grpc::Status::OK;
}

::grpc::Status GrpcService::Register(::grpc::ServerContext* context, const v1::RegisterRequest* request,
                                     v1::Participant* reply) {
  log::TraceScope trace(trace_id(context));
  RegisterCommand command;
  command.idempotency_key = request->idempotency_key();
  command.nik = request->nik();
  command.name = request->name();
  command.birth_date = request->birth_date();
  command.sex = request->sex();
  command.phone = request->phone();
  command.rw_code = request->rw_code();
  command.rt = request->rt();
  command.category = request->category();
  command.income_band = request->income_band();
  command.programs = request->programs();
  command.payer = request->payer();
  command.agent_id = request->agent_id();
  auto participant = core_.register_participant(command);
  if (!participant) {
    spdlog::info("registration refused: {}", participant.error().message);
    return grpc::to_status(participant.error());
  }
  to_proto(*participant, reply);
  return ::grpc::Status::OK;
}

::grpc::Status GrpcService::GetParticipant(::grpc::ServerContext*, const v1::GetParticipantRequest* request,
                                           v1::Participant* reply) {
  auto participant = core_.get_participant(request->participant_id());
  if (!participant) return grpc::to_status(participant.error());
  to_proto(*participant, reply);
  return ::grpc::Status::OK;
}

}  // namespace jaring::registration

#pragma once
// RegistrationService over gRPC: converts messages to and from the core's types and maps the
// core's errors to gRPC status codes (libs/grpc does the mapping, in one place).

#include "../core/registration.hpp"
#include "jaring/registration/v1/registration.grpc.pb.h"

namespace jaring::registration {

class GrpcService final : public v1::RegistrationService::Service {
 public:
  explicit GrpcService(Registration& core) : core_(core) {}

  ::grpc::Status CreateRw(::grpc::ServerContext* context, const v1::CreateRwRequest* request,
                          v1::Rw* reply) override;
  ::grpc::Status ListRws(::grpc::ServerContext* context, const v1::ListRwsRequest* request,
                         v1::ListRwsResponse* reply) override;
  ::grpc::Status Register(::grpc::ServerContext* context, const v1::RegisterRequest* request,
                          v1::Participant* reply) override;
  ::grpc::Status GetParticipant(::grpc::ServerContext* context, const v1::GetParticipantRequest* request,
                                v1::Participant* reply) override;

 private:
  Registration& core_;
};

}  // namespace jaring::registration

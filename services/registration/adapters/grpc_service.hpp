#pragma once
// RegistrationService over gRPC: converts messages to and from the core's types. Every handler
// runs through the edge (authentication, the access table, audit, errors) and applies the call's
// scope: an out-of-scope participant is NOT_FOUND, lists hold only in-scope rows.

#include <condition_variable>
#include <functional>
#include <mutex>

#include "../core/registration.hpp"
#include "jaring/grpc/edge.hpp"
#include "jaring/registration/v1/registration.grpc.pb.h"

namespace jaring::registration {

// The rows of RegisterBulk messages that every stream together holds in memory, from the moment
// a message is read until its rows are written. Ten concurrent imports once took registration to
// 558 MiB; with one budget, streams beyond it wait their turn (gRPC's flow control then holds
// their clients back) and memory stays bounded whatever the number of imports.
class RowBudget {
 public:
  explicit RowBudget(int capacity) : capacity_(capacity) {}
  // Takes `rows`: when they fit, or when nothing is held (a message larger than the whole budget
  // goes alone). False, taking nothing, once `cancelled` says so while waiting.
  bool take(int rows, const std::function<bool()>& cancelled);
  void give_back(int rows);
  int held() const;

 private:
  const int capacity_;
  mutable std::mutex mutex_;
  std::condition_variable freed_;
  int held_ = 0;
};

// Register and the changes of one participant run where gRPC receives them (grpc/edge.hpp,
// answer_inline); everything else on the synchronous server's pool.
using ServiceBase = v1::RegistrationService::WithCallbackMethod_Register<
    v1::RegistrationService::WithCallbackMethod_UpdateParticipant<
        v1::RegistrationService::WithCallbackMethod_MoveParticipant<
            v1::RegistrationService::WithCallbackMethod_ExitParticipant<v1::RegistrationService::Service>>>>;

class GrpcService final : public ServiceBase {
 public:
  inline static const std::string kName = "jaring.registration.v1.RegistrationService";
  // Rows all RegisterBulk streams may hold at once: a writer's transaction (10,000 rows) and a
  // message read ahead. A held row costs several KiB (its request, record, event and sealed
  // values): 12,000 keep ten concurrent imports at 180 MiB (jaring-bench-registration --streams 10).
  static constexpr int kBulkRowBudget = 12'000;
  // `unpublished`: the store's events not yet acknowledged by the broker (its outbox backlog),
  // sent with each export's trailers so that a rebuild knows every exported fact is on the bus.
  GrpcService(Registration& core, grpc::Edge& edge, std::function<std::int64_t()> unpublished = {},
              int bulk_row_budget = kBulkRowBudget)
      : core_(core), edge_(edge), unpublished_(std::move(unpublished)), bulk_rows_(bulk_row_budget) {}
  const RowBudget& bulk_rows() const { return bulk_rows_; }

  ::grpc::Status CreateRw(::grpc::ServerContext* context, const v1::CreateRwRequest* request,
                          v1::Rw* reply) override;
  ::grpc::Status ListRws(::grpc::ServerContext* context, const v1::ListRwsRequest* request,
                         v1::ListRwsResponse* reply) override;
  ::grpc::Status UpdateRw(::grpc::ServerContext* context, const v1::UpdateRwRequest* request,
                          v1::Rw* reply) override;
  ::grpc::Status ListAreas(::grpc::ServerContext* context, const v1::ListAreasRequest* request,
                           v1::ListAreasResponse* reply) override;
  ::grpc::ServerUnaryReactor* Register(::grpc::CallbackServerContext* context,
                                       const v1::RegisterRequest* request, v1::Participant* reply) override {
    return grpc::answer_inline(context, register_participant(context, request, reply));
  }
  ::grpc::Status RegisterBulk(
      ::grpc::ServerContext* context,
      ::grpc::ServerReaderWriter<v1::RegisterBulkResponse, v1::RegisterBulkRequest>* stream) override;
  ::grpc::Status GetParticipant(::grpc::ServerContext* context, const v1::GetParticipantRequest* request,
                                v1::Participant* reply) override;
  ::grpc::Status GetParticipantFacts(::grpc::ServerContext* context,
                                     const v1::GetParticipantFactsRequest* request,
                                     v1::ParticipantFacts* reply) override;
  ::grpc::Status FindByNik(::grpc::ServerContext* context, const v1::FindByNikRequest* request,
                           v1::Participant* reply) override;
  ::grpc::Status ListParticipants(::grpc::ServerContext* context, const v1::ListParticipantsRequest* request,
                                  v1::ListParticipantsResponse* reply) override;
  ::grpc::ServerUnaryReactor* UpdateParticipant(::grpc::CallbackServerContext* context,
                                                const v1::UpdateParticipantRequest* request,
                                                v1::Participant* reply) override {
    return grpc::answer_inline(context, update_participant(context, request, reply));
  }
  ::grpc::ServerUnaryReactor* MoveParticipant(::grpc::CallbackServerContext* context,
                                              const v1::MoveParticipantRequest* request,
                                              v1::Participant* reply) override {
    return grpc::answer_inline(context, move_participant(context, request, reply));
  }
  ::grpc::ServerUnaryReactor* ExitParticipant(::grpc::CallbackServerContext* context,
                                              const v1::ExitParticipantRequest* request,
                                              v1::Participant* reply) override {
    return grpc::answer_inline(context, exit_participant(context, request, reply));
  }
  ::grpc::Status ExportParticipants(::grpc::ServerContext* context,
                                    const v1::ExportParticipantsRequest* request,
                                    ::grpc::ServerWriter<v1::ParticipantSummary>* writer) override;
  ::grpc::Status RegisterAgent(::grpc::ServerContext* context, const v1::RegisterAgentRequest* request,
                               v1::Agent* reply) override;
  ::grpc::Status ListAgentRegistrations(::grpc::ServerContext* context,
                                        const v1::ListAgentRegistrationsRequest* request,
                                        v1::ListAgentRegistrationsResponse* reply) override;

  // The callback methods' handlers, each through the edge (the fuzz target calls them directly).
  ::grpc::Status register_participant(::grpc::ServerContextBase* context, const v1::RegisterRequest* request,
                                      v1::Participant* reply);
  ::grpc::Status update_participant(::grpc::ServerContextBase* context,
                                    const v1::UpdateParticipantRequest* request, v1::Participant* reply);
  ::grpc::Status move_participant(::grpc::ServerContextBase* context,
                                  const v1::MoveParticipantRequest* request, v1::Participant* reply);
  ::grpc::Status exit_participant(::grpc::ServerContextBase* context,
                                  const v1::ExitParticipantRequest* request, v1::Participant* reply);

 private:
  // The participant if the scope covers it; NOT_FOUND alike for one that does not exist.
  Result<Participant> visible(const std::string& id, const auth::Scope& scope);
  Registration& core_;
  grpc::Edge& edge_;
  std::function<std::int64_t()> unpublished_;
  RowBudget bulk_rows_;
};

}  // namespace jaring::registration

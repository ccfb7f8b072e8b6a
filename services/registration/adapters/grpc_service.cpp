#include "grpc_service.hpp"

#include <spdlog/spdlog.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include <fmt/format.h>

#include "../core/nik.hpp"
#include "jaring/common/assert.hpp"
#include "jaring/common/ids.hpp"
#include "jaring/grpc/server.hpp"
#include "jaring/log/log.hpp"

namespace jaring::registration {
namespace {

constexpr int kMaxBulkBatch = 5000;    // rows per RegisterBulk message
constexpr int kMaxGroupRows = 10000;   // rows per transaction when messages are written together
constexpr int kMaxQueuedRows = 10000;  // rows one stream reads ahead of its writer

// One row's outcome in a RegisterBulk answer.
void to_proto(std::int64_t row, const BulkOutcome& outcome, v1::RegisterResult* result) {
  result->set_row(row);
  result->set_already_present(outcome.already_present);
  if (outcome.result) {
    result->set_participant_id(outcome.result->id);
    if (outcome.already_present) result->set_code(static_cast<int>(::grpc::StatusCode::ALREADY_EXISTS));
    return;
  }
  const auto& error = outcome.result.error();
  result->set_code(grpc::to_status(error).error_code());
  result->set_message(error.message);
  for (const auto& v : error.violations) {
    auto* e = result->add_errors();
    e->set_field(v.field);
    e->set_rule(v.rule);
  }
}

void to_proto(const Rw& rw, v1::Rw* out) {
  out->set_code(rw.code);
  out->set_kelurahan_code(rw.kelurahan_code);
  out->set_kelurahan_name(rw.kelurahan_name);
  out->set_target(rw.target);
  out->set_active(rw.active);
}

auth::ScopedRow row_of(const Participant& p) { return {p.branch_code, p.rw_code, p.agent_id, ""}; }

// A participant as the caller may see it: no NIK (not even masked) and no phone for a caller
// whose scope leaves out personal data (area officials).
void to_proto(const Participant& p, v1::Participant* out, const auth::Scope& scope) {
  out->set_participant_id(p.id);
  if (scope.personal_data) {
    out->set_nik_masked(mask_nik(p.nik));
    out->set_phone(p.phone);
  }
  out->set_name(p.name);
  out->set_birth_date(p.birth_date);
  out->set_sex(std::string(1, p.sex));
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
  out->set_project_end_date(p.project_end_date);
  out->set_exit_reason(p.exit_reason);
  out->set_exit_date(p.exit_date);
  out->set_kelurahan_code(p.rw_code.substr(0, 13));
  out->set_kecamatan_code(p.rw_code.substr(0, 8));
}

void to_proto(const Agent& a, v1::Agent* out) {
  out->set_agent_id(a.id);
  out->set_name(a.name);
  out->set_phone(a.phone);
  out->set_branch_code(a.branch_code);
  out->set_organisation(a.organisation);
  out->set_registered_at(a.registered_at);
}

// An agent who names no agent id registers under their own.
RegisterCommand to_command(const v1::RegisterRequest& r, const auth::Scope& scope) {
  RegisterCommand c;
  c.idempotency_key = r.idempotency_key();
  c.nik = r.nik();
  c.name = r.name();
  c.birth_date = r.birth_date();
  c.sex = r.sex();
  c.phone = r.phone();
  c.rw_code = r.rw_code();
  c.rt = r.rt();
  c.category = r.category();
  c.income_band = r.income_band();
  c.programs = r.programs();
  c.payer = r.payer();
  c.agent_id = r.agent_id().empty() && scope.only_agent() ? scope.agent : r.agent_id();
  c.project_end_date = r.project_end_date();
  return c;
}

// Facts carry no personal data: every caller allowed the method gets the same fields.
void to_proto(const ParticipantFacts& facts, v1::ParticipantFacts* out) {
  const auto& p = facts.participant;
  out->set_participant_id(p.id);
  out->set_rw_code(p.rw_code);
  out->set_branch_code(p.branch_code);
  out->set_category(p.category);
  out->set_agent_id(p.agent_id);
  out->set_income_band(p.income_band);
  out->set_payer(p.payer);
  out->set_registered_on(registered_on(p));
  out->set_status(p.status);
  out->set_exit_reason(p.exit_reason);
  out->set_exit_date(p.exit_date);
  for (const auto& band : facts.history.bands) {
    auto* entry = out->add_income_bands();
    entry->set_since(band.since);
    entry->set_income_band(band.income_band);
  }
  for (const auto& branch : facts.history.branches) {
    auto* entry = out->add_branches();
    entry->set_since(branch.since);
    entry->set_branch_code(branch.branch_code);
  }
}

// Answers a unary call from a core result: the reply on success, the mapped status otherwise.
template <typename T, typename Reply>
::grpc::Status answer(const Result<T>& result, Reply* reply) {
  if (!result) return grpc::to_status(result.error());
  to_proto(*result, reply);
  return ::grpc::Status::OK;
}

// A participant outside the caller's scope is answered as one that does not exist.
Error hidden(const std::string& id) { return Error::not_found(fmt::format("participant {} not found", id)); }

::grpc::Status answer(const Result<Participant>& result, v1::Participant* reply, const auth::Scope& scope) {
  if (!result) return grpc::to_status(result.error());
  to_proto(*result, reply, scope);
  return ::grpc::Status::OK;
}

// Who may register whom: the caller's scope. An agent registers under their own agent id, in
// their branch; staff within their branches; area officials within their areas.
Admission admission(const auth::Scope& scope) {
  return [&scope](const Participant& p) -> std::optional<FieldViolation> {
    if (scope.covers(row_of(p))) return std::nullopt;
    if (scope.only_agent() && p.agent_id != scope.agent)
      return FieldViolation{"agent_id", "an agent registers under their own agent id"};
    return FieldViolation{"rw_code", "is outside the branches or areas you serve"};
  };
}

const char* level_name(areas::Level level) {
  switch (level) {
    case areas::Level::kProvince:
      return "province";
    case areas::Level::kKota:
      return "kota";
    case areas::Level::kKecamatan:
      return "kecamatan";
    case areas::Level::kKelurahan:
      return "kelurahan";
  }
  return "";
}

// Rows taken from a RowBudget, given back when the lease goes.
class RowLease {
 public:
  RowLease() = default;
  RowLease(RowBudget& budget, int rows) : budget_(&budget), rows_(rows) {}
  RowLease(RowLease&& other) noexcept
      : budget_(std::exchange(other.budget_, nullptr)), rows_(std::exchange(other.rows_, 0)) {}
  RowLease& operator=(RowLease&& other) noexcept {
    if (this != &other) {
      reset();
      budget_ = std::exchange(other.budget_, nullptr);
      rows_ = std::exchange(other.rows_, 0);
    }
    return *this;
  }
  RowLease(const RowLease&) = delete;
  RowLease& operator=(const RowLease&) = delete;
  ~RowLease() { reset(); }
  void reset() {
    if (budget_ != nullptr) budget_->give_back(rows_);
    budget_ = nullptr;
    rows_ = 0;
  }

 private:
  RowBudget* budget_ = nullptr;
  int rows_ = 0;
};

// A RegisterBulk message read and checked, its good rows ready to write.
struct PendingBatch {
  v1::RegisterBulkRequest request;
  PreparedBulk prepared;
  RowLease lease;  // the message's rows in the budget, until they are written
};

// Reads a RegisterBulk stream on its own thread and prepares each message there (validation,
// look-ups, encoding the events) into a short queue, so that the handler writes one transaction
// while the next messages arrive and are checked. Joins the thread when it goes; a handler that
// leaves early cancels the call, which ends a Read in progress.
class BulkReader {
 public:
  BulkReader(::grpc::ServerContext& context,
             ::grpc::ServerReaderWriter<v1::RegisterBulkResponse, v1::RegisterBulkRequest>& stream,
             Registration& core, RowBudget& budget, int max_rows, const auth::Scope& scope)
      : context_(context),
        budget_(budget),
        admit_(admission(scope)),
        scope_(scope),
        thread_([this, &stream, &core, max_rows] { read(stream, core, max_rows); }) {}
  ~BulkReader() {
    {
      std::lock_guard lock(mutex_);
      if (!closed_) {
        stopping_ = true;
        context_.TryCancel();
      }
    }
    changed_.notify_all();
    thread_.join();
  }

  // The next messages in order, at least one and at most `max_rows` rows together unless one
  // message alone has more; nullopt once the client finished and everything was taken.
  std::optional<std::vector<PendingBatch>> take(int max_rows) {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return !queue_.empty() || closed_; });
    if (queue_.empty()) return std::nullopt;
    std::vector<PendingBatch> out;
    int rows = 0;
    while (!queue_.empty() && (out.empty() || rows + queue_.front().request.requests_size() <= max_rows)) {
      rows += queue_.front().request.requests_size();
      out.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    queued_rows_ -= rows;
    changed_.notify_all();
    return out;
  }

  // OK, or the refusal of a message that broke a rule (after the ones before it were answered).
  ::grpc::Status status() {
    std::lock_guard lock(mutex_);
    return status_;
  }

 private:
  void read(::grpc::ServerReaderWriter<v1::RegisterBulkResponse, v1::RegisterBulkRequest>& stream,
            Registration& core, int max_rows) {
    PendingBatch batch;
    while (stream.Read(&batch.request)) {
      if (batch.request.requests_size() > max_rows) {
        std::lock_guard lock(mutex_);
        status_ = grpc::to_status(Error::invalid(
            {{"requests", fmt::format("at most {} rows per message (send more messages)", max_rows)}}));
        break;
      }
      const int rows = batch.request.requests_size();
      if (!budget_.take(rows, [this] {
            std::lock_guard lock(mutex_);
            return stopping_ || context_.IsCancelled();
          })) {
        break;
      }
      batch.lease = RowLease(budget_, rows);
      std::vector<RegisterCommand> commands;
      commands.reserve(static_cast<std::size_t>(rows));
      for (const auto& r : batch.request.requests()) commands.push_back(to_command(r, scope_));
      batch.prepared = core.prepare_bulk(commands, admit_);
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [this] { return queued_rows_ < kMaxQueuedRows || stopping_; });
      if (stopping_) break;
      queued_rows_ += rows;
      queue_.push_back(std::move(batch));
      batch = {};
      changed_.notify_all();
    }
    std::lock_guard lock(mutex_);
    closed_ = true;
    changed_.notify_all();
  }

  ::grpc::ServerContext& context_;
  RowBudget& budget_;
  Admission admit_;
  const auth::Scope& scope_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<PendingBatch> queue_;
  int queued_rows_ = 0;
  bool closed_ = false;    // the reader is done: the client finished, went away, or broke a rule
  bool stopping_ = false;  // the handler left early
  ::grpc::Status status_;
  std::thread thread_;  // last: starts once everything it uses is constructed
};

}  // namespace

bool RowBudget::take(int rows, const std::function<bool()>& cancelled) {
  std::unique_lock lock(mutex_);
  // Cancellation is polled: the budget does not know the streams that wait on it.
  while (held_ != 0 && held_ + rows > capacity_) {
    if (cancelled()) return false;
    freed_.wait_for(lock, std::chrono::milliseconds(100));
  }
  held_ += rows;
  return true;
}

void RowBudget::give_back(int rows) {
  {
    std::lock_guard lock(mutex_);
    held_ -= rows;
    JARING_ASSERT(held_ >= 0, "more rows given back than were taken");
  }
  freed_.notify_all();
}

int RowBudget::held() const {
  std::lock_guard lock(mutex_);
  return held_;
}

Result<Participant> GrpcService::visible(const std::string& id, const auth::Scope& scope) {
  auto participant = core_.get_participant(id);
  if (participant && !scope.covers(row_of(*participant))) return fail(hidden(id));
  return participant;
}

::grpc::Status GrpcService::CreateRw(::grpc::ServerContext* context, const v1::CreateRwRequest* request,
                                     v1::Rw* reply) {
  return edge_.serve(context, "CreateRw", request, reply, [&](const grpc::Call& call) {
    const auto* branch = core_.branches().branch_of(request->kelurahan_code());
    if (!call.scope.covers(
            {branch ? std::string_view(branch->code) : "", request->kelurahan_code(), "", ""})) {
      return grpc::to_status({ErrorCode::kPermissionDenied,
                              "kelurahan_code: outside the branches you serve",
                              {{"kelurahan_code", "outside the branches you serve"}}});
    }
    return answer(core_.create_rw(request->kelurahan_code(), request->number(), request->target()), reply);
  });
}

::grpc::Status GrpcService::ListRws(::grpc::ServerContext* context, const v1::ListRwsRequest* request,
                                    v1::ListRwsResponse* reply) {
  return edge_.serve(context, "ListRws", request, reply, [&](const grpc::Call&) {
    auto rws = core_.list_rws(request->kelurahan_code());
    if (!rws) return grpc::to_status(rws.error());
    for (const auto& rw : *rws) to_proto(rw, reply->add_rws());
    return ::grpc::Status::OK;
  });
}

::grpc::Status GrpcService::UpdateRw(::grpc::ServerContext* context, const v1::UpdateRwRequest* request,
                                     v1::Rw* reply) {
  return edge_.serve(context, "UpdateRw", request, reply, [&](const grpc::Call&) {
    RwChange change{request->rw_code(), std::nullopt, std::nullopt};
    if (request->has_target()) change.target = request->target();
    if (request->has_active()) change.active = request->active();
    return answer(core_.update_rw(change), reply);
  });
}

::grpc::Status GrpcService::ListAreas(::grpc::ServerContext* context, const v1::ListAreasRequest* request,
                                      v1::ListAreasResponse* reply) {
  return edge_.serve(context, "ListAreas", request, reply, [&](const grpc::Call&) {
    const auto& parent = request->parent_code();
    if (!parent.empty() && core_.areas().find(parent) == nullptr) {
      return grpc::to_status(
          Error::invalid({{"parent_code", "must be a known area code, or empty for provinces"}}));
    }
    for (const auto* area : core_.areas().children(parent)) {
      auto* out = reply->add_areas();
      out->set_code(area->code);
      out->set_name(area->name);
      out->set_level(level_name(area->level));
      out->set_parent_code(area->parent_code);
      if (const auto* branch = core_.branches().branch_of(area->code)) {
        out->set_branch_code(branch->code);
        out->set_branch_name(branch->name);
      }
    }
    return ::grpc::Status::OK;
  });
}

::grpc::Status GrpcService::register_participant(::grpc::ServerContextBase* context,
                                                 const v1::RegisterRequest* request, v1::Participant* reply) {
  return edge_.serve(context, "Register", request, reply, [&](const grpc::Call& call) {
    auto participant = core_.register_participant(to_command(*request, call.scope), admission(call.scope));
    if (!participant) spdlog::info("registration refused: {}", participant.error().message);
    return answer(participant, reply, call.scope);
  });
}

::grpc::Status GrpcService::RegisterBulk(
    ::grpc::ServerContext* context,
    ::grpc::ServerReaderWriter<v1::RegisterBulkResponse, v1::RegisterBulkRequest>* stream) {
  return edge_.serve(context, "RegisterBulk", nullptr, nullptr, [&](const grpc::Call& call) {
    // A thread reads and checks messages while this one writes: the messages that arrived during
    // one transaction go into the next one together (up to kMaxGroupRows rows), so a fast client
    // gets larger transactions, and SQLite writes each index page it touches once for more rows.
    BulkReader reader(*context, *stream, core_, bulk_rows_, kMaxBulkBatch, call.scope);
    // A transaction the store could not take (a full disk) is answered row by row, and the stream
    // goes on (the store may have room again for the next one), but it does not end OK.
    std::optional<Error> store_failure;
    while (auto group = reader.take(kMaxGroupRows)) {
      std::vector<PreparedBulk> prepared;
      for (auto& batch : *group) prepared.push_back(std::move(batch.prepared));
      const auto outcomes = core_.store_bulk(std::move(prepared));
      for (const auto& batch : outcomes)
        for (const auto& row : batch)
          if (!row.result && row.result.error().code == ErrorCode::kUnavailable)
            store_failure = row.result.error();
      // Written: the rows leave the budget before the answers go out, so that a client slow to
      // read its answers holds no other stream back.
      for (auto& batch : *group) batch.lease.reset();
      for (std::size_t b = 0; b < group->size(); ++b) {
        const auto& requests = (*group)[b].request.requests();
        v1::RegisterBulkResponse response;
        for (int i = 0; i < requests.size(); ++i) {
          to_proto(requests[i].row(), outcomes[b][static_cast<std::size_t>(i)], response.add_results());
        }
        if (!stream->Write(response))
          return ::grpc::Status(::grpc::StatusCode::CANCELLED, "client went away");
      }
    }
    if (auto status = reader.status(); !status.ok() || !store_failure) return status;
    return grpc::to_status(Error::unavailable(fmt::format(
        "{}; the rows answered UNAVAILABLE were not registered: send them again", store_failure->message)));
  });
}

::grpc::Status GrpcService::GetParticipant(::grpc::ServerContext* context,
                                           const v1::GetParticipantRequest* request, v1::Participant* reply) {
  return edge_.serve(context, "GetParticipant", request, reply, [&](const grpc::Call& call) {
    return answer(visible(request->participant_id(), call.scope), reply, call.scope);
  });
}

::grpc::Status GrpcService::GetParticipantFacts(::grpc::ServerContext* context,
                                                const v1::GetParticipantFactsRequest* request,
                                                v1::ParticipantFacts* reply) {
  return edge_.serve(context, "GetParticipantFacts", request, reply, [&](const grpc::Call& call) {
    auto facts = core_.participant_facts(request->participant_id());
    if (facts && !call.scope.covers(row_of(facts->participant)))
      facts = fail(hidden(request->participant_id()));
    return answer(facts, reply);
  });
}

::grpc::Status GrpcService::FindByNik(::grpc::ServerContext* context, const v1::FindByNikRequest* request,
                                      v1::Participant* reply) {
  return edge_.serve(context, "FindByNik", request, reply, [&](const grpc::Call& call) {
    auto participant = core_.find_by_nik(request->nik());
    if (participant && !call.scope.covers(row_of(*participant)))
      participant = fail(Error::not_found("no participation for this NIK"));
    auto status = answer(participant, reply, call.scope);
    // Only branch officers and admins reach this method (the access table).
    if (status.ok() && request->reveal_nik() && call.scope.personal_data) reply->set_nik(request->nik());
    return status;
  });
}

::grpc::Status GrpcService::ListParticipants(::grpc::ServerContext* context,
                                             const v1::ListParticipantsRequest* request,
                                             v1::ListParticipantsResponse* reply) {
  return edge_.serve(context, "ListParticipants", request, reply, [&](const grpc::Call& call) {
    auto page = core_.list_by_rw(request->rw_code(), request->page_size(), request->page_token(), call.scope);
    if (!page) return grpc::to_status(page.error());
    for (const auto& p : page->participants) to_proto(p, reply->add_participants(), call.scope);
    reply->set_next_page_token(page->next_page_token);
    return ::grpc::Status::OK;
  });
}

::grpc::Status GrpcService::update_participant(::grpc::ServerContextBase* context,
                                               const v1::UpdateParticipantRequest* request,
                                               v1::Participant* reply) {
  return edge_.serve(context, "UpdateParticipant", request, reply, [&](const grpc::Call& call) {
    if (auto p = visible(request->participant_id(), call.scope); !p) return grpc::to_status(p.error());
    UpdateCommand c;
    c.idempotency_key = request->idempotency_key();
    c.participant_id = request->participant_id();
    if (request->has_phone()) c.phone = request->phone();
    if (request->has_category()) c.category = request->category();
    if (request->has_income_band()) c.income_band = request->income_band();
    if (request->has_payer()) c.payer = request->payer();
    if (request->has_programs()) c.programs = request->programs();
    return answer(core_.update_participant(c), reply, call.scope);
  });
}

::grpc::Status GrpcService::move_participant(::grpc::ServerContextBase* context,
                                             const v1::MoveParticipantRequest* request,
                                             v1::Participant* reply) {
  return edge_.serve(context, "MoveParticipant", request, reply, [&](const grpc::Call& call) {
    auto p = visible(request->participant_id(), call.scope);
    if (!p) return grpc::to_status(p.error());
    const auto* branch = core_.branches().branch_of(request->to_rw_code());
    if (!call.scope.covers(
            {branch ? std::string_view(branch->code) : "", request->to_rw_code(), p->agent_id, ""})) {
      return grpc::to_status({ErrorCode::kPermissionDenied,
                              "to_rw_code: outside the branches or areas you serve",
                              {{"to_rw_code", "outside the branches or areas you serve"}}});
    }
    return answer(core_.move_participant({request->idempotency_key(), request->participant_id(),
                                          request->to_rw_code(), request->rt(), request->moved_on()}),
                  reply, call.scope);
  });
}

::grpc::Status GrpcService::exit_participant(::grpc::ServerContextBase* context,
                                             const v1::ExitParticipantRequest* request,
                                             v1::Participant* reply) {
  return edge_.serve(context, "ExitParticipant", request, reply, [&](const grpc::Call& call) {
    if (auto p = visible(request->participant_id(), call.scope); !p) return grpc::to_status(p.error());
    return answer(core_.exit_participant({request->idempotency_key(), request->participant_id(),
                                          request->reason(), request->exit_date()}),
                  reply, call.scope);
  });
}

::grpc::Status GrpcService::ExportParticipants(::grpc::ServerContext* context,
                                               const v1::ExportParticipantsRequest* request,
                                               ::grpc::ServerWriter<v1::ParticipantSummary>* writer) {
  return edge_.serve(context, "ExportParticipants", request, nullptr, [&](const grpc::Call& call) {
    bool ok = true;
    auto done = core_.export_all(request->include_exited(), [&](const Participant& p) {
      if (!call.scope.covers(row_of(p))) return true;
      v1::ParticipantSummary s;
      s.set_participant_id(p.id);
      s.set_rw_code(p.rw_code);
      s.set_status(p.status);
      s.set_category(p.category);
      s.set_payer(p.payer);
      s.set_registered_on(p.registered_at.substr(0, 10));
      s.set_exit_date(p.exit_date);
      ok = !context->IsCancelled() && writer->Write(s);
      return ok;
    });
    if (!done) return grpc::to_status(done.error());
    if (!ok) return ::grpc::Status(::grpc::StatusCode::CANCELLED, "client went away");
    if (unpublished_)
      context->AddTrailingMetadata(grpc::kUnpublishedEventsTrailer, std::to_string(unpublished_()));
    return ::grpc::Status::OK;
  });
}

::grpc::Status GrpcService::RegisterAgent(::grpc::ServerContext* context,
                                          const v1::RegisterAgentRequest* request, v1::Agent* reply) {
  return edge_.serve(context, "RegisterAgent", request, reply, [&](const grpc::Call& call) {
    if (!call.scope.covers({request->branch_code(), "", "", ""})) {
      return grpc::to_status({ErrorCode::kPermissionDenied,
                              "branch_code: not a branch you serve",
                              {{"branch_code", "not a branch you serve"}}});
    }
    return answer(core_.register_agent({request->idempotency_key(), request->name(), request->phone(),
                                        request->branch_code(), request->organisation()}),
                  reply);
  });
}

::grpc::Status GrpcService::ListAgentRegistrations(::grpc::ServerContext* context,
                                                   const v1::ListAgentRegistrationsRequest* request,
                                                   v1::ListAgentRegistrationsResponse* reply) {
  return edge_.serve(context, "ListAgentRegistrations", request, reply, [&](const grpc::Call& call) {
    auto registered = core_.agent_registrations(request->agent_id(), request->month());
    if (!registered) return grpc::to_status(registered.error());
    reply->set_agent_id(request->agent_id());
    reply->set_month(request->month());
    std::int64_t count = 0;
    for (const auto& p : *registered) {
      if (!call.scope.covers(row_of(p))) continue;
      to_proto(p, reply->add_participants(), call.scope);
      ++count;
    }
    reply->set_count(count);
    return ::grpc::Status::OK;
  });
}

}  // namespace jaring::registration

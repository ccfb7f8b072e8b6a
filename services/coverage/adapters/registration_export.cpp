#include "registration_export.hpp"

#include <grpcpp/grpcpp.h>

#include "jaring/grpc/server.hpp"

namespace jaring::coverage {
namespace {

namespace reg = registration::v1;

Error error_of(const ::grpc::Status& status, const std::string& what) {
  return Error::unavailable("registration " + what + ": " + status.error_message() + " (code " +
                            std::to_string(static_cast<int>(status.error_code())) + ")");
}

// A call with coverage's credential. A token file that cannot be read (the platform replacing the
// Secret) fails the export like registration being away, instead of ending the reconciler's thread.
std::optional<Error> authorized(::grpc::ClientContext& context, const grpc::TokenSource& token,
                                const std::string& acting_for) {
  try {
    grpc::authorize(context, token, acting_for);
    return std::nullopt;
  } catch (const std::exception& e) {
    return Error::unavailable("coverage's own credential cannot be read", e.what());
  }
}

}  // namespace

RegistrationExport::RegistrationExport(std::shared_ptr<::grpc::Channel> channel, const areas::Registry& areas,
                                       grpc::TokenSource token, std::string acting_for,
                                       std::chrono::seconds deadline)
    : stub_(reg::RegistrationService::NewStub(std::move(channel))),
      areas_(areas),
      token_(std::move(token)),
      acting_for_(std::move(acting_for)),
      deadline_(deadline) {}

Result<std::vector<RegisteredRw>> RegistrationExport::rws() {
  // ListRws answers per kelurahan: ask for each kelurahan of the area registry.
  std::vector<std::string> pending{"31"};
  std::vector<RegisteredRw> out;
  while (!pending.empty()) {
    const auto code = std::move(pending.back());
    pending.pop_back();
    const auto* area = areas_.find(code);
    if (area == nullptr) continue;
    if (area->level != areas::Level::kKelurahan) {
      for (const auto* child : areas_.children(code)) pending.push_back(child->code);
      continue;
    }
    reg::ListRwsRequest request;
    request.set_kelurahan_code(code);
    reg::ListRwsResponse reply;
    ::grpc::ClientContext context;
    grpc::set_deadline(context, std::chrono::seconds(30));
    if (auto refused = authorized(context, token_, acting_for_)) return fail(std::move(*refused));
    const auto status = stub_->ListRws(&context, request, &reply);
    if (!status.ok()) return fail(error_of(status, "ListRws " + code));
    for (const auto& rw : reply.rws())
      out.push_back({rw.code(), rw.kelurahan_code(), rw.target(), rw.active()});
  }
  return out;
}

Result<void> RegistrationExport::participants(const std::function<void(const ParticipantRow&)>& row) {
  reg::ExportParticipantsRequest request;
  request.set_include_exited(true);
  ::grpc::ClientContext context;
  grpc::set_deadline(context, deadline_);
  if (auto refused = authorized(context, token_, acting_for_)) return fail(std::move(*refused));
  auto reader = stub_->ExportParticipants(&context, request);
  reg::ParticipantSummary summary;
  while (reader->Read(&summary)) row({summary.rw_code(), summary.status() != "exited"});
  const auto status = reader->Finish();
  if (!status.ok()) return fail(error_of(status, "ExportParticipants"));
  return {};
}

}  // namespace jaring::coverage

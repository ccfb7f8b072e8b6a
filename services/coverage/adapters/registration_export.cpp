#include "registration_export.hpp"

#include <grpcpp/grpcpp.h>

#include <charconv>
#include <optional>
#include <string_view>

#include "jaring/grpc/server.hpp"
#include "jaring/store/consumer_offsets.hpp"

namespace jaring::coverage {
namespace {

namespace reg = registration::v1;

Error error_of(const ::grpc::Status& status, const std::string& what) {
  return Error::unavailable(what + ": " + status.error_message() + " (code " +
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

// The value of the trailer `name` the server ended a finished call with, if it sent one.
std::optional<std::string_view> trailer(const ::grpc::ClientContext& context, const char* name) {
  const auto& trailers = context.GetServerTrailingMetadata();
  const auto it = trailers.find(name);
  if (it == trailers.end()) return std::nullopt;
  return std::string_view(it->second.data(), it->second.size());
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
    if (!status.ok()) return fail(error_of(status, "registration ListRws " + code));
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
  if (!status.ok()) return fail(error_of(status, "registration ExportParticipants"));
  unpublished_.reset();
  if (const auto text = trailer(context, grpc::kUnpublishedEventsTrailer)) {
    std::int64_t n = 0;
    if (std::from_chars(text->data(), text->data() + text->size(), n).ec == std::errc{}) unpublished_ = n;
  }
  return {};
}

// Reads one owner's export stream to its end; `open` starts the call, `convert` makes a fact.
// `applied`, when given, gets the stream's kAppliedOffsetsTrailer (nullopt without one).
template <class Message, class Open, class Convert>
Result<void> read_export(const ExportCaller& caller, const std::string& what, Open&& open, Convert&& convert,
                         const std::function<void(const OwnerFact&)>& fact,
                         std::optional<std::string>* applied = nullptr) {
  if (applied != nullptr) applied->reset();  // a failed export says nothing
  ::grpc::ClientContext context;
  grpc::set_deadline(context, caller.deadline);
  if (auto refused = authorized(context, caller.token, caller.acting_for)) return fail(std::move(*refused));
  auto reader = open(context);
  Message message;
  while (reader->Read(&message)) fact(convert(message));
  const auto status = reader->Finish();
  if (!status.ok()) return fail(error_of(status, what));
  if (const auto text = trailer(context, grpc::kAppliedOffsetsTrailer); applied != nullptr && text)
    *applied = std::string(*text);
  return {};
}

ContributionExport::ContributionExport(std::shared_ptr<::grpc::Channel> channel, ExportCaller caller)
    : stub_(contribution::v1::ContributionService::NewStub(std::move(channel))), caller_(std::move(caller)) {}

Result<void> ContributionExport::facts(const std::function<void(const OwnerFact&)>& fact) {
  const contribution::v1::ExportCoverageRequest request;
  return read_export<contribution::v1::AccountCoverage>(
      caller_, "contribution ExportCoverage",
      [&](::grpc::ClientContext& context) { return stub_->ExportCoverage(&context, request); },
      [](const contribution::v1::AccountCoverage& m) {
        return OwnerFact{m.rw_code(), m.state()};
      },
      fact, &applied_);
}

std::optional<std::map<std::string, std::int64_t>> ContributionExport::applied_before_export(
    const std::string& cluster) const {
  if (!applied_) return std::nullopt;
  return store::parse_consumer_positions(*applied_, cluster);
}

SponsorshipExport::SponsorshipExport(std::shared_ptr<::grpc::Channel> channel, ExportCaller caller)
    : stub_(csr::v1::SponsorService::NewStub(std::move(channel))), caller_(std::move(caller)) {}

Result<void> SponsorshipExport::facts(const std::function<void(const OwnerFact&)>& fact) {
  const csr::v1::ExportSponsorshipsRequest request;
  return read_export<csr::v1::Sponsorship>(
      caller_, "csr-donor ExportSponsorships",
      [&](::grpc::ClientContext& context) { return stub_->ExportSponsorships(&context, request); },
      [](const csr::v1::Sponsorship& m) {
        return OwnerFact{m.rw_code(), ""};
      },
      fact);
}

PaidClaimsExport::PaidClaimsExport(std::shared_ptr<::grpc::Channel> channel, ExportCaller caller)
    : stub_(claims::v1::ClaimsService::NewStub(std::move(channel))), caller_(std::move(caller)) {}

Result<void> PaidClaimsExport::facts(const std::function<void(const OwnerFact&)>& fact) {
  const claims::v1::ExportPaidClaimsRequest request;
  return read_export<claims::v1::PaidClaim>(
      caller_, "claims ExportPaidClaims",
      [&](::grpc::ClientContext& context) { return stub_->ExportPaidClaims(&context, request); },
      [](const claims::v1::PaidClaim& m) {
        return OwnerFact{m.rw_code(), "", m.amount_rupiah()};
      },
      fact);
}

}  // namespace jaring::coverage

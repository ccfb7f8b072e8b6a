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

// The value of the trailer `name` the server ended a finished call with, if it sent one.
std::optional<std::string_view> trailer(const ::grpc::ClientContext& context, const char* name) {
  const auto& trailers = context.GetServerTrailingMetadata();
  const auto it = trailers.find(name);
  if (it == trailers.end()) return std::nullopt;
  return std::string_view(it->second.data(), it->second.size());
}

}  // namespace

grpc::Caller export_caller(grpc::TokenSource token, std::string acting_for) {
  return {std::move(token), std::chrono::minutes(5), std::move(acting_for)};
}

RegistrationExport::RegistrationExport(const std::shared_ptr<::grpc::Channel>& channel,
                                       const areas::Registry& areas, grpc::Caller caller)
    : registration_(channel, std::move(caller)), areas_(areas) {}

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
    // A token file that cannot be read fails the export like registration being away.
    if (auto ready = registration_.prepare(context, {}, std::chrono::seconds(30)); !ready)
      return fail(std::move(ready.error()));
    const auto status = registration_.stub().ListRws(&context, request, &reply);
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
  if (auto ready = registration_.prepare(context); !ready) return fail(std::move(ready.error()));
  auto reader = registration_.stub().ExportParticipants(&context, request);
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
Result<void> read_export(const grpc::Caller& caller, const std::string& what, Open&& open, Convert&& convert,
                         const std::function<void(const OwnerFact&)>& fact,
                         std::optional<std::string>* applied = nullptr) {
  if (applied != nullptr) applied->reset();  // a failed export says nothing
  ::grpc::ClientContext context;
  if (auto ready = caller.prepare(context); !ready) return fail(std::move(ready.error()));
  auto reader = open(context);
  Message message;
  while (reader->Read(&message)) fact(convert(message));
  const auto status = reader->Finish();
  if (!status.ok()) return fail(error_of(status, what));
  if (const auto text = trailer(context, grpc::kAppliedOffsetsTrailer); applied != nullptr && text)
    *applied = std::string(*text);
  return {};
}

ContributionExport::ContributionExport(const std::shared_ptr<::grpc::Channel>& channel, grpc::Caller caller)
    : contribution_(channel, std::move(caller)) {}

Result<void> ContributionExport::facts(const std::function<void(const OwnerFact&)>& fact) {
  const contribution::v1::ExportCoverageRequest request;
  return read_export<contribution::v1::AccountCoverage>(
      contribution_.caller(), "contribution ExportCoverage",
      [&](::grpc::ClientContext& context) { return contribution_.stub().ExportCoverage(&context, request); },
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

SponsorshipExport::SponsorshipExport(const std::shared_ptr<::grpc::Channel>& channel, grpc::Caller caller)
    : csr_donor_(channel, std::move(caller)) {}

Result<void> SponsorshipExport::facts(const std::function<void(const OwnerFact&)>& fact) {
  const csr::v1::ExportSponsorshipsRequest request;
  return read_export<csr::v1::Sponsorship>(
      csr_donor_.caller(), "csr-donor ExportSponsorships",
      [&](::grpc::ClientContext& context) { return csr_donor_.stub().ExportSponsorships(&context, request); },
      [](const csr::v1::Sponsorship& m) {
        return OwnerFact{m.rw_code(), ""};
      },
      fact);
}

PaidClaimsExport::PaidClaimsExport(const std::shared_ptr<::grpc::Channel>& channel, grpc::Caller caller)
    : claims_(channel, std::move(caller)) {}

Result<void> PaidClaimsExport::facts(const std::function<void(const OwnerFact&)>& fact) {
  const claims::v1::ExportPaidClaimsRequest request;
  return read_export<claims::v1::PaidClaim>(
      claims_.caller(), "claims ExportPaidClaims",
      [&](::grpc::ClientContext& context) { return claims_.stub().ExportPaidClaims(&context, request); },
      [](const claims::v1::PaidClaim& m) {
        return OwnerFact{m.rw_code(), "", m.amount_rupiah()};
      },
      fact);
}

}  // namespace jaring::coverage

#include "registry_client.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace jaring::claims {
namespace {

// A participant as GetParticipantFacts answers it.
Participant from_facts(const registration::v1::ParticipantFacts& facts) {
  Participant p;
  p.participant_id = facts.participant_id();
  p.rw_code = facts.rw_code();
  p.branch_code = facts.branch_code();
  p.category = facts.category();
  p.agent_id = facts.agent_id();
  p.income_band = facts.income_band();
  p.registered_on = facts.registered_on();
  p.exit_reason = facts.exit_reason();
  p.exit_date = facts.exit_date();
  for (const auto& band : facts.income_bands()) p.incomes.push_back({band.since(), band.income_band()});
  for (const auto& branch : facts.branches()) p.branches.push_back({branch.since(), branch.branch_code()});
  return p;
}

}  // namespace

RegistryClient::RegistryClient(const std::shared_ptr<::grpc::Channel>& channel, grpc::TokenSource token,
                               std::chrono::milliseconds timeout)
    : registration_(channel, {std::move(token), timeout}) {}

Result<std::optional<Participant>> RegistryClient::participant(const std::string& participant_id,
                                                               const std::string& acting_for) {
  registration::v1::GetParticipantFactsRequest request;
  request.set_participant_id(participant_id);
  registration::v1::ParticipantFacts reply;
  ::grpc::ClientContext context;
  if (auto ready = registration_.prepare(context, acting_for); !ready) return fail(std::move(ready.error()));
  const auto status = registration_.stub().GetParticipantFacts(&context, request, &reply);
  if (status.ok()) return std::optional<Participant>(from_facts(reply));
  if (status.error_code() == ::grpc::StatusCode::NOT_FOUND) return std::optional<Participant>();
  // Whatever else it is (registration down or slow, claims' credential refused), the caller can
  // do nothing about it but try again: the operator reads the cause in this log.
  spdlog::warn("registration GetParticipantFacts for {}: {} ({})", participant_id, status.error_message(),
               static_cast<int>(status.error_code()));
  return fail(Error::unavailable(
      fmt::format("registration cannot answer for participant {} now; try again", participant_id)));
}

}  // namespace jaring::claims

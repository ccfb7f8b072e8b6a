#include "remote.hpp"

#include <map>

#include <fmt/format.h>

#include "jaring/grpc/server.hpp"

namespace jaring::csr {
namespace {

// A failed call to another service, as the caller of csr-donor should see it.
Error remote_error(const char* what, const ::grpc::Status& status) {
  const auto message = fmt::format("{}: {}", what, status.error_message());
  switch (status.error_code()) {
    case ::grpc::StatusCode::INVALID_ARGUMENT: {
      std::vector<FieldViolation> violations;
      for (auto& v : grpc::field_violations(status)) violations.push_back(std::move(v));
      if (violations.empty()) violations.push_back({"", message});
      return Error{ErrorCode::kInvalidArgument, message, std::move(violations)};
    }
    case ::grpc::StatusCode::NOT_FOUND:
      return {ErrorCode::kFailedPrecondition, message, {}};
    default:
      return Error::unavailable(message);
  }
}

}  // namespace

ContributionTariffs::ContributionTariffs(const std::shared_ptr<::grpc::Channel>& channel,
                                         grpc::TokenSource token, std::chrono::milliseconds timeout)
    : contribution_(channel, {std::move(token), timeout}) {}

Result<Rupiah> ContributionTariffs::monthly(Month period, const Terms& terms, const std::string& acting_for) {
  contribution::v1::QuoteRequest request;
  request.set_period(period.str());
  request.set_category(terms.category);
  request.set_payer(terms.payer);
  request.set_programs(terms.programs);
  request.set_income_band(terms.income_band);
  contribution::v1::Charge reply;
  ::grpc::ClientContext context;
  if (auto ready = contribution_.prepare(context, acting_for); !ready) return fail(std::move(ready.error()));
  const auto status = contribution_.stub().Quote(&context, request, &reply);
  if (!status.ok()) return fail(remote_error("contribution Quote", status));
  return reply.total();
}

RegistrationClient::RegistrationClient(const std::shared_ptr<::grpc::Channel>& channel,
                                       grpc::TokenSource token, std::chrono::milliseconds timeout)
    : registration_(channel, {std::move(token), timeout}) {}

Result<std::vector<Registered>> RegistrationClient::register_workers(const std::vector<ProposalInput>& rows,
                                                                     const std::string& submitted_by) {
  namespace reg = registration::v1;
  ::grpc::ClientContext context;
  if (auto ready = registration_.prepare(context, submitted_by); !ready)
    return fail(std::move(ready.error()));
  auto stream = registration_.stub().RegisterBulk(&context);
  reg::RegisterBulkRequest batch;
  // Rows are told apart by their index; the caller's row numbers may repeat or be zero.
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& w = *rows[i].worker;
    auto* r = batch.add_requests();
    // Derived from the NIK, like the CSV import: proposing a worker again registers nobody twice.
    r->set_idempotency_key("csr-proposal:" + w.nik);
    r->set_nik(w.nik);
    r->set_name(w.name);
    r->set_birth_date(w.birth_date);
    r->set_sex(w.sex);
    r->set_phone(w.phone);
    r->set_rw_code(w.rw_code);
    r->set_rt(w.rt);
    r->set_category(w.category);
    r->set_income_band(w.income_band);
    r->set_programs(w.programs.empty() ? "jkk+jkm" : w.programs);
    r->set_payer("self");  // the sponsor becomes the payer once it accepts the worker
    r->set_agent_id(w.agent_id);
    r->set_row(static_cast<std::int64_t>(i));
  }
  std::vector<Registered> out(rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    out[i].row = rows[i].row;
    out[i].reason = "registration did not answer for this row";
  }
  if (!stream->Write(batch)) return fail(Error::unavailable("registration RegisterBulk: the stream closed"));
  stream->WritesDone();
  reg::RegisterBulkResponse response;
  while (stream->Read(&response)) {
    for (const auto& result : response.results()) {
      const auto index = static_cast<std::size_t>(result.row());
      if (index >= out.size()) continue;
      auto& r = out[index];
      // Registered now, or by an earlier try of this very proposal.
      if ((result.code() == 0 || result.already_present()) && !result.participant_id().empty()) {
        r.participant_id = result.participant_id();
        r.reason.clear();
      } else {
        // The field errors say it all when there are any; the message repeats them.
        std::string reason;
        for (const auto& e : result.errors())
          reason += fmt::format("{}{}: {}", reason.empty() ? "" : "; ", e.field(), e.rule());
        if (reason.empty()) reason = result.message();
        r.reason = reason.empty() ? "refused by registration" : reason;
      }
    }
  }
  const auto status = stream->Finish();
  if (!status.ok()) return fail(remote_error("registration RegisterBulk", status));
  return out;
}

}  // namespace jaring::csr

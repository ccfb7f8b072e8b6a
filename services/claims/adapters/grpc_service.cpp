#include "grpc_service.hpp"

#include <spdlog/spdlog.h>

#include "../core/rules.hpp"
#include "jaring/grpc/server.hpp"

namespace jaring::claims {
namespace {

Actor actor_of(const grpc::Call& call) { return {call.caller.subject, call.caller.roles.str()}; }

void to_proto(const Child& c, v1::Child* out) {
  out->set_name(c.name);
  out->set_birth_date(c.birth_date);
  out->set_level(c.level);
  out->set_school_year(c.school_year);
  out->set_married(c.married);
  out->set_working(c.working);
}

::grpc::Status answer(const Result<Claim>& claim, v1::Claim* reply, const char* what) {
  if (!claim) return grpc::to_status(claim.error());
  to_proto(*claim, reply, true);
  // Names and NIKs stay out of logs: the claim id, type and status say what happened.
  spdlog::info("claim {} {} ({}): {}", claim->id, what, claim->type, claim->status);
  return ::grpc::Status::OK;
}

}  // namespace

void to_proto(const Claim& c, v1::Claim* out, bool with_history) {
  out->set_claim_id(c.id);
  out->set_participant_id(c.participant_id);
  out->set_claim_type(c.type);
  out->set_status(c.status);
  out->set_event_date(c.event_date);
  out->set_rw_code(c.rw_code);
  out->set_branch_code(c.branch_code);
  out->set_heir_relation(c.claimant.relation);
  out->set_claimant_name(c.claimant.name);
  out->set_filed_by(c.filed_by);
  out->set_filed_at(c.filed_at);
  out->set_coverage_state(c.coverage.state);
  out->set_coverage_reason(c.coverage.reason);
  out->set_contribution_months(c.coverage.contribution_months);
  for (const auto& l : c.lines) {
    auto* line = out->add_lines();
    line->set_component(l.component);
    line->set_amount(l.amount);
    line->set_basis(l.basis);
  }
  out->set_total(c.total);
  for (const auto& d : c.documents) {
    auto* doc = out->add_documents();
    doc->set_code(d.code);
    doc->set_received(d.received);
    doc->set_received_by(d.received_by);
    doc->set_received_at(d.received_at);
  }
  for (const auto& m : missing_documents(c)) out->add_missing_documents(m);
  out->set_rejection_reason(c.rejection_reason);
  out->set_approved_by(c.approved_by);
  out->set_paid_on(c.paid_on);
  out->set_paid_by(c.paid_by);
  out->set_death_claim_id(c.death_claim_id);
  out->set_scholarship_year(c.scholarship_year);
  for (const auto& ch : c.children) to_proto(ch, out->add_children());
  out->set_incapacity_months(c.incapacity_months);
  for (const auto& part : c.body_parts) out->add_body_parts(part);
  out->set_claimed_amount(c.claimed_amount);
  out->set_verified_amount(c.verified_amount);
  out->set_payment_reference(c.payment_reference);
  if (!with_history) return;
  for (const auto& h : c.history) {
    auto* entry = out->add_history();
    entry->set_action(h.action);
    entry->set_from_status(h.from_status);
    entry->set_to_status(h.to_status);
    entry->set_user(h.user);
    entry->set_role(h.role);
    entry->set_at(h.at);
    entry->set_note(h.note);
  }
}

::grpc::Status GrpcService::file_claim(::grpc::ServerContextBase* context,
                                       const v1::FileClaimRequest* request, v1::Claim* reply) {
  return edge_.serve(context, "FileClaim", request, reply, [&](const grpc::Call& call) {
    FileCommand c;
    c.idempotency_key = request->idempotency_key();
    c.participant_id = request->participant_id();
    c.claim_type = request->claim_type();
    c.event_date = request->event_date();
    c.claimant = {request->claimant().name(), request->claimant().nik(), request->claimant().relation(),
                  request->claimant().phone()};
    for (const auto& f : request->family()) c.family.push_back({f.relation(), f.alive(), f.name()});
    c.agent_id = request->agent_id();
    c.incapacity_months = request->incapacity_months();
    c.body_parts.assign(request->body_parts().begin(), request->body_parts().end());
    c.claimed_amount = request->claimed_amount();
    c.death_claim_id = request->death_claim_id();
    c.scholarship_year = request->scholarship_year();
    for (const auto& ch : request->children())
      c.children.push_back(
          {ch.name(), ch.birth_date(), ch.level(), ch.school_year(), ch.married(), ch.working()});
    c.requested_amount = request->requested_amount();
    c.note = request->note();
    return answer(core_.file(c, actor_of(call), call.scope), reply, "filed");
  });
}

::grpc::Status GrpcService::attach_documents(::grpc::ServerContextBase* context,
                                             const v1::AttachDocumentsRequest* request, v1::Claim* reply) {
  return edge_.serve(context, "AttachDocuments", request, reply, [&](const grpc::Call& call) {
    std::vector<std::string> documents(request->documents().begin(), request->documents().end());
    return answer(core_.attach_documents(request->claim_id(), documents, actor_of(call), call.scope), reply,
                  "documents");
  });
}

::grpc::Status GrpcService::verify_claim(::grpc::ServerContextBase* context,
                                         const v1::VerifyClaimRequest* request, v1::Claim* reply) {
  return edge_.serve(context, "VerifyClaim", request, reply, [&](const grpc::Call& call) {
    return answer(core_.verify(request->claim_id(), request->verified_amount(), request->note(),
                               actor_of(call), call.scope),
                  reply, "verified");
  });
}

::grpc::Status GrpcService::approve_claim(::grpc::ServerContextBase* context,
                                          const v1::ApproveClaimRequest* request, v1::Claim* reply) {
  return edge_.serve(context, "ApproveClaim", request, reply, [&](const grpc::Call& call) {
    return answer(core_.approve(request->claim_id(), request->note(), actor_of(call), call.scope), reply,
                  "approved");
  });
}

::grpc::Status GrpcService::pay_claim(::grpc::ServerContextBase* context, const v1::PayClaimRequest* request,
                                      v1::Claim* reply) {
  return edge_.serve(context, "PayClaim", request, reply, [&](const grpc::Call& call) {
    return answer(core_.pay(request->claim_id(), request->idempotency_key(), request->reference(),
                            actor_of(call), call.scope),
                  reply, "paid");
  });
}

::grpc::Status GrpcService::reject_claim(::grpc::ServerContextBase* context,
                                         const v1::RejectClaimRequest* request, v1::Claim* reply) {
  return edge_.serve(context, "RejectClaim", request, reply, [&](const grpc::Call& call) {
    return answer(core_.reject(request->claim_id(), request->reason(), actor_of(call), call.scope), reply,
                  "rejected");
  });
}

::grpc::Status GrpcService::GetClaim(::grpc::ServerContext* context, const v1::GetClaimRequest* request,
                                     v1::Claim* reply) {
  return edge_.serve(context, "GetClaim", request, reply, [&](const grpc::Call& call) {
    auto claim = core_.get(request->claim_id(), call.scope);
    if (!claim) return grpc::to_status(claim.error());
    to_proto(*claim, reply, true);
    return ::grpc::Status::OK;
  });
}

::grpc::Status GrpcService::ListClaims(::grpc::ServerContext* context, const v1::ListClaimsRequest* request,
                                       v1::ListClaimsResponse* reply) {
  return edge_.serve(context, "ListClaims", request, reply, [&](const grpc::Call& call) {
    auto page = core_.list({request->branch_code(), request->status(), request->period(),
                            request->page_size(), request->page_token()},
                           call.scope);
    if (!page) return grpc::to_status(page.error());
    for (const auto& c : page->claims) to_proto(c, reply->add_claims(), false);
    reply->set_next_page_token(page->next_page_token);
    return ::grpc::Status::OK;
  });
}

::grpc::Status GrpcService::ListScholarshipsDue(::grpc::ServerContext* context,
                                                const v1::ListScholarshipsDueRequest* request,
                                                v1::ListScholarshipsDueResponse* reply) {
  return edge_.serve(context, "ListScholarshipsDue", request, reply, [&](const grpc::Call& call) {
    auto due = core_.scholarships_due(request->year(), request->branch_code(), call.scope);
    if (!due) return grpc::to_status(due.error());
    for (const auto& d : *due) {
      auto* out = reply->add_due();
      out->set_participant_id(d.participant_id);
      out->set_death_claim_id(d.death_claim_id);
      out->set_child_name(d.last.name);
      out->set_birth_date(d.last.birth_date);
      out->set_last_year(d.last_year);
      out->set_last_level(d.last.level);
      out->set_last_school_year(d.last.school_year);
      out->set_age(d.age);
      out->set_branch_code(d.branch_code);
    }
    return ::grpc::Status::OK;
  });
}

::grpc::Status GrpcService::ExportPaidClaims(::grpc::ServerContext* context,
                                             const v1::ExportPaidClaimsRequest* request,
                                             ::grpc::ServerWriter<v1::PaidClaim>* writer) {
  return edge_.serve(context, "ExportPaidClaims", request, nullptr, [&](const grpc::Call&) {
    return grpc::stream_export<PaidClaimFact>(
        context, writer, [&](const auto& sink) { return core_.export_paid(sink); },
        [](const PaidClaimFact& f, v1::PaidClaim& m) {
          m.set_claim_id(f.claim_id);
          m.set_participant_id(f.participant_id);
          m.set_rw_code(f.rw_code);
          m.set_amount_rupiah(f.amount);
          m.set_paid_on(f.paid_on);
        });
  });
}

::grpc::Status GrpcService::CheckEligibility(::grpc::ServerContext* context,
                                             const v1::CheckEligibilityRequest* request,
                                             v1::Eligibility* reply) {
  return edge_.serve(context, "CheckEligibility", request, reply, [&](const grpc::Call& call) {
    auto coverage = core_.coverage_on(request->participant_id(), request->date(), actor_of(call), call.scope);
    if (!coverage) return grpc::to_status(coverage.error());
    reply->set_eligible(coverage->eligible);
    reply->set_state(coverage->state);
    reply->set_reason(coverage->reason);
    reply->set_unpaid_months(coverage->unpaid_months);
    reply->set_contribution_months(coverage->contribution_months);
    return ::grpc::Status::OK;
  });
}

}  // namespace jaring::claims

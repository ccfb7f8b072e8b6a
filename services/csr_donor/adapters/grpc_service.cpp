#include "grpc_service.hpp"

#include <spdlog/spdlog.h>

#include "jaring/grpc/server.hpp"

namespace jaring::csr {
namespace {

// A sponsor as the caller may see it: the wallet (and who opened it) only for its own sponsor
// and for auditors and admins; the directory of names and kinds for area officials.
void to_proto(const SponsorView& v, v1::Sponsor* out, const auth::Scope& scope) {
  const auto& s = v.sponsor;
  out->set_sponsor_id(s.id);
  out->set_name(s.name);
  out->set_kind(s.kind);
  out->set_created_at(s.created_at);
  if (!owns(scope, s.id)) return;
  out->set_balance(s.balance);
  out->set_deposited(s.deposited);
  out->set_spent(s.spent);
  out->set_monthly_need(v.monthly_need);
  out->set_months_left(v.months_left);
  out->set_funds_low(s.funds_low);
  out->set_created_by(s.created_by);
}

void to_proto(const Budget& b, v1::Budget* out) {
  out->set_sponsor_id(b.sponsor_id);
  out->set_members(b.members);
  for (const auto& m : b.months) {
    auto* month = out->add_months();
    month->set_period(m.period.str());
    month->set_members(m.members);
    month->set_amount(m.amount);
  }
  out->set_total(b.total);
  out->set_balance(b.balance);
  out->set_shortfall(b.shortfall);
}

void to_proto(const CohortView& v, v1::Cohort* out) {
  const auto& c = v.cohort;
  out->set_cohort_id(c.id);
  out->set_sponsor_id(c.sponsor_id);
  out->set_name(c.name);
  out->set_start_period(c.start.str());
  out->set_months(c.months);
  out->set_last_period(c.last.str());
  out->set_max_members(c.max_members);
  for (const auto& x : c.categories) out->add_categories(x);
  for (const auto& x : c.rw_codes) out->add_rw_codes(x);
  out->set_status(c.status);
  out->set_end_reason(c.end_reason);
  out->set_created_by(c.created_by);
  for (const auto& m : v.members) {
    auto* member = out->add_members();
    member->set_participant_id(m.participant_id);
    member->set_rw_code(m.rw_code);
    member->set_from_period(m.from.str());
    member->set_to_period(m.to.str());
    member->set_active(m.active);
    member->set_end_reason(m.end_reason);
  }
  to_proto(v.budget, out->mutable_budget());
}

void to_proto(const Proposal& p, v1::Proposal* out) {
  out->set_proposal_id(p.id);
  out->set_kelurahan_code(p.kelurahan_code);
  out->set_submitted_by(p.submitted_by);
  out->set_submitted_at(p.submitted_at);
  out->set_note(p.note);
  out->set_status(p.status());
  for (const auto& i : p.items) {
    auto* item = out->add_items();
    item->set_item_id(i.item_id);
    item->set_row(i.row);
    item->set_participant_id(i.participant_id);
    item->set_rw_code(i.rw_code);
    item->set_category(i.category);
    item->set_reason(i.reason);
    item->set_status(i.status);
    item->set_decision_reason(i.decision_reason);
    item->set_sponsor_id(i.sponsor_id);
    item->set_cohort_id(i.cohort_id);
    item->set_decided_by(i.decided_by);
  }
  for (const auto& r : p.refused) {
    auto* row = out->add_refused();
    row->set_row(r.row);
    row->set_reason(r.reason);
  }
}

CohortSpec from_proto(const v1::CohortSpec& s) {
  CohortSpec spec;
  spec.sponsor_id = s.sponsor_id();
  spec.name = s.name();
  spec.start_period = s.start_period();
  spec.months = s.months();
  spec.participant_ids.assign(s.participant_ids().begin(), s.participant_ids().end());
  spec.max_members = s.max_members();
  spec.categories.assign(s.categories().begin(), s.categories().end());
  spec.rw_codes.assign(s.rw_codes().begin(), s.rw_codes().end());
  return spec;
}

// The core's error as a status, or OK once `fill` wrote the reply from its answer.
template <typename T, typename Fill>
::grpc::Status answer(const Result<T>& result, Fill&& fill) {
  if (!result) return grpc::to_status(result.error());
  fill(*result);
  return ::grpc::Status::OK;
}

Actor actor_of(const grpc::Call& call) { return {call.caller.subject, call.scope}; }

}  // namespace

::grpc::Status GrpcService::create_sponsor(::grpc::ServerContextBase* context,
                                           const v1::CreateSponsorRequest* request, v1::Sponsor* reply) {
  return edge_.serve(context, "CreateSponsor", request, reply, [&](const grpc::Call& call) {
    const auto by = actor_of(call);
    return answer(
        core_.wallets().create_sponsor(request->idempotency_key(), request->name(), request->kind(), by),
        [&](const SponsorView& s) {
          spdlog::info("sponsor {} ({}) created by {}", s.sponsor.id, s.sponsor.kind, by.subject);
          to_proto(s, reply, call.scope);
        });
  });
}

::grpc::Status GrpcService::ListSponsors(::grpc::ServerContext* context,
                                         const v1::ListSponsorsRequest* request,
                                         v1::ListSponsorsResponse* reply) {
  return edge_.serve(context, "ListSponsors", request, reply, [&](const grpc::Call& call) {
    return answer(core_.wallets().sponsors(call.scope), [&](const std::vector<SponsorView>& list) {
      for (const auto& s : list) to_proto(s, reply->add_sponsors(), call.scope);
    });
  });
}

::grpc::Status GrpcService::GetSponsor(::grpc::ServerContext* context, const v1::GetSponsorRequest* request,
                                       v1::Sponsor* reply) {
  return edge_.serve(context, "GetSponsor", request, reply, [&](const grpc::Call& call) {
    return answer(core_.wallets().sponsor(request->sponsor_id(), call.scope),
                  [&](const SponsorView& s) { to_proto(s, reply, call.scope); });
  });
}

::grpc::Status GrpcService::deposit(::grpc::ServerContextBase* context, const v1::DepositRequest* request,
                                    v1::DepositResult* reply) {
  return edge_.serve(context, "Deposit", request, reply, [&](const grpc::Call& call) {
    const auto by = actor_of(call);
    return answer(core_.wallets().deposit(request->idempotency_key(), request->sponsor_id(),
                                          request->amount(), request->reference(), by),
                  [&](const csr::Deposit& d) {
                    if (!d.repeated)
                      spdlog::info("deposit {} of Rp{} to {} by {}", d.id, d.amount, d.sponsor_id,
                                   by.subject);
                    reply->set_deposit_id(d.id);
                    reply->set_sponsor_id(d.sponsor_id);
                    reply->set_amount(d.amount);
                    reply->set_balance(d.balance);
                    reply->set_repeated(d.repeated);
                  });
  });
}

::grpc::Status GrpcService::GetLedger(::grpc::ServerContext* context, const v1::GetLedgerRequest* request,
                                      v1::Ledger* reply) {
  return edge_.serve(context, "GetLedger", request, reply, [&](const grpc::Call& call) {
    auto s = core_.wallets().sponsor(request->sponsor_id(), call.scope);
    if (!s) return grpc::to_status(s.error());
    return answer(core_.wallets().ledger(request->sponsor_id(), request->limit(), call.scope),
                  [&](const std::vector<LedgerLine>& lines) {
                    reply->set_sponsor_id(s->sponsor.id);
                    reply->set_balance(s->sponsor.balance);
                    for (const auto& l : lines) {
                      auto* line = reply->add_lines();
                      line->set_seq(l.seq);
                      line->set_kind(l.kind);
                      line->set_amount(l.amount);
                      line->set_balance(l.balance);
                      line->set_reference(l.reference);
                      line->set_participant_id(l.participant_id);
                      line->set_period(l.period);
                      line->set_cohort_id(l.cohort_id);
                      line->set_at(l.at);
                      line->set_note(l.note);
                    }
                  });
  });
}

::grpc::Status GrpcService::QuoteCohort(::grpc::ServerContext* context, const v1::CohortSpec* request,
                                        v1::Budget* reply) {
  return edge_.serve(context, "QuoteCohort", request, reply, [&](const grpc::Call& call) {
    return answer(core_.cohorts().quote_cohort(from_proto(*request), actor_of(call)),
                  [&](const Budget& b) { to_proto(b, reply); });
  });
}

::grpc::Status GrpcService::CreateCohort(::grpc::ServerContext* context,
                                         const v1::CreateCohortRequest* request, v1::Cohort* reply) {
  return edge_.serve(context, "CreateCohort", request, reply, [&](const grpc::Call& call) {
    const auto by = actor_of(call);
    return answer(core_.cohorts().create_cohort(request->idempotency_key(), from_proto(request->spec()), by),
                  [&](const CohortView& c) {
                    spdlog::info("cohort {} of {} with {} member(s) created by {}", c.cohort.id,
                                 c.cohort.sponsor_id, c.members.size(), by.subject);
                    to_proto(c, reply);
                  });
  });
}

::grpc::Status GrpcService::EndCohort(::grpc::ServerContext* context, const v1::EndCohortRequest* request,
                                      v1::Cohort* reply) {
  return edge_.serve(context, "EndCohort", request, reply, [&](const grpc::Call& call) {
    const auto by = actor_of(call);
    return answer(core_.cohorts().end_cohort(request->idempotency_key(), request->cohort_id(),
                                             request->last_period(), by),
                  [&](const CohortView& c) {
                    spdlog::info("cohort {} ended after {} by {}", c.cohort.id, c.cohort.last.str(),
                                 by.subject);
                    to_proto(c, reply);
                  });
  });
}

::grpc::Status GrpcService::ListCohorts(::grpc::ServerContext* context, const v1::ListCohortsRequest* request,
                                        v1::ListCohortsResponse* reply) {
  return edge_.serve(context, "ListCohorts", request, reply, [&](const grpc::Call& call) {
    return answer(core_.cohorts().cohorts(request->sponsor_id(), call.scope),
                  [&](const std::vector<CohortView>& list) {
                    for (const auto& c : list) to_proto(c, reply->add_cohorts());
                  });
  });
}

::grpc::Status GrpcService::GetCohort(::grpc::ServerContext* context, const v1::GetCohortRequest* request,
                                      v1::Cohort* reply) {
  return edge_.serve(context, "GetCohort", request, reply, [&](const grpc::Call& call) {
    return answer(core_.cohorts().cohort(request->cohort_id(), call.scope),
                  [&](const CohortView& c) { to_proto(c, reply); });
  });
}

::grpc::Status GrpcService::SubmitProposal(::grpc::ServerContext* context,
                                           const v1::SubmitProposalRequest* request, v1::Proposal* reply) {
  return edge_.serve(context, "SubmitProposal", request, reply, [&](const grpc::Call& call) {
    std::vector<ProposalInput> inputs;
    for (const auto& in : request->items()) {
      ProposalInput input{in.row(), in.participant_id(), std::nullopt, in.reason()};
      if (in.has_worker()) {
        const auto& w = in.worker();
        input.worker =
            NewWorker{w.nik(), w.name(),     w.birth_date(),  w.sex(),      w.phone(),   w.rw_code(),
                      w.rt(),  w.category(), w.income_band(), w.programs(), w.agent_id()};
      }
      inputs.push_back(std::move(input));
    }
    const auto by = actor_of(call);
    return answer(core_.proposals().submit_proposal(request->idempotency_key(), request->kelurahan_code(),
                                                    inputs, request->note(), by),
                  [&](const Proposal& p) {
                    spdlog::info("proposal {} from {} by {}: {} item(s), {} refused", p.id, p.kelurahan_code,
                                 by.subject, p.items.size(), p.refused.size());
                    to_proto(p, reply);
                  });
  });
}

::grpc::Status GrpcService::ListProposals(::grpc::ServerContext* context,
                                          const v1::ListProposalsRequest* request,
                                          v1::ListProposalsResponse* reply) {
  return edge_.serve(context, "ListProposals", request, reply, [&](const grpc::Call& call) {
    return answer(core_.proposals().proposals(request->kelurahan_code(), request->status(), call.scope),
                  [&](const std::vector<Proposal>& list) {
                    for (const auto& p : list) to_proto(p, reply->add_proposals());
                  });
  });
}

::grpc::Status GrpcService::GetProposal(::grpc::ServerContext* context, const v1::GetProposalRequest* request,
                                        v1::Proposal* reply) {
  return edge_.serve(context, "GetProposal", request, reply, [&](const grpc::Call& call) {
    return answer(core_.proposals().proposal(request->proposal_id(), call.scope),
                  [&](const Proposal& p) { to_proto(p, reply); });
  });
}

::grpc::Status GrpcService::AcceptProposal(::grpc::ServerContext* context,
                                           const v1::AcceptProposalRequest* request,
                                           v1::AcceptProposalResult* reply) {
  return edge_.serve(context, "AcceptProposal", request, reply, [&](const grpc::Call& call) {
    AcceptCommand c;
    c.idempotency_key = request->idempotency_key();
    c.proposal_id = request->proposal_id();
    c.sponsor_id = request->sponsor_id();
    c.item_ids.assign(request->item_ids().begin(), request->item_ids().end());
    c.cohort_id = request->cohort_id();
    c.cohort_name = request->cohort_name();
    c.start_period = request->start_period();
    c.months = request->months();
    const auto by = actor_of(call);
    return answer(core_.proposals().accept(c, by), [&](const Acceptance& a) {
      spdlog::info("proposal {}: sponsor {} accepted into cohort {} by {}", c.proposal_id, c.sponsor_id,
                   a.cohort.cohort.id, by.subject);
      to_proto(a.proposal, reply->mutable_proposal());
      to_proto(a.cohort, reply->mutable_cohort());
    });
  });
}

::grpc::Status GrpcService::RejectProposalItems(::grpc::ServerContext* context,
                                                const v1::RejectProposalItemsRequest* request,
                                                v1::Proposal* reply) {
  return edge_.serve(context, "RejectProposalItems", request, reply, [&](const grpc::Call& call) {
    std::vector<std::string> ids(request->item_ids().begin(), request->item_ids().end());
    return answer(core_.proposals().reject_items(request->idempotency_key(), request->proposal_id(), ids,
                                                 request->reason(), actor_of(call)),
                  [&](const Proposal& p) { to_proto(p, reply); });
  });
}

::grpc::Status GrpcService::ExportSponsorships(::grpc::ServerContext* context,
                                               const v1::ExportSponsorshipsRequest* request,
                                               ::grpc::ServerWriter<v1::Sponsorship>* writer) {
  return edge_.serve(context, "ExportSponsorships", request, nullptr, [&](const grpc::Call&) {
    return grpc::stream_export<SponsorshipFact>(
        context, writer, [&](const auto& sink) { return core_.impact().export_sponsorships(sink); },
        [](const SponsorshipFact& f, v1::Sponsorship& m) {
          m.set_participant_id(f.participant_id);
          m.set_rw_code(f.rw_code);
          m.set_sponsor_id(f.sponsor_id);
          m.set_cohort_id(f.cohort_id);
        });
  });
}

::grpc::Status GrpcService::GetImpact(::grpc::ServerContext* context, const v1::ImpactRequest* request,
                                      v1::ImpactReport* reply) {
  return edge_.serve(context, "GetImpact", request, reply, [&](const grpc::Call& call) {
    return answer(core_.impact().impact(request->sponsor_id(), request->from_period(), request->to_period(),
                                        call.scope),
                  [&](const Impact& r) {
                    reply->set_sponsor_id(r.sponsor_id);
                    reply->set_sponsor_name(r.sponsor_name);
                    reply->set_from_period(r.from_period);
                    reply->set_to_period(r.to_period);
                    reply->set_workers_protected(r.workers_protected);
                    reply->set_months_funded(r.months_funded);
                    reply->set_spent(r.spent);
                    reply->set_rws_reached(r.rws_reached);
                    reply->set_claims_paid(r.claims_paid);
                    reply->set_claims_amount(r.claims_amount);
                    reply->set_payments_failed(r.payments_failed);
                    for (const auto& rw : r.rws) {
                      auto* out = reply->add_rws();
                      out->set_rw_code(rw.rw_code);
                      out->set_workers(rw.workers);
                      out->set_months_funded(rw.months_funded);
                      out->set_spent(rw.spent);
                      out->set_claims_paid(rw.claims_paid);
                      out->set_claims_amount(rw.claims_amount);
                    }
                  });
  });
}

}  // namespace jaring::csr

#include "grpc_service.hpp"

#include <spdlog/spdlog.h>

#include "jaring/grpc/server.hpp"

namespace jaring::contribution {
namespace {

void to_proto(const Account& a, v1::Account* out) {
  out->set_participant_id(a.participant_id);
  out->set_rw_code(a.rw_code);
  out->set_agent_id(a.agent_id);
  out->set_category(a.terms.category);
  out->set_payer(a.terms.payer);
  out->set_programs(a.terms.programs);
  out->set_income_band(a.terms.income_band);
  out->set_state(a.state);
  out->set_first_period(a.first_period.str());
  out->set_last_period(period_text(a.last_period));
  out->set_covered_through(period_text(a.covered_through));
  out->set_months_unpaid(a.months_unpaid);
  out->set_outstanding(a.outstanding);
  out->set_credit(a.credit);
  out->set_closed_reason(a.closed_reason);
}

void to_proto(const Payment& p, v1::Payment* out) {
  out->set_payment_id(p.id);
  out->set_participant_id(p.participant_id);
  out->set_channel(p.channel);
  out->set_payer_id(p.payer_id);
  out->set_agent_id(p.agent_id);
  out->set_amount(p.amount);
  out->set_months(p.months);
  for (const auto& a : p.allocations) {
    auto* allocation = out->add_allocations();
    allocation->set_period(a.period.str());
    allocation->set_amount(a.amount);
  }
  out->set_credited(p.unallocated);
  out->set_reversed(p.reversed);
  out->set_reversal_reason(p.reversal_reason);
  out->set_received_at(p.received_at);
  out->set_batch_id(p.batch_id);
}

void to_proto(const Charge& c, v1::Charge* out) {
  out->set_period(c.period.str());
  out->set_band(c.band);
  out->set_jkk(c.jkk);
  out->set_jkm(c.jkm);
  out->set_jht(c.jht);
  out->set_discount(c.discount);
  out->set_total(c.total);
  out->set_discount_name(c.discount_name);
}

// The payment with the participant's coverage after it.
void payment_reply(Contribution& core, const Payment& payment, v1::Payment* reply) {
  to_proto(payment, reply);
  if (auto account = core.account(payment.participant_id)) {
    reply->set_coverage_state(account->state);
    reply->set_covered_through(period_text(account->covered_through));
  }
}

Caller caller_of(const grpc::Call& call) { return {call.caller.subject, call.scope}; }

}  // namespace

Result<Account> GrpcService::visible(const std::string& participant_id, const auth::Scope& scope) {
  auto account = core_.account(participant_id);
  if (account && !reaches(scope, *account))
    return fail(Error::not_found("no account for participant " + participant_id));
  return account;
}

::grpc::Status GrpcService::RunBilling(::grpc::ServerContext* context, const v1::RunBillingRequest* request,
                                       v1::BillingRun* reply) {
  return edge_.serve(context, "RunBilling", request, reply, [&](const grpc::Call&) {
    auto run = core_.run_billing(request->idempotency_key(), request->period());
    if (!run) return grpc::to_status(run.error());
    spdlog::info("billing {} for {}: {} periods billed, Rp{} ({})", run->run_id, run->period,
                 run->accounts_billed, run->amount_billed,
                 run->repeated ? "repeated, nothing changed" : "done");
    reply->set_run_id(run->run_id);
    reply->set_period(run->period);
    reply->set_accounts_billed(run->accounts_billed);
    reply->set_amount_billed(run->amount_billed);
    reply->set_accounts_closed(run->accounts_closed);
    reply->set_started_at(run->started_at);
    reply->set_finished_at(run->finished_at);
    reply->set_repeated(run->repeated);
    return ::grpc::Status::OK;
  });
}

::grpc::Status GrpcService::make_payment(::grpc::ServerContextBase* context,
                                         const v1::PaymentRequest* request, v1::Payment* reply) {
  return edge_.serve(context, "MakePayment", request, reply, [&](const grpc::Call& call) {
    auto payment = core_.pay(
        {request->idempotency_key(), request->participant_id(), request->channel(), request->payer_id(),
         request->agent_id(), request->amount(), request->months(), request->period()},
        caller_of(call));
    if (!payment) return grpc::to_status(payment.error());
    payment_reply(core_, *payment, reply);
    return ::grpc::Status::OK;
  });
}

::grpc::Status GrpcService::MakeBatchPayment(::grpc::ServerContext* context,
                                             const v1::BatchPaymentRequest* request,
                                             v1::BatchPaymentResult* reply) {
  return edge_.serve(context, "MakeBatchPayment", request, reply, [&](const grpc::Call& call) {
    BatchCommand command{
        request->idempotency_key(), request->channel(), request->payer_id(), request->agent_id(), {},
        request->description()};
    for (const auto& item : request->items())
      command.items.push_back({item.participant_id(), item.amount(), item.months()});
    auto result = core_.pay_batch(command, caller_of(call));
    if (!result) return grpc::to_status(result.error());
    reply->set_batch_id(result->batch_id);
    reply->set_accepted(result->accepted);
    for (const auto& f : result->failures) {
      auto* failure = reply->add_failures();
      failure->set_index(f.index);
      failure->set_participant_id(f.participant_id);
      failure->set_reason(f.reason);
    }
    for (const auto& p : result->payments) {
      Rupiah paid = reply->amount_paid();
      add_bounded(paid, p.amount);
      reply->set_amount_paid(paid);
      to_proto(p, reply->add_payments());
    }
    reply->set_items_paid(static_cast<std::int64_t>(result->payments.size()));
    spdlog::info("batch {}: {} ({} items, {} failures)", request->description(),
                 result->accepted ? "paid" : "refused", command.items.size(), result->failures.size());
    return ::grpc::Status::OK;
  });
}

::grpc::Status GrpcService::reverse_payment(::grpc::ServerContextBase* context,
                                            const v1::ReversePaymentRequest* request, v1::Payment* reply) {
  return edge_.serve(context, "ReversePayment", request, reply, [&](const grpc::Call& call) {
    auto payment =
        core_.reverse(request->idempotency_key(), request->payment_id(), request->reason(), caller_of(call));
    if (!payment) return grpc::to_status(payment.error());
    spdlog::info("payment {} reversed: {}", payment->id, payment->reversal_reason);
    payment_reply(core_, *payment, reply);
    return ::grpc::Status::OK;
  });
}

::grpc::Status GrpcService::GetAccount(::grpc::ServerContext* context, const v1::GetAccountRequest* request,
                                       v1::Account* reply) {
  return edge_.serve(context, "GetAccount", request, reply, [&](const grpc::Call& call) {
    auto account = visible(request->participant_id(), call.scope);
    if (!account) return grpc::to_status(account.error());
    to_proto(*account, reply);
    return ::grpc::Status::OK;
  });
}

::grpc::Status GrpcService::GetStatement(::grpc::ServerContext* context,
                                         const v1::GetStatementRequest* request, v1::Statement* reply) {
  return edge_.serve(context, "GetStatement", request, reply, [&](const grpc::Call& call) {
    auto statement = core_.statement(request->participant_id());
    if (statement && !reaches(call.scope, statement->account))
      statement = fail(Error::not_found("no account for participant " + request->participant_id()));
    if (!statement) return grpc::to_status(statement.error());
    to_proto(statement->account, reply->mutable_account());
    for (const auto& d : statement->dues) {
      auto* line = reply->add_periods();
      line->set_period(d.period.str());
      line->set_due(d.charge.total);
      line->set_paid(d.paid);
      line->set_payer(d.payer);
      line->set_waived(d.waived);
      line->set_billed(d.billed);
    }
    for (const auto& p : statement->payments) to_proto(p, reply->add_payments());
    return ::grpc::Status::OK;
  });
}

::grpc::Status GrpcService::ListArrears(::grpc::ServerContext* context, const v1::ListArrearsRequest* request,
                                        v1::ListArrearsResponse* reply) {
  return edge_.serve(context, "ListArrears", request, reply, [&](const grpc::Call& call) {
    auto entries = core_.arrears(request->rw_code(), request->agent_id(), call.scope);
    if (!entries) return grpc::to_status(entries.error());
    for (const auto& e : *entries) {
      auto* out = reply->add_entries();
      out->set_participant_id(e.participant_id);
      out->set_rw_code(e.rw_code);
      out->set_agent_id(e.agent_id);
      out->set_state(e.state);
      out->set_months_unpaid(e.months_unpaid);
      out->set_outstanding(e.outstanding);
      out->set_oldest_unpaid_period(e.oldest_unpaid_period);
    }
    return ::grpc::Status::OK;
  });
}

::grpc::Status GrpcService::CoverageAt(::grpc::ServerContext* context, const v1::CoverageAtRequest* request,
                                       v1::CoverageAtResponse* reply) {
  return edge_.serve(context, "CoverageAt", request, reply, [&](const grpc::Call& call) {
    if (!request->participant_id().empty()) {
      if (auto account = visible(request->participant_id(), call.scope); !account)
        return grpc::to_status(account.error());
    }
    auto answer = core_.coverage_at(request->participant_id(), request->date());
    if (!answer) return grpc::to_status(answer.error());
    reply->set_covered(answer->covered);
    reply->set_reason(answer->reason);
    reply->set_period(answer->period);
    reply->set_covered_through(answer->covered_through);
    reply->set_state(answer->state);
    return ::grpc::Status::OK;
  });
}

::grpc::Status GrpcService::ExportCoverage(::grpc::ServerContext* context,
                                           const v1::ExportCoverageRequest* request,
                                           ::grpc::ServerWriter<v1::AccountCoverage>* writer) {
  return edge_.serve(context, "ExportCoverage", request, nullptr, [&](const grpc::Call&) {
    // Read before the first row: every registration applied by then has its account in the export
    // (an account opened from a registration counted awaiting announces nothing of its own).
    if (applied_) context->AddTrailingMetadata(grpc::kAppliedOffsetsTrailer, applied_());
    return grpc::stream_export<CoverageFact>(
        context, writer, [&](const auto& sink) { return core_.export_coverage(sink); },
        [](const CoverageFact& f, v1::AccountCoverage& m) {
          m.set_participant_id(f.participant_id);
          m.set_rw_code(f.rw_code);
          m.set_state(f.state);
        });
  });
}

::grpc::Status GrpcService::Quote(::grpc::ServerContext* context, const v1::QuoteRequest* request,
                                  v1::Charge* reply) {
  return edge_.serve(context, "Quote", request, reply, [&](const grpc::Call&) {
    auto charge = core_.quote(request->period(), {request->category(), request->payer(), request->programs(),
                                                  request->income_band()});
    if (!charge) return grpc::to_status(charge.error());
    to_proto(*charge, reply);
    return ::grpc::Status::OK;
  });
}

::grpc::Status GrpcService::GetSettlement(::grpc::ServerContext* context,
                                          const v1::SettlementRequest* request, v1::SettlementReport* reply) {
  return edge_.serve(context, "GetSettlement", request, reply, [&](const grpc::Call& call) {
    auto report = core_.settlement(request->month(), call.scope);
    if (!report) return grpc::to_status(report.error());
    reply->set_month(report->month);
    for (const auto& a : report->agents) {
      auto* out = reply->add_agents();
      out->set_agent_id(a.agent_id);
      out->set_organisation(a.organisation);
      out->set_collected(a.collected);
      out->set_fee(a.fee);
      out->set_organisation_share(a.organisation_share);
      out->set_agent_share(a.agent_share);
      out->set_new_participants(a.new_participants);
      out->set_bonus(a.bonus);
      out->set_payable(a.payable);
    }
    for (const auto& o : report->organisations) {
      auto* out = reply->add_organisations();
      out->set_organisation(o.organisation);
      out->set_agents(o.agents);
      out->set_collected(o.collected);
      out->set_share(o.share);
    }
    reply->set_total_collected(report->total_collected);
    reply->set_total_payable(report->total_payable);
    return ::grpc::Status::OK;
  });
}

}  // namespace jaring::contribution

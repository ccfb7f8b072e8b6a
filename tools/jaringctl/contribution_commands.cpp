// jaringctl contribution ...: billing, payments, reversals, accounts, arrears and agent fees.
#include <fmt/format.h>

#include "cli.hpp"
#include "jaring/common/ids.hpp"
#include "jaring/common/money.hpp"
#include "jaring/contribution/v1/contribution.grpc.pb.h"

namespace jaring::ctl {
namespace {

namespace con = jaring::contribution::v1;

std::unique_ptr<con::ContributionService::Stub> stub(const Globals& g) {
  return con::ContributionService::NewStub(channel_to(g, "contribution"));
}

// A retry-safe key unless the caller gives one: retrying the same command line with --key is safe.
std::string key_or_new(const std::string& key) { return key.empty() ? new_id("ctl-") : key; }

void print_payment(const con::Payment& p) {
  fmt::print("payment      {}\nparticipant  {}\nchannel      {} {}\namount       {}\n", p.payment_id(),
             p.participant_id(), p.channel(), p.payer_id(), format_rupiah(p.amount()));
  for (const auto& a : p.allocations()) fmt::print("  {}  {}\n", a.period(), format_rupiah(a.amount()));
  fmt::print("credited     {}\ncoverage     {} (paid through {})\n", format_rupiah(p.credited()),
             p.coverage_state(), p.covered_through().empty() ? "-" : p.covered_through());
  if (p.reversed()) fmt::print("REVERSED     {}\n", p.reversal_reason());
}

void print_account(const con::Account& a) {
  fmt::print(
      "participant  {}\nRW           {}\nagent        {}\nterms        {} {} {} band {}\nstate        {}\n"
      "periods      {} .. {}\npaid through {}\nunpaid       {} month(s), {}\ncredit       {}\n",
      a.participant_id(), a.rw_code(), a.agent_id().empty() ? "-" : a.agent_id(), a.category(), a.payer(),
      a.programs(), format_rupiah(a.income_band()), a.state(), a.first_period(),
      a.last_period().empty() ? "open" : a.last_period(),
      a.covered_through().empty() ? "-" : a.covered_through(), a.months_unpaid(),
      format_rupiah(a.outstanding()), format_rupiah(a.credit()));
}

template <typename Request, typename Reply, typename Rpc, typename Print>
void on_call(CLI::App* cmd, Globals& g, std::shared_ptr<Request> request, Rpc rpc, Print print) {
  cmd->callback([&g, request, rpc, print] {
    g.exit_code = call_and_print<Reply>(
        g, [&](auto& context, auto& reply) { return ((*stub(g)).*rpc)(&context, *request, &reply); }, print);
  });
}

}  // namespace

void add_contribution_commands(CLI::App& app, Globals& g) {
  add_address_flag(app, g, "contribution");
  auto* root = app.add_subcommand("contribution", "Contributions (iuran): billing, payments, arrears, fees");
  root->require_subcommand(1);

  auto* bill = root->add_subcommand("bill", "Run the monthly billing for a period (once per period)");
  auto billing = std::make_shared<con::RunBillingRequest>();
  bill->add_option("--period", *billing->mutable_period(), "YYYY-MM (default: this month in Jakarta)");
  bill->add_option("--key", *billing->mutable_idempotency_key(),
                   "idempotency key (default: billing-<period>)");
  bill->callback([&g, billing] {
    if (billing->idempotency_key().empty()) billing->set_idempotency_key("billing-" + billing->period());
    g.exit_code = call_and_print<con::BillingRun>(
        g, [&](auto& context, auto& reply) { return stub(g)->RunBilling(&context, *billing, &reply); },
        [](const con::BillingRun& r) {
          fmt::print("billing {} for {}: {} period(s) billed, {}, {} account(s) closed{}\n", r.run_id(),
                     r.period(), r.accounts_billed(), format_rupiah(r.amount_billed()), r.accounts_closed(),
                     r.repeated() ? " (already run: nothing changed)" : "");
        });
  });

  auto* pay = root->add_subcommand("pay", "Record a payment for 1, 3, 6 or 12 months");
  auto payment = std::make_shared<con::PaymentRequest>();
  payment->set_channel("agent_cash");
  payment->set_months(1);
  pay->add_option("participant", *payment->mutable_participant_id(), "participant id (p_...)")->required();
  pay->add_option_function<std::int64_t>(
         "--amount", [payment](std::int64_t v) { payment->set_amount(v); }, "whole rupiah")
      ->required();
  pay->add_option_function<int>(
      "--months", [payment](int v) { payment->set_months(v); }, "1, 3, 6 or 12");
  pay->add_option("--channel", *payment->mutable_channel(),
                  "agent_cash (default), bank_va, sponsor, city_budget");
  pay->add_option("--payer", *payment->mutable_payer_id(), "sponsor id or budget account");
  pay->add_option("--agent", *payment->mutable_agent_id(), "collecting agent id");
  pay->add_option("--period", *payment->mutable_period(), "pay exactly this month first (YYYY-MM)");
  pay->add_option("--key", *payment->mutable_idempotency_key(), "idempotency key: reuse it to retry safely");
  pay->callback([&g, payment] {
    payment->set_idempotency_key(key_or_new(payment->idempotency_key()));
    g.exit_code = call_and_print<con::Payment>(
        g, [&](auto& context, auto& reply) { return stub(g)->MakePayment(&context, *payment, &reply); },
        print_payment);
  });

  auto* batch = root->add_subcommand("pay-batch", "Pay for a list of participants, all or nothing");
  auto batch_request = std::make_shared<con::BatchPaymentRequest>();
  auto items = std::make_shared<std::vector<std::string>>();
  batch_request->set_channel("city_budget");
  batch->add_option("--item", *items, "participant:amount[:months], repeatable")->required();
  batch->add_option("--channel", *batch_request->mutable_channel(), "city_budget (default), sponsor, ...");
  batch->add_option("--payer", *batch_request->mutable_payer_id(), "budget account or sponsor id")
      ->required();
  batch->add_option("--description", *batch_request->mutable_description(), "what the batch is for");
  batch->add_option("--key", *batch_request->mutable_idempotency_key(), "idempotency key");
  batch->callback([&g, batch_request, items] {
    batch_request->set_idempotency_key(key_or_new(batch_request->idempotency_key()));
    for (const auto& text : *items) {
      auto* item = batch_request->add_items();
      const auto first = text.find(':');
      const auto second = text.find(':', first + 1);
      item->set_participant_id(text.substr(0, first));
      if (first != std::string::npos)
        item->set_amount(std::stoll(text.substr(first + 1, second - first - 1)));
      item->set_months(second == std::string::npos ? 1 : std::stoi(text.substr(second + 1)));
    }
    g.exit_code = call_and_print<con::BatchPaymentResult>(
        g,
        [&](auto& context, auto& reply) {
          return stub(g)->MakeBatchPayment(&context, *batch_request, &reply);
        },
        [&g](const con::BatchPaymentResult& r) {
          if (r.accepted()) {
            fmt::print("batch {} paid: {} participant(s), {}\n", r.batch_id(), r.items_paid(),
                       format_rupiah(r.amount_paid()));
            return;
          }
          fmt::print("batch refused, nothing was paid. {} item(s) failed:\n", r.failures_size());
          for (const auto& f : r.failures())
            fmt::print("  #{:<4} {:<36} {}\n", f.index(), f.participant_id(), f.reason());
          g.exit_code = 1;
        });
  });

  auto* reverse = root->add_subcommand("reverse", "Reverse a payment, with a reason");
  auto reversal = std::make_shared<con::ReversePaymentRequest>();
  reverse->add_option("payment", *reversal->mutable_payment_id(), "payment id (pay_...)")->required();
  reverse->add_option("--reason", *reversal->mutable_reason(), "why")->required();
  reverse->add_option("--key", *reversal->mutable_idempotency_key(),
                      "idempotency key (default: reverse-<id>)");
  reverse->callback([&g, reversal] {
    if (reversal->idempotency_key().empty())
      reversal->set_idempotency_key("reverse-" + reversal->payment_id());
    g.exit_code = call_and_print<con::Payment>(
        g, [&](auto& context, auto& reply) { return stub(g)->ReversePayment(&context, *reversal, &reply); },
        print_payment);
  });

  auto* account = root->add_subcommand("account", "A participant's contribution account");
  auto account_request = std::make_shared<con::GetAccountRequest>();
  account->add_option("participant", *account_request->mutable_participant_id(), "participant id")
      ->required();
  on_call<con::GetAccountRequest, con::Account>(account, g, account_request,
                                                &con::ContributionService::Stub::GetAccount, print_account);

  auto* statement = root->add_subcommand("statement", "The ledger of a participant: periods and payments");
  auto statement_request = std::make_shared<con::GetStatementRequest>();
  statement->add_option("participant", *statement_request->mutable_participant_id(), "participant id")
      ->required();
  on_call<con::GetStatementRequest, con::Statement>(
      statement, g, statement_request, &con::ContributionService::Stub::GetStatement,
      [](const con::Statement& s) {
        print_account(s.account());
        fmt::print("\n{:<8} {:>12} {:>12} {}\n", "period", "due", "paid", "payer");
        for (const auto& l : s.periods()) {
          fmt::print("{:<8} {:>12} {:>12} {}{}\n", l.period(), format_rupiah(l.due()),
                     format_rupiah(l.paid()), l.payer().empty() ? "-" : l.payer(),
                     l.waived() ? " (waived)" : "");
        }
        fmt::print("\n{:<38} {:<11} {:>12} {}\n", "payment", "channel", "amount", "");
        for (const auto& p : s.payments()) {
          fmt::print("{:<38} {:<11} {:>12} {}\n", p.payment_id(), p.channel(), format_rupiah(p.amount()),
                     p.reversed() ? "reversed: " + p.reversal_reason() : "");
        }
      });

  auto* arrears = root->add_subcommand("arrears", "Participants in arrears or lapsed, for collection");
  auto arrears_request = std::make_shared<con::ListArrearsRequest>();
  arrears->add_option("--rw", *arrears_request->mutable_rw_code(), "RW code");
  arrears->add_option("--agent", *arrears_request->mutable_agent_id(), "agent id");
  on_call<con::ListArrearsRequest, con::ListArrearsResponse>(
      arrears, g, arrears_request, &con::ContributionService::Stub::ListArrears,
      [](const con::ListArrearsResponse& r) {
        fmt::print("{:<36} {:<19} {:<8} {:>6} {:>12} {}\n", "participant", "RW", "state", "months",
                   "outstanding", "since");
        for (const auto& e : r.entries()) {
          fmt::print("{:<36} {:<19} {:<8} {:>6} {:>12} {}\n", e.participant_id(), e.rw_code(), e.state(),
                     e.months_unpaid(), format_rupiah(e.outstanding()), e.oldest_unpaid_period());
        }
      });

  auto* covered = root->add_subcommand("covered", "Was a participant covered on a date (claims)?");
  auto coverage_request = std::make_shared<con::CoverageAtRequest>();
  covered->add_option("participant", *coverage_request->mutable_participant_id(), "participant id")
      ->required();
  covered->add_option("--date", *coverage_request->mutable_date(), "YYYY-MM-DD")->required();
  on_call<con::CoverageAtRequest, con::CoverageAtResponse>(
      covered, g, coverage_request, &con::ContributionService::Stub::CoverageAt,
      [](const con::CoverageAtResponse& r) {
        fmt::print("{}: {} (state now {}, paid through {})\n", r.covered() ? "covered" : "NOT covered",
                   r.reason(), r.state(), r.covered_through().empty() ? "-" : r.covered_through());
      });

  auto* quote = root->add_subcommand("quote", "The monthly contribution for given terms");
  auto quote_request = std::make_shared<con::QuoteRequest>();
  quote_request->set_payer("self");
  quote_request->set_programs("jkk+jkm");
  quote_request->set_income_band(1'000'000);
  quote->add_option("--period", *quote_request->mutable_period(), "YYYY-MM (default: this month)");
  quote->add_option("--category", *quote_request->mutable_category(), "worker category")->required();
  quote->add_option("--payer", *quote_request->mutable_payer(), "self, sponsor or city_budget");
  quote->add_option("--programs", *quote_request->mutable_programs(), "jkk+jkm or jkk+jkm+jht");
  quote->add_option_function<std::int64_t>(
      "--income-band", [quote_request](std::int64_t v) { quote_request->set_income_band(v); },
      "declared income, rupiah (default 1,000,000)");
  on_call<con::QuoteRequest, con::Charge>(
      quote, g, quote_request, &con::ContributionService::Stub::Quote, [](const con::Charge& c) {
        fmt::print("{}: JKK {} + JKM {} + JHT {} - relief {} = {}\n", c.period(), format_rupiah(c.jkk()),
                   format_rupiah(c.jkm()), format_rupiah(c.jht()), format_rupiah(c.discount()),
                   format_rupiah(c.total()));
      });

  auto* fees = root->add_subcommand("fees", "Agent fee settlement for a month");
  auto fees_request = std::make_shared<con::SettlementRequest>();
  fees->add_option("--month", *fees_request->mutable_month(), "YYYY-MM")->required();
  on_call<con::SettlementRequest, con::SettlementReport>(
      fees, g, fees_request, &con::ContributionService::Stub::GetSettlement,
      [](const con::SettlementReport& r) {
        fmt::print("{:<20} {:<24} {:>12} {:>10} {:>10} {:>5} {:>10} {:>12}\n", "agent", "organisation",
                   "collected", "fee", "org share", "new", "bonus", "payable");
        for (const auto& a : r.agents()) {
          fmt::print("{:<20} {:<24} {:>12} {:>10} {:>10} {:>5} {:>10} {:>12}\n", a.agent_id(),
                     a.organisation(), format_rupiah(a.collected()), format_rupiah(a.fee()),
                     format_rupiah(a.organisation_share()), a.new_participants(), format_rupiah(a.bonus()),
                     format_rupiah(a.payable()));
        }
        for (const auto& o : r.organisations()) {
          fmt::print("organisation {}: {} agent(s), {} collected, share {}\n", o.organisation(), o.agents(),
                     format_rupiah(o.collected()), format_rupiah(o.share()));
        }
        fmt::print("total collected {}, payable to agents {}\n", format_rupiah(r.total_collected()),
                   format_rupiah(r.total_payable()));
      });
}

}  // namespace jaring::ctl

// libFuzzer target for ContributionService: each record of an input is a serialized request of
// the method its kind picks, sent by the caller its `who` picks, through the service's edge
// (token, access table, scope, audit), its conversion of the request and the core's rules, onto
// the in-memory store of the unit tests. No answer may be an internal failure; the sanitizers
// catch the rest.
#include <array>

#include "adapters/grpc_service.hpp"
#include "fixture.hpp"
#include "fuzz.hpp"

namespace jaring::contribution {
namespace {

using Service = GrpcService;
constexpr std::array<fuzz::Method<Service>, 10> kMethods = {{
    {"RunBilling", fuzz::unary<&Service::RunBilling>},
    {"MakePayment", fuzz::unary<&Service::make_payment>},
    {"MakeBatchPayment", fuzz::unary<&Service::MakeBatchPayment>},
    {"ReversePayment", fuzz::unary<&Service::reverse_payment>},
    {"GetAccount", fuzz::unary<&Service::GetAccount>},
    {"GetStatement", fuzz::unary<&Service::GetStatement>},
    {"ListArrears", fuzz::unary<&Service::ListArrears>},
    {"CoverageAt", fuzz::unary<&Service::CoverageAt>},
    {"Quote", fuzz::unary<&Service::Quote>},
    {"GetSettlement", fuzz::unary<&Service::GetSettlement>},
}};

std::map<std::string, std::string> seeds() {
  v1::PaymentRequest cash;
  cash.set_idempotency_key("pay-1");
  cash.set_participant_id("p_seed");
  cash.set_channel("agent_cash");
  cash.set_agent_id("a_1");
  cash.set_amount(50'400);
  cash.set_months(3);
  v1::ReversePaymentRequest reverse;
  reverse.set_idempotency_key("rev-1");
  reverse.set_payment_id("$");  // the payment made before it
  reverse.set_reason("entered twice");
  v1::BatchPaymentRequest batch;
  batch.set_idempotency_key("batch-1");
  batch.set_channel("city_budget");
  batch.set_payer_id("city");
  batch.set_description("PPSU of Pulo Gebang, 2026-03");
  auto* item = batch.add_items();
  item->set_participant_id("p_city");
  item->set_amount(16'800);
  item->set_months(1);
  v1::RunBillingRequest billing;
  billing.set_idempotency_key("bill-1");
  billing.set_period("2026-03");
  v1::GetStatementRequest statement;
  statement.set_participant_id("p_seed");
  v1::ListArrearsRequest arrears;
  arrears.set_rw_code("31.75.06.1005.002");
  v1::CoverageAtRequest coverage;
  coverage.set_participant_id("p_seed");
  coverage.set_date("2026-03-12");
  v1::QuoteRequest quote;
  quote.set_period("2026-03");
  quote.set_category("pkk");
  quote.set_payer("self");
  quote.set_programs("jkk+jkm+jht");
  quote.set_income_band(2'000'000);
  v1::SettlementRequest settlement;
  settlement.set_month("2026-03");
  return {
      {"pay", fuzz::seed(kMethods, "MakePayment", fuzz::kAgent, cash) +
                  fuzz::seed(kMethods, "GetStatement", fuzz::kOfficer, statement) +
                  fuzz::seed(kMethods, "ReversePayment", fuzz::kOtherOfficer, reverse)},
      {"batch", fuzz::seed(kMethods, "MakeBatchPayment", fuzz::kTreasurer, batch)},
      {"billing", fuzz::seed(kMethods, "RunBilling", fuzz::kAdmin, billing) +
                      fuzz::seed(kMethods, "ListArrears", fuzz::kOfficer, arrears) +
                      fuzz::seed(kMethods, "CoverageAt", fuzz::kService, coverage)},
      {"quote", fuzz::seed(kMethods, "Quote", fuzz::kAgent, quote) +
                    fuzz::seed(kMethods, "GetSettlement", fuzz::kAdmin, settlement)},
  };
}

}  // namespace
}  // namespace jaring::contribution

JARING_FUZZ_TARGET(jaring::contribution::seeds) {
  using namespace jaring;
  using namespace jaring::contribution;
  FuzzFixture fixture;
  jaring::grpc::Edge edge(Service::kName, fuzz::callers().verifier(), fuzz::callers().metrics(),
                          &fixture.trail);
  GrpcService service(fixture.core, edge);
  fuzz::serve(service, kMethods, fuzz::callers(), records);
}

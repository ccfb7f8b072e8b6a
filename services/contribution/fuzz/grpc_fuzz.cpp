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
    {"MakePayment", fuzz::unary<&Service::MakePayment>},
    {"MakeBatchPayment", fuzz::unary<&Service::MakeBatchPayment>},
    {"ReversePayment", fuzz::unary<&Service::ReversePayment>},
    {"GetAccount", fuzz::unary<&Service::GetAccount>},
    {"GetStatement", fuzz::unary<&Service::GetStatement>},
    {"ListArrears", fuzz::unary<&Service::ListArrears>},
    {"CoverageAt", fuzz::unary<&Service::CoverageAt>},
    {"Quote", fuzz::unary<&Service::Quote>},
    {"GetSettlement", fuzz::unary<&Service::GetSettlement>},
}};

fuzz::Callers& callers() {
  static fuzz::Callers instance;
  return instance;
}

std::string seed(std::string_view method, std::uint8_t who, const google::protobuf::MessageLite& request) {
  return fuzz::record(fuzz::kind_of(kMethods, method), who, request);
}

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
      {"pay", seed("MakePayment", fuzz::kAgent, cash) + seed("GetStatement", fuzz::kOfficer, statement) +
                  seed("ReversePayment", fuzz::kOtherOfficer, reverse)},
      {"batch", seed("MakeBatchPayment", fuzz::kTreasurer, batch)},
      {"billing", seed("RunBilling", fuzz::kAdmin, billing) + seed("ListArrears", fuzz::kOfficer, arrears) +
                      seed("CoverageAt", fuzz::kService, coverage)},
      {"quote", seed("Quote", fuzz::kAgent, quote) + seed("GetSettlement", fuzz::kAdmin, settlement)},
  };
}

}  // namespace
}  // namespace jaring::contribution

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  jaring::fuzz::initialize(jaring::contribution::seeds);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace jaring;
  using namespace jaring::contribution;
  const auto records = fuzz::split(data, size);
  if (records.empty()) return 0;
  FuzzFixture fixture;
  jaring::grpc::Edge edge(Service::kName, callers().verifier(), callers().metrics(), &fixture.trail);
  GrpcService service(fixture.core, edge);
  fuzz::serve(service, kMethods, callers(), records);
  return 0;
}

// libFuzzer target for SponsorService: each record of an input is a serialized request of the
// method its kind picks, sent by the caller its `who` picks, through the service's edge (token,
// access table, scope, audit), its conversion of the request and the core's rules (wallets,
// cohorts, proposals, impact), onto the in-memory store of the unit tests. No answer may be an
// internal failure; the sanitizers catch the rest.
#include <array>

#include "adapters/grpc_service.hpp"
#include "fixture.hpp"
#include "fuzz.hpp"

namespace jaring::csr {
namespace {

using Service = GrpcService;
constexpr std::array<fuzz::Method<Service>, 16> kMethods = {{
    {"CreateSponsor", fuzz::unary<&Service::create_sponsor>},
    {"ListSponsors", fuzz::unary<&Service::ListSponsors>},
    {"GetSponsor", fuzz::unary<&Service::GetSponsor>},
    {"Deposit", fuzz::unary<&Service::deposit>},
    {"GetLedger", fuzz::unary<&Service::GetLedger>},
    {"QuoteCohort", fuzz::unary<&Service::QuoteCohort>},
    {"CreateCohort", fuzz::unary<&Service::CreateCohort>},
    {"EndCohort", fuzz::unary<&Service::EndCohort>},
    {"ListCohorts", fuzz::unary<&Service::ListCohorts>},
    {"GetCohort", fuzz::unary<&Service::GetCohort>},
    {"SubmitProposal", fuzz::unary<&Service::SubmitProposal>},
    {"ListProposals", fuzz::unary<&Service::ListProposals>},
    {"GetProposal", fuzz::unary<&Service::GetProposal>},
    {"AcceptProposal", fuzz::unary<&Service::AcceptProposal>},
    {"RejectProposalItems", fuzz::unary<&Service::RejectProposalItems>},
    {"GetImpact", fuzz::unary<&Service::GetImpact>},
}};

std::map<std::string, std::string> seeds() {
  v1::CreateSponsorRequest sponsor;
  sponsor.set_idempotency_key("sp-1");
  sponsor.set_name("PT Maju Bersama");
  sponsor.set_kind("csr_company");
  v1::DepositRequest deposit;
  deposit.set_idempotency_key("dep-1");
  deposit.set_sponsor_id("$");
  deposit.set_amount(10'000'000);
  deposit.set_reference("TRF-001");
  v1::CreateCohortRequest cohort;
  cohort.set_idempotency_key("co-1");
  auto* spec = cohort.mutable_spec();
  spec->set_sponsor_id("$");
  spec->set_name("Pemulung Pulo Gebang");
  spec->set_months(6);
  spec->add_participant_ids("p_seed");
  v1::CohortSpec quote;
  quote.set_sponsor_id("$");
  quote.set_months(12);
  quote.add_categories("scavenger");
  quote.add_rw_codes("31.75.06.1005.002");
  quote.set_max_members(50);
  v1::EndCohortRequest end;
  end.set_idempotency_key("end-1");
  end.set_cohort_id("$");
  end.set_last_period("2026-05");
  v1::GetLedgerRequest ledger;
  ledger.set_sponsor_id("$");
  v1::SubmitProposalRequest proposal;
  proposal.set_idempotency_key("pr-1");
  proposal.set_kelurahan_code("31.75.06.1005");
  proposal.set_note("warga pemulung RW 02");
  auto* known = proposal.add_items();
  known->set_row(1);
  known->set_participant_id("p_self");
  known->set_reason("tidak mampu membayar");
  auto* fresh = proposal.add_items();
  fresh->set_row(2);
  fresh->set_reason("janda, pemulung");
  auto* worker = fresh->mutable_worker();
  worker->set_nik("3175064101800001");
  worker->set_name("Sri Wahyuni");
  worker->set_birth_date("1980-01-01");
  worker->set_sex("F");
  worker->set_rw_code("31.75.06.1005.002");
  worker->set_rt(3);
  worker->set_category("scavenger");
  worker->set_income_band(1'000'000);
  worker->set_programs("jkk+jkm");
  v1::AcceptProposalRequest accept;
  accept.set_idempotency_key("acc-1");
  accept.set_proposal_id("$");
  accept.set_sponsor_id("$");
  accept.set_cohort_name("Usulan Pulo Gebang");
  accept.set_months(3);
  v1::RejectProposalItemsRequest reject;
  reject.set_idempotency_key("rej-1");
  reject.set_proposal_id("$");
  reject.set_reason("sudah dibiayai APBD");
  v1::ImpactRequest impact;
  impact.set_sponsor_id("$");
  impact.set_from_period("2026-01");
  impact.set_to_period("2026-12");
  v1::ListProposalsRequest proposals;
  proposals.set_kelurahan_code("31.75.06.1005");
  return {
      {"cohort", fuzz::seed(kMethods, "CreateSponsor", fuzz::kAdmin, sponsor) +
                     fuzz::seed(kMethods, "Deposit", fuzz::kTreasurer, deposit) +
                     fuzz::seed(kMethods, "QuoteCohort", fuzz::kOfficer, quote) +
                     fuzz::seed(kMethods, "CreateCohort", fuzz::kOfficer, cohort) +
                     fuzz::seed(kMethods, "GetLedger", fuzz::kAuditor, ledger) +
                     fuzz::seed(kMethods, "EndCohort", fuzz::kAdmin, end) +
                     fuzz::seed(kMethods, "GetImpact", fuzz::kSponsor, impact)},
      {"proposal", fuzz::seed(kMethods, "CreateSponsor", fuzz::kAdmin, sponsor) +
                       fuzz::seed(kMethods, "Deposit", fuzz::kAdmin, deposit) +
                       fuzz::seed(kMethods, "SubmitProposal", fuzz::kAreaOfficial, proposal) +
                       fuzz::seed(kMethods, "ListProposals", fuzz::kAreaOfficial, proposals) +
                       fuzz::seed(kMethods, "AcceptProposal", fuzz::kOfficer, accept)},
      {"proposal-rejected", fuzz::seed(kMethods, "SubmitProposal", fuzz::kAreaOfficial, proposal) +
                                fuzz::seed(kMethods, "RejectProposalItems", fuzz::kOfficer, reject)},
  };
}

}  // namespace
}  // namespace jaring::csr

JARING_FUZZ_TARGET(jaring::csr::seeds) {
  using namespace jaring;
  using namespace jaring::csr;
  FuzzFixture fixture;
  jaring::grpc::Edge edge(Service::kName, fuzz::callers().verifier(), fuzz::callers().metrics(),
                          &fixture.trail);
  GrpcService service(fixture.core, edge);
  fuzz::serve(service, kMethods, fuzz::callers(), records);
}

// libFuzzer target for ClaimsService: each record of an input is a serialized request of the
// method its kind picks, sent by the caller its `who` picks, through the service's edge (token,
// access table, scope, audit), its conversion of the request and the core's rules (benefits,
// heirs, maker-checker), onto the in-memory store of the unit tests. No answer may be an internal
// failure; the sanitizers catch the rest.
#include <array>

#include "adapters/grpc_service.hpp"
#include "fixture.hpp"
#include "fuzz.hpp"

namespace jaring::claims {
namespace {

using Service = GrpcService;
constexpr std::array<fuzz::Method<Service>, 10> kMethods = {{
    {"FileClaim", fuzz::unary<&Service::file_claim>},
    {"AttachDocuments", fuzz::unary<&Service::attach_documents>},
    {"VerifyClaim", fuzz::unary<&Service::verify_claim>},
    {"ApproveClaim", fuzz::unary<&Service::approve_claim>},
    {"PayClaim", fuzz::unary<&Service::pay_claim>},
    {"RejectClaim", fuzz::unary<&Service::reject_claim>},
    {"GetClaim", fuzz::unary<&Service::GetClaim>},
    {"ListClaims", fuzz::unary<&Service::ListClaims>},
    {"ListScholarshipsDue", fuzz::unary<&Service::ListScholarshipsDue>},
    {"CheckEligibility", fuzz::unary<&Service::CheckEligibility>},
}};

std::map<std::string, std::string> seeds() {
  v1::FileClaimRequest death;
  death.set_idempotency_key("f-1");
  death.set_participant_id("p_seed");
  death.set_claim_type("jkm_death");
  death.set_event_date("2026-03-01");
  auto* claimant = death.mutable_claimant();
  claimant->set_name("Siti Aminah");
  claimant->set_nik("3172014505800002");
  claimant->set_relation("spouse");
  claimant->set_phone("081200000000");
  auto* spouse = death.add_family();
  spouse->set_relation("spouse");
  spouse->set_alive(true);
  spouse->set_name("Siti Aminah");
  auto* child = death.add_family();
  child->set_relation("child");
  child->set_alive(true);
  child->set_name("Rina");
  auto* school = death.add_children();
  school->set_name("Rina");
  school->set_birth_date("2012-04-01");
  school->set_level("smp");
  school->set_school_year(1);
  v1::AttachDocumentsRequest documents;
  documents.set_claim_id("$");
  for (const char* d : {"participant_card", "ktp_deceased", "ktp_heir", "death_certificate", "family_card",
                        "heir_certificate", "marriage_book"}) {
    documents.add_documents(d);
  }
  v1::VerifyClaimRequest verify;
  verify.set_claim_id("$");
  verify.set_note("documents seen");
  v1::ApproveClaimRequest approve;
  approve.set_claim_id("$");
  v1::PayClaimRequest pay;
  pay.set_claim_id("$");
  pay.set_idempotency_key("pay-1");
  pay.set_reference("TRF-001");
  v1::RejectClaimRequest reject;
  reject.set_claim_id("$");
  reject.set_reason("the heir certificate is missing");
  v1::FileClaimRequest medical;
  medical.set_idempotency_key("f-2");
  medical.set_participant_id("p_seed");
  medical.set_claim_type("jkk_medical");
  medical.set_event_date("2026-03-10");
  medical.mutable_claimant()->set_name("Budi Santoso");
  medical.mutable_claimant()->set_relation("self");
  medical.set_claimed_amount(2'500'000);
  v1::CheckEligibilityRequest eligible;
  eligible.set_participant_id("p_seed");
  eligible.set_date("2026-02-01");
  v1::ListClaimsRequest list;
  list.set_branch_code("pulogebang");
  list.set_period("2026-03");
  v1::ListScholarshipsDueRequest due;
  due.set_year(2027);
  return {
      {"death-paid", fuzz::seed(kMethods, "FileClaim", fuzz::kAgent, death) +
                         fuzz::seed(kMethods, "AttachDocuments", fuzz::kAgent, documents) +
                         fuzz::seed(kMethods, "VerifyClaim", fuzz::kOfficer, verify) +
                         fuzz::seed(kMethods, "ApproveClaim", fuzz::kApprover, approve) +
                         fuzz::seed(kMethods, "PayClaim", fuzz::kOtherOfficer, pay) +
                         fuzz::seed(kMethods, "ListScholarshipsDue", fuzz::kAdmin, due)},
      {"medical-rejected", fuzz::seed(kMethods, "FileClaim", fuzz::kOfficer, medical) +
                               fuzz::seed(kMethods, "RejectClaim", fuzz::kApprover, reject) +
                               fuzz::seed(kMethods, "ListClaims", fuzz::kAuditor, list)},
      {"eligibility", fuzz::seed(kMethods, "CheckEligibility", fuzz::kService, eligible)},
  };
}

}  // namespace
}  // namespace jaring::claims

JARING_FUZZ_TARGET(jaring::claims::seeds) {
  using namespace jaring;
  using namespace jaring::claims;
  FuzzFixture fixture;
  jaring::grpc::Edge edge(Service::kName, fuzz::callers().verifier(), fuzz::callers().metrics(),
                          &fixture.trail);
  GrpcService service(fixture.core, edge);
  fuzz::serve(service, kMethods, fuzz::callers(), records);
}

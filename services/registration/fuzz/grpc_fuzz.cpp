// libFuzzer target for RegistrationService: each record of an input is a serialized request of the
// unary method its kind picks, sent by the caller its `who` picks, through the service's edge
// (token, access table, scope), its conversion of the request and the core's rules, onto the
// in-memory store of the unit tests. No answer may be an internal failure; the sanitizers catch
// the rest. (The streams, RegisterBulk and ExportParticipants, need a live call: their rows go
// through the same validation as Register.)
#include <array>

#include "adapters/grpc_service.hpp"
#include "fixture.hpp"
#include "fuzz.hpp"

namespace jaring::registration {
namespace {

using Service = GrpcService;
constexpr std::array<fuzz::Method<Service>, 14> kMethods = {{
    {"CreateRw", fuzz::unary<&Service::CreateRw>},
    {"ListRws", fuzz::unary<&Service::ListRws>},
    {"UpdateRw", fuzz::unary<&Service::UpdateRw>},
    {"ListAreas", fuzz::unary<&Service::ListAreas>},
    {"Register", fuzz::unary<&Service::register_participant>},
    {"GetParticipant", fuzz::unary<&Service::GetParticipant>},
    {"FindByNik", fuzz::unary<&Service::FindByNik>},
    {"ListParticipants", fuzz::unary<&Service::ListParticipants>},
    {"UpdateParticipant", fuzz::unary<&Service::update_participant>},
    {"MoveParticipant", fuzz::unary<&Service::move_participant>},
    {"ExitParticipant", fuzz::unary<&Service::exit_participant>},
    {"RegisterAgent", fuzz::unary<&Service::RegisterAgent>},
    {"ListAgentRegistrations", fuzz::unary<&Service::ListAgentRegistrations>},
    {"GetParticipantFacts", fuzz::unary<&Service::GetParticipantFacts>},
}};

grpc::Edge& edge() {
  static grpc::Edge instance(Service::kName, fuzz::callers().verifier(), fuzz::callers().metrics(), nullptr);
  return instance;
}

v1::RegisterRequest worker(const std::string& key, const std::string& nik) {
  v1::RegisterRequest r;
  r.set_idempotency_key(key);
  r.set_nik(nik);
  r.set_name("Budi Santoso");
  r.set_birth_date("1990-05-15");
  r.set_sex("M");
  r.set_phone("081234567890");
  r.set_rw_code("31.75.06.1005.002");
  r.set_rt(3);
  r.set_category("ojol_driver");
  r.set_income_band(1'000'000);
  r.set_programs("jkk+jkm");
  r.set_payer("self");
  return r;
}

std::map<std::string, std::string> seeds() {
  v1::CreateRwRequest rw;
  rw.set_kelurahan_code("31.75.06.1005");
  rw.set_number(7);
  v1::UpdateRwRequest target;
  target.set_rw_code("31.75.06.1005.002");
  target.set_target(150);
  v1::UpdateParticipantRequest update;
  update.set_idempotency_key("u-1");
  update.set_participant_id("p_seed");
  update.set_income_band(2'000'000);
  update.set_programs("jkk+jkm+jht");
  v1::MoveParticipantRequest move;
  move.set_idempotency_key("m-1");
  move.set_participant_id("p_seed");
  move.set_to_rw_code("31.75.06.1005.002");
  move.set_rt(4);
  move.set_moved_on("2026-11-20");
  v1::ExitParticipantRequest exit;
  exit.set_idempotency_key("x-1");
  exit.set_participant_id("p_seed");
  exit.set_reason("moved_away");
  exit.set_exit_date("2026-11-20");
  auto exit_registered = exit;
  exit_registered.set_participant_id("$");  // the one registered before it
  v1::GetParticipantFactsRequest facts;
  facts.set_participant_id("p_seed");
  v1::FindByNikRequest find;
  find.set_nik("3172011505900001");
  find.set_reveal_nik(true);
  v1::ListParticipantsRequest list;
  list.set_rw_code("31.75.06.1005.002");
  list.set_page_size(2);
  v1::RegisterAgentRequest agent;
  agent.set_idempotency_key("ag-1");
  agent.set_name("Sari");
  agent.set_phone("081300000000");
  agent.set_branch_code("pulogebang");
  agent.set_organisation("PKK Pulo Gebang");
  v1::ListAgentRegistrationsRequest registered;
  registered.set_agent_id("a_1");
  registered.set_month("2026-11");
  v1::ListAreasRequest areas;
  areas.set_parent_code("31.75.06");
  auto woman = worker("k-2", "3172015505900002");
  woman.set_name("Siti Aminah");
  woman.set_sex("F");
  woman.set_category("construction_worker");
  woman.set_project_end_date("2027-06-30");
  woman.set_agent_id("a_1");
  return {
      {"register", fuzz::seed(kMethods, "Register", fuzz::kOfficer, worker("k-1", "3172011505900003"))},
      {"register-twice", fuzz::seed(kMethods, "Register", fuzz::kAgent, woman) +
                             fuzz::seed(kMethods, "Register", fuzz::kAgent, woman) +
                             fuzz::seed(kMethods, "ListAgentRegistrations", fuzz::kOfficer, registered)},
      {"rw", fuzz::seed(kMethods, "CreateRw", fuzz::kAdmin, rw) +
                 fuzz::seed(kMethods, "UpdateRw", fuzz::kAdmin, target) +
                 fuzz::seed(kMethods, "ListAreas", fuzz::kAreaOfficial, areas)},
      {"lifecycle", fuzz::seed(kMethods, "UpdateParticipant", fuzz::kOfficer, update) +
                        fuzz::seed(kMethods, "MoveParticipant", fuzz::kOfficer, move) +
                        fuzz::seed(kMethods, "GetParticipantFacts", fuzz::kService, facts) +
                        fuzz::seed(kMethods, "FindByNik", fuzz::kOfficer, find) +
                        fuzz::seed(kMethods, "ExitParticipant", fuzz::kOfficer, exit) +
                        fuzz::seed(kMethods, "ListParticipants", fuzz::kAreaOfficial, list)},
      {"agent", fuzz::seed(kMethods, "RegisterAgent", fuzz::kOfficer, agent)},
      {"register-then-exit",
       fuzz::seed(kMethods, "Register", fuzz::kOfficer, worker("k-3", "3172011505900004")) +
           fuzz::seed(kMethods, "ExitParticipant", fuzz::kOfficer, exit_registered)},
  };
}

}  // namespace
}  // namespace jaring::registration

JARING_FUZZ_TARGET(jaring::registration::seeds) {
  using namespace jaring;
  using namespace jaring::registration;
  FuzzFixture fixture;

  GrpcService service(fixture.core, edge());
  fuzz::serve(service, kMethods, fuzz::callers(), records);
}

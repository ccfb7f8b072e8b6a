// Hostile input through registration's gRPC API (issue #14): every mutating RPC refuses a value
// that is too long, carries control characters, is negative, overflows, is missing or is an
// unknown code, with INVALID_ARGUMENT naming the field, and nothing is stored or published.
#include <cstdint>
#include <functional>
#include <limits>

#include "api_fixture.hpp"
#include "jaring/store/outbox.hpp"

namespace jaring::registration {
namespace {

using testing::kRw;

constexpr auto kInt64Max = std::numeric_limits<std::int64_t>::max();
constexpr auto kInt32Max = std::numeric_limits<std::int32_t>::max();

// What a call answered: its code, message and the fields its refusal names.
struct Answer {
  ::grpc::StatusCode code = ::grpc::StatusCode::OK;
  std::string message;
  std::vector<FieldViolation> violations;

  Answer(const ::grpc::Status& status)  // NOLINT(google-explicit-constructor): every call's answer
      : code(status.error_code()),
        message(status.error_message()),
        violations(jaring::grpc::field_violations(status)) {}
  Answer(const v1::RegisterResult& row)  // NOLINT(google-explicit-constructor): a bulk row's answer
      : code(static_cast<::grpc::StatusCode>(row.code())), message(row.message()) {
    for (const auto& e : row.errors()) violations.push_back({e.field(), e.rule()});
  }
};

struct Case {
  const char* what;
  const char* field;  // the field the refusal must name
  std::function<Answer()> call;
};

class BadInput : public testing::RegistrationApi {
 protected:
  void SetUp() override {
    RegistrationApi::SetUp();
    ASSERT_TRUE(core_.create_rw("31.75.06.1005", 3, 0));
    ::grpc::ClientContext context;
    prepare(context, officer());
    v1::Participant participant;
    ASSERT_TRUE(stub_->Register(&context, valid_registration(), &participant).ok());
    participant_id_ = participant.participant_id();
  }

  std::string officer() { return auth_.token("branch-officer", "officer"); }
  std::string admin() { return auth_.token("admin", "admin"); }
  static void prepare(::grpc::ClientContext& context, const std::string& token) {
    jaring::grpc::set_deadline(context, std::chrono::seconds(10));
    jaring::grpc::authorize(context, token);
  }

  v1::RegisterRequest valid_registration() {
    v1::RegisterRequest r;
    sample::fill_register_request(generator_.worker(next_worker_++), r);
    r.set_rw_code(kRw);
    r.set_idempotency_key("bad-input-" + std::to_string(next_worker_));
    return r;
  }

  // The call as `token`, `change` applied to a valid request first.
  template <typename Request, typename Reply, typename Method>
  ::grpc::Status send(Method method, Request request, const std::function<void(Request&)>& change,
                      const std::string& token) {
    change(request);
    ::grpc::ClientContext context;
    prepare(context, token);
    Reply reply;
    return (stub_.get()->*method)(&context, request, &reply);
  }

  ::grpc::Status registering(const std::function<void(v1::RegisterRequest&)>& change) {
    return send<v1::RegisterRequest, v1::Participant>(&v1::RegistrationService::Stub::Register,
                                                      valid_registration(), change, officer());
  }
  // RegisterBulk answers row by row: a refused row is the answer of its result.
  Answer registering_in_bulk(const std::function<void(v1::RegisterRequest&)>& change) {
    v1::RegisterBulkRequest message;
    *message.add_requests() = valid_registration();
    change(*message.mutable_requests(0));
    ::grpc::ClientContext context;
    auto stream = open(context);
    stream->Write(message);
    stream->WritesDone();
    v1::RegisterBulkResponse response;
    const bool answered = stream->Read(&response) && response.results_size() == 1;
    const auto status = stream->Finish();
    if (!status.ok() || !answered) return status;
    return response.results(0);
  }
  ::grpc::Status updating(const std::function<void(v1::UpdateParticipantRequest&)>& change) {
    v1::UpdateParticipantRequest r;
    r.set_idempotency_key("update-1");
    r.set_participant_id(participant_id_);
    r.set_category("pkk");
    return send<v1::UpdateParticipantRequest, v1::Participant>(
        &v1::RegistrationService::Stub::UpdateParticipant, r, change, officer());
  }
  ::grpc::Status moving(const std::function<void(v1::MoveParticipantRequest&)>& change) {
    v1::MoveParticipantRequest r;
    r.set_idempotency_key("move-1");
    r.set_participant_id(participant_id_);
    r.set_to_rw_code("31.75.06.1005.003");
    r.set_rt(4);
    r.set_moved_on("2026-11-20");
    return send<v1::MoveParticipantRequest, v1::Participant>(&v1::RegistrationService::Stub::MoveParticipant,
                                                             r, change, officer());
  }
  ::grpc::Status exiting(const std::function<void(v1::ExitParticipantRequest&)>& change) {
    v1::ExitParticipantRequest r;
    r.set_idempotency_key("exit-1");
    r.set_participant_id(participant_id_);
    r.set_reason("moved_away");
    r.set_exit_date("2026-11-20");
    return send<v1::ExitParticipantRequest, v1::Participant>(&v1::RegistrationService::Stub::ExitParticipant,
                                                             r, change, officer());
  }
  ::grpc::Status agent(const std::function<void(v1::RegisterAgentRequest&)>& change) {
    v1::RegisterAgentRequest r;
    r.set_idempotency_key("agent-1");
    r.set_name("Budi Santoso");
    r.set_branch_code("pulogebang");
    r.set_organisation("Perisai Pulo Gebang");
    return send<v1::RegisterAgentRequest, v1::Agent>(
        &v1::RegistrationService::Stub::RegisterAgent, r, change,
        admin());  // an officer's scope refuses other branches first
  }
  ::grpc::Status creating_rw(const std::function<void(v1::CreateRwRequest&)>& change) {
    v1::CreateRwRequest r;
    r.set_kelurahan_code("31.75.06.1005");
    r.set_number(9);
    return send<v1::CreateRwRequest, v1::Rw>(&v1::RegistrationService::Stub::CreateRw, r, change, admin());
  }
  ::grpc::Status updating_rw(const std::function<void(v1::UpdateRwRequest&)>& change) {
    v1::UpdateRwRequest r;
    r.set_rw_code(kRw);
    r.set_target(150);
    return send<v1::UpdateRwRequest, v1::Rw>(&v1::RegistrationService::Stub::UpdateRw, r, change, admin());
  }

  // Rows of every table a refused call could have written, and the outbox.
  std::int64_t written() {
    return store::outbox_backlog(*db_) + db_->read([](store::Database& db) {
      std::int64_t rows = 0;
      for (const char* table : {"participants", "agents", "rws", "idempotency_keys"}) {
        auto count = db.prepare(std::string("SELECT count(*) FROM ") + table);
        count.step();
        rows += count.column_int(0);
      }
      return rows;
    });
  }

  std::uint64_t next_worker_ = 100;
  std::string participant_id_;
};

const std::string kLong101(101, 'a');
const std::string kHuge(std::size_t{2} * 1024 * 1024, 'x');  // a 2 MB organisation once blocked the outbox

TEST_F(BadInput, EveryMutatingRpcRefusesTheBadValueNamingTheFieldAndWritesNothing) {
  using R = v1::RegisterRequest;
  const std::vector<Case> cases = {
      // Register: too long, control characters, negative, overflow, missing, unknown code
      {"long name", "name", [&] { return registering([](R& r) { r.set_name(kLong101); }); }},
      {"long key", "idempotency_key",
       [&] { return registering([](R& r) { r.set_idempotency_key(std::string(129, 'k')); }); }},
      {"escape in name", "name", [&] { return registering([](R& r) { r.set_name("Siti\x1b[2J"); }); }},
      {"CR/LF in name", "name", [&] { return registering([](R& r) { r.set_name("Siti\r\nINFO forged"); }); }},
      {"NUL in name", "name",
       [&] { return registering([](R& r) { r.set_name(std::string("Siti\0x", 6)); }); }},
      {"space in agent id", "agent_id",
       [&] { return registering([](R& r) { r.set_agent_id("a_1 OR 1=1"); }); }},
      {"negative rt", "rt", [&] { return registering([](R& r) { r.set_rt(-1); }); }},
      {"negative income", "income_band", [&] { return registering([](R& r) { r.set_income_band(-5); }); }},
      {"income of a trillion", "income_band",
       [&] { return registering([](R& r) { r.set_income_band(1'000'000'000'000); }); }},
      {"INT64_MAX income", "income_band",
       [&] { return registering([](R& r) { r.set_income_band(kInt64Max); }); }},
      {"INT32_MAX rt", "rt", [&] { return registering([](R& r) { r.set_rt(kInt32Max); }); }},
      {"missing name", "name", [&] { return registering([](R& r) { r.clear_name(); }); }},
      {"missing nik", "nik", [&] { return registering([](R& r) { r.clear_nik(); }); }},
      {"unknown category", "category",
       [&] { return registering([](R& r) { r.set_category("astronaut"); }); }},
      {"unknown payer", "payer", [&] { return registering([](R& r) { r.set_payer("bank"); }); }},
      {"unknown programme", "programs", [&] { return registering([](R& r) { r.set_programs("jkk"); }); }},
      // RegisterBulk: the same rules, row by row
      {"bulk: escape in name", "name",
       [&] { return registering_in_bulk([](R& r) { r.set_name("\x1b]0;pwned\x07"); }); }},
      {"bulk: INT64_MAX income", "income_band",
       [&] { return registering_in_bulk([](R& r) { r.set_income_band(kInt64Max); }); }},
      {"bulk: long key", "idempotency_key",
       [&] { return registering_in_bulk([](R& r) { r.set_idempotency_key(kHuge); }); }},
      // UpdateParticipant
      {"update: INT64_MAX income", "income_band",
       [&] { return updating([](auto& r) { r.set_income_band(kInt64Max); }); }},
      {"update: long participant id", "participant_id",
       [&] { return updating([](auto& r) { r.set_participant_id(std::string(65, 'p')); }); }},
      {"update: control in participant id", "participant_id",
       [&] { return updating([](auto& r) { r.set_participant_id("p_\n1"); }); }},
      {"update: unknown category", "category",
       [&] { return updating([](auto& r) { r.set_category("x"); }); }},
      {"update: long key", "idempotency_key",
       [&] { return updating([](auto& r) { r.set_idempotency_key(kLong101 + kLong101); }); }},
      // MoveParticipant
      {"move: negative rt", "rt", [&] { return moving([](auto& r) { r.set_rt(-3); }); }},
      {"move: unknown RW", "to_rw_code",
       [&] { return moving([](auto& r) { r.set_to_rw_code("31.75.06.1005.777"); }); }},
      {"move: missing date", "moved_on", [&] { return moving([](auto& r) { r.clear_moved_on(); }); }},
      {"move: missing participant", "participant_id",
       [&] { return moving([](auto& r) { r.clear_participant_id(); }); }},
      // ExitParticipant
      {"exit: unknown reason", "reason", [&] { return exiting([](auto& r) { r.set_reason("bored"); }); }},
      {"exit: missing date", "exit_date", [&] { return exiting([](auto& r) { r.clear_exit_date(); }); }},
      {"exit: key with a newline", "idempotency_key",
       [&] { return exiting([](auto& r) { r.set_idempotency_key("exit\n1"); }); }},
      // RegisterAgent
      {"agent: long name", "name", [&] { return agent([](auto& r) { r.set_name(kLong101); }); }},
      {"agent: 2 MB organisation", "organisation",
       [&] { return agent([](auto& r) { r.set_organisation(kHuge); }); }},
      {"agent: escape in organisation", "organisation",
       [&] { return agent([](auto& r) { r.set_organisation("Perisai\x1b[31m"); }); }},
      {"agent: missing name", "name", [&] { return agent([](auto& r) { r.clear_name(); }); }},
      {"agent: unknown branch", "branch_code",
       [&] { return agent([](auto& r) { r.set_branch_code("atlantis"); }); }},
      // CreateRw and UpdateRw
      {"rw: negative number", "number", [&] { return creating_rw([](auto& r) { r.set_number(-1); }); }},
      {"rw: INT32_MAX number", "number",
       [&] { return creating_rw([](auto& r) { r.set_number(kInt32Max); }); }},
      {"rw: negative target", "target", [&] { return creating_rw([](auto& r) { r.set_target(-100); }); }},
      {"rw: unknown kelurahan", "kelurahan_code",
       [&] { return creating_rw([](auto& r) { r.set_kelurahan_code("99.99.99.9999"); }); }},
      {"rw: long kelurahan", "kelurahan_code",
       [&] { return creating_rw([](auto& r) { r.set_kelurahan_code(kHuge); }); }},
      {"rw target: negative", "target", [&] { return updating_rw([](auto& r) { r.set_target(-1); }); }},
      {"rw target: INT32_MAX", "target",
       [&] { return updating_rw([](auto& r) { r.set_target(kInt32Max); }); }},
      {"rw target: missing code", "rw_code", [&] { return updating_rw([](auto& r) { r.clear_rw_code(); }); }},
  };
  const auto before = written();
  for (const auto& c : cases) {
    const auto answer = c.call();
    EXPECT_EQ(answer.code, ::grpc::StatusCode::INVALID_ARGUMENT) << c.what << ": " << answer.message;
    bool named = false;
    for (const auto& v : answer.violations) named = named || v.field == c.field;
    EXPECT_TRUE(named) << c.what << ": the refusal names no " << c.field << " (" << answer.message << ")";
    EXPECT_EQ(answer.message.find('\x1b'), std::string::npos) << c.what << ": the value came back";
    EXPECT_EQ(written(), before) << c.what << ": something was stored or published";
  }
}

TEST_F(BadInput, TheTopIncomeBandIsAcceptedAndOneRupiahMoreIsNot) {
  EXPECT_TRUE(registering([](v1::RegisterRequest& r) { r.set_income_band(kTopIncomeBand); }).ok());
  const auto status = registering([](v1::RegisterRequest& r) { r.set_income_band(kTopIncomeBand + 1); });
  EXPECT_EQ(status.error_code(), ::grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("20000000 (the top band)"), std::string::npos)
      << status.error_message();
}

}  // namespace
}  // namespace jaring::registration

// GetParticipantFacts: what another service (claims) asks of one participation. Only services,
// auditors and admins; ids, codes, dates and bands with the participation's history, and no
// personal data on the wire.
#include "api_fixture.hpp"

namespace jaring::registration {
namespace {

using testing::kRw;

class Facts : public testing::RegistrationApi {
 protected:
  void SetUp() override {
    RegistrationApi::SetUp();
    ASSERT_TRUE(core_.create_rw("31.75.08.1001", 1, 0));  // Makasar: another branch
    worker_ = generator_.worker(7);
    v1::RegisterRequest request;
    sample::fill_register_request(worker_, request);
    request.set_rw_code(kRw);
    request.set_idempotency_key("facts-1");
    request.set_agent_id("");
    ::grpc::ClientContext context;
    prepare(context, auth_.token("branch-officer", "officer"));
    v1::Participant participant;
    const auto status = stub_->Register(&context, request, &participant);
    ASSERT_TRUE(status.ok()) << status.error_message();
    participant_id_ = participant.participant_id();
  }

  static void prepare(::grpc::ClientContext& context, const std::string& token) {
    jaring::grpc::set_deadline(context, std::chrono::seconds(10));
    jaring::grpc::authorize(context, token);
  }

  ::grpc::Status facts(const std::string& token, const std::string& id, v1::ParticipantFacts& reply) {
    ::grpc::ClientContext context;
    prepare(context, token);
    v1::GetParticipantFactsRequest request;
    request.set_participant_id(id);
    return stub_->GetParticipantFacts(&context, request, &reply);
  }

  sample::Worker worker_;
  std::string participant_id_;
};

TEST_F(Facts, AServiceGetsTheParticipationWithItsBandsAndBranchesAndNoPersonalData) {
  // A band changed, then a move to another branch (the core's clock: 21 November in Jakarta).
  const auto band = worker_.income_band == 2'000'000 ? 2'500'000 : 2'000'000;
  ASSERT_TRUE(core_.update_participant(
      {"u-1", participant_id_, std::nullopt, std::nullopt, band, std::nullopt, std::nullopt}));
  clock_.set(clock_.now() + std::chrono::days{2});
  ASSERT_TRUE(core_.move_participant({"m-1", participant_id_, "31.75.08.1001.001", 4, "2026-11-22"}));

  v1::ParticipantFacts reply;
  const auto status = facts(auth_.token("service", "claims"), participant_id_, reply);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(reply.participant_id(), participant_id_);
  EXPECT_EQ(reply.rw_code(), "31.75.08.1001.001");
  EXPECT_EQ(reply.branch_code(), "ceger");
  EXPECT_EQ(reply.income_band(), band);
  EXPECT_EQ(reply.registered_on(), "2026-11-21");
  EXPECT_EQ(reply.status(), "active");
  ASSERT_EQ(reply.income_bands_size(), 1);  // declared on the registration day: that day's band
  EXPECT_EQ(reply.income_bands(0).since(), "2026-11-21");
  EXPECT_EQ(reply.income_bands(0).income_band(), band);
  ASSERT_EQ(reply.branches_size(), 2);
  EXPECT_EQ(reply.branches(0).since(), "2026-11-21");
  EXPECT_EQ(reply.branches(0).branch_code(), "pulogebang");
  EXPECT_EQ(reply.branches(1).since(), "2026-11-22");
  EXPECT_EQ(reply.branches(1).branch_code(), "ceger");
  // No NIK, name, birth date or phone anywhere in the answer's bytes.
  const auto bytes = reply.SerializeAsString();
  for (const auto& personal : {worker_.nik, worker_.name, worker_.birth_date, worker_.phone}) {
    if (!personal.empty()) {
      EXPECT_EQ(bytes.find(personal), std::string::npos) << personal;
    }
  }

  // Auditors and admins may read them too.
  EXPECT_TRUE(facts(auth_.token("auditor", "audit"), participant_id_, reply).ok());
  EXPECT_TRUE(facts(auth_.token("admin", "admin"), participant_id_, reply).ok());
}

TEST_F(Facts, PeopleWhoServeWorkersAreRefusedAndABadOrUnknownIdIsNamed) {
  v1::ParticipantFacts reply;
  for (const char* role : {"agent", "branch-officer", "approver", "area-official", "treasurer", "sponsor"}) {
    EXPECT_EQ(facts(auth_.token(role, "someone"), participant_id_, reply).error_code(),
              ::grpc::StatusCode::PERMISSION_DENIED)
        << role;
  }
  EXPECT_EQ(facts("", participant_id_, reply).error_code(), ::grpc::StatusCode::UNAUTHENTICATED);
  const auto service = auth_.token("service", "claims");
  EXPECT_EQ(facts(service, "p_nobody", reply).error_code(), ::grpc::StatusCode::NOT_FOUND);
  const auto bad = facts(service, "bad id\n", reply);
  EXPECT_EQ(bad.error_code(), ::grpc::StatusCode::INVALID_ARGUMENT);
  const auto violations = jaring::grpc::field_violations(bad);
  ASSERT_EQ(violations.size(), 1u);
  EXPECT_EQ(violations[0].field, "participant_id");
}

}  // namespace
}  // namespace jaring::registration

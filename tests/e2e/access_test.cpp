// Identity and access on the whole stack (issue 12): every method of every service refuses a
// call without a valid token; each role is refused by every method the access table does not
// give it, and passes the edge of every method it does; lists hold only in-scope rows and an
// out-of-scope id is NOT_FOUND; every change is in the audit trail, and the audit topic carries
// no personal data.
#include <google/protobuf/descriptor.h>
#include <grpcpp/generic/generic_stub.h>
#include <gtest/gtest.h>

#include <future>
#include <set>

#include "jaring/audit/v1/audit.grpc.pb.h"
#include "jaring/auth/policy.hpp"
#include "jaring/claims/v1/claims.grpc.pb.h"
#include "jaring/contribution/v1/contribution.grpc.pb.h"
#include "jaring/coverage/v1/coverage.grpc.pb.h"
#include "jaring/csr/v1/csr.grpc.pb.h"
#include "jaring/events/v1/envelope.pb.h"
#include "jaring/kafka/kafka.hpp"
#include "jaring/metrics/metrics.hpp"
#include "jaring/registration/v1/registration.grpc.pb.h"
#include "jaring/sample/sample.hpp"
#include "stack_test.hpp"
#include "topic_collector.hpp"

namespace jaring::e2e {
namespace {

using namespace std::chrono_literals;
namespace reg = registration::v1;
namespace aud = audit::v1;

// The stack member serving each proto service; the audit service is on every member.
const std::map<std::string, std::string> kMembers = {
    {"jaring.registration.v1.RegistrationService", "registration"},
    {"jaring.contribution.v1.ContributionService", "contribution"},
    {"jaring.claims.v1.ClaimsService", "claims"},
    {"jaring.csr.v1.SponsorService", "csr-donor"},
    {"jaring.coverage.v1.CoverageService", "coverage"},
};
const std::vector<std::string> kEveryMember = {"registration", "contribution", "claims", "csr-donor",
                                               "coverage"};

std::vector<const google::protobuf::ServiceDescriptor*> services() {
  return {reg::RegisterRequest::descriptor()->file()->service(0),
          contribution::v1::PaymentRequest::descriptor()->file()->service(0),
          claims::v1::FileClaimRequest::descriptor()->file()->service(0),
          csr::v1::DepositRequest::descriptor()->file()->service(0),
          coverage::v1::GetRwCoverageRequest::descriptor()->file()->service(0)};
}

const std::string kPuloGebang = "31.75.06.1005";  // branch pulogebang
const std::string kCeger = "31.75.08.1001";       // Kecamatan Makasar: branch ceger

class AccessE2e : public StackTest {
 protected:
  AccessE2e() : StackTest("jaring-access-e2e") {}

  void SetUp() override {
    StackTest::SetUp();
    registration_ = reg::RegistrationService::NewStub(channel("registration"));
  }

  // One call of `method` with an empty request (every field at its default), as the holder of
  // `token` ("" for none); the status it ends with.
  ::grpc::Status generic_call(const std::string& member, const std::string& method,
                              const std::string& token) {
    ::grpc::GenericStub stub(channel(member));
    ::grpc::ClientContext context;
    grpc::set_deadline(context, 10s);
    if (!token.empty()) grpc::authorize(context, token);
    ::grpc::Slice empty(std::string{});
    ::grpc::ByteBuffer request(&empty, 1);
    ::grpc::ByteBuffer response;
    std::promise<::grpc::Status> done;
    stub.UnaryCall(&context, method, {}, &request, &response,
                   [&](::grpc::Status s) { done.set_value(std::move(s)); });
    return done.get_future().get();
  }

  std::string role_token(auth::Role role) {
    return token(As{"matrix " + std::string(auth::role_name(role)),
                    {std::string(auth::role_name(role))},
                    "a_matrix",
                    "s_matrix"});
  }

  reg::Rw create_rw(const std::string& kelurahan, int number) {
    reg::CreateRwRequest r;
    r.set_kelurahan_code(kelurahan);
    r.set_number(number);
    return call<reg::Rw>("create RW", [&](auto* c, auto* out) { return registration_->CreateRw(c, r, out); });
  }

  std::string register_agent(const std::string& name, const std::string& branch) {
    reg::RegisterAgentRequest r;
    r.set_idempotency_key("agent-" + name);
    r.set_name(name);
    r.set_phone("081298765432");
    r.set_branch_code(branch);
    r.set_organisation("Perisai");
    return call<reg::Agent>("register agent",
                            [&](auto* c, auto* out) { return registration_->RegisterAgent(c, r, out); })
        .agent_id();
  }

  reg::RegisterRequest worker(std::uint64_t serial, const std::string& rw, const std::string& agent = "") {
    reg::RegisterRequest r;
    sample::fill_register_request(generator_.worker(serial), r);
    r.set_idempotency_key("access-" + std::to_string(serial));
    r.set_rw_code(rw);
    r.set_category("ojol_driver");
    r.set_project_end_date("");
    r.set_agent_id(agent);
    return r;
  }

  std::unique_ptr<reg::RegistrationService::Stub> registration_;
  sample::Generator generator_{41};
};

TEST_F(AccessE2e, EveryMethodOfEveryServiceRefusesACallWithoutAValidToken) {
  int methods = 0;
  const auto refuse_all = [&](const std::string& member, const std::string& method) {
    for (const std::string token : {"", "not-a-token", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9."}) {
      const auto status = generic_call(member, method, token);
      EXPECT_EQ(status.error_code(), ::grpc::StatusCode::UNAUTHENTICATED)
          << method << " on " << member << " with token '" << token << "': " << status.error_message();
    }
    ++methods;
  };
  for (const auto* service : services()) {
    for (int i = 0; i < service->method_count(); ++i)
      refuse_all(kMembers.at(service->full_name()),
                 "/" + service->full_name() + "/" + service->method(i)->name());
  }
  for (const auto& member : kEveryMember)
    refuse_all(member, "/jaring.audit.v1.AuditService/ListAuditRecords");
  EXPECT_EQ(methods, static_cast<int>(auth::policies().size()) - 1 + static_cast<int>(kEveryMember.size()));
}

TEST_F(AccessE2e, EachRoleIsRefusedByEveryMethodTheTableDoesNotGiveItAndPassesTheEdgeOfTheOthers) {
  int denied = 0, passed = 0;
  for (const auto& policy : auth::policies()) {
    const std::string method(policy.method);
    const auto service = method.substr(1, method.rfind('/') - 1);
    const auto member = kMembers.contains(service) ? kMembers.at(service) : "registration";
    const auto* descriptor = google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(
        service + "." + method.substr(method.rfind('/') + 1));
    ASSERT_NE(descriptor, nullptr) << method;
    const bool streaming = descriptor->client_streaming() || descriptor->server_streaming();
    for (int r = 0; r < auth::kRoleCount; ++r) {
      const auto role = static_cast<auth::Role>(r);
      const bool allowed = policy.roles.has(role);
      if (allowed && streaming) continue;  // an empty unary call cannot stand for a stream's work
      const auto status = generic_call(member, method, role_token(role));
      const bool role_refusal = status.error_code() == ::grpc::StatusCode::PERMISSION_DENIED &&
                                status.error_message().starts_with("this call needs one of the roles");
      if (allowed) {
        ++passed;
        EXPECT_FALSE(role_refusal) << auth::role_name(role) << " on " << method << ": "
                                   << status.error_message();
        EXPECT_NE(status.error_code(), ::grpc::StatusCode::UNAUTHENTICATED) << method;
        EXPECT_NE(status.error_code(), ::grpc::StatusCode::INTERNAL)
            << auth::role_name(role) << " on " << method << ": " << status.error_message();
      } else {
        ++denied;
        EXPECT_TRUE(role_refusal) << auth::role_name(role) << " on " << method << " gave "
                                  << grpc::status_code_name(status.error_code()) << ": "
                                  << status.error_message();
      }
    }
  }
  EXPECT_GT(denied, 250);
  EXPECT_GT(passed, 150);
}

TEST_F(AccessE2e, ListsHoldOnlyInScopeRowsAndAnOutOfScopeIdIsNotFound) {
  const auto pulo = create_rw(kPuloGebang, 31);
  const auto ceger = create_rw(kCeger, 31);
  const auto rina = register_agent("Rina Perisai", "pulogebang");
  const auto dodi = register_agent("Dodi Perisai", "pulogebang");
  const As agent_rina{"rina", {"agent"}, rina};
  const As agent_dodi{"dodi", {"agent"}, dodi};

  // Rina registers two workers, Dodi one, all in Pulo Gebang; staff register one in Ceger.
  std::vector<reg::Participant> by_rina;
  for (std::uint64_t i = 1; i <= 2; ++i) {
    auto r = worker(i, pulo.code(), "");  // the agent id comes from Rina's token
    by_rina.push_back(*try_call_as<reg::Participant>(
        [&](auto* c, auto* out) { return registration_->Register(c, r, out); }, agent_rina));
    EXPECT_EQ(by_rina.back().agent_id(), rina);
  }
  auto by_dodi_request = worker(3, pulo.code(), dodi);
  const auto by_dodi = *try_call_as<reg::Participant>(
      [&](auto* c, auto* out) { return registration_->Register(c, by_dodi_request, out); }, agent_dodi);
  auto in_ceger_request = worker(4, ceger.code());
  const auto in_ceger = call<reg::Participant>("register in Ceger", [&](auto* c, auto* out) {
    return registration_->Register(c, in_ceger_request, out);
  });

  // An agent may not register under another agent's id, nor outside their branch.
  ::grpc::Status status;
  auto as_dodi = worker(5, pulo.code(), dodi);
  EXPECT_FALSE(try_call_as<reg::Participant>(
      [&](auto* c, auto* out) { return registration_->Register(c, as_dodi, out); }, agent_rina, &status));
  EXPECT_EQ(status.error_code(), ::grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
  auto outside = worker(6, ceger.code(), "");
  const As rina_in_pulo{"rina", {"agent"}, rina, "", {"pulogebang"}};
  EXPECT_FALSE(try_call_as<reg::Participant>(
      [&](auto* c, auto* out) { return registration_->Register(c, outside, out); }, rina_in_pulo, &status));
  EXPECT_EQ(status.error_code(), ::grpc::StatusCode::PERMISSION_DENIED) << status.error_message();

  const auto list_as = [&](const As& as, const std::string& rw) {
    reg::ListParticipantsRequest r;
    r.set_rw_code(rw);
    std::set<std::string> ids;
    const auto page = try_call_as<reg::ListParticipantsResponse>(
        [&](auto* c, auto* out) { return registration_->ListParticipants(c, r, out); }, as);
    EXPECT_TRUE(page.has_value());
    if (page) {
      for (const auto& p : page->participants()) ids.insert(p.participant_id());
    }
    return ids;
  };
  const auto get_as = [&](const As& as, const std::string& id, reg::Participant* out = nullptr) {
    reg::GetParticipantRequest r;
    r.set_participant_id(id);
    ::grpc::Status s;
    auto p = try_call_as<reg::Participant>(
        [&](auto* c, auto* o) { return registration_->GetParticipant(c, r, o); }, as, &s);
    if (p && out != nullptr) *out = *p;
    return s.error_code();
  };

  // Agents see their own registrations only.
  EXPECT_EQ(list_as(agent_rina, pulo.code()),
            (std::set<std::string>{by_rina[0].participant_id(), by_rina[1].participant_id()}));
  EXPECT_EQ(list_as(agent_dodi, pulo.code()), (std::set<std::string>{by_dodi.participant_id()}));
  EXPECT_EQ(get_as(agent_rina, by_rina[0].participant_id()), ::grpc::StatusCode::OK);
  EXPECT_EQ(get_as(agent_rina, by_dodi.participant_id()), ::grpc::StatusCode::NOT_FOUND);

  // A branch officer of Pulo Gebang sees Pulo Gebang, not Ceger.
  const As officer_pulo{"officer pulo", {"branch-officer"}, "", "", {"pulogebang"}};
  EXPECT_EQ(get_as(officer_pulo, in_ceger.participant_id()), ::grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(get_as(officer_pulo, by_dodi.participant_id()), ::grpc::StatusCode::OK);
  EXPECT_TRUE(list_as(officer_pulo, ceger.code()).empty());
  EXPECT_EQ(list_as(officer_pulo, pulo.code()).size(), 3U);

  // An area official of Pulo Gebang sees its workers without NIK or phone, and nothing else.
  const As lurah{"lurah pulo gebang", {"area-official"}, "", "", {}, {kPuloGebang}};
  reg::Participant seen;
  EXPECT_EQ(get_as(lurah, by_dodi.participant_id(), &seen), ::grpc::StatusCode::OK);
  EXPECT_TRUE(seen.nik_masked().empty());
  EXPECT_TRUE(seen.phone().empty());
  EXPECT_FALSE(seen.name().empty());
  EXPECT_EQ(get_as(lurah, in_ceger.participant_id()), ::grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(list_as(lurah, pulo.code()).size(), 3U);
  EXPECT_TRUE(list_as(lurah, ceger.code()).empty());

  // FindByNik is for branch officers and admins only.
  reg::FindByNikRequest find;
  find.set_nik(in_ceger_request.nik());
  EXPECT_FALSE(try_call_as<reg::Participant>(
      [&](auto* c, auto* out) { return registration_->FindByNik(c, find, out); }, agent_rina, &status));
  EXPECT_EQ(status.error_code(), ::grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(AccessE2e, EveryChangeIsInTheAuditTrailAndTheAuditTopicCarriesNoPersonalData) {
  Collector collector;
  metrics::Registry registry("e2e");
  kafka::ConsumerOptions options;
  options.group_id = "e2e-audit-watcher";
  options.topics = {"jaring.audit.v1"};
  options.max_wait = 100ms;
  kafka::Consumer watcher({stack_->endpoints().kafka_bootstrap, {}}, options, collector, registry);
  watcher.start();

  const auto rw = create_rw(kPuloGebang, 32);
  auto request = worker(10, rw.code());
  const auto participant = call<reg::Participant>(
      "register", [&](auto* c, auto* out) { return registration_->Register(c, request, out); });
  reg::GetParticipantRequest get;
  get.set_participant_id(participant.participant_id());
  call<reg::Participant>("read",
                         [&](auto* c, auto* out) { return registration_->GetParticipant(c, get, out); });
  // A refused change is recorded too.
  reg::UpdateRwRequest target;
  target.set_rw_code(rw.code());
  target.set_target(150);
  ::grpc::Status status;
  EXPECT_FALSE(try_call<reg::Rw>([&](auto* c, auto* out) { return registration_->UpdateRw(c, target, out); },
                                 &status, "agent.nosy", "agent"));
  EXPECT_EQ(status.error_code(), ::grpc::StatusCode::PERMISSION_DENIED);

  // Only auditors read the trail.
  auto audit = aud::AuditService::NewStub(channel("registration"));
  aud::ListAuditRecordsRequest all;
  EXPECT_FALSE(try_call<aud::ListAuditRecordsResponse>(
      [&](auto* c, auto* out) { return audit->ListAuditRecords(c, all, out); }, &status));
  EXPECT_EQ(status.error_code(), ::grpc::StatusCode::PERMISSION_DENIED);
  const As auditor{"auditor bpk", {"auditor"}};
  const auto trail = *try_call_as<aud::ListAuditRecordsResponse>(
      [&](auto* c, auto* out) { return audit->ListAuditRecords(c, all, out); }, auditor);
  const auto find = [&](const std::string& method_suffix,
                        const std::string& result) -> const aud::AuditRecord* {
    for (const auto& r : trail.records()) {
      if (r.method().ends_with(method_suffix) && r.result() == result) return &r;
    }
    return nullptr;
  };
  const auto* created = find("/CreateRw", "OK");
  ASSERT_NE(created, nullptr);
  EXPECT_EQ(created->subject(), "e2e-staff");
  const auto* registered = find("/Register", "OK");
  ASSERT_NE(registered, nullptr);
  EXPECT_NE(std::find(registered->ids().begin(), registered->ids().end(), participant.participant_id()),
            registered->ids().end());
  EXPECT_EQ(registered->roles(), "branch-officer,admin");
  EXPECT_FALSE(registered->trace_id().empty());
  const auto* read = find("/GetParticipant", "OK");
  ASSERT_NE(read, nullptr);
  EXPECT_EQ(read->ids(0), participant.participant_id());
  const auto* refused = find("/UpdateRw", "PERMISSION_DENIED");
  ASSERT_NE(refused, nullptr);
  EXPECT_EQ(refused->subject(), "agent.nosy");

  // By participant: every record that names the worker.
  aud::ListAuditRecordsRequest by_id;
  by_id.set_id(participant.participant_id());
  const auto of_worker = *try_call_as<aud::ListAuditRecordsResponse>(
      [&](auto* c, auto* out) { return audit->ListAuditRecords(c, by_id, out); }, auditor);
  EXPECT_GE(of_worker.records_size(), 2);

  // The audit events arrive, with ids and no NIK, name or phone.
  ASSERT_TRUE(process::wait_for([&] { return collector.payloads().size() >= 4; }, 30s, 50ms));
  for (const auto& payload : collector.payloads()) {
    events::v1::Envelope e;
    ASSERT_TRUE(e.ParseFromString(payload));
    EXPECT_EQ(e.type(), "AuditRecorded");
    EXPECT_EQ(payload.find(request.nik()), std::string::npos);
    EXPECT_EQ(payload.find(request.name()), std::string::npos);
    EXPECT_EQ(payload.find(request.phone()), std::string::npos);
  }
  watcher.stop();
}

}  // namespace
}  // namespace jaring::e2e

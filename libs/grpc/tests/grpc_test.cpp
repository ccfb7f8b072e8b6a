#include <absl/synchronization/mutex.h>
#include <grpcpp/generic/generic_stub.h>
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "jaring/grpc/audit_service.hpp"
#include "jaring/grpc/client.hpp"
#include "jaring/grpc/edge.hpp"
#include "jaring/grpc/server.hpp"
#include "jaring/log/log.hpp"
#include "jaring/store/outbox.hpp"
#include "jaring/testing/auth.hpp"
#include "jaring/testing/fixtures.hpp"
#include "tests/echo.grpc.pb.h"

namespace jaring::grpc {
namespace {

using namespace std::chrono_literals;
using auth::Role;

// The test's own access table: the edge finds methods through it instead of the project's.
const auth::MethodPolicy kTestPolicies[] = {
    {"/jaring.grpctest.Echo/Say", {Role::kAgent, Role::kBranchOfficer, Role::kService}, auth::Access::kOpen},
    {"/jaring.grpctest.Echo/Change", {Role::kBranchOfficer}, auth::Access::kChange},
    {"/jaring.grpctest.Echo/Limited", {Role::kBranchOfficer}, auth::Access::kOpen, 2},
};

const auth::MethodPolicy* test_policy(std::string_view method) {
  for (const auto& p : kTestPolicies) {
    if (p.method == method) return &p;
  }
  return nullptr;
}

// Change, a write of one record, is a callback method (edge.hpp, answer_inline), as the services'
// single writes are; the others run on the synchronous server's pool.
class EchoService final : public grpctest::Echo::WithCallbackMethod_Change<grpctest::Echo::Service> {
 public:
  EchoService(Edge& edge, store::Database& db) : edge_(edge), db_(db) {}

  ::grpc::Status Say(::grpc::ServerContext* context, const grpctest::SayRequest* request,
                     grpctest::SayReply* reply) override {
    return edge_.serve(context, "Say", request, reply, [&](const Call& call) -> ::grpc::Status {
      if (request->text() == "who") {
        reply->set_text(call.caller.who() + "/" + call.caller.roles.str());
        return ::grpc::Status::OK;
      }
      if (request->text() == "trace") {
        reply->set_text(log::current_trace_id());
        return ::grpc::Status::OK;
      }
      if (request->text() == "hold") {
        hold();
        return ::grpc::Status::OK;
      }
      {
        std::lock_guard lock(mutex_);
        ++others_;
      }
      if (request->text() == "many") {
        std::vector<FieldViolation> many;
        many.reserve(500);
        for (int i = 0; i < 500; ++i)
          many.push_back({fmt::format("items[{}].participant_id", i), std::string(120, 'x')});
        return to_status(Error::invalid(std::move(many)));
      }
      if (request->text().empty()) return to_status(Error::invalid({{"text", "is required"}}));
      if (request->text() == "missing") return to_status(Error::not_found("no such thing"));
      if (request->text() == "throw") throw std::runtime_error("disk I/O error at /secret/path");
      if (request->text() == "store") throw store::StoreError("database or disk is full: /var/lib/x.db");
      if (request->text() == "too large")
        throw store::OutboxMessageTooLarge("jaring.things.v1", 3'000'000, 998'976);
      reply->set_text(request->text());
      return ::grpc::Status::OK;
    });
  }

  ::grpc::ServerUnaryReactor* Change(::grpc::CallbackServerContext* context,
                                     const grpctest::ChangeRequest* request,
                                     grpctest::SayReply* reply) override {
    return answer_inline(context, edge_.serve(context, "Change", request, reply, [&](const Call&) {
      if (request->thing_id() == "hold") hold();
      if (request->thing_id() == "throw") throw std::runtime_error("disk I/O error at /secret/path");
      const auto written = db_.write([&](store::Transaction& tx) -> Result<void> {
        tx.prepare("INSERT INTO things (id) VALUES (?)").bind(1, request->thing_id()).run();
        store::outbox_append(tx, {0, "jaring.things.v1", request->thing_id(), "payload"});
        return {};
      });
      if (!written) return to_status(written.error());
      reply->set_text("changed");
      return ::grpc::Status::OK;
    }));
  }

  ::grpc::Status Limited(::grpc::ServerContext* context, const grpctest::SayRequest* request,
                         grpctest::SayReply* reply) override {
    return edge_.serve(context, "Limited", request, reply, [&](const Call&) { return ::grpc::Status::OK; });
  }

  ::grpc::Status Unlisted(::grpc::ServerContext* context, const grpctest::SayRequest* request,
                          grpctest::SayReply* reply) override {
    return edge_.serve(context, "Unlisted", request, reply, [&](const Call&) { return ::grpc::Status::OK; });
  }

  // Holds the call until release().
  void hold() {
    std::unique_lock lock(mutex_);
    ++holding_;
    changed_.notify_all();
    changed_.wait(lock, [&] { return released_; });
  }
  // Waits until `n` calls hold in Say("hold") or Change("hold").
  void wait_holding(int n) {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return holding_ >= n; });
  }
  void release() {
    std::lock_guard lock(mutex_);
    released_ = true;
    changed_.notify_all();
  }
  // Calls of Say that reached the handler other than "hold" and "trace".
  int others() {
    std::lock_guard lock(mutex_);
    return others_;
  }

 private:
  Edge& edge_;
  store::Database& db_;
  std::mutex mutex_;
  std::condition_variable changed_;
  int holding_ = 0;
  bool released_ = false;
  int others_ = 0;
};

class GrpcServer : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<Server>(metrics_, limits_);
    server_->add_service(&service_);
    server_->start("127.0.0.1:0");
    channel_ = ::grpc::CreateChannel("127.0.0.1:" + std::to_string(server_->port()),
                                     ::grpc::InsecureChannelCredentials());
    stub_ = grpctest::Echo::NewStub(channel_);
  }

  // A call of `method` by name with `request` as its bytes (a method the stub may not know).
  ::grpc::Status generic_call(const std::string& method, const std::string& request_bytes,
                              std::string* response_bytes = nullptr) {
    ::grpc::GenericStub generic(channel_);
    ::grpc::ClientContext context;
    set_deadline(context, std::chrono::seconds(5));
    ::grpc::Slice slice(request_bytes);
    ::grpc::ByteBuffer request(&slice, 1);
    ::grpc::ByteBuffer response;
    std::mutex mutex;
    std::condition_variable done_cv;
    bool done = false;
    ::grpc::Status status;
    generic.UnaryCall(&context, method, {}, &request, &response, [&](::grpc::Status s) {
      std::lock_guard lock(mutex);
      status = std::move(s);
      done = true;
      done_cv.notify_one();
    });
    std::unique_lock lock(mutex);
    done_cv.wait(lock, [&] { return done; });
    if (response_bytes != nullptr) {
      std::vector<::grpc::Slice> slices;
      (void)response.Dump(&slices);
      response_bytes->clear();
      for (const auto& s : slices) response_bytes->append(reinterpret_cast<const char*>(s.begin()), s.size());
    }
    return status;
  }

  // A call to Say as `role` (a token from the test's key), or with `token` as given when set.
  ::grpc::Status say(const std::string& text, grpctest::SayReply* reply, const std::string& role = "agent",
                     const std::string& subject = "siti", std::optional<std::string> token = std::nullopt,
                     const std::vector<std::pair<std::string, std::string>>& metadata = {}) {
    ::grpc::ClientContext context;
    set_deadline(context, std::chrono::seconds(5));
    if (token) {
      if (!token->empty()) context.AddMetadata("authorization", *token);
    } else {
      authorize(context, auth_.token(role, subject));
    }
    for (const auto& [k, v] : metadata) context.AddMetadata(k, v);
    grpctest::SayRequest request;
    request.set_text(text);
    return stub_->Say(&context, request, reply);
  }

  ::grpc::Status change(const std::string& thing, const std::string& role) {
    ::grpc::ClientContext context;
    set_deadline(context, std::chrono::seconds(5));
    if (!role.empty()) authorize(context, auth_.token(role, "budi"));  // none: no token at all
    grpctest::ChangeRequest request;
    request.set_thing_id(thing);
    grpctest::SayReply reply;
    return stub_->Change(&context, request, &reply);
  }

  std::vector<audit::Record> audit_records() { return trail_.find({}); }

  testing::LocalAuth auth_;
  FixedClock clock_{std::chrono::system_clock::now()};
  auth::Verifier verifier_{auth_.verifier_settings(), clock_};
  metrics::Registry metrics_{"test"};
  std::unique_ptr<store::Database> db_ =
      store::Database::open(":memory:", {store::outbox_migration(1),
                                         audit::Trail::migration(2),
                                         {3, "CREATE TABLE things (id TEXT PRIMARY KEY)"},
                                         store::outbox_segments_migration(4)});
  audit::Trail trail_{*db_, "test", clock_};
  Edge edge_{"jaring.grpctest.Echo", verifier_, metrics_, &trail_, test_policy};
  EchoService service_{edge_, *db_};
  ServerLimits limits_;  // a derived fixture may set its own before SetUp
  std::unique_ptr<Server> server_;
  std::shared_ptr<::grpc::Channel> channel_;
  std::unique_ptr<grpctest::Echo::Stub> stub_;
};

TEST_F(GrpcServer, NoValidBearerTokenIsUnauthenticated) {
  grpctest::SayReply reply;
  EXPECT_EQ(say("halo", &reply, "", "", "").error_code(), ::grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(say("halo", &reply, "", "", "Bearer not.a.token").error_code(),
            ::grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(say("halo", &reply, "", "", "Basic c2l0aTpzZWNyZXQ=").error_code(),
            ::grpc::StatusCode::UNAUTHENTICATED);
  // The old identity headers count for nothing.
  const auto headers_only =
      say("who", &reply, "", "", "", {{"x-jaring-user", "admin"}, {"x-jaring-role", "admin"}});
  EXPECT_EQ(headers_only.error_code(), ::grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(headers_only.error_message(), "no bearer token");
  // The scheme is case-insensitive, as RFC 7235 says.
  const auto token = auth_.token("agent", "siti");
  EXPECT_TRUE(say("halo", &reply, "", "", "bearer " + token).ok());
  EXPECT_NE(metrics_.serialize().find("reason=\"unauthenticated\"} 4"), std::string::npos)
      << metrics_.serialize();
}

TEST_F(GrpcServer, TheTokensIdentityReachesTheHandlerNormalised) {
  grpctest::SayReply reply;
  ASSERT_TRUE(say("who", &reply, "agent", "  Siti   AMINAH ").ok());
  EXPECT_EQ(reply.text(), "siti aminah/agent");
}

TEST_F(GrpcServer, ARoleTheTableDoesNotListIsDenied) {
  grpctest::SayReply reply;
  const auto status = say("halo", &reply, "sponsor");
  EXPECT_EQ(status.error_code(), ::grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(status.error_message(), "this call needs one of the roles agent,branch-officer,service");
  ::grpc::ClientContext context;
  authorize(context, auth_.token("admin", "root"));
  grpctest::SayRequest request;
  EXPECT_EQ(stub_->Unlisted(&context, request, &reply).error_code(), ::grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(GrpcServer, OnlyAServiceMayNameTheUserItActsFor) {
  grpctest::SayReply reply;
  ASSERT_TRUE(
      say("who", &reply, "service", "svc-csr-donor", std::nullopt, {{kActingUserHeader, "Lurah Ani"}}).ok());
  EXPECT_EQ(reply.text(), "svc-csr-donor for lurah ani/service");
  ASSERT_TRUE(say("who", &reply, "agent", "siti", std::nullopt, {{kActingUserHeader, "someone else"}}).ok());
  EXPECT_EQ(reply.text(), "siti/agent");
}

// A client of another service: each call carries the service's token, the user it is made for
// (the Caller's own unless the call names another) and the Caller's deadline.
TEST_F(GrpcServer, AClientsCallsCarryTheServicesTokenTheActingUserAndADeadline) {
  const Client<grpctest::Echo> client(channel_, {TokenSource::fixed(auth_.token("service", "svc-claims")),
                                                 std::chrono::seconds(7), "Lurah Ani"});
  grpctest::SayRequest request;
  request.set_text("who");
  grpctest::SayReply reply;
  {
    ::grpc::ClientContext context;
    const auto before = std::chrono::system_clock::now();
    ASSERT_TRUE(client.prepare(context));
    EXPECT_GT(context.deadline(), before + std::chrono::seconds(6));
    EXPECT_LE(context.deadline(), std::chrono::system_clock::now() + std::chrono::seconds(7));
    ASSERT_TRUE(client.stub().Say(&context, request, &reply).ok());
    EXPECT_EQ(reply.text(), "svc-claims for lurah ani/service");
  }
  ::grpc::ClientContext context;
  ASSERT_TRUE(client.prepare(context, "Petugas Budi", std::chrono::seconds(30)));
  EXPECT_GT(context.deadline(), std::chrono::system_clock::now() + std::chrono::seconds(29));
  ASSERT_TRUE(client.stub().Say(&context, request, &reply).ok());
  EXPECT_EQ(reply.text(), "svc-claims for petugas budi/service");
}

// The platform replaces a mounted Secret by swapping files: for a moment there may be none. A call
// then is UNAVAILABLE (try again), not an exception that the callee's edge would answer INTERNAL,
// and the next call after the file is back goes out with it.
TEST_F(GrpcServer, AClientWhoseTokenFileCannotBeReadIsUnavailableUntilItCanBe) {
  const testing::TempDir dir("jaring-grpc-client");
  const auto path = dir.path() / "token";
  const auto write_token = [&] { std::ofstream(path) << auth_.token("service", "svc-csr-donor") << "\n"; };
  write_token();
  const Client<grpctest::Echo> client(channel_, {TokenSource::file(path.string()), std::chrono::seconds(5)});
  std::filesystem::remove(path);
  ::grpc::ClientContext refused;
  const auto ready = client.prepare(refused, "lurah ani");
  ASSERT_FALSE(ready);
  EXPECT_EQ(ready.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(ready.error().message, "this service's own credential cannot be read now; try again");
  EXPECT_NE(ready.error().cause.find(path.string()), std::string::npos) << ready.error().cause;

  write_token();
  ::grpc::ClientContext context;
  ASSERT_TRUE(client.prepare(context, "lurah ani"));
  grpctest::SayRequest request;
  request.set_text("who");
  grpctest::SayReply reply;
  ASSERT_TRUE(client.stub().Say(&context, request, &reply).ok());
  EXPECT_EQ(reply.text(), "svc-csr-donor for lurah ani/service");
}

TEST_F(GrpcServer, TraceIdsAreKeptOnlyWhenTheyLookLikeTraceIds) {
  grpctest::SayReply reply;
  ASSERT_TRUE(say("trace", &reply, "agent", "siti", std::nullopt,
                  {{"x-trace-id", "0123456789abcdef0123456789abcdef"}})
                  .ok());
  EXPECT_EQ(reply.text(), "0123456789abcdef0123456789abcdef");
  ASSERT_TRUE(say("trace", &reply, "agent", "siti", std::nullopt,
                  {{"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}})
                  .ok());
  EXPECT_EQ(reply.text(), "4bf92f3577b34da6a3ce929d0e0e4736");
  // A NIK is 16 digits, hex digits too: refused however it is dressed, and a fresh id is used.
  const std::vector<std::pair<std::string, std::string>> niks = {
      {"x-trace-id", "nik 3172011505900001"},
      {"x-trace-id", "3172011505900001"},
      {"x-trace-id", "t_3172011505900001"},
      {"x-trace-id", "abcd3172011505900001"},
      {"traceparent", "00-31720115059000010000000000000000-00f067aa0ba902b7-01"}};
  for (const auto& nik : niks) {
    ASSERT_TRUE(say("trace", &reply, "agent", "siti", std::nullopt, {nik}).ok());
    EXPECT_TRUE(reply.text().starts_with("t_")) << reply.text();
    EXPECT_EQ(reply.text().find("3172011505900001"), std::string::npos) << nik.second;
  }
}

TEST_F(GrpcServer, ATraceIdCarryingANikIsNeitherLoggedNorPassedOn) {
  std::ostringstream logged;
  const auto previous = spdlog::default_logger();
  log::init("test", "info", std::make_shared<spdlog::sinks::ostream_sink_mt>(logged));
  grpctest::SayReply reply;
  // A refused call is logged with its trace id.
  EXPECT_EQ(say("halo", &reply, "", "", "Bearer forged", {{"x-trace-id", "3172011505900001"}}).error_code(),
            ::grpc::StatusCode::UNAUTHENTICATED);
  ASSERT_TRUE(say("trace", &reply, "agent", "siti", std::nullopt, {{"x-trace-id", "3172011505900001"}}).ok());
  spdlog::set_default_logger(previous);
  EXPECT_NE(logged.str().find("\"trace_id\":\"t_"), std::string::npos) << logged.str();
  EXPECT_EQ(logged.str().find("3172011505900001"), std::string::npos) << logged.str();
  EXPECT_EQ(reply.text().find("3172011505900001"), std::string::npos) << reply.text();
}

TEST_F(GrpcServer, ARateLimitedMethodRefusesBeyondItsRatePerSubject) {
  const auto limited = [&](const std::string& subject) {
    ::grpc::ClientContext context;
    authorize(context, auth_.token("branch-officer", subject));
    grpctest::SayRequest request;
    grpctest::SayReply reply;
    return stub_->Limited(&context, request, &reply).error_code();
  };
  EXPECT_EQ(limited("budi"), ::grpc::StatusCode::OK);
  EXPECT_EQ(limited("BUDI"), ::grpc::StatusCode::OK);  // one person, however written
  EXPECT_EQ(limited("budi"), ::grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(limited("siti"), ::grpc::StatusCode::OK);  // another person has their own rate
}

TEST_F(GrpcServer, ChangesAndRefusalsOfKnownCallersAreAudited) {
  ASSERT_TRUE(change("thing-1", "branch-officer").ok());
  EXPECT_EQ(change("thing-2", "agent").error_code(), ::grpc::StatusCode::PERMISSION_DENIED);
  grpctest::SayReply reply;
  ASSERT_TRUE(say("halo", &reply).ok());                            // an open read: not audited
  EXPECT_FALSE(say("halo", &reply, "", "", "Bearer forged").ok());  // nobody to name: counted only
  const auto records = audit_records();
  ASSERT_EQ(records.size(), 2U);
  EXPECT_EQ(records[0].method, "/jaring.grpctest.Echo/Change");
  EXPECT_EQ(records[0].subject, "budi");
  EXPECT_EQ(records[0].roles, "branch-officer");
  EXPECT_EQ(records[0].result, "OK");
  EXPECT_EQ(records[0].ids, std::vector<std::string>{"thing-1"});
  EXPECT_EQ(records[1].result, "PERMISSION_DENIED");
  EXPECT_EQ(records[1].roles, "agent");
  EXPECT_EQ(records[1].ids, std::vector<std::string>{"thing-2"});
}

// Two Abseil mutexes (gRPC's locks are Abseil's) taken in one order, then in the other: an order
// that could deadlock two threads, which Abseil's checks abort on when they are on.
void take_in_both_orders() {
  absl::Mutex a;
  absl::Mutex b;
  {
    absl::MutexLock first(&a);
    absl::MutexLock second(&b);
  }
  absl::MutexLock first(&b);
  absl::MutexLock second(&a);
}

TEST(LockOrderChecks, AreOnInDebiansAbseilAndOffOnceDisabled) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  // The bookkeeping the services turn off at start: on by default in this Abseil.
  EXPECT_DEATH(take_in_both_orders(), "deadlock");
  jaring::grpc::disable_lock_order_checks();
  take_in_both_orders();
}

TEST(Ids, FoundInRequestsAndAnswersDownToNestedMessages) {
  grpctest::ChangeRequest request;
  request.set_thing_id("t-1");
  EXPECT_EQ(ids_in(request), std::vector<std::string>{"t-1"});
  EXPECT_TRUE(ids_in(grpctest::SayRequest()).empty());
}

TEST_F(GrpcServer, ACallbackMethodPassesTheSameEdge) {
  EXPECT_EQ(change("thing-1", "").error_code(), ::grpc::StatusCode::UNAUTHENTICATED);
  ASSERT_TRUE(change("thing-1", "branch-officer").ok());
  const auto thrown = change("throw", "branch-officer");
  EXPECT_EQ(thrown.error_code(), ::grpc::StatusCode::INTERNAL);
  EXPECT_EQ(thrown.error_message().find("/secret/path"), std::string::npos);
  EXPECT_EQ(audit_records().size(), 2U) << "the change and the one that failed";
  const auto text = metrics_.serialize();
  EXPECT_NE(
      text.find("jaring_test_rpc_requests_total{code=\"OK\",method=\"/jaring.grpctest.Echo/Change\"} 1"),
      std::string::npos)
      << text;
  EXPECT_NE(
      text.find(
          "jaring_test_rpc_requests_total{code=\"INTERNAL\",method=\"/jaring.grpctest.Echo/Change\"} 1"),
      std::string::npos)
      << text;
}

TEST_F(GrpcServer, AHeldCallbackWriteHoldsNoCallOfThePoolBack) {
  std::thread held([&] { EXPECT_TRUE(change("hold", "branch-officer").ok()); });
  service_.wait_holding(1);
  grpctest::SayReply reply;
  EXPECT_TRUE(say("halo", &reply).ok()) << "a read runs on the pool while a write holds its thread";
  EXPECT_EQ(reply.text(), "halo");
  service_.release();
  held.join();
}

TEST_F(GrpcServer, InvalidArgumentCarriesFieldViolations) {
  grpctest::SayReply reply;
  const auto status = say("", &reply);
  EXPECT_EQ(status.error_code(), ::grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "text: is required");
  const auto violations = field_violations(status);
  ASSERT_EQ(violations.size(), 1u);
  EXPECT_EQ(violations[0].field, "text");
  EXPECT_EQ(violations[0].rule, "is required");
}

TEST_F(GrpcServer, MapsDomainCodesAndCountsCalls) {
  grpctest::SayReply reply;
  EXPECT_TRUE(say("halo", &reply).ok());
  EXPECT_EQ(reply.text(), "halo");
  EXPECT_EQ(say("missing", &reply).error_code(), ::grpc::StatusCode::NOT_FOUND);
  const auto text = metrics_.serialize();
  EXPECT_NE(text.find("jaring_test_rpc_requests_total{code=\"OK\",method=\"/jaring.grpctest.Echo/Say\"} 1"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("code=\"NOT_FOUND\""), std::string::npos);
}

TEST_F(GrpcServer, ExceptionsBecomeInternalWithoutDetails) {
  grpctest::SayReply reply;
  const auto status = say("throw", &reply);
  EXPECT_EQ(status.error_code(), ::grpc::StatusCode::INTERNAL);
  EXPECT_EQ(status.error_message().find("/secret/path"), std::string::npos);
}

TEST_F(GrpcServer, ARefusalNamingHundredsOfFieldsStillReachesTheClient) {
  grpctest::SayReply reply;
  const auto status = say("many", &reply);
  ASSERT_EQ(status.error_code(), ::grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  const auto violations = field_violations(status);
  ASSERT_EQ(violations.size(), 21u);
  EXPECT_EQ(violations[0].field, "items[0].participant_id");
  EXPECT_EQ(violations[20].field, "(more)");
  EXPECT_EQ(violations[20].rule, "480 more violations not listed");
  EXPECT_LE(status.error_message().size(), 1100u);
}

TEST_F(GrpcServer, StoreFailuresBecomeUnavailableWithoutDetails) {
  grpctest::SayReply reply;
  const auto status = say("store", &reply);
  EXPECT_EQ(status.error_code(), ::grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(status.error_message().find("/var/lib"), std::string::npos);
}

TEST_F(GrpcServer, AnEventTooLargeForTheOutboxIsInvalidArgumentAndNothingIsStored) {
  grpctest::SayReply reply;
  const auto thrown = say("too large", &reply);
  ASSERT_EQ(thrown.error_code(), ::grpc::StatusCode::INVALID_ARGUMENT) << thrown.error_message();
  const auto violations = field_violations(thrown);
  ASSERT_EQ(violations.size(), 1u);
  EXPECT_EQ(violations[0].field, "request");
  EXPECT_NE(violations[0].rule.find("3000000 bytes; at most 998976 bytes"), std::string::npos)
      << violations[0].rule;

  // Through a real append: the limit is lowered so that a long id makes too large an event.
  struct Limit {
    Limit() { store::set_outbox_max_message_bytes(64); }
    ~Limit() { store::set_outbox_max_message_bytes(store::kOutboxMaxMessageBytes); }
  } limit;
  const auto appended = change(std::string(100, 't'), "branch-officer");
  EXPECT_EQ(appended.error_code(), ::grpc::StatusCode::INVALID_ARGUMENT) << appended.error_message();
  EXPECT_EQ(field_violations(appended).at(0).field, "request");
  const auto things = db_->read([](store::Database& d) {
    auto statement = d.prepare(
        "SELECT (SELECT count(*) FROM things), (SELECT count(*) FROM outbox WHERE topic = "
        "'jaring.things.v1')");
    statement.step();
    return std::pair(statement.column_int(0), statement.column_int(1));
  });
  EXPECT_EQ(things.first, 0);
  EXPECT_EQ(things.second, 0);
}

TEST_F(GrpcServer, ServesStandardHealthChecking) {
  const auto check = [&]() {
    std::string bytes;
    // HealthCheckRequest{service: ""} is empty on the wire.
    const auto status = generic_call("/grpc.health.v1.Health/Check", "", &bytes);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return bytes;
  };
  EXPECT_EQ(check(), std::string("\x08\x01", 2));  // SERVING
  server_->set_serving(false);
  EXPECT_EQ(check(), std::string("\x08\x02", 2));  // NOT_SERVING
  EXPECT_NE(metrics_.serialize().find("code=\"OK\",method=\"/grpc.health.v1.Health/Check\"} 2"),
            std::string::npos)
      << metrics_.serialize();
}

TEST_F(GrpcServer, CallsOfMethodsItDoesNotServeAreCountedAsUnknown) {
  // Made-up names, and a real method of a service this server does not serve.
  for (const auto* method : {"/jaring.grpctest.Echo/MadeUp", "/made.up.Service/Method",
                             "/jaring.audit.v1.AuditService/ListAuditRecords"}) {
    EXPECT_EQ(generic_call(method, "").error_code(), ::grpc::StatusCode::UNIMPLEMENTED) << method;
  }
  grpctest::SayReply reply;
  ASSERT_TRUE(say("halo", &reply).ok());
  const auto text = metrics_.serialize();
  EXPECT_NE(text.find("jaring_test_rpc_requests_total{code=\"UNIMPLEMENTED\",method=\"unknown\"} 3"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("jaring_test_rpc_duration_seconds_count{method=\"unknown\"} 3"), std::string::npos)
      << text;
  EXPECT_NE(text.find("method=\"/jaring.grpctest.Echo/Say\""), std::string::npos) << text;
  EXPECT_EQ(text.find("MadeUp"), std::string::npos) << text;
  EXPECT_EQ(text.find("made.up"), std::string::npos) << text;
  EXPECT_EQ(text.find("ListAuditRecords"), std::string::npos) << text;
}

// A server whose limits a test can reach: 64 KiB messages, one call at a time per connection.
class GrpcServerLimits : public GrpcServer {
 protected:
  GrpcServerLimits() { limits_ = {64 * 1024, 1}; }
};

TEST_F(GrpcServerLimits, AMessageOverTheLimitIsRefusedAndTheServerKeepsAnswering) {
  grpctest::SayReply reply;
  const auto refused = say(std::string(std::size_t{100} * 1024, 'x'), &reply);
  EXPECT_EQ(refused.error_code(), ::grpc::StatusCode::RESOURCE_EXHAUSTED) << refused.error_message();
  EXPECT_EQ(service_.others(), 0);  // no handler saw it
  ASSERT_TRUE(say("halo", &reply).ok());
  EXPECT_EQ(reply.text(), "halo");
  ASSERT_TRUE(say(std::string(std::size_t{60} * 1024, 'y'), &reply).ok());  // under the limit
  EXPECT_EQ(reply.text().size(), 60u * 1024);
}

TEST_F(GrpcServerLimits, AConnectionRunsNoMoreCallsAtOnceThanItsStreams) {
  std::thread holder([&] {
    grpctest::SayReply reply;
    EXPECT_TRUE(say("hold", &reply).ok());
  });
  service_.wait_holding(1);
  // The connection's only stream is taken: a second call on it waits for one and never reaches
  // the handler before its deadline.
  ::grpc::ClientContext context;
  set_deadline(context, std::chrono::milliseconds(300));
  authorize(context, auth_.token("agent", "siti"));
  grpctest::SayRequest request;
  request.set_text("halo");
  grpctest::SayReply reply;
  EXPECT_FALSE(stub_->Say(&context, request, &reply).ok());
  EXPECT_EQ(service_.others(), 0);
  service_.release();
  holder.join();
  ASSERT_TRUE(say("halo", &reply).ok());
  EXPECT_EQ(service_.others(), 1);
}

}  // namespace
}  // namespace jaring::grpc

namespace jaring::grpc {
namespace {

// The audit trail's RPC: auditors only, and a time range the trail can compare.
TEST(AuditServiceTest, AuditorsOnlyAndTimesInUtc) {
  testing::LocalAuth auth;
  SystemClock clock;
  auth::Verifier verifier(auth.verifier_settings(), clock);
  metrics::Registry metrics("test");
  auto db = store::Database::open(":memory:", {store::outbox_migration(1), audit::Trail::migration(2),
                                               store::outbox_segments_migration(3)});
  audit::Trail trail(*db, "test", clock);
  Edge edge("jaring.audit.v1.AuditService", verifier, metrics, &trail);
  AuditService service(edge, trail);
  Server server(metrics);
  server.add_service(&service);
  server.start("127.0.0.1:0");
  auto stub = jaring::audit::v1::AuditService::NewStub(::grpc::CreateChannel(
      "127.0.0.1:" + std::to_string(server.port()), ::grpc::InsecureChannelCredentials()));
  const auto list = [&](const std::string& role, const std::string& from, int limit = 0) {
    ::grpc::ClientContext context;
    set_deadline(context, std::chrono::seconds(5));
    authorize(context, auth.token(role, "someone"));
    jaring::audit::v1::ListAuditRecordsRequest request;
    request.set_from(from);
    request.set_limit(limit);
    jaring::audit::v1::ListAuditRecordsResponse reply;
    return stub->ListAuditRecords(&context, request, &reply);
  };
  EXPECT_TRUE(list("auditor", "").ok());
  EXPECT_TRUE(list("auditor", "2026-11-30T09:00:00Z").ok());
  EXPECT_TRUE(list("auditor", "2026-11-30T09:00:00.5Z").ok());
  EXPECT_EQ(list("admin", "").error_code(), ::grpc::StatusCode::PERMISSION_DENIED);
  const auto offset = list("auditor", "2026-11-30T16:00:00+07:00");
  EXPECT_EQ(offset.error_code(), ::grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(field_violations(offset).at(0).field, "from");
  EXPECT_EQ(field_violations(list("auditor", "", 5000)).at(0).field, "limit");
}

}  // namespace
}  // namespace jaring::grpc

#include <grpcpp/generic/generic_stub.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "jaring/grpc/server.hpp"
#include "tests/echo.grpc.pb.h"

namespace jaring::grpc {
namespace {

class EchoService final : public grpctest::Echo::Service {
  ::grpc::Status Say(::grpc::ServerContext* context, const grpctest::SayRequest* request,
                     grpctest::SayReply* reply) override {
    if (request->text() == "who") {
      const auto caller = caller_of(*context);
      reply->set_text(caller.user + "/" + caller.role);
      return ::grpc::Status::OK;
    }
    if (request->text() == "many") {
      std::vector<FieldViolation> many;
      for (int i = 0; i < 500; ++i)
        many.push_back({fmt::format("items[{}].participant_id", i), std::string(120, 'x')});
      return to_status(Error::invalid(std::move(many)));
    }
    if (request->text().empty()) return to_status(Error::invalid({{"text", "is required"}}));
    if (request->text() == "missing") return to_status(Error::not_found("no such thing"));
    if (request->text() == "throw") {
      return guarded([]() -> ::grpc::Status { throw std::runtime_error("disk I/O error at /secret/path"); });
    }
    reply->set_text(request->text());
    return ::grpc::Status::OK;
  }
};

class GrpcServer : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.add_service(&service_);
    server_.start("127.0.0.1:0");
    channel_ = ::grpc::CreateChannel("127.0.0.1:" + std::to_string(server_.port()),
                                     ::grpc::InsecureChannelCredentials());
    stub_ = grpctest::Echo::NewStub(channel_);
  }

  ::grpc::Status say(const std::string& text, grpctest::SayReply* reply, const Caller& caller = {}) {
    ::grpc::ClientContext context;
    set_deadline(context, std::chrono::seconds(5));
    set_caller(context, caller);
    grpctest::SayRequest request;
    request.set_text(text);
    return stub_->Say(&context, request, reply);
  }

  metrics::Registry metrics_{"test"};
  EchoService service_;
  Server server_{metrics_};
  std::shared_ptr<::grpc::Channel> channel_;
  std::unique_ptr<grpctest::Echo::Stub> stub_;
};

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

TEST_F(GrpcServer, TheCallerTravelsAsMetadata) {
  grpctest::SayReply reply;
  ASSERT_TRUE(say("who", &reply, {"siti", "approver"}).ok());
  EXPECT_EQ(reply.text(), "siti/approver");
  ASSERT_TRUE(say("who", &reply).ok());
  EXPECT_EQ(reply.text(), "/");
}

TEST_F(GrpcServer, ServesStandardHealthChecking) {
  ::grpc::GenericStub generic(channel_);
  auto check = [&]() {
    ::grpc::ClientContext context;
    set_deadline(context, std::chrono::seconds(5));
    ::grpc::Slice empty(std::string{});
    ::grpc::ByteBuffer request(&empty, 1);  // HealthCheckRequest{service: ""} is empty on the wire
    ::grpc::ByteBuffer response;
    std::mutex mutex;
    std::condition_variable done_cv;
    bool done = false;
    ::grpc::Status status;
    generic.UnaryCall(&context, "/grpc.health.v1.Health/Check", {}, &request, &response,
                      [&](::grpc::Status s) {
                        std::lock_guard lock(mutex);
                        status = std::move(s);
                        done = true;
                        done_cv.notify_one();
                      });
    std::unique_lock lock(mutex);
    done_cv.wait(lock, [&] { return done; });
    std::vector<::grpc::Slice> slices;
    EXPECT_TRUE(status.ok()) << status.error_message();
    (void)response.Dump(&slices);
    std::string bytes;
    for (const auto& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
    return bytes;
  };
  EXPECT_EQ(check(), std::string("\x08\x01", 2));  // SERVING
  server_.set_serving(false);
  EXPECT_EQ(check(), std::string("\x08\x02", 2));  // NOT_SERVING
}

}  // namespace
}  // namespace jaring::grpc

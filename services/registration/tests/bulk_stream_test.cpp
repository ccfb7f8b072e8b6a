// RegisterBulk over a real gRPC stream, with the SQLite store: messages that arrive together may
// share a transaction, and every message still gets its own answer, in order, row by row.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "adapters/grpc_service.hpp"
#include "adapters/sqlite_store.hpp"
#include "jaring/grpc/server.hpp"
#include "jaring/metrics/metrics.hpp"
#include "jaring/sample/sample.hpp"
#include "jaring/testing/auth.hpp"
#include "jaring/testing/fixtures.hpp"

namespace jaring::registration {
namespace {

using namespace std::chrono;
constexpr const char* kRw = "31.75.06.1005.002";

class BulkStream : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(core_.create_rw("31.75.06.1005", 2, 0));
    server_.add_service(&api_);
    server_.start("127.0.0.1:0");
    stub_ = v1::RegistrationService::NewStub(::grpc::CreateChannel(
        "127.0.0.1:" + std::to_string(server_.port()), ::grpc::InsecureChannelCredentials()));
  }

  // Rows `first`..`first + count - 1` of the generator, their row numbers echoing the serial.
  v1::RegisterBulkRequest message(int first, int count) {
    v1::RegisterBulkRequest batch;
    for (int i = first; i < first + count; ++i) {
      auto* r = batch.add_requests();
      sample::fill_register_request(generator_.worker(static_cast<std::uint64_t>(i)), *r);
      r->set_rw_code(kRw);
      r->set_idempotency_key("bulk-" + std::to_string(i));
      r->set_row(i);
    }
    return batch;
  }

  testing::TempDir dir_{"jaring-registration-bulk"};
  FixedClock clock_{sys_days{year{2026} / November / 21} + hours{3}};
  crypto::Sealer sealer_{crypto::Keys::generate()};
  std::unique_ptr<store::Database> db_ =
      store::Database::open((dir_.path() / "registration.db").string(), SqliteStore::migrations(sealer_));
  SqliteStore store_{*db_, sealer_, clock_, [] {}};
  Registration core_{store_, areas::Registry::jakarta(), areas::BranchMap::jakarta(), clock_};
  // A stream as `token`'s caller (a branch officer by default).
  std::unique_ptr<::grpc::ClientReaderWriter<v1::RegisterBulkRequest, v1::RegisterBulkResponse>> open(
      ::grpc::ClientContext& context, const std::string& token = "") {
    jaring::grpc::set_deadline(context, seconds(30));
    jaring::grpc::authorize(context, token.empty() ? auth_.token("branch-officer", "officer") : token);
    return stub_->RegisterBulk(&context);
  }

  testing::LocalAuth auth_;
  SystemClock token_clock_;  // tokens are signed now; the core's clock is fixed in the past
  auth::Verifier verifier_{auth_.verifier_settings(), token_clock_};
  metrics::Registry metrics_{"registration"};
  jaring::grpc::Edge edge_{GrpcService::kName, verifier_, metrics_, nullptr};
  GrpcService api_{core_, edge_};
  jaring::grpc::Server server_{metrics_};
  std::unique_ptr<v1::RegistrationService::Stub> stub_;
  sample::Generator generator_{3};
};

TEST_F(BulkStream, EveryMessageIsAnsweredInOrderAndARowRepeatedInALaterMessageIsAlreadyPresent) {
  ::grpc::ClientContext context;
  auto stream = open(context);
  // Eight messages written at once, so that several wait while one is stored; the last one
  // repeats rows of the first (the same keys) and holds a bad row.
  std::vector<v1::RegisterBulkRequest> sent;
  for (int m = 0; m < 7; ++m) sent.push_back(message(m * 300, 300));
  sent.push_back(message(0, 10));
  sent.back().mutable_requests(3)->set_rw_code("31.75.06.1005.099");
  sent.back().mutable_requests(3)->set_idempotency_key("bulk-bad");
  sent.back().mutable_requests(3)->set_row(9999);
  for (const auto& m : sent) ASSERT_TRUE(stream->Write(m));
  ASSERT_TRUE(stream->WritesDone());

  v1::RegisterBulkResponse response;
  std::size_t answered = 0;
  int created = 0, present = 0, refused = 0;
  while (stream->Read(&response)) {
    ASSERT_LT(answered, sent.size());
    const auto& request = sent[answered++];
    ASSERT_EQ(response.results_size(), request.requests_size());
    for (int i = 0; i < response.results_size(); ++i) {
      const auto& result = response.results(i);
      EXPECT_EQ(result.row(), request.requests(i).row());
      if (result.row() == 9999) {
        ++refused;
        EXPECT_EQ(result.code(), static_cast<int>(::grpc::StatusCode::INVALID_ARGUMENT));
        ASSERT_GE(result.errors_size(), 1);
        EXPECT_EQ(result.errors(0).field(), "rw_code");
      } else if (result.already_present()) {
        ++present;
      } else {
        ++created;
        EXPECT_FALSE(result.participant_id().empty());
      }
    }
  }
  EXPECT_TRUE(stream->Finish().ok());
  EXPECT_EQ(answered, sent.size());
  EXPECT_EQ(created, 2100);
  EXPECT_EQ(present, 9);
  EXPECT_EQ(refused, 1);
  EXPECT_EQ(store_.list_all("", 5000).size(), 2100u);
}

TEST_F(BulkStream, AMessageOverTheRowLimitIsRefusedAfterTheOnesBeforeItAreAnswered) {
  ::grpc::ClientContext context;
  auto stream = open(context);
  ASSERT_TRUE(stream->Write(message(0, 100)));
  auto big = message(100, 1);
  const auto row = big.requests(0);
  for (int i = 0; i < 5000; ++i) *big.add_requests() = row;
  stream->Write(big);  // the server may close the stream before or after it reads it
  stream->WritesDone();
  v1::RegisterBulkResponse response;
  ASSERT_TRUE(stream->Read(&response));
  EXPECT_EQ(response.results_size(), 100);
  EXPECT_FALSE(stream->Read(&response));
  const auto status = stream->Finish();
  EXPECT_EQ(status.error_code(), ::grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("at most 5000 rows per message"), std::string::npos)
      << status.error_message();
  EXPECT_EQ(store_.list_all("", 5000).size(), 100u);
}

TEST_F(BulkStream, AnAreaOfficialsRowsOutsideTheirAreasFailAloneAndTheOthersAreRegistered) {
  ASSERT_TRUE(core_.create_rw("31.75.08.1001", 1, 0));  // Makasar: outside the official's area
  ::grpc::ClientContext context;
  const auto official =
      auth_.authority().token_for("area-official", "lurah pulo gebang", {}, {"31.75.06.1005"});
  auto stream = open(context, official);
  auto batch = message(0, 4);
  batch.mutable_requests(2)->set_rw_code("31.75.08.1001.001");
  ASSERT_TRUE(stream->Write(batch));
  ASSERT_TRUE(stream->WritesDone());
  v1::RegisterBulkResponse response;
  ASSERT_TRUE(stream->Read(&response));
  ASSERT_EQ(response.results_size(), 4);
  for (int i = 0; i < 4; ++i) {
    if (i == 2) {
      EXPECT_EQ(response.results(i).code(), static_cast<int>(::grpc::StatusCode::PERMISSION_DENIED));
      ASSERT_GE(response.results(i).errors_size(), 1);
      EXPECT_EQ(response.results(i).errors(0).field(), "rw_code");
    } else {
      EXPECT_FALSE(response.results(i).participant_id().empty()) << response.results(i).message();
    }
  }
  EXPECT_TRUE(stream->Finish().ok());
  EXPECT_EQ(store_.list_all("", 5000).size(), 3u);
}

TEST_F(BulkStream, WithoutATokenTheStreamIsRefusedAndNothingIsWritten) {
  ::grpc::ClientContext context;
  jaring::grpc::set_deadline(context, seconds(30));
  auto stream = stub_->RegisterBulk(&context);
  stream->Write(message(0, 10));
  stream->WritesDone();
  v1::RegisterBulkResponse response;
  EXPECT_FALSE(stream->Read(&response));
  EXPECT_EQ(stream->Finish().error_code(), ::grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(store_.list_all("", 5000).empty());
}

}  // namespace
}  // namespace jaring::registration

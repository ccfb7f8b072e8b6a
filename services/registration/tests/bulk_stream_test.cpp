// RegisterBulk over a real gRPC stream, with the SQLite store: messages that arrive together may
// share a transaction, and every message still gets its own answer, in order, row by row.
#include "api_fixture.hpp"

namespace jaring::registration {
namespace {

using namespace std::chrono;
using BulkStream = testing::RegistrationApi;

TEST_F(BulkStream, EveryMessageIsAnsweredInOrderAndARowRepeatedInALaterMessageIsAlreadyPresent) {
  ::grpc::ClientContext context;
  auto stream = open(context);
  // Eight messages written at once, so that several wait while one is stored; the last one
  // repeats rows of the first (the same keys) and holds a bad row.
  std::vector<v1::RegisterBulkRequest> sent;
  sent.reserve(8);
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

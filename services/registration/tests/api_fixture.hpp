#pragma once
// Registration's gRPC API on a loopback port, over the real SQLite store (sealed with a fresh
// key), a core whose clock is fixed, and tokens of a local issuer: what the adapter tests call.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "adapters/grpc_service.hpp"
#include "adapters/sqlite_store.hpp"
#include "jaring/grpc/server.hpp"
#include "jaring/metrics/metrics.hpp"
#include "jaring/sample/sample.hpp"
#include "jaring/testing/auth.hpp"
#include "jaring/testing/fixtures.hpp"

namespace jaring::registration::testing {

inline constexpr const char* kRw = "31.75.06.1005.002";

class RegistrationApi : public ::testing::Test {
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

  jaring::testing::TempDir dir_{"jaring-registration-api"};
  FixedClock clock_{std::chrono::sys_days{std::chrono::year{2026} / std::chrono::November / 21} +
                    std::chrono::hours{3}};
  crypto::Sealer sealer_{crypto::Keys::generate()};
  std::unique_ptr<store::Database> db_ =
      store::Database::open((dir_.path() / "registration.db").string(), SqliteStore::migrations(sealer_));
  SqliteStore store_{*db_, sealer_, clock_};
  Registration core_{store_, areas::Registry::jakarta(), areas::BranchMap::jakarta(), clock_};
  // A stream as `token`'s caller (a branch officer by default).
  std::unique_ptr<::grpc::ClientReaderWriter<v1::RegisterBulkRequest, v1::RegisterBulkResponse>> open(
      ::grpc::ClientContext& context, const std::string& token = "") {
    jaring::grpc::set_deadline(context, std::chrono::seconds(30));
    jaring::grpc::authorize(context, token.empty() ? auth_.token("branch-officer", "officer") : token);
    return stub_->RegisterBulk(&context);
  }

  jaring::testing::LocalAuth auth_;
  SystemClock token_clock_;  // tokens are signed now; the core's clock is fixed in the past
  auth::Verifier verifier_{auth_.verifier_settings(), token_clock_};
  metrics::Registry metrics_{"registration"};
  jaring::grpc::Edge edge_{GrpcService::kName, verifier_, metrics_, nullptr};
  GrpcService api_{core_, edge_};
  jaring::grpc::Server server_{metrics_};
  std::unique_ptr<v1::RegistrationService::Stub> stub_;
  sample::Generator generator_{3};
};

}  // namespace jaring::registration::testing

// End to end: the stack as `make up` starts it serves gRPC only over TLS, and every service
// requires a client certificate from the local CA (mTLS). A plaintext client, a client trusting
// another CA, and a client (or a service) with no certificate are all refused before any RPC
// runs. Stores, their WAL files, logs and keys are for their owner only.
#include <sys/stat.h>

#include <gtest/gtest.h>

#include "jaring/audit/v1/audit.grpc.pb.h"
#include "jaring/stack/local_tls.hpp"
#include "stack_test.hpp"

namespace jaring {
namespace {

namespace fs = std::filesystem;

class Tls : public e2e::StackTest {
 protected:
  Tls() : StackTest("jaring-tls") {}

  // An auditor's ListAuditRecords on `service` through `channel`: every service answers it.
  ::grpc::Status ask(const std::shared_ptr<::grpc::Channel>& channel) const {
    auto audit = jaring::audit::v1::AuditService::NewStub(channel);
    jaring::audit::v1::ListAuditRecordsRequest request;
    request.set_limit(1);
    ::grpc::Status status;
    try_call_as<jaring::audit::v1::ListAuditRecordsResponse>(
        [&](auto* context, auto* out) { return audit->ListAuditRecords(context, request, out); },
        e2e::As{"e2e-auditor", {"auditor"}}, &status);
    return status;
  }
};

TEST_F(Tls, OnlyClientsWithACertificateFromTheLocalCaAreServed) {
  const auto& ep = stack_->endpoints();
  ASSERT_FALSE(ep.tls.ca_file.empty());
  // Another CA, as an attacker's or a misconfigured client's.
  const auto other = stack::LocalTls::open_or_create(dir_.path() / "other-ca");
  auto no_certificate = ep.tls;
  no_certificate.cert_file.clear();
  no_certificate.key_file.clear();
  auto other_client = other.client("intruder");
  auto wrong_trust = ep.tls;
  wrong_trust.ca_file = other.ca_file();

  ASSERT_EQ(ep.services.size(), 5U);
  for (const auto& [service, endpoint] : ep.services) {
    SCOPED_TRACE(service);
    EXPECT_TRUE(ask(stack_->channel(service)).ok());
    // Plaintext: the TLS port does not speak it.
    EXPECT_EQ(ask(::grpc::CreateChannel(endpoint.grpc, ::grpc::InsecureChannelCredentials())).error_code(),
              ::grpc::StatusCode::UNAVAILABLE);
    // No client certificate: what a service without its certificate would present.
    EXPECT_EQ(ask(grpc::make_channel(endpoint.grpc, no_certificate)).error_code(),
              ::grpc::StatusCode::UNAVAILABLE);
    // A certificate of another CA.
    EXPECT_EQ(ask(grpc::make_channel(endpoint.grpc, other_client)).error_code(),
              ::grpc::StatusCode::UNAVAILABLE);
    // A client that trusts another CA does not trust the service.
    EXPECT_EQ(ask(grpc::make_channel(endpoint.grpc, wrong_trust)).error_code(),
              ::grpc::StatusCode::UNAVAILABLE);
  }
}

TEST_F(Tls, StoresLogsAndKeysAreForTheirOwnerOnly) {
  const auto run = dir_.path() / "run";
  int files = 0;
  for (const auto& folder : {run / "data", run / "logs", run / "tls", run / "auth"}) {
    ASSERT_TRUE(fs::exists(folder)) << folder;
    EXPECT_EQ(fs::status(folder).permissions() & fs::perms::all, fs::perms::owner_all) << folder;
    for (const auto& entry : fs::directory_iterator(folder)) {
      if (!entry.is_regular_file()) continue;
      const auto name = entry.path().filename().string();
      const bool secret = name.ends_with(".db") || name.ends_with("-wal") || name.ends_with("-shm") ||
                          name.ends_with(".log") || name.ends_with(".key") || name.ends_with(".token") ||
                          name == "data-keys.yaml" || name == "redis.password";
      if (!secret) continue;
      ++files;
      EXPECT_EQ(entry.status().permissions() & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write)
          << entry.path();
    }
  }
  // Four stores and the snapshots (with WAL files), seven logs, the keys: all seen.
  EXPECT_GE(files, 20);
}

}  // namespace
}  // namespace jaring

// End to end: personal data at rest (issue 13). After a worker is registered by an agent and a
// death claim is filed for them, neither the worker's nor the claimant's NIK, name or phone is in
// any file under the run folder (stores, WAL files, logs), running or stopped. Keys rotate:
// `jaringctl keys rotate` adds a key, the services restarted with it still read what the old key
// sealed and keep a NIK unique across both index keys; `rekey` re-seals everything; once
// `jaringctl keys retire` has dropped the old key, everything still reads.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include "jaring/claims/v1/claims.grpc.pb.h"
#include "jaring/crypto/keys.hpp"
#include "jaring/registration/v1/registration.grpc.pb.h"
#include "jaring/sample/sample.hpp"
#include "stack_test.hpp"

namespace jaring {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;
namespace reg = registration::v1;
namespace cl = claims::v1;

constexpr const char* kKelurahan = "31.75.06.1005";
const std::string kRw = "31.75.06.1005.004";

// What a test wrote that must never be found in clear in a file.
struct Person {
  std::string nik;
  std::string name;
  std::string phone;
};

class AtRest : public e2e::StackTest {
 protected:
  AtRest() : StackTest("jaring-at-rest") {}

  void SetUp() override {
    StackTest::SetUp();
    registration_ = reg::RegistrationService::NewStub(channel("registration"));
    claims_ = cl::ClaimsService::NewStub(channel("claims"));
    reg::CreateRwRequest rw;
    rw.set_kelurahan_code(kKelurahan);
    rw.set_number(4);
    call<reg::Rw>("create RW",
                  [&](auto* context, auto* out) { return registration_->CreateRw(context, rw, out); });
  }

  // Registers generated worker `n` under a distinctive name and phone (`as`); returns its id.
  std::string register_worker(int n, const Person& as) {
    reg::RegisterRequest request;
    sample::fill_register_request(worker(n), request);
    request.set_idempotency_key(fmt::format("at-rest-{}", n));
    request.set_rw_code(kRw);
    request.set_name(as.name);
    request.set_phone(as.phone);
    return call<reg::Participant>(
               "register",
               [&](auto* context, auto* out) { return registration_->Register(context, request, out); })
        .participant_id();
  }
  // Generated worker `n`, the same each time it is asked for.
  const sample::Worker& worker(int n) {
    auto [at, added] = workers_.try_emplace(n);
    if (added) at->second = generator_.worker(static_cast<std::uint64_t>(n));
    return at->second;
  }
  std::string nik_of(int n) { return worker(n).nik; }

  // Files a death claim for `participant` by `claimant` (retried until claims has learnt the
  // participant from Kafka); returns the claim id.
  std::string file_claim(const std::string& participant, const Person& claimant) {
    cl::FileClaimRequest file;
    file.set_idempotency_key("at-rest-claim-" + participant);
    file.set_participant_id(participant);
    file.set_claim_type("jkm_death");
    file.set_event_date(fmt::format("{:%F}", std::chrono::floor<std::chrono::days>(
                                                 std::chrono::system_clock::now() + std::chrono::hours(7))));
    file.mutable_claimant()->set_name(claimant.name);
    file.mutable_claimant()->set_nik(claimant.nik);
    file.mutable_claimant()->set_relation("spouse");
    file.mutable_claimant()->set_phone(claimant.phone);
    auto* spouse = file.add_family();
    spouse->set_relation("spouse");
    spouse->set_alive(true);
    spouse->set_name(claimant.name);
    file.set_requested_amount(42'000'000);
    std::string id;
    ::grpc::Status status;
    process::wait_for(
        [&] {
          const auto claim = try_call_as<cl::Claim>(
              [&](auto* context, auto* out) { return claims_->FileClaim(context, file, out); }, caller_,
              &status);
          if (claim) id = claim->claim_id();
          return claim.has_value();
        },
        20s, 100ms);
    EXPECT_FALSE(id.empty()) << "file a claim: " << status.error_message();
    return id;
  }

  reg::Participant get_participant(const std::string& id) {
    reg::GetParticipantRequest request;
    request.set_participant_id(id);
    return call<reg::Participant>("get participant", [&](auto* context, auto* out) {
      return registration_->GetParticipant(context, request, out);
    });
  }
  std::optional<reg::Participant> find_by_nik(const std::string& nik) {
    reg::FindByNikRequest request;
    request.set_nik(nik);
    return try_call<reg::Participant>(
        [&](auto* context, auto* out) { return registration_->FindByNik(context, request, out); });
  }
  cl::Claim get_claim(const std::string& id) {
    cl::GetClaimRequest request;
    request.set_claim_id(id);
    return call<cl::Claim>(
        "get claim", [&](auto* context, auto* out) { return claims_->GetClaim(context, request, out); });
  }

  // Every file under the run folder holding one of `secrets` in clear, as "file: secret".
  std::vector<std::string> files_holding(const std::vector<Person>& people) const {
    std::vector<std::string> found;
    int files = 0;
    for (const auto& entry : fs::recursive_directory_iterator(dir_.path() / "run")) {
      if (!entry.is_regular_file()) continue;
      ++files;
      std::ifstream in(entry.path(), std::ios::binary);
      std::ostringstream bytes;
      bytes << in.rdbuf();
      const auto text = bytes.str();
      for (const auto& p : people) {
        for (const auto& secret : {p.nik, p.name, p.phone}) {
          if (text.find(secret) != std::string::npos) found.push_back(entry.path().string() + ": " + secret);
        }
      }
    }
    EXPECT_GE(files, 15) << "the stores, their WAL files and the logs were all read";
    return found;
  }

  // `jaring-<service> rekey` with the settings the running service has; exit code and output.
  std::pair<int, std::string> rekey(const std::string& service) const {
    std::string command = "env";
    for (const auto& [key, value] : stack_->environment(service))
      command += fmt::format(" {}='{}'", key, value);
    command += fmt::format(" '{}' rekey", (testing::bin_dir() / ("jaring-" + service)).string());
    return e2e::run(command, true);
  }
  std::pair<int, std::string> keys(const std::string& verb) const {
    return e2e::run(fmt::format("'{}' keys {} --file '{}'", (testing::bin_dir() / "jaringctl").string(), verb,
                                stack_->endpoints().data_keys_file),
                    true);
  }

  sample::Generator generator_{131};
  std::map<int, sample::Worker> workers_;
  std::unique_ptr<reg::RegistrationService::Stub> registration_;
  std::unique_ptr<cl::ClaimsService::Stub> claims_;
};

TEST_F(AtRest, NoNikNameOrPhoneOfAWorkerOrAClaimantIsInAnyFileOfTheRunFolder) {
  const Person worker{nik_of(1), "Wulandari Kusumaningtyas", "081355501234"};
  const Person claimant{"3172014505800002", "Sulastri Handayaningrum", "081366602345"};
  const auto id = register_worker(1, worker);
  ASSERT_FALSE(id.empty());
  const auto claim = file_claim(id, claimant);
  ASSERT_FALSE(claim.empty());
  // Read back through the services, which open what they sealed.
  EXPECT_EQ(get_participant(id).name(), worker.name);
  EXPECT_EQ(find_by_nik(worker.nik).value_or(reg::Participant{}).participant_id(), id);
  EXPECT_EQ(get_claim(claim).claimant_name(), claimant.name);

  EXPECT_EQ(files_holding({worker, claimant}), std::vector<std::string>{}) << "while running";
  stack_->stop();  // WAL checkpoints, logs flushed
  EXPECT_EQ(files_holding({worker, claimant}), std::vector<std::string>{}) << "after a clean stop";
}

TEST_F(AtRest, ARotatedKeyReadsTheOldValuesRekeyMovesThemAndTheOldKeyCanThenGo) {
  const Person first{nik_of(1), "Ratna Sekarwangi", "081311122233"};
  const Person heir{"3172014505800002", "Ningsih Pramudita", "081344455566"};
  const auto before = register_worker(1, first);
  const auto claim = file_claim(before, heir);
  ASSERT_FALSE(claim.empty());

  const auto [rotated, rotate_out] = keys("rotate --index");
  ASSERT_EQ(rotated, 0) << rotate_out;
  EXPECT_NE(rotate_out.find("data key 2 is current"), std::string::npos) << rotate_out;
  stack_->restart("registration");
  stack_->restart("claims");
  EXPECT_EQ(get_participant(before).name(), first.name) << "sealed under key 1, read with key 2 current";
  EXPECT_EQ(find_by_nik(first.nik).value_or(reg::Participant{}).participant_id(), before)
      << "found through its index under index key 1";
  EXPECT_EQ(get_claim(claim).claimant_name(), heir.name);
  const auto after = register_worker(2, {nik_of(2), "Dewi Lestarining", "081377788899"});
  EXPECT_EQ(get_participant(after).phone(), "081377788899");
  // The NIK sealed under the old index key is still unique.
  reg::RegisterRequest twice;
  sample::fill_register_request(worker(1), twice);
  twice.set_idempotency_key("at-rest-twice");
  twice.set_rw_code(kRw);
  ::grpc::Status status;
  EXPECT_FALSE(try_call<reg::Participant>(
      [&](auto* context, auto* out) { return registration_->Register(context, twice, out); }, &status));
  EXPECT_EQ(status.error_code(), ::grpc::StatusCode::ALREADY_EXISTS) << status.error_message();

  // Re-sealed while the services run.
  for (const std::string service : {"registration", "claims"}) {
    const auto [code, out] = rekey(service);
    ASSERT_EQ(code, 0) << service << ": " << out;
    // One line per table: "...; before: ...; now: N under key 2".
    int tables = 0;
    std::istringstream lines(out);
    for (std::string line; std::getline(lines, line);) {
      const auto now = line.find("; now: ");
      if (now == std::string::npos) continue;
      ++tables;
      const auto state = line.substr(now + 7);
      EXPECT_TRUE(state == "no values" ||
                  (state.ends_with(" under key 2") && state.find(',') == std::string::npos))
          << line;
    }
    EXPECT_GE(tables, 2) << out;
  }
  // Key 1 dropped from the file: nothing needs it any more.
  const auto [retired, retire_out] = keys("retire");
  ASSERT_EQ(retired, 0) << retire_out;
  const auto remaining = crypto::Keys::load(stack_->endpoints().data_keys_file);
  ASSERT_TRUE(remaining);
  EXPECT_EQ(remaining->data().keys.size(), 1U);
  EXPECT_EQ(remaining->data().current, 2U);
  stack_->restart("registration");
  stack_->restart("claims");
  EXPECT_EQ(get_participant(before).birth_date(), worker(1).birth_date);
  EXPECT_EQ(find_by_nik(first.nik).value_or(reg::Participant{}).participant_id(), before);
  EXPECT_EQ(get_claim(claim).claimant_name(), heir.name);
  EXPECT_EQ(get_participant(after).name(), "Dewi Lestarining");
}

}  // namespace
}  // namespace jaring

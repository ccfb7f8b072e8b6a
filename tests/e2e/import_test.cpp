// End to end: a kelurahan list imported with jaringctl through the bulk stream, on the real
// stack, by kelurahan staff (jaringctl signs their token with the stack's local key). Good rows
// are registered and counted, bad ones land in the error file with their line and reason, and
// importing the file again adds nothing. An auditor then finds the import and a participant's
// changes in the audit trail with `jaringctl audit`.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "jaring/coverage/v1/coverage.grpc.pb.h"
#include "jaring/registration/v1/registration.grpc.pb.h"
#include "jaring/sample/sample.hpp"
#include "stack_test.hpp"

namespace jaring {
namespace {

using namespace std::chrono_literals;
namespace reg = registration::v1;
namespace cov = coverage::v1;

using e2e::run;

std::vector<std::string> lines_of(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

class Import : public e2e::StackTest {
 protected:
  Import() : StackTest("jaring-import") {}

  void SetUp() override {
    StackTest::SetUp();
    stack_->write_state();  // endpoints.json, with the local key jaringctl signs with
  }

  // jaringctl against this stack, as the identity `who` names (global flags).
  std::string ctl(const std::string& who, const std::string& command) const {
    return fmt::format("'{}' --json --endpoints '{}' {} {}", (testing::bin_dir() / "jaringctl").string(),
                       (dir_.path() / "run" / "endpoints.json").string(), who, command);
  }
};

// The records `jaringctl audit` prints as JSON, or none when it failed.
std::vector<nlohmann::json> audit_records(const std::pair<int, std::string>& run) {
  const auto reply = nlohmann::json::parse(run.second, nullptr, false);
  if (run.first != 0 || reply.is_discarded() || !reply.contains("records")) return {};
  return reply["records"].get<std::vector<nlohmann::json>>();
}

TEST_F(Import, RegistersGoodRowsReportsBadOnesAndAddsNothingTheSecondTime) {
  auto registration = reg::RegistrationService::NewStub(channel("registration"));
  for (int number : {1, 2}) {
    reg::CreateRwRequest request;
    request.set_kelurahan_code("31.75.06.1005");
    request.set_number(number);
    reg::Rw rw;
    ::grpc::ClientContext context;
    prepare(context);
    ASSERT_TRUE(registration->CreateRw(&context, request, &rw).ok());
  }

  // 300 good rows over two RWs, then the bad and the repeated ones.
  const auto file = dir_.path() / "pulo-gebang.csv";
  std::ofstream csv(file);
  csv << "nik,name,birth_date,sex,phone,rw_code,rt,category,income_band,programs,payer,agent_id\n";
  sample::Generator generator(3);
  std::map<std::string, int> per_rw;
  std::string first_good;
  for (int i = 0; i < 300; ++i) {
    const auto w = generator.worker(static_cast<std::uint64_t>(i));
    const auto rw = fmt::format("31.75.06.1005.{:03d}", 1 + i % 2);
    ++per_rw[rw];
    const auto row = fmt::format("{},\"{}\",{},{},{},{},{},{},{},{},{},", w.nik, w.name, w.birth_date, w.sex,
                                 w.phone, rw, w.rt, w.category, w.income_band, w.programs, w.payer);
    if (first_good.empty()) first_good = row;
    csv << row << "\n";
  }
  csv << "3172011505900000,Serial Nol,1990-05-15,M,,31.75.06.1005.001,1,pkk,1000000,jkk+jkm,self,\n";  // line
                                                                                                       // 302
  csv << "3172011505900011,Tanpa RW,1990-05-15,M,,31.75.06.1005.077,1,pkk,1000000,jkk+jkm,self,\n";    // line
                                                                                                       // 303
  csv << "3172011505900012,RT Huruf,1990-05-15,M,,31.75.06.1005.001,x,pkk,1000000,jkk+jkm,self,\n";    // line
                                                                                                       // 304
  csv << "3172011505900013,Kurang Kolom,1990-05-15\n";  // line 305
  csv << "3172011505900014,Ku\"tip,1990-05-15,M,,31.75.06.1005.001,1,pkk,1000000,jkk+jkm,self,\n";  // line
                                                                                                    // 306
  csv << first_good << "\n";  // line 307
  // A name a spreadsheet would run as a formula, in a row refused for its RW: line 308.
  csv << "3172011505900015,\"=HYPERLINK(\"\"http://x.example/\"\",\"\"klik\"\")\",1990-05-15,M,,"
         "31.75.06.1005.077,1,pkk,1000000,jkk+jkm,self,\n";
  csv.close();

  // Pulo Gebang's staff import their list: an area official of their kelurahan only.
  const auto staff = "--user 'Staf Pulo Gebang' --role area-official --area 31.75.06.1005";
  const auto import_list = ctl(staff, fmt::format("import participants '{}' --no-progress", file.string()));
  const auto [code, out] = run(import_list);
  EXPECT_EQ(code, 3) << out;  // some rows were rejected
  const auto summary = nlohmann::json::parse(out);
  EXPECT_EQ(summary["imported"], 300);
  EXPECT_EQ(summary["already_present"], 1);  // line 307 repeats line 2
  EXPECT_EQ(summary["rejected"], 6);

  const auto errors = lines_of(file.string() + ".errors.csv");
  ASSERT_EQ(errors.size(), 7u);
  EXPECT_EQ(errors[0].rfind("line,reason,nik,name", 0), 0u);
  std::map<std::string, std::string> by_line;
  for (std::size_t i = 1; i < errors.size(); ++i) by_line[errors[i].substr(0, 3)] = errors[i];
  EXPECT_NE(by_line["302"].find("nik: serial"), std::string::npos);
  EXPECT_NE(by_line["303"].find("rw_code"), std::string::npos);
  EXPECT_NE(by_line["304"].find("rt: must be a whole number"), std::string::npos);
  EXPECT_NE(by_line["305"].find("expected 12 fields, found 3"), std::string::npos);
  EXPECT_NE(by_line["306"].find("quote"), std::string::npos);
  // The formula reaches the error file as text: a leading quote, so a spreadsheet does not run it.
  EXPECT_NE(by_line["308"].find(",\"'=HYPERLINK(\"\"http://x.example/\"\",\"\"klik\"\")\","),
            std::string::npos)
      << by_line["308"];

  // The same file again: nothing new.
  const auto [code2, out2] = run(import_list);
  const auto again = nlohmann::json::parse(out2);
  EXPECT_EQ(again["imported"], 0) << out2;
  EXPECT_EQ(again["already_present"], 301);
  EXPECT_EQ(again["rejected"], 6);

  // The counters show exactly the good rows.
  auto coverage = cov::CoverageService::NewStub(channel("coverage"));
  std::map<std::string, int> seen;
  const auto counters_become = [&](const std::map<std::string, int>& want) {
    return process::wait_for(
        [&] {
          cov::ListRwCoverageRequest request;
          request.set_kelurahan_code("31.75.06.1005");
          cov::ListRwCoverageResponse reply;
          ::grpc::ClientContext context;
          prepare(context);
          if (!coverage->ListRwCoverage(&context, request, &reply).ok()) return false;
          seen.clear();
          for (const auto& rw : reply.rws())
            seen[rw.rw_code()] = static_cast<int>(rw.counters().registered());
          return seen == want;
        },
        60s, 100ms);
  };
  EXPECT_TRUE(counters_become(per_rw)) << ::testing::PrintToString(seen);

  // The counters follow a move and an exit.
  const auto find = [&](const std::string& row) {
    reg::FindByNikRequest request;
    request.set_nik(row.substr(0, 16));
    reg::Participant p;
    ::grpc::ClientContext context;
    prepare(context);
    EXPECT_TRUE(registration->FindByNik(&context, request, &p).ok());
    return p;
  };
  const auto mover = find(first_good);  // in RW 001
  reg::MoveParticipantRequest move;
  move.set_idempotency_key("move-1");
  move.set_participant_id(mover.participant_id());
  move.set_to_rw_code("31.75.06.1005.002");
  move.set_rt(7);
  move.set_moved_on(mover.registered_at().substr(0, 10));
  reg::Participant moved;
  ::grpc::ClientContext move_context;
  prepare(move_context);
  const auto move_status = registration->MoveParticipant(&move_context, move, &moved);
  ASSERT_TRUE(move_status.ok()) << move_status.error_message();
  reg::ExitParticipantRequest exit;
  exit.set_idempotency_key("exit-1");
  exit.set_participant_id(mover.participant_id());
  exit.set_reason("death");
  exit.set_exit_date(mover.registered_at().substr(0, 10));
  reg::Participant exited;
  ::grpc::ClientContext exit_context;
  prepare(exit_context);
  const auto exit_status = registration->ExitParticipant(&exit_context, exit, &exited);
  ASSERT_TRUE(exit_status.ok()) << exit_status.error_message();
  auto after = per_rw;
  after["31.75.06.1005.001"] -= 1;  // moved out of 001 into 002, then left 002 by death
  EXPECT_TRUE(counters_become(after)) << ::testing::PrintToString(seen);

  // The audit trail: for auditors only, by subject (as normalised) and by participant.
  const auto auditor = "--user 'Audit Satu' --role auditor";
  const auto by_staff = audit_records(run(ctl(auditor, "audit --subject 'staf pulo gebang'")));
  ASSERT_FALSE(by_staff.empty());
  for (const auto& r : by_staff) {
    EXPECT_EQ(r["subject"], "staf pulo gebang");
    EXPECT_EQ(r["service"], "registration");
    EXPECT_TRUE(r["method"].get<std::string>().ends_with("/RegisterBulk")) << r.dump();
  }
  EXPECT_GE(by_staff.size(), 2u);  // the import and its repetition
  std::vector<std::string> methods;
  for (const auto& r : audit_records(run(ctl(auditor, "audit --participant " + mover.participant_id()))))
    methods.push_back(r["method"].get<std::string>().substr(r["method"].get<std::string>().rfind('/') + 1));
  EXPECT_NE(std::find(methods.begin(), methods.end(), "MoveParticipant"), methods.end())
      << ::testing::PrintToString(methods);
  EXPECT_NE(std::find(methods.begin(), methods.end(), "ExitParticipant"), methods.end())
      << ::testing::PrintToString(methods);
  const auto [denied_code, denied_out] = run(ctl(staff, "audit 2>&1"));
  EXPECT_EQ(denied_code, 1);
  EXPECT_NE(denied_out.find("PERMISSION_DENIED"), std::string::npos) << denied_out;

  // dev-token signs with the same key, for another tool or another jaringctl.
  const auto [token_code, token] = run(ctl("", "dev-token --role auditor --sub 'Audit Dua' --ttl 5m"));
  ASSERT_EQ(token_code, 0);
  const auto with_token = fmt::format("JARING_TOKEN='{}' {}", token.substr(0, token.find('\n')),
                                      ctl("", "audit --subject 'staf pulo gebang' --limit 1"));
  EXPECT_EQ(audit_records(run(with_token)).size(), 1u);

  // No local key and no token: jaringctl says how to give one, before calling anything.
  const auto elsewhere = dir_.path() / "elsewhere.json";
  std::ofstream(elsewhere) << nlohmann::json{
      {"services", {{"registration", {{"grpc", stack_->endpoints().services.at("registration").grpc}}}}}};
  const auto bare =
      fmt::format("'{}' --endpoints '{}' ", (testing::bin_dir() / "jaringctl").string(), elsewhere.string());
  const auto [no_key_code, no_key_out] = run(bare + "rw list --kelurahan 31.75.06.1005 2>&1");
  EXPECT_EQ(no_key_code, 2);
  EXPECT_NE(no_key_out.find("JARING_TOKEN"), std::string::npos) << no_key_out;
  const auto [dev_code, dev_out] = run(bare + "dev-token --role admin --sub x 2>&1");
  EXPECT_EQ(dev_code, 2);
  EXPECT_NE(dev_out.find("no local signing key"), std::string::npos) << dev_out;
}

}  // namespace
}  // namespace jaring

// End to end: a kelurahan list imported with jaringctl through the bulk stream, on the real
// stack. Good rows are registered and counted, bad ones land in the error file with their line
// and reason, and importing the file again adds nothing.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "jaring/coverage/v1/coverage.grpc.pb.h"
#include "jaring/grpc/server.hpp"
#include "jaring/registration/v1/registration.grpc.pb.h"
#include "jaring/sample/sample.hpp"
#include "jaring/stack/stack.hpp"
#include "jaring/testing/fixtures.hpp"

namespace jaring {
namespace {

using namespace std::chrono_literals;
namespace reg = registration::v1;
namespace cov = coverage::v1;

// Runs a command and returns its exit code and standard output.
std::pair<int, std::string> run(const std::string& command) {
  std::string out;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return {-1, out};
  char buffer[4096];
  while (const auto n = std::fread(buffer, 1, sizeof buffer, pipe)) out.append(buffer, n);
  const int status = ::pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

std::vector<std::string> lines_of(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

TEST(Import, RegistersGoodRowsReportsBadOnesAndAddsNothingTheSecondTime) {
  testing::TempDir dir("jaring-import");
  stack::Options options;
  options.run_dir = dir.path() / "run";
  options.bin_dir = testing::bin_dir();
  options.config_dir = testing::source_dir() / "deploy" / "local";
  stack::Stack stack(options);
  stack.start();
  stack.write_state();

  auto registration = reg::RegistrationService::NewStub(::grpc::CreateChannel(
      stack.endpoints().services.at("registration").grpc, ::grpc::InsecureChannelCredentials()));
  for (int number : {1, 2}) {
    reg::CreateRwRequest request;
    request.set_kelurahan_code("31.75.06.1005");
    request.set_number(number);
    reg::Rw rw;
    ::grpc::ClientContext context;
    grpc::set_deadline(context, 10s);
    ASSERT_TRUE(registration->CreateRw(&context, request, &rw).ok());
  }

  // 300 good rows over two RWs, then the bad and the repeated ones.
  const auto file = dir.path() / "pulo-gebang.csv";
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
  csv.close();

  const auto ctl = fmt::format("'{}' --json --endpoints '{}' import participants '{}' --no-progress",
                               (testing::bin_dir() / "jaringctl").string(),
                               (options.run_dir / "endpoints.json").string(), file.string());
  const auto [code, out] = run(ctl);
  EXPECT_EQ(code, 3) << out;  // some rows were rejected
  const auto summary = nlohmann::json::parse(out);
  EXPECT_EQ(summary["imported"], 300);
  EXPECT_EQ(summary["already_present"], 1);  // line 307 repeats line 2
  EXPECT_EQ(summary["rejected"], 5);

  const auto errors = lines_of(file.string() + ".errors.csv");
  ASSERT_EQ(errors.size(), 6u);
  EXPECT_EQ(errors[0].rfind("line,reason,nik,name", 0), 0u);
  std::map<std::string, std::string> by_line;
  for (std::size_t i = 1; i < errors.size(); ++i) by_line[errors[i].substr(0, 3)] = errors[i];
  EXPECT_NE(by_line["302"].find("nik: serial"), std::string::npos);
  EXPECT_NE(by_line["303"].find("rw_code"), std::string::npos);
  EXPECT_NE(by_line["304"].find("rt: must be a whole number"), std::string::npos);
  EXPECT_NE(by_line["305"].find("expected 12 fields, found 3"), std::string::npos);
  EXPECT_NE(by_line["306"].find("quote"), std::string::npos);

  // The same file again: nothing new.
  const auto [code2, out2] = run(ctl);
  const auto again = nlohmann::json::parse(out2);
  EXPECT_EQ(again["imported"], 0) << out2;
  EXPECT_EQ(again["already_present"], 301);
  EXPECT_EQ(again["rejected"], 5);

  // The counters show exactly the good rows.
  auto coverage = cov::CoverageService::NewStub(::grpc::CreateChannel(
      stack.endpoints().services.at("coverage").grpc, ::grpc::InsecureChannelCredentials()));
  std::map<std::string, int> seen;
  const auto counters_become = [&](const std::map<std::string, int>& want) {
    return process::wait_for(
        [&] {
          cov::ListRwCoverageRequest request;
          request.set_kelurahan_code("31.75.06.1005");
          cov::ListRwCoverageResponse reply;
          ::grpc::ClientContext context;
          grpc::set_deadline(context, 5s);
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
    grpc::set_deadline(context, 10s);
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
  grpc::set_deadline(move_context, 10s);
  const auto move_status = registration->MoveParticipant(&move_context, move, &moved);
  ASSERT_TRUE(move_status.ok()) << move_status.error_message();
  reg::ExitParticipantRequest exit;
  exit.set_idempotency_key("exit-1");
  exit.set_participant_id(mover.participant_id());
  exit.set_reason("death");
  exit.set_exit_date(mover.registered_at().substr(0, 10));
  reg::Participant exited;
  ::grpc::ClientContext exit_context;
  grpc::set_deadline(exit_context, 10s);
  const auto exit_status = registration->ExitParticipant(&exit_context, exit, &exited);
  ASSERT_TRUE(exit_status.ok()) << exit_status.error_message();
  auto after = per_rw;
  after["31.75.06.1005.001"] -= 1;  // moved out of 001 into 002, then left 002 by death
  EXPECT_TRUE(counters_become(after)) << ::testing::PrintToString(seen);
}

}  // namespace
}  // namespace jaring

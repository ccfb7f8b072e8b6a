// jaringctl: the command-line client for agents, branch staff and operators. It finds the
// stack through .run/endpoints.json unless told the addresses; tables for people, --json for
// scripts.
#include <google/protobuf/util/json_util.h>
#include <grpcpp/grpcpp.h>
#include <CLI/CLI.hpp>

#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include <fmt/format.h>

#include "demo.hpp"
#include "jaring/common/money.hpp"
#include "jaring/coverage/v1/coverage.grpc.pb.h"
#include "jaring/grpc/server.hpp"
#include "jaring/registration/v1/registration.grpc.pb.h"

namespace reg = jaring::registration::v1;
namespace cov = jaring::coverage::v1;

namespace {

struct Globals {
  std::string endpoints_file = ".run/endpoints.json";
  std::string registration;
  std::string coverage;
  bool json = false;
  int timeout_seconds = 10;
};

// The address of a service: the flag if given, else endpoints.json.
std::string address_of(const Globals& g, const std::string& service, const std::string& flag) {
  if (!flag.empty()) return flag;
  std::ifstream in(g.endpoints_file);
  if (!in) {
    throw CLI::ValidationError(
        fmt::format("--{}", service),
        fmt::format("no address given and {} not found: start the stack with `make up` or "
                    "pass --{} host:port",
                    g.endpoints_file, service));
  }
  const auto ep = nlohmann::json::parse(in, nullptr, false);
  if (ep.is_discarded() || !ep.contains("services") || !ep["services"].contains(service)) {
    throw CLI::ValidationError(fmt::format("--{}", service),
                               fmt::format("{} has no {} service", g.endpoints_file, service));
  }
  return ep["services"][service].value("grpc", "");
}

std::shared_ptr<::grpc::Channel> channel(const std::string& address) {
  return ::grpc::CreateChannel(address, ::grpc::InsecureChannelCredentials());
}

// Prints a failed call the way a person can act on it: the code, the message, each field.
int report(const ::grpc::Status& status) {
  fmt::print(stderr, "error {}: {}\n", jaring::grpc::status_code_name(status.error_code()), status.error_message());
  for (const auto& v : jaring::grpc::field_violations(status))
    fmt::print(stderr, "  {}: {}\n", v.field, v.rule);
  return 1;
}

void print_json(const google::protobuf::Message& message) {
  std::string out;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.always_print_primitive_fields = true;
  options.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(message, &out, options);
  fmt::print("{}", out);
}

// Makes one call with a deadline; prints the reply as JSON or with `print`, or the error.
template <typename Reply, typename Call, typename Print>
int call_and_print(const Globals& g, Call&& call, Print&& print) {
  ::grpc::ClientContext context;
  jaring::grpc::set_deadline(context, std::chrono::seconds(g.timeout_seconds));
  Reply reply;
  const auto status = call(context, reply);
  if (!status.ok()) return report(status);
  if (g.json) {
    print_json(reply);
  } else {
    print(reply);
  }
  return 0;
}

void print_participant(const reg::Participant& p) {
  fmt::print(
      "participant  {}\nNIK          {}\nname         {}\nborn         {} ({})\nphone        {}\n"
      "RW / RT      {} / {:03d}\ncategory     {}\nincome band  {}\nprograms     {}\npayer        {}\n"
      "agent        {}\nstatus       {}\nregistered   {}\n",
      p.participant_id(), p.nik_masked(), p.name(), p.birth_date(), p.sex(), p.phone(), p.rw_code(), p.rt(),
      p.category(), jaring::format_rupiah(p.income_band()), p.programs(), p.payer(), p.agent_id().empty() ? "-" : p.agent_id(),
      p.status(), p.registered_at());
}

void print_rw_row(const cov::RwCoverage& rw) {
  const auto& c = rw.counters();
  fmt::print("{:<19} {:>6} {:>10} {:>7} {:>8} {:>7} {:>9}\n", rw.rw_code(), rw.target(), c.registered(),
             c.active(), c.arrears(), c.lapsed(), c.sponsored());
}

void print_rw_header() {
  fmt::print("{:<19} {:>6} {:>10} {:>7} {:>8} {:>7} {:>9}\n", "RW", "target", "registered", "active",
             "arrears", "lapsed", "sponsored");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"jaringctl: register workers and watch coverage in Jaring"};
  app.require_subcommand(1);
  Globals g;
  app.add_option("--endpoints", g.endpoints_file, "endpoints.json written by `make up`")
      ->capture_default_str();
  app.add_option("--registration", g.registration,
                 "registration gRPC address host:port (overrides endpoints)");
  app.add_option("--coverage", g.coverage, "coverage gRPC address host:port (overrides endpoints)");
  app.add_flag("--json", g.json, "print JSON instead of tables");
  app.add_option("--timeout", g.timeout_seconds, "deadline of each call, seconds")->capture_default_str();

  int exit_code = 0;
  const auto registration = [&] {
    return reg::RegistrationService::NewStub(channel(address_of(g, "registration", g.registration)));
  };
  const auto coverage_stub = [&] {
    return cov::CoverageService::NewStub(channel(address_of(g, "coverage", g.coverage)));
  };

  // rw create / rw list
  auto* rw = app.add_subcommand("rw", "The RW registry");
  rw->require_subcommand(1);
  auto* rw_create = rw->add_subcommand("create", "Add an RW under a kelurahan");
  reg::CreateRwRequest create;
  rw_create
      ->add_option_function<std::string>(
          "--kelurahan", [&](const std::string& v) { create.set_kelurahan_code(v); },
          "kelurahan code, e.g. 31.75.06.1005")
      ->required();
  rw_create
      ->add_option_function<int>(
          "--number", [&](int v) { create.set_number(v); }, "RW number, 1..999")
      ->required();
  rw_create->add_option_function<int>(
      "--target", [&](int v) { create.set_target(v); }, "protected workers wanted (100)");
  rw_create->callback([&] {
    exit_code = call_and_print<reg::Rw>(
        g, [&](auto& context, auto& reply) { return registration()->CreateRw(&context, create, &reply); },
        [](const reg::Rw& rw) {
          fmt::print("RW {} created in {} with target {}\n", rw.code(), rw.kelurahan_name(), rw.target());
        });
  });
  auto* rw_list = rw->add_subcommand("list", "List the RWs of a kelurahan");
  std::string list_kelurahan;
  rw_list->add_option("--kelurahan", list_kelurahan, "kelurahan code")->required();
  rw_list->callback([&] {
    reg::ListRwsRequest request;
    request.set_kelurahan_code(list_kelurahan);
    exit_code = call_and_print<reg::ListRwsResponse>(
        g, [&](auto& context, auto& reply) { return registration()->ListRws(&context, request, &reply); },
        [](const reg::ListRwsResponse& reply) {
          fmt::print("{:<19} {:<24} {:>6} {}\n", "RW", "kelurahan", "target", "active");
          for (const auto& r : reply.rws()) {
            fmt::print("{:<19} {:<24} {:>6} {}\n", r.code(), r.kelurahan_name(), r.target(),
                       r.active() ? "yes" : "no");
          }
        });
  });

  // register
  auto* register_cmd = app.add_subcommand("register", "Register one worker");
  reg::RegisterRequest worker;
  worker.set_programs("jkk+jkm");
  worker.set_payer("self");
  const auto text = [&](const char* name, std::string* field, const char* help) {
    return register_cmd->add_option_function<std::string>(
        name, [field](const std::string& v) { *field = v; }, help);
  };
  text("--nik", worker.mutable_nik(), "16-digit NIK")->required();
  text("--name", worker.mutable_name(), "full name as on the KTP")->required();
  text("--birth-date", worker.mutable_birth_date(), "YYYY-MM-DD")->required();
  text("--sex", worker.mutable_sex(), "M or F")->required();
  text("--phone", worker.mutable_phone(), "mobile number, 08...");
  text("--rw", worker.mutable_rw_code(), "RW code, e.g. 31.75.06.1005.002")->required();
  register_cmd
      ->add_option_function<int>(
          "--rt", [&](int v) { worker.set_rt(v); }, "RT number")
      ->required();
  text("--category", worker.mutable_category(), "worker category code, e.g. ojol_driver")->required();
  register_cmd
      ->add_option_function<std::int64_t>(
          "--income-band", [&](std::int64_t v) { worker.set_income_band(v); },
          "declared monthly income, whole rupiah")
      ->required();
  text("--programs", worker.mutable_programs(), "jkk+jkm (default) or jkk+jkm+jht");
  text("--payer", worker.mutable_payer(), "self (default), sponsor or city_budget");
  text("--agent", worker.mutable_agent_id(), "registering Perisai agent id");
  text("--idempotency-key", worker.mutable_idempotency_key(),
       "retry-safe key (default: derived from the NIK)");
  register_cmd->callback([&] {
    if (worker.idempotency_key().empty()) worker.set_idempotency_key("jaringctl-" + worker.nik());
    exit_code = call_and_print<reg::Participant>(
        g, [&](auto& context, auto& reply) { return registration()->Register(&context, worker, &reply); },
        print_participant);
  });

  // participant show
  auto* participant = app.add_subcommand("participant", "Participants");
  participant->require_subcommand(1);
  auto* show = participant->add_subcommand("show", "Show one participant");
  std::string participant_id;
  show->add_option("id", participant_id, "participant id (p_...)")->required();
  show->callback([&] {
    reg::GetParticipantRequest request;
    request.set_participant_id(participant_id);
    exit_code = call_and_print<reg::Participant>(
        g,
        [&](auto& context, auto& reply) { return registration()->GetParticipant(&context, request, &reply); },
        print_participant);
  });

  // coverage rw / coverage kelurahan
  auto* coverage = app.add_subcommand("coverage", "Live coverage counters");
  coverage->require_subcommand(1);
  std::string area_code;
  auto* cov_rw = coverage->add_subcommand("rw", "Counters of one RW");
  cov_rw->add_option("code", area_code, "RW code, e.g. 31.75.06.1005.002")->required();
  cov_rw->callback([&] {
    cov::GetRwCoverageRequest request;
    request.set_rw_code(area_code);
    exit_code = call_and_print<cov::RwCoverage>(
        g,
        [&](auto& context, auto& reply) { return coverage_stub()->GetRwCoverage(&context, request, &reply); },
        [](const cov::RwCoverage& rw) {
          print_rw_header();
          print_rw_row(rw);
        });
  });
  auto* cov_kel = coverage->add_subcommand("kelurahan", "Counters of every RW of a kelurahan, with totals");
  cov_kel->add_option("code", area_code, "kelurahan code, e.g. 31.75.06.1005")->required();
  cov_kel->callback([&] {
    cov::ListRwCoverageRequest request;
    request.set_kelurahan_code(area_code);
    exit_code = call_and_print<cov::ListRwCoverageResponse>(
        g,
        [&](auto& context, auto& reply) {
          return coverage_stub()->ListRwCoverage(&context, request, &reply);
        },
        [](const cov::ListRwCoverageResponse& reply) {
          print_rw_header();
          for (const auto& r : reply.rws()) print_rw_row(r);
          const auto& t = reply.totals();
          fmt::print("{:<19} {:>6} {:>10} {:>7} {:>8} {:>7} {:>9}\n", "total", "", t.registered(), t.active(),
                     t.arrears(), t.lapsed(), t.sponsored());
          fmt::print("{} of {} RWs at target\n", reply.rws_at_target(), reply.rws_size());
        });
  });

  // demo
  auto* demo = app.add_subcommand("demo", "Load demo RWs and workers through the public APIs");
  jaring::tools::DemoOptions demo_options;
  demo->add_option("--workers", demo_options.workers, "how many workers")->capture_default_str();
  demo->add_option("--seed", demo_options.seed, "random seed")->capture_default_str();
  demo->callback([&] {
    exit_code =
        jaring::tools::load_demo(channel(address_of(g, "registration", g.registration)), demo_options);
  });

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return exit_code;
}

// jaringctl rw ..., register, participant ...: the registration service.
#include <fmt/format.h>

#include "cli.hpp"
#include "jaring/common/money.hpp"
#include "jaring/registration/v1/registration.grpc.pb.h"

namespace jaring::ctl {
namespace {

namespace reg = jaring::registration::v1;

void print_participant(const reg::Participant& p) {
  fmt::print(
      "participant  {}\nNIK          {}\nname         {}\nborn         {} ({})\nphone        {}\n"
      "RW / RT      {} / {:03d}\ncategory     {}\nincome band  {}\nprograms     {}\npayer        {}\n"
      "agent        {}\nstatus       {}\nregistered   {}\n",
      p.participant_id(), p.nik().empty() ? p.nik_masked() : p.nik(), p.name(), p.birth_date(), p.sex(),
      p.phone(), p.rw_code(), p.rt(), p.category(), format_rupiah(p.income_band()), p.programs(), p.payer(),
      p.agent_id().empty() ? "-" : p.agent_id(), p.status(), p.registered_at());
}

std::unique_ptr<reg::RegistrationService::Stub> stub(const Globals& g) {
  return reg::RegistrationService::NewStub(channel_to(g, "registration"));
}

void add_rw_commands(CLI::App& app, Globals& g) {
  auto* rw = app.add_subcommand("rw", "The RW registry");
  rw->require_subcommand(1);

  auto* create = rw->add_subcommand("create", "Add an RW under a kelurahan");
  auto request = std::make_shared<reg::CreateRwRequest>();
  create
      ->add_option_function<std::string>(
          "--kelurahan", [request](const std::string& v) { request->set_kelurahan_code(v); },
          "kelurahan code, e.g. 31.75.06.1005")
      ->required();
  create
      ->add_option_function<int>(
          "--number", [request](int v) { request->set_number(v); }, "RW number, 1..999")
      ->required();
  create->add_option_function<int>(
      "--target", [request](int v) { request->set_target(v); }, "protected workers wanted (100)");
  create->callback([&g, request] {
    g.exit_code = call_and_print<reg::Rw>(
        g, [&](auto& context, auto& reply) { return stub(g)->CreateRw(&context, *request, &reply); },
        [](const reg::Rw& rw) {
          fmt::print("RW {} created in {} with target {}\n", rw.code(), rw.kelurahan_name(), rw.target());
        });
  });

  auto* list = rw->add_subcommand("list", "List the RWs of a kelurahan");
  auto kelurahan = std::make_shared<std::string>();
  list->add_option("--kelurahan", *kelurahan, "kelurahan code")->required();
  list->callback([&g, kelurahan] {
    reg::ListRwsRequest request;
    request.set_kelurahan_code(*kelurahan);
    g.exit_code = call_and_print<reg::ListRwsResponse>(
        g, [&](auto& context, auto& reply) { return stub(g)->ListRws(&context, request, &reply); },
        [](const reg::ListRwsResponse& reply) {
          fmt::print("{:<19} {:<24} {:>6} {}\n", "RW", "kelurahan", "target", "active");
          for (const auto& r : reply.rws()) {
            fmt::print("{:<19} {:<24} {:>6} {}\n", r.code(), r.kelurahan_name(), r.target(),
                       r.active() ? "yes" : "no");
          }
        });
  });
}

void add_register_command(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("register", "Register one worker");
  auto worker = std::make_shared<reg::RegisterRequest>();
  worker->set_programs("jkk+jkm");
  worker->set_payer("self");
  const auto text = [&](const char* name, std::string* field, const char* help) {
    return cmd->add_option_function<std::string>(
        name, [field](const std::string& v) { *field = v; }, help);
  };
  text("--nik", worker->mutable_nik(), "16-digit NIK")->required();
  text("--name", worker->mutable_name(), "full name as on the KTP")->required();
  text("--birth-date", worker->mutable_birth_date(), "YYYY-MM-DD")->required();
  text("--sex", worker->mutable_sex(), "M or F")->required();
  text("--phone", worker->mutable_phone(), "mobile number, 08...");
  text("--rw", worker->mutable_rw_code(), "RW code, e.g. 31.75.06.1005.002")->required();
  cmd->add_option_function<int>(
         "--rt", [worker](int v) { worker->set_rt(v); }, "RT number")
      ->required();
  text("--category", worker->mutable_category(), "worker category code, e.g. ojol_driver")->required();
  cmd->add_option_function<std::int64_t>(
         "--income-band", [worker](std::int64_t v) { worker->set_income_band(v); },
         "declared monthly income, whole rupiah")
      ->required();
  text("--programs", worker->mutable_programs(), "jkk+jkm (default) or jkk+jkm+jht");
  text("--payer", worker->mutable_payer(), "self (default), sponsor or city_budget");
  text("--agent", worker->mutable_agent_id(), "registering Perisai agent id");
  text("--project-end", worker->mutable_project_end_date(), "construction workers: last day of the project");
  text("--idempotency-key", worker->mutable_idempotency_key(),
       "retry-safe key (default: derived from the NIK)");
  cmd->callback([&g, worker] {
    if (worker->idempotency_key().empty()) worker->set_idempotency_key("jaringctl-" + worker->nik());
    g.exit_code = call_and_print<reg::Participant>(
        g, [&](auto& context, auto& reply) { return stub(g)->Register(&context, *worker, &reply); },
        print_participant);
  });
}

void add_participant_commands(CLI::App& app, Globals& g) {
  auto* participant = app.add_subcommand("participant", "Participants");
  participant->require_subcommand(1);
  auto* show = participant->add_subcommand("show", "Show one participant");
  auto id = std::make_shared<std::string>();
  show->add_option("id", *id, "participant id (p_...)")->required();
  show->callback([&g, id] {
    reg::GetParticipantRequest request;
    request.set_participant_id(*id);
    g.exit_code = call_and_print<reg::Participant>(
        g, [&](auto& context, auto& reply) { return stub(g)->GetParticipant(&context, request, &reply); },
        print_participant);
  });
}

}  // namespace

void add_registration_commands(CLI::App& app, Globals& g) {
  add_address_flag(app, g, "registration");
  add_rw_commands(app, g);
  add_register_command(app, g);
  add_participant_commands(app, g);
}

}  // namespace jaring::ctl

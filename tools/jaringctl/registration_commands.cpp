// jaringctl rw ..., register, participant ...: the registration service.
#include <fmt/format.h>

#include "cli.hpp"
#include "jaring/common/ids.hpp"
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

  auto* update = rw->add_subcommand("update", "Set an RW's target or deactivate it");
  auto change = std::make_shared<reg::UpdateRwRequest>();
  update
      ->add_option_function<std::string>(
          "code", [change](const std::string& v) { change->set_rw_code(v); }, "RW code")
      ->required();
  update->add_option_function<int>(
      "--target", [change](int v) { change->set_target(v); }, "protected workers wanted");
  update->add_option_function<bool>(
      "--active", [change](bool v) { change->set_active(v); }, "false stops new registrations in the RW");
  update->callback([&g, change] {
    g.exit_code = call_and_print<reg::Rw>(
        g, [&](auto& context, auto& reply) { return stub(g)->UpdateRw(&context, *change, &reply); },
        [](const reg::Rw& rw) {
          fmt::print("RW {}: target {}, {}\n", rw.code(), rw.target(), rw.active() ? "active" : "inactive");
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

void print_participant_rows(const google::protobuf::RepeatedPtrField<reg::Participant>& participants) {
  fmt::print("{:<34} {:<17} {:<24} {:<19} {:>3} {:<20} {}\n", "participant", "NIK", "name", "RW", "RT",
             "category", "status");
  for (const auto& p : participants) {
    fmt::print("{:<34} {:<17} {:<24} {:<19} {:>3} {:<20} {}\n", p.participant_id(), p.nik_masked(), p.name(),
               p.rw_code(), p.rt(), p.category(), p.status());
  }
}

void add_participant_commands(CLI::App& app, Globals& g) {
  auto* participant = app.add_subcommand("participant", "Participants");
  participant->require_subcommand(1);
  auto id = std::make_shared<std::string>();
  auto key = std::make_shared<std::string>();

  auto* show = participant->add_subcommand("show", "Show one participant");
  show->add_option("id", *id, "participant id (p_...)")->required();
  show->callback([&g, id] {
    reg::GetParticipantRequest request;
    request.set_participant_id(*id);
    g.exit_code = call_and_print<reg::Participant>(
        g, [&](auto& context, auto& reply) { return stub(g)->GetParticipant(&context, request, &reply); },
        print_participant);
  });

  auto* find = participant->add_subcommand("find", "Find the participation of a NIK");
  auto find_request = std::make_shared<reg::FindByNikRequest>();
  find->add_option_function<std::string>(
          "nik", [find_request](const std::string& v) { find_request->set_nik(v); }, "16-digit NIK")
      ->required();
  find->add_flag_function(
      "--reveal", [find_request](std::int64_t n) { find_request->set_reveal_nik(n > 0); },
      "show the full NIK (branch officers only)");
  find->callback([&g, find_request] {
    g.exit_code = call_and_print<reg::Participant>(
        g, [&](auto& context, auto& reply) { return stub(g)->FindByNik(&context, *find_request, &reply); },
        print_participant);
  });

  auto* list = participant->add_subcommand("list", "List the participants of an RW, a page at a time");
  auto list_request = std::make_shared<reg::ListParticipantsRequest>();
  list->add_option_function<std::string>(
          "--rw", [list_request](const std::string& v) { list_request->set_rw_code(v); }, "RW code")
      ->required();
  list->add_option_function<int>(
      "--page-size", [list_request](int v) { list_request->set_page_size(v); }, "rows per page (100)");
  list->add_option_function<std::string>(
      "--page-token", [list_request](const std::string& v) { list_request->set_page_token(v); },
      "token printed by the previous page");
  list->callback([&g, list_request] {
    g.exit_code = call_and_print<reg::ListParticipantsResponse>(
        g,
        [&](auto& context, auto& reply) {
          return stub(g)->ListParticipants(&context, *list_request, &reply);
        },
        [](const reg::ListParticipantsResponse& reply) {
          print_participant_rows(reply.participants());
          if (!reply.next_page_token().empty())
            fmt::print("next page: --page-token {}\n", reply.next_page_token());
        });
  });

  auto* update =
      participant->add_subcommand("update", "Change phone, category, income band, payer or programs");
  auto update_request = std::make_shared<reg::UpdateParticipantRequest>();
  update->add_option("id", *id, "participant id")->required();
  update->add_option("--idempotency-key", *key, "retry-safe key (default: a new one)");
  update->add_option_function<std::string>(
      "--phone", [update_request](const std::string& v) { update_request->set_phone(v); }, "mobile number");
  update->add_option_function<std::string>(
      "--category", [update_request](const std::string& v) { update_request->set_category(v); },
      "category code");
  update->add_option_function<std::int64_t>(
      "--income-band", [update_request](std::int64_t v) { update_request->set_income_band(v); },
      "whole rupiah");
  update->add_option_function<std::string>(
      "--payer", [update_request](const std::string& v) { update_request->set_payer(v); },
      "self, sponsor or city_budget");
  update->add_option_function<std::string>(
      "--programs", [update_request](const std::string& v) { update_request->set_programs(v); },
      "jkk+jkm or jkk+jkm+jht");
  update->callback([&g, id, key, update_request] {
    update_request->set_participant_id(*id);
    // A fresh key by default: setting a field back to an earlier value is a new change.
    update_request->set_idempotency_key(key->empty() ? new_id("jaringctl-update-") : *key);
    g.exit_code = call_and_print<reg::Participant>(
        g,
        [&](auto& context, auto& reply) {
          return stub(g)->UpdateParticipant(&context, *update_request, &reply);
        },
        print_participant);
  });

  auto* move =
      participant->add_subcommand("move", "Move a participant to another RW (new family card address)");
  auto move_request = std::make_shared<reg::MoveParticipantRequest>();
  move->add_option("id", *id, "participant id")->required();
  move->add_option_function<std::string>(
          "--to-rw", [move_request](const std::string& v) { move_request->set_to_rw_code(v); }, "RW code")
      ->required();
  move->add_option_function<int>(
          "--rt", [move_request](int v) { move_request->set_rt(v); }, "RT number")
      ->required();
  move->add_option_function<std::string>(
          "--on", [move_request](const std::string& v) { move_request->set_moved_on(v); }, "YYYY-MM-DD")
      ->required();
  move->add_option("--idempotency-key", *key, "retry-safe key (default: derived from the move)");
  move->callback([&g, id, key, move_request] {
    move_request->set_participant_id(*id);
    move_request->set_idempotency_key(key->empty()
                                          ? fmt::format("jaringctl-move-{}-{}-{}", *id,
                                                        move_request->to_rw_code(), move_request->moved_on())
                                          : *key);
    g.exit_code = call_and_print<reg::Participant>(
        g,
        [&](auto& context, auto& reply) { return stub(g)->MoveParticipant(&context, *move_request, &reply); },
        print_participant);
  });

  auto* exit =
      participant->add_subcommand("exit", "End a participation (death, moved_away, became_wage_earner)");
  auto exit_request = std::make_shared<reg::ExitParticipantRequest>();
  exit->add_option("id", *id, "participant id")->required();
  exit->add_option_function<std::string>(
          "--reason", [exit_request](const std::string& v) { exit_request->set_reason(v); },
          "death, moved_away or became_wage_earner")
      ->required();
  exit->add_option_function<std::string>(
          "--on", [exit_request](const std::string& v) { exit_request->set_exit_date(v); }, "YYYY-MM-DD")
      ->required();
  exit->callback([&g, id, exit_request] {
    exit_request->set_participant_id(*id);
    exit_request->set_idempotency_key("jaringctl-exit-" + *id);
    g.exit_code = call_and_print<reg::Participant>(
        g,
        [&](auto& context, auto& reply) { return stub(g)->ExitParticipant(&context, *exit_request, &reply); },
        print_participant);
  });
}

void add_agent_commands(CLI::App& app, Globals& g) {
  auto* agent = app.add_subcommand("agent", "Perisai agents");
  agent->require_subcommand(1);
  auto* create =
      agent->add_subcommand("register", "Register an agent with a branch and an umbrella organisation");
  auto request = std::make_shared<reg::RegisterAgentRequest>();
  create
      ->add_option_function<std::string>(
          "--name", [request](const std::string& v) { request->set_name(v); }, "name")
      ->required();
  create->add_option_function<std::string>(
      "--phone", [request](const std::string& v) { request->set_phone(v); }, "mobile number");
  create
      ->add_option_function<std::string>(
          "--branch", [request](const std::string& v) { request->set_branch_code(v); },
          "branch office code, e.g. pulogebang")
      ->required();
  create
      ->add_option_function<std::string>(
          "--organisation", [request](const std::string& v) { request->set_organisation(v); },
          "umbrella organisation")
      ->required();
  create->add_option_function<std::string>(
      "--idempotency-key", [request](const std::string& v) { request->set_idempotency_key(v); },
      "retry-safe key");
  create->callback([&g, request] {
    g.exit_code = call_and_print<reg::Agent>(
        g, [&](auto& context, auto& reply) { return stub(g)->RegisterAgent(&context, *request, &reply); },
        [](const reg::Agent& a) {
          fmt::print("agent {} ({}) registered at branch {} for {}\n", a.agent_id(), a.name(),
                     a.branch_code(), a.organisation());
        });
  });

  auto* month = agent->add_subcommand("registrations", "What an agent registered in a month");
  auto month_request = std::make_shared<reg::ListAgentRegistrationsRequest>();
  month
      ->add_option_function<std::string>(
          "id", [month_request](const std::string& v) { month_request->set_agent_id(v); }, "agent id (a_...)")
      ->required();
  month
      ->add_option_function<std::string>(
          "--month", [month_request](const std::string& v) { month_request->set_month(v); },
          "YYYY-MM (Asia/Jakarta)")
      ->required();
  month->callback([&g, month_request] {
    g.exit_code = call_and_print<reg::ListAgentRegistrationsResponse>(
        g,
        [&](auto& context, auto& reply) {
          return stub(g)->ListAgentRegistrations(&context, *month_request, &reply);
        },
        [](const reg::ListAgentRegistrationsResponse& reply) {
          print_participant_rows(reply.participants());
          fmt::print("{} registrations by {} in {}\n", reply.count(), reply.agent_id(), reply.month());
        });
  });
}

void add_area_commands(CLI::App& app, Globals& g) {
  auto* areas = app.add_subcommand("areas", "Reference areas under a parent, with their branch offices");
  auto parent = std::make_shared<std::string>();
  areas->add_option("parent", *parent, "parent code (none for the provinces), e.g. 31.75");
  areas->callback([&g, parent] {
    reg::ListAreasRequest request;
    request.set_parent_code(*parent);
    g.exit_code = call_and_print<reg::ListAreasResponse>(
        g, [&](auto& context, auto& reply) { return stub(g)->ListAreas(&context, request, &reply); },
        [](const reg::ListAreasResponse& reply) {
          fmt::print("{:<15} {:<10} {:<40} {}\n", "code", "level", "name", "branch");
          for (const auto& a : reply.areas()) {
            fmt::print("{:<15} {:<10} {:<40} {}\n", a.code(), a.level(), a.name(), a.branch_name());
          }
        });
  });
}

}  // namespace

void add_registration_commands(CLI::App& app, Globals& g) {
  add_address_flag(app, g, "registration");
  add_rw_commands(app, g);
  add_register_command(app, g);
  add_participant_commands(app, g);
  add_agent_commands(app, g);
  add_area_commands(app, g);
  add_import_command(app, g);
}

}  // namespace jaring::ctl

// jaringctl: the command-line client for agents, branch staff and operators. It finds the
// stack through .run/endpoints.json unless told the addresses; tables for people, --json for
// scripts; --help on every command.
#include "cli.hpp"
#include "demo.hpp"

int main(int argc, char** argv) {
  CLI::App app{"jaringctl: register workers and watch coverage in Jaring"};
  app.require_subcommand(1);
  jaring::ctl::Globals g;
  app.add_option("--endpoints", g.endpoints_file, "endpoints.json written by `make up`")
      ->capture_default_str();
  app.add_flag("--json", g.json, "print JSON instead of tables");
  app.add_option("--timeout", g.timeout_seconds, "deadline of each call, seconds")->capture_default_str();
  jaring::ctl::add_caller_flags(app, g);

  jaring::ctl::add_registration_commands(app, g);
  jaring::ctl::add_contribution_commands(app, g);
  jaring::ctl::add_claims_commands(app, g);
  jaring::ctl::add_coverage_commands(app, g);
  jaring::ctl::add_report_commands(app, g);
  jaring::ctl::add_csr_commands(app, g);

  auto* demo = app.add_subcommand("demo", "Load demo RWs and workers through the public APIs");
  jaring::tools::DemoOptions demo_options;
  demo->add_option("--workers", demo_options.workers, "how many workers")->capture_default_str();
  demo->add_option("--seed", demo_options.seed, "random seed")->capture_default_str();
  demo->callback([&] {
    g.exit_code = jaring::tools::load_demo(
        {jaring::ctl::channel_to(g, "registration"), jaring::ctl::channel_to(g, "contribution"),
         jaring::ctl::channel_to(g, "csr-donor"), jaring::ctl::channel_to(g, "claims")},
        demo_options);
  });

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return g.exit_code;
}

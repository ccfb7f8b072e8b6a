// jaringctl: the command-line client for agents, branch staff and operators. It finds the
// stack through .run/endpoints.json unless told the addresses; every call carries a bearer
// token (--token-file, JARING_TOKEN, or one it signs with a local stack's key); tables for
// people, --json for scripts; --help on every command.
#include <sys/stat.h>
#include <cstdio>

#include <fmt/format.h>

#include "cli.hpp"
#include "demo.hpp"

int main(int argc, char** argv) try {
  ::umask(077);  // what it writes (import error files, logs, keys) is for its owner only
  CLI::App app{
      "jaringctl: register workers and watch coverage in Jaring.\n"
      "Every call carries a bearer token: --token-file FILE or JARING_TOKEN (from your identity provider). "
      "Against a local stack (`make up`) it needs neither: jaringctl signs a short-lived token with the key "
      "named in the endpoints file, for an admin (local-admin) unless --user/--role/--branch/--area/--agent/"
      "--sponsor (given before the command) name someone else."};
  app.require_subcommand(1);
  jaring::ctl::Globals g;
  app.add_option("--endpoints", g.endpoints_file, "endpoints.json written by `make up`")
      ->capture_default_str();
  app.add_flag("--json", g.json, "print JSON instead of tables");
  app.add_option("--timeout", g.timeout_seconds, "deadline of each call, seconds")->capture_default_str();
  app.add_option("--tls-ca", g.tls.ca_file,
                 "CA certificate the services' certificates chain to (else the endpoints file's)");
  app.add_option("--tls-cert", g.tls.cert_file, "client certificate, where the services require one");
  app.add_option("--tls-key", g.tls.key_file, "the client certificate's key");
  jaring::ctl::add_identity_flags(app, g);

  jaring::ctl::add_registration_commands(app, g);
  jaring::ctl::add_contribution_commands(app, g);
  jaring::ctl::add_claims_commands(app, g);
  jaring::ctl::add_coverage_commands(app, g);
  jaring::ctl::add_report_commands(app, g);
  jaring::ctl::add_csr_commands(app, g);
  jaring::ctl::add_identity_commands(app, g);

  auto* demo =
      app.add_subcommand("demo",
                         "Load demo RWs, workers, payments, sponsors and claims through the public APIs, "
                         "each step as the person "
                         "who would do it (tokens signed by the local stack's key: a local stack only)");
  jaring::tools::DemoOptions demo_options;
  demo->add_option("--workers", demo_options.workers, "how many workers")->capture_default_str();
  demo->add_option("--seed", demo_options.seed, "random seed")->capture_default_str();
  demo->add_option("--history-months", demo_options.history_months,
                   "months of history on the stack's test clock (a stack started with --test-clock, its "
                   "clock at the first day of the first month): registered then, paid as the months come, "
                   "the clock moved to each month's start and finally to now")
      ->check(CLI::Range(0, 36))
      ->capture_default_str();
  demo->callback([&] {
    if (demo_options.history_months > 0) {
      const auto endpoints = jaring::ctl::read_endpoints(g);
      if (endpoints.is_discarded() || !endpoints.contains("clock_file"))
        throw jaring::ctl::UsageError(
            fmt::format("demo --history-months: {} names no test clock; start the stack with --test-clock",
                        g.endpoints_file));
      demo_options.clock_file = endpoints["clock_file"].get<std::string>();
    }
    const auto authority = jaring::ctl::local_authority(g);
    if (!authority) {
      throw jaring::ctl::UsageError(
          fmt::format("demo: it acts as agents, officers, approvers, sponsors and an admin, with tokens "
                      "signed by a local "
                      "stack's key, and {} names no such key: run it against a stack started with `make up`",
                      g.endpoints_file));
    }
    jaring::tools::DemoPeople people(*authority);
    g.exit_code = jaring::tools::load_demo(
        {jaring::ctl::channel_to(g, "registration"), jaring::ctl::channel_to(g, "contribution"),
         jaring::ctl::channel_to(g, "csr-donor"), jaring::ctl::channel_to(g, "claims"),
         jaring::ctl::channel_to(g, "coverage")},
        people, demo_options);
  });

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const jaring::ctl::UsageError& e) {
    fmt::print(stderr, "jaringctl: {}\n", e.what());
    return 2;
  }
  return g.exit_code;
} catch (const std::exception& e) {
  std::fprintf(stderr, "jaringctl: %s\n", e.what());
  return 1;
}

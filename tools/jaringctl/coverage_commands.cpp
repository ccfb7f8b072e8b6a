// jaringctl coverage ...: the live counters of the coverage service.
#include <fmt/format.h>

#include "cli.hpp"
#include "jaring/coverage/v1/coverage.grpc.pb.h"

namespace jaring::ctl {
namespace {

namespace cov = jaring::coverage::v1;

constexpr const char* kRowFormat = "{:<19} {:>6} {:>10} {:>7} {:>8} {:>7} {:>9}\n";

void print_header() {
  fmt::print(kRowFormat, "RW", "target", "registered", "active", "arrears", "lapsed", "sponsored");
}

void print_row(const std::string& label, const std::string& target, const cov::Counters& c) {
  fmt::print(kRowFormat, label, target, c.registered(), c.active(), c.arrears(), c.lapsed(), c.sponsored());
}

std::unique_ptr<cov::CoverageService::Stub> stub(const Globals& g) {
  return cov::CoverageService::NewStub(channel_to(g, "coverage"));
}

}  // namespace

void add_coverage_commands(CLI::App& app, Globals& g) {
  add_address_flag(app, g, "coverage");
  auto* coverage = app.add_subcommand("coverage", "Live coverage counters");
  coverage->require_subcommand(1);
  auto code = std::make_shared<std::string>();

  auto* rw = coverage->add_subcommand("rw", "Counters of one RW");
  rw->add_option("code", *code, "RW code, e.g. 31.75.06.1005.002")->required();
  rw->callback([&g, code] {
    cov::GetRwCoverageRequest request;
    request.set_rw_code(*code);
    g.exit_code = call_and_print<cov::RwCoverage>(
        g, [&](auto& context, auto& reply) { return stub(g)->GetRwCoverage(&context, request, &reply); },
        [](const cov::RwCoverage& r) {
          print_header();
          print_row(r.rw_code(), std::to_string(r.target()), r.counters());
        });
  });

  auto* kelurahan = coverage->add_subcommand("kelurahan", "Counters of every RW of a kelurahan, with totals");
  kelurahan->add_option("code", *code, "kelurahan code, e.g. 31.75.06.1005")->required();
  kelurahan->callback([&g, code] {
    cov::ListRwCoverageRequest request;
    request.set_kelurahan_code(*code);
    g.exit_code = call_and_print<cov::ListRwCoverageResponse>(
        g, [&](auto& context, auto& reply) { return stub(g)->ListRwCoverage(&context, request, &reply); },
        [](const cov::ListRwCoverageResponse& reply) {
          print_header();
          for (const auto& r : reply.rws()) print_row(r.rw_code(), std::to_string(r.target()), r.counters());
          print_row("total", "", reply.totals());
          fmt::print("{} of {} RWs at target\n", reply.rws_at_target(), reply.rws_size());
        });
  });
}

}  // namespace jaring::ctl

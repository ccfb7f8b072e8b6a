// jaringctl report ...: monitoring and evaluation snapshots and the reports that compare them
// (the coverage service's CreateSnapshot, ListSnapshots and GetReport).
#include <algorithm>
#include <cctype>
#include <fstream>
#include <optional>

#include <fmt/format.h>

#include "cli.hpp"
#include "jaring/coverage/v1/coverage.grpc.pb.h"

namespace jaring::ctl {
namespace {

namespace cov = jaring::coverage::v1;

std::unique_ptr<cov::CoverageService::Stub> stub(const Globals& g) {
  return cov::CoverageService::NewStub(channel_to(g, "coverage"));
}

constexpr const char* kSnapshotFormat = "{:>4}  {:<10} {:<10} {:<24} {:>6}  {}\n";

void print_snapshot_header() {
  fmt::print(kSnapshotFormat, "id", "label", "as of", "taken at", "RWs", "kind");
}

void print_snapshot(const cov::Snapshot& s) {
  fmt::print(kSnapshotFormat, s.snapshot_id(), s.period(), s.as_of(), s.taken_at(), s.rw_count(), s.kind());
}

// A client-side mistake, printed like a server's INVALID_ARGUMENT so that people and scripts
// see one shape of error.
int invalid(const std::string& field, const std::string& rule) {
  fmt::print(stderr, "error INVALID_ARGUMENT: {} is not valid\n  {}: {}\n", field, field, rule);
  return 1;
}

bool all_digits(const std::string& text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); });
}

// A snapshot named on the command line: its label (the latest evaluation snapshot of that
// period wins, as a re-taken quarter replaces the first attempt), its id, or "now" (0, the
// live counters). nullopt when nothing matches.
std::optional<std::int64_t> resolve(const std::string& name, const cov::ListSnapshotsResponse& list) {
  if (name == "now") return 0;
  if (all_digits(name)) {
    const auto id = std::stoll(name);
    for (const auto& s : list.snapshots()) {
      if (s.snapshot_id() == id) return id;
    }
    return std::nullopt;
  }
  std::optional<std::int64_t> found;
  for (const auto& s : list.snapshots()) {
    if (s.period() == name && s.kind() != "trend" && (!found || s.snapshot_id() > *found))
      found = s.snapshot_id();
  }
  return found;
}

std::string describe(const cov::Snapshot& s) {
  return s.snapshot_id() == 0 ? fmt::format("now ({})", s.as_of())
                              : fmt::format("{} (as of {}, #{})", s.period(), s.as_of(), s.snapshot_id());
}

// One row of the people's table: the "to" value and its change since "from", per measure.
// New registrations are the change of the ever-registered count, as in the CSV and HTML.
std::string table_row(const std::string& label, const cov::ReportRow& r) {
  const auto& f = r.from().totals();
  const auto& t = r.to().totals();
  const auto cell = [](std::int64_t to, std::int64_t from) {
    return fmt::format("{} ({:+})", to, to - from);
  };
  return fmt::format("{:<34} {:>9} {:>14} {:>14} {:>12} {:>12} {:>12} {:>10} {:>10}\n", label,
                     fmt::format("{:+}", t.registrations() - f.registrations()),
                     cell(t.registered(), f.registered()), cell(t.active(), f.active()),
                     cell(t.arrears(), f.arrears()), cell(t.lapsed(), f.lapsed()),
                     cell(t.sponsored(), f.sponsored()), cell(t.claims_paid(), f.claims_paid()),
                     cell(r.to().rws_at_target(), r.from().rws_at_target()));
}

std::string render_table(const cov::Report& report) {
  std::string out = fmt::format("{} {}: {} compared with {}\n\n", report.total().to().name(),
                                report.total().to().code(), describe(report.to()), describe(report.from()));
  out += fmt::format("{:<34} {:>9} {:>14} {:>14} {:>12} {:>12} {:>12} {:>10} {:>10}\n", "area", "new regs",
                     "registered", "active", "arrears", "lapsed", "sponsored", "claims", "RWs at tgt");
  for (const auto& r : report.rows()) out += table_row(fmt::format("{} {}", r.to().code(), r.to().name()), r);
  out += table_row("total", report.total());
  return out;
}

struct CompareOptions {
  std::string area;
  std::string from;
  std::string to = "now";
  std::string format = "table";
  std::string output;
};

int compare(const Globals& g, const CompareOptions& o) {
  auto coverage = stub(g);
  cov::ListSnapshotsResponse list;
  {
    ::grpc::ClientContext context;
    prepare(context, g);
    cov::ListSnapshotsRequest request;
    request.set_include_trend(true);  // an id may name a trend snapshot
    if (auto status = coverage->ListSnapshots(&context, request, &list); !status.ok()) return report(status);
  }
  const auto from = resolve(o.from, list);
  if (!from)
    return invalid("--from", fmt::format("no snapshot labelled '{}' (see jaringctl report list)", o.from));
  const auto to = resolve(o.to, list);
  if (!to) return invalid("--to", fmt::format("no snapshot labelled '{}' (see jaringctl report list)", o.to));

  cov::GetReportRequest request;
  request.set_area_code(o.area);
  request.set_from_snapshot_id(*from);
  request.set_to_snapshot_id(*to);
  if (o.format != "table") request.set_format(o.format);
  ::grpc::ClientContext context;
  prepare(context, g);
  cov::Report reply;
  if (auto status = coverage->GetReport(&context, request, &reply); !status.ok()) return report(status);
  if (g.json && o.output.empty()) {
    print_json(reply);
    return 0;
  }
  const auto text = o.format == "table" ? render_table(reply) : reply.rendered();
  if (o.output.empty()) {
    fmt::print("{}", text);
    return 0;
  }
  std::ofstream out(o.output, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) return invalid("--output", fmt::format("cannot write {}", o.output));
  fmt::print(stderr, "wrote {} ({} bytes)\n", o.output, text.size());
  return 0;
}

}  // namespace

void add_report_commands(CLI::App& app, Globals& g) {
  auto* report_cmd =
      app.add_subcommand("report", "Monitoring and evaluation: snapshots and reports comparing them");
  report_cmd->require_subcommand(1);

  auto* snapshot = report_cmd->add_subcommand(
      "snapshot", "Freeze every RW's counters now under a label (a quarter, a semester or a date)");
  auto label = std::make_shared<std::string>();
  auto at = std::make_shared<std::string>();
  snapshot
      ->add_option("--label", *label, "YYYY-Qn (kecamatan quarter), YYYY-Sn (city semester) or YYYY-MM-DD")
      ->required();
  snapshot->add_option("--at", *at,
                       "the date (YYYY-MM-DD) the snapshot stands for; default today in Jakarta");
  snapshot->callback([&g, label, at] {
    cov::CreateSnapshotRequest request;
    request.set_period(*label);
    request.set_as_of(*at);
    g.exit_code = call_and_print<cov::Snapshot>(
        g, [&](auto& context, auto& reply) { return stub(g)->CreateSnapshot(&context, request, &reply); },
        [](const cov::Snapshot& s) {
          print_snapshot_header();
          print_snapshot(s);
        });
  });

  auto* list = report_cmd->add_subcommand("list", "List the snapshots, oldest first");
  auto trend = std::make_shared<bool>(false);
  list->add_flag("--trend", *trend, "also list the trend snapshots the service takes on a schedule");
  list->callback([&g, trend] {
    cov::ListSnapshotsRequest request;
    request.set_include_trend(*trend);
    g.exit_code = call_and_print<cov::ListSnapshotsResponse>(
        g, [&](auto& context, auto& reply) { return stub(g)->ListSnapshots(&context, request, &reply); },
        [](const cov::ListSnapshotsResponse& reply) {
          if (reply.snapshots().empty()) {
            fmt::print("no snapshots yet: take one with `jaringctl report snapshot --label 2026-Q4`\n");
            return;
          }
          print_snapshot_header();
          for (const auto& s : reply.snapshots()) print_snapshot(s);
        });
  });

  auto* compare_cmd = report_cmd->add_subcommand(
      "compare", "Compare an area between two snapshots, child area by child area (per RW for a kelurahan)");
  auto options = std::make_shared<CompareOptions>();
  compare_cmd
      ->add_option("--area", options->area, "area code: 31 (DKI), 31.75, 31.75.06, 31.75.06.1005 or a branch")
      ->required();
  compare_cmd->add_option("--from", options->from, "snapshot label (e.g. 2026-Q3) or id")->required();
  compare_cmd->add_option("--to", options->to, "snapshot label or id, or now (the live counters)")
      ->capture_default_str();
  compare_cmd->add_option("--format", options->format, "table (for people), csv or html (printable A4)")
      ->check(CLI::IsMember({"table", "csv", "html"}))
      ->capture_default_str();
  compare_cmd->add_option("--output", options->output, "write the report to FILE instead of standard output");
  compare_cmd->callback([&g, options] { g.exit_code = compare(g, *options); });
}

}  // namespace jaring::ctl

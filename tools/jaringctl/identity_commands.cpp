// jaringctl dev-token: a token signed by a local stack's key, for curl, grpcurl or another
// jaringctl; jaringctl dev clock: a local stack's test clock; jaringctl audit: the audit trail of every
// service, merged by time, for auditors; jaringctl keys: the key file that seals personal data at rest.
#include <algorithm>
#include <charconv>
#include <filesystem>
#include <regex>

#include <fmt/format.h>

#include "cli.hpp"
#include "jaring/audit/v1/audit.grpc.pb.h"
#include "jaring/common/clock.hpp"
#include "jaring/common/period.hpp"
#include "jaring/crypto/keys.hpp"

namespace jaring::ctl {
namespace {

namespace aud = jaring::audit::v1;

// "90s", "15m", "1h", "7d" or plain seconds; nullopt when it is none of them or not positive.
std::optional<std::chrono::seconds> parse_ttl(const std::string& text) {
  long long n = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || n <= 0) return std::nullopt;
  const std::string unit(end, text.data() + text.size());
  const long long scale = unit.empty() || unit == "s" ? 1
                          : unit == "m"               ? 60
                          : unit == "h"               ? 3600
                          : unit == "d"               ? 86400
                                                      : 0;
  if (scale == 0 || n > 366LL * 86400 / scale) return std::nullopt;
  return std::chrono::seconds(n * scale);
}

// An RFC 3339 time (or a bare date, midnight UTC) as the audit trail writes times: UTC with
// milliseconds. The services compare these as text, so a time written another way would not
// compare right.
std::optional<std::string> audit_time(const std::string& text) {
  static const std::regex kTime(
      R"(^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?([Zz]|[+-]\d{2}:\d{2})?)?$)");
  std::smatch m;
  if (!std::regex_match(text, m, kTime)) return std::nullopt;
  const auto num = [&](int i) { return m[i].matched ? std::stoi(m[i].str()) : 0; };
  const std::chrono::year_month_day date{std::chrono::year(num(1)),
                                         std::chrono::month(static_cast<unsigned>(num(2))),
                                         std::chrono::day(static_cast<unsigned>(num(3)))};
  if (!date.ok() || num(4) > 23 || num(5) > 59 || num(6) > 60) return std::nullopt;
  auto at = std::chrono::sys_days(date) + std::chrono::hours(num(4)) + std::chrono::minutes(num(5)) +
            std::chrono::seconds(num(6));
  std::chrono::milliseconds fraction{0};
  if (m[7].matched) fraction = std::chrono::milliseconds(std::stoi((m[7].str() + "00").substr(0, 3)));
  if (m[8].matched && m[8].str().size() == 6) {  // +07:00: local time ahead of UTC
    const auto offset = std::chrono::hours(std::stoi(m[8].str().substr(1, 2))) +
                        std::chrono::minutes(std::stoi(m[8].str().substr(4, 2)));
    at += m[8].str()[0] == '+' ? -offset : offset;
  }
  return format_utc(TimePoint(std::chrono::time_point_cast<TimePoint::duration>(at + fraction)));
}

void add_dev_token_command(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand(
      "dev-token",
      "Print a token signed by the local stack's key (the auth dir of the endpoints file), for tools such as "
      "grpcurl or for another jaringctl (JARING_TOKEN). A real deployment has no local key: there "
      "tokens come from the identity provider, and this command refuses (exit 2).");
  auto id = std::make_shared<LocalIdentity>();
  auto ttl = std::make_shared<std::string>("1h");
  cmd->add_option("--role", id->role,
                  "role the token grants: agent, branch-officer, approver, area-official, "
                  "treasurer, sponsor, auditor, admin, service")
      ->required();
  cmd->add_option("--sub", id->user, "subject: the user id the services record")->required();
  cmd->add_option("--branch", id->branches, "branch office code, repeatable (default: every Jakarta branch)")
      ->allow_extra_args(false);
  cmd->add_option("--area", id->areas, "area code prefix, repeatable (default: 31)")->allow_extra_args(false);
  cmd->add_option("--agent", id->agent, "agent id (an agent's token)");
  cmd->add_option("--sponsor", id->sponsor, "sponsor id (a sponsor's or treasurer's token)");
  cmd->add_option("--ttl", *ttl, "lifetime: 90s, 15m, 1h, 7d")->capture_default_str();
  cmd->callback([&g, id, ttl] {
    const auto lifetime = parse_ttl(*ttl);
    if (!lifetime)
      throw UsageError(fmt::format("--ttl {}: give a positive lifetime such as 90s, 15m, 1h or 7d", *ttl));
    const auto authority = local_authority(g);
    if (!authority) {
      throw UsageError(fmt::format(
          "dev-token: no local signing key ({} {}). dev-token only signs for a local stack started with "
          "`make up`; a real deployment's tokens come from its identity provider.",
          g.endpoints_file, read_endpoints(g).is_discarded() ? "not found" : "names none"));
    }
    fmt::print("{}\n", sign_local(*authority, *id, *lifetime));
  });
}

// The test clock of the local stack in the endpoints file; refuses a stack that has none.
std::string clock_file(const Globals& g) {
  const auto endpoints = read_endpoints(g);
  if (endpoints.is_discarded() || !endpoints.contains("clock_file"))
    throw UsageError(
        fmt::format("dev clock: {} names no test clock. Only a local stack started with "
                    "`jaring-stack up --test-clock` (`make up`, unless DEMO=0 or TEST_CLOCK=0) has one.",
                    g.endpoints_file));
  return endpoints["clock_file"].get<std::string>();
}

void print_clock(TimePoint at) {
  fmt::print("{} (Jakarta {}, billing period {})\n", format_utc(at), jakarta_date(at),
             Period::jakarta(at).str());
}

void add_dev_clock_command(CLI::App& app, Globals& g) {
  auto* dev = app.add_subcommand("dev", "Tools for a local stack");
  dev->require_subcommand(1);
  auto* clock = dev->add_subcommand(
      "clock",
      "The local stack's test clock: every service takes business time (billing months, due dates, M&E "
      "periods) from it. Each service's calendar notices a move within calendar.interval_seconds.");
  clock->require_subcommand(1);
  auto at = std::make_shared<std::string>();
  auto running = std::make_shared<bool>(false);
  auto* set = clock->add_subcommand("set", "Move the clock (forward or back) to an instant");
  set->add_option("instant", *at, "RFC 3339, e.g. 2027-01-01T00:05:00+07:00")->required();
  set->add_flag("--running", *running,
                "Let it run on from the instant at the system clock's pace (else it stands there)");
  set->callback([&g, at, running] {
    const auto parsed = parse_utc(*at);
    if (!parsed)
      throw UsageError(
          fmt::format("dev clock set {}: give an RFC 3339 instant such as "
                      "2027-01-01T00:05:00+07:00",
                      *at));
    FileClock::write(clock_file(g), *parsed, *running ? FileClock::Flow::kRuns : FileClock::Flow::kStands);
    print_clock(*parsed);
    g.exit_code = 0;
  });
  clock->add_subcommand("show", "Print the clock's instant, its Jakarta day and billing period")
      ->callback([&g] {
        print_clock(FileClock(clock_file(g)).now());
        g.exit_code = 0;
      });
}

// "/jaring.claims.v1.ClaimsService/PayClaim" -> "PayClaim": the service has its own column.
std::string short_method(const std::string& method) {
  const auto slash = method.rfind('/');
  return slash == std::string::npos ? method : method.substr(slash + 1);
}

std::string ids_cell(const aud::AuditRecord& r) {
  constexpr int kShown = 3;
  std::string out;
  for (int i = 0; i < std::min(r.ids_size(), kShown); ++i) out += (i == 0 ? "" : ",") + r.ids(i);
  if (r.ids_size() > kShown) out += fmt::format(" (+{})", r.ids_size() - kShown);
  return out.empty() ? "-" : out;
}

void print_records(const aud::ListAuditRecordsResponse& merged) {
  constexpr const char* kRow = "{:<24} {:<13} {:<28} {:<15} {:<24} {:<18} {:<34} {}\n";
  fmt::print(kRow, "at", "service", "who", "roles", "method", "result", "ids", "trace");
  for (const auto& r : merged.records()) {
    const auto who = r.acting_for().empty() ? r.subject() : r.subject() + " for " + r.acting_for();
    fmt::print(kRow, r.at(), r.service(), who, r.roles(), short_method(r.method()), r.result(), ids_cell(r),
               r.trace_id());
  }
  fmt::print("{} record(s)\n", merged.records_size());
}

// Asks every known service for its records and merges them oldest first.
int list_audit(const Globals& g, const aud::ListAuditRecordsRequest& request) {
  const auto services = known_services(g);
  if (services.empty()) {
    throw UsageError(
        fmt::format("no services: {} not found and no --<service> address given", g.endpoints_file));
  }
  aud::ListAuditRecordsResponse merged;
  std::vector<std::string> denied;
  int failed = 0;
  for (const auto& service : services) {
    auto stub = aud::AuditService::NewStub(channel_to(g, service));
    ::grpc::ClientContext context;
    prepare(context, g);
    aud::ListAuditRecordsResponse reply;
    const auto status = stub->ListAuditRecords(&context, request, &reply);
    if (status.error_code() == ::grpc::StatusCode::PERMISSION_DENIED) {
      denied.push_back(service);
      continue;
    }
    if (!status.ok()) {
      fmt::print(stderr, "{}: ", service);
      report(status);
      ++failed;
      continue;
    }
    for (auto& r : *reply.mutable_records()) {
      if (r.service().empty()) r.set_service(service);
      *merged.add_records() = std::move(r);
    }
  }
  if (!denied.empty()) {
    fmt::print(
        stderr,
        "error PERMISSION_DENIED: only auditors read the audit trail ({} refused). Call with an auditor's "
        "token; on a local stack: jaringctl --user U --role auditor audit ...\n",
        fmt::join(denied, ", "));
    if (denied.size() == services.size()) return 1;
  }
  // Every service writes its times alike (UTC, milliseconds): as text they sort in time order.
  auto& records = *merged.mutable_records();
  std::stable_sort(records.begin(), records.end(), [](const aud::AuditRecord& a, const aud::AuditRecord& b) {
    return std::tie(a.at(), a.service(), a.audit_id()) < std::tie(b.at(), b.service(), b.audit_id());
  });
  const int limit = request.limit() > 0 ? request.limit() : 100;
  while (records.size() > limit) records.RemoveLast();
  if (g.json) {
    print_json(merged);
  } else {
    print_records(merged);
  }
  return failed == 0 && denied.empty() ? 0 : 1;
}

void add_audit_command(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand(
      "audit",
      "The audit trail: who did what, when, with which result, from every service of the endpoints file "
      "(or given by --<service> flags), merged oldest first; a table, or JSON with --json. Auditors only: "
      "other roles get PERMISSION_DENIED.");
  auto request = std::make_shared<aud::ListAuditRecordsRequest>();
  auto times = std::make_shared<std::pair<std::string, std::string>>();
  cmd->add_option("--subject", *request->mutable_subject(), "who acted (the token's subject)");
  auto* participant =
      cmd->add_option("--participant", *request->mutable_id(), "records naming this participant (p_...)");
  cmd->add_option("--id", *request->mutable_id(), "records naming this id (claim, payment, sponsor ...)")
      ->excludes(participant);
  cmd->add_option("--trace", *request->mutable_trace_id(),
                  "records of one request, across the services it reached (its trace id)");
  cmd->add_option("--from", times->first, "from this time, inclusive: RFC 3339 or YYYY-MM-DD (UTC)");
  cmd->add_option("--to", times->second, "until this time, exclusive: RFC 3339 or YYYY-MM-DD (UTC)");
  cmd->add_option_function<int>(
         "--limit", [request](int v) { request->set_limit(v); }, "at most this many records, 1..1000 (100)")
      ->check(CLI::Range(1, 1000));
  cmd->add_flag("--json", g.json, "print JSON instead of a table");
  cmd->callback([&g, request, times] {
    for (const auto& [flag, text, field] : {std::tuple{"--from", times->first, request->mutable_from()},
                                            std::tuple{"--to", times->second, request->mutable_to()}}) {
      if (text.empty()) continue;
      const auto at = audit_time(text);
      if (!at)
        throw UsageError(
            fmt::format("{} {}: give an RFC 3339 time (2026-03-01T08:00:00+07:00) or a date", flag, text));
      *field = *at;
    }
    g.exit_code = list_audit(g, *request);
  });
}

}  // namespace

void add_keys_command(CLI::App& app, Globals& g) {
  auto* keys =
      app.add_subcommand("keys",
                         "The key file of registration's and claims' personal data (crypto.key_file): "
                         "see docs/security.md");
  keys->require_subcommand(1);
  auto file = std::make_shared<std::string>();
  auto* create = keys->add_subcommand("new", "Write a new key file: one data key and one index key");
  create->add_option("--out", *file, "where to write it (0600); an existing file is never replaced")
      ->required();
  create->callback([&g, file] {
    if (std::filesystem::exists(*file))
      throw UsageError(
          fmt::format("keys new: {} exists; replacing it would lose every value its keys sealed", *file));
    if (auto written = crypto::Keys::generate().write(*file); !written)
      throw UsageError(written.error().message);
    fmt::print("wrote {}: data key 1 and index key 1\n", *file);
    g.exit_code = 0;
  });
  auto index_too = std::make_shared<bool>(false);
  auto* rotate = keys->add_subcommand(
      "rotate",
      "Add a data key and make it current (older keys stay, to read what they sealed); restart registration "
      "and claims, then run their `rekey`");
  rotate->add_option("--file", *file, "the key file to rotate in place")->required();
  rotate->add_flag("--index", *index_too,
                   "also add an index key (the NIK's blind index) and make it current");
  rotate->callback([&g, file, index_too] {
    auto keys = crypto::Keys::load(*file);
    if (!keys) {
      const auto& v = keys.error().violations.front();
      throw UsageError(fmt::format("keys rotate: {}: {}", v.field, v.rule));
    }
    auto next = keys->with_new_data_key();
    if (*index_too) next = next.with_new_index_key();
    if (auto written = next.write(*file); !written) throw UsageError(written.error().message);
    fmt::print(
        "{}: data key {} is current{}; run `jaring-registration rekey` and `jaring-claims rekey` once "
        "both services run with it\n",
        *file, next.data().current,
        *index_too ? fmt::format(", index key {} too", next.index().current) : std::string());
    g.exit_code = 0;
  });
  auto* retire = keys->add_subcommand(
      "retire",
      "Drop every key but the current ones, once `rekey` has run on every store that uses the file (it "
      "reports every value under the current key): a value under a dropped key can no longer be read");
  retire->add_option("--file", *file, "the key file to trim in place")->required();
  retire->callback([&g, file] {
    auto keys = crypto::Keys::load(*file);
    if (!keys) {
      const auto& v = keys.error().violations.front();
      throw UsageError(fmt::format("keys retire: {}: {}", v.field, v.rule));
    }
    const auto dropped = keys->data().keys.size() + keys->index().keys.size() - 2;
    if (auto written = keys->current_only().write(*file); !written) throw UsageError(written.error().message);
    fmt::print("{}: {} older key(s) dropped; data key {} and index key {} remain\n", *file, dropped,
               keys->data().current, keys->index().current);
    g.exit_code = 0;
  });
}

void add_identity_commands(CLI::App& app, Globals& g) {
  add_dev_token_command(app, g);
  add_dev_clock_command(app, g);
  add_audit_command(app, g);
  add_keys_command(app, g);
}

}  // namespace jaring::ctl

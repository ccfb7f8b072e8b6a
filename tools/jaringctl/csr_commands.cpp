// jaringctl csr ...: sponsors and their wallets, cohorts with budget quotes, kelurahan proposals
// (a CSV of workers, bad rows named by line), decisions on them, and impact reports.
#include <charconv>
#include <fstream>
#include <map>

#include <fmt/format.h>

#include "cli.hpp"
#include "jaring/common/ids.hpp"
#include "jaring/common/money.hpp"
#include "jaring/csr/v1/csr.grpc.pb.h"
#include "jaring/csv/reader.hpp"
#include "jaring/csv/writer.hpp"

namespace jaring::ctl {
namespace {

namespace csr = jaring::csr::v1;

std::unique_ptr<csr::SponsorService::Stub> stub(const Globals& g) {
  return csr::SponsorService::NewStub(channel_to(g, "csr-donor"));
}

// A file's path as a part of an idempotency key, which is a token (letters, digits and . _ : -,
// at most 128 characters): its FNV-1a hash, the same for the same path on every run.
std::string path_key(const std::string& path) {
  std::uint64_t hash = 14695981039346656037ull;
  for (const unsigned char c : path) hash = (hash ^ c) * 1099511628211ull;
  return fmt::format("{:016x}", hash);
}

// A retry-safe key unless the caller gives one: retrying the same command line with --key is safe.
std::string key_or_new(const std::string& key) { return key.empty() ? new_id("ctl-") : key; }

template <typename Request, typename Reply, typename Rpc, typename Print>
void on_call(CLI::App* cmd, Globals& g, std::shared_ptr<Request> request, Rpc rpc, Print print) {
  cmd->callback([&g, request, rpc, print] {
    g.exit_code = call_and_print<Reply>(
        g, [&](auto& context, auto& reply) { return ((*stub(g)).*rpc)(&context, *request, &reply); }, print);
  });
}

void print_sponsor(const csr::Sponsor& s) {
  fmt::print("{:<36} {:<13} balance {:>16}  spent {:>16}  need/month {:>12}  cover {}{}  {}\n",
             s.sponsor_id(), s.kind(), format_rupiah(s.balance()), format_rupiah(s.spent()),
             format_rupiah(s.monthly_need()),
             s.months_left() < 0 ? std::string("-") : fmt::format("{} month(s)", s.months_left()),
             s.funds_low() ? " LOW" : "", s.name());
}

void print_budget(const csr::Budget& b) {
  fmt::print("budget for {} member(s):\n", b.members());
  for (const auto& m : b.months())
    fmt::print("  {}  {:>3} member(s)  {:>14}\n", m.period(), m.members(), format_rupiah(m.amount()));
  fmt::print("total {}, wallet {}{}\n", format_rupiah(b.total()), format_rupiah(b.balance()),
             b.shortfall() > 0 ? fmt::format(", SHORT by {}", format_rupiah(b.shortfall())) : "");
}

void print_cohort(const csr::Cohort& c) {
  fmt::print("cohort {} \"{}\" of {}: {}..{} ({} months), {}{}\n", c.cohort_id(), c.name(), c.sponsor_id(),
             c.start_period(), c.last_period(), c.months(), c.status(),
             c.end_reason().empty() ? "" : " (" + c.end_reason() + ")");
  if (c.max_members() > 0)
    fmt::print("  up to {} worker(s) of [{}] in [{}]\n", c.max_members(), fmt::join(c.categories(), ", "),
               fmt::join(c.rw_codes(), ", "));
  for (const auto& m : c.members())
    fmt::print("  {:<36} {:<20} {}..{} {}\n", m.participant_id(), m.rw_code(), m.from_period(), m.to_period(),
               m.active() ? "sponsored" : "ended: " + m.end_reason());
  if (c.budget().months_size() > 0) print_budget(c.budget());
}

void print_proposal(const csr::Proposal& p) {
  fmt::print("proposal {} from kelurahan {} by {} at {}: {}\n", p.proposal_id(), p.kelurahan_code(),
             p.submitted_by(), p.submitted_at(), p.status());
  for (const auto& i : p.items()) {
    fmt::print("  #{:<3} line {:<5} {:<36} {:<20} {:<16} {:<9} {}{}\n", i.item_id(), i.row(),
               i.participant_id(), i.rw_code(), i.category(), i.status(), i.reason(),
               i.decision_reason().empty() ? "" : " -> " + i.decision_reason());
  }
  for (const auto& r : p.refused()) fmt::print("  line {:<5} REFUSED: {}\n", r.row(), r.reason());
}

// Adds the cohort-defining flags shared by quote and create.
void add_spec_flags(CLI::App* cmd, const std::shared_ptr<csr::CohortSpec>& spec,
                    const std::shared_ptr<std::vector<std::string>>& participants,
                    const std::shared_ptr<std::vector<std::string>>& categories,
                    const std::shared_ptr<std::vector<std::string>>& rws) {
  cmd->add_option("--sponsor", *spec->mutable_sponsor_id(), "sponsor id")->required();
  cmd->add_option("--start", *spec->mutable_start_period(),
                  "first month funded, YYYY-MM (default: this month)");
  cmd->add_option_function<int>(
         "--months", [spec](int v) { spec->set_months(v); }, "months funded")
      ->required();
  cmd->add_option("--participant", *participants, "a named participant (repeatable)");
  cmd->add_option_function<int>(
      "--max", [spec](int v) { spec->set_max_members(v); }, "up to N workers of --category in --rw");
  cmd->add_option("--category", *categories, "worker category (repeatable)");
  cmd->add_option("--rw", *rws, "RW code (repeatable)");
}

void fill_spec(csr::CohortSpec& spec, const std::vector<std::string>& participants,
               const std::vector<std::string>& categories, const std::vector<std::string>& rws) {
  spec.clear_participant_ids();
  spec.clear_categories();
  spec.clear_rw_codes();
  for (const auto& p : participants) spec.add_participant_ids(p);
  for (const auto& c : categories) spec.add_categories(c);
  for (const auto& r : rws) spec.add_rw_codes(r);
}

// ---- jaringctl csr propose FILE.csv ----

struct ProposeOptions {
  std::string file, kelurahan, note, key;
};

template <typename T>
bool parse_number(const std::string& text, T& out) {
  if (text.empty()) {
    out = 0;
    return true;
  }
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

const std::vector<std::string> kProposalColumns = {
    "participant_id", "nik",         "name",     "birth_date", "sex",   "phone", "rw_code", "rt",
    "category",       "income_band", "programs", "agent_id",   "reason"};

int propose(const Globals& g, const ProposeOptions& o) {
  std::ifstream in(o.file, std::ios::binary);
  if (!in) {
    fmt::print(stderr, "error: cannot read {}\n", o.file);
    return 2;
  }
  csv::Reader reader(in);
  csv::Record header;
  if (!reader.next(header) || !header.error.empty()) {
    fmt::print(stderr, "error: {} has no header line (columns: {})\n", o.file,
               fmt::join(kProposalColumns, ","));
    return 2;
  }
  std::map<std::string, std::size_t> at;
  for (std::size_t i = 0; i < header.fields.size(); ++i) at[header.fields[i]] = i;
  std::vector<std::string> unknown;
  for (const auto& [name, _] : at)
    if (std::find(kProposalColumns.begin(), kProposalColumns.end(), name) == kProposalColumns.end())
      unknown.push_back(name);
  if (!unknown.empty() || !at.contains("reason") || (!at.contains("participant_id") && !at.contains("nik"))) {
    fmt::print(
        stderr,
        "error: header of {}: needs reason and participant_id or the new-worker columns; unknown [{}]; "
        "columns: {}\n",
        o.file, fmt::join(unknown, ", "), fmt::join(kProposalColumns, ","));
    return 2;
  }
  csr::SubmitProposalRequest request;
  request.set_idempotency_key(o.key.empty() ? "propose:" + o.kelurahan + ":" + path_key(o.file) : o.key);
  request.set_kelurahan_code(o.kelurahan);
  request.set_note(o.note);
  int bad_rows = 0;
  csv::Record record;
  while (reader.next(record)) {
    const auto col = [&](const std::string& name) -> std::string {
      const auto it = at.find(name);
      return it == at.end() || it->second >= record.fields.size() ? std::string() : record.fields[it->second];
    };
    if (!record.error.empty()) {
      fmt::print("line {}: {}\n", record.line, record.error);
      ++bad_rows;
      continue;
    }
    auto* item = request.add_items();
    item->set_row(static_cast<std::int64_t>(record.line));
    item->set_reason(col("reason"));
    if (!col("participant_id").empty()) {
      item->set_participant_id(col("participant_id"));
      continue;
    }
    int rt = 0;
    std::int64_t income = 0;
    if (!parse_number(col("rt"), rt) || !parse_number(col("income_band"), income)) {
      fmt::print("line {}: rt and income_band must be whole numbers\n", record.line);
      request.mutable_items()->RemoveLast();
      ++bad_rows;
      continue;
    }
    auto* w = item->mutable_worker();
    w->set_nik(col("nik"));
    w->set_name(col("name"));
    w->set_birth_date(col("birth_date"));
    w->set_sex(col("sex"));
    w->set_phone(col("phone"));
    w->set_rw_code(col("rw_code"));
    w->set_rt(rt);
    w->set_category(col("category"));
    w->set_income_band(income);
    w->set_programs(col("programs"));
    w->set_agent_id(col("agent_id"));
  }
  ::grpc::ClientContext context;
  prepare(context, g);
  csr::Proposal reply;
  const auto status = stub(g)->SubmitProposal(&context, request, &reply);
  if (!status.ok()) return report(status);
  if (g.json) {
    print_json(reply);
  } else {
    print_proposal(reply);
    fmt::print("{} worker(s) proposed, {} line(s) refused\n", reply.items_size(),
               reply.refused_size() + bad_rows);
  }
  return reply.refused_size() + bad_rows > 0 ? 1 : 0;
}

// ---- impact ----

void write_impact_csv(const csr::ImpactReport& r, const std::string& path) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << csv::Row{"sponsor_id",    "from",         "to",          "rw_code",      "workers_protected",
                  "months_funded", "rupiah_spent", "claims_paid", "claims_amount"}
             .line();
  const auto row = [&](const std::string& rw_code, std::int64_t workers, std::int64_t months,
                       std::int64_t spent, std::int64_t claims, std::int64_t amount) {
    out << csv::Row()
               .add(r.sponsor_id())
               .add(r.from_period())
               .add(r.to_period())
               .add(rw_code)
               .add(workers)
               .add(months)
               .add(spent)
               .add(claims)
               .add(amount)
               .line();
  };
  for (const auto& rw : r.rws())
    row(rw.rw_code(), rw.workers(), rw.months_funded(), rw.spent(), rw.claims_paid(), rw.claims_amount());
  row("TOTAL", r.workers_protected(), r.months_funded(), r.spent(), r.claims_paid(), r.claims_amount());
}

}  // namespace

void add_csr_commands(CLI::App& app, Globals& g) {
  add_address_flag(app, g, "csr-donor");
  auto* root =
      app.add_subcommand("csr", "Sponsors (CSR, city budget, philanthropy): wallets, cohorts, proposals");
  root->require_subcommand(1);

  // sponsor create | list | get
  auto* sponsor = root->add_subcommand("sponsor", "Sponsors and their wallets");
  sponsor->require_subcommand(1);
  auto* create = sponsor->add_subcommand("create", "Add a sponsor");
  auto create_request = std::make_shared<csr::CreateSponsorRequest>();
  create->add_option("--name", *create_request->mutable_name(), "sponsor name")->required();
  create->add_option("--kind", *create_request->mutable_kind(), "csr_company, city_budget or philanthropy")
      ->required();
  create->add_option("--key", *create_request->mutable_idempotency_key(), "idempotency key");
  create->callback([&g, create_request] {
    create_request->set_idempotency_key(key_or_new(create_request->idempotency_key()));
    g.exit_code = call_and_print<csr::Sponsor>(
        g,
        [&](auto& context, auto& reply) { return stub(g)->CreateSponsor(&context, *create_request, &reply); },
        print_sponsor);
  });
  on_call<csr::ListSponsorsRequest, csr::ListSponsorsResponse>(
      sponsor->add_subcommand("list", "Every sponsor with its balance and months of cover"), g,
      std::make_shared<csr::ListSponsorsRequest>(), &csr::SponsorService::Stub::ListSponsors,
      [](const csr::ListSponsorsResponse& r) {
        for (const auto& s : r.sponsors()) print_sponsor(s);
      });
  auto* get = sponsor->add_subcommand("get", "One sponsor");
  auto get_request = std::make_shared<csr::GetSponsorRequest>();
  get->add_option("sponsor", *get_request->mutable_sponsor_id(), "sponsor id")->required();
  on_call<csr::GetSponsorRequest, csr::Sponsor>(get, g, get_request, &csr::SponsorService::Stub::GetSponsor,
                                                print_sponsor);

  auto* deposit = root->add_subcommand("deposit", "Put money into a sponsor's wallet (once per --key)");
  auto deposit_request = std::make_shared<csr::DepositRequest>();
  deposit->add_option("sponsor", *deposit_request->mutable_sponsor_id(), "sponsor id")->required();
  deposit
      ->add_option_function<std::int64_t>(
          "--amount", [deposit_request](std::int64_t v) { deposit_request->set_amount(v); }, "whole rupiah")
      ->required();
  deposit->add_option("--reference", *deposit_request->mutable_reference(), "transfer or budget reference");
  deposit->add_option("--key", *deposit_request->mutable_idempotency_key(),
                      "idempotency key: reuse it to retry");
  deposit->callback([&g, deposit_request] {
    deposit_request->set_idempotency_key(key_or_new(deposit_request->idempotency_key()));
    g.exit_code = call_and_print<csr::DepositResult>(
        g, [&](auto& context, auto& reply) { return stub(g)->Deposit(&context, *deposit_request, &reply); },
        [](const csr::DepositResult& d) {
          fmt::print("deposit {} of {} to {}: balance {}{}\n", d.deposit_id(), format_rupiah(d.amount()),
                     d.sponsor_id(), format_rupiah(d.balance()),
                     d.repeated() ? " (already made: nothing added)" : "");
        });
  });

  auto* ledger = root->add_subcommand("ledger", "Every movement of a wallet, newest first");
  auto ledger_request = std::make_shared<csr::GetLedgerRequest>();
  ledger->add_option("sponsor", *ledger_request->mutable_sponsor_id(), "sponsor id")->required();
  ledger->add_option_function<int>(
      "--limit", [ledger_request](int v) { ledger_request->set_limit(v); }, "lines (default 100)");
  on_call<csr::GetLedgerRequest, csr::Ledger>(
      ledger, g, ledger_request, &csr::SponsorService::Stub::GetLedger, [](const csr::Ledger& l) {
        fmt::print("wallet of {}: {}\n", l.sponsor_id(), format_rupiah(l.balance()));
        for (const auto& x : l.lines()) {
          fmt::print("  {:>5} {} {:<8} {:>14} -> {:>16}  {} {} {} {}\n", x.seq(), x.at(), x.kind(),
                     format_rupiah(x.amount()), format_rupiah(x.balance()), x.reference(), x.period(),
                     x.cohort_id(), x.note());
        }
      });

  // cohort quote | create | end | list | get
  auto* cohort = root->add_subcommand("cohort", "Cohorts a sponsor funds for M months");
  cohort->require_subcommand(1);
  for (const bool creating : {false, true}) {
    auto* cmd = creating
                    ? cohort->add_subcommand("create", "Start a cohort (refused if it would double-fund)")
                    : cohort->add_subcommand("quote", "The budget a cohort needs; changes nothing");
    auto spec = std::make_shared<csr::CohortSpec>();
    auto participants = std::make_shared<std::vector<std::string>>();
    auto categories = std::make_shared<std::vector<std::string>>();
    auto rws = std::make_shared<std::vector<std::string>>();
    add_spec_flags(cmd, spec, participants, categories, rws);
    auto key = std::make_shared<std::string>();
    if (creating) {
      cmd->add_option("--name", *spec->mutable_name(), "cohort name");
      cmd->add_option("--key", *key, "idempotency key");
    }
    cmd->callback([&g, spec, participants, categories, rws, key, creating] {
      fill_spec(*spec, *participants, *categories, *rws);
      if (!creating) {
        g.exit_code = call_and_print<csr::Budget>(
            g, [&](auto& context, auto& reply) { return stub(g)->QuoteCohort(&context, *spec, &reply); },
            print_budget);
        return;
      }
      csr::CreateCohortRequest request;
      request.set_idempotency_key(key_or_new(*key));
      *request.mutable_spec() = *spec;
      g.exit_code = call_and_print<csr::Cohort>(
          g, [&](auto& context, auto& reply) { return stub(g)->CreateCohort(&context, request, &reply); },
          print_cohort);
    });
  }
  auto* end =
      cohort->add_subcommand("end", "End a cohort (the last month funded is --last, default this month)");
  auto end_request = std::make_shared<csr::EndCohortRequest>();
  end->add_option("cohort", *end_request->mutable_cohort_id(), "cohort id")->required();
  end->add_option("--last", *end_request->mutable_last_period(), "last month funded, YYYY-MM");
  end->add_option("--key", *end_request->mutable_idempotency_key(), "idempotency key");
  end->callback([&g, end_request] {
    end_request->set_idempotency_key(key_or_new(end_request->idempotency_key()));
    g.exit_code = call_and_print<csr::Cohort>(
        g, [&](auto& context, auto& reply) { return stub(g)->EndCohort(&context, *end_request, &reply); },
        print_cohort);
  });
  auto* list = cohort->add_subcommand("list", "A sponsor's cohorts and members");
  auto list_request = std::make_shared<csr::ListCohortsRequest>();
  list->add_option("--sponsor", *list_request->mutable_sponsor_id(), "sponsor id")->required();
  on_call<csr::ListCohortsRequest, csr::ListCohortsResponse>(
      list, g, list_request, &csr::SponsorService::Stub::ListCohorts, [](const csr::ListCohortsResponse& r) {
        for (const auto& c : r.cohorts()) print_cohort(c);
      });
  auto* show = cohort->add_subcommand("get", "One cohort with its members");
  auto show_request = std::make_shared<csr::GetCohortRequest>();
  show->add_option("cohort", *show_request->mutable_cohort_id(), "cohort id")->required();
  on_call<csr::GetCohortRequest, csr::Cohort>(show, g, show_request, &csr::SponsorService::Stub::GetCohort,
                                              print_cohort);

  // propose FILE.csv | proposals | proposal | accept | reject
  auto* propose_cmd = root->add_subcommand(
      "propose",
      "Submit a kelurahan list of vulnerable workers (CSV: participant_id or new-worker columns, reason)");
  auto propose_options = std::make_shared<ProposeOptions>();
  propose_cmd->add_option("file", propose_options->file, "CSV file")->required()->check(CLI::ExistingFile);
  propose_cmd->add_option("--kelurahan", propose_options->kelurahan, "kelurahan code, e.g. 31.75.06.1005")
      ->required();
  propose_cmd->add_option("--note", propose_options->note, "a note for sponsors");
  propose_cmd->add_option("--key", propose_options->key,
                          "idempotency key (default: from kelurahan and file)");
  propose_cmd->callback([&g, propose_options] { g.exit_code = propose(g, *propose_options); });

  auto* proposals = root->add_subcommand("proposals", "Proposals, newest first");
  auto proposals_request = std::make_shared<csr::ListProposalsRequest>();
  proposals->add_option("--kelurahan", *proposals_request->mutable_kelurahan_code(), "kelurahan code");
  proposals->add_option("--status", *proposals_request->mutable_status(), "open or decided");
  on_call<csr::ListProposalsRequest, csr::ListProposalsResponse>(proposals, g, proposals_request,
                                                                 &csr::SponsorService::Stub::ListProposals,
                                                                 [](const csr::ListProposalsResponse& r) {
                                                                   for (const auto& p : r.proposals())
                                                                     print_proposal(p);
                                                                 });
  auto* proposal = root->add_subcommand("proposal", "One proposal with its items");
  auto proposal_request = std::make_shared<csr::GetProposalRequest>();
  proposal->add_option("proposal", *proposal_request->mutable_proposal_id(), "proposal id")->required();
  on_call<csr::GetProposalRequest, csr::Proposal>(proposal, g, proposal_request,
                                                  &csr::SponsorService::Stub::GetProposal, print_proposal);

  auto* accept = root->add_subcommand("accept", "A sponsor accepts all or some items into a cohort");
  auto accept_request = std::make_shared<csr::AcceptProposalRequest>();
  auto accept_items = std::make_shared<std::vector<std::string>>();
  accept->add_option("proposal", *accept_request->mutable_proposal_id(), "proposal id")->required();
  accept->add_option("--sponsor", *accept_request->mutable_sponsor_id(), "sponsor id")->required();
  accept->add_option("--item", *accept_items, "item id (repeatable; default: every pending item)");
  accept->add_option("--cohort", *accept_request->mutable_cohort_id(), "an existing cohort of the sponsor");
  accept->add_option("--name", *accept_request->mutable_cohort_name(), "name of a new cohort");
  accept->add_option("--start", *accept_request->mutable_start_period(), "new cohort: first month, YYYY-MM");
  accept->add_option_function<int>(
      "--months", [accept_request](int v) { accept_request->set_months(v); }, "new cohort: months funded");
  accept->add_option("--key", *accept_request->mutable_idempotency_key(), "idempotency key");
  accept->callback([&g, accept_request, accept_items] {
    accept_request->set_idempotency_key(key_or_new(accept_request->idempotency_key()));
    accept_request->clear_item_ids();
    for (const auto& i : *accept_items) accept_request->add_item_ids(i);
    g.exit_code = call_and_print<csr::AcceptProposalResult>(
        g,
        [&](auto& context, auto& reply) {
          return stub(g)->AcceptProposal(&context, *accept_request, &reply);
        },
        [](const csr::AcceptProposalResult& r) {
          print_proposal(r.proposal());
          print_cohort(r.cohort());
        });
  });

  auto* reject = root->add_subcommand("reject", "Reject proposal items, with a reason");
  auto reject_request = std::make_shared<csr::RejectProposalItemsRequest>();
  auto reject_items = std::make_shared<std::vector<std::string>>();
  reject->add_option("proposal", *reject_request->mutable_proposal_id(), "proposal id")->required();
  reject->add_option("--item", *reject_items, "item id (repeatable; default: every pending item)");
  reject->add_option("--reason", *reject_request->mutable_reason(), "why")->required();
  reject->add_option("--key", *reject_request->mutable_idempotency_key(), "idempotency key");
  reject->callback([&g, reject_request, reject_items] {
    reject_request->set_idempotency_key(key_or_new(reject_request->idempotency_key()));
    reject_request->clear_item_ids();
    for (const auto& i : *reject_items) reject_request->add_item_ids(i);
    g.exit_code = call_and_print<csr::Proposal>(
        g,
        [&](auto& context, auto& reply) {
          return stub(g)->RejectProposalItems(&context, *reject_request, &reply);
        },
        print_proposal);
  });

  auto* impact = root->add_subcommand("impact", "Impact report of a sponsor for a range of months");
  auto impact_request = std::make_shared<csr::ImpactRequest>();
  auto csv_path = std::make_shared<std::string>();
  impact->add_option("--sponsor", *impact_request->mutable_sponsor_id(), "sponsor id")->required();
  impact->add_option("--from", *impact_request->mutable_from_period(), "YYYY-MM")->required();
  impact->add_option("--to", *impact_request->mutable_to_period(), "YYYY-MM")->required();
  impact->add_option("--csv", *csv_path, "also write the report, one row per RW, to this CSV file");
  impact->callback([&g, impact_request, csv_path] {
    ::grpc::ClientContext context;
    prepare(context, g);
    csr::ImpactReport r;
    const auto status = stub(g)->GetImpact(&context, *impact_request, &r);
    if (!status.ok()) {
      g.exit_code = report(status);
      return;
    }
    if (g.json) {
      print_json(r);
    } else {
      fmt::print(
          "{} ({}), {}..{}\n  workers protected  {}\n  months funded      {}\n  rupiah spent       {}\n"
          "  RWs reached        {}\n  claims paid        {} ({})\n  bills not covered  {}\n",
          r.sponsor_name(), r.sponsor_id(), r.from_period(), r.to_period(), r.workers_protected(),
          r.months_funded(), format_rupiah(r.spent()), r.rws_reached(), r.claims_paid(),
          format_rupiah(r.claims_amount()), r.payments_failed());
      for (const auto& rw : r.rws())
        fmt::print("  {:<20} {:>4} worker(s) {:>4} month(s) {:>14}  claims {}\n", rw.rw_code(), rw.workers(),
                   rw.months_funded(), format_rupiah(rw.spent()), rw.claims_paid());
    }
    if (!csv_path->empty()) {
      write_impact_csv(r, *csv_path);
      if (!g.json) fmt::print("written to {}\n", *csv_path);
    }
  });
}

}  // namespace jaring::ctl

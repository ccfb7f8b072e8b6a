// jaringctl claims ...: file a claim, tick documents, verify, approve, pay, reject, and look up
// claims and the scholarship re-claims due. Each step is recorded as the token's subject: filer,
// verifier and approver are three people and the payer is not the approver (on a local stack,
// --user/--role pick who).
#include <fmt/format.h>

#include "cli.hpp"
#include "jaring/claims/v1/claims.grpc.pb.h"
#include "jaring/common/ids.hpp"
#include "jaring/common/money.hpp"

namespace jaring::ctl {
namespace {

namespace cl = jaring::claims::v1;

std::unique_ptr<cl::ClaimsService::Stub> stub(const Globals& g) {
  return cl::ClaimsService::NewStub(channel_to(g, "claims"));
}

void print_claim(const cl::Claim& c) {
  fmt::print("claim        {}\nparticipant  {}\ntype         {}\nstatus       {}\nevent date   {}\n",
             c.claim_id(), c.participant_id(), c.claim_type(), c.status(), c.event_date());
  fmt::print("RW / branch  {} / {}\nclaimant     {} ({})\nfiled by     {} at {}\n", c.rw_code(),
             c.branch_code(), c.claimant_name(), c.heir_relation(), c.filed_by(), c.filed_at());
  fmt::print("coverage     {}: {} ({} month(s) paid by the event date)\n", c.coverage_state(),
             c.coverage_reason(), c.contribution_months());
  for (const auto& l : c.lines())
    fmt::print("  {:<26} {:>16}  {}\n", l.component(), format_rupiah(l.amount()), l.basis());
  fmt::print("total        {}\n", format_rupiah(c.total()));
  std::string missing;
  for (const auto& m : c.missing_documents()) missing += (missing.empty() ? "" : ", ") + m;
  fmt::print("documents    {}/{} received{}\n", c.documents_size() - c.missing_documents_size(),
             c.documents_size(), missing.empty() ? "" : "; missing: " + missing);
  if (!c.rejection_reason().empty()) fmt::print("REJECTED     {}\n", c.rejection_reason());
  if (!c.approved_by().empty()) fmt::print("approved by  {}\n", c.approved_by());
  if (!c.paid_on().empty()) fmt::print("paid         {} by {}\n", c.paid_on(), c.paid_by());
  if (c.history_size() > 0) fmt::print("history\n");
  for (const auto& h : c.history())
    fmt::print("  {}  {:<10} {:<9} -> {:<9} {} ({}) {}\n", h.at(), h.action(),
               h.from_status().empty() ? "-" : h.from_status(), h.to_status(), h.user(), h.role(), h.note());
}

template <typename Request, typename Reply, typename Rpc, typename Print>
void on_call(CLI::App* cmd, Globals& g, std::shared_ptr<Request> request, Rpc rpc, Print print) {
  cmd->callback([&g, request, rpc, print] {
    g.exit_code = call_and_print<Reply>(
        g, [&](auto& context, auto& reply) { return ((*stub(g)).*rpc)(&context, *request, &reply); }, print);
  });
}

// "relation[:dead][:name]" -> a family member.
cl::FamilyMember family_member(const std::string& text) {
  cl::FamilyMember m;
  m.set_alive(true);
  std::size_t start = 0;
  for (int field = 0; start <= text.size(); ++field) {
    const auto end = text.find(':', start);
    const auto part = text.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (field == 0) {
      m.set_relation(part);
    } else if (part == "dead") {
      m.set_alive(false);
    } else if (part != "alive") {
      m.set_name(part);
    }
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return m;
}

// "name:birth_date:level:school_year" -> a child.
cl::Child child_of(const std::string& text) {
  cl::Child c;
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    const auto end = text.find(':', start);
    parts.push_back(text.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  if (parts.size() != 4) throw CLI::ValidationError("--child", "expects name:birth_date:level:school_year");
  c.set_name(parts[0]);
  c.set_birth_date(parts[1]);
  c.set_level(parts[2]);
  try {
    c.set_school_year(std::stoi(parts[3]));
  } catch (const std::exception&) {
    throw CLI::ValidationError("--child", "school_year must be a number");
  }
  return c;
}

}  // namespace

void add_claims_commands(CLI::App& app, Globals& g) {
  add_address_flag(app, g, "claims");
  auto* root =
      app.add_subcommand("claims", "Claims (klaim): JKM and JKK death, work accidents, scholarships");
  root->require_subcommand(1);

  auto* file = root->add_subcommand("file", "File a claim (by an agent or branch staff)");
  auto request = std::make_shared<cl::FileClaimRequest>();
  auto family = std::make_shared<std::vector<std::string>>();
  auto children = std::make_shared<std::vector<std::string>>();
  file->add_option("participant", *request->mutable_participant_id(), "participant id (p_...)")->required();
  file->add_option(
          "--type", *request->mutable_claim_type(),
          "jkm_death, jkk_death, jkk_temporary_incapacity, jkk_medical, scholarship, jkk_total_disability "
          "or jkk_partial_disability")
      ->required();
  file->add_option("--event-date", *request->mutable_event_date(),
                   "date of the death or accident, YYYY-MM-DD");
  file->add_option("--claimant", *request->mutable_claimant()->mutable_name(), "name of the claimant")
      ->required();
  file->add_option("--claimant-nik", *request->mutable_claimant()->mutable_nik(),
                   "the claimant's NIK (kept in the "
                   "claims store only)");
  file->add_option(
      "--relation", *request->mutable_claimant()->mutable_relation(),
      "heir relation: spouse, child, parent, grandchild, grandparent, sibling, parent_in_law, will; "
      "self for the participant's own JKK claims");
  file->add_option("--phone", *request->mutable_claimant()->mutable_phone(), "claimant's phone");
  file->add_option("--family", *family, "family card member relation[:dead][:name], repeatable");
  file->add_option("--agent", *request->mutable_agent_id(), "agent who helps the family");
  file->add_option_function<int>(
      "--months", [request](int v) { request->set_incapacity_months(v); },
      "incapacity months (temporary incapacity)");
  file->add_option_function<std::vector<std::string>>(
      "--body-part",
      [request](const std::vector<std::string>& parts) {
        for (const auto& part : parts) request->add_body_parts(part);
      },
      "body part lost, by the benefit table's code (right_thumb, sight_one_eye, ...), repeatable "
      "(jkk_partial_disability)");
  file->add_option_function<std::int64_t>(
      "--claimed", [request](std::int64_t v) { request->set_claimed_amount(v); },
      "medical costs claimed, rupiah");
  file->add_option("--death-claim", *request->mutable_death_claim_id(), "the paid death claim (scholarship)");
  file->add_option_function<int>(
      "--year", [request](int v) { request->set_scholarship_year(v); }, "school year (scholarship)");
  file->add_option("--child", *children, "name:birth_date:level:school_year, repeatable (scholarship)");
  file->add_option_function<std::int64_t>(
      "--expect", [request](std::int64_t v) { request->set_requested_amount(v); },
      "total the family expects; refused when the rules give another");
  file->add_option("--note", *request->mutable_note(), "note for the history");
  file->add_option("--key", *request->mutable_idempotency_key(), "idempotency key: reuse it to retry safely");
  file->callback([&g, request, family, children] {
    if (request->idempotency_key().empty()) request->set_idempotency_key(new_id("ctl-"));
    for (const auto& f : *family) *request->add_family() = family_member(f);
    for (const auto& c : *children) *request->add_children() = child_of(c);
    g.exit_code = call_and_print<cl::Claim>(
        g, [&](auto& context, auto& reply) { return stub(g)->FileClaim(&context, *request, &reply); },
        print_claim);
  });

  auto* documents = root->add_subcommand("documents", "Tick documents of a claim's checklist as received");
  auto attach = std::make_shared<cl::AttachDocumentsRequest>();
  auto codes = std::make_shared<std::vector<std::string>>();
  documents->add_option("claim", *attach->mutable_claim_id(), "claim id (c_...)")->required();
  documents
      ->add_option(
          "documents", *codes,
          "codes: participant_card ktp_deceased ktp_heir death_certificate family_card heir_certificate "
          "marriage_book ...")
      ->required();
  documents->callback([&g, attach, codes] {
    for (const auto& c : *codes) attach->add_documents(c);
    g.exit_code = call_and_print<cl::Claim>(
        g, [&](auto& context, auto& reply) { return stub(g)->AttachDocuments(&context, *attach, &reply); },
        print_claim);
  });

  auto* verify = root->add_subcommand("verify", "Branch staff checked the documents");
  auto verify_request = std::make_shared<cl::VerifyClaimRequest>();
  verify->add_option("claim", *verify_request->mutable_claim_id(), "claim id")->required();
  verify->add_option_function<std::int64_t>(
      "--amount", [verify_request](std::int64_t v) { verify_request->set_verified_amount(v); },
      "medical costs verified against the receipts (jkk_medical)");
  verify->add_option("--note", *verify_request->mutable_note(), "note for the history");
  on_call<cl::VerifyClaimRequest, cl::Claim>(verify, g, verify_request, &cl::ClaimsService::Stub::VerifyClaim,
                                             print_claim);

  auto* approve = root->add_subcommand("approve", "Approve a verified claim (not by its filer)");
  auto approve_request = std::make_shared<cl::ApproveClaimRequest>();
  approve->add_option("claim", *approve_request->mutable_claim_id(), "claim id")->required();
  approve->add_option("--note", *approve_request->mutable_note(), "note for the history");
  on_call<cl::ApproveClaimRequest, cl::Claim>(approve, g, approve_request,
                                              &cl::ClaimsService::Stub::ApproveClaim, print_claim);

  auto* pay = root->add_subcommand("pay", "Pay an approved claim, once");
  auto pay_request = std::make_shared<cl::PayClaimRequest>();
  pay->add_option("claim", *pay_request->mutable_claim_id(), "claim id")->required();
  pay->add_option("--reference", *pay_request->mutable_reference(), "bank transfer reference");
  pay->add_option("--key", *pay_request->mutable_idempotency_key(), "idempotency key (default: pay-<claim>)");
  pay->callback([&g, pay_request] {
    if (pay_request->idempotency_key().empty())
      pay_request->set_idempotency_key("pay-" + pay_request->claim_id());
    g.exit_code = call_and_print<cl::Claim>(
        g, [&](auto& context, auto& reply) { return stub(g)->PayClaim(&context, *pay_request, &reply); },
        print_claim);
  });

  auto* reject = root->add_subcommand("reject", "Reject a claim with a reason");
  auto reject_request = std::make_shared<cl::RejectClaimRequest>();
  reject->add_option("claim", *reject_request->mutable_claim_id(), "claim id")->required();
  reject->add_option("--reason", *reject_request->mutable_reason(), "why")->required();
  on_call<cl::RejectClaimRequest, cl::Claim>(reject, g, reject_request, &cl::ClaimsService::Stub::RejectClaim,
                                             print_claim);

  auto* get = root->add_subcommand("get", "A claim with its benefit lines, documents and history");
  auto get_request = std::make_shared<cl::GetClaimRequest>();
  get->add_option("claim", *get_request->mutable_claim_id(), "claim id")->required();
  on_call<cl::GetClaimRequest, cl::Claim>(get, g, get_request, &cl::ClaimsService::Stub::GetClaim,
                                          print_claim);

  auto* list = root->add_subcommand("list", "Claims by branch, status and month filed, newest first");
  auto list_request = std::make_shared<cl::ListClaimsRequest>();
  list->add_option("--branch", *list_request->mutable_branch_code(), "branch code");
  list->add_option("--status", *list_request->mutable_status(),
                   "filed, verified, approved, paid or rejected");
  list->add_option("--period", *list_request->mutable_period(), "month filed, YYYY-MM");
  list->add_option_function<int>(
      "--page-size", [list_request](int v) { list_request->set_page_size(v); },
      "claims per page (default 50)");
  list->add_option("--page-token", *list_request->mutable_page_token(), "from the previous page");
  on_call<cl::ListClaimsRequest, cl::ListClaimsResponse>(
      list, g, list_request, &cl::ClaimsService::Stub::ListClaims, [](const cl::ListClaimsResponse& r) {
        fmt::print("{:<34} {:<25} {:<9} {:<10} {:<12} {:>16}\n", "claim", "type", "status", "event", "branch",
                   "total");
        for (const auto& c : r.claims())
          fmt::print("{:<34} {:<25} {:<9} {:<10} {:<12} {:>16}\n", c.claim_id(), c.claim_type(), c.status(),
                     c.event_date(), c.branch_code(), format_rupiah(c.total()));
        if (!r.next_page_token().empty()) fmt::print("next page: --page-token {}\n", r.next_page_token());
      });

  auto* check = root->add_subcommand("check", "Was a participant covered on a date, as claims sees it?");
  auto check_request = std::make_shared<cl::CheckEligibilityRequest>();
  check->add_option("participant", *check_request->mutable_participant_id(), "participant id")->required();
  check->add_option("--date", *check_request->mutable_date(), "YYYY-MM-DD")->required();
  on_call<cl::CheckEligibilityRequest, cl::Eligibility>(
      check, g, check_request, &cl::ClaimsService::Stub::CheckEligibility, [](const cl::Eligibility& e) {
        fmt::print("{} ({}): {}; {} month(s) paid by then\n", e.eligible() ? "eligible" : "NOT eligible",
                   e.state(), e.reason(), e.contribution_months());
      });

  auto* due = root->add_subcommand("scholarships-due", "Children whose yearly scholarship re-claim is due");
  auto due_request = std::make_shared<cl::ListScholarshipsDueRequest>();
  due->add_option_function<int>(
      "--year", [due_request](int v) { due_request->set_year(v); },
      "school year (default: this year by the service's clock)");
  due->add_option("--branch", *due_request->mutable_branch_code(), "branch code");
  on_call<cl::ListScholarshipsDueRequest, cl::ListScholarshipsDueResponse>(
      due, g, due_request, &cl::ClaimsService::Stub::ListScholarshipsDue,
      [](const cl::ListScholarshipsDueResponse& r) {
        fmt::print("{:<34} {:<20} {:<10} {:>4} {:<16} {:>5}\n", "death claim", "child", "born", "age",
                   "last claim", "year");
        for (const auto& d : r.due())
          fmt::print("{:<34} {:<20} {:<10} {:>4} {:<16} {:>5}\n", d.death_claim_id(), d.child_name(),
                     d.birth_date(), d.age(), fmt::format("{} year {}", d.last_level(), d.last_school_year()),
                     d.last_year());
      });
}

}  // namespace jaring::ctl

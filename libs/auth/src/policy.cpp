#include "jaring/auth/policy.hpp"

#include <algorithm>
#include <array>

#include "jaring/store/sqlite.hpp"

namespace jaring::auth {
namespace {

using enum Role;
constexpr Access kOpen = Access::kOpen;
constexpr Access kPersonal = Access::kReadPersonal;
constexpr Access kChange = Access::kChange;

// Every role a person can hold, for reference data and aggregates.
constexpr Roles kAnyone{kAgent,   kBranchOfficer, kApprover, kAreaOfficial, kTreasurer,
                        kSponsor, kAuditor,       kAdmin,    kService};

#define REG "/jaring.registration.v1.RegistrationService/"
#define CON "/jaring.contribution.v1.ContributionService/"
#define CLA "/jaring.claims.v1.ClaimsService/"
#define CSR "/jaring.csr.v1.SponsorService/"
#define COV "/jaring.coverage.v1.CoverageService/"
#define AUD "/jaring.audit.v1.AuditService/"

// The one table. docs/security.md explains it row by row; keep the two in step.
constexpr std::array kPolicies = {
    // registration: participants, the RW registry, agents
    MethodPolicy{REG "CreateRw", {kBranchOfficer, kAdmin}, kChange},
    MethodPolicy{REG "ListRws", kAnyone, kOpen},
    MethodPolicy{REG "UpdateRw", {kAdmin}, kChange},  // RW targets: admin only
    MethodPolicy{REG "ListAreas", kAnyone, kOpen},
    MethodPolicy{REG "Register", {kAgent, kBranchOfficer}, kChange},
    MethodPolicy{REG "RegisterBulk", {kAgent, kBranchOfficer, kAreaOfficial, kService}, kChange},
    MethodPolicy{REG "GetParticipant",
                 {kAgent, kBranchOfficer, kApprover, kAreaOfficial, kAuditor, kAdmin},
                 kPersonal},
    MethodPolicy{REG "FindByNik", {kBranchOfficer, kAdmin}, kPersonal, 30},  // no trawling by NIK
    MethodPolicy{REG "ListParticipants",
                 {kAgent, kBranchOfficer, kApprover, kAreaOfficial, kAuditor, kAdmin},
                 kPersonal},
    MethodPolicy{REG "UpdateParticipant", {kAgent, kBranchOfficer}, kChange},
    MethodPolicy{REG "MoveParticipant", {kAgent, kBranchOfficer}, kChange},
    MethodPolicy{REG "ExitParticipant", {kBranchOfficer}, kChange},
    MethodPolicy{REG "GetParticipantFacts", {kAuditor, kAdmin, kService}, kOpen},  // ids, codes, rupiah
    MethodPolicy{REG "ExportParticipants", {kAuditor, kAdmin, kService}, kOpen},   // ids and codes only
    MethodPolicy{REG "RegisterAgent", {kBranchOfficer, kAdmin}, kChange},
    MethodPolicy{REG "ListAgentRegistrations", {kAgent, kBranchOfficer, kAuditor, kAdmin}, kPersonal},

    // contribution: billing, payments, coverage state, fees
    MethodPolicy{CON "RunBilling", {kAdmin}, kChange},
    MethodPolicy{CON "MakePayment", {kAgent, kBranchOfficer, kTreasurer}, kChange},
    MethodPolicy{CON "MakeBatchPayment", {kBranchOfficer, kTreasurer}, kChange},
    MethodPolicy{CON "ReversePayment", {kBranchOfficer}, kChange},  // by a second person
    MethodPolicy{CON "GetAccount", {kAgent, kBranchOfficer, kApprover, kTreasurer, kAuditor, kAdmin}, kOpen},
    MethodPolicy{
        CON "GetStatement", {kAgent, kBranchOfficer, kApprover, kTreasurer, kAuditor, kAdmin}, kOpen},
    MethodPolicy{CON "ListArrears", {kAgent, kBranchOfficer, kAuditor, kAdmin}, kOpen},
    MethodPolicy{CON "CoverageAt", {kAgent, kBranchOfficer, kApprover, kAuditor, kAdmin, kService}, kOpen},
    MethodPolicy{CON "Quote", kAnyone, kOpen},
    MethodPolicy{CON "GetSettlement", {kAgent, kBranchOfficer, kAuditor, kAdmin}, kOpen},
    MethodPolicy{CON "ExportCoverage", {kAuditor, kAdmin, kService}, kOpen},  // ids and codes only

    // claims: filed > verified > approved > paid, three different people
    MethodPolicy{CLA "FileClaim", {kAgent, kBranchOfficer}, kChange},
    MethodPolicy{CLA "AttachDocuments", {kAgent, kBranchOfficer}, kChange},
    MethodPolicy{CLA "VerifyClaim", {kBranchOfficer}, kChange},
    MethodPolicy{CLA "ApproveClaim", {kApprover}, kChange},
    MethodPolicy{CLA "PayClaim", {kApprover}, kChange},
    MethodPolicy{CLA "RejectClaim", {kBranchOfficer, kApprover}, kChange},
    MethodPolicy{CLA "GetClaim", {kAgent, kBranchOfficer, kApprover, kAuditor, kAdmin}, kPersonal},
    MethodPolicy{CLA "ListClaims", {kAgent, kBranchOfficer, kApprover, kAuditor, kAdmin}, kPersonal},
    MethodPolicy{CLA "ListScholarshipsDue", {kAgent, kBranchOfficer, kApprover, kAuditor, kAdmin}, kPersonal},
    MethodPolicy{CLA "CheckEligibility", {kAgent, kBranchOfficer, kApprover, kAuditor, kAdmin}, kOpen},
    MethodPolicy{CLA "ExportPaidClaims", {kAuditor, kAdmin, kService}, kOpen},  // ids, codes, rupiah

    // csr-donor: sponsors, wallets, cohorts, proposals
    MethodPolicy{CSR "CreateSponsor", {kAdmin}, kChange},
    MethodPolicy{CSR "ListSponsors", {kSponsor, kTreasurer, kAreaOfficial, kAuditor, kAdmin}, kOpen},
    MethodPolicy{CSR "GetSponsor", {kSponsor, kTreasurer, kAreaOfficial, kAuditor, kAdmin}, kOpen},
    MethodPolicy{CSR "Deposit", {kSponsor, kTreasurer}, kChange},
    MethodPolicy{CSR "GetLedger", {kSponsor, kTreasurer, kAuditor, kAdmin}, kOpen},
    MethodPolicy{CSR "QuoteCohort", {kSponsor, kTreasurer, kAdmin}, kOpen},
    MethodPolicy{CSR "CreateCohort", {kSponsor, kTreasurer}, kChange},
    MethodPolicy{CSR "EndCohort", {kSponsor, kTreasurer}, kChange},
    MethodPolicy{CSR "ListCohorts", {kSponsor, kTreasurer, kAreaOfficial, kAuditor, kAdmin}, kOpen},
    MethodPolicy{CSR "GetCohort", {kSponsor, kTreasurer, kAreaOfficial, kAuditor, kAdmin}, kOpen},
    MethodPolicy{CSR "SubmitProposal", {kAreaOfficial}, kChange},
    MethodPolicy{CSR "ListProposals", {kSponsor, kTreasurer, kAreaOfficial, kAuditor, kAdmin}, kOpen},
    MethodPolicy{CSR "GetProposal", {kSponsor, kTreasurer, kAreaOfficial, kAuditor, kAdmin}, kOpen},
    MethodPolicy{CSR "AcceptProposal", {kSponsor, kTreasurer}, kChange},
    MethodPolicy{CSR "RejectProposalItems", {kSponsor, kTreasurer}, kChange},
    MethodPolicy{CSR "GetImpact", {kSponsor, kTreasurer, kAreaOfficial, kAuditor, kAdmin}, kOpen},
    MethodPolicy{CSR "ExportSponsorships", {kAuditor, kAdmin, kService}, kOpen},  // ids and codes only

    // coverage: aggregates only (no personal data), snapshots by admins
    MethodPolicy{COV "GetRwCoverage", kAnyone, kOpen},
    MethodPolicy{COV "ListRwCoverage", kAnyone, kOpen},
    MethodPolicy{COV "GetAreaCoverage", kAnyone, kOpen},
    MethodPolicy{COV "ListBranchCoverage", kAnyone, kOpen},
    MethodPolicy{COV "RankRws", kAnyone, kOpen},
    MethodPolicy{COV "WatchCoverage", kAnyone, kOpen},
    MethodPolicy{COV "CreateSnapshot", {kAdmin}, kChange},
    MethodPolicy{COV "ListSnapshots", kAnyone, kOpen},
    MethodPolicy{COV "GetReport", kAnyone, kOpen},

    // every service: its audit trail, for auditors (ids and codes, no personal data)
    MethodPolicy{AUD "ListAuditRecords", {kAuditor}, kOpen},
};

#undef REG
#undef CON
#undef CLA
#undef CSR
#undef COV
#undef AUD

bool contains(const std::vector<std::string>& list, std::string_view value) {
  return !value.empty() && std::find(list.begin(), list.end(), value) != list.end();
}

void append_unique(std::vector<std::string>& to, const std::vector<std::string>& from) {
  for (const auto& v : from) {
    if (!contains(to, v)) to.push_back(v);
  }
}

}  // namespace

std::span<const MethodPolicy> policies() { return kPolicies; }

const MethodPolicy* find_policy(std::string_view method) {
  const auto it = std::find_if(kPolicies.begin(), kPolicies.end(),
                               [&](const MethodPolicy& p) { return p.method == method; });
  return it == kPolicies.end() ? nullptr : &*it;
}

Scope scope_of(const Identity& identity, const MethodPolicy& policy) {
  Scope scope;
  const auto allowed = [&](Role role) { return identity.has(role) && policy.roles.has(role); };
  if (allowed(kAuditor) || allowed(kAdmin) || allowed(kService)) {
    scope.all = true;
    return scope;
  }
  if (allowed(kBranchOfficer) || allowed(kApprover)) append_unique(scope.branches, identity.branches);
  if (allowed(kAgent) && !identity.agent.empty()) {
    scope.agent = identity.agent;
    scope.agent_branches = identity.branches;
  }
  if (allowed(kAreaOfficial)) append_unique(scope.areas, identity.areas);
  if (allowed(kSponsor) || allowed(kTreasurer)) scope.sponsor = identity.sponsor;
  // NIK and phone are for the people who register and serve workers, not for area officials.
  scope.personal_data = allowed(kAgent) || allowed(kBranchOfficer) || allowed(kApprover);
  return scope;
}

bool Scope::covers(const ScopedRow& row) const {
  if (all) return true;
  if (contains(branches, row.branch)) return true;
  if (!row.area.empty()) {
    for (const auto& prefix : areas) {
      // "31.75" covers 31.75 and 31.75.06..., not 31.751
      if (row.area.starts_with(prefix) &&
          (row.area.size() == prefix.size() || row.area[prefix.size()] == '.'))
        return true;
    }
  }
  if (!agent.empty() && row.agent == agent &&
      (agent_branches.empty() || contains(agent_branches, row.branch)))
    return true;
  return !sponsor.empty() && row.sponsor == sponsor;
}

SqlScope sql_scope(const Scope& scope, const ScopeColumns& columns) {
  if (scope.all) return {"1", {}};
  std::vector<std::string> parts;
  SqlScope out;
  if (!columns.branch.empty() && !scope.branches.empty()) {
    parts.push_back(std::string(columns.branch) + " IN (" + store::placeholders(scope.branches.size()) + ")");
    out.values.insert(out.values.end(), scope.branches.begin(), scope.branches.end());
  }
  if (!columns.area.empty()) {
    for (const auto& prefix : scope.areas) {
      parts.push_back("(" + std::string(columns.area) + " = ? OR substr(" + std::string(columns.area) +
                      ", 1, " + std::to_string(prefix.size() + 1) + ") = ?)");
      out.values.push_back(prefix);
      out.values.push_back(prefix + ".");
    }
  }
  if (!columns.agent.empty() && !scope.agent.empty()) {
    std::string part = std::string(columns.agent) + " = ?";
    out.values.push_back(scope.agent);
    if (!columns.branch.empty() && !scope.agent_branches.empty()) {
      part = "(" + part + " AND " + std::string(columns.branch) + " IN (" +
             store::placeholders(scope.agent_branches.size()) + "))";
      out.values.insert(out.values.end(), scope.agent_branches.begin(), scope.agent_branches.end());
    }
    parts.push_back(part);
  }
  if (!columns.sponsor.empty() && !scope.sponsor.empty()) {
    parts.push_back(std::string(columns.sponsor) + " = ?");
    out.values.push_back(scope.sponsor);
  }
  if (parts.empty()) return {"0", {}};
  for (std::size_t i = 0; i < parts.size(); ++i) out.condition += (i == 0 ? "(" : " OR ") + parts[i];
  out.condition += ")";
  return out;
}

}  // namespace jaring::auth

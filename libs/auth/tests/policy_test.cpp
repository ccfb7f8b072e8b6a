#include "jaring/auth/policy.hpp"

#include <gtest/gtest.h>

#include <set>

#include "jaring/audit/v1/audit.pb.h"
#include "jaring/claims/v1/claims.pb.h"
#include "jaring/contribution/v1/contribution.pb.h"
#include "jaring/coverage/v1/coverage.pb.h"
#include "jaring/csr/v1/csr.pb.h"
#include "jaring/registration/v1/registration.pb.h"

namespace jaring::auth {
namespace {

// Every service of Jaring, found through a message of its proto file.
std::vector<const google::protobuf::ServiceDescriptor*> services() {
  return {registration::v1::RegisterRequest::descriptor()->file()->service(0),
          contribution::v1::PaymentRequest::descriptor()->file()->service(0),
          claims::v1::FileClaimRequest::descriptor()->file()->service(0),
          csr::v1::DepositRequest::descriptor()->file()->service(0),
          coverage::v1::GetRwCoverageRequest::descriptor()->file()->service(0),
          audit::v1::ListAuditRecordsRequest::descriptor()->file()->service(0)};
}

TEST(Policy, EveryMethodOfEveryServiceHasAnEntry) {
  std::set<std::string> methods;
  for (const auto* service : services()) {
    for (int i = 0; i < service->method_count(); ++i) {
      const auto name = "/" + service->full_name() + "/" + service->method(i)->name();
      methods.insert(name);
      const auto* policy = find_policy(name);
      ASSERT_NE(policy, nullptr) << name << " has no entry in the access table (libs/auth/src/policy.cpp)";
      EXPECT_FALSE(policy->roles.empty()) << name;
    }
  }
  // ... and the table names no method that does not exist (a renamed RPC leaves no stale entry).
  for (const auto& policy : policies()) {
    EXPECT_TRUE(methods.contains(std::string(policy.method))) << policy.method << " is not a method";
  }
  EXPECT_EQ(methods.size(), policies().size());
}

TEST(Policy, UnknownMethodsAreDenied) {
  EXPECT_EQ(find_policy("/jaring.registration.v1.RegistrationService/DropEverything"), nullptr);
  EXPECT_EQ(find_policy(""), nullptr);
}

TEST(Policy, TheSensitiveRulesOfTheRolesTable) {
  const auto roles_of = [](const char* method) { return find_policy(method)->roles; };
  EXPECT_EQ(roles_of("/jaring.registration.v1.RegistrationService/FindByNik").str(), "branch-officer,admin");
  EXPECT_EQ(roles_of("/jaring.contribution.v1.ContributionService/RunBilling").str(), "admin");
  EXPECT_EQ(roles_of("/jaring.registration.v1.RegistrationService/UpdateRw").str(), "admin");
  EXPECT_EQ(roles_of("/jaring.coverage.v1.CoverageService/CreateSnapshot").str(), "admin");
  EXPECT_EQ(roles_of("/jaring.claims.v1.ClaimsService/ApproveClaim").str(), "approver");
  EXPECT_EQ(roles_of("/jaring.claims.v1.ClaimsService/VerifyClaim").str(), "branch-officer");
  // An auditor reads and never changes anything.
  for (const auto& p : policies()) {
    if (p.access == Access::kChange) {
      EXPECT_FALSE(p.roles.has(Role::kAuditor)) << p.method;
    }
  }
}

Identity person(std::initializer_list<Role> roles) {
  Identity id;
  id.subject = "someone";
  for (auto r : roles) id.roles.add(r);
  id.branches = {"KC-PULOGEBANG"};
  id.areas = {"31.75.06"};
  id.agent = "a_1";
  id.sponsor = "s_1";
  return id;
}

TEST(Scope, FollowsTheRolesTheMethodAllows) {
  const auto& list = *find_policy("/jaring.registration.v1.RegistrationService/ListParticipants");
  const auto officer = scope_of(person({Role::kBranchOfficer}), list);
  EXPECT_TRUE(officer.covers({"KC-PULOGEBANG", "31.75.06.1005.002", "a_9", ""}));
  EXPECT_FALSE(officer.covers({"KC-CEGER", "31.75.06.1005.002", "a_9", ""}));
  EXPECT_TRUE(officer.personal_data);

  const auto agent = scope_of(person({Role::kAgent}), list);
  EXPECT_TRUE(agent.only_agent());
  EXPECT_TRUE(agent.covers({"KC-PULOGEBANG", "31.75.06.1005.002", "a_1", ""}));
  EXPECT_FALSE(agent.covers({"KC-PULOGEBANG", "31.75.06.1005.002", "a_2", ""}));
  EXPECT_FALSE(agent.covers({"KC-CEGER", "31.75.06.1005.002", "a_1", ""}));

  const auto official = scope_of(person({Role::kAreaOfficial}), list);
  EXPECT_TRUE(official.covers({"KC-CEGER", "31.75.06.1005.002", "", ""}));
  EXPECT_TRUE(official.covers({"KC-CEGER", "31.75.06", "", ""}));
  EXPECT_FALSE(official.covers({"KC-CEGER", "31.75.061", "", ""}));
  EXPECT_FALSE(official.covers({"KC-CEGER", "31.74.06.1005.002", "", ""}));
  EXPECT_FALSE(official.personal_data);

  EXPECT_TRUE(scope_of(person({Role::kAuditor}), list).all);
  // A role the method does not allow adds nothing: a sponsor's id does not open participants.
  const auto sponsor = scope_of(person({Role::kSponsor}), list);
  EXPECT_FALSE(sponsor.all);
  EXPECT_TRUE(sponsor.sponsor.empty());
}

TEST(Scope, AsAnSqlCondition) {
  const auto& list = *find_policy("/jaring.registration.v1.RegistrationService/ListParticipants");
  const ScopeColumns columns{"branch_code", "rw_code", "agent_id", ""};
  EXPECT_EQ(sql_scope(scope_of(person({Role::kAdmin}), list), columns).condition, "1");
  const auto agent = sql_scope(scope_of(person({Role::kAgent}), list), columns);
  EXPECT_EQ(agent.condition, "((agent_id = ? AND branch_code IN (?)))");
  EXPECT_EQ(agent.values, (std::vector<std::string>{"a_1", "KC-PULOGEBANG"}));
  const auto both = sql_scope(scope_of(person({Role::kBranchOfficer, Role::kAreaOfficial}), list), columns);
  EXPECT_EQ(both.condition, "(branch_code IN (?) OR (rw_code = ? OR substr(rw_code, 1, 9) = ?))");
  EXPECT_EQ(both.values, (std::vector<std::string>{"KC-PULOGEBANG", "31.75.06", "31.75.06."}));
  // A sponsor scope on a table without a sponsor column allows nothing.
  const auto& ledger = *find_policy("/jaring.csr.v1.SponsorService/GetLedger");
  EXPECT_EQ(sql_scope(scope_of(person({Role::kSponsor}), ledger), columns).condition, "0");
}

}  // namespace
}  // namespace jaring::auth

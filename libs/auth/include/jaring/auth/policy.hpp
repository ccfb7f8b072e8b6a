#pragma once
// Who may call what: one table for every RPC of every service (DESIGN.md section 6, roles and
// scope), denying by default. A method missing from the table is refused, and a unit test fails
// when a proto method has no entry. Each entry also says whether a call changes state or returns
// personal data: both are written to the audit trail.
//
// The scope of a call follows from the caller's roles that the method allows: an auditor, an
// admin or a service sees everything; a branch officer or an approver the rows of their
// branches; an agent their own registrations in their branch; an area official the rows under
// their area codes, without NIK or phone; a sponsor or treasurer their own sponsor.

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "jaring/auth/identity.hpp"

namespace jaring::auth {

enum class Access : std::uint8_t {
  kOpen,          // aggregates and reference data: any authenticated caller of the roles listed
  kReadPersonal,  // answers carry personal data: every call is audited
  kChange,        // changes state: every call is audited in the change's transaction
};

struct MethodPolicy {
  std::string_view method;  // full gRPC name: /jaring.registration.v1.RegistrationService/Register
  Roles roles;
  Access access;
  int per_minute = 0;  // calls per subject per minute; 0: no limit
};

std::span<const MethodPolicy> policies();
// nullptr for a method the table does not know: the edge refuses it.
const MethodPolicy* find_policy(std::string_view method);

// What a row is, for a scope to judge: any field may be empty when the row has no such thing.
struct ScopedRow {
  std::string_view branch;   // branch office code
  std::string_view area;     // a Kemendagri or RW code (31.75.06.1005.002)
  std::string_view agent;    // agent who registered or collected
  std::string_view sponsor;  // sponsor the row belongs to
};

// The rows a call may see or touch, from the caller's roles that the method allows.
struct Scope {
  bool all = false;
  std::vector<std::string> branches;        // branch-wide (branch officer, approver)
  std::vector<std::string> areas;           // code prefixes (area official)
  std::string agent;                        // own registrations (agent) ...
  std::vector<std::string> agent_branches;  // ... within these branches
  std::string sponsor;                      // own sponsor (sponsor, treasurer)
  bool personal_data = true;                // false: NIK and phone stay hidden (area official)

  // Every row: auditors, admins and services; the cores' own tests and consumers.
  static Scope everything() {
    Scope s;
    s.all = true;
    return s;
  }
  // One kind of scope each, as scope_of builds them (tests of what a role reaches).
  static Scope of_branches(std::vector<std::string> codes) {
    Scope s;
    s.branches = std::move(codes);
    return s;
  }
  static Scope of_agent(std::string agent_id, std::vector<std::string> branch_codes) {
    Scope s;
    s.agent = std::move(agent_id);
    s.agent_branches = std::move(branch_codes);
    return s;
  }
  static Scope of_areas(std::vector<std::string> prefixes) {
    Scope s;
    s.areas = std::move(prefixes);
    s.personal_data = false;
    return s;
  }
  static Scope of_sponsor(std::string sponsor_id) {
    Scope s;
    s.sponsor = std::move(sponsor_id);
    s.personal_data = false;
    return s;
  }
  bool covers(const ScopedRow& row) const;
  // True when the scope limits nothing but an agent's own rows (lists add agent = ?).
  bool only_agent() const {
    return !all && branches.empty() && areas.empty() && sponsor.empty() && !agent.empty();
  }
};

Scope scope_of(const Identity& identity, const MethodPolicy& policy);

// An SQL condition for a scope over a table's columns (empty names: the table has no such
// column), with `?` placeholders and the values to bind in order. "1" when the scope is all,
// "0" when it allows nothing on this table.
struct SqlScope {
  std::string condition;
  std::vector<std::string> values;
};
struct ScopeColumns {
  std::string_view branch;
  std::string_view area;
  std::string_view agent;
  std::string_view sponsor;
};
SqlScope sql_scope(const Scope& scope, const ScopeColumns& columns);

}  // namespace jaring::auth

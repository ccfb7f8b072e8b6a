#pragma once
// Who is calling: the verified claims of a bearer token (DESIGN.md section 6). Roles are the
// closed set of the roles table; a subject is compared only after normalise_subject, so that
// "Budi", " budi " and "BUDI" are one person for maker-checker rules.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "jaring/common/clock.hpp"

namespace jaring::auth {

enum class Role : std::uint8_t {
  kAgent,
  kBranchOfficer,
  kApprover,
  kAreaOfficial,
  kTreasurer,
  kSponsor,
  kAuditor,
  kAdmin,
  kService,  // another Jaring service, acting for a user it names
};
inline constexpr int kRoleCount = 9;

// "branch-officer" for kBranchOfficer: the names tokens and the docs use.
std::string_view role_name(Role role);
std::optional<Role> parse_role(std::string_view name);

// A set of roles as bits, for the policy table.
class Roles {
 public:
  constexpr Roles() = default;
  constexpr Roles(std::initializer_list<Role> roles) {
    for (auto r : roles) bits_ |= bit(r);
  }
  constexpr bool has(Role role) const { return (bits_ & bit(role)) != 0; }
  constexpr bool any_of(Roles other) const { return (bits_ & other.bits_) != 0; }
  constexpr bool empty() const { return bits_ == 0; }
  void add(Role role) { bits_ |= bit(role); }
  std::vector<Role> list() const;
  std::string str() const;  // "agent,branch-officer"

 private:
  static constexpr std::uint16_t bit(Role role) {
    return static_cast<std::uint16_t>(1U << static_cast<int>(role));
  }
  std::uint16_t bits_ = 0;
};

// Trimmed, inner white space folded to one space, ASCII letters lower-cased.
std::string normalise_subject(std::string_view subject);
// One person, whatever the case and spacing of either spelling; an empty subject is nobody.
bool same_subject(std::string_view a, std::string_view b);

struct Identity {
  std::string subject;                // normalised `sub`
  Roles roles;                        // known roles only; others in the token are ignored
  std::vector<std::string> branches;  // branch office codes (KC-...)
  std::vector<std::string> areas;     // Kemendagri code prefixes ("31.75", "31.75.06.1005")
  std::string sponsor;                // sponsor id, for sponsor and treasurer
  std::string agent;                  // agent id, for agent
  TimePoint expires{};
  // Set by the edge when a service (role kService) names the user it acts for.
  std::string acting_for;

  bool has(Role role) const { return roles.has(role); }
  // "svc-csr-donor for siti" or "budi": for history lines and logs.
  std::string who() const { return acting_for.empty() ? subject : subject + " for " + acting_for; }
};

}  // namespace jaring::auth

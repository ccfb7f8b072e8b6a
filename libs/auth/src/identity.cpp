#include "jaring/auth/identity.hpp"

#include <array>
#include <cctype>

namespace jaring::auth {
namespace {

constexpr std::array<std::string_view, kRoleCount> kNames = {"agent",         "branch-officer", "approver",
                                                             "area-official", "treasurer",      "sponsor",
                                                             "auditor",       "admin",          "service"};

}  // namespace

std::string_view role_name(Role role) { return kNames.at(static_cast<std::size_t>(role)); }

std::optional<Role> parse_role(std::string_view name) {
  for (std::size_t i = 0; i < kNames.size(); ++i) {
    if (kNames[i] == name) return static_cast<Role>(i);
  }
  return std::nullopt;
}

std::vector<Role> Roles::list() const {
  std::vector<Role> out;
  for (int i = 0; i < kRoleCount; ++i) {
    if (has(static_cast<Role>(i))) out.push_back(static_cast<Role>(i));
  }
  return out;
}

std::string Roles::str() const {
  std::string out;
  for (auto role : list()) {
    if (!out.empty()) out += ',';
    out += role_name(role);
  }
  return out;
}

std::string normalise_subject(std::string_view subject) {
  std::string out;
  bool space = false;
  for (char c : subject) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isspace(u) != 0) {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += static_cast<char>(std::tolower(u));
  }
  return out;
}

bool same_subject(std::string_view a, std::string_view b) {
  const auto na = normalise_subject(a);
  return !na.empty() && na == normalise_subject(b);
}

}  // namespace jaring::auth

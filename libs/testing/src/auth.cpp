#include "jaring/testing/auth.hpp"

#include "jaring/areas/areas.hpp"

namespace jaring::testing {

std::vector<std::string> jakarta_branches() {
  std::vector<std::string> out;
  for (const auto& b : areas::BranchMap::jakarta().branches()) out.push_back(b.code);
  return out;
}

LocalAuth::LocalAuth()
    : dir_("auth"), authority_(auth::LocalAuthority::open_or_create(dir_.path() / "auth")) {}

auth::VerifierSettings LocalAuth::verifier_settings() const {
  auth::VerifierSettings s;
  s.jwks_file = jwks_file();
  s.issuer = issuer();
  return s;
}

std::string LocalAuth::token(std::string_view role, std::string_view subject, std::string agent,
                             std::string sponsor) const {
  return authority_.token_for(role, subject, jakarta_branches(), {"31"}, std::move(agent),
                              std::move(sponsor));
}

}  // namespace jaring::testing

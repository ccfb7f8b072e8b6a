#pragma once
// Tokens for tests: a local signing key in a temporary folder (auth::LocalAuthority), the
// settings a service or an edge needs to verify its tokens, and tokens for any role.

#include <filesystem>
#include <string>
#include <string_view>

#include "jaring/auth/local.hpp"
#include "jaring/auth/verifier.hpp"
#include "jaring/testing/fixtures.hpp"

namespace jaring::testing {

// Every branch office code of the compiled-in Jakarta mapping: the branches of a test's staff
// who are not testing scope.
std::vector<std::string> jakarta_branches();

class LocalAuth {
 public:
  LocalAuth();
  const auth::LocalAuthority& authority() const { return authority_; }
  std::filesystem::path jwks_file() const { return authority_.jwks_file(); }
  std::string issuer() const { return authority_.issuer(); }
  auth::VerifierSettings verifier_settings() const;
  // A token for `role` over every Jakarta branch and area 31, with the agent or sponsor id the
  // role needs when one is given.
  std::string token(std::string_view role, std::string_view subject = "tester", std::string agent = {},
                    std::string sponsor = {}) const;

 private:
  TempDir dir_;
  auth::LocalAuthority authority_;
};

}  // namespace jaring::testing

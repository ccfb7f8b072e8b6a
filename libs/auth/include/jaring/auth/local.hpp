#pragma once
// A local identity provider for one machine: `make up`, the tests and the benchmarks sign their
// own tokens with a key kept beside the stack (.run/auth), so that a local stack runs the same
// checks as production. Production never uses it: there tokens come from the organisation's
// identity provider and services only hold its JWKS.

#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "jaring/auth/keys.hpp"

namespace jaring::auth {

inline constexpr std::string_view kLocalIssuer = "https://jaring.local/dev";

class LocalAuthority {
 public:
  // The key in `dir` (signing-key.pem and jwks.json, 0600 in a 0700 folder), made when absent.
  static LocalAuthority open_or_create(const std::filesystem::path& dir);
  // Throws std::runtime_error naming the folder when it holds no local key.
  static LocalAuthority open(const std::filesystem::path& dir);

  std::filesystem::path jwks_file() const { return dir_ / "jwks.json"; }
  std::string issuer() const { return std::string(kLocalIssuer); }
  // A token for `claims` (issuer set here), valid from now for claims.ttl.
  std::string token(TokenClaims claims) const;
  // A token for one role, scoped to `branches` and `areas`, with agent and sponsor ids when the
  // role needs them.
  std::string token_for(std::string_view role, std::string_view subject, std::vector<std::string> branches,
                        std::vector<std::string> areas, std::string agent = {}, std::string sponsor = {},
                        std::chrono::seconds ttl = std::chrono::hours(1)) const;
  // Writes a service's own credential (role `service`) to <dir>/<service>.token, 0600.
  std::filesystem::path write_service_token(const std::string& service, std::chrono::seconds ttl) const;

 private:
  LocalAuthority(std::filesystem::path dir, SigningKey key) : dir_(std::move(dir)), key_(std::move(key)) {}
  std::filesystem::path dir_;
  SigningKey key_;
};

}  // namespace jaring::auth

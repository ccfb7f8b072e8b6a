#include "jaring/auth/local.hpp"

#include <fstream>

#include "jaring/common/ids.hpp"

namespace jaring::auth {

LocalAuthority LocalAuthority::open_or_create(const std::filesystem::path& dir) {
  if (!std::filesystem::exists(dir / "signing-key.pem"))
    write_signing_key(dir, generate_key("ES256", new_id("local-")));
  return open(dir);
}

LocalAuthority LocalAuthority::open(const std::filesystem::path& dir) { return {dir, read_signing_key(dir)}; }

std::string LocalAuthority::token(TokenClaims claims) const {
  claims.issuer = issuer();
  return sign_token(claims, key_, std::chrono::system_clock::now());
}

std::string LocalAuthority::token_for(std::string_view role, std::string_view subject,
                                      std::vector<std::string> branches, std::vector<std::string> areas,
                                      std::string agent, std::string sponsor,
                                      std::chrono::seconds ttl) const {
  TokenClaims claims;
  claims.subject = std::string(subject);
  claims.roles = {std::string(role)};
  claims.branches = std::move(branches);
  claims.areas = std::move(areas);
  claims.agent = std::move(agent);
  claims.sponsor = std::move(sponsor);
  claims.ttl = ttl;
  return token(std::move(claims));
}

std::filesystem::path LocalAuthority::write_service_token(const std::string& service,
                                                          std::chrono::seconds ttl) const {
  TokenClaims claims;
  claims.subject = "svc-" + service;
  claims.roles = {"service"};
  claims.ttl = ttl;
  auto path = dir_ / (service + ".token");
  const auto tmp = dir_ / (service + ".token.tmp");
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) throw std::runtime_error("cannot write " + tmp.string());
    std::filesystem::permissions(tmp,
                                 std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    out << token(claims) << "\n";
  }
  std::filesystem::rename(tmp, path);  // a reader never sees half a token
  return path;
}

}  // namespace jaring::auth

#pragma once
// Signing keys and JSON Web Key Sets. Services only read public keys from a JWKS (the identity
// provider's, e.g. Keycloak's certs endpoint saved to a file); a local stack and the tests also
// make a key pair and sign tokens with it, which production never does (its tokens come from the
// identity provider). Key handling is OpenSSL's and signing is libjwt's: nothing hand-rolled.

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "jaring/common/clock.hpp"
#include "jaring/common/result.hpp"

namespace jaring::auth {

// A public key of a JWKS, ready for libjwt: PEM text and the algorithm it may verify.
struct PublicKey {
  std::string kid;
  std::string alg;  // RS256 or ES256: the only algorithms Jaring accepts
  std::string pem;
};

// The keys of a JWKS document by kid. Keys of other types or curves, and keys marked for
// encryption (`use: enc`), are skipped; a document with no usable key is an error.
Result<std::map<std::string, PublicKey>> parse_jwks(const std::string& json_text);

// A key pair made for a local stack or a test.
// clang-tidy 16 cannot see that nlohmann::json's move constructor, which the implicit one calls, is
// noexcept: NOLINTNEXTLINE(bugprone-exception-escape)
struct SigningKey {
  std::string kid;
  std::string alg;          // ES256 (P-256) or RS256 (2048 bits)
  std::string private_pem;  // PKCS#8
  nlohmann::json public_jwk;
};

// Makes a new key pair. Throws std::runtime_error when OpenSSL fails.
SigningKey generate_key(const std::string& alg, const std::string& kid);
// {"keys": [...]} with the public half of each key.
std::string jwks_json(const std::vector<SigningKey>& keys);

// Writes `key` as <dir>/signing-key.pem (0600, with its kid and alg in a header line) and the
// JWKS as <dir>/jwks.json; reads it back. Throws std::runtime_error naming the file.
void write_signing_key(const std::filesystem::path& dir, const SigningKey& key);
SigningKey read_signing_key(const std::filesystem::path& dir);

// What a token says: the claims DESIGN.md section 6 names.
struct TokenClaims {
  std::string issuer;
  std::string subject;
  std::vector<std::string> audience{"jaring"};
  std::vector<std::string> roles;
  std::vector<std::string> branches;
  std::vector<std::string> areas;
  std::string sponsor;
  std::string agent;
  std::chrono::seconds ttl{3600};
  std::chrono::seconds not_before_offset{0};  // nbf = now + offset (tests of nbf)
};

// A signed JWT (header alg and kid from the key). Throws std::runtime_error when signing fails.
std::string sign_token(const TokenClaims& claims, const SigningKey& key, TimePoint now);

// For tests of refusals only: a token whose header says `alg` (none, HS256 ...) signed with
// `secret` as libjwt does for that algorithm.
std::string sign_token_with(const TokenClaims& claims, const std::string& alg, const std::string& secret,
                            const std::string& kid, TimePoint now);

}  // namespace jaring::auth

#pragma once
// Verifies bearer tokens (JWT, RS256 or ES256) against a JWKS file: signature (libjwt on
// OpenSSL, after Jaring itself allow-lists the header's alg, since libjwt 1.10 would verify with
// whatever alg a token names), kid, iss, aud, exp and nbf with a leeway. The file is re-read
// when it changes, and once (at most every `refresh_interval`) when a token names an unknown
// kid, so keys rotate without a restart. Verified tokens are cached until they expire.
//
// A refusal is UNAUTHENTICATED with a message that says which check failed in general terms
// ("token expired", "token signature not valid"), never the token or key material.

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "jaring/auth/identity.hpp"
#include "jaring/auth/keys.hpp"
#include "jaring/common/clock.hpp"
#include "jaring/common/result.hpp"

namespace jaring::auth {

struct VerifierSettings {
  std::filesystem::path jwks_file;                // auth.jwks_file
  std::string issuer;                             // auth.issuer: the exact `iss`
  std::string audience = "jaring";                // auth.audience: must be in `aud`
  std::chrono::seconds leeway{60};                // clock skew allowed on exp and nbf
  std::chrono::seconds refresh_interval{10};      // least time between re-reads forced by an unknown kid
  std::chrono::milliseconds stat_interval{1000};  // how often the file's time and size are looked at
  std::size_t cache_size = 10000;
};

// The token of an `Authorization: Bearer <token>` header (the scheme in any case, RFC 7235), or
// "" when the header holds none: what gRPC metadata and the dashboard's HTTP both carry.
std::string bearer_token(std::string_view header);

class Verifier {
 public:
  // Reads the JWKS; throws std::runtime_error naming the file when it is missing or has no key.
  Verifier(VerifierSettings settings, const Clock& clock);
  ~Verifier();
  Verifier(const Verifier&) = delete;
  Verifier& operator=(const Verifier&) = delete;

  // The identity a compact JWT proves, or UNAUTHENTICATED.
  Result<Identity> verify(std::string_view token);
  // Keys known now (for /readyz bodies and tests).
  std::size_t key_count() const;

 private:
  using KeySet = std::map<std::string, PublicKey>;
  std::shared_ptr<const KeySet> keys_for(const std::string& kid);
  bool reload_if_changed(bool force);
  Result<Identity> verify_uncached(const std::string& token);

  VerifierSettings settings_;
  const Clock& clock_;
  mutable std::mutex mutex_;
  std::shared_ptr<const KeySet> keys_;
  std::filesystem::file_time_type loaded_mtime_{};
  std::uintmax_t loaded_size_ = 0;
  std::chrono::steady_clock::time_point last_check_{};
  std::chrono::steady_clock::time_point last_forced_{};
  std::unordered_map<std::string, Identity> cache_;
};

}  // namespace jaring::auth

#include "jaring/auth/verifier.hpp"

#include <jwt.h>
#include <spdlog/spdlog.h>

#include <cctype>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "jaring/crypto/base64url.hpp"

namespace jaring::auth {
namespace {

constexpr std::size_t kMaxTokenBytes = std::size_t{16} * 1024;

Error refused(const char* reason) { return Error::unauthenticated(reason); }

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read the JWKS file " + path.string());
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::vector<std::string> strings(const nlohmann::json& claims, const char* name) {
  std::vector<std::string> out;
  const auto it = claims.find(name);
  if (it == claims.end()) return out;
  if (it->is_string()) out.push_back(it->get<std::string>());
  if (it->is_array()) {
    for (const auto& v : *it) {
      if (v.is_string()) out.push_back(v.get<std::string>());
    }
  }
  return out;
}

std::optional<std::int64_t> seconds_claim(const nlohmann::json& claims, const char* name) {
  const auto it = claims.find(name);
  if (it == claims.end() || !it->is_number()) return std::nullopt;
  return it->get<std::int64_t>();
}

// A string claim, or "" when absent or of another type (a hostile token may put anything there).
std::string text(const nlohmann::json& object, const char* name) {
  const auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

struct JwtFree {
  void operator()(jwt_t* p) const noexcept { jwt_free(p); }
};

}  // namespace

std::string bearer_token(std::string_view header) {
  constexpr std::string_view kScheme = "bearer ";
  if (header.size() <= kScheme.size()) return {};
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(header[i])) != kScheme[i]) return {};
  }
  auto token = header.substr(kScheme.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  return std::string(token);
}

Verifier::Verifier(VerifierSettings settings, const Clock& clock)
    : settings_(std::move(settings)), clock_(clock) {
  auto keys = parse_jwks(read_text(settings_.jwks_file));
  if (!keys) {
    std::string why;
    for (const auto& v : keys.error().violations) why += " " + v.field + ": " + v.rule + ";";
    throw std::runtime_error("the JWKS file " + settings_.jwks_file.string() + " is not usable:" + why);
  }
  keys_ = std::make_shared<const KeySet>(std::move(*keys));
  std::error_code ec;
  loaded_mtime_ = std::filesystem::last_write_time(settings_.jwks_file, ec);
  loaded_size_ = std::filesystem::file_size(settings_.jwks_file, ec);
  last_check_ = std::chrono::steady_clock::now();
}

Verifier::~Verifier() = default;

std::size_t Verifier::key_count() const {
  std::lock_guard lock(mutex_);
  return keys_->size();
}

// Called with mutex_ held. Re-reads the file when its time or size changed (or when forced by
// an unknown kid); a file caught half-written keeps the keys already known.
bool Verifier::reload_if_changed(bool force) {
  const auto now = std::chrono::steady_clock::now();
  if (!force && now - last_check_ < settings_.stat_interval) return false;
  last_check_ = now;
  std::error_code ec;
  const auto mtime = std::filesystem::last_write_time(settings_.jwks_file, ec);
  const auto size = ec ? 0 : std::filesystem::file_size(settings_.jwks_file, ec);
  if (ec) {
    spdlog::warn("JWKS file {} cannot be read; keeping the {} keys known", settings_.jwks_file.string(),
                 keys_->size());
    return false;
  }
  if (!force && mtime == loaded_mtime_ && size == loaded_size_) return false;
  try {
    auto keys = parse_jwks(read_text(settings_.jwks_file));
    if (!keys) {
      spdlog::warn("JWKS file {} has no usable key; keeping the {} keys known", settings_.jwks_file.string(),
                   keys_->size());
      return false;
    }
    keys_ = std::make_shared<const KeySet>(std::move(*keys));
    loaded_mtime_ = mtime;
    loaded_size_ = size;
    cache_.clear();  // a key taken out of the set takes its tokens with it
    spdlog::info("JWKS reloaded from {}: {} keys", settings_.jwks_file.string(), keys_->size());
    return true;
  } catch (const std::exception& e) {
    spdlog::warn("JWKS reload failed: {}", e.what());
    return false;
  }
}

std::shared_ptr<const Verifier::KeySet> Verifier::keys_for(const std::string& kid) {
  std::lock_guard lock(mutex_);
  reload_if_changed(false);
  if (!keys_->contains(kid)) {
    // An unknown kid: the provider may have rotated. Re-read once for everyone, not per call.
    const auto now = std::chrono::steady_clock::now();
    if (now - last_forced_ >= settings_.refresh_interval) {
      last_forced_ = now;
      reload_if_changed(true);
    }
  }
  return keys_;
}

Result<Identity> Verifier::verify(std::string_view token) {
  if (token.empty()) return fail(refused("no bearer token"));
  if (token.size() > kMaxTokenBytes) return fail(refused("token malformed"));
  const auto now = clock_.now();
  std::string key(token);
  {
    std::lock_guard lock(mutex_);
    reload_if_changed(false);
    if (auto it = cache_.find(key); it != cache_.end()) {
      if (now < it->second.expires + settings_.leeway) return it->second;
      cache_.erase(it);
    }
  }
  auto identity = verify_uncached(key);
  if (identity) {
    std::lock_guard lock(mutex_);
    if (cache_.size() >= settings_.cache_size) cache_.clear();
    cache_.emplace(std::move(key), *identity);
  }
  return identity;
}

Result<Identity> Verifier::verify_uncached(const std::string& token) {
  const auto first = token.find('.');
  const auto second = first == std::string::npos ? first : token.find('.', first + 1);
  if (second == std::string::npos || token.find('.', second + 1) != std::string::npos)
    return fail(refused("token malformed"));
  const auto header_text = crypto::base64url_decode(std::string_view(token).substr(0, first));
  if (!header_text) return fail(refused("token malformed"));
  const auto header = nlohmann::json::parse(*header_text, nullptr, false);
  if (header.is_discarded() || !header.is_object()) return fail(refused("token malformed"));
  // The allow-list comes first: libjwt would verify `none` or HS256 (keyed with our public key).
  const auto alg = text(header, "alg");
  if (alg != "RS256" && alg != "ES256") return fail(refused("token algorithm not accepted"));
  const auto kid = text(header, "kid");
  if (kid.empty()) return fail(refused("token names no key"));
  const auto keys = keys_for(kid);
  const auto found = keys->find(kid);
  if (found == keys->end()) return fail(refused("token signed by an unknown key"));
  if (found->second.alg != alg) return fail(refused("token algorithm does not match its key"));

  jwt_t* raw = nullptr;
  const auto& pem = found->second.pem;
  if (jwt_decode(&raw, token.c_str(), reinterpret_cast<const unsigned char*>(pem.data()),
                 static_cast<int>(pem.size())) != 0 ||
      raw == nullptr) {
    return fail(refused("token signature not valid"));
  }
  std::unique_ptr<jwt_t, JwtFree> jwt(raw);
  if (jwt_str_alg(alg.c_str()) != jwt_get_alg(jwt.get()))
    return fail(refused("token algorithm not accepted"));
  char* grants = jwt_get_grants_json(jwt.get(), nullptr);
  if (grants == nullptr) return fail(refused("token malformed"));
  const auto claims = nlohmann::json::parse(grants, nullptr, false);
  free(grants);  // NOLINT(cppcoreguidelines-no-malloc): libjwt allocates with malloc
  if (claims.is_discarded() || !claims.is_object()) return fail(refused("token malformed"));

  if (text(claims, "iss") != settings_.issuer) return fail(refused("token issuer not accepted"));
  const auto audience = strings(claims, "aud");
  if (std::find(audience.begin(), audience.end(), settings_.audience) == audience.end())
    return fail(refused("token audience not accepted"));
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(clock_.now().time_since_epoch()).count();
  const auto exp = seconds_claim(claims, "exp");
  if (!exp) return fail(refused("token has no expiry"));
  if (*exp + settings_.leeway.count() <= now) return fail(refused("token expired"));
  if (const auto nbf = seconds_claim(claims, "nbf"); nbf && *nbf - settings_.leeway.count() > now)
    return fail(refused("token not valid yet"));

  Identity identity;
  identity.subject = normalise_subject(text(claims, "sub"));
  if (identity.subject.empty()) return fail(refused("token names no subject"));
  for (const auto& name : strings(claims, "roles")) {
    if (const auto role = parse_role(name)) identity.roles.add(*role);
  }
  identity.branches = strings(claims, "branches");
  identity.areas = strings(claims, "areas");
  identity.sponsor = text(claims, "sponsor");
  identity.agent = text(claims, "agent");
  identity.expires = TimePoint(std::chrono::seconds(*exp));
  return identity;
}

}  // namespace jaring::auth

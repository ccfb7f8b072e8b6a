#include "jaring/auth/keys.hpp"

#include <jwt.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

#include "jaring/crypto/base64url.hpp"
#include "jaring/crypto/free_ptr.hpp"

namespace jaring::auth {
namespace {

using crypto::base64url_decode;
using crypto::base64url_encode;

using crypto::FreePtr;
using PkeyPtr = FreePtr<EVP_PKEY, EVP_PKEY_free>;
using PkeyCtxPtr = FreePtr<EVP_PKEY_CTX, EVP_PKEY_CTX_free>;
using BioPtr = FreePtr<BIO, BIO_free_all>;
using BnPtr = FreePtr<BIGNUM, BN_free>;
using ParamBldPtr = FreePtr<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>;
using ParamPtr = FreePtr<OSSL_PARAM, OSSL_PARAM_free>;
using JwtPtr = FreePtr<jwt_t, jwt_free>;

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return {data, static_cast<std::size_t>(n)};
}

std::string public_pem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), key) != 1) return {};
  return bio_text(bio.get());
}

// A public key from OpenSSL parameters (RSA n/e, or an EC group and point).
PkeyPtr from_params(const char* type, OSSL_PARAM_BLD* bld) {
  ParamPtr params(OSSL_PARAM_BLD_to_param(bld));
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* key = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return nullptr;
  }
  return PkeyPtr(key);
}

BnPtr bignum(const std::string& bytes) {
  return BnPtr(BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()),
                         nullptr));
}

std::optional<std::string> field(const nlohmann::json& jwk, const char* name) {
  if (!jwk.contains(name) || !jwk[name].is_string()) return std::nullopt;
  return base64url_decode(jwk[name].get<std::string>());
}

// The PEM of one JWK, or a reason it cannot be used.
Result<PublicKey> to_public_key(const nlohmann::json& jwk) {
  const auto kid = jwk.value("kid", std::string());
  if (kid.empty()) return fail(Error::invalid({{"kid", "every key needs a kid"}}));
  const auto kty = jwk.value("kty", std::string());
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  PkeyPtr key;
  PublicKey out{kid, "", ""};
  if (kty == "RSA") {
    const auto n = field(jwk, "n");
    const auto e = field(jwk, "e");
    if (!n || !e) return fail(Error::invalid({{kid, "RSA key without n and e"}}));
    const auto bn_n = bignum(*n);
    const auto bn_e = bignum(*e);
    if (BN_num_bits(bn_n.get()) < 2048)
      return fail(Error::invalid({{kid, "RSA key shorter than 2048 bits"}}));
    OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get());
    OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get());
    key = from_params("RSA", bld.get());
    out.alg = "RS256";
  } else if (kty == "EC") {
    if (jwk.value("crv", std::string()) != "P-256")
      return fail(Error::invalid({{kid, "EC key not on P-256"}}));
    const auto x = field(jwk, "x");
    const auto y = field(jwk, "y");
    if (!x || !y || x->size() != 32 || y->size() != 32)
      return fail(Error::invalid({{kid, "EC key without 32-byte x and y"}}));
    const std::string point = std::string(1, '\x04') + *x + *y;
    OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0);
    OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size());
    key = from_params("EC", bld.get());
    out.alg = "ES256";
  } else {
    return fail(Error::invalid({{kid, "key type " + kty + " is not RSA or EC"}}));
  }
  if (const auto alg = jwk.value("alg", std::string()); !alg.empty() && alg != out.alg)
    return fail(Error::invalid({{kid, "alg " + alg + " is not " + out.alg}}));
  if (!key) return fail(Error::invalid({{kid, "not a valid public key"}}));
  out.pem = public_pem(key.get());
  if (out.pem.empty()) return fail(Error::invalid({{kid, "not a valid public key"}}));
  return out;
}

std::string bn_bytes(EVP_PKEY* key, const char* param, int pad) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(key, param, &raw) != 1) throw std::runtime_error("cannot read key parameter");
  BnPtr bn(raw);
  std::string out(static_cast<std::size_t>(pad > 0 ? pad : BN_num_bytes(bn.get())), '\0');
  if (pad > 0) {
    BN_bn2binpad(bn.get(), reinterpret_cast<unsigned char*>(out.data()), pad);
  } else {
    BN_bn2bin(bn.get(), reinterpret_cast<unsigned char*>(out.data()));
  }
  return out;
}

nlohmann::json public_jwk(EVP_PKEY* key, const std::string& alg, const std::string& kid) {
  nlohmann::json jwk = {{"kid", kid}, {"alg", alg}, {"use", "sig"}};
  if (alg == "ES256") {
    jwk["kty"] = "EC";
    jwk["crv"] = "P-256";
    jwk["x"] = base64url_encode(bn_bytes(key, OSSL_PKEY_PARAM_EC_PUB_X, 32));
    jwk["y"] = base64url_encode(bn_bytes(key, OSSL_PKEY_PARAM_EC_PUB_Y, 32));
  } else {
    jwk["kty"] = "RSA";
    jwk["n"] = base64url_encode(bn_bytes(key, OSSL_PKEY_PARAM_RSA_N, 0));
    jwk["e"] = base64url_encode(bn_bytes(key, OSSL_PKEY_PARAM_RSA_E, 0));
  }
  return jwk;
}

jwt_alg_t alg_of(const std::string& alg) {
  const auto a = jwt_str_alg(alg.c_str());
  if (a == JWT_ALG_INVAL) throw std::runtime_error("unknown algorithm " + alg);
  return a;
}

nlohmann::json claims_json(const TokenClaims& c, TimePoint now) {
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  nlohmann::json j = {{"iss", c.issuer},
                      {"sub", c.subject},
                      {"iat", seconds},
                      {"nbf", seconds + c.not_before_offset.count()},
                      {"exp", seconds + c.ttl.count()}};
  if (c.audience.size() == 1)
    j["aud"] = c.audience.front();
  else
    j["aud"] = c.audience;
  j["roles"] = c.roles;
  if (!c.branches.empty()) j["branches"] = c.branches;
  if (!c.areas.empty()) j["areas"] = c.areas;
  if (!c.sponsor.empty()) j["sponsor"] = c.sponsor;
  if (!c.agent.empty()) j["agent"] = c.agent;
  return j;
}

std::string encode(const TokenClaims& claims, jwt_alg_t alg, const std::string& secret,
                   const std::string& kid, TimePoint now) {
  jwt_t* raw = nullptr;
  if (jwt_new(&raw) != 0) throw std::runtime_error("jwt_new failed");
  JwtPtr jwt(raw);
  if (jwt_add_grants_json(jwt.get(), claims_json(claims, now).dump().c_str()) != 0)
    throw std::runtime_error("cannot add the token's claims");
  if (!kid.empty()) jwt_add_header(jwt.get(), "kid", kid.c_str());
  const auto* key = secret.empty() ? nullptr : reinterpret_cast<const unsigned char*>(secret.data());
  if (jwt_set_alg(jwt.get(), alg, key, static_cast<int>(secret.size())) != 0)
    throw std::runtime_error("cannot set the token's algorithm");
  char* text = jwt_encode_str(jwt.get());
  if (text == nullptr) throw std::runtime_error("cannot sign the token");
  std::string out(text);
  free(text);  // NOLINT(cppcoreguidelines-no-malloc): libjwt allocates with malloc
  return out;
}

}  // namespace

Result<std::map<std::string, PublicKey>> parse_jwks(const std::string& json_text) {
  const auto doc = nlohmann::json::parse(json_text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("keys") || !doc["keys"].is_array())
    return fail(Error::invalid({{"keys", "a JWKS is a JSON object with a keys array"}}));
  std::map<std::string, PublicKey> keys;
  std::vector<FieldViolation> problems;
  for (const auto& jwk : doc["keys"]) {
    if (!jwk.is_object() || jwk.value("use", std::string("sig")) != "sig") continue;
    Result<PublicKey> key = fail(Error::invalid({{"keys", "a key with a field of the wrong type"}}));
    try {
      key = to_public_key(jwk);
    } catch (const nlohmann::json::exception&) {
      // a kid, kty or crv that is not a string: reported as the key's problem below
    }
    if (!key) {
      for (auto& v : key.error().violations) problems.push_back(std::move(v));
      continue;
    }
    keys.emplace(key->kid, std::move(*key));
  }
  if (keys.empty()) {
    problems.push_back({"keys", "no RS256 or ES256 signing key"});
    return fail(Error::invalid(std::move(problems)));
  }
  return keys;
}

SigningKey generate_key(const std::string& alg, const std::string& kid) {
  PkeyPtr key(alg == "ES256"   ? EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")
              : alg == "RS256" ? EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048))
                               : nullptr);
  if (!key) throw std::runtime_error("cannot make a " + alg + " key");
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1)
    throw std::runtime_error("cannot write the private key");
  return {kid, alg, bio_text(bio.get()), public_jwk(key.get(), alg, kid)};
}

std::string jwks_json(const std::vector<SigningKey>& keys) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& k : keys) list.push_back(k.public_jwk);
  return nlohmann::json{{"keys", list}}.dump(2) + "\n";
}

void write_signing_key(const std::filesystem::path& dir, const SigningKey& key) {
  std::filesystem::create_directories(dir);
  std::filesystem::permissions(dir, std::filesystem::perms::owner_all);
  const auto pem_path = dir / "signing-key.pem";
  {
    std::ofstream out(pem_path, std::ios::trunc);
    if (!out) throw std::runtime_error("cannot write " + pem_path.string());
    std::filesystem::permissions(pem_path,
                                 std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    out << "# kid=" << key.kid << " alg=" << key.alg << "\n" << key.private_pem;
  }
  std::ofstream jwks(dir / "jwks.json", std::ios::trunc);
  if (!jwks) throw std::runtime_error("cannot write " + (dir / "jwks.json").string());
  jwks << jwks_json({key});
}

SigningKey read_signing_key(const std::filesystem::path& dir) {
  const auto path = dir / "signing-key.pem";
  std::ifstream in(path);
  std::string header;
  if (!in || !std::getline(in, header) || header.rfind("# kid=", 0) != 0)
    throw std::runtime_error("no local signing key at " + path.string());
  std::stringstream rest;
  rest << in.rdbuf();
  SigningKey key;
  const auto alg_at = header.find(" alg=");
  key.kid = header.substr(6, alg_at == std::string::npos ? std::string::npos : alg_at - 6);
  key.alg = alg_at == std::string::npos ? "ES256" : header.substr(alg_at + 5);
  key.private_pem = rest.str();
  BioPtr bio(BIO_new_mem_buf(key.private_pem.data(), static_cast<int>(key.private_pem.size())));
  PkeyPtr pkey(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!pkey) throw std::runtime_error("not a private key: " + path.string());
  key.public_jwk = public_jwk(pkey.get(), key.alg, key.kid);
  return key;
}

std::string sign_token(const TokenClaims& claims, const SigningKey& key, TimePoint now) {
  return encode(claims, alg_of(key.alg), key.private_pem, key.kid, now);
}

std::string sign_token_with(const TokenClaims& claims, const std::string& alg, const std::string& secret,
                            const std::string& kid, TimePoint now) {
  return encode(claims, alg_of(alg), secret, kid, now);
}

}  // namespace jaring::auth

#include "jaring/auth/verifier.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "jaring/testing/fixtures.hpp"

namespace jaring::auth {
namespace {

using namespace std::chrono_literals;

class VerifierTest : public ::testing::Test {
 protected:
  VerifierTest() : dir_("verifier"), clock_(std::chrono::sys_days{std::chrono::year{2026} / 11 / 30} + 9h) {
    key_ = generate_key("ES256", "k1");
    write_jwks({key_});
  }

  void write_jwks(const std::vector<SigningKey>& keys) {
    std::ofstream(jwks_path(), std::ios::trunc) << jwks_json(keys);
  }
  std::filesystem::path jwks_path() const { return dir_.path() / "jwks.json"; }

  Verifier make_verifier() {
    VerifierSettings s;
    s.jwks_file = jwks_path();
    s.issuer = "https://sso.example/realms/jaring";
    s.refresh_interval = 0s;
    s.stat_interval = 0ms;
    return Verifier(s, clock_);
  }

  TokenClaims claims() const {
    TokenClaims c;
    c.issuer = "https://sso.example/realms/jaring";
    c.subject = "  Siti   Aminah ";
    c.roles = {"branch-officer", "offline_access"};
    c.branches = {"KC-PULOGEBANG"};
    c.areas = {"31.75.06"};
    return c;
  }

  // The refusal's message for `token`; empty when the token was accepted.
  std::string refusal(Verifier& verifier, const std::string& token) {
    auto identity = verifier.verify(token);
    if (identity) return {};
    EXPECT_EQ(identity.error().code, ErrorCode::kUnauthenticated);
    return identity.error().message;
  }

  testing::TempDir dir_;
  FixedClock clock_;
  SigningKey key_;
};

TEST_F(VerifierTest, AnEs256TokenGivesTheNormalisedIdentity) {
  auto verifier = make_verifier();
  auto identity = verifier.verify(sign_token(claims(), key_, clock_.now()));
  ASSERT_TRUE(identity) << identity.error().message;
  EXPECT_EQ(identity->subject, "siti aminah");
  EXPECT_TRUE(identity->has(Role::kBranchOfficer));
  EXPECT_FALSE(identity->has(Role::kAdmin));
  EXPECT_EQ(identity->roles.str(), "branch-officer");  // offline_access is not a Jaring role
  EXPECT_EQ(identity->branches, std::vector<std::string>{"KC-PULOGEBANG"});
  EXPECT_EQ(identity->areas, std::vector<std::string>{"31.75.06"});
}

TEST_F(VerifierTest, AnRs256TokenIsAccepted) {
  const auto rsa = generate_key("RS256", "r1");
  write_jwks({key_, rsa});
  auto verifier = make_verifier();
  EXPECT_EQ(refusal(verifier, sign_token(claims(), rsa, clock_.now())), "");
}

TEST_F(VerifierTest, EachBrokenTokenIsRefusedWithoutSayingMore) {
  auto verifier = make_verifier();
  const auto now = clock_.now();
  auto expired = claims();
  expired.ttl = -61s;
  auto just_expired_within_leeway = claims();
  just_expired_within_leeway.ttl = -30s;
  auto early = claims();
  early.not_before_offset = 120s;
  auto wrong_audience = claims();
  wrong_audience.audience = {"account"};
  auto several_audiences = claims();
  several_audiences.audience = {"account", "jaring"};
  auto wrong_issuer = claims();
  wrong_issuer.issuer = "https://evil.example";
  auto no_subject = claims();
  no_subject.subject = "   ";

  EXPECT_EQ(refusal(verifier, ""), "no bearer token");
  EXPECT_EQ(refusal(verifier, "not-a-token"), "token malformed");
  EXPECT_EQ(refusal(verifier, "a.b.c.d"), "token malformed");
  EXPECT_EQ(refusal(verifier, "!!!.e30.e30"), "token malformed");
  EXPECT_EQ(refusal(verifier, sign_token(expired, key_, now)), "token expired");
  EXPECT_EQ(refusal(verifier, sign_token(just_expired_within_leeway, key_, now)), "");
  EXPECT_EQ(refusal(verifier, sign_token(early, key_, now)), "token not valid yet");
  EXPECT_EQ(refusal(verifier, sign_token(wrong_audience, key_, now)), "token audience not accepted");
  EXPECT_EQ(refusal(verifier, sign_token(several_audiences, key_, now)), "");
  EXPECT_EQ(refusal(verifier, sign_token(wrong_issuer, key_, now)), "token issuer not accepted");
  EXPECT_EQ(refusal(verifier, sign_token(no_subject, key_, now)), "token names no subject");

  const auto stranger = generate_key("ES256", "k9");
  EXPECT_EQ(refusal(verifier, sign_token(claims(), stranger, now)), "token signed by an unknown key");
  // The same kid as ours, another private key: the signature does not hold.
  const auto impostor = generate_key("ES256", "k1");
  EXPECT_EQ(refusal(verifier, sign_token(claims(), impostor, now)), "token signature not valid");
  // alg none, and HS256 keyed with our public key (the classic confusion attack).
  EXPECT_EQ(refusal(verifier, sign_token_with(claims(), "none", "", "k1", now)),
            "token algorithm not accepted");
  const auto public_pem = parse_jwks(jwks_json({key_}))->at("k1").pem;
  EXPECT_EQ(refusal(verifier, sign_token_with(claims(), "HS256", public_pem, "k1", now)),
            "token algorithm not accepted");
  // An RS256 header on an EC key.
  const auto rsa = generate_key("RS256", "k1");
  EXPECT_EQ(refusal(verifier, sign_token(claims(), rsa, now)), "token algorithm does not match its key");
}

TEST_F(VerifierTest, ACachedTokenStillExpires) {
  auto verifier = make_verifier();
  auto c = claims();
  c.ttl = 300s;
  const auto token = sign_token(c, key_, clock_.now());
  EXPECT_EQ(refusal(verifier, token), "");
  EXPECT_EQ(refusal(verifier, token), "");  // from the cache
  clock_.set(clock_.now() + 300s + 61s);
  EXPECT_EQ(refusal(verifier, token), "token expired");
}

TEST_F(VerifierTest, KeysRotateWithoutARestart) {
  auto verifier = make_verifier();
  const auto old_token = sign_token(claims(), key_, clock_.now());
  EXPECT_EQ(refusal(verifier, old_token), "");
  // The provider adds k2: a token signed with it is accepted once the file has it.
  const auto next = generate_key("ES256", "k2");
  const auto new_token = sign_token(claims(), next, clock_.now());
  EXPECT_EQ(refusal(verifier, new_token), "token signed by an unknown key");
  write_jwks({key_, next});
  EXPECT_EQ(refusal(verifier, new_token), "");
  EXPECT_EQ(verifier.key_count(), 2U);
  // Then k1 is retired: its tokens stop working, cached or not.
  write_jwks({next});
  std::filesystem::last_write_time(jwks_path(), std::filesystem::file_time_type::clock::now() + 1s);
  EXPECT_EQ(refusal(verifier, old_token), "token signed by an unknown key");
  EXPECT_EQ(refusal(verifier, new_token), "");
}

TEST_F(VerifierTest, AHalfWrittenJwksKeepsTheKeysKnown) {
  auto verifier = make_verifier();
  std::ofstream(jwks_path(), std::ios::trunc) << "{\"keys\": [";
  std::filesystem::last_write_time(jwks_path(), std::filesystem::file_time_type::clock::now() + 1s);
  EXPECT_EQ(refusal(verifier, sign_token(claims(), key_, clock_.now())), "");
}

TEST(Jwks, KeysOfOtherKindsAreSkippedAndABrokenFileIsRefused) {
  const auto key = generate_key("ES256", "ok");
  nlohmann::json doc = nlohmann::json::parse(jwks_json({key}));
  doc["keys"].push_back({{"kid", "enc"}, {"kty", "RSA"}, {"use", "enc"}});
  doc["keys"].push_back({{"kid", "oct"}, {"kty", "oct"}, {"k", "c2VjcmV0"}});
  doc["keys"].push_back({{"kid", 7}, {"kty", "EC"}});
  auto keys = parse_jwks(doc.dump());
  ASSERT_TRUE(keys);
  EXPECT_EQ(keys->size(), 1U);
  EXPECT_TRUE(keys->contains("ok"));
  EXPECT_FALSE(parse_jwks("{}"));
  EXPECT_FALSE(parse_jwks("not json"));
  EXPECT_FALSE(parse_jwks(R"({"keys": []})"));
}

TEST(Jwks, ALocalSigningKeyIsWrittenPrivateAndReadBack) {
  testing::TempDir dir("signing-key");
  const auto key = generate_key("ES256", "local-1");
  write_signing_key(dir.path() / "auth", key);
  const auto status = std::filesystem::status(dir.path() / "auth" / "signing-key.pem");
  EXPECT_EQ(status.permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  const auto back = read_signing_key(dir.path() / "auth");
  EXPECT_EQ(back.kid, "local-1");
  EXPECT_EQ(back.public_jwk, key.public_jwk);
  EXPECT_THROW(read_signing_key(dir.path() / "nothing"), std::runtime_error);
}

TEST(Subject, NormalisedForComparison) {
  EXPECT_EQ(normalise_subject("Budi"), "budi");
  EXPECT_EQ(normalise_subject("  BUDI  "), "budi");
  EXPECT_EQ(normalise_subject("budi\t santoso\n"), "budi santoso");
  EXPECT_EQ(normalise_subject(" \t "), "");
}

}  // namespace
}  // namespace jaring::auth

namespace jaring::auth {
namespace {

TEST(BearerToken, TheSchemeInAnyCaseThenTheToken) {
  EXPECT_EQ(bearer_token("Bearer abc.def.ghi"), "abc.def.ghi");
  EXPECT_EQ(bearer_token("bearer  abc"), "abc");
  EXPECT_EQ(bearer_token("BEARER abc"), "abc");
  EXPECT_EQ(bearer_token("Basic c2l0aQ=="), "");
  EXPECT_EQ(bearer_token("Bearer "), "");
  EXPECT_EQ(bearer_token(""), "");
}

}  // namespace
}  // namespace jaring::auth

namespace jaring::auth {
namespace {

TEST(Subject, OnePersonWhateverTheSpellingAndNobodyWhenEmpty) {
  EXPECT_TRUE(same_subject("Budi", " budi "));
  EXPECT_TRUE(same_subject("BUDI\tSANTOSO", "budi santoso"));
  EXPECT_FALSE(same_subject("budi", "budi2"));
  EXPECT_FALSE(same_subject("", ""));
  EXPECT_FALSE(same_subject("  ", " "));
}

}  // namespace
}  // namespace jaring::auth

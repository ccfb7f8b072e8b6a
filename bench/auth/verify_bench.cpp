// What authenticating a call costs: one bearer token verified again and again (what a client
// with one token costs the services: the verification cache answers) beside a new token on every
// call (the signature checked each time), for ES256 and RS256. Compare the cached figure with
// the CPU a single Register costs (jaring-bench's CPU table) to see what the edge adds per call.
#include <CLI/CLI.hpp>
#include <cstdio>

#include <chrono>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "jaring/auth/keys.hpp"
#include "jaring/auth/verifier.hpp"
#include "jaring/testing/fixtures.hpp"

namespace {

using namespace std::chrono_literals;
using Steady = std::chrono::steady_clock;
namespace auth = jaring::auth;

auth::TokenClaims claims(int n) {
  auth::TokenClaims c;
  c.issuer = "https://sso.example/realms/jaring";
  c.subject = fmt::format("officer.{}", n);
  c.roles = {"branch-officer"};
  c.branches = {"KC-PULOGEBANG"};
  c.areas = {"31.75.06"};
  return c;
}

// µs per verify of `tokens`, taken in turn `calls` times; throws when one is refused.
double us_per_verify(auth::Verifier& verifier, const std::vector<std::string>& tokens, int calls) {
  const auto start = Steady::now();
  for (int i = 0; i < calls; ++i) {
    if (!verifier.verify(tokens[static_cast<std::size_t>(i) % tokens.size()]))
      throw std::runtime_error("a bench token was refused");
  }
  return std::chrono::duration<double, std::micro>(Steady::now() - start).count() / calls;
}

}  // namespace

int main(int argc, char** argv) try {
  CLI::App app{"jaring-bench-auth: what verifying a bearer token costs, cached and not"};
  int calls = 200'000;
  app.add_option("--calls", calls, "verifications of the cached token")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  jaring::testing::TempDir dir("bench-auth");
  const jaring::FixedClock clock(std::chrono::sys_days{std::chrono::year{2026} / 12 / 1} + 9h);
  fmt::print("{:<8} {:>22} {:>22}\n", "alg", "cached (µs/verify)", "uncached (µs/verify)");
  for (const std::string alg : {"ES256", "RS256"}) {
    const auto key = auth::generate_key(alg, "bench-" + alg);
    const auto jwks = dir.path() / (alg + ".json");
    std::ofstream(jwks) << auth::jwks_json({key});
    auth::VerifierSettings settings;
    settings.jwks_file = jwks;
    settings.issuer = "https://sso.example/realms/jaring";
    // Distinct tokens beyond the cache's size: every verification checks a signature.
    const int fresh = 2000;
    settings.cache_size = 100;
    auth::Verifier verifier(settings, clock);
    std::vector<std::string> many;
    many.reserve(fresh);
    for (int i = 0; i < fresh; ++i) many.push_back(auth::sign_token(claims(i), key, clock.now()));
    const double uncached = us_per_verify(verifier, many, fresh);
    const std::vector<std::string> one{auth::sign_token(claims(0), key, clock.now())};
    const double cached = us_per_verify(verifier, one, calls);
    fmt::print("{:<8} {:>22.2f} {:>22.1f}\n", alg, cached, uncached);
  }
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "jaring-bench-auth: %s\n", e.what());
  return 1;
}

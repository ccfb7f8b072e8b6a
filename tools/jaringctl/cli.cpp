#include "cli.hpp"

#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "jaring/areas/areas.hpp"
#include "jaring/auth/identity.hpp"

namespace jaring::ctl {
namespace {

// Long enough for one command (an import stream is checked once, when it starts), short enough
// that a token left in a terminal's history is soon worthless.
constexpr std::chrono::seconds kLocalTokenTtl = std::chrono::minutes(15);

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

std::string role_names() {
  std::string out;
  for (int r = 0; r < auth::kRoleCount; ++r)
    out += (r == 0 ? "" : ", ") + std::string(auth::role_name(static_cast<auth::Role>(r)));
  return out;
}

}  // namespace

std::vector<std::string> jakarta_branches() {
  std::vector<std::string> out;
  for (const auto& b : areas::BranchMap::jakarta().branches()) out.push_back(b.code);
  return out;
}

void add_address_flag(CLI::App& app, Globals& g, const std::string& service) {
  app.add_option_function<std::string>(
      "--" + service, [&g, service](const std::string& v) { g.addresses[service] = v; },
      fmt::format("{} gRPC address host:port (overrides the endpoints file)", service));
}

void add_identity_flags(CLI::App& app, Globals& g) {
  app.add_option("--token-file", g.token_file,
                 "file holding the bearer token (JWT) from your identity provider, re-read when it changes; "
                 "else JARING_TOKEN holds the token. Without either, against a local stack (`make up`) "
                 "jaringctl signs a 15-minute token itself with the key named in the endpoints file, for "
                 "the identity below");
  auto& id = g.identity;
  id.user = env("JARING_USER");
  id.role = env("JARING_ROLE");
  if (id.role.empty()) id.role = "admin";
  auto* group = app.add_option_group(
      "local identity",
      "who a locally signed token names (a local stack only; a real token says who you are)");
  g.identity_flags = {
      group->add_option("--user", id.user, "subject of the local token (JARING_USER; default local-<role>)"),
      group->add_option("--role", id.role, "role of the local token: " + role_names() + " (JARING_ROLE)")
          ->capture_default_str(),
      group
          ->add_option("--branch", id.branches,
                       "branch office code the token covers, repeatable (default: every Jakarta branch)")
          ->allow_extra_args(false),
      group->add_option("--area", id.areas, "area code prefix the token covers, repeatable (default: 31)")
          ->allow_extra_args(false),
      group->add_option("--agent", id.agent, "agent id of an agent's token (a_...)"),
      group->add_option("--sponsor", id.sponsor, "sponsor id of a sponsor's or treasurer's token"),
  };
}

nlohmann::json read_endpoints(const Globals& g) {
  std::ifstream in(g.endpoints_file);
  if (!in) return nlohmann::json(nlohmann::json::value_t::discarded);
  return nlohmann::json::parse(in, nullptr, false);
}

std::optional<auth::LocalAuthority> local_authority(const Globals& g) {
  const auto ep = read_endpoints(g);
  if (ep.is_discarded() || !ep.contains("auth") || !ep["auth"].is_object()) return std::nullopt;
  const auto dir = ep["auth"].value("dir", std::string());
  if (dir.empty() || !std::filesystem::exists(std::filesystem::path(dir) / "signing-key.pem"))
    return std::nullopt;
  return auth::LocalAuthority::open(dir);
}

std::string sign_local(const auth::LocalAuthority& authority, const LocalIdentity& id,
                       std::chrono::seconds ttl) {
  if (!auth::parse_role(id.role))
    throw UsageError(fmt::format("unknown role '{}': one of {}", id.role, role_names()));
  return authority.token_for(id.role, id.user.empty() ? "local-" + id.role : id.user,
                             id.branches.empty() ? jakarta_branches() : id.branches,
                             id.areas.empty() ? std::vector<std::string>{"31"} : id.areas, id.agent,
                             id.sponsor, ttl);
}

const jaring::grpc::TokenSource& credentials(const Globals& g) {
  if (g.token) return *g.token;
  const bool local_flags = std::any_of(g.identity_flags.begin(), g.identity_flags.end(),
                                       [](const CLI::Option* o) { return o->count() > 0; });
  const auto given = [&](const char* how) {
    if (local_flags)
      fmt::print(stderr,
                 "jaringctl: {} says who you are; --user, --role, --branch, --area, --agent and --sponsor "
                 "only shape a locally signed token and are ignored\n",
                 how);
  };
  if (!g.token_file.empty()) {
    given("the token of --token-file");
    try {
      g.token = jaring::grpc::TokenSource::file(g.token_file);
    } catch (const std::exception& e) {
      throw UsageError(fmt::format("--token-file: {}", e.what()));
    }
  } else if (const auto token = env("JARING_TOKEN"); !token.empty()) {
    given("the token in JARING_TOKEN");
    g.token = jaring::grpc::TokenSource::fixed(token);
  } else if (const auto authority = local_authority(g)) {
    g.token = jaring::grpc::TokenSource::fixed(sign_local(*authority, g.identity, kLocalTokenTtl));
  } else {
    throw UsageError(fmt::format(
        "no token: every call needs one. Give --token-file FILE, or set JARING_TOKEN, to a bearer token from "
        "your identity provider. (Against a local stack started with `make up`, jaringctl signs its own "
        "token with the key named in the endpoints file, but {} {}.)",
        g.endpoints_file, read_endpoints(g).is_discarded() ? "was not found" : "names no local signing key"));
  }
  return *g.token;
}

void prepare(::grpc::ClientContext& context, const jaring::grpc::TokenSource& token,
             std::chrono::seconds timeout) {
  jaring::grpc::set_deadline(context, timeout);
  jaring::grpc::authorize(context, token);
}

void prepare(::grpc::ClientContext& context, const Globals& g, std::chrono::seconds timeout) {
  prepare(context, credentials(g), timeout.count() > 0 ? timeout : std::chrono::seconds(g.timeout_seconds));
}

std::vector<std::string> known_services(const Globals& g) {
  std::vector<std::string> out;
  if (const auto ep = read_endpoints(g); !ep.is_discarded() && ep.contains("services")) {
    for (const auto& [name, _] : ep["services"].items()) out.push_back(name);
  }
  for (const auto& [name, _] : g.addresses) {
    if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
  }
  return out;
}

std::shared_ptr<::grpc::Channel> channel_to(const Globals& g, const std::string& service) {
  std::string address;
  if (auto it = g.addresses.find(service); it != g.addresses.end()) {
    address = it->second;
  } else {
    const auto ep = read_endpoints(g);
    if (ep.is_discarded() && !std::filesystem::exists(g.endpoints_file)) {
      throw CLI::ValidationError(
          fmt::format("--{}", service),
          fmt::format("no address given and {} not found: start the stack with `make up` "
                      "or pass --{} host:port",
                      g.endpoints_file, service));
    }
    if (ep.is_discarded() || !ep.contains("services") || !ep["services"].contains(service)) {
      throw CLI::ValidationError(fmt::format("--{}", service),
                                 fmt::format("{} has no {} service", g.endpoints_file, service));
    }
    address = ep["services"][service].value("grpc", "");
  }
  auto tls = g.tls;
  if (tls.ca_file.empty()) {
    // A local stack's CA and client certificate, named in its endpoints file.
    const auto ep = read_endpoints(g);
    if (!ep.is_discarded() && ep.contains("tls") && ep["tls"].is_object()) {
      tls.ca_file = ep["tls"].value("ca_file", "");
      if (tls.cert_file.empty()) {
        tls.cert_file = ep["tls"].value("cert_file", "");
        tls.key_file = ep["tls"].value("key_file", "");
      }
    }
  }
  if (const auto broken = jaring::grpc::check(tls); !broken.empty()) {
    const auto flag = broken.front().field == "tls.ca_file"     ? "--tls-ca"
                      : broken.front().field == "tls.cert_file" ? "--tls-cert"
                                                                : "--tls-key";
    throw CLI::ValidationError(flag, broken.front().rule);
  }
  return jaring::grpc::make_channel(address, tls);
}

int report(const ::grpc::Status& status) {
  fmt::print(stderr, "error {}: {}\n", jaring::grpc::status_code_name(status.error_code()),
             status.error_message());
  for (const auto& v : jaring::grpc::field_violations(status))
    fmt::print(stderr, "  {}: {}\n", v.field, v.rule);
  // What a person does next about the two refusals of identity.
  if (status.error_code() == ::grpc::StatusCode::UNAUTHENTICATED) {
    fmt::print(stderr,
               "  the token was refused: check --token-file or JARING_TOKEN (expired? another issuer?)\n");
  } else if (status.error_code() == ::grpc::StatusCode::PERMISSION_DENIED) {
    fmt::print(stderr,
               "  your token does not allow this (its role or scope); on a local stack pick another identity "
               "with --user U --role R\n");
  }
  return 1;
}

void print_json(const google::protobuf::Message& message) {
  std::string out;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.always_print_primitive_fields = true;
  options.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(message, &out, options);
  fmt::print("{}", out);
}

}  // namespace jaring::ctl

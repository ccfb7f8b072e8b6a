#pragma once
// What every jaringctl command shares: global flags, finding a service (a flag, else
// .run/endpoints.json), who calls (a bearer token), one call with a deadline and that token, and
// printing a reply or an error.

#include <google/protobuf/message.h>
#include <grpcpp/grpcpp.h>
#include <CLI/CLI.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "jaring/auth/local.hpp"
#include "jaring/grpc/edge.hpp"
#include "jaring/grpc/server.hpp"
#include "jaring/grpc/tls.hpp"

namespace jaring::ctl {

// Something the user has to give or fix (a token, a key, a flag): jaringctl prints the message
// and exits with 2, before any call is made.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The identity of a token jaringctl signs itself with a local stack's key (--user, --role ...).
struct LocalIdentity {
  std::string user;                   // default JARING_USER, else local-<role>
  std::string role;                   // default JARING_ROLE, else admin
  std::vector<std::string> branches;  // default every Jakarta branch
  std::vector<std::string> areas;     // default "31"
  std::string agent;
  std::string sponsor;
};

struct Globals {
  std::string endpoints_file = ".run/endpoints.json";
  std::map<std::string, std::string> addresses;  // service -> host:port given by flags
  bool json = false;
  int timeout_seconds = 10;
  std::string token_file;  // --token-file; else JARING_TOKEN; else a local token
  // --tls-ca, --tls-cert, --tls-key; else the endpoints file's "tls"; else plaintext.
  jaring::grpc::TlsFiles tls;
  LocalIdentity identity;
  std::vector<CLI::Option*> identity_flags;  // to tell given --user, --role ... from defaults
  int exit_code = 0;
  // The token of every call, found once (credentials()).
  mutable std::optional<jaring::grpc::TokenSource> token;
};

// Adds --token-file and the local identity flags (--user, --role, --branch, --area, --agent,
// --sponsor) to the top-level command.
void add_identity_flags(CLI::App& app, Globals& g);

// The token every call carries: --token-file, else JARING_TOKEN, else one signed for
// g.identity with the local key named by the endpoints file. Throws UsageError saying how to
// give a token when there is none of them.
const jaring::grpc::TokenSource& credentials(const Globals& g);

// The local stack's signing key (auth.dir of the endpoints file), or nullopt when the endpoints
// file names none or the folder holds no key: a real deployment never has one.
std::optional<auth::LocalAuthority> local_authority(const Globals& g);

// Every Jakarta branch code: the default scope of a local token.
std::vector<std::string> jakarta_branches();
// A token for `identity` signed by the local key (defaults filled in). Throws UsageError for an
// unknown role.
std::string sign_local(const auth::LocalAuthority& authority, const LocalIdentity& identity,
                       std::chrono::seconds ttl);

// The one way a call is prepared: its deadline and its bearer token.
void prepare(::grpc::ClientContext& context, const jaring::grpc::TokenSource& token,
             std::chrono::seconds timeout);
// With the caller's token and the --timeout deadline, or `timeout` when given (long streams).
void prepare(::grpc::ClientContext& context, const Globals& g,
             std::chrono::seconds timeout = std::chrono::seconds(0));

// Adds --<service> host:port to the top-level command.
void add_address_flag(CLI::App& app, Globals& g, const std::string& service);

// The endpoints file parsed, or a discarded value when it is missing or not JSON.
nlohmann::json read_endpoints(const Globals& g);

// The services a command can reach: those of the endpoints file and those given by flags.
std::vector<std::string> known_services(const Globals& g);

// A channel to a service: its flag if given, else endpoints.json. Throws CLI::ValidationError
// saying how to fix it when neither knows the service.
std::shared_ptr<::grpc::Channel> channel_to(const Globals& g, const std::string& service);

// Prints a failed call the way a person can act on it: the code, the message, each field.
int report(const ::grpc::Status& status);
void print_json(const google::protobuf::Message& message);

// Makes one call with a deadline; prints the reply as JSON or with `print`, or the error.
// Returns the exit code.
template <typename Reply, typename Call, typename Print>
int call_and_print(const Globals& g, Call&& call, Print&& print) {
  ::grpc::ClientContext context;
  prepare(context, g);
  Reply reply;
  const auto status = call(context, reply);
  if (!status.ok()) return report(status);
  if (g.json) {
    print_json(reply);
  } else {
    print(reply);
  }
  return 0;
}

// Each area of the API adds its commands.
void add_registration_commands(CLI::App& app, Globals& g);
void add_contribution_commands(CLI::App& app, Globals& g);
void add_claims_commands(CLI::App& app, Globals& g);
// jaringctl import participants FILE.csv (registration's bulk stream).
void add_import_command(CLI::App& app, Globals& g);
void add_coverage_commands(CLI::App& app, Globals& g);
// jaringctl report snapshot | list | compare (monitoring and evaluation).
void add_report_commands(CLI::App& app, Globals& g);
// jaringctl csr ... (sponsors, wallets, cohorts, proposals, impact).
void add_csr_commands(CLI::App& app, Globals& g);
// jaringctl dev-token (a token signed by the local key) and jaringctl audit (the audit trail).
void add_identity_commands(CLI::App& app, Globals& g);

}  // namespace jaring::ctl

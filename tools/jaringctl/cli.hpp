#pragma once
// What every jaringctl command shares: global flags, finding a service (a flag, else
// .run/endpoints.json), one call with a deadline, and printing a reply or an error.

#include <google/protobuf/message.h>
#include <grpcpp/grpcpp.h>
#include <CLI/CLI.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <string>

#include "jaring/grpc/server.hpp"

namespace jaring::ctl {

struct Globals {
  std::string endpoints_file = ".run/endpoints.json";
  std::map<std::string, std::string> addresses;  // service -> host:port given by flags
  bool json = false;
  int timeout_seconds = 10;
  jaring::grpc::Caller caller;  // --user / --role, sent with every call
  int exit_code = 0;
};

// Adds --user and --role (defaults from JARING_USER, else $USER, and JARING_ROLE).
void add_caller_flags(CLI::App& app, Globals& g);
// Sets the deadline and the caller on a call.
void prepare(::grpc::ClientContext& context, const Globals& g);

// Adds --<service> host:port to the top-level command.
void add_address_flag(CLI::App& app, Globals& g, const std::string& service);

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

}  // namespace jaring::ctl

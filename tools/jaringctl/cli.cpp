#include "cli.hpp"

#include <google/protobuf/util/json_util.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

#include <fmt/format.h>

namespace jaring::ctl {

void add_address_flag(CLI::App& app, Globals& g, const std::string& service) {
  app.add_option_function<std::string>(
      "--" + service, [&g, service](const std::string& v) { g.addresses[service] = v; },
      fmt::format("{} gRPC address host:port (overrides the endpoints file)", service));
}

void add_caller_flags(CLI::App& app, Globals& g) {
  const auto env = [](const char* name) {
    const char* value = std::getenv(name);
    return value == nullptr ? std::string() : std::string(value);
  };
  g.caller.user = env("JARING_USER");
  if (g.caller.user.empty()) g.caller.user = env("USER");
  g.caller.role = env("JARING_ROLE");
  app.add_option("--user", g.caller.user, "who you are, recorded with what you do (JARING_USER)")
      ->capture_default_str();
  app.add_option("--role", g.caller.role,
                 "your role: agent, branch-officer, approver, sponsor, auditor, admin (JARING_ROLE)")
      ->capture_default_str();
}

void prepare(::grpc::ClientContext& context, const Globals& g) {
  jaring::grpc::set_deadline(context, std::chrono::seconds(g.timeout_seconds));
  jaring::grpc::set_caller(context, g.caller);
}

std::shared_ptr<::grpc::Channel> channel_to(const Globals& g, const std::string& service) {
  std::string address;
  if (auto it = g.addresses.find(service); it != g.addresses.end()) {
    address = it->second;
  } else {
    std::ifstream in(g.endpoints_file);
    if (!in) {
      throw CLI::ValidationError(
          fmt::format("--{}", service),
          fmt::format("no address given and {} not found: start the stack with `make up` "
                      "or pass --{} host:port",
                      g.endpoints_file, service));
    }
    const auto ep = nlohmann::json::parse(in, nullptr, false);
    if (ep.is_discarded() || !ep.contains("services") || !ep["services"].contains(service)) {
      throw CLI::ValidationError(fmt::format("--{}", service),
                                 fmt::format("{} has no {} service", g.endpoints_file, service));
    }
    address = ep["services"][service].value("grpc", "");
  }
  return ::grpc::CreateChannel(address, ::grpc::InsecureChannelCredentials());
}

int report(const ::grpc::Status& status) {
  fmt::print(stderr, "error {}: {}\n", jaring::grpc::status_code_name(status.error_code()),
             status.error_message());
  for (const auto& v : jaring::grpc::field_violations(status))
    fmt::print(stderr, "  {}: {}\n", v.field, v.rule);
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

#include "cli.hpp"

#include <google/protobuf/util/json_util.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include <fmt/format.h>

namespace jaring::ctl {

void add_address_flag(CLI::App& app, Globals& g, const std::string& service) {
  app.add_option_function<std::string>(
      "--" + service, [&g, service](const std::string& v) { g.addresses[service] = v; },
      fmt::format("{} gRPC address host:port (overrides the endpoints file)", service));
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

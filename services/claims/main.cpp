// jaring-claims: wires the SQLite store, the benefit table, registration's GetParticipantFacts
// (the participant of a claim, asked when a claim needs one), the contribution consumer, the
// outbox relay to Kafka and the gRPC API around the claims core. `jaring-claims rekey` re-seals
// the store's personal data under the current keys.
#include <spdlog/spdlog.h>

#include "adapters/event_handler.hpp"
#include "adapters/grpc_service.hpp"
#include "adapters/registry_client.hpp"
#include "adapters/sqlite_store.hpp"
#include "jaring/kafka/kafka.hpp"
#include "jaring/service/service.hpp"

using namespace jaring;

namespace jaring::claims {
extern const char kDefaultBenefits[];
}

namespace {

struct Settings {
  service::CommonSettings common;
  std::string store_path;
  std::string benefits_file;
  std::string registration_address;
  std::chrono::seconds call_timeout{0};
  claims::Settings rules;
  kafka::Settings kafka;
  kafka::ConsumerOptions consumer;
  crypto::Keys keys;
};

// The service and `rekey` read every key, so that one settings file serves both.
Settings read_settings(const config::Source& source) {
  config::Reader reader(source);
  Settings s;
  s.common = service::read_common(reader, 50054, 9104);
  s.store_path = reader.string("store.path", "claims.db");
  s.benefits_file = reader.string("benefits.file", "");
  s.registration_address = reader.string("registration.address", "127.0.0.1:50051");
  s.call_timeout = std::chrono::seconds(reader.integer("calls.timeout_seconds", 10, 1, 600));
  s.rules.arrears_rule =
      reader.choice("claims.arrears_rule", "eligible", {"eligible", "not_eligible"}) == "eligible"
          ? claims::ArrearsRule::kEligible
          : claims::ArrearsRule::kNotEligible;
  s.rules.lapse_after_months = static_cast<int>(reader.integer("claims.lapse_after_months", 3, 1, 24));
  s.kafka = service::read_kafka(reader);
  s.consumer = service::read_consumer(reader, "claims", {{"contribution", "jaring.contribution.v1"}});
  s.keys = service::read_data_keys(reader);
  reader.finish();
  return s;
}

int serve(const Settings& s) {
  const auto benefits = service::load_table<claims::BenefitTable>("benefits.file", s.benefits_file,
                                                                  claims::kDefaultBenefits, "benefits");
  service::Runtime runtime("claims", s.common);
  const Clock& clock = runtime.clock();
  const crypto::Sealer sealer(s.keys);
  service::StoreAndOutbox parts(runtime, s.store_path, claims::SqliteStore::migrations(sealer), s.kafka);
  claims::SqliteStore store(parts.db(), sealer, clock);
  // claims' own credential (auth.token_file) for the calls it makes for its callers.
  claims::RegistryClient registry(service::channel(s.common, s.registration_address), runtime.credentials(),
                                  s.call_timeout);
  claims::Claims core(store, registry, benefits, s.rules, clock);
  claims::GrpcService api(core, runtime.edge(claims::GrpcService::kName));
  claims::EventHandler handler(core, runtime.metrics);
  kafka::Consumer consumer(s.kafka, s.consumer, parts.batched(handler), runtime.metrics);

  runtime.grpc.add_service(&api);
  spdlog::info("benefits: {} schedule(s) from {}; arrears rule {}; participants from registration at {}",
               benefits.schedules().size(),
               s.benefits_file.empty() ? "the compiled-in table" : s.benefits_file,
               s.rules.arrears_rule == claims::ArrearsRule::kEligible ? "eligible" : "not_eligible",
               s.registration_address);
  parts.serve(consumer);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return service::run(
      "claims", argc, argv, [](const config::Source& source) { return serve(read_settings(source)); },
      service::sealed_store_commands<claims::SqliteStore>(read_settings));
}

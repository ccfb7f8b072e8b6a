// jaring-registration: wires the SQLite store, the outbox relay to Kafka, the consumer of what
// claims and csr-donor decide about a participation, and the gRPC API around the registration core.
// `jaring-registration rekey` re-seals the store's personal data under the current keys.
#include <spdlog/spdlog.h>

#include "adapters/event_handler.hpp"
#include "adapters/grpc_service.hpp"
#include "adapters/sqlite_store.hpp"
#include "core/registration.hpp"
#include "jaring/kafka/kafka.hpp"
#include "jaring/service/service.hpp"
#include "jaring/store/outbox.hpp"

using namespace jaring;

namespace {

struct Settings {
  service::CommonSettings common;
  std::string store_path;
  std::string areas_file;
  std::string national_dir;
  std::string branches_file;
  kafka::Settings kafka;
  kafka::ConsumerOptions consumer;
  crypto::Keys keys;
};

// The service and `rekey` read every key, so that one settings file serves both.
Settings read_settings(const config::Source& source) {
  config::Reader reader(source);
  Settings s;
  s.common = service::read_common(reader, 50051, 9101);
  s.store_path = reader.string("store.path", "registration.db");
  s.areas_file = reader.string("areas.file", "");
  s.national_dir = reader.string("areas.national_dir", "");
  s.branches_file = reader.string("branches.file", "");
  s.kafka = service::read_kafka(reader);
  s.consumer = service::read_consumer(reader, "registration",
                                      {{"claims", "jaring.claims.v1"}, {"csr", "jaring.csr.v1"}});
  s.keys = service::read_data_keys(reader);
  reader.finish();
  return s;
}

int serve(const Settings& s) {
  // The Jakarta areas and branches are compiled in; a deployment may load its own.
  const auto or_fail = [](auto loaded, const char* key) {
    if (!loaded) throw config::ConfigError(std::string(key) + ": " + loaded.error().message);
    return std::move(*loaded);
  };
  const auto area_registry =
      s.national_dir.empty()
          ? (s.areas_file.empty() ? areas::Registry::jakarta()
                                  : or_fail(areas::Registry::load_csv(s.areas_file), "areas.file"))
          : or_fail(areas::Registry::load_national(s.national_dir), "areas.national_dir");
  const auto branch_map = s.branches_file.empty()
                              ? areas::BranchMap::jakarta()
                              : or_fail(areas::BranchMap::load_csv(s.branches_file), "branches.file");

  service::Runtime runtime("registration", s.common);
  const Clock& clock = runtime.clock();
  const crypto::Sealer sealer(s.keys);
  service::StoreAndOutbox parts(runtime, s.store_path, registration::SqliteStore::migrations(sealer),
                                s.kafka);
  registration::SqliteStore store(parts.db(), sealer, clock);
  registration::Registration core(store, area_registry, branch_map, clock);
  registration::GrpcService api(core, runtime.edge(registration::GrpcService::kName),
                                [&parts] { return store::outbox_backlog(parts.db()); });
  registration::EventHandler handler(core, runtime.metrics);
  kafka::Consumer consumer(s.kafka, s.consumer, parts.batched(handler), runtime.metrics);

  runtime.grpc.add_service(&api);
  parts.serve(consumer);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return service::run(
      "registration", argc, argv, [](const config::Source& source) { return serve(read_settings(source)); },
      service::sealed_store_commands<registration::SqliteStore>(read_settings));
}

// jaring-registration: wires the SQLite store, the outbox relay to Kafka and the gRPC API
// around the registration core.
#include <spdlog/spdlog.h>

#include "adapters/grpc_service.hpp"
#include "adapters/sqlite_store.hpp"
#include "core/registration.hpp"
#include "jaring/kafka/kafka.hpp"
#include "jaring/service/service.hpp"

using namespace jaring;

int main(int argc, char** argv) {
  return service::run("registration", argc, argv, [](const config::Source& source) {
    config::Reader reader(source);
    const auto common = service::read_common(reader, 50051, 9101);
    const auto store_path = reader.string("store.path", "registration.db");
    const auto areas_file = reader.string("areas.file", "");
    const kafka::Settings kafka_settings{reader.string("kafka.bootstrap_servers", "127.0.0.1:9092"),
                                         reader.map("kafka.properties.")};
    reader.finish();

    areas::Registry loaded_areas;
    if (!areas_file.empty()) {
      auto loaded = areas::Registry::load_csv(areas_file);
      if (!loaded) throw config::ConfigError("areas.file: " + loaded.error().message);
      loaded_areas = std::move(*loaded);
    }
    const auto& areas = areas_file.empty() ? areas::Registry::jakarta() : loaded_areas;

    service::Runtime runtime("registration", common);
    SystemClock clock;
    auto db = store::Database::open(store_path, registration::SqliteStore::migrations());
    kafka::Producer producer(kafka_settings, "jaring-registration", runtime.metrics);
    kafka::OutboxRelay relay(*db, producer, runtime.metrics);
    registration::SqliteStore store(*db, clock, [&relay] { relay.notify(); });
    registration::Registration core(store, areas, clock);
    registration::GrpcService api(core);

    runtime.grpc.add_service(&api);
    relay.start();
    // Ready while the store answers: with Kafka away, registrations still land in the outbox
    // and the relay publishes them later (the backlog metric shows it).
    runtime.start([&db]() -> std::optional<std::string> {
      try {
        db->read([](store::Database& d) { d.exec("SELECT 1"); });
        return std::nullopt;
      } catch (const std::exception& e) {
        return std::string("store: ") + e.what();
      }
    });
    service::wait_for_shutdown();
    runtime.stop();
    relay.stop();
    return 0;
  });
}

// jaring-registration: wires the SQLite store, the outbox relay to Kafka, the consumer of what
// claims and csr-donor decide about a participation, and the gRPC API around the registration core.
#include <spdlog/spdlog.h>

#include "adapters/event_handler.hpp"
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
    const auto national_dir = reader.string("areas.national_dir", "");
    const auto branches_file = reader.string("branches.file", "");
    const auto kafka_settings = service::read_kafka(reader);
    const auto consumer_options = service::read_consumer(
        reader, "registration", {{"claims", "jaring.claims.v1"}, {"csr", "jaring.csr.v1"}});
    reader.finish();

    // The Jakarta areas and branches are compiled in; a deployment may load its own.
    const auto or_fail = [](auto loaded, const char* key) {
      if (!loaded) throw config::ConfigError(std::string(key) + ": " + loaded.error().message);
      return std::move(*loaded);
    };
    const auto area_registry =
        national_dir.empty()
            ? (areas_file.empty() ? areas::Registry::jakarta()
                                  : or_fail(areas::Registry::load_csv(areas_file), "areas.file"))
            : or_fail(areas::Registry::load_national(national_dir), "areas.national_dir");
    const auto branch_map = branches_file.empty()
                                ? areas::BranchMap::jakarta()
                                : or_fail(areas::BranchMap::load_csv(branches_file), "branches.file");

    service::Runtime runtime("registration", common);
    SystemClock clock;
    service::StoreAndOutbox parts(runtime, store_path, registration::SqliteStore::migrations(),
                                  kafka_settings);
    registration::SqliteStore store(parts.db(), clock, parts.committed());
    registration::Registration core(store, area_registry, branch_map, clock);
    registration::GrpcService api(core, runtime.edge(registration::GrpcService::kName));
    registration::EventHandler handler(core, runtime.metrics);
    kafka::Consumer consumer(kafka_settings, consumer_options, parts.batched(handler), runtime.metrics);

    runtime.grpc.add_service(&api);
    parts.serve(consumer);
    return 0;
  });
}

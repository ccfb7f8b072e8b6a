// jaring-claims: wires the SQLite store, the benefit table, the registration and contribution
// consumers, the outbox relay to Kafka and the gRPC API around the claims core.
#include <spdlog/spdlog.h>

#include "adapters/event_handler.hpp"
#include "adapters/grpc_service.hpp"
#include "adapters/sqlite_store.hpp"
#include "jaring/kafka/kafka.hpp"
#include "jaring/service/service.hpp"

using namespace jaring;

namespace jaring::claims {
extern const char kDefaultBenefits[];
}

int main(int argc, char** argv) {
  return service::run("claims", argc, argv, [](const config::Source& source) {
    config::Reader reader(source);
    const auto common = service::read_common(reader, 50054, 9104);
    const auto store_path = reader.string("store.path", "claims.db");
    const auto benefits_file = reader.string("benefits.file", "");
    claims::Settings settings;
    settings.arrears_rule =
        reader.choice("claims.arrears_rule", "eligible", {"eligible", "not_eligible"}) == "eligible"
            ? claims::ArrearsRule::kEligible
            : claims::ArrearsRule::kNotEligible;
    settings.lapse_after_months = static_cast<int>(reader.integer("claims.lapse_after_months", 3, 1, 24));
    const auto kafka_settings = service::read_kafka(reader);
    const auto consumer_options = service::read_consumer(
        reader, "claims",
        {{"registration", "jaring.registration.v1"}, {"contribution", "jaring.contribution.v1"}});
    reader.finish();
    const auto benefits = service::load_table<claims::BenefitTable>("benefits.file", benefits_file,
                                                                    claims::kDefaultBenefits, "benefits");

    service::Runtime runtime("claims", common);
    SystemClock clock;
    service::StoreAndOutbox parts(runtime, store_path, claims::SqliteStore::migrations(), kafka_settings);
    claims::SqliteStore store(parts.db(), clock, parts.committed());
    claims::Claims core(store, benefits, settings, clock);
    claims::GrpcService api(core, runtime.edge(claims::GrpcService::kName));
    claims::EventHandler handler(core, runtime.metrics);
    kafka::Consumer consumer(kafka_settings, consumer_options, parts.batched(handler), runtime.metrics);

    runtime.grpc.add_service(&api);
    spdlog::info("benefits: {} schedule(s) from {}; arrears rule {}", benefits.schedules().size(),
                 benefits_file.empty() ? "the compiled-in table" : benefits_file,
                 settings.arrears_rule == claims::ArrearsRule::kEligible ? "eligible" : "not_eligible");
    parts.serve(consumer);
    return 0;
  });
}

// jaring-contribution: wires the SQLite store, the tariffs, the registration and csr consumers,
// the outbox relay to Kafka and the gRPC API around the contribution core.
#include <spdlog/spdlog.h>

#include "adapters/event_handler.hpp"
#include "adapters/grpc_service.hpp"
#include "adapters/sqlite_store.hpp"
#include "jaring/kafka/kafka.hpp"
#include "jaring/service/periodic.hpp"
#include "jaring/service/service.hpp"
#include "jaring/store/consumer_offsets.hpp"

using namespace jaring;

namespace jaring::contribution {
extern const char kDefaultTariffs[];
}

int main(int argc, char** argv) {
  const auto commands = service::store_commands(
      service::plain_store("contribution.db", &contribution::SqliteStore::migrations));
  return service::run("contribution", argc, argv, commands, [](const config::Source& source) {
    config::Reader reader(source);
    const auto common = service::read_common(reader, 50053, 9103);
    const auto store_path = reader.string("store.path", "contribution.db");
    const auto tariffs_file = reader.string("tariffs.file", "");
    contribution::Settings settings;
    settings.reactivation =
        reader.choice("contribution.reactivation", "pay_all", {"pay_all", "pay_current"}) == "pay_current"
            ? contribution::Reactivation::kPayCurrent
            : contribution::Reactivation::kPayAll;
    settings.lapse_after_months =
        static_cast<int>(reader.integer("contribution.lapse_after_months", 3, 1, 24));
    settings.agent_fee_bp = static_cast<int>(reader.integer("fees.agent_rate_bp", 750, 0, 10000));
    settings.organisation_share_bp =
        static_cast<int>(reader.integer("fees.organisation_share_bp", 1000, 0, 10000));
    settings.bonus_new_participants =
        static_cast<int>(reader.integer("fees.bonus_new_participants", 50, 1, 100000));
    settings.bonus_amount = reader.integer("fees.bonus_amount", 500000, 0, 1'000'000'000);
    const auto calendar_interval =
        std::chrono::seconds(reader.integer("calendar.interval_seconds", 60, 1, 86400));
    const auto kafka_settings = service::read_kafka(reader);
    const auto consumer_options = service::read_consumer(
        reader, "contribution", {{"registration", "jaring.registration.v1"}, {"csr", "jaring.csr.v1"}});
    reader.finish();
    const auto tariffs = service::load_table<contribution::TariffTable>(
        "tariffs.file", tariffs_file, contribution::kDefaultTariffs, "tariffs");

    service::Runtime runtime("contribution", common);
    const Clock& clock = runtime.clock();
    service::StoreAndOutbox parts(runtime, store_path, contribution::SqliteStore::migrations(),
                                  kafka_settings);
    contribution::SqliteStore store(parts.db(), clock);
    contribution::Contribution core(store, tariffs, settings, clock);
    contribution::GrpcService api(core, runtime.edge(contribution::GrpcService::kName), [&parts] {
      return parts.db().read([](store::Database& db) { return store::consumer_positions_text(db); });
    });
    contribution::EventHandler handler(core, runtime.metrics);
    kafka::Consumer consumer(kafka_settings, consumer_options, parts.batched(handler), runtime.metrics);

    // The calendar: each month billed at its start (and the months missed while down), by the
    // business clock; RunBilling stays for an administrator's catch-up.
    service::PeriodicTask calendar("billing calendar", calendar_interval, [&core] {
      auto runs = core.bill_due();
      if (!runs) {
        spdlog::warn("billing calendar: {}", runs.error().message);
        return;
      }
      for (const auto& run : *runs)
        spdlog::info("billing calendar: billed {} ({} dues, Rp{})", run.period, run.accounts_billed,
                     run.amount_billed);
    });

    runtime.grpc.add_service(&api);
    spdlog::info("tariffs: {} schedule(s) from {}", tariffs.schedules().size(),
                 tariffs_file.empty() ? "the compiled-in table" : tariffs_file);
    calendar.start();
    parts.serve(consumer);
    calendar.stop();
    return 0;
  });
}

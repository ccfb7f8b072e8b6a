// jaring-csr-donor: wires the SQLite store, the contribution tariffs (Quote) and registration
// (RegisterBulk) clients, the registration, contribution and claims consumers, the outbox relay
// to Kafka, the cohort clock and the gRPC API around the csr-donor core.
#include <grpcpp/grpcpp.h>
#include <spdlog/spdlog.h>

#include <limits>

#include "adapters/event_handler.hpp"
#include "adapters/grpc_service.hpp"
#include "adapters/remote.hpp"
#include "adapters/sqlite_store.hpp"
#include "jaring/kafka/kafka.hpp"
#include "jaring/service/periodic.hpp"
#include "jaring/service/service.hpp"

using namespace jaring;

int main(int argc, char** argv) {
  const auto commands =
      service::store_commands(service::plain_store("csr-donor.db", &csr::SqliteStore::migrations));
  return service::run("csr-donor", argc, argv, commands, [](const config::Source& source) {
    config::Reader reader(source);
    const auto common = service::read_common(reader, 50055, 9105);
    const auto store_path = reader.string("store.path", "csr-donor.db");
    const auto registration_address = reader.string("registration.address", "127.0.0.1:50051");
    const auto contribution_address = reader.string("contribution.address", "127.0.0.1:50053");
    const auto call_timeout = std::chrono::seconds(reader.integer("calls.timeout_seconds", 30, 1, 600));
    csr::Settings settings;
    settings.low_balance_months = static_cast<int>(reader.integer("alerts.low_balance_months", 2, 0, 120));
    settings.max_deposit = reader.integer("wallet.max_deposit", settings.max_deposit, 1,
                                          std::numeric_limits<std::int64_t>::max());
    const auto cohort_check =
        std::chrono::seconds(reader.integer("cohorts.check_interval_seconds", 60, 1, 86400));
    const auto kafka_settings = service::read_kafka(reader);
    const auto consumer_options = service::read_consumer(reader, "csr-donor",
                                                         {{"registration", "jaring.registration.v1"},
                                                          {"contribution", "jaring.contribution.v1"},
                                                          {"claims", "jaring.claims.v1"}});
    reader.finish();

    service::Runtime runtime("csr-donor", common);
    const Clock& clock = runtime.clock();
    service::StoreAndOutbox parts(runtime, store_path, csr::SqliteStore::migrations(), kafka_settings);
    csr::SqliteStore store(parts.db(), clock);
    // csr-donor's own credential (auth.token_file) for the calls it makes for its callers.
    const auto credentials = runtime.credentials();
    csr::ContributionTariffs tariffs(service::channel(common, contribution_address), credentials,
                                     call_timeout);
    csr::RegistrationClient registrar(service::channel(common, registration_address), credentials,
                                      call_timeout);
    csr::CsrDonor core(store, tariffs, registrar, settings, clock);
    csr::GrpcService api(core, runtime.edge(csr::GrpcService::kName));
    csr::EventHandler handler(core.projections(), runtime.metrics);
    kafka::Consumer consumer(kafka_settings, consumer_options, parts.batched(handler), runtime.metrics);
    // Ends cohorts whose months ran out, by the business clock.
    service::PeriodicTask cohorts("closing completed cohorts", cohort_check, [&core] {
      if (auto closed = core.cohorts().close_completed(); !closed) {
        spdlog::warn("closing completed cohorts: {}", closed.error().message);
      } else if (*closed > 0) {
        spdlog::info("{} cohort(s) completed", *closed);
      }
    });

    runtime.grpc.add_service(&api);
    spdlog::info("low-balance alert below {} month(s) of cover; tariffs from contribution at {}",
                 settings.low_balance_months, contribution_address);
    cohorts.start();
    parts.serve(consumer);
    cohorts.stop();
    return 0;
  });
}

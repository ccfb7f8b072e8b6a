// jaring-contribution: wires the SQLite store, the tariffs, the registration and csr consumers,
// the outbox relay to Kafka and the gRPC API around the contribution core.
#include <spdlog/spdlog.h>

#include <fstream>
#include <sstream>

#include "adapters/event_handler.hpp"
#include "adapters/grpc_service.hpp"
#include "adapters/sqlite_store.hpp"
#include "jaring/kafka/kafka.hpp"
#include "jaring/service/service.hpp"

using namespace jaring;

namespace jaring::contribution {
extern const char kDefaultTariffs[];
}

namespace {

contribution::TariffTable load_tariffs(const std::string& file) {
  std::string text = contribution::kDefaultTariffs;
  if (!file.empty()) {
    std::ifstream in(file);
    if (!in) throw config::ConfigError("tariffs.file: cannot read " + file);
    std::stringstream buffer;
    buffer << in.rdbuf();
    text = buffer.str();
  }
  auto table = contribution::TariffTable::parse(text, file.empty() ? "tariffs (compiled in)" : file);
  if (!table) {
    std::string message = "tariffs.file:";
    for (const auto& v : table.error().violations) message += " " + v.field + ": " + v.rule;
    throw config::ConfigError(message);
  }
  return std::move(*table);
}

}  // namespace

int main(int argc, char** argv) {
  return service::run("contribution", argc, argv, [](const config::Source& source) {
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
    const kafka::Settings kafka_settings{reader.string("kafka.bootstrap_servers", "127.0.0.1:9092"),
                                         reader.map("kafka.properties.")};
    kafka::ConsumerOptions consumer_options;
    consumer_options.group_id = reader.string("kafka.group_id", "jaring-contribution");
    consumer_options.topics = {reader.string("kafka.topics.registration", "jaring.registration.v1"),
                               reader.string("kafka.topics.csr", "jaring.csr.v1")};
    consumer_options.session_timeout_ms =
        static_cast<int>(reader.integer("kafka.session_timeout_ms", 6000, 3000, 300000));
    reader.finish();
    const auto tariffs = load_tariffs(tariffs_file);

    service::Runtime runtime("contribution", common);
    SystemClock clock;
    auto db = store::Database::open(store_path, contribution::SqliteStore::migrations());
    kafka::Producer producer(kafka_settings, "jaring-contribution", runtime.metrics);
    kafka::OutboxRelay relay(*db, producer, runtime.metrics);
    contribution::SqliteStore store(*db, clock, [&relay] { relay.notify(); });
    contribution::Contribution core(store, tariffs, settings, clock);
    contribution::GrpcService api(core);
    contribution::EventHandler handler(core, runtime.metrics);
    kafka::Consumer consumer(kafka_settings, consumer_options, handler, runtime.metrics);

    runtime.grpc.add_service(&api);
    relay.start();
    consumer.start();
    // Ready while the store answers: payments and billing land in the outbox even with Kafka away.
    runtime.start([&db]() -> std::optional<std::string> {
      try {
        db->read([](store::Database& d) { d.exec("SELECT 1"); });
        return std::nullopt;
      } catch (const std::exception& e) {
        return std::string("store: ") + e.what();
      }
    });
    spdlog::info("tariffs: {} schedule(s) from {}", tariffs.schedules().size(),
                 tariffs_file.empty() ? "the compiled-in table" : tariffs_file);
    service::wait_for_shutdown();
    runtime.stop();
    consumer.stop();
    relay.stop();
    return 0;
  });
}

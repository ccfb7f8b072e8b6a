// jaring-coverage: consumes the owners' topics into per-RW counters in Redis, and serves them
// over gRPC and the dashboard.
#include <spdlog/spdlog.h>

#include "adapters/dashboard.hpp"
#include "adapters/event_handler.hpp"
#include "adapters/grpc_service.hpp"
#include "adapters/redis_counters.hpp"
#include "jaring/kafka/kafka.hpp"
#include "jaring/service/service.hpp"

using namespace jaring;

int main(int argc, char** argv) {
  return service::run("coverage", argc, argv, [](const config::Source& source) {
    config::Reader reader(source);
    const auto common = service::read_common(reader, 50052, 9102);
    const auto dashboard_listen = reader.host_port("dashboard.listen", "127.0.0.1:8080");
    const auto redis_address = reader.host_port("redis.address", "127.0.0.1:6379");
    const auto redis_prefix = reader.string("redis.prefix", "jaring:cov:");
    const auto dedupe_ttl = reader.integer("coverage.dedupe_ttl_seconds", 86400, 60, 30 * 86400);
    const kafka::Settings kafka_settings{reader.string("kafka.bootstrap_servers", "127.0.0.1:9092"),
                                         reader.map("kafka.properties.")};
    kafka::ConsumerOptions consumer_options;
    consumer_options.group_id = reader.string("kafka.group_id", "jaring-coverage");
    consumer_options.topics = {reader.string("kafka.topics.registration", "jaring.registration.v1")};
    consumer_options.max_batch = static_cast<int>(reader.integer("coverage.max_batch", 2000, 1, 50000));
    consumer_options.session_timeout_ms =
        static_cast<int>(reader.integer("kafka.session_timeout_ms", 6000, 3000, 300000));
    reader.finish();

    service::Runtime runtime("coverage", common);
    redis::Client writer(redis_address.host, redis_address.port);
    redis::Client readers(redis_address.host, redis_address.port);
    coverage::RedisCounters counters(writer, redis_prefix, std::chrono::seconds(dedupe_ttl));
    coverage::RedisCounters read_side(readers, redis_prefix, std::chrono::seconds(dedupe_ttl));
    coverage::Queries queries(read_side, areas::Registry::jakarta());
    coverage::EventHandler handler(counters, runtime.metrics);
    kafka::Consumer consumer(kafka_settings, consumer_options, handler, runtime.metrics);
    coverage::GrpcService api(queries);
    coverage::Dashboard dashboard(queries);

    runtime.grpc.add_service(&api);
    consumer.start();
    dashboard.start(dashboard_listen.host, dashboard_listen.port);
    // Ready while Redis answers: the queries and the dashboard need nothing else. A replica
    // without partitions (more replicas than partitions) still serves reads.
    runtime.start([&readers]() -> std::optional<std::string> {
      if (!readers.ping()) return "Redis is not reachable";
      return std::nullopt;
    });
    spdlog::info("dashboard on http://{}:{}/", dashboard_listen.host, dashboard.port());
    service::wait_for_shutdown();
    runtime.stop();
    dashboard.stop();
    consumer.stop();
    return 0;
  });
}

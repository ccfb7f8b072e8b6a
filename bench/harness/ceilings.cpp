#include "ceilings.hpp"

#include "in_flight.hpp"

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <span>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "jaring/grpc/server.hpp"
#include "jaring/kafka/kafka.hpp"
#include "jaring/metrics/metrics.hpp"
#include "jaring/redis/redis.hpp"
#include "jaring/store/sqlite.hpp"

namespace jaring::bench {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

Ceiling sqlite_inserts(int rows) {
  const auto path =
      std::filesystem::temp_directory_path() / fmt::format("jaring-bench-sqlite-{}.db", ::getpid());
  double rate = 0;
  {
    auto db = store::Database::open(
        path.string(),
        {{1,
          "CREATE TABLE t (id TEXT PRIMARY KEY, rw TEXT NOT NULL, body TEXT NOT NULL) WITHOUT ROWID;"
          "CREATE INDEX t_rw ON t(rw);"}});
    const std::string body(160, 'x');  // about a participant row
    const auto start = Clock::now();
    for (int from = 0; from < rows; from += 1000) {
      auto ok = db->write([&](store::Transaction& tx) -> Result<void> {
        auto insert = tx.prepare("INSERT INTO t (id, rw, body) VALUES (?, ?, ?)");
        for (int i = from; i < std::min(rows, from + 1000); ++i) {
          insert.bind(1, fmt::format("p_{:012d}", i))
              .bind(2, fmt::format("31.75.06.1005.{:03d}", i % 200))
              .bind(3, body);
          insert.run();
        }
        return {};
      });
      (void)ok;
    }
    rate = rows / seconds_since(start);
  }
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path.string() + suffix);
  return {"SQLite inserts (WAL, 1,000 per transaction)", rate, "rows/s"};
}

Ceiling kafka_produce(const std::string& bootstrap, int messages) {
  metrics::Registry registry("bench");
  kafka::Producer producer({bootstrap, {}}, "jaring-bench", registry);
  const std::string payload(120, 'e');  // about an event envelope
  std::vector<kafka::Message> all;
  all.reserve(static_cast<std::size_t>(messages));
  for (int i = 0; i < messages; ++i) all.push_back({"jaring.bench.v1", fmt::format("p_{}", i), payload, {}});
  // Pipelined, as the outbox relay hands its rows: everything is handed to librdkafka as fast as
  // its queue takes it, and the acknowledgements are counted as they come.
  std::atomic<std::size_t> acked{0};
  const kafka::DeliveryReport report = [&acked](std::size_t, kafka::Delivery outcome, const std::string&) {
    if (outcome == kafka::Delivery::kAcknowledged) ++acked;
  };
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::seconds(60);
  std::span<const kafka::Message> rest(all);
  while (!rest.empty() && Clock::now() < deadline) {
    const auto taken = producer.send(rest, report);
    rest = rest.subspan(taken);
    if (taken == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));  // the queue is full
  }
  while (producer.held() > 0 && Clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return {"Kafka produce to jaring-devkafka (pipelined, acknowledged)",
          static_cast<double>(acked.load()) / seconds_since(start), "messages/s"};
}

Ceiling redis_hincrby(const std::string& host, int port, const std::string& password, int commands) {
  redis::Client client(host, port, {.password = password});
  std::vector<redis::Command> pipeline;
  const auto start = Clock::now();
  for (int i = 0; i < commands; ++i) {
    pipeline.push_back({"HINCRBY", fmt::format("jaring:bench:rw:{}", i % 200), "registered", "1"});
    if (pipeline.size() == 1000 || i + 1 == commands) {
      (void)client.pipeline(pipeline);
      pipeline.clear();
    }
  }
  return {"Redis HINCRBY (pipelined by 1,000)", commands / seconds_since(start), "commands/s"};
}

Ceiling grpc_unary(int in_flight, int calls) {
  metrics::Registry registry("bench");
  grpc::Server server(registry);
  server.start("127.0.0.1:0");
  auto channel =
      ::grpc::CreateChannel(fmt::format("127.0.0.1:{}", server.port()), ::grpc::InsecureChannelCredentials());
  ::grpc::GenericStub stub(channel);
  ::grpc::Slice empty(std::string{});
  const ::grpc::ByteBuffer request(&empty, 1);
  int failed = 0;
  const auto start = Clock::now();
  // The same client as the single-call phase's, through the generic stub.
  call_in_flight<::grpc::ByteBuffer>(
      static_cast<std::size_t>(calls), in_flight,
      [&](std::size_t /*i*/, ::grpc::ClientContext& context, ::grpc::CompletionQueue& cq) {
        grpc::set_deadline(context, std::chrono::seconds(5));
        return stub.PrepareUnaryCall(&context, "/grpc.health.v1.Health/Check", request, &cq);
      },
      [&](std::size_t /*i*/, bool ok) { failed += ok ? 0 : 1; });
  const double rate = (calls - failed) / seconds_since(start);
  server.shutdown();
  return {fmt::format("gRPC unary calls, trivial handler, {} in flight", in_flight), rate, "calls/s"};
}

}  // namespace jaring::bench

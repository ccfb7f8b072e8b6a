#pragma once
// The ceilings of the parts on this machine, measured in the same run as the stack so that a
// figure stands beside what bounds it: SQLite inserts, librdkafka produce, Redis pipelined
// HINCRBY, gRPC unary calls.

#include <string>

namespace jaring::bench {

struct Ceiling {
  std::string name;
  double per_second = 0;
  std::string unit;
};

// Rows/s into a WAL-mode SQLite file in a temp dir, in transactions of 1,000.
Ceiling sqlite_inserts(int rows);
// Messages/s produced to `bootstrap` (jaring-devkafka) and acknowledged, pipelined as the outbox
// relay produces: handed to librdkafka as fast as it takes them, acknowledgements counted as they come.
Ceiling kafka_produce(const std::string& bootstrap, int messages);
// HINCRBY/s against a redis-server, pipelined 1,000 at a time.
Ceiling redis_hincrby(const std::string& host, int port, const std::string& password, int commands);
// Unary calls/s to a trivial handler (grpc.health.v1 Check), `in_flight` outstanding (in_flight.hpp).
Ceiling grpc_unary(int in_flight, int calls);

}  // namespace jaring::bench

#pragma once
// The dashboard: a web page and JSON over HTTP, served by the coverage service itself.
//   GET /                          the page (compiled in, works without internet)
//   GET /api/kelurahan             every kelurahan with RWs, with totals
//   GET /api/kelurahan/<code>      every RW of a kelurahan with its counters
//   GET /api/rw/<code>             one RW

#include <memory>
#include <string>
#include <thread>

#include "../core/coverage.hpp"

namespace httplib {
class Server;
}

namespace jaring::coverage {

class Dashboard {
 public:
  explicit Dashboard(Queries& queries);
  ~Dashboard();
  // Binds host:port (0 picks one); throws std::runtime_error when it cannot.
  void start(const std::string& host, int port);
  void stop();
  int port() const { return port_; }

 private:
  Queries& queries_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace jaring::coverage

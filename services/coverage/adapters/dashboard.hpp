#pragma once
// The dashboard: a web page, JSON and Server-Sent Events over HTTP, served by the coverage
// service itself (the page is compiled in and needs no internet).
//   GET /                            the page
//   GET /api/area/<code>             an area (31, 31.75, 31.75.06, 31.75.06.1005 or a branch code)
//                                    with its children's totals, and a kelurahan's RWs
//   GET /api/branches                every branch office (Kantor Cabang) with its totals
//   GET /api/rank/<code>?limit=10    the RWs of an area furthest ahead and behind
//   GET /api/trend/<code>            the area in every snapshot, then now
//   GET /api/events?area=<code>      Server-Sent Events: `change` with the RWs that changed;
//                                    503 beyond the StreamLimits
//   GET /api/snapshots               M&E snapshots (trend snapshots too with ?trend=1)
//   GET /api/report?area=&from=&to=&format=json|csv|html   an M&E report between two snapshots
//   GET /api/kelurahan, /api/kelurahan/<code>, /api/rw/<code>   (kept for existing clients)
// Live updates come from this replica's own apply path: with several replicas behind a load
// balancer, each one's events cover only its partitions (see docs/coverage.md).
// The aggregates are public unless dashboard.require_token is set: then every /api/* request
// needs `Authorization: Bearer <token>` that the service's verifier accepts (any role), else 401.
// The page itself stays open; it asks for a token when the API answers 401.

#include <atomic>
#include <memory>
#include <string>

#include "../core/change_feed.hpp"
#include "../core/coverage.hpp"
#include "../core/evaluation.hpp"
#include "jaring/auth/verifier.hpp"
#include "jaring/metrics/metrics.hpp"

namespace jaring::coverage {

// How many Server-Sent Events streams the dashboard keeps open (dashboard.events.*): beyond either
// cap a new stream gets 503 with Retry-After. cpp-httplib serves each connection on one worker
// thread, and a stream holds its worker while it is open; the server has max_streams workers for
// streams plus Dashboard::kApiWorkers that streams never take, so the page and the JSON API keep
// answering when the streams are at their cap.
struct StreamLimits {
  int max_streams = 100;
  // Per client address as the server sees it: behind a proxy or NAT, per proxy. Browsers
  // open one stream per tab.
  int max_streams_per_client = 8;
};

class Dashboard {
 public:
  // Workers for the page and the JSON API, apart from the streams' own.
  static constexpr int kApiWorkers = 16;

  // `verifier`: null for a public API, else the verifier every /api/* request's token must pass.
  // `tls`: HTTPS (dashboard.tls.*) when enabled.
  Dashboard(Queries& queries, ChangeFeed& feed, Evaluation& evaluation, auth::Verifier* verifier = nullptr,
            const metrics::HttpTls& tls = {}, StreamLimits limits = {});
  ~Dashboard();
  // Binds host:port (0 picks one); throws std::runtime_error when it cannot.
  void start(const std::string& host, int port);
  void stop();
  int port() const { return server_.port(); }

 private:
  class Streams;  // the open event streams, by client address

  Queries& queries_;
  ChangeFeed& feed_;
  Evaluation& evaluation_;
  auth::Verifier* verifier_;
  std::atomic<bool> stopping_{false};  // ends the event streams before the server stops
  std::shared_ptr<Streams> streams_;
  metrics::HttpServer server_;
};

}  // namespace jaring::coverage

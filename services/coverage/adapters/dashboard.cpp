#include "dashboard.hpp"

#include <httplib.h>

#include <nlohmann/json.hpp>

#include <mutex>
#include <string_view>
#include <unordered_map>

#include <fmt/format.h>

#include "report_render.hpp"

namespace jaring::coverage {

extern const char kDashboardHtml[];  // generated from web/index.html

namespace {

using nlohmann::json;

json to_json(const Counters& c) {
  json out = json::object();
  for (const char* field : kCounterFields) out[field] = *field_of(c, field);
  return out;
}

json to_json(const RwCoverage& rw) {
  return {{"rw_code", rw.rw_code},
          {"kelurahan_code", rw.kelurahan_code},
          {"target", rw.target},
          {"active", rw.active},
          {"counters", to_json(rw.counters)}};
}

json to_json(const AreaSummary& a) {
  return {{"code", a.code},
          {"name", a.name},
          {"level", to_string(a.level)},
          {"totals", to_json(a.totals)},
          {"rw_count", a.rw_count},
          {"rws_at_target", a.rws_at_target},
          {"target", a.target},
          {"share_at_target", a.share_at_target()}};
}

json to_json(const Snapshot& s) {
  return {{"snapshot_id", s.id},    {"period", s.period},     {"as_of", s.as_of},
          {"taken_at", s.taken_at}, {"rw_count", s.rw_count}, {"kind", s.kind}};
}

json to_json(const KelurahanCoverage& k, const areas::Registry& areas) {
  const auto* area = areas.find(k.kelurahan_code);
  json rws = json::array();
  for (const auto& rw : k.rws) rws.push_back(to_json(rw));
  return {{"kelurahan_code", k.kelurahan_code}, {"name", area ? area->name : ""},
          {"totals", to_json(k.totals)},        {"rw_count", k.rws.size()},
          {"rws_at_target", k.rws_at_target},   {"rws", rws}};
}

template <typename T>
json array_of(const std::vector<T>& items) {
  json out = json::array();
  for (const auto& item : items) out.push_back(to_json(item));
  return out;
}

void reply_error(httplib::Response& res, const Error& error) {
  res.status = error.code == ErrorCode::kInvalidArgument ? 400
               : error.code == ErrorCode::kNotFound      ? 404
                                                         : 503;
  json fields = json::object();
  for (const auto& v : error.violations) fields[v.field] = v.rule;
  res.set_content(json{{"error", error.message}, {"fields", fields}}.dump(), "application/json");
}

template <typename T, typename F>
void reply(httplib::Response& res, const Result<T>& result, F&& render) {
  if (!result) return reply_error(res, result.error());
  res.set_header("Cache-Control", "no-store");
  res.set_content(render(*result).dump(), "application/json");
}

// A query parameter as a number; nullopt when present but not a number.
std::optional<std::int64_t> number_param(const httplib::Request& req, const char* name,
                                         std::int64_t fallback) {
  if (!req.has_param(name)) return fallback;
  try {
    std::size_t used = 0;
    const auto text = req.get_param_value(name);
    const auto value = std::stoll(text, &used);
    if (used != text.size()) return std::nullopt;
    return value;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace

// Counts the open event streams in total and per client address. A stream holds its place from
// the moment it is admitted until its response (and the content provider holding the place) is
// gone: a client that left is noticed at the next write, at most one keep-alive (10 s) later.
// Invariant: total_ is the sum of per_client_, which holds no zero counts.
class Dashboard::Streams : public std::enable_shared_from_this<Streams> {
 public:
  explicit Streams(StreamLimits limits) : limits_(limits) {}

  // A held place for one stream of `client` (the client's address; the place is given back when
  // the last copy goes), or null when a cap is reached.
  std::shared_ptr<const std::string> admit(const std::string& client) {
    std::lock_guard lock(mutex_);
    auto& mine = per_client_[client];
    if (total_ >= limits_.max_streams || mine >= limits_.max_streams_per_client) {
      if (mine == 0) per_client_.erase(client);
      return nullptr;
    }
    ++mine;
    ++total_;
    // Holds the counts alive too: a response may outlive the Dashboard by a moment at shutdown.
    return {new std::string(client), [self = shared_from_this()](const std::string* held) {
              self->leave(*held);
              delete held;
            }};
  }

 private:
  void leave(const std::string& client) {
    std::lock_guard lock(mutex_);
    --total_;
    if (--per_client_[client] == 0) per_client_.erase(client);
  }

  const StreamLimits limits_;
  std::mutex mutex_;
  int total_ = 0;
  std::unordered_map<std::string, int> per_client_;
};

Dashboard::Dashboard(Queries& queries, ChangeFeed& feed, Evaluation& evaluation, auth::Verifier* verifier,
                     const metrics::HttpTls& tls, StreamLimits limits)
    : queries_(queries),
      feed_(feed),
      evaluation_(evaluation),
      verifier_(verifier),
      streams_(std::make_shared<Streams>(limits)),
      server_(tls) {
  auto& routes = server_.http();
  if (verifier_ != nullptr) {
    routes.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
      if (!req.path.starts_with("/api/")) return httplib::Server::HandlerResponse::Unhandled;
      const auto identity = verifier_->verify(auth::bearer_token(req.get_header_value("Authorization")));
      if (identity) return httplib::Server::HandlerResponse::Unhandled;
      res.status = 401;
      res.set_header("WWW-Authenticate", "Bearer");
      res.set_content(json{{"error", identity.error().message}}.dump(), "application/json");
      return httplib::Server::HandlerResponse::Handled;
    });
  }
  // Each open event stream holds a worker: the streams' cap plus workers they never take.
  routes.new_task_queue = [workers = static_cast<std::size_t>(limits.max_streams) +
                                     std::size_t{kApiWorkers}] { return new httplib::ThreadPool(workers); };
  routes.Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(kDashboardHtml, "text/html; charset=utf-8");
  });
  routes.Get("/api/kelurahan", [this](const httplib::Request&, httplib::Response& res) {
    reply(res, queries_.kelurahans(), [this](const auto& all) {
      json out = json::array();
      for (const auto& k : all) {
        auto item = to_json(k, queries_.areas().registry());
        item.erase("rws");
        out.push_back(std::move(item));
      }
      return out;
    });
  });
  routes.Get(R"(/api/kelurahan/([0-9.]+))", [this](const httplib::Request& req, httplib::Response& res) {
    reply(res, queries_.kelurahan(req.matches[1]),
          [this](const auto& k) { return to_json(k, queries_.areas().registry()); });
  });
  routes.Get(R"(/api/rw/([0-9.]+))", [this](const httplib::Request& req, httplib::Response& res) {
    reply(res, queries_.rw(req.matches[1]), [](const auto& rw) { return to_json(rw); });
  });
  routes.Get(R"(/api/area/([0-9a-z._-]+))", [this](const httplib::Request& req, httplib::Response& res) {
    reply(res, queries_.area(req.matches[1]), [](const AreaCoverage& a) {
      return json{
          {"summary", to_json(a.summary)}, {"children", array_of(a.children)}, {"rws", array_of(a.rws)}};
    });
  });
  routes.Get("/api/branches", [this](const httplib::Request&, httplib::Response& res) {
    reply(res, queries_.branches(), [](const auto& all) { return array_of(all); });
  });
  routes.Get(R"(/api/rank/([0-9a-z._-]+))", [this](const httplib::Request& req, httplib::Response& res) {
    const auto limit = number_param(req, "limit", 10);
    if (!limit || *limit < 1 || *limit > 100) {
      return reply_error(res, Error::invalid({{"limit", "must be a number from 1 to 100"}}));
    }
    reply(res, queries_.rws_under(std::string(req.matches[1])), [&](std::vector<RwCoverage> rws) {
      const auto order = ranked(std::move(rws));
      json top = json::array(), bottom = json::array();
      for (std::size_t i = 0; i < std::min<std::size_t>(static_cast<std::size_t>(*limit), order.size());
           ++i) {
        top.push_back(to_json(order[i]));
        bottom.push_back(to_json(order[order.size() - 1 - i]));
      }
      return json{{"top", top}, {"bottom", bottom}};
    });
  });
  routes.Get(R"(/api/trend/([0-9a-z._-]+))", [this](const httplib::Request& req, httplib::Response& res) {
    reply(res, evaluation_.trend(req.matches[1]), [](const std::vector<TrendPoint>& points) {
      json out = json::array();
      for (const auto& p : points)
        out.push_back({{"snapshot", to_json(p.snapshot)}, {"summary", to_json(p.summary)}});
      return out;
    });
  });
  routes.Get("/api/snapshots", [this](const httplib::Request& req, httplib::Response& res) {
    reply(res, evaluation_.list(req.has_param("trend")), [](const auto& all) { return array_of(all); });
  });
  routes.Get("/api/report", [this](const httplib::Request& req, httplib::Response& res) {
    const auto from = number_param(req, "from", 0), to = number_param(req, "to", 0);
    const auto format = req.has_param("format") ? req.get_param_value("format") : "json";
    std::vector<FieldViolation> bad;
    if (!from) bad.push_back({"from", "must be a snapshot id"});
    if (!to) bad.push_back({"to", "must be a snapshot id, or 0 for now"});
    if (format != "json" && format != "csv" && format != "html")
      bad.push_back({"format", "must be json, csv or html"});
    if (!bad.empty()) return reply_error(res, Error::invalid(bad));
    auto report = evaluation_.report(req.get_param_value("area"), *from, *to);
    if (!report) return reply_error(res, report.error());
    if (format == "csv") {
      res.set_header("Content-Disposition", fmt::format("attachment; filename=\"monev-{}-{}-{}.csv\"",
                                                        report->total.to.code, *from, *to));
      return res.set_content(render_csv(*report), "text/csv; charset=utf-8");
    }
    if (format == "html") return res.set_content(render_html(*report), "text/html; charset=utf-8");
    json rows = json::array();
    for (const auto& r : report->rows) rows.push_back({{"from", to_json(r.from)}, {"to", to_json(r.to)}});
    res.set_content(
        json{{"from", to_json(report->from)},
             {"to", to_json(report->to)},
             {"total", {{"from", to_json(report->total.from)}, {"to", to_json(report->total.to)}}},
             {"rows", rows}}
            .dump(),
        "application/json");
  });
  routes.Get("/api/events", [this](const httplib::Request& req, httplib::Response& res) {
    auto area = queries_.areas().describe(req.has_param("area") ? req.get_param_value("area") : "31", "area");
    if (!area) return reply_error(res, area.error());
    auto slot = streams_->admit(req.remote_addr);
    if (!slot) {
      res.status = 503;
      res.set_header("Retry-After", "10");
      return res.set_content("too many event streams; try again later\n", "text/plain");
    }
    const auto& areas = queries_.areas();
    auto subscription =
        feed_.subscribe([&areas, a = *area](const std::string& rw) { return areas.contains(a, rw); });
    res.set_header("Cache-Control", "no-store");
    res.set_header("X-Accel-Buffering", "no");  // proxies must not hold events back
    auto first = std::make_shared<bool>(true);
    res.set_chunked_content_provider("text/event-stream", [this, subscription, first, slot](
                                                              std::size_t, httplib::DataSink& sink) {
      std::string message;
      if (*first) {
        *first = false;
        message = "retry: 1000\n: connected\n\n";  // sends the headers now: the client knows it is live
      } else {
        const auto changed = subscription->wait(std::chrono::seconds(10));
        if (stopping_ || subscription->closed()) return false;
        message = changed.empty() ? ": keep-alive\n\n"
                                  : fmt::format("event: change\ndata: {}\n\n", json{{"rws", changed}}.dump());
      }
      return sink.write(message.data(), message.size());  // false once the client left
    });
  });
}

Dashboard::~Dashboard() { stop(); }

void Dashboard::start(const std::string& host, int port) { server_.start(host, port, "the dashboard"); }

void Dashboard::stop() {
  stopping_ = true;
  server_.stop();
}

}  // namespace jaring::coverage

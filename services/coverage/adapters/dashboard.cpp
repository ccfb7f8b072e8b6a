#include "dashboard.hpp"

#include <httplib.h>

#include <nlohmann/json.hpp>

#include <fmt/format.h>

namespace jaring::coverage {

extern const char kDashboardHtml[];  // generated from web/index.html

namespace {

using nlohmann::json;

json to_json(const Counters& c) {
  return {{"registered", c.registered},
          {"active", c.active},
          {"arrears", c.arrears},
          {"lapsed", c.lapsed},
          {"sponsored", c.sponsored},
          {"claims_paid", c.claims_paid},
          {"claims_paid_rupiah", c.claims_paid_rupiah}};
}

json to_json(const RwCoverage& rw) {
  return {{"rw_code", rw.rw_code},
          {"kelurahan_code", rw.kelurahan_code},
          {"target", rw.target},
          {"counters", to_json(rw.counters)}};
}

json to_json(const KelurahanCoverage& k, const areas::Registry& areas) {
  const auto* area = areas.find(k.kelurahan_code);
  json rws = json::array();
  for (const auto& rw : k.rws) rws.push_back(to_json(rw));
  return {{"kelurahan_code", k.kelurahan_code}, {"name", area ? area->name : ""},
          {"totals", to_json(k.totals)},        {"rw_count", k.rws.size()},
          {"rws_at_target", k.rws_at_target},   {"rws", rws}};
}

template <typename T, typename F>
void reply(httplib::Response& res, const Result<T>& result, F&& render) {
  if (result) {
    res.set_content(render(*result).dump(), "application/json");
    return;
  }
  res.status = result.error().code == ErrorCode::kInvalidArgument ? 400
               : result.error().code == ErrorCode::kNotFound      ? 404
                                                                  : 503;
  res.set_content(json{{"error", result.error().message}}.dump(), "application/json");
}

}  // namespace

Dashboard::Dashboard(Queries& queries) : queries_(queries), server_(std::make_unique<httplib::Server>()) {
  server_->Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(kDashboardHtml, "text/html; charset=utf-8");
  });
  server_->Get("/api/kelurahan", [this](const httplib::Request&, httplib::Response& res) {
    reply(res, queries_.kelurahans(), [this](const auto& all) {
      json out = json::array();
      for (const auto& k : all) {
        auto item = to_json(k, queries_.areas());
        item.erase("rws");
        out.push_back(std::move(item));
      }
      return out;
    });
  });
  server_->Get(R"(/api/kelurahan/([0-9.]+))", [this](const httplib::Request& req, httplib::Response& res) {
    reply(res, queries_.kelurahan(req.matches[1]),
          [this](const auto& k) { return to_json(k, queries_.areas()); });
  });
  server_->Get(R"(/api/rw/([0-9.]+))", [this](const httplib::Request& req, httplib::Response& res) {
    reply(res, queries_.rw(req.matches[1]), [](const auto& rw) { return to_json(rw); });
  });
}

Dashboard::~Dashboard() { stop(); }

void Dashboard::start(const std::string& host, int port) {
  port_ = port == 0 ? server_->bind_to_any_port(host) : (server_->bind_to_port(host, port) ? port : -1);
  if (port_ <= 0) throw std::runtime_error(fmt::format("cannot serve the dashboard on {}:{}", host, port));
  thread_ = std::thread([this] { server_->listen_after_bind(); });
}

void Dashboard::stop() {
  if (!thread_.joinable()) return;
  while (!server_->is_running()) std::this_thread::yield();  // a stop before the loop runs is lost
  server_->stop();
  thread_.join();
}

}  // namespace jaring::coverage

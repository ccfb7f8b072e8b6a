#include "jaring/log/log.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <cctype>
#include <nlohmann/json.hpp>

#include "jaring/common/clock.hpp"

namespace jaring::log {
namespace {

thread_local std::string g_trace_id;

class JsonFormatter final : public spdlog::formatter {
 public:
  explicit JsonFormatter(std::string service) : service_(std::move(service)) {}

  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    nlohmann::json line = {
        {"ts", format_utc(msg.time)},
        {"level", spdlog::level::to_string_view(msg.level).data()},
        {"service", service_},
        {"msg", mask_nik(std::string_view(msg.payload.data(), msg.payload.size()))},
    };
    if (!g_trace_id.empty()) line["trace_id"] = g_trace_id;
    const auto text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    dest.append(text.data(), text.data() + text.size());
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>(service_);
  }

 private:
  std::string service_;
};

}  // namespace

void init(const std::string& service, const std::string& level, std::shared_ptr<spdlog::sinks::sink> sink) {
  if (!sink) sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  auto logger = std::make_shared<spdlog::logger>(service, std::move(sink));
  logger->set_formatter(std::make_unique<JsonFormatter>(service));
  logger->set_level(spdlog::level::from_str(level));
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

std::string mask_nik(std::string_view text) {
  std::string out(text);
  std::size_t i = 0;
  while (i < out.size()) {
    if (!std::isdigit(static_cast<unsigned char>(out[i]))) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < out.size() && std::isdigit(static_cast<unsigned char>(out[j]))) ++j;
    if (j - i == 16) {
      for (std::size_t k = i + 4; k < i + 12; ++k) out[k] = '*';
    }
    i = j;
  }
  return out;
}

TraceScope::TraceScope(std::string trace_id) : previous_(std::exchange(g_trace_id, std::move(trace_id))) {}
TraceScope::~TraceScope() { g_trace_id = std::move(previous_); }

const std::string& current_trace_id() { return g_trace_id; }

}  // namespace jaring::log

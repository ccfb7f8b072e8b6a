#include "jaring/log/log.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <cctype>
#include <nlohmann/json.hpp>
#include <vector>

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

namespace {

struct Run {
  std::size_t begin = 0, end = 0;  // a maximal run of digits, [begin, end)
  std::size_t size() const { return end - begin; }
};

// Runs `a` and `b` (a before b) are one separator apart: that separator, else 0.
char link_of(std::string_view text, const Run& a, const Run& b) {
  if (b.begin != a.end + 1) return 0;
  const char c = text[a.end];
  return c == ' ' || c == '.' || c == '-' ? c : '\0';
}

// An RT code (31.75.06.1005.002.003) has 16 digits too; it is no NIK.
bool is_rt_code(const std::vector<Run>& runs, std::size_t first, std::size_t last, char separator) {
  static constexpr std::size_t kShape[] = {2, 2, 2, 4, 3, 3};
  if (separator != '.' || last - first + 1 != std::size(kShape)) return false;
  for (std::size_t i = 0; i < std::size(kShape); ++i)
    if (runs[first + i].size() != kShape[i]) return false;
  return true;
}

// Stars digits 5 to 12 of the 16 digits starting at run `first`, leaving separators.
void mask_digits(std::string& out, const std::vector<Run>& runs, std::size_t first) {
  std::size_t seen = 0;
  for (std::size_t r = first; seen < 12; ++r) {
    for (std::size_t k = runs[r].begin; k < runs[r].end && seen < 12; ++k) {
      if (++seen > 4) out[k] = '*';
    }
  }
}

}  // namespace

std::string mask_nik(std::string_view text) {
  std::vector<Run> runs;
  for (std::size_t i = 0; i < text.size();) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) {
      ++i;
      continue;
    }
    Run run{i, i};
    while (run.end < text.size() && std::isdigit(static_cast<unsigned char>(text[run.end]))) ++run.end;
    runs.push_back(run);
    i = run.end;
  }
  std::string out(text);
  for (std::size_t r = 0; r < runs.size(); ++r) {
    if (runs[r].size() == 16) mask_digits(out, runs, r);
  }
  // A NIK written in groups (3175 0612 3456 7890, 3175-06-120390-0001, 31.75.06.120390.0001):
  // consecutive groups of at least 2 digits, one kind of single separator between them, 16
  // digits in all. One separator kind keeps two dates or two amounts in a row apart, and a
  // single digit is never part of a NIK's groups; amounts grouped in thousands never add up to
  // 16 digits. Four 4-digit numbers in a row (years) look like a NIK and are masked.
  for (std::size_t first = 0; first < runs.size(); ++first) {
    if (runs[first].size() < 2) continue;
    std::size_t digits = runs[first].size();
    char separator = 0;
    for (std::size_t last = first + 1; last < runs.size() && digits < 16; ++last) {
      const char link = link_of(text, runs[last - 1], runs[last]);
      if (link == 0 || (separator != 0 && link != separator) || runs[last].size() < 2) break;
      separator = link;
      digits += runs[last].size();
      if (digits == 16 && !is_rt_code(runs, first, last, separator)) mask_digits(out, runs, first);
    }
  }
  return out;
}

TraceScope::TraceScope(std::string trace_id) : previous_(std::exchange(g_trace_id, std::move(trace_id))) {}
TraceScope::~TraceScope() { g_trace_id = std::move(previous_); }

const std::string& current_trace_id() { return g_trace_id; }

}  // namespace jaring::log

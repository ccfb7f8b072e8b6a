#pragma once
// Logging: JSON lines on stderr through spdlog, one object per line with the service, the level,
// the trace id of the current request and the message. Every 16-digit run in a message is
// masked as a NIK before it is written, whoever logged it.

#include <memory>
#include <string>
#include <string_view>

namespace spdlog::sinks {
class sink;
}

namespace jaring::log {

// Installs the JSON logger as spdlog's default. `level`: trace, debug, info, warn, error.
// Lines go to stderr unless a sink is given (tests).
void init(const std::string& service, const std::string& level,
          std::shared_ptr<spdlog::sinks::sink> sink = nullptr);

// Masks digits 5 to 12 of every run of exactly 16 digits (3172011505900001 -> 3172********0001)
// and of every 16 digits written in groups of two or more with one kind of single separator
// (space, dot or dash) between them: 3175 0612 3456 7890 -> 3175 **** **** 7890,
// 3175-06-120390-0001 -> 3175-**-******-0001. Amounts (42.000.000), dates, phone numbers and
// RT codes (31.75.06.1005.002.003) stay as they are.
std::string mask_nik(std::string_view text);

// The trace id attached to log lines written by this thread while the scope lives.
class TraceScope {
 public:
  explicit TraceScope(std::string trace_id);
  ~TraceScope();
  TraceScope(const TraceScope&) = delete;
  TraceScope& operator=(const TraceScope&) = delete;

 private:
  std::string previous_;
};

const std::string& current_trace_id();

}  // namespace jaring::log

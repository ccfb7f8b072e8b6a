#include "jaring/config/config.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>

#include <fmt/format.h>

extern char** environ;

namespace jaring::config {
namespace {

void flatten(const YAML::Node& node, const std::string& prefix, std::map<std::string, std::string>& out) {
  if (node.IsMap()) {
    for (const auto& item : node) {
      const auto key = item.first.as<std::string>();
      flatten(item.second, prefix.empty() ? key : fmt::format("{}.{}", prefix, key), out);
    }
  } else if (node.IsSequence()) {
    std::string joined;
    for (const auto& item : node) {
      if (!joined.empty()) joined += ",";
      joined += item.as<std::string>();
    }
    out[prefix] = joined;
  } else if (node.IsScalar()) {
    out[prefix] = node.as<std::string>();
  }
}

// "kafka.bootstrap_servers" -> "KAFKA_BOOTSTRAP_SERVERS"
std::string env_name(std::string_view key) {
  std::string name(key);
  for (auto& c : name) {
    c = (c == '.' || c == '-') ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return name;
}

}  // namespace

Source Source::load(const std::string& file, const std::string& env_prefix) {
  Source source;
  source.env_prefix_ = env_prefix;
  if (!file.empty()) {
    try {
      flatten(YAML::LoadFile(file), "", source.file_values_);
    } catch (const YAML::Exception& e) {
      throw ConfigError(fmt::format("config file {}: {}", file, e.what()));
    }
  }
  for (char** env = environ; env != nullptr && *env != nullptr; ++env) {
    std::string_view entry(*env);
    if (!entry.starts_with(env_prefix)) continue;
    const auto eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    source.env_values_[std::string(entry.substr(env_prefix.size(), eq - env_prefix.size()))] =
        std::string(entry.substr(eq + 1));
  }
  return source;
}

Source Source::from_map(std::map<std::string, std::string> values) {
  Source source;
  source.file_values_ = std::move(values);
  return source;
}

const std::string* Source::find(std::string_view key) const {
  if (auto it = env_values_.find(env_name(key)); it != env_values_.end()) return &it->second;
  if (auto it = file_values_.find(std::string(key)); it != file_values_.end()) return &it->second;
  return nullptr;
}

std::map<std::string, std::string> Source::with_prefix(std::string_view prefix) const {
  std::map<std::string, std::string> out;
  for (const auto& [key, value] : file_values_) {
    if (key.starts_with(prefix)) out[key.substr(prefix.size())] = value;
  }
  return out;
}

const std::string* Reader::lookup(std::string_view key) {
  read_.emplace(key);
  return source_.find(key);
}

// The key, never its value: a secret pasted under the wrong key would otherwise be printed back
// into a log (the value's length is enough to spot an empty or truncated one).
void Reader::problem(std::string_view key, const std::string& what) {
  const auto* raw = source_.find(key);
  problems_.push_back(fmt::format(
      "{} (env {}{}): {}{}", key, source_.env_prefix_.empty() ? "JARING_" : source_.env_prefix_,
      env_name(key), what, raw ? fmt::format(" (got a value of {} characters)", raw->size()) : ""));
}

std::string Reader::string(std::string_view key, std::string fallback) {
  if (const auto* raw = lookup(key)) return *raw;
  return fallback;
}

std::string Reader::required_string(std::string_view key) {
  const auto* raw = lookup(key);
  if (raw == nullptr || raw->empty()) {
    problem(key, "is required");
    return {};
  }
  return *raw;
}

std::int64_t Reader::integer(std::string_view key, std::int64_t fallback, std::int64_t min,
                             std::int64_t max) {
  const auto* raw = lookup(key);
  if (raw == nullptr) return fallback;
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(raw->data(), raw->data() + raw->size(), value);
  if (ec != std::errc() || end != raw->data() + raw->size() || value < min || value > max) {
    problem(key, fmt::format("must be an integer from {} to {}", min, max));
    return fallback;
  }
  return value;
}

bool Reader::boolean(std::string_view key, bool fallback) {
  const auto* raw = lookup(key);
  if (raw == nullptr) return fallback;
  if (*raw == "true" || *raw == "1" || *raw == "yes") return true;
  if (*raw == "false" || *raw == "0" || *raw == "no") return false;
  problem(key, "must be true or false");
  return fallback;
}

HostPort Reader::host_port(std::string_view key, std::string_view fallback) {
  const auto* raw = lookup(key);
  const std::string text = raw ? *raw : std::string(fallback);
  const auto colon = text.rfind(':');
  HostPort hp;
  int port = -1;
  if (colon != std::string::npos && colon > 0) {
    const auto [end, ec] = std::from_chars(text.data() + colon + 1, text.data() + text.size(), port);
    if (ec != std::errc() || end != text.data() + text.size()) port = -1;
  }
  if (port < 0 || port > 65535) {
    problem(key, "must be host:port with a port from 0 to 65535");
    return {"127.0.0.1", 0};
  }
  hp.host = text.substr(0, colon);
  hp.port = port;
  return hp;
}

std::string Reader::choice(std::string_view key, std::string fallback,
                           const std::vector<std::string>& allowed) {
  const auto* raw = lookup(key);
  if (raw == nullptr) return fallback;
  if (std::find(allowed.begin(), allowed.end(), *raw) == allowed.end()) {
    problem(key, fmt::format("must be one of {}", fmt::join(allowed, ", ")));
    return fallback;
  }
  return *raw;
}

std::map<std::string, std::string> Reader::map(std::string_view prefix) {
  prefixes_read_.emplace(prefix);
  return source_.with_prefix(prefix);
}

void Reader::finish() {
  for (const auto& [key, value] : source_.file_values_) {
    const bool known = read_.contains(key) || std::any_of(prefixes_read_.begin(), prefixes_read_.end(),
                                                          [&](const auto& p) { return key.starts_with(p); });
    if (!known) problems_.push_back(fmt::format("{}: unknown key", key));
  }
  if (problems_.empty()) return;
  throw ConfigError(fmt::format("invalid configuration:\n  {}", fmt::join(problems_, "\n  ")));
}

}  // namespace jaring::config

#pragma once
// Service settings: a YAML file overlaid by environment variables, validated at start-up.
// A key is a dotted path ("kafka.bootstrap_servers"); its variable is JARING_ + the key upper-cased
// with dots and dashes as underscores (JARING_KAFKA_BOOTSTRAP_SERVERS). Variables win over the file.

#include <cstdint>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace jaring::config {

// Thrown at start-up with every problem found, each naming its key.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct HostPort {
  std::string host;
  int port = 0;
  std::string str() const { return host + ":" + std::to_string(port); }
};

// The raw key/value pairs, with where each came from.
class Source {
 public:
  // Reads `file` (empty: none) and the environment. Throws ConfigError on unreadable YAML.
  static Source load(const std::string& file, const std::string& env_prefix = "JARING_");
  static Source from_map(std::map<std::string, std::string> values);

  const std::string* find(std::string_view key) const;
  // Every key that starts with `prefix` (used for pass-through maps such as kafka.properties.*).
  std::map<std::string, std::string> with_prefix(std::string_view prefix) const;
  const std::map<std::string, std::string>& file_values() const { return file_values_; }

 private:
  std::map<std::string, std::string> file_values_;
  std::map<std::string, std::string> env_values_;  // by key name (lower-case, dotted)
  std::string env_prefix_;
  friend class Reader;
};

// Reads typed settings and collects what is wrong, so that one start-up names every bad key.
class Reader {
 public:
  explicit Reader(const Source& source) : source_(source) {}

  std::string string(std::string_view key, std::string fallback);
  std::string required_string(std::string_view key);
  std::int64_t integer(std::string_view key, std::int64_t fallback, std::int64_t min, std::int64_t max);
  bool boolean(std::string_view key, bool fallback);
  HostPort host_port(std::string_view key, std::string_view fallback);
  // One of `allowed`.
  std::string choice(std::string_view key, std::string fallback, const std::vector<std::string>& allowed);
  std::map<std::string, std::string> map(std::string_view prefix);

  // Throws ConfigError listing every bad value and every key in the file nobody read.
  void finish();

 private:
  const std::string* lookup(std::string_view key);
  void problem(std::string_view key, const std::string& what);
  const Source& source_;
  std::set<std::string, std::less<>> read_;
  std::set<std::string, std::less<>> prefixes_read_;
  std::vector<std::string> problems_;
};

}  // namespace jaring::config

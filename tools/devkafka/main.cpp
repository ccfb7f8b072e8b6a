// jaring-devkafka: a Kafka cluster for one machine, on librdkafka's in-memory mock cluster.
// It speaks the real Kafka protocol on loopback, but it cannot create topics on request, so this
// process creates the configured topics itself and publishes the bootstrap address on stdout and
// in a file that waiters poll for. Its listeners take random ports unless --port fixes them
// (fixed_port.hpp), so that a restarted broker is found where the clients look for it.
//
// It keeps every event in memory only: stopping it loses every event and every committed offset
// (README, "The embedded broker").

#include <sys/stat.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <signal.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <CLI/CLI.hpp>
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "fixed_port.hpp"

namespace {

constexpr int kMinPartitions = 1;
constexpr int kMaxPartitions = 1024;
constexpr int kExitBadConfig = 2;
constexpr int kExitFailure = 1;

// Thrown for configuration the operator must fix; main turns it into exit status 2.
struct ConfigError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Kafka's own rule: 1..249 characters of [a-zA-Z0-9._-], and not "." or "..".
void check_topic_name(const std::string& name, const std::string& where) {
  if (name.empty()) throw ConfigError(where + ": topic name is empty");
  if (name.size() > 249) throw ConfigError(where + ": topic name longer than 249 characters");
  if (name == "." || name == "..") throw ConfigError(where + ": topic name '" + name + "' is not allowed");
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
              c == '_' || c == '-';
    if (!ok) {
      throw ConfigError(
          fmt::format("{}: topic name '{}' has a character outside [a-zA-Z0-9._-]", where, name));
    }
  }
}

void check_partitions(long long partitions, const std::string& where) {
  if (partitions < kMinPartitions || partitions > kMaxPartitions) {
    throw ConfigError(where + ": partitions must be " + std::to_string(kMinPartitions) + ".." +
                      std::to_string(kMaxPartitions) + ", got " + std::to_string(partitions));
  }
}

// topics: [{name: jaring.registration.v1, partitions: 32}, ...]
std::map<std::string, int> load_topics_file(const std::string& path) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    throw ConfigError(path + ": cannot read the file");
  } catch (const YAML::Exception& e) {
    throw ConfigError(path + ": not valid YAML: " + e.what());
  }
  if (!root.IsMap() || !root["topics"]) throw ConfigError(path + ": expected a map with a 'topics' list");
  const YAML::Node topics = root["topics"];
  if (!topics.IsSequence()) throw ConfigError(path + ": 'topics' must be a list");

  std::map<std::string, int> out;
  for (std::size_t i = 0; i < topics.size(); ++i) {
    const YAML::Node entry = topics[i];
    std::string where = path + ": topics[" + std::to_string(i) + "]";
    if (!entry.IsMap()) throw ConfigError(where + ": expected {name: ..., partitions: ...}");
    for (const auto& field : entry) {
      auto key = field.first.as<std::string>("");
      if (key != "name" && key != "partitions")
        throw ConfigError(fmt::format("{}: unknown field '{}'", where, key));
    }
    if (!entry["name"] || !entry["name"].IsScalar()) throw ConfigError(where + ": 'name' is missing");
    auto name = entry["name"].as<std::string>();
    where += " (" + (name.empty() ? std::string("no name") : name) + ")";
    check_topic_name(name, where);
    if (!entry["partitions"]) throw ConfigError(where + ": 'partitions' is missing");
    long long partitions = 0;
    try {
      partitions = entry["partitions"].as<long long>();
    } catch (const YAML::Exception&) {
      throw ConfigError(where + ": partitions must be an integer, got '" +
                        entry["partitions"].as<std::string>("?") + "'");
    }
    check_partitions(partitions, where);
    if (!out.emplace(name, static_cast<int>(partitions)).second) {
      throw ConfigError(where + ": topic listed twice");
    }
  }
  return out;
}

// NAME:PARTITIONS
std::pair<std::string, int> parse_topic_arg(const std::string& arg) {
  std::string where = "--topic " + arg;
  auto colon = arg.rfind(':');
  if (colon == std::string::npos) throw ConfigError(where + ": expected NAME:PARTITIONS");
  std::string name = arg.substr(0, colon);
  std::string count = arg.substr(colon + 1);
  check_topic_name(name, where);
  long long partitions = 0;
  auto [end, ec] = std::from_chars(count.data(), count.data() + count.size(), partitions);
  if (ec != std::errc() || end != count.data() + count.size() || count.empty()) {
    throw ConfigError(where + ": partitions must be an integer, got '" + count + "'");
  }
  check_partitions(partitions, where);
  return {name, static_cast<int>(partitions)};
}

// Temp file + rename: a waiter that sees the file sees all of it.
void write_atomically(const std::filesystem::path& path, const std::string& content) {
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
  auto temp = path;
  temp += ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(temp, std::ios::trunc);
    out << content;
    out.flush();
    if (!out) throw std::runtime_error("cannot write " + temp.string());
  }
  std::filesystem::rename(temp, path);
}

}  // namespace

int main(int argc, char** argv) try {
  ::umask(077);  // the files it writes are for its owner only
  // stdout carries only the bootstrap line, for scripts; logs go to stderr.
  spdlog::set_default_logger(spdlog::stderr_color_mt("jaring-devkafka"));
  CLI::App app{"jaring-devkafka: an in-memory Kafka cluster (librdkafka mock) for one machine"};
  std::string topics_file;
  std::vector<std::string> topic_args;
  int brokers = 1;
  std::string bootstrap_file;
  app.add_option("--topics-file", topics_file, "YAML file: topics: [{name: ..., partitions: N}, ...]");
  app.add_option("--topic", topic_args, "NAME:PARTITIONS, repeatable; overrides the topics file");
  app.add_option("--brokers", brokers, "number of mock brokers")->check(CLI::Range(1, 16));
  int port = 0;
  app.add_option("--port", port,
                 "the first broker's port on 127.0.0.1 (the next ones follow); 0: any free port")
      ->check(CLI::Range(0, 65535 - 16));
  app.add_option("--bootstrap-file", bootstrap_file, "write the bootstrap address here once ready");
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitBadConfig;
  }

  std::map<std::string, int> topics;
  try {
    if (!topics_file.empty()) topics = load_topics_file(topics_file);
    for (const auto& arg : topic_args) {
      auto [name, partitions] = parse_topic_arg(arg);
      topics[name] = partitions;
    }
    if (topics.empty()) throw ConfigError("no topics: give --topics-file or --topic NAME:PARTITIONS");
  } catch (const ConfigError& e) {
    std::fprintf(stderr, "jaring-devkafka: %s\n", e.what());
    return kExitBadConfig;
  }

  // Block the stop signals before librdkafka starts its threads, so only sigwait sees them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  // A stale file from an earlier run must not look like this run's address.
  if (!bootstrap_file.empty()) {
    std::error_code ignored;
    std::filesystem::remove(bootstrap_file, ignored);
  }

  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  // log_level 4 (warning): the handle has no bootstrap.servers, which librdkafka notes at level 5.
  if (rd_kafka_conf_set(conf, "client.id", "jaring-devkafka", errstr, sizeof errstr) != RD_KAFKA_CONF_OK ||
      rd_kafka_conf_set(conf, "log_level", "4", errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
    spdlog::error("librdkafka configuration: {}", errstr);
    rd_kafka_conf_destroy(conf);
    return kExitFailure;
  }
  // The mock cluster lives inside a client handle; this producer is never used to produce.
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (rk == nullptr) {
    spdlog::error("cannot create the librdkafka handle: {}", errstr);
    return kExitFailure;
  }
  jaring::devkafka::arm_listener_ports(port);
  rd_kafka_mock_cluster_t* cluster = rd_kafka_mock_cluster_new(rk, brokers);
  jaring::devkafka::arm_listener_ports(0);
  if (cluster == nullptr) {
    spdlog::error("cannot create the mock cluster{}",
                  port > 0 ? " (is port " + std::to_string(port) + " taken?)" : std::string());
    rd_kafka_destroy(rk);
    return kExitFailure;
  }

  // Clients that outlive a restart on the same port reconnect at once, and a producer's metadata
  // request makes a topic it names with the default partitions: made before this loop reaches it,
  // the topic then had the wrong count and its creation failed (Chaos.BrokerRestartedEmpty...).
  // The broker takes no connection until every topic exists.
  int status = 0;
  if (rd_kafka_mock_broker_set_down(cluster, -1) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    spdlog::error("cannot hold connections off while the topics are made");
    status = kExitFailure;
  }
  for (const auto& [name, partitions] : topics) {
    if (status != 0) break;
    rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(cluster, name.c_str(), partitions, 1);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      spdlog::error("cannot create topic {} ({} partitions): {}", name, partitions, rd_kafka_err2str(err));
      status = kExitFailure;
      break;
    }
    spdlog::info("topic {} with {} partitions", name, partitions);
  }
  if (status == 0 && rd_kafka_mock_broker_set_up(cluster, -1) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    spdlog::error("cannot open the broker to connections");
    status = kExitFailure;
  }

  std::string bootstrap = rd_kafka_mock_cluster_bootstraps(cluster);
  if (status == 0) {
    std::printf("bootstrap=%s\n", bootstrap.c_str());
    std::fflush(stdout);
    if (!bootstrap_file.empty()) {
      try {
        write_atomically(bootstrap_file, bootstrap + "\n");
      } catch (const std::exception& e) {
        spdlog::error("cannot write the bootstrap file {}: {}", bootstrap_file, e.what());
        status = kExitFailure;
      }
    }
  }

  if (status == 0) {
    spdlog::info("jaring-devkafka ready: {} broker(s) at {}, {} topic(s)", brokers, bootstrap, topics.size());
    int sig = 0;
    while (sigwait(&stop_signals, &sig) != 0) {
    }
    spdlog::info("signal {}: stopping", sig);
  }

  rd_kafka_mock_cluster_destroy(cluster);
  rd_kafka_destroy(rk);
  if (!bootstrap_file.empty()) {
    std::error_code ignored;
    std::filesystem::remove(bootstrap_file, ignored);
  }
  return status;
} catch (const std::exception& e) {
  std::fprintf(stderr, "jaring-devkafka: %s\n", e.what());
  return 1;
}

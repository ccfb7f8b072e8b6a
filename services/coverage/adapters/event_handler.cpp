#include "event_handler.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <string_view>

#include <fmt/format.h>

#include "event_changes.hpp"
#include "jaring/events/v1/envelope.pb.h"

namespace jaring::coverage {
namespace {

std::string partition_id(const std::string& topic, std::int32_t partition) {
  return fmt::format("{}:{}", topic, partition);
}

}  // namespace

EventHandler::EventHandler(RedisCounters& counters, metrics::Registry& metrics, ChangeFeed* feed)
    : counters_(counters),
      feed_(feed),
      applied_(metrics.counter("events_applied_total", "Events whose counter changes were applied").Add({})),
      skipped_(metrics.counter("events_skipped_total", "Events already applied before (replay or duplicate)")
                   .Add({})),
      script_seconds_(metrics.histogram("redis_script_seconds", "Time to apply one batch with the Lua script")
                          .Add({}, metrics::Registry::latency_buckets())) {}

std::map<kafka::TopicPartition, std::int64_t> EventHandler::start_offsets(
    const std::vector<kafka::TopicPartition>& assigned, const std::string& cluster) {
  cluster_ = cluster;
  if (auto stored_cluster = counters_.cluster();
      stored_cluster && *stored_cluster && !cluster.empty() && **stored_cluster != cluster) {
    // Offsets of the old log: read the new one from its start; batches are refused until the
    // rebuild installs a generation on it, then its offsets skip what the export counted.
    if (log_replaced_) {
      log_replaced_(
          fmt::format("the broker's log was replaced (cluster {} -> {}): events it lost can only be "
                      "counted again from the owners: rebuilding",
                      **stored_cluster, cluster));
    }
    std::map<kafka::TopicPartition, std::int64_t> out;
    for (const auto& tp : assigned) out[tp] = 0;
    return out;
  }
  std::vector<std::string> ids;
  ids.reserve(assigned.size());
  for (const auto& tp : assigned) ids.push_back(partition_id(tp.topic, tp.partition));
  auto stored = counters_.offsets(ids);
  std::map<kafka::TopicPartition, std::int64_t> out;
  if (!stored) {
    // Without Redis we cannot know where we are: read from the start and let the offsets
    // stored by the script skip what was applied once Redis answers.
    spdlog::error("cannot read stored offsets: {}; starting from the beginning", stored.error().message);
  }
  for (const auto& tp : assigned) {
    out[tp] = 0;
    if (!stored) continue;
    if (const auto it = stored->find(partition_id(tp.topic, tp.partition)); it != stored->end())
      out[tp] = it->second;
  }
  return out;
}

Result<void> EventHandler::apply(const std::vector<kafka::ConsumedMessage>& batch, kafka::DeadLetters& dead) {
  std::vector<PositionedChange> changes;
  std::map<std::string, std::int64_t> next_offsets;
  // The batch comes in partition order: a partition's id is made once for each run of it.
  const kafka::ConsumedMessage* run = nullptr;
  std::string partition;
  std::int64_t* next = nullptr;
  for (const auto& message : batch) {
    if (run == nullptr || message.partition != run->partition || message.topic != run->topic) {
      run = &message;
      partition = partition_id(message.topic, message.partition);
      next = &next_offsets[partition];
    }
    *next = std::max(*next, message.offset + 1);

    auto& envelope = envelope_;  // parsed into again: its strings keep their buffers
    if (!envelope.ParseFromString(message.payload)) {
      if (auto sent = dead.send(message, "payload is not a jaring.events.v1.Envelope"); !sent) return sent;
      continue;
    }
    auto ops = changes_of(envelope);
    if (!ops) {
      const auto reason = fmt::format("{} {}: {}", envelope.type(), envelope.event_id(), ops.error().message);
      spdlog::warn("dead-lettering {}", reason);
      if (auto sent = dead.send(message, reason); !sent) return sent;
      continue;
    }
    if (ops->empty()) continue;
    changes.push_back({partition, message.offset, {envelope.event_id(), std::move(*ops)}});
  }
  const auto started = std::chrono::steady_clock::now();
  auto stats = counters_.apply(changes, next_offsets, cluster_);
  if (!stats) return fail(stats.error());
  script_seconds_.Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  applied_.Increment(static_cast<double>(stats->applied));
  skipped_.Increment(static_cast<double>(stats->skipped));
  if (feed_ != nullptr && stats->applied > 0) {
    // A batch's events share a few hundred RWs: their codes are sorted as views, and copied once.
    std::vector<std::string_view> codes;
    for (const auto& c : changes) {
      for (const auto& op : c.change.ops) codes.emplace_back(op.rw_code);
    }
    std::sort(codes.begin(), codes.end());
    codes.erase(std::unique(codes.begin(), codes.end()), codes.end());
    feed_->publish(std::vector<std::string>(codes.begin(), codes.end()));
  }
  return {};
}

}  // namespace jaring::coverage

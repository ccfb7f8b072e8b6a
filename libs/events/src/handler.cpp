#include "jaring/events/handler.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include <fmt/format.h>

#include "jaring/common/assert.hpp"
#include "jaring/events/envelope.hpp"
#include "jaring/store/consumer_offsets.hpp"

namespace jaring::events {
namespace {

bool retryable(const Error& error) {
  return error.code == ErrorCode::kUnavailable || error.code == ErrorCode::kInternal;
}

// The reason a dead letter carries: the message and every field with its rule.
std::string reason_of(const Error& error) {
  auto reason = error.message;
  for (const auto& v : error.violations) {
    if (reason.find(v.field + ": " + v.rule) == std::string::npos)
      reason += fmt::format("; {}: {}", v.field, v.rule);
  }
  return reason;
}

}  // namespace

EnvelopeHandler::EnvelopeHandler(metrics::Registry& metrics, const std::string& what)
    : applied_(metrics.counter("events_applied_total", "Events applied to " + what).Add({})) {}

std::map<kafka::TopicPartition, std::int64_t> EnvelopeHandler::start_offsets(
    const std::vector<kafka::TopicPartition>& assigned, const std::string& cluster) {
  cluster_ = cluster;
  // Without a store the group's committed offsets are enough (and the start of a replaced log):
  // whatever is delivered again after a crash or a broker restart is recognised by its event id
  // and changes nothing.
  if (db_ == nullptr) return {};
  // With one, the store says where it stands: after a restore it is behind the group's commits,
  // and the events it lost must be applied again. A partition it has no offset for (in this
  // cluster's log: offsets of a log the broker lost mean nothing in the new one), it has applied
  // nothing of (as of its backup, after a restore): from the start of the log. A store from before
  // consumer_offsets reads the kept log once that way; every event in it is recognised by its id
  // and changes nothing.
  const auto stored =
      db_->read([&cluster](store::Database& db) { return store::read_consumer_offsets(db, cluster); });
  std::map<kafka::TopicPartition, std::int64_t> starts;
  for (const auto& tp : assigned) {
    const auto it = stored.find({tp.topic, tp.partition});
    starts[tp] = it != stored.end() ? it->second : kafka::kLogStart;
  }
  return starts;
}

Result<void> EnvelopeHandler::apply_payload(const std::string& payload) {
  JARING_ASSERT(!applying_, "an envelope is applied to completion before the next is parsed");
  applying_ = true;
  const struct Done {
    bool& applying;
    ~Done() { applying = false; }
  } done{applying_};
  auto& envelope = envelope_;
  if (!envelope.ParseFromString(payload)) {
    return fail(Error::invalid({{"payload", "must be a jaring.events.v1.Envelope"}}));
  }
  // What applying it publishes gets ids derived from its id: the same ids when it is applied
  // again after a restore (envelope.hpp).
  const CauseScope cause(envelope.event_id());
  auto applied = apply_event(envelope);
  if (!applied) {
    auto error = applied.error();
    error.message = fmt::format("{} {}: {}", envelope.type(), envelope.event_id(), error.message);
    return fail(std::move(error));
  }
  return {};
}

void EnvelopeHandler::batch_in(store::Database& db) { db_ = &db; }

Result<void> EnvelopeHandler::apply(const std::vector<kafka::ConsumedMessage>& batch,
                                    kafka::DeadLetters& dead) {
  if (db_ == nullptr) return apply_each(batch, dead);
  // Where the batch ends, in the batch's transaction: the store and its offsets never disagree.
  const auto save_offsets = [&] {
    store::ConsumerOffsets reached;
    for (const auto& m : batch) {
      auto& next = reached[{m.topic, m.partition}];
      next = std::max(next, m.offset + 1);
    }
    store::save_consumer_offsets(*db_, reached, cluster_);
  };
  try {
    // Nearly every batch applies whole: first without a savepoint per event. When an event fails,
    // nothing of that attempt is kept, and the batch is applied again with one savepoint per
    // event, so that the failing one is dead-lettered (or the batch retried) alone.
    const auto whole = db_->batch_whole([&]() -> Result<void> {
      for (const auto& message : batch) {
        if (auto applied = apply_payload(message.payload); !applied) return applied;
      }
      save_offsets();
      return {};
    });
    if (whole && *whole) {
      applied_.Increment(static_cast<double>(batch.size()));
      return {};
    }
    return db_->batch([&]() -> Result<void> {
      auto each = apply_each(batch, dead);
      if (!each) return each;
      save_offsets();
      return {};
    });
  } catch (const store::StoreError& e) {
    return fail(Error::unavailable(std::string("store: ") + e.what()));
  }
}

Result<void> EnvelopeHandler::apply_each(const std::vector<kafka::ConsumedMessage>& batch,
                                         kafka::DeadLetters& dead) {
  for (const auto& message : batch) {
    auto applied = apply_payload(message.payload);
    if (!applied && retryable(applied.error())) return applied;
    if (!applied) {
      const auto reason = reason_of(applied.error());
      spdlog::warn("dead-lettering {}", reason);
      if (auto sent = dead.send(message, reason); !sent) return sent;
      continue;
    }
    applied_.Increment();
  }
  return {};
}

}  // namespace jaring::events

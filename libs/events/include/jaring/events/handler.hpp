#pragma once
// What the consumers of the services with a store share. Each message is an Envelope that the
// service applies once, by its event id (its store records the ids it applied in the same
// transaction), and resumes from the offsets its store recorded with the last batch. An event that cannot be
// applied (not an envelope, an unknown participant, a broken rule) goes to the dead-letter topic
// with the reason and consuming goes on; a store failure (INTERNAL, UNAVAILABLE) makes the
// consumer offer the same batch again.

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "jaring/events/v1/envelope.pb.h"
#include "jaring/kafka/kafka.hpp"
#include "jaring/metrics/metrics.hpp"
#include "jaring/store/sqlite.hpp"

namespace jaring::events {

class EnvelopeHandler : public kafka::BatchHandler {
 public:
  // `what` completes the help of jaring_<service>_events_applied_total: "Events applied to ...".
  EnvelopeHandler(metrics::Registry& metrics, const std::string& what);

  // Applies each batch inside one transaction of `db`: one commit per batch instead of one per
  // event, which is what lets four services follow every registration on 2 cores (the commit
  // wakes the outbox relay when the batch wrote events). A batch in which an event fails is
  // applied again with each event's writes a savepoint, rolled back alone.
  // The same transaction records the offsets the batch reached (store::consumer_offsets, which
  // `db` must have), and start_offsets resumes from them: a restored store re-reads the events
  // applied after its backup instead of trusting the group's newer commits.
  void batch_in(store::Database& db);

  std::map<kafka::TopicPartition, std::int64_t> start_offsets(
      const std::vector<kafka::TopicPartition>& assigned, const std::string& cluster) final;
  Result<void> apply(const std::vector<kafka::ConsumedMessage>& batch, kafka::DeadLetters& dead) final;

  // Applies one serialized envelope: the consumer's way in, and tests that pass events in
  // memory. The error names the event (type and id) and, for a payload that is no envelope, says so.
  // One thread at a time (a handler serves one consumer), and never from inside apply_event.
  Result<void> apply_payload(const std::string& payload);

 protected:
  // Applies one event; types the service does not follow are passed over with success.
  virtual Result<void> apply_event(const v1::Envelope& envelope) = 0;

 private:
  Result<void> apply_each(const std::vector<kafka::ConsumedMessage>& batch, kafka::DeadLetters& dead);
  prometheus::Counter& applied_;
  store::Database* db_ = nullptr;
  std::string cluster_;  // the log the consumer reads (start_offsets says), kept with the offsets
  // Parsed into again for each event: its strings keep their buffers from one event to the next,
  // which was a sixth of decoding a registration (jemalloc; about 0.1 µs an event).
  v1::Envelope envelope_;
  bool applying_ = false;  // an envelope is being applied (envelope_ is in use)
};

}  // namespace jaring::events

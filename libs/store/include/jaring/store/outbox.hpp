#pragma once
// The transactional outbox: a service writes its state change and the events announcing it
// in one transaction; the relay (libs/kafka) publishes unsent rows and marks them sent.

#include <cstdint>
#include <string>
#include <vector>

#include "jaring/store/sqlite.hpp"

namespace jaring::store {

struct OutboxMessage {
  std::int64_t id = 0;  // assigned by the store, increasing
  std::string topic;
  std::string key;      // Kafka key: participant id, RW code ...
  std::string payload;  // serialized Envelope
};

// Schema for the outbox table; a service appends it to its own migrations.
Migration outbox_migration(int version);

// Appends messages inside the caller's transaction with one prepared statement (a bulk write
// appends thousands).
class OutboxWriter {
 public:
  explicit OutboxWriter(Transaction& tx);
  void append(const OutboxMessage& message);

 private:
  Statement insert_;
  WriteObserver* observer_;
};

// Appends one message inside the caller's transaction.
void outbox_append(Transaction& tx, const OutboxMessage& message);

// Oldest unsent messages, at most `limit`.
std::vector<OutboxMessage> outbox_fetch_unsent(Database& db, int limit);

// Removes rows Kafka acknowledged (a retried batch may remove ids already gone).
void outbox_remove_sent(Database& db, const std::vector<std::int64_t>& ids);

// Number of unsent messages (the outbox backlog metric).
std::int64_t outbox_backlog(Database& db);

}  // namespace jaring::store

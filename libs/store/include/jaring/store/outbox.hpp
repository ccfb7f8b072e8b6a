#pragma once
// The transactional outbox: a service writes its state change and the events announcing it
// in one transaction; the relay (libs/kafka) publishes unsent rows and removes them once
// acknowledged. A row the broker refuses for good is set aside in a dead-letter table, where an
// operator inspects it and puts it back (docs/operations.md).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
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
// Schema for the dead-letter table (outbox_dead_letters); a service appends it after
// outbox_migration.
Migration outbox_dead_letters_migration(int version);
// The outbox in two segments (outbox and outbox_b) with their state (outbox_state): the
// functions below need it. A service appends it after the two above.
Migration outbox_segments_migration(int version);

// The largest message (key plus payload, in bytes) an outbox takes unless the relay says
// otherwise: librdkafka's default message.max.bytes (1,000,000) less room for the record's framing.
inline constexpr std::size_t kOutboxFramingBytes = 1024;
inline constexpr std::size_t kOutboxMaxMessageBytes = 1'000'000 - kOutboxFramingBytes;
// The limit OutboxWriter applies, for the whole process (one producer publishes its outbox). The
// relay aligns it with its producer's message.max.bytes at construction.
void set_outbox_max_message_bytes(std::size_t bytes);
std::size_t outbox_max_message_bytes();

// Thrown by OutboxWriter::append for a message above outbox_max_message_bytes(): the producer
// would refuse it, so it must never be stored. It rolls the caller's transaction back, and the
// RPC edge answers INVALID_ARGUMENT. Not a StoreError: the store is fine, the request is not.
class OutboxMessageTooLarge : public std::runtime_error {
 public:
  OutboxMessageTooLarge(std::string_view topic, std::size_t bytes, std::size_t limit);
  std::size_t bytes() const { return bytes_; }
  std::size_t limit() const { return limit_; }

 private:
  std::size_t bytes_;
  std::size_t limit_;
};

// Appends messages to the caller's transaction, which inserts them together when its function
// returns (Transaction::flush_outbox; a bulk write appends thousands). Throws
// OutboxMessageTooLarge for a message above the limit, before anything of it is kept.
class OutboxWriter {
 public:
  explicit OutboxWriter(Transaction& tx);
  void append(const OutboxMessage& message) { append(message.topic, message.key, message.payload); }
  // The bytes are copied: the caller's may be gone before the write inserts them.
  void append(std::string_view topic, std::string_view key, std::string_view payload);

 private:
  Transaction& tx_;
  Transaction::PendingOutbox& pending_;
  WriteObserver* observer_;
  std::size_t limit_;
};

// Appends one message inside the caller's transaction.
void outbox_append(Transaction& tx, const OutboxMessage& message);

// Oldest unsent messages, at most `limit`. Reads skip the rows outbox_remove_through recorded
// as published.
std::vector<OutboxMessage> outbox_fetch_unsent(Database& db, int limit);
// Unsent messages with an id above `after`, oldest first, at most `limit`: the relay reads on
// from the last row it handed to the producer.
std::vector<OutboxMessage> outbox_fetch_after(Database& db, std::int64_t after, int limit);

// Removes the rows `ids` (increasing), which Kafka acknowledged; a retried batch may remove ids
// already gone.
void outbox_remove_sent(Database& db, const std::vector<std::int64_t>& ids);
// Every row up to `last` was published (acknowledged or set aside): the relay's way once every
// row it handed up to there was. Rows are written in id order (each write transaction takes the
// next ids, and they commit one after another), so none below `last` is still unread. Records
// `last`, so that no read returns those rows again, and empties each segment whose rows all are
// published, whole: writers append to one segment, and move to the other once it is empty.
void outbox_remove_through(Database& db, std::int64_t last);

// Number of unpublished rows with an id above `after` (all of them by default). Counting reads
// every page of those rows.
std::int64_t outbox_backlog(Database& db, std::int64_t after = 0);
// The same count of all of them as one SELECT without parameters: for a file read by other
// means (a backup's description).
std::string outbox_backlog_sql();

// A row the broker refused for good, kept with the reason.
struct DeadLetter {
  std::int64_t id = 0;  // the outbox row's id
  std::string topic;
  std::string key;
  std::int64_t payload_bytes = 0;
  std::string created_at;    // when the change was written
  std::string set_aside_at;  // when the relay gave up on it
  std::string reason;        // the broker's or producer's error, never the payload
};

// Moves the outbox row `id` into outbox_dead_letters with `reason`, in one transaction. Returns
// false when the row is no longer in the outbox.
bool outbox_set_aside(Database& db, std::int64_t id, std::string_view reason);
// Dead letters, oldest first, at most `limit`.
std::vector<DeadLetter> outbox_dead_letters(Database& db, int limit);
std::int64_t outbox_dead_letter_count(Database& db);
// Puts the dead letter `id` (every one when empty) back at the end of the outbox, under a new
// id, for the relay to try again; returns how many moved.
std::int64_t outbox_requeue(Database& db, std::optional<std::int64_t> id);

}  // namespace jaring::store

#pragma once
// Where a service's consumer stands in each partition it follows, kept in the service's own store
// and written in the same transaction as the batch it applied. On start the consumer resumes from
// here rather than from the group's committed offsets: after a restore the store is older than
// the group's commits, and the events it lost are read and applied again.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "jaring/store/sqlite.hpp"

namespace jaring::store {

// Schema for the consumer_offsets table; a service appends it to its own migrations.
Migration consumer_offsets_migration(int version);

// (topic, partition) -> the next offset to read.
using ConsumerOffsets = std::map<std::pair<std::string, std::int32_t>, std::int64_t>;

// Inside the caller's transaction (or batch). `cluster`: the broker's cluster id the offsets are
// positions in; reading for another cluster finds none (that log is gone: read the new one from
// its start). "" reads every row.
void save_consumer_offsets(Database& db, const ConsumerOffsets& offsets, const std::string& cluster = {});
ConsumerOffsets read_consumer_offsets(Database& db, const std::string& cluster = {});

// How far the store has applied every partition, with the cluster each position is in, as one
// line for an export's trailer ("cluster|topic|partition|next", joined by ','): a reader of the
// export learns which events its rows include.
std::string consumer_positions_text(Database& db);
// The positions in `cluster` that such a line lists, keyed "topic:partition" (as
// kafka::high_watermarks keys them); nullopt when the line is not one.
std::optional<std::map<std::string, std::int64_t>> parse_consumer_positions(std::string_view text,
                                                                            std::string_view cluster);

}  // namespace jaring::store

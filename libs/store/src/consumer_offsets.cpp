#include "jaring/store/consumer_offsets.hpp"

namespace jaring::store {

Migration consumer_offsets_migration(int version) {
  return {version, R"sql(
CREATE TABLE consumer_offsets (
  topic TEXT NOT NULL,
  partition_id INTEGER NOT NULL,
  next_offset INTEGER NOT NULL,
  PRIMARY KEY (topic, partition_id)
) WITHOUT ROWID;
)sql"};
}

void save_consumer_offsets(Database& db, const ConsumerOffsets& offsets) {
  auto upsert = db.prepare(
      "INSERT INTO consumer_offsets (topic, partition_id, next_offset) VALUES (?, ?, ?) "
      "ON CONFLICT (topic, partition_id) DO UPDATE SET next_offset = excluded.next_offset");
  for (const auto& [tp, next] : offsets) {
    upsert.bind(1, tp.first).bind(2, tp.second).bind(3, next);
    upsert.run();
  }
}

ConsumerOffsets read_consumer_offsets(Database& db) {
  ConsumerOffsets out;
  auto select = db.prepare("SELECT topic, partition_id, next_offset FROM consumer_offsets");
  while (select.step())
    out[{select.column_text(0), static_cast<std::int32_t>(select.column_int(1))}] = select.column_int(2);
  return out;
}

}  // namespace jaring::store

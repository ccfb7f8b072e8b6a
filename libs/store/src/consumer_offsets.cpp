#include "jaring/store/consumer_offsets.hpp"

namespace jaring::store {

Migration consumer_offsets_migration(int version) {
  return {version, R"sql(
CREATE TABLE consumer_offsets (
  topic TEXT NOT NULL,
  partition_id INTEGER NOT NULL,
  next_offset INTEGER NOT NULL,
  cluster TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (topic, partition_id)
) WITHOUT ROWID;
)sql"};
}

void save_consumer_offsets(Database& db, const ConsumerOffsets& offsets, const std::string& cluster) {
  auto upsert = db.prepare(
      "INSERT INTO consumer_offsets (topic, partition_id, next_offset, cluster) VALUES (?, ?, ?, ?) "
      "ON CONFLICT (topic, partition_id) DO UPDATE SET next_offset = excluded.next_offset, "
      "cluster = excluded.cluster");
  for (const auto& [tp, next] : offsets) {
    upsert.bind(1, tp.first).bind(2, tp.second).bind(3, next).bind(4, cluster);
    upsert.run();
  }
}

ConsumerOffsets read_consumer_offsets(Database& db, const std::string& cluster) {
  ConsumerOffsets out;
  auto select =
      db.prepare("SELECT topic, partition_id, next_offset FROM consumer_offsets WHERE cluster = ? OR ? = ''");
  select.bind(1, cluster).bind(2, cluster);
  while (select.step())
    out[{select.column_text(0), static_cast<std::int32_t>(select.column_int(1))}] = select.column_int(2);
  return out;
}

}  // namespace jaring::store

#include "jaring/store/consumer_offsets.hpp"

#include <charconv>
#include <ranges>
#include <vector>

#include <fmt/format.h>

namespace jaring::store {
namespace {

// The whole of `text` is a decimal number.
template <class Int>
bool whole_number(std::string_view text, Int& value) {
  const auto* end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(text.data(), end, value);
  return !text.empty() && error == std::errc{} && stop == end;
}

}  // namespace

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

std::string consumer_positions_text(Database& db) {
  std::string out;
  auto select = db.prepare("SELECT cluster, topic, partition_id, next_offset FROM consumer_offsets");
  while (select.step()) {
    if (!out.empty()) out += ',';
    out += fmt::format("{}|{}|{}|{}", select.column_text(0), select.column_text(1), select.column_int(2),
                       select.column_int(3));
  }
  return out;
}

std::optional<std::map<std::string, std::int64_t>> parse_consumer_positions(std::string_view text,
                                                                            std::string_view cluster) {
  std::map<std::string, std::int64_t> out;
  if (text.empty()) return out;
  for (const auto entry : std::views::split(text, ',')) {
    std::vector<std::string_view> parts;
    for (const auto part : std::views::split(entry, '|')) parts.emplace_back(part.begin(), part.end());
    if (parts.size() != 4) return std::nullopt;
    std::int32_t partition = 0;
    std::int64_t next = 0;
    if (!whole_number(parts[2], partition) || !whole_number(parts[3], next)) return std::nullopt;
    if (parts[0] == cluster) out[fmt::format("{}:{}", parts[1], partition)] = next;
  }
  return out;
}

}  // namespace jaring::store

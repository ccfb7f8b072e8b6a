#include "jaring/crypto/sealed_table.hpp"

#include <optional>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace jaring::crypto {
namespace {

std::string key_list(const SealedTable& t) { return fmt::format("{}", fmt::join(t.key_columns, ", ")); }

std::string select_sql(const SealedTable& t, bool after) {
  std::vector<std::string> columns = t.key_columns;
  columns.insert(columns.end(), t.columns.begin(), t.columns.end());
  if (!t.index_column.empty()) columns.push_back(t.index_column);
  return fmt::format(
      "SELECT {} FROM {}{} ORDER BY {} LIMIT ?", fmt::join(columns, ", "), t.table,
      after ? fmt::format(" WHERE ({}) > ({})", key_list(t), store::placeholders(t.key_columns.size()))
            : std::string(),
      key_list(t));
}

std::string update_sql(const SealedTable& t) {
  auto sets = t.columns;
  if (!t.index_column.empty()) sets.push_back(t.index_column);
  return fmt::format("UPDATE {} SET {} = ? WHERE {} = ?", t.table, fmt::join(sets, " = ?, "),
                     fmt::join(t.key_columns, " = ? AND "));
}

// One batch of at most `limit` rows after `after`; `after` moves to the last key read. Runs in
// the caller's transaction.
ResealReport reseal_batch(store::Database& db, const Sealer& sealer, const SealedTable& t,
                          std::optional<std::vector<std::string>>& after, std::int64_t limit) {
  auto select = db.prepare(select_sql(t, after.has_value()));
  int bind = 1;
  if (after) {
    for (const auto& k : *after) select.bind(bind++, k);
  }
  select.bind(bind, limit);
  const int keys = static_cast<int>(t.key_columns.size());
  const int index_at = keys + static_cast<int>(t.columns.size());

  struct Rewrite {
    std::vector<std::string> key;
    std::vector<std::string> values;
    std::string index;
  };
  std::vector<Rewrite> rewrites;
  ResealReport report;
  while (select.step()) {
    ++report.rows;
    Rewrite row;
    for (int i = 0; i < keys; ++i) row.key.push_back(select.column_text(i));
    const auto row_key = fmt::format("{}", fmt::join(row.key, "/"));
    bool stale = false;
    std::string indexed_plain;
    // The indexed column's plaintext is needed only to re-make a stale blind index.
    const bool index_stale = !t.index_column.empty() && (select.column_is_null(index_at) ||
                                                         Sealer::index_key_id(select.column_blob(index_at)) !=
                                                             sealer.current_index_key());
    for (int c = 0; c < static_cast<int>(t.columns.size()); ++c) {
      const auto& column = t.columns[static_cast<std::size_t>(c)];
      const int at = keys + c;
      const auto ctx = context(t.table, column, row_key);
      auto value = select.column_blob(at);
      const bool current = select.column_is_blob(at) && Sealer::key_id(value) == sealer.current_data_key();
      const bool need_plain = !current || (index_stale && column == t.indexed_column);
      const auto plain = need_plain ? open_column(sealer, select, at, ctx) : std::string();
      if (column == t.indexed_column) indexed_plain = plain;
      if (!current) {
        value = sealer.seal(plain, ctx);
        stale = true;
      }
      row.values.push_back(std::move(value));
    }
    if (index_stale) {
      row.index = sealer.blind_index(t.index_source ? t.index_source(indexed_plain) : indexed_plain);
      stale = true;
    } else if (!t.index_column.empty()) {
      row.index = select.column_blob(index_at);
    }
    after = row.key;
    if (stale) rewrites.push_back(std::move(row));
  }
  select.reset();

  auto update = db.prepare(update_sql(t));
  for (const auto& row : rewrites) {
    int i = 1;
    for (const auto& v : row.values) update.bind_blob(i++, v);
    if (!t.index_column.empty()) update.bind_blob(i++, row.index);
    for (const auto& k : row.key) update.bind(i++, k);
    update.run();
  }
  report.rewritten = static_cast<std::int64_t>(rewrites.size());
  return report;
}

// Freed space is zeroed while re-sealing, so that the old values do not stay in free pages.
class SecureDelete {
 public:
  explicit SecureDelete(store::Database& db) : db_(db) { db_.exec("PRAGMA secure_delete = ON"); }
  ~SecureDelete() {
    try {
      db_.exec("PRAGMA secure_delete = OFF");
    } catch (...) {
      // The connection keeps zeroing freed space: slower, never wrong.
    }
  }
  SecureDelete(const SecureDelete&) = delete;
  SecureDelete& operator=(const SecureDelete&) = delete;

 private:
  store::Database& db_;
};

}  // namespace

std::string context(std::string_view table, std::string_view column, std::string_view row_key) {
  return fmt::format("{}.{}:{}", table, column, row_key);
}

std::string open_column(const Sealer& sealer, const store::Statement& s, int index, std::string_view ctx) {
  if (!s.column_is_blob(index)) return s.column_text(index);
  auto plain = sealer.open(s.column_blob(index), ctx);
  if (!plain) {
    const auto colon = ctx.find(':');
    throw store::StoreError(fmt::format("{}: {}", ctx.substr(0, colon), plain.error().message));
  }
  return std::move(*plain);
}

KeyCensus census(store::Database& db, const Sealer& sealer, const SealedTable& t) {
  return db.read([&](store::Database& conn) {
    KeyCensus out;
    auto s = conn.prepare(select_sql(t, false));
    s.bind(1, -1);
    const int keys = static_cast<int>(t.key_columns.size());
    while (s.step()) {
      ++out.rows;
      for (int c = 0; c < static_cast<int>(t.columns.size()); ++c) {
        const int at = keys + c;
        const auto id = s.column_is_blob(at) ? Sealer::key_id(s.column_blob(at)) : std::nullopt;
        ++out.values_by_key[id.value_or(0)];
      }
      if (!t.index_column.empty()) {
        const int at = keys + static_cast<int>(t.columns.size());
        if (s.column_is_null(at) || Sealer::index_key_id(s.column_blob(at)) != sealer.current_index_key())
          ++out.stale_indexes;
      }
    }
    return out;
  });
}

ResealReport reseal(store::Database& db, const Sealer& sealer, const SealedTable& table, int batch) {
  ResealReport total;
  std::optional<std::vector<std::string>> after;
  for (;;) {
    ResealReport step;
    auto done = db.write([&](store::Transaction& tx) -> Result<void> {
      SecureDelete secure(tx.database());
      step = reseal_batch(tx.database(), sealer, table, after, batch);
      return {};
    });
    if (!done) throw store::StoreError(done.error().message);
    total.rows += step.rows;
    total.rewritten += step.rewritten;
    if (step.rows < batch) break;
  }
  try {
    db.read([](store::Database& conn) { conn.exec("PRAGMA wal_checkpoint(TRUNCATE)"); });
  } catch (const store::StoreError&) {
    // A reader holds the WAL: its frames are overwritten as the WAL starts over.
  }
  return total;
}

ResealReport reseal_in_transaction(store::Database& db, const Sealer& sealer, const SealedTable& table) {
  std::optional<std::vector<std::string>> after;
  ResealReport total;
  // In steps, so that a large store's rewrites are not all held in memory at once.
  constexpr std::int64_t kStep = 1000;
  for (;;) {
    const auto step = reseal_batch(db, sealer, table, after, kStep);
    total.rows += step.rows;
    total.rewritten += step.rewritten;
    if (step.rows < kStep) return total;
  }
}

}  // namespace jaring::crypto

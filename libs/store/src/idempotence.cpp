#include "jaring/store/idempotence.hpp"

namespace jaring::store {

bool first_application(Database& db, std::string_view event_id) {
  db.prepare("INSERT INTO applied_events (event_id) VALUES (?) ON CONFLICT DO NOTHING")
      .bind_unowned(1, event_id)
      .run();
  return db.changes() == 1;
}

std::optional<std::string> recall_result(Database& db, std::string_view key) {
  auto s = db.prepare("SELECT result FROM idempotency_keys WHERE key = ?");
  if (!s.bind(1, key).step()) return std::nullopt;
  return s.column_text(0);
}

void remember_result(Database& db, std::string_view key, std::string_view result) {
  db.prepare("INSERT INTO idempotency_keys (key, result) VALUES (?, ?)").bind(1, key).bind(2, result).run();
}

}  // namespace jaring::store

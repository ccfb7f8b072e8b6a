#include "jaring/testing/sqlite.hpp"

#include <fmt/format.h>

namespace jaring::testing {

std::vector<std::string> tables_with_temporary_tables_on_insert(store::Database& db) {
  std::vector<std::string> tables;
  auto names = db.prepare(
      "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
      "ORDER BY name");
  while (names.step()) tables.push_back(names.column_text(0));
  std::vector<std::string> found;
  for (const auto& table : tables) {
    // EXPLAIN's rows: addr, opcode, p1, p2, ...
    auto program = db.prepare(fmt::format(R"(EXPLAIN INSERT INTO "{}" DEFAULT VALUES)", table));
    while (program.step()) {
      if (program.column_text(1) == "OpenEphemeral") {
        found.push_back(table);
        break;
      }
    }
  }
  return found;
}

}  // namespace jaring::testing

#pragma once
// The registration store on SQLite: RWs, participants, idempotency keys and the outbox, each
// change and its event in one transaction.

#include <functional>
#include <memory>
#include <string>

#include "../core/ports.hpp"
#include "jaring/common/clock.hpp"
#include "jaring/store/sqlite.hpp"

namespace jaring::registration {

class SqliteStore final : public Store {
 public:
  // `committed` runs after each transaction that wrote to the outbox (wakes the relay).
  SqliteStore(store::Database& db, const Clock& clock, std::function<void()> committed);
  static std::vector<store::Migration> migrations();

  Result<Rw> create_rw(const Rw& rw, const Event& event) override;
  std::optional<Rw> find_rw(const std::string& code) override;
  std::vector<Rw> list_rws(const std::string& kelurahan_code) override;
  Result<Participant> insert_participant(const Participant& participant, const Event& event,
                                         const std::string& idempotency_key) override;
  std::optional<Participant> find_by_idempotency_key(const std::string& key) override;
  std::optional<Participant> find_participant(const std::string& id) override;

 private:
  store::Database& db_;
  const Clock& clock_;
  std::function<void()> committed_;
};

}  // namespace jaring::registration

#pragma once
// The registration store on SQLite: RWs, participants, agents, idempotency keys and the
// outbox, each change and its event in one transaction. Personal data is sealed (libs/crypto).

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "../core/ports.hpp"
#include "jaring/common/clock.hpp"
#include "jaring/crypto/sealed_table.hpp"
#include "jaring/store/sqlite.hpp"

namespace jaring::registration {

class SqliteStore final : public Store {
 public:
  // Each commit that wrote events wakes the database's outbox relay (Database::on_outbox_commit).
  SqliteStore(store::Database& db, const crypto::Sealer& sealer, const Clock& clock);
  // Migration 5 seals what earlier versions stored in clear, with `sealer`.
  static std::vector<store::Migration> migrations(const crypto::Sealer& sealer);
  // The tables holding sealed personal data (for `rekey`).
  static const std::vector<crypto::SealedTable>& sealed_tables();

  Result<Rw> create_rw(const Rw& rw, const Event& event) override;
  Result<Rw> update_rw(const std::string& code, const std::function<void(Rw&)>& change) override;
  std::optional<Rw> find_rw(const std::string& code) override;
  std::vector<Rw> list_rws(const std::string& kelurahan_code) override;
  std::vector<BulkOutcome> insert_participants(std::span<const std::span<NewParticipant>> groups) override;
  void prepare(std::vector<NewParticipant>& rows) override;
  Result<Participant> save_participant(const Participant& participant, const Event& event,
                                       const std::string& idempotency_key, const History& added) override;
  History history(const std::string& participant_id) override;
  std::optional<ParticipantFacts> find_facts(const std::string& id) override;
  std::optional<std::string> find_idempotency_key(const std::string& key) override;
  std::map<std::string, Participant> find_by_idempotency_keys(const std::vector<std::string>& keys) override;
  std::optional<Participant> find_participant(const std::string& id) override;
  std::optional<Participant> find_by_nik(const std::string& nik) override;
  std::vector<Participant> list_by_rw(const std::string& rw_code, const std::string& after_id, int limit,
                                      const auth::Scope& scope) override;
  std::vector<Participant> list_all(const std::string& after_id, int limit) override;
  std::vector<Participant> registered_by_agent(const std::string& agent_id, const std::string& from,
                                               const std::string& to) override;
  Result<Agent> insert_agent(const Agent& agent, const Event& event,
                             const std::string& idempotency_key) override;
  std::optional<Agent> find_agent(const std::string& id) override;

 private:
  // Participants matching `where`, whose placeholders take `args` (text), then `blobs`.
  std::vector<Participant> query_participants(const std::string& where, const std::vector<std::string>& args,
                                              const std::vector<std::string>& blobs = {});
  // Keeps `rw` as the cached one for its code. What create_rw and update_rw wrote replaces it
  // unless a later write is there already: `written` is the write's place in commit order (its
  // transaction took it, under the connection's lock), as two writers may get here in either
  // order after their commits. What find_rw read (`written` 0) only fills a gap: a write may
  // have refreshed the entry since it read.
  void remember_rw(const Rw& rw, std::uint64_t written);
  // The next place in commit order; called inside a write transaction.
  std::uint64_t next_rw_write();

  store::Database& db_;
  const crypto::Sealer& sealer_;
  const Clock& clock_;
  // RWs by code, as this store last wrote or read them: every registration looks its RW up, and
  // RWs change only through create_rw and update_rw, which refresh the entry after their commit.
  // A code not found is not kept (it may be created next).
  struct CachedRw {
    Rw rw;
    std::uint64_t written;  // its write's place in commit order; 0 when read
  };
  std::mutex rws_mutex_;
  std::unordered_map<std::string, CachedRw> rws_;  // under rws_mutex_
  std::atomic<std::uint64_t> rw_writes_{0};
};

}  // namespace jaring::registration

#pragma once
// What the registration core needs from the outside world; adapters/ implements it.
// Every write saves a change, its event and its idempotency key in one transaction.

#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "jaring/auth/policy.hpp"
#include "jaring/common/result.hpp"
#include "model.hpp"

namespace jaring::registration {

// A participant to insert in a bulk write, with its event and key.
struct NewParticipant {
  Participant participant;  // announced by ParticipantRegistered
  std::string idempotency_key;
  // What Store::prepare made ahead of the write transaction, outside its lock (a bulk request's
  // reader thread runs it while the previous batch is written): the event as the store writes
  // it, the participant's sealed personal data and the blind indexes of its NIK.
  std::string encoded_event;
  std::string sealed = {};
  std::vector<std::string> nik_indexes = {};
};

class Store {
 public:
  virtual ~Store() = default;

  // Saves a new RW and its event atomically. ALREADY_EXISTS when the code is taken.
  virtual Result<Rw> create_rw(const Rw& rw, const Event& event) = 0;
  // Changes the RW `code` with `change` and saves it with its RwUpdated event, reading and
  // writing it in one transaction: of two changes at once, the second sees the first (each read
  // it before and wrote it whole, so one was lost). NOT_FOUND when the code is not in the registry.
  virtual Result<Rw> update_rw(const std::string& code, const std::function<void(Rw&)>& change) = 0;
  virtual std::optional<Rw> find_rw(const std::string& code) = 0;
  virtual std::vector<Rw> list_rws(const std::string& kelurahan_code) = 0;

  // Saves a new participant and its ParticipantRegistered atomically, remembering the idempotency
  // key (a group of one row for insert_participants). ALREADY_EXISTS (naming the participant)
  // when the NIK has an active participation; a key seen before returns the participant it
  // registered.
  Result<Participant> insert_participant(Participant participant, const std::string& idempotency_key) {
    NewParticipant row{std::move(participant), idempotency_key, {}};
    const std::span<NewParticipant> one(&row, 1);
    return std::move(insert_participants({&one, 1}).front().result);
  }
  // Many at once, in one transaction; one outcome per row, in order (group by group). A bad row
  // fails alone. The rows of several bulk batches come as they are, never moved together (that
  // copy was a tenth of a bulk row's CPU), and each new row's participant moves into its outcome
  // (the rows are spent).
  virtual std::vector<BulkOutcome> insert_participants(std::span<const std::span<NewParticipant>> groups) = 0;
  // The part of insert_participants that needs no transaction (encoding the events, sealing the
  // personal data), done ahead
  // so that it can run while another batch is being written. Nothing to do by default.
  virtual void prepare(std::vector<NewParticipant>& rows) { (void)rows; }
  // Saves a changed participant (update, move, exit) with its event and key, and the entries of
  // its history the change adds (`added`): an entry replaces the one of its field and day.
  virtual Result<Participant> save_participant(const Participant& participant, const Event& event,
                                               const std::string& idempotency_key, const History& added) = 0;
  // The bands and branches of the participation `participant_id`, oldest first (History).
  virtual History history(const std::string& participant_id) = 0;
  // The participation `id` with its history, its personal data never unsealed; nullopt when
  // unknown. The history is read after the participant: a change saved in between shows in the
  // history (the newer answer), never a participant ahead of its history.
  virtual std::optional<ParticipantFacts> find_facts(const std::string& id) = 0;
  // The id of what a key created or changed before, if any: a retried call gets that answer.
  virtual std::optional<std::string> find_idempotency_key(const std::string& key) = 0;
  // The participants that keys registered before, by key (the ones found), in one look-up.
  virtual std::map<std::string, Participant> find_by_idempotency_keys(
      const std::vector<std::string>& keys) = 0;
  virtual std::optional<Participant> find_participant(const std::string& id) = 0;
  // The active participation of a NIK, else its latest ended one.
  virtual std::optional<Participant> find_by_nik(const std::string& nik) = 0;
  // Participants of an RW within `scope` with id > after_id, by id, at most `limit`.
  virtual std::vector<Participant> list_by_rw(const std::string& rw_code, const std::string& after_id,
                                              int limit, const auth::Scope& scope) = 0;
  // Every participant with id > after_id, by id, at most `limit` (the export pages through).
  virtual std::vector<Participant> list_all(const std::string& after_id, int limit) = 0;
  // Participants an agent registered with registered_at in [from, to) (RFC 3339 UTC).
  virtual std::vector<Participant> registered_by_agent(const std::string& agent_id, const std::string& from,
                                                       const std::string& to) = 0;

  virtual Result<Agent> insert_agent(const Agent& agent, const Event& event,
                                     const std::string& idempotency_key) = 0;
  virtual std::optional<Agent> find_agent(const std::string& id) = 0;
};

}  // namespace jaring::registration

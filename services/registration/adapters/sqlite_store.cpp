#include "sqlite_store.hpp"

#include <array>
#include <ranges>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "event_codec.hpp"
#include "jaring/audit/trail.hpp"
#include "jaring/crypto/sealed_table.hpp"
#include "jaring/store/consumer_offsets.hpp"
#include "jaring/store/outbox.hpp"

namespace jaring::registration {
namespace {

// A participant's personal data (NIK, name, birth date, phone) as one record: a JSON array of
// four strings, sealed as one value (one nonce and tag a row, not four).
std::string personal_record(const Participant& p) {
  return nlohmann::json::array({p.nik, p.name, p.birth_date, p.phone}).dump();
}
std::array<std::string, 4> personal_fields(const std::string& record) {
  const auto json = nlohmann::json::parse(record, nullptr, false);
  std::array<std::string, 4> out;
  if (!json.is_array() || json.size() != out.size())
    throw store::StoreError("participants.personal: not a record of four fields");
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (!json[i].is_string()) throw store::StoreError("participants.personal: not a record of four fields");
    out[i] = json[i].get<std::string>();
  }
  return out;
}

// Personal data is sealed (libs/crypto): a participant's record, an agent's name and phone. The
// NIK's blind index keeps one active participation per NIK and finds a worker by NIK.
const crypto::SealedTable kSealedParticipants{
    "participants", {"id"},      {"personal"},
    "personal",     "nik_index", [](const std::string& record) { return personal_fields(record)[0]; }};
const crypto::SealedTable kSealedAgents{"agents", {"id"}, {"name", "phone"}, "", ""};

constexpr const char* kParticipantColumns =
    "id, personal, sex, rw_code, rt, category, income_band, programs, payer, agent_id, branch_code, status, "
    "registered_at, project_end_date, exit_reason, exit_date";
// Written with the NIK's blind index after them.
constexpr const char* kParticipantInsertColumns =
    "id, personal, sex, rw_code, rt, category, income_band, programs, payer, agent_id, branch_code, status, "
    "registered_at, project_end_date, exit_reason, exit_date, nik_index";
constexpr const char* kAgentColumns = "id, name, phone, branch_code, organisation, registered_at";
constexpr const char* kRwColumns = "code, kelurahan_code, kelurahan_name, target, active";

// The same columns for a query that joins participants as `p`.
constexpr const char* kPrefixedParticipantColumns =
    "p.id, p.personal, p.sex, p.rw_code, p.rt, p.category, p.income_band, p.programs, p.payer, p.agent_id, "
    "p.branch_code, p.status, p.registered_at, p.project_end_date, p.exit_reason, p.exit_date";

std::string personal_context(std::string_view id) {
  return crypto::context(kSealedParticipants.table, "personal", id);
}
std::string agent_context(const char* column, std::string_view id) {
  return crypto::context(kSealedAgents.table, column, id);
}

// Reads kParticipantColumns starting at column `at`, leaving the sealed record (personal data:
// NIK, name, birth date, phone) closed and those fields empty.
Participant read_participant_sealed(const store::Statement& s, int at = 0) {
  Participant p;
  p.id = s.column_text(at + 0);
  p.sex = s.column_text(at + 2).front();
  p.rw_code = s.column_text(at + 3);
  p.rt = static_cast<int>(s.column_int(at + 4));
  p.category = s.column_text(at + 5);
  p.income_band = s.column_int(at + 6);
  p.programs = s.column_text(at + 7);
  p.payer = s.column_text(at + 8);
  p.agent_id = s.column_text(at + 9);
  p.branch_code = s.column_text(at + 10);
  p.status = s.column_text(at + 11);
  p.registered_at = s.column_text(at + 12);
  p.project_end_date = s.column_text(at + 13);
  p.exit_reason = s.column_text(at + 14);
  p.exit_date = s.column_text(at + 15);
  return p;
}

// Reads kParticipantColumns starting at column `at`, opening the sealed record.
Participant read_participant(const crypto::Sealer& sealer, const store::Statement& s, int at = 0) {
  auto p = read_participant_sealed(s, at);
  auto personal = personal_fields(crypto::open_column(sealer, s, at + 1, personal_context(p.id)));
  p.nik = std::move(personal[0]);
  p.name = std::move(personal[1]);
  p.birth_date = std::move(personal[2]);
  p.phone = std::move(personal[3]);
  return p;
}

// The bands and branches of the participation `participant_id`, oldest first.
History read_history(store::Database& db, const std::string& participant_id) {
  History history;
  auto s = db.prepare(
      "SELECT field, since, value FROM participant_history WHERE participant_id = ? ORDER BY field, since");
  s.bind(1, participant_id);
  while (s.step()) {
    if (s.column_text(0) == "income_band") {
      history.bands.push_back({s.column_text(1), s.column_int(2)});
    } else {
      history.branches.push_back({s.column_text(1), s.column_text(2)});
    }
  }
  return history;
}

// The sealed personal record of `p`.
std::string sealed_personal(const crypto::Sealer& sealer, const Participant& p) {
  return sealer.seal(personal_record(p), personal_context(p.id));
}

// Binds every column of a participant in kParticipantInsertColumns order, from index 1: its
// sealed personal data `sealed` and the NIK's blind index `nik_index`. `p` outlives the
// statement's run: its plain fields are bound where they are (a bulk insert binds 17 columns per
// row).
void bind_participant(store::Statement& s, const Participant& p, std::string_view sealed,
                      std::string_view nik_index) {
  s.bind_unowned(1, p.id)
      .bind_blob(2, sealed)
      .bind(3, std::string(1, p.sex))
      .bind_unowned(4, p.rw_code)
      .bind(5, p.rt)
      .bind_unowned(6, p.category)
      .bind(7, p.income_band)
      .bind_unowned(8, p.programs)
      .bind_unowned(9, p.payer)
      .bind_unowned(10, p.agent_id)
      .bind_unowned(11, p.branch_code)
      .bind_unowned(12, p.status)
      .bind_unowned(13, p.registered_at)
      .bind_unowned(14, p.project_end_date)
      .bind_unowned(15, p.exit_reason)
      .bind_unowned(16, p.exit_date)
      .bind_blob(17, nik_index);
}

// An RW by its code, in read_rw's columns.
const std::string& select_rw_sql() {
  static const auto sql = fmt::format("SELECT {} FROM rws WHERE code = ?", kRwColumns);
  return sql;
}

Rw read_rw(const store::Statement& s) {
  return Rw{s.column_text(0), s.column_text(1), s.column_text(2), static_cast<int>(s.column_int(3)),
            s.column_int(4) != 0};
}

// Reads kAgentColumns, opening the sealed ones.
Agent read_agent(const crypto::Sealer& sealer, const store::Statement& s) {
  const auto id = s.column_text(0);
  return Agent{id,
               crypto::open_column(sealer, s, 1, agent_context("name", id)),
               crypto::open_column(sealer, s, 2, agent_context("phone", id)),
               s.column_text(3),
               s.column_text(4),
               s.column_text(5)};
}

using store::placeholders;

// A participant's rows by NIK match its blind index under any index key (`count` of them).
std::string nik_matches(std::size_t count) { return fmt::format("nik_index IN ({})", placeholders(count)); }

// The statements a participant write needs, prepared once per transaction (bulk writes reuse
// them for every row).
class ParticipantWriter {
 public:
  ParticipantWriter(store::Transaction& tx, const crypto::Sealer& sealer, const Clock& clock)
      : sealer_(sealer),
        clock_(clock),
        by_key_(tx.prepare(fmt::format("SELECT {} FROM participants WHERE id = "
                                       "(SELECT ref_id FROM idempotency_keys WHERE key = ?)",
                                       kParticipantColumns))),
        active_(tx.prepare(fmt::format("SELECT id FROM participants WHERE {} AND status = 'active'",
                                       nik_matches(sealer.blind_indexes("").size())))),
        insert_(tx.prepare(fmt::format("INSERT INTO participants ({}) VALUES ({})", kParticipantInsertColumns,
                                       placeholders(17)))),
        key_(tx.prepare("INSERT INTO idempotency_keys (key, ref_id) VALUES (?, ?)")),
        claim_(tx.prepare("INSERT OR IGNORE INTO idempotency_keys (key, ref_id) VALUES (?, ?)")),
        unclaim_(tx.prepare("DELETE FROM idempotency_keys WHERE key = ?")),
        db_(tx.database()),
        outbox_(tx) {}

  // The participant a key registered before, if any.
  std::optional<Participant> earlier(const std::string& key) {
    if (key.empty()) return std::nullopt;
    by_key_.reset();
    if (!by_key_.bind(1, key).step()) return std::nullopt;
    return read_participant(sealer_, by_key_);
  }

  // The id of the active participation of the NIK whose blind indexes are `indexes`, if any.
  std::optional<std::string> active_id(const std::vector<std::string>& indexes) {
    active_.reset();
    for (std::size_t i = 0; i < indexes.size(); ++i) active_.bind_blob(static_cast<int>(i + 1), indexes[i]);
    if (!active_.step()) return std::nullopt;
    return active_.column_text(0);
  }

  // Writes the row, whose participant then moves into the outcome.
  BulkOutcome insert(NewParticipant& row) {
    // Claiming the key first finds a key used before (earlier in this transaction too) without a
    // look-up for every new row: the insert is ignored only when the key exists.
    if (!claim(row.idempotency_key, row.participant.id)) {
      if (auto p = earlier(row.idempotency_key)) return {std::move(*p), true};
    }
    std::vector<std::string> computed;
    const auto& indexes =
        row.nik_indexes.empty() ? (computed = sealer_.blind_indexes(row.participant.nik)) : row.nik_indexes;
    // Under one index key the unique index on active participations' NIKs refuses a second one
    // itself, so the insert is the look-up (a seek less in that index per row); under several
    // (a rotation), an active row may hold an older key's index, which only the look-up finds.
    const bool one_key = indexes.size() == 1;
    if (!one_key) {
      if (const auto id = active_id(indexes)) return nik_taken(row, *id);
    }
    bind_participant(insert_, row.participant,
                     row.sealed.empty() ? sealed_personal(sealer_, row.participant) : row.sealed,
                     indexes.front());
    try {
      insert_.run();
    } catch (const store::StoreError& e) {
      // A refused insert leaves the transaction as it was (the statement alone is undone).
      const auto id = one_key && e.unique_violation() ? active_id(indexes) : std::nullopt;
      if (!id) throw;
      return nik_taken(row, *id);
    }
    if (row.encoded_event.empty()) {
      outbox_.append(encode_registered(row.participant, clock_));
    } else {
      outbox_.append(kTopic, row.participant.id, row.encoded_event);
    }
    return {std::move(row.participant), false};
  }

  void remember(const std::string& key, const std::string& ref_id) {
    if (key.empty()) return;
    key_.bind(1, key).bind(2, ref_id).run();
  }

 private:
  // The row's NIK has the active participation `id`: its key is released and the row refused.
  BulkOutcome nik_taken(const NewParticipant& row, const std::string& id) {
    unclaim(row.idempotency_key);
    return {fail(Error::already_exists(
                fmt::format("this NIK already has an active participation: participant {}", id))),
            true};
  }
  // Records `key` for `ref_id`; false when the key was recorded before (nothing changes then).
  bool claim(const std::string& key, const std::string& ref_id) {
    if (key.empty()) return true;
    claim_.bind(1, key).bind(2, ref_id).run();
    return db_.changes() == 1;
  }
  void unclaim(const std::string& key) {
    if (!key.empty()) unclaim_.bind(1, key).run();
  }

  const crypto::Sealer& sealer_;
  const Clock& clock_;
  store::Statement by_key_;
  store::Statement active_;
  store::Statement insert_;
  store::Statement key_;
  store::Statement claim_;
  store::Statement unclaim_;
  store::Database& db_;
  store::OutboxWriter outbox_;
};

}  // namespace

SqliteStore::SqliteStore(store::Database& db, const crypto::Sealer& sealer, const Clock& clock)
    : db_(db), sealer_(sealer), clock_(clock) {}

const std::vector<crypto::SealedTable>& SqliteStore::sealed_tables() {
  static const std::vector<crypto::SealedTable> tables{kSealedParticipants, kSealedAgents};
  return tables;
}

std::vector<store::Migration> SqliteStore::migrations(const crypto::Sealer& sealer) {
  return {
      {1, R"sql(
        CREATE TABLE rws (
          code TEXT PRIMARY KEY,
          kelurahan_code TEXT NOT NULL,
          kelurahan_name TEXT NOT NULL,
          target INTEGER NOT NULL,
          active INTEGER NOT NULL DEFAULT 1,
          created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        );
        CREATE INDEX rws_by_kelurahan ON rws(kelurahan_code);
        CREATE TABLE agents (
          id TEXT PRIMARY KEY,
          name TEXT NOT NULL,
          phone TEXT NOT NULL,
          branch_code TEXT NOT NULL,
          organisation TEXT NOT NULL,
          registered_at TEXT NOT NULL
        );
        CREATE TABLE participants (
          id TEXT PRIMARY KEY,
          nik TEXT NOT NULL,
          name TEXT NOT NULL,
          birth_date TEXT NOT NULL,
          sex TEXT NOT NULL,
          phone TEXT NOT NULL,
          rw_code TEXT NOT NULL REFERENCES rws(code),
          rt INTEGER NOT NULL,
          category TEXT NOT NULL,
          income_band INTEGER NOT NULL,
          programs TEXT NOT NULL,
          payer TEXT NOT NULL,
          agent_id TEXT NOT NULL,
          branch_code TEXT NOT NULL,
          status TEXT NOT NULL,
          registered_at TEXT NOT NULL,
          project_end_date TEXT NOT NULL DEFAULT '',
          exit_reason TEXT NOT NULL DEFAULT '',
          exit_date TEXT NOT NULL DEFAULT ''
        ) WITHOUT ROWID;
        -- WITHOUT ROWID: the text id is the table's own key, one B-tree fewer per insert (ids are
        -- time-ordered, so inserts append). One NIK has at most one active participation.
        CREATE UNIQUE INDEX participants_active_nik ON participants(nik) WHERE status = 'active';
        CREATE INDEX participants_by_nik ON participants(nik, registered_at);
        CREATE INDEX participants_by_rw ON participants(rw_code, id);
        -- Branch staff register without an agent: only agents' rows need this index.
        CREATE INDEX participants_by_agent ON participants(agent_id, registered_at) WHERE agent_id != '';
        -- What a key created or changed (a participant or an agent id).
        CREATE TABLE idempotency_keys (
          key TEXT PRIMARY KEY,
          ref_id TEXT NOT NULL
        ) WITHOUT ROWID;
      )sql"},
      store::outbox_migration(2),
      {3, R"sql(
        -- A registration touched two indexes on the NIK, both at random places: the unique one on
        -- active participations and this one for look-ups. Active participations are found
        -- through the unique index; this one now holds only ended participations, which a new
        -- registration does not touch (an exit moves the row into it).
        DROP INDEX participants_by_nik;
        CREATE INDEX participants_ended_by_nik ON participants(nik, registered_at) WHERE status != 'active';
      )sql"},
      audit::Trail::migration(4),
      // Personal data sealed (libs/crypto): the four clear columns become one record, sealed
      // below in the same transaction, and the NIK's indexes move to its blind index.
      {5,
       R"sql(
        ALTER TABLE participants ADD COLUMN personal BLOB;
        ALTER TABLE participants ADD COLUMN nik_index BLOB;
        UPDATE participants SET personal = json_array(nik, name, birth_date, phone);
        DROP INDEX participants_active_nik;
        DROP INDEX participants_ended_by_nik;
        ALTER TABLE participants DROP COLUMN nik;
        ALTER TABLE participants DROP COLUMN name;
        ALTER TABLE participants DROP COLUMN birth_date;
        ALTER TABLE participants DROP COLUMN phone;
      )sql",
       [&sealer](store::Database& db) {
         for (const auto& table : sealed_tables()) crypto::reseal_in_transaction(db, sealer, table);
         db.exec(R"sql(
           CREATE UNIQUE INDEX participants_active_nik ON participants(nik_index) WHERE status = 'active';
           CREATE INDEX participants_ended_by_nik ON participants(nik_index, registered_at) WHERE status != 'active';
         )sql");
       }},
      // Rows the broker refuses for good, set aside by the relay (libs/store outbox.hpp).
      store::outbox_dead_letters_migration(6),
      // Where the consumer stands per partition, written with each batch: a restored store
      // re-reads what it applied after its backup (libs/store consumer_offsets.hpp).
      store::consumer_offsets_migration(7),
      // The outbox in two segments, each emptied whole once published (libs/store outbox.hpp).
      store::outbox_segments_migration(8),
      {9, R"sql(
        -- The bands and branches of each participation (History in core/model.hpp), one row a
        -- field and day, written only when one changes: a registration writes none.
        CREATE TABLE participant_history (
          participant_id TEXT NOT NULL,
          field TEXT NOT NULL,   -- income_band | branch_code
          since TEXT NOT NULL,   -- YYYY-MM-DD, Asia/Jakarta
          value NOT NULL,        -- the band (integer rupiah) or the branch code (text)
          PRIMARY KEY (participant_id, field, since)
        ) WITHOUT ROWID;
      )sql"},
  };
}

void SqliteStore::remember_rw(const Rw& rw, std::uint64_t written) {
  std::lock_guard lock(rws_mutex_);
  const auto [it, added] = rws_.try_emplace(rw.code, CachedRw{rw, written});
  if (!added && written > it->second.written) it->second = CachedRw{rw, written};
}

std::uint64_t SqliteStore::next_rw_write() { return rw_writes_.fetch_add(1) + 1; }

Result<Rw> SqliteStore::create_rw(const Rw& rw, const Event& event) {
  std::uint64_t written = 0;
  auto created = db_.write([&](store::Transaction& tx) -> Result<Rw> {
    auto exists = tx.prepare("SELECT 1 FROM rws WHERE code = ?");
    if (exists.bind(1, rw.code).step())
      return fail(Error::already_exists(fmt::format("RW {} already exists", rw.code)));
    tx.prepare(fmt::format("INSERT INTO rws ({}) VALUES (?, ?, ?, ?, ?)", kRwColumns))
        .bind(1, rw.code)
        .bind(2, rw.kelurahan_code)
        .bind(3, rw.kelurahan_name)
        .bind(4, rw.target)
        .bind(5, rw.active ? 1 : 0)
        .run();
    store::outbox_append(tx, encode_event(event, clock_));
    written = next_rw_write();
    return rw;
  });
  if (created) remember_rw(*created, written);
  return created;
}

Result<Rw> SqliteStore::update_rw(const std::string& code, const std::function<void(Rw&)>& change) {
  std::uint64_t written = 0;
  auto updated = db_.write([&](store::Transaction& tx) -> Result<Rw> {
    auto read = tx.prepare(select_rw_sql());
    if (!read.bind(1, code).step())
      return fail(Error::not_found(fmt::format("RW {} is not in the registry", code)));
    auto rw = read_rw(read);
    change(rw);
    tx.prepare("UPDATE rws SET target = ?, active = ? WHERE code = ?")
        .bind(1, rw.target)
        .bind(2, rw.active ? 1 : 0)
        .bind(3, rw.code)
        .run();
    store::outbox_append(tx, encode_event(RwUpdatedEvent{rw}, clock_));
    written = next_rw_write();
    return rw;
  });
  if (updated) remember_rw(*updated, written);
  return updated;
}

std::optional<Rw> SqliteStore::find_rw(const std::string& code) {
  {
    std::lock_guard lock(rws_mutex_);
    if (const auto it = rws_.find(code); it != rws_.end()) return it->second.rw;
  }
  auto rw = db_.read([&](store::Database& db) -> std::optional<Rw> {
    auto s = db.prepare(select_rw_sql());
    if (!s.bind(1, code).step()) return std::nullopt;
    return read_rw(s);
  });
  if (rw) remember_rw(*rw, 0);
  return rw;
}

std::vector<Rw> SqliteStore::list_rws(const std::string& kelurahan_code) {
  return db_.read([&](store::Database& db) {
    std::vector<Rw> out;
    auto s = db.prepare(fmt::format("SELECT {} FROM rws WHERE kelurahan_code = ? ORDER BY code", kRwColumns));
    s.bind(1, kelurahan_code);
    while (s.step()) out.push_back(read_rw(s));
    return out;
  });
}

void SqliteStore::prepare(std::vector<NewParticipant>& rows) {
  for (auto& row : rows) {
    row.encoded_event = encode_registered(row.participant, clock_).payload;
    row.sealed = sealed_personal(sealer_, row.participant);
    row.nik_indexes = sealer_.blind_indexes(row.participant.nik);
  }
}

std::vector<BulkOutcome> SqliteStore::insert_participants(std::span<const std::span<NewParticipant>> groups) {
  std::size_t rows = 0;
  for (const auto& group : groups) rows += group.size();
  if (rows == 0) return {};
  std::vector<BulkOutcome> outcomes;
  outcomes.reserve(rows);
  // A bulk write (more than one row) does not join other calls' transaction: as a savepoint of it,
  // SQLite would keep a copy of every index page its rows change.
  const auto joining = rows > 1 ? store::Database::Joining::kAlone : store::Database::Joining::kMayJoin;
  const auto written = store::write_or_unavailable(
      db_, "registration's store",
      [&](store::Transaction& tx) -> Result<void> {
        ParticipantWriter writer(tx, sealer_, clock_);
        for (auto& row : groups | std::views::join) outcomes.push_back(writer.insert(row));
        return {};
      },
      joining);
  // The store could not take the transaction (a full disk): nothing of it was written, and each
  // row says so, for the client to send again.
  if (!written) outcomes.assign(rows, BulkOutcome{fail(written.error()), false});
  return outcomes;
}

Result<Participant> SqliteStore::save_participant(const Participant& p, const Event& event,
                                                  const std::string& idempotency_key, const History& added) {
  return db_.write([&](store::Transaction& tx) -> Result<Participant> {
    ParticipantWriter writer(tx, sealer_, clock_);
    // A concurrent retry with the same key may have won the race since the core looked.
    if (auto earlier = writer.earlier(idempotency_key)) return std::move(*earlier);
    auto update = tx.prepare(
        "UPDATE participants SET personal = ?, rw_code = ?, rt = ?, category = ?, income_band = ?, programs "
        "= "
        "?, "
        "payer = ?, branch_code = ?, status = ?, project_end_date = ?, exit_reason = ?, exit_date = ? WHERE "
        "id = ?");
    update.bind_blob(1, sealed_personal(sealer_, p))
        .bind(2, p.rw_code)
        .bind(3, p.rt)
        .bind(4, p.category)
        .bind(5, p.income_band)
        .bind(6, p.programs)
        .bind(7, p.payer)
        .bind(8, p.branch_code)
        .bind(9, p.status)
        .bind(10, p.project_end_date)
        .bind(11, p.exit_reason)
        .bind(12, p.exit_date)
        .bind(13, p.id)
        .run();
    if (!added.empty()) {
      auto entry = tx.prepare(
          "INSERT OR REPLACE INTO participant_history (participant_id, field, since, value) VALUES (?, ?, ?, "
          "?)");
      for (const auto& band : added.bands)
        entry.bind(1, p.id).bind(2, "income_band").bind(3, band.since).bind(4, band.income_band).run();
      for (const auto& branch : added.branches)
        entry.bind(1, p.id).bind(2, "branch_code").bind(3, branch.since).bind(4, branch.branch_code).run();
    }
    writer.remember(idempotency_key, p.id);
    store::outbox_append(tx, encode_event(event, clock_));
    return p;
  });
}

History SqliteStore::history(const std::string& participant_id) {
  return db_.read([&](store::Database& db) { return read_history(db, participant_id); });
}

std::optional<ParticipantFacts> SqliteStore::find_facts(const std::string& id) {
  return db_.read([&](store::Database& db) -> std::optional<ParticipantFacts> {
    auto s = db.prepare(fmt::format("SELECT {} FROM participants WHERE id = ?", kParticipantColumns));
    s.bind(1, id);
    if (!s.step()) return std::nullopt;
    auto participant = read_participant_sealed(s);
    s.reset();
    return ParticipantFacts{std::move(participant), read_history(db, id)};
  });
}

std::optional<std::string> SqliteStore::find_idempotency_key(const std::string& key) {
  return db_.read([&](store::Database& db) -> std::optional<std::string> {
    auto s = db.prepare("SELECT ref_id FROM idempotency_keys WHERE key = ?");
    if (!s.bind(1, key).step()) return std::nullopt;
    return s.column_text(0);
  });
}

std::map<std::string, Participant> SqliteStore::find_by_idempotency_keys(
    const std::vector<std::string>& keys) {
  std::map<std::string, Participant> out;
  constexpr std::size_t kChunk = 500;  // bound the statement's parameters
  for (std::size_t from = 0; from < keys.size(); from += kChunk) {
    const std::size_t n = std::min(kChunk, keys.size() - from);
    const auto marks = placeholders(n);
    db_.read([&](store::Database& db) {
      auto s = db.prepare(
          fmt::format("SELECT k.key, {} FROM idempotency_keys k JOIN participants p ON p.id = k.ref_id "
                      "WHERE k.key IN ({})",
                      kPrefixedParticipantColumns, marks));
      for (std::size_t i = 0; i < n; ++i) s.bind(static_cast<int>(i + 1), keys[from + i]);
      while (s.step()) out.emplace(s.column_text(0), read_participant(sealer_, s, 1));
    });
  }
  return out;
}

std::vector<Participant> SqliteStore::query_participants(const std::string& where,
                                                         const std::vector<std::string>& args,
                                                         const std::vector<std::string>& blobs) {
  return db_.read([&](store::Database& db) {
    std::vector<Participant> out;
    auto s = db.prepare(fmt::format("SELECT {} FROM participants WHERE {}", kParticipantColumns, where));
    int i = 1;
    for (const auto& arg : args) s.bind(i++, arg);
    for (const auto& blob : blobs) s.bind_blob(i++, blob);
    while (s.step()) out.push_back(read_participant(sealer_, s));
    return out;
  });
}

std::optional<Participant> SqliteStore::find_participant(const std::string& id) {
  auto found = query_participants("id = ?", {id});
  if (found.empty()) return std::nullopt;
  return std::move(found.front());
}

std::optional<Participant> SqliteStore::find_by_nik(const std::string& nik) {
  // Each query matches one partial index (see migrations 3 and 5).
  const auto indexes = sealer_.blind_indexes(nik);
  const auto matches = nik_matches(indexes.size());
  auto found = query_participants(matches + " AND status = 'active'", {}, indexes);
  if (found.empty()) {
    found = query_participants(matches + " AND status != 'active' ORDER BY registered_at DESC LIMIT 1", {},
                               indexes);
  }
  if (found.empty()) return std::nullopt;
  return std::move(found.front());
}

std::vector<Participant> SqliteStore::list_by_rw(const std::string& rw_code, const std::string& after_id,
                                                 int limit, const auth::Scope& scope) {
  // The scope is a condition of the query: a page never holds, nor skips over, rows the caller
  // may not see.
  auto where = auth::sql_scope(scope, {"branch_code", "rw_code", "agent_id", ""});
  std::vector<std::string> args = {rw_code, after_id};
  args.insert(args.end(), where.values.begin(), where.values.end());
  return query_participants(
      fmt::format("rw_code = ? AND id > ? AND {} ORDER BY id LIMIT {}", where.condition, limit), args);
}

std::vector<Participant> SqliteStore::list_all(const std::string& after_id, int limit) {
  return query_participants(fmt::format("id > ? ORDER BY id LIMIT {}", limit), {after_id});
}

std::vector<Participant> SqliteStore::registered_by_agent(const std::string& agent_id,
                                                          const std::string& from, const std::string& to) {
  return query_participants(
      "agent_id = ? AND agent_id != '' AND registered_at >= ? AND registered_at < ? ORDER BY registered_at",
      {agent_id, from, to});
}

Result<Agent> SqliteStore::insert_agent(const Agent& agent, const Event& event,
                                        const std::string& idempotency_key) {
  return db_.write([&](store::Transaction& tx) -> Result<Agent> {
    if (!idempotency_key.empty()) {
      auto earlier = tx.prepare(
          fmt::format("SELECT {} FROM agents WHERE id = (SELECT ref_id FROM idempotency_keys WHERE key = ?)",
                      kAgentColumns));
      if (earlier.bind(1, idempotency_key).step()) return read_agent(sealer_, earlier);
      tx.prepare("INSERT INTO idempotency_keys (key, ref_id) VALUES (?, ?)")
          .bind(1, idempotency_key)
          .bind(2, agent.id)
          .run();
    }
    tx.prepare(fmt::format("INSERT INTO agents ({}) VALUES ({})", kAgentColumns, placeholders(6)))
        .bind(1, agent.id)
        .bind_blob(2, sealer_.seal(agent.name, agent_context("name", agent.id)))
        .bind_blob(3, sealer_.seal(agent.phone, agent_context("phone", agent.id)))
        .bind(4, agent.branch_code)
        .bind(5, agent.organisation)
        .bind(6, agent.registered_at)
        .run();
    store::outbox_append(tx, encode_event(event, clock_));
    return agent;
  });
}

std::optional<Agent> SqliteStore::find_agent(const std::string& id) {
  return db_.read([&](store::Database& db) -> std::optional<Agent> {
    auto s = db.prepare(fmt::format("SELECT {} FROM agents WHERE id = ?", kAgentColumns));
    if (!s.bind(1, id).step()) return std::nullopt;
    return read_agent(sealer_, s);
  });
}

}  // namespace jaring::registration

#include "sqlite_store.hpp"

#include <fmt/format.h>

#include "event_codec.hpp"
#include "jaring/store/outbox.hpp"

namespace jaring::registration {
namespace {

constexpr const char* kParticipantColumns =
    "id, nik, name, birth_date, sex, phone, rw_code, rt, category, income_band, programs, payer, agent_id, "
    "branch_code, status, registered_at";

Participant read_participant(const store::Statement& s) {
  Participant p;
  p.id = s.column_text(0);
  p.nik = s.column_text(1);
  p.name = s.column_text(2);
  p.birth_date = s.column_text(3);
  p.sex = s.column_text(4).front();
  p.phone = s.column_text(5);
  p.rw_code = s.column_text(6);
  p.rt = static_cast<int>(s.column_int(7));
  p.category = s.column_text(8);
  p.income_band = s.column_int(9);
  p.programs = s.column_text(10);
  p.payer = s.column_text(11);
  p.agent_id = s.column_text(12);
  p.branch_code = s.column_text(13);
  p.status = s.column_text(14);
  p.registered_at = s.column_text(15);
  return p;
}

Rw read_rw(const store::Statement& s) {
  return Rw{s.column_text(0), s.column_text(1), s.column_text(2), static_cast<int>(s.column_int(3)),
            s.column_int(4) != 0};
}

}  // namespace

SqliteStore::SqliteStore(store::Database& db, const Clock& clock, std::function<void()> committed)
    : db_(db), clock_(clock), committed_(std::move(committed)) {}

std::vector<store::Migration> SqliteStore::migrations() {
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
          registered_at TEXT NOT NULL
        );
        -- One NIK has at most one active participation.
        CREATE UNIQUE INDEX participants_active_nik ON participants(nik) WHERE status = 'active';
        CREATE INDEX participants_by_rw ON participants(rw_code);
        CREATE TABLE idempotency_keys (
          key TEXT PRIMARY KEY,
          participant_id TEXT NOT NULL REFERENCES participants(id)
        );
      )sql"},
      store::outbox_migration(2),
  };
}

Result<Rw> SqliteStore::create_rw(const Rw& rw, const Event& event) {
  auto result = db_.write([&](store::Transaction& tx) -> Result<Rw> {
    auto exists = tx.prepare("SELECT 1 FROM rws WHERE code = ?");
    if (exists.bind(1, rw.code).step())
      return fail(Error::already_exists(fmt::format("RW {} already exists", rw.code)));
    tx.prepare(
          "INSERT INTO rws (code, kelurahan_code, kelurahan_name, target, active) VALUES (?, ?, ?, ?, 1)")
        .bind(1, rw.code)
        .bind(2, rw.kelurahan_code)
        .bind(3, rw.kelurahan_name)
        .bind(4, rw.target)
        .run();
    store::outbox_append(tx, encode_event(event, clock_));
    return rw;
  });
  if (result && committed_) committed_();
  return result;
}

std::optional<Rw> SqliteStore::find_rw(const std::string& code) {
  return db_.read([&](store::Database& db) -> std::optional<Rw> {
    auto s =
        db.prepare("SELECT code, kelurahan_code, kelurahan_name, target, active FROM rws WHERE code = ?");
    if (!s.bind(1, code).step()) return std::nullopt;
    return read_rw(s);
  });
}

std::vector<Rw> SqliteStore::list_rws(const std::string& kelurahan_code) {
  return db_.read([&](store::Database& db) {
    std::vector<Rw> out;
    auto s = db.prepare(
        "SELECT code, kelurahan_code, kelurahan_name, target, active FROM rws WHERE kelurahan_code = ? ORDER "
        "BY code");
    s.bind(1, kelurahan_code);
    while (s.step()) out.push_back(read_rw(s));
    return out;
  });
}

Result<Participant> SqliteStore::insert_participant(const Participant& p, const Event& event,
                                                    const std::string& idempotency_key) {
  bool inserted = false;
  auto result = db_.write([&](store::Transaction& tx) -> Result<Participant> {
    if (!idempotency_key.empty()) {
      // A concurrent retry with the same key may have won the race since the core looked.
      auto earlier =
          tx.prepare(fmt::format("SELECT {} FROM participants WHERE id = (SELECT participant_id FROM "
                                 "idempotency_keys WHERE key = ?)",
                                 kParticipantColumns));
      if (earlier.bind(1, idempotency_key).step()) return read_participant(earlier);
    }
    auto active = tx.prepare("SELECT id FROM participants WHERE nik = ? AND status = 'active'");
    if (active.bind(1, p.nik).step()) {
      return fail(Error::already_exists(fmt::format(
          "this NIK already has an active participation: participant {}", active.column_text(0))));
    }
    tx.prepare(
          fmt::format("INSERT INTO participants ({}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                      kParticipantColumns))
        .bind(1, p.id)
        .bind(2, p.nik)
        .bind(3, p.name)
        .bind(4, p.birth_date)
        .bind(5, std::string(1, p.sex))
        .bind(6, p.phone)
        .bind(7, p.rw_code)
        .bind(8, p.rt)
        .bind(9, p.category)
        .bind(10, p.income_band)
        .bind(11, p.programs)
        .bind(12, p.payer)
        .bind(13, p.agent_id)
        .bind(14, p.branch_code)
        .bind(15, p.status)
        .bind(16, p.registered_at)
        .run();
    if (!idempotency_key.empty()) {
      tx.prepare("INSERT INTO idempotency_keys (key, participant_id) VALUES (?, ?)")
          .bind(1, idempotency_key)
          .bind(2, p.id)
          .run();
    }
    store::outbox_append(tx, encode_event(event, clock_));
    inserted = true;
    return p;
  });
  if (inserted && result && committed_) committed_();
  return result;
}

std::optional<Participant> SqliteStore::find_by_idempotency_key(const std::string& key) {
  return db_.read([&](store::Database& db) -> std::optional<Participant> {
    auto s = db.prepare(fmt::format(
        "SELECT {} FROM participants WHERE id = (SELECT participant_id FROM idempotency_keys WHERE key = ?)",
        kParticipantColumns));
    if (!s.bind(1, key).step()) return std::nullopt;
    return read_participant(s);
  });
}

std::optional<Participant> SqliteStore::find_participant(const std::string& id) {
  return db_.read([&](store::Database& db) -> std::optional<Participant> {
    auto s = db.prepare(fmt::format("SELECT {} FROM participants WHERE id = ?", kParticipantColumns));
    if (!s.bind(1, id).step()) return std::nullopt;
    return read_participant(s);
  });
}

}  // namespace jaring::registration

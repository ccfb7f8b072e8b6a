#include "sqlite_store.hpp"

#include "jaring/audit/trail.hpp"

#include <map>
#include <ranges>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "event_codec.hpp"
#include "jaring/crypto/sealed_table.hpp"
#include "jaring/store/constraint.hpp"
#include "jaring/store/consumer_offsets.hpp"
#include "jaring/store/idempotence.hpp"
#include "jaring/store/outbox.hpp"

namespace jaring::claims {
namespace {

// Personal data is sealed (libs/crypto): the claimant's name, NIK and phone, the names of the
// family, the children's names and birth dates, and the filing's fingerprint, which repeats them
// (a retried FileClaim is compared with it).
const crypto::SealedTable kSealedClaims{
    "claims", {"id"}, {"fingerprint", "claimant_name", "claimant_nik", "claimant_phone"}, "", ""};
const crypto::SealedTable kSealedFamily{"claim_family", {"claim_id", "seq"}, {"name"}, "", ""};
const crypto::SealedTable kSealedChildren{
    "claim_children", {"claim_id", "seq"}, {"name", "birth_date"}, "", ""};

// The context of a value of a claim's own row, and of a row of its family or children (keyed by
// the claim and the row's position).
std::string claim_context(const char* column, std::string_view claim_id) {
  return crypto::context(kSealedClaims.table, column, claim_id);
}
std::string part_context(const crypto::SealedTable& table, const char* column, std::string_view claim_id,
                         std::int64_t seq) {
  return crypto::context(table.table, column, fmt::format("{}/{}", claim_id, seq));
}

// What a failed write answers. The core checks every rule before it writes, so a constraint
// of the schema that still fails names the request field it guards (FAILED_PRECONDITION);
// anything else is UNAVAILABLE. The SQL and SQLite's words go to the log, never to a client.
Error store_failure(std::string_view what) {
  spdlog::error("claims store: {}", what);
  static const store::ConstraintGuard kGuards[] = {
      {"claims.idempotency_key", {"idempotency_key", "was used for a different filing"}},
      {"total >= 0", {"total", "a claim's total must not be negative"}},
      {"approved_by", {"approved_by", "filer, verifier and approver are three different people"}},
      {"status IN", {"status", "must be filed, verified, approved, paid or rejected"}},
  };
  if (auto refused = store::constraint_refusal("claims store", what, kGuards)) return *refused;
  return Error::unavailable("the claims store is unavailable; the service logged the cause");
}

constexpr const char* kClaimColumns =
    "id, idempotency_key, fingerprint, participant_id, type, status, event_date, rw_code, branch_code, "
    "agent_id, "
    "claimant_name, claimant_nik, claimant_relation, claimant_phone, coverage_state, coverage_reason, "
    "coverage_eligible, unpaid_months, contribution_months, incapacity_months, claimed_amount, "
    "verified_amount, "
    "requested_amount, death_claim_id, scholarship_year, total, rejection_reason, filed_by, filed_at, "
    "filed_month, "
    "approved_by, paid_on, paid_by, pay_key, payment_reference, note, verified_by, body_parts";

Claim read_claim(const crypto::Sealer& sealer, const store::Statement& s) {
  Claim c;
  int i = 0;
  const auto text = [&] { return s.column_text(i++); };
  const auto sealed = [&](const char* column) {
    return crypto::open_column(sealer, s, i++, claim_context(column, c.id));
  };
  const auto number = [&] { return s.column_int(i++); };
  c.id = text();
  c.idempotency_key = text();
  c.fingerprint = sealed("fingerprint");
  c.participant_id = text();
  c.type = text();
  c.status = text();
  c.event_date = text();
  c.rw_code = text();
  c.branch_code = text();
  c.agent_id = text();
  c.claimant.name = sealed("claimant_name");
  c.claimant.nik = sealed("claimant_nik");
  c.claimant.relation = text();
  c.claimant.phone = sealed("claimant_phone");
  c.coverage.state = text();
  c.coverage.reason = text();
  c.coverage.eligible = number() != 0;
  c.coverage.unpaid_months = static_cast<int>(number());
  c.coverage.contribution_months = static_cast<int>(number());
  c.incapacity_months = static_cast<int>(number());
  c.claimed_amount = number();
  c.verified_amount = number();
  c.requested_amount = number();
  c.death_claim_id = text();
  c.scholarship_year = static_cast<int>(number());
  c.total = number();
  c.rejection_reason = text();
  c.filed_by = text();
  c.filed_at = text();
  c.filed_month = text();
  c.approved_by = text();
  c.paid_on = text();
  c.paid_by = text();
  c.pay_key = text();
  c.payment_reference = text();
  c.note = text();
  c.verified_by = text();
  // Body part names are ids (no commas): kept as one comma-separated column.
  const auto parts = text();
  if (!parts.empty()) {
    for (const auto part : parts | std::views::split(','))
      c.body_parts.emplace_back(part.begin(), part.end());
  }
  return c;
}

// The parts of a claim kept in their own tables.
void load_parts(const crypto::Sealer& sealer, store::Database& db, Claim& c, bool with_history) {
  auto docs = db.prepare(
      "SELECT code, received, received_by, received_at FROM claim_documents WHERE claim_id = ? ORDER BY seq");
  docs.bind(1, c.id);
  while (docs.step())
    c.documents.push_back(
        {docs.column_text(0), docs.column_int(1) != 0, docs.column_text(2), docs.column_text(3)});
  auto lines = db.prepare("SELECT component, amount, basis FROM claim_lines WHERE claim_id = ? ORDER BY seq");
  lines.bind(1, c.id);
  while (lines.step()) c.lines.push_back({lines.column_text(0), lines.column_int(1), lines.column_text(2)});
  auto family =
      db.prepare("SELECT relation, alive, name, seq FROM claim_family WHERE claim_id = ? ORDER BY seq");
  family.bind(1, c.id);
  while (family.step()) {
    const auto name = part_context(kSealedFamily, "name", c.id, family.column_int(3));
    c.family.push_back(
        {family.column_text(0), family.column_int(1) != 0, crypto::open_column(sealer, family, 2, name)});
  }
  auto children = db.prepare(
      "SELECT name, birth_date, level, school_year, married, working, seq FROM claim_children WHERE claim_id "
      "= "
      "? ORDER BY seq");
  children.bind(1, c.id);
  while (children.step()) {
    const auto seq = children.column_int(6);
    c.children.push_back(
        {crypto::open_column(sealer, children, 0, part_context(kSealedChildren, "name", c.id, seq)),
         crypto::open_column(sealer, children, 1, part_context(kSealedChildren, "birth_date", c.id, seq)),
         children.column_text(2), static_cast<int>(children.column_int(3)), children.column_int(4) != 0,
         children.column_int(5) != 0});
  }
  if (!with_history) return;
  auto history = db.prepare(
      "SELECT action, from_status, to_status, user, role, at, note FROM claim_history WHERE claim_id = ? "
      "ORDER BY "
      "seq");
  history.bind(1, c.id);
  while (history.step())
    c.history.push_back({history.column_text(0), history.column_text(1), history.column_text(2),
                         history.column_text(3), history.column_text(4), history.column_text(5),
                         history.column_text(6)});
}

std::optional<Claim> claim_where(const crypto::Sealer& sealer, store::Database& db, const char* column,
                                 const std::string& value) {
  auto s = db.prepare(fmt::format("SELECT {} FROM claims WHERE {} = ?", kClaimColumns, column));
  if (!s.bind(1, value).step()) return std::nullopt;
  auto claim = read_claim(sealer, s);
  s.reset();
  load_parts(sealer, db, claim, true);
  return claim;
}

std::vector<PeriodFact> periods_of(store::Database& db, const std::string& id) {
  std::vector<PeriodFact> out;
  auto s = db.prepare(
      "SELECT period, billed, paid, paid_on FROM periods WHERE participant_id = ? ORDER BY period");
  s.bind(1, id);
  while (s.step())
    out.push_back(
        {static_cast<int>(s.column_int(0)), s.column_int(1) != 0, s.column_int(2) != 0, s.column_text(3)});
  return out;
}

// Scholarship children of claims that are not rejected; `where` narrows them, with `values`
// bound to its placeholders in order.
std::vector<ScholarshipRecord> scholarship_rows(const crypto::Sealer& sealer, store::Database& db,
                                                const std::string& where,
                                                const std::vector<std::string>& values) {
  std::vector<ScholarshipRecord> out;
  auto s = db.prepare(fmt::format(
      "SELECT c.participant_id, c.death_claim_id, c.branch_code, c.scholarship_year, k.name, k.birth_date, "
      "k.level, k.school_year, k.married, k.working, k.claim_id, k.seq FROM claims c JOIN claim_children k "
      "ON "
      "k.claim_id = c.id "
      "WHERE c.type = 'scholarship' AND {} ORDER BY c.scholarship_year, c.id, k.seq",
      where));
  int i = 1;
  for (const auto& v : values) s.bind(i++, v);
  while (s.step()) {
    ScholarshipRecord r;
    r.participant_id = s.column_text(0);
    r.death_claim_id = s.column_text(1);
    r.branch_code = s.column_text(2);
    r.year = static_cast<int>(s.column_int(3));
    const auto claim_id = s.column_text(10);
    const auto seq = s.column_int(11);
    r.child = {crypto::open_column(sealer, s, 4, part_context(kSealedChildren, "name", claim_id, seq)),
               crypto::open_column(sealer, s, 5, part_context(kSealedChildren, "birth_date", claim_id, seq)),
               s.column_text(6),
               static_cast<int>(s.column_int(7)),
               s.column_int(8) != 0,
               s.column_int(9) != 0};
    out.push_back(std::move(r));
  }
  return out;
}

class SqliteUnit final : public Unit {
 public:
  SqliteUnit(store::Transaction& tx, const crypto::Sealer& sealer, const Clock& clock)
      : tx_(tx), db_(tx.database()), sealer_(sealer), clock_(clock) {}

  bool seen_event(const std::string& event_id) override { return !store::first_application(db_, event_id); }

  std::vector<PeriodFact> periods(const std::string& id) override { return periods_of(db_, id); }

  void save_period(const std::string& id, const PeriodFact& f) override {
    db_.prepare(
           "INSERT OR REPLACE INTO periods (participant_id, period, billed, paid, paid_on) VALUES (?, ?, ?, "
           "?, ?)")
        .bind(1, id)
        .bind(2, f.period)
        .bind(3, f.billed ? 1 : 0)
        .bind(4, f.paid ? 1 : 0)
        .bind(5, f.paid_on)
        .run();
  }

  void save_payment_periods(const std::string& payment_id, const std::string& participant_id,
                            const std::vector<int>& periods) override {
    auto s = db_.prepare(
        "INSERT OR IGNORE INTO payment_periods (payment_id, participant_id, period) VALUES (?, ?, ?)");
    for (int p : periods) s.bind(1, payment_id).bind(2, participant_id).bind(3, p).run();
  }

  std::vector<int> payment_periods(const std::string& payment_id) override {
    std::vector<int> out;
    auto s = db_.prepare("SELECT period FROM payment_periods WHERE payment_id = ?");
    s.bind(1, payment_id);
    while (s.step()) out.push_back(static_cast<int>(s.column_int(0)));
    return out;
  }

  std::optional<Claim> claim(const std::string& id) override { return claim_where(sealer_, db_, "id", id); }
  std::optional<Claim> claim_by_key(const std::string& key) override {
    return claim_where(sealer_, db_, "idempotency_key", key);
  }

  std::vector<Claim> claims_of(const std::string& participant_id) override {
    std::vector<Claim> out;
    auto s =
        db_.prepare(fmt::format("SELECT {} FROM claims WHERE participant_id = ? ORDER BY id", kClaimColumns));
    s.bind(1, participant_id);
    while (s.step()) out.push_back(read_claim(sealer_, s));
    return out;
  }

  std::vector<ScholarshipRecord> scholarships_of(const std::string& death_claim_id) override {
    return scholarship_rows(sealer_, db_, "c.status != 'rejected' AND c.death_claim_id = ?",
                            {death_claim_id});
  }

  void save_claim(const Claim& c) override {
    auto s = db_.prepare(
        fmt::format("INSERT OR REPLACE INTO claims ({}) VALUES ({})", kClaimColumns,
                    "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                    "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?"));
    int i = 1;
    const auto text = [&](const std::string& v) { s.bind(i++, v); };
    const auto number = [&](std::int64_t v) { s.bind(i++, v); };
    const auto sealed = [&](const std::string& v, const char* column) {
      s.bind_blob(i++, sealer_.seal(v, claim_context(column, c.id)));
    };
    text(c.id);
    text(c.idempotency_key);
    sealed(c.fingerprint, "fingerprint");
    text(c.participant_id);
    text(c.type);
    text(c.status);
    text(c.event_date);
    text(c.rw_code);
    text(c.branch_code);
    text(c.agent_id);
    sealed(c.claimant.name, "claimant_name");
    sealed(c.claimant.nik, "claimant_nik");
    text(c.claimant.relation);
    sealed(c.claimant.phone, "claimant_phone");
    text(c.coverage.state);
    text(c.coverage.reason);
    number(c.coverage.eligible ? 1 : 0);
    number(c.coverage.unpaid_months);
    number(c.coverage.contribution_months);
    number(c.incapacity_months);
    number(c.claimed_amount);
    number(c.verified_amount);
    number(c.requested_amount);
    text(c.death_claim_id);
    number(c.scholarship_year);
    number(c.total);
    text(c.rejection_reason);
    text(c.filed_by);
    text(c.filed_at);
    text(c.filed_month);
    text(c.approved_by);
    text(c.paid_on);
    text(c.paid_by);
    text(c.pay_key);
    text(c.payment_reference);
    text(c.note);
    text(c.verified_by);
    std::string parts;
    for (const auto& part : c.body_parts) parts += (parts.empty() ? "" : ",") + part;
    text(parts);
    s.run();
    for (const char* table : {"claim_documents", "claim_lines", "claim_family", "claim_children"})
      db_.prepare(fmt::format("DELETE FROM {} WHERE claim_id = ?", table)).bind(1, c.id).run();
    int seq = 0;
    auto docs = db_.prepare(
        "INSERT INTO claim_documents (claim_id, seq, code, received, received_by, received_at) VALUES (?, ?, "
        "?, ?, "
        "?, ?)");
    for (const auto& d : c.documents)
      docs.bind(1, c.id)
          .bind(2, seq++)
          .bind(3, d.code)
          .bind(4, d.received ? 1 : 0)
          .bind(5, d.received_by)
          .bind(6, d.received_at)
          .run();
    seq = 0;
    auto lines = db_.prepare(
        "INSERT INTO claim_lines (claim_id, seq, component, amount, basis) VALUES (?, ?, ?, ?, ?)");
    for (const auto& l : c.lines)
      lines.bind(1, c.id).bind(2, seq++).bind(3, l.component).bind(4, l.amount).bind(5, l.basis).run();
    seq = 0;
    auto family =
        db_.prepare("INSERT INTO claim_family (claim_id, seq, relation, alive, name) VALUES (?, ?, ?, ?, ?)");
    for (const auto& f : c.family) {
      const auto name = sealer_.seal(f.name, part_context(kSealedFamily, "name", c.id, seq));
      family.bind(1, c.id)
          .bind(2, seq++)
          .bind(3, f.relation)
          .bind(4, f.alive ? 1 : 0)
          .bind_blob(5, name)
          .run();
    }
    seq = 0;
    auto children = db_.prepare(
        "INSERT INTO claim_children (claim_id, seq, name, birth_date, level, school_year, married, working) "
        "VALUES "
        "(?, ?, ?, ?, ?, ?, ?, ?)");
    for (const auto& k : c.children) {
      const auto at = seq++;
      children.bind(1, c.id)
          .bind(2, at)
          .bind_blob(3, sealer_.seal(k.name, part_context(kSealedChildren, "name", c.id, at)))
          .bind_blob(4, sealer_.seal(k.birth_date, part_context(kSealedChildren, "birth_date", c.id, at)))
          .bind(5, k.level)
          .bind(6, k.school_year)
          .bind(7, k.married ? 1 : 0)
          .bind(8, k.working ? 1 : 0)
          .run();
    }
    // History is append-only: entries already stored stay as they are.
    seq = 0;
    auto history = db_.prepare(
        "INSERT OR IGNORE INTO claim_history (claim_id, seq, action, from_status, to_status, user, role, at, "
        "note) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
    for (const auto& h : c.history)
      history.bind(1, c.id)
          .bind(2, seq++)
          .bind(3, h.action)
          .bind(4, h.from_status)
          .bind(5, h.to_status)
          .bind(6, h.user)
          .bind(7, h.role)
          .bind(8, h.at)
          .bind(9, h.note)
          .run();
  }

  void publish(const Event& event) override { store::outbox_append(tx_, encode_event(event, clock_)); }

 private:
  store::Transaction& tx_;
  store::Database& db_;
  const crypto::Sealer& sealer_;
  const Clock& clock_;
};

}  // namespace

SqliteStore::SqliteStore(store::Database& db, const crypto::Sealer& sealer, const Clock& clock)
    : db_(db), sealer_(sealer), clock_(clock) {}

const std::vector<crypto::SealedTable>& SqliteStore::sealed_tables() {
  static const std::vector<crypto::SealedTable> tables{kSealedClaims, kSealedFamily, kSealedChildren};
  return tables;
}

std::vector<store::Migration> SqliteStore::migrations(const crypto::Sealer& sealer) {
  return {
      {1, R"sql(
        CREATE TABLE participants (
          participant_id TEXT PRIMARY KEY,
          rw_code TEXT NOT NULL,
          branch_code TEXT NOT NULL,
          category TEXT NOT NULL,
          agent_id TEXT NOT NULL,
          income_band INTEGER NOT NULL,
          registered_on TEXT NOT NULL,
          exit_reason TEXT NOT NULL,
          exit_date TEXT NOT NULL,
          coverage_state TEXT NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE periods (
          participant_id TEXT NOT NULL,
          period INTEGER NOT NULL,
          billed INTEGER NOT NULL,
          paid INTEGER NOT NULL,
          paid_on TEXT NOT NULL,
          PRIMARY KEY (participant_id, period)
        ) WITHOUT ROWID;
        CREATE TABLE payment_periods (
          payment_id TEXT NOT NULL,
          participant_id TEXT NOT NULL,
          period INTEGER NOT NULL,
          PRIMARY KEY (payment_id, period)
        ) WITHOUT ROWID;
        CREATE TABLE applied_events (event_id TEXT PRIMARY KEY) WITHOUT ROWID;
        CREATE TABLE claims (
          id TEXT PRIMARY KEY,
          idempotency_key TEXT NOT NULL UNIQUE,
          fingerprint TEXT NOT NULL,
          participant_id TEXT NOT NULL,
          type TEXT NOT NULL,
          status TEXT NOT NULL CHECK (status IN ('filed', 'verified', 'approved', 'paid', 'rejected')),
          event_date TEXT NOT NULL,
          rw_code TEXT NOT NULL,
          branch_code TEXT NOT NULL,
          agent_id TEXT NOT NULL,
          claimant_name TEXT NOT NULL,
          claimant_nik TEXT NOT NULL,
          claimant_relation TEXT NOT NULL,
          claimant_phone TEXT NOT NULL,
          coverage_state TEXT NOT NULL,
          coverage_reason TEXT NOT NULL,
          coverage_eligible INTEGER NOT NULL,
          unpaid_months INTEGER NOT NULL,
          contribution_months INTEGER NOT NULL,
          incapacity_months INTEGER NOT NULL,
          claimed_amount INTEGER NOT NULL,
          verified_amount INTEGER NOT NULL,
          requested_amount INTEGER NOT NULL,
          death_claim_id TEXT NOT NULL,
          scholarship_year INTEGER NOT NULL,
          total INTEGER NOT NULL CHECK (total >= 0),
          rejection_reason TEXT NOT NULL,
          filed_by TEXT NOT NULL,
          filed_at TEXT NOT NULL,
          filed_month TEXT NOT NULL,
          approved_by TEXT NOT NULL,
          paid_on TEXT NOT NULL,
          paid_by TEXT NOT NULL,
          pay_key TEXT NOT NULL,
          payment_reference TEXT NOT NULL,
          note TEXT NOT NULL,
          -- maker-checker, enforced by the store as well as the rules
          CHECK (approved_by = '' OR approved_by != filed_by)
        );
        CREATE INDEX claims_by_participant ON claims(participant_id);
        CREATE INDEX claims_by_branch ON claims(branch_code, id);
        CREATE INDEX claims_by_status ON claims(status, id);
        CREATE INDEX claims_by_month ON claims(filed_month, id);
        CREATE INDEX claims_by_death_claim ON claims(death_claim_id) WHERE death_claim_id != '';
        CREATE TABLE claim_documents (
          claim_id TEXT NOT NULL, seq INTEGER NOT NULL, code TEXT NOT NULL, received INTEGER NOT NULL,
          received_by TEXT NOT NULL, received_at TEXT NOT NULL, PRIMARY KEY (claim_id, seq)) WITHOUT ROWID;
        CREATE TABLE claim_lines (
          claim_id TEXT NOT NULL, seq INTEGER NOT NULL, component TEXT NOT NULL, amount INTEGER NOT NULL,
          basis TEXT NOT NULL, PRIMARY KEY (claim_id, seq)) WITHOUT ROWID;
        CREATE TABLE claim_family (
          claim_id TEXT NOT NULL, seq INTEGER NOT NULL, relation TEXT NOT NULL, alive INTEGER NOT NULL,
          name TEXT NOT NULL, PRIMARY KEY (claim_id, seq)) WITHOUT ROWID;
        CREATE TABLE claim_children (
          claim_id TEXT NOT NULL, seq INTEGER NOT NULL, name TEXT NOT NULL, birth_date TEXT NOT NULL,
          level TEXT NOT NULL, school_year INTEGER NOT NULL, married INTEGER NOT NULL, working INTEGER NOT NULL,
          PRIMARY KEY (claim_id, seq)) WITHOUT ROWID;
        CREATE TABLE claim_history (
          claim_id TEXT NOT NULL, seq INTEGER NOT NULL, action TEXT NOT NULL, from_status TEXT NOT NULL,
          to_status TEXT NOT NULL, user TEXT NOT NULL, role TEXT NOT NULL, at TEXT NOT NULL, note TEXT NOT NULL,
          PRIMARY KEY (claim_id, seq)) WITHOUT ROWID;
      )sql"},
      store::outbox_migration(2),
      audit::Trail::migration(3),
      // Who verified a claim: the approver must be a third person. Claims verified before name
      // their verifier in the history.
      {4, R"sql(
        ALTER TABLE claims ADD COLUMN verified_by TEXT NOT NULL DEFAULT '';
        UPDATE claims SET verified_by = COALESCE((SELECT h.user FROM claim_history h WHERE h.claim_id = claims.id
          AND h.action = 'verified' ORDER BY h.seq DESC LIMIT 1), '');
        CREATE INDEX claims_by_agent ON claims(agent_id, id);
      )sql"},
      // Personal data sealed (libs/crypto): claims filed before are sealed here.
      {5, "",
       [&sealer](store::Database& db) {
         for (const auto& table : sealed_tables()) crypto::reseal_in_transaction(db, sealer, table);
       }},
      // Income bands with the day they took effect: a claim uses the band in force on its event
      // date. Participants known before learn their latest band from their registration day,
      // the best this store knows of them.
      {6, R"sql(
        CREATE TABLE incomes (
          participant_id TEXT NOT NULL,
          effective_on TEXT NOT NULL,
          band INTEGER NOT NULL,
          PRIMARY KEY (participant_id, effective_on)
        ) WITHOUT ROWID;
        INSERT INTO incomes (participant_id, effective_on, band)
          SELECT participant_id, registered_on, income_band FROM participants WHERE income_band > 0;
      )sql"},
      // Rows the broker refuses for good, set aside by the relay (libs/store outbox.hpp).
      store::outbox_dead_letters_migration(7),
      // Where the consumer stands per partition, written with each batch: a restored store
      // re-reads what it applied after its backup (libs/store consumer_offsets.hpp).
      store::consumer_offsets_migration(8),
      // The branch serving a participant from a day on: a moved worker's claim belongs to the
      // branch in force on its event date. Participants known before start with their current
      // branch from their registration day, the best this store knows of them.
      {9, R"sql(
        CREATE TABLE branch_history (
          participant_id TEXT NOT NULL,
          effective_on TEXT NOT NULL,
          branch_code TEXT NOT NULL,
          PRIMARY KEY (participant_id, effective_on)
        ) WITHOUT ROWID;
        INSERT INTO branch_history (participant_id, effective_on, branch_code)
          SELECT participant_id, registered_on, branch_code FROM participants WHERE branch_code != '';
      )sql"},
      // JKK partial permanent disability: the body parts claimed, by the benefit table's names.
      {10, R"sql(
        ALTER TABLE claims ADD COLUMN body_parts TEXT NOT NULL DEFAULT '';
      )sql"},
      // The participant's last announced coverage state was kept and never read (a claim's
      // coverage is computed from the periods): claims no longer follows CoverageChanged.
      {11, R"sql(
        ALTER TABLE participants DROP COLUMN coverage_state;
      )sql"},
      // A participant's first registration is recorded by the row it makes, not by an applied
      // event's row (one row less per registration). Participants known before have '': their
      // registrations' ids are among the applied events.
      {12, R"sql(
        ALTER TABLE participants ADD COLUMN registered_by TEXT NOT NULL DEFAULT '';
      )sql"},
      // The outbox in two segments, each emptied whole once published (libs/store outbox.hpp).
      store::outbox_segments_migration(13),
      // Claims asks registration for a participant when a claim needs one (GetParticipantFacts,
      // with the bands and branches registration keeps) instead of following every registration:
      // the copy and its histories go. Changes of band or branch made before registration kept
      // them (its migration 9) were recorded only here; no deployment of Jaring held any then.
      {14, R"sql(
        DROP TABLE participants;
        DROP TABLE incomes;
        DROP TABLE branch_history;
      )sql"},
  };
}

Result<void> SqliteStore::transact(const std::function<Result<void>(Unit&)>& fn) {
  try {
    return db_.write([&](store::Transaction& tx) {
      SqliteUnit unit(tx, sealer_, clock_);
      return fn(unit);
    });
  } catch (const store::StoreError& e) {
    return fail(store_failure(e.what()));
  }
}

std::optional<Claim> SqliteStore::claim(const std::string& claim_id) {
  return db_.read([&](store::Database& db) { return claim_where(sealer_, db, "id", claim_id); });
}

ClaimPage SqliteStore::list(const ClaimFilter& f, const auth::Scope& scope) {
  // The scope is a condition of the query: a page never holds, nor skips over, a claim the
  // caller may not see.
  auto scoped = auth::sql_scope(scope, {"branch_code", "rw_code", "agent_id", ""});
  return db_.read([&](store::Database& db) {
    std::string where = scoped.condition;
    std::vector<std::string> values = scoped.values;
    const auto add = [&](const char* column, const std::string& value) {
      if (value.empty()) return;
      where += fmt::format(" AND {} = ?", column);
      values.push_back(value);
    };
    add("branch_code", f.branch_code);
    add("status", f.status);
    add("filed_month", f.period);
    if (!f.page_token.empty()) {
      where += " AND id < ?";
      values.push_back(f.page_token);
    }
    auto s = db.prepare(
        fmt::format("SELECT {} FROM claims WHERE {} ORDER BY id DESC LIMIT ?", kClaimColumns, where));
    int i = 1;
    for (const auto& v : values) s.bind(i++, v);
    s.bind(i, f.page_size + 1);
    ClaimPage page;
    while (s.step()) page.claims.push_back(read_claim(sealer_, s));
    s.reset();
    if (static_cast<int>(page.claims.size()) > f.page_size) {
      page.claims.pop_back();
      page.next_page_token = page.claims.back().id;
    }
    for (auto& c : page.claims) load_parts(sealer_, db, c, false);
    return page;
  });
}

std::vector<ScholarshipRecord> SqliteStore::latest_scholarships(const std::string& branch_code,
                                                                const auth::Scope& scope) {
  auto scoped = auth::sql_scope(scope, {"c.branch_code", "c.rw_code", "c.agent_id", ""});
  std::string where = "c.status IN ('approved', 'paid') AND " + scoped.condition;
  if (!branch_code.empty()) {
    where += " AND c.branch_code = ?";
    scoped.values.push_back(branch_code);
  }
  return db_.read([&](store::Database& db) {
    const auto rows = scholarship_rows(sealer_, db, where, scoped.values);
    // Rows come by year: the last one of each child is its latest claim.
    std::map<std::string, ScholarshipRecord> latest;
    for (const auto& r : rows) latest[r.death_claim_id + "|" + r.child.name + "|" + r.child.birth_date] = r;
    std::vector<ScholarshipRecord> out;
    out.reserve(latest.size());
    for (auto& [key, r] : latest) out.push_back(std::move(r));
    return out;
  });
}

std::vector<PeriodFact> SqliteStore::periods(const std::string& participant_id) {
  return db_.read([&](store::Database& db) { return periods_of(db, participant_id); });
}

std::vector<PaidClaimFact> SqliteStore::paid_claims_page(const std::string& after, int limit) {
  return db_.read([&](store::Database& db) {
    std::vector<PaidClaimFact> out;
    auto s = db.prepare(
        "SELECT id, participant_id, rw_code, total, paid_on FROM claims WHERE status = 'paid' AND id > ? "
        "ORDER BY id LIMIT ?");
    s.bind(1, after).bind(2, static_cast<std::int64_t>(limit));
    while (s.step()) {
      out.push_back(
          {s.column_text(0), s.column_text(1), s.column_text(2), s.column_int(3), s.column_text(4)});
    }
    return out;
  });
}

// outbox_backlog takes the reading connection itself.
std::int64_t SqliteStore::unpublished() { return store::outbox_backlog(db_); }

}  // namespace jaring::claims

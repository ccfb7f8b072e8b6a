#include "sqlite_store.hpp"

#include "jaring/audit/trail.hpp"
#include "jaring/common/assert.hpp"

#include <map>
#include <string_view>

#include <fmt/format.h>

#include "../core/ledger.hpp"
#include "event_codec.hpp"
#include "jaring/store/consumer_offsets.hpp"
#include "jaring/store/idempotence.hpp"
#include "jaring/store/outbox.hpp"

namespace jaring::contribution {
namespace {

// Periods are stored as month indexes (year * 12 + month - 1): compact and ordered.
constexpr const char* kAccountColumns =
    "participant_id, rw_code, agent_id, branch_code, category, payer, programs, income_band, first_period, "
    "last_period, end_date, state, closed_reason, max_period, last_billed, covered_through, months_unpaid, "
    "outstanding, credit, opened_at, opened_month";
constexpr const char* kDueColumns =
    "participant_id, period, band, jkk, jkm, jht, discount, total, discount_name, paid, payer, billed, "
    "waived";
constexpr const char* kPaymentColumns =
    "id, idempotency_key, fingerprint, participant_id, channel, payer, payer_id, agent_id, amount, months, "
    "target, unallocated, received_at, received_month, reversed, reversal_reason, batch_id, recorded_by";
// Rows a book needs: unpaid ones, and ones paid ahead but not billed yet.
constexpr const char* kBookDues = "((paid < total AND waived = 0) OR billed = 0)";

Period period_at(std::int64_t index) {
  return Period::of(static_cast<int>(index / 12), static_cast<int>(index % 12) + 1);
}

std::optional<Period> optional_period(const store::Statement& s, int column) {
  if (s.column_is_null(column)) return std::nullopt;
  return period_at(s.column_int(column));
}

Sponsorship read_sponsorship(const store::Statement& s) {
  return {s.column_text(0), s.column_text(1), period_at(s.column_int(2)), period_at(s.column_int(3))};
}

void bind_period(store::Statement& s, int index, const std::optional<Period>& p) {
  if (p) {
    s.bind(index, p->index());
  } else {
    s.bind_null(index);
  }
}

Account read_account(const store::Statement& s) {
  Account a;
  a.participant_id = s.column_text(0);
  a.rw_code = s.column_text(1);
  a.agent_id = s.column_text(2);
  a.branch_code = s.column_text(3);
  a.terms = {s.column_text(4), s.column_text(5), s.column_text(6), s.column_int(7)};
  a.first_period = period_at(s.column_int(8));
  a.last_period = optional_period(s, 9);
  a.end_date = s.column_text(10);
  a.state = s.column_text(11);
  a.closed_reason = s.column_text(12);
  a.max_period = optional_period(s, 13);
  a.last_billed = optional_period(s, 14);
  a.covered_through = optional_period(s, 15);
  a.months_unpaid = static_cast<int>(s.column_int(16));
  a.outstanding = s.column_int(17);
  a.credit = s.column_int(18);
  a.opened_at = s.column_text(19);
  a.opened_month = s.column_text(20);
  return a;
}

Due read_due(const store::Statement& s) {
  Due d;
  d.period = period_at(s.column_int(1));
  d.charge = {d.period,        s.column_int(2), s.column_int(3), s.column_int(4),
              s.column_int(5), s.column_int(6), s.column_int(7), s.column_text(8)};
  d.paid = s.column_int(9);
  d.payer = s.column_text(10);
  d.billed = s.column_int(11) != 0;
  d.waived = s.column_int(12) != 0;
  return d;
}

Payment read_payment(const store::Statement& s) {
  Payment p;
  p.id = s.column_text(0);
  p.idempotency_key = s.column_text(1);
  p.fingerprint = s.column_text(2);
  p.participant_id = s.column_text(3);
  p.channel = s.column_text(4);
  p.payer = s.column_text(5);
  p.payer_id = s.column_text(6);
  p.agent_id = s.column_text(7);
  p.amount = s.column_int(8);
  p.months = static_cast<int>(s.column_int(9));
  p.target = optional_period(s, 10);
  p.unallocated = s.column_int(11);
  p.received_at = s.column_text(12);
  p.received_month = s.column_text(13);
  p.reversed = s.column_int(14) != 0;
  p.reversal_reason = s.column_text(15);
  p.batch_id = s.column_text(16);
  p.recorded_by = s.column_text(17);
  return p;
}

// Statements by SQL text. store::Database compiles each text once and hands the compiled
// statement out again (a billing chunk runs the same few statements thousands of times).
class Statements {
 public:
  explicit Statements(store::Database& db) : db_(db) {}
  store::Statement get(std::string_view sql) { return db_.prepare(sql); }

 private:
  store::Database& db_;
};

std::vector<Allocation> allocations_of(Statements& sql, const std::string& payment_id) {
  std::vector<Allocation> out;
  auto s =
      sql.get("SELECT period, amount FROM allocations WHERE payment_id = ? AND reversed = 0 ORDER BY period");
  s.bind(1, payment_id);
  while (s.step()) out.push_back({payment_id, period_at(s.column_int(0)), s.column_int(1)});
  return out;
}

std::optional<Payment> payment_where(Statements& sql, const char* column, const std::string& value) {
  auto s = sql.get(fmt::format("SELECT {} FROM payments WHERE {} = ?", kPaymentColumns, column));
  if (!s.bind(1, value).step()) return std::nullopt;
  auto payment = read_payment(s);
  s.reset();
  payment.allocations = allocations_of(sql, payment.id);
  return payment;
}

std::optional<Account> account_of(Statements& sql, const std::string& participant_id) {
  static const auto kSelect =
      fmt::format("SELECT {} FROM accounts WHERE participant_id = ?", kAccountColumns);
  auto s = sql.get(kSelect);
  if (!s.bind(1, participant_id).step()) return std::nullopt;
  return read_account(s);
}

class SqliteUnit final : public Unit {
 public:
  SqliteUnit(store::Transaction& tx, const Clock& clock) : tx_(tx), sql_(tx.database()), clock_(clock) {}

  bool seen_event(const std::string& event_id) override {
    return !store::first_application(tx_.database(), event_id);
  }

  std::optional<Book> load(const std::string& participant_id, const Payment* reversing) override {
    auto account = account_of(sql_, participant_id);
    if (!account) return std::nullopt;
    Book book;
    book.account = std::move(*account);
    static const auto kSelectDues = fmt::format(
        "SELECT {} FROM dues WHERE participant_id = ? AND {} ORDER BY period", kDueColumns, kBookDues);
    auto dues = sql_.get(kSelectDues);
    dues.bind(1, participant_id);
    while (dues.step()) {
      auto due = read_due(dues);
      book.dues.emplace(due.period, due);
    }
    if (reversing) {
      for (const auto& a : reversing->allocations) {
        if (book.dues.contains(a.period)) continue;
        auto s =
            sql_.get(fmt::format("SELECT {} FROM dues WHERE participant_id = ? AND period = ?", kDueColumns));
        if (s.bind(1, participant_id).bind(2, a.period.index()).step())
          book.dues.emplace(a.period, read_due(s));
      }
    }
    auto credits = sql_.get(
        "SELECT id, payer, unallocated FROM payments WHERE participant_id = ? AND unallocated > 0 AND "
        "reversed = 0 "
        "ORDER BY rowid");
    credits.bind(1, participant_id);
    while (credits.step())
      book.credits.push_back({credits.column_text(0), credits.column_text(1), credits.column_int(2)});
    auto funded = sql_.get(
        "SELECT participant_id, cohort_id, from_period, to_period FROM sponsorships WHERE participant_id = ? "
        "AND to_period >= from_period");
    funded.bind(1, participant_id);
    while (funded.step()) book.sponsorships.push_back(read_sponsorship(funded));
    return book;
  }

  std::vector<Book> load_after(const std::string& after, int limit) override {
    std::vector<Book> books;
    auto accounts =
        sql_.get(fmt::format("SELECT {} FROM accounts WHERE participant_id > ? AND state != 'closed' ORDER "
                             "BY participant_id LIMIT ?",
                             kAccountColumns));
    accounts.bind(1, after).bind(2, limit);
    std::map<std::string, std::size_t> index;
    while (accounts.step()) {
      Book book;
      book.account = read_account(accounts);
      index[book.account.participant_id] = books.size();
      books.push_back(std::move(book));
    }
    if (books.empty()) return books;
    const auto& last = books.back().account.participant_id;
    // Range reads for the whole chunk instead of one query per account.
    auto dues =
        sql_.get(fmt::format("SELECT {} FROM dues WHERE participant_id > ? AND participant_id <= ? AND {} "
                             "ORDER BY participant_id, period",
                             kDueColumns, kBookDues));
    dues.bind(1, after).bind(2, last);
    while (dues.step()) {
      if (auto it = index.find(dues.column_text(0)); it != index.end()) {
        auto due = read_due(dues);
        books[it->second].dues.emplace(due.period, due);
      }
    }
    auto credits = sql_.get(
        "SELECT participant_id, id, payer, unallocated FROM payments WHERE participant_id > ? AND "
        "participant_id <= ? "
        "AND unallocated > 0 AND reversed = 0 ORDER BY rowid");
    credits.bind(1, after).bind(2, last);
    while (credits.step()) {
      if (auto it = index.find(credits.column_text(0)); it != index.end())
        books[it->second].credits.push_back(
            {credits.column_text(1), credits.column_text(2), credits.column_int(3)});
    }
    auto funded = sql_.get(
        "SELECT participant_id, cohort_id, from_period, to_period FROM sponsorships WHERE participant_id > ? "
        "AND participant_id <= ? AND to_period >= from_period");
    funded.bind(1, after).bind(2, last);
    while (funded.step()) {
      if (auto it = index.find(funded.column_text(0)); it != index.end())
        books[it->second].sponsorships.push_back(read_sponsorship(funded));
    }
    return books;
  }

  void save(Book& book) override {
    JARING_ASSERT(!book.is_new, "a book opened now is stored by open()");
    save_account(book.account, /*is_new=*/false);
    save_rows(book);
  }

  bool open(Book& book) override {
    JARING_ASSERT(book.is_new, "only a book opened now is opened");
    if (!save_account(book.account, /*is_new=*/true)) return false;  // the participant has one
    book.is_new = false;
    save_rows(book);
    return true;
  }

  void publish(const Event& event) override { store::outbox_append(tx_, encode_event(event, clock_)); }

  std::optional<Payment> payment(const std::string& id) override { return payment_where(sql_, "id", id); }
  std::optional<Payment> payment_by_key(const std::string& key) override {
    return payment_where(sql_, "idempotency_key", key);
  }

  std::optional<std::string> recall(const std::string& key) override {
    return store::recall_result(tx_.database(), key);
  }
  void remember(const std::string& key, const std::string& result) override {
    store::remember_result(tx_.database(), key, result);
  }

  std::optional<BillingRun> billing_run(const std::string& period) override {
    auto s = sql_.get(
        "SELECT run_id, period, accounts_billed, amount_billed, accounts_closed, started_at, finished_at "
        "FROM billing_runs WHERE period = ?");
    if (!s.bind(1, period).step()) return std::nullopt;
    return BillingRun{s.column_text(0), s.column_text(1), s.column_int(2),  s.column_int(3),
                      s.column_int(4),  s.column_text(5), s.column_text(6), false};
  }
  std::optional<BillingRun> latest_billing_run() override {
    auto s = sql_.get("SELECT period FROM billing_runs ORDER BY period DESC LIMIT 1");
    if (!s.step()) return std::nullopt;
    return billing_run(s.column_text(0));
  }
  void save_billing_run(const BillingRun& r) override {
    sql_.get(
            "INSERT OR REPLACE INTO billing_runs (period, run_id, accounts_billed, amount_billed, "
            "accounts_closed, "
            "started_at, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?)")
        .bind(1, r.period)
        .bind(2, r.run_id)
        .bind(3, r.accounts_billed)
        .bind(4, r.amount_billed)
        .bind(5, r.accounts_closed)
        .bind(6, r.started_at)
        .bind(7, r.finished_at)
        .run();
  }
  void save_agent(const std::string& agent_id, const std::string& organisation,
                  const std::string& branch_code) override {
    sql_.get("INSERT OR REPLACE INTO agents (agent_id, organisation, branch_code) VALUES (?, ?, ?)")
        .bind(1, agent_id)
        .bind(2, organisation)
        .bind(3, branch_code)
        .run();
  }
  void save_sponsorship(const Sponsorship& s) override {
    sql_.get(
            "INSERT OR REPLACE INTO sponsorships (participant_id, cohort_id, from_period, to_period) VALUES "
            "(?, ?, ?, ?)")
        .bind(1, s.participant_id)
        .bind(2, s.cohort_id)
        .bind(3, s.from.index())
        .bind(4, s.to.index())
        .run();
  }

 private:
  // What a book holds besides its account: dues, payments, credit, allocations, its events.
  void save_rows(Book& book) {
    for (auto& [period, due] : book.dues) {
      if (!due.dirty) continue;
      save_due(book.account.participant_id, due);
      due.dirty = due.is_new = false;
    }
    for (auto& payment : book.payments) save_payment(payment);
    for (auto& credit : book.credits) {
      if (!credit.dirty) continue;
      sql_.get("UPDATE payments SET unallocated = ? WHERE id = ?")
          .bind(1, credit.unallocated)
          .bind(2, credit.payment_id)
          .run();
      credit.dirty = false;
    }
    for (const auto& a : book.credit_allocations) save_allocation(book.account.participant_id, a);
    for (const auto& event : book.events) publish(event);
    book.payments.clear();
    book.credit_allocations.clear();
    book.events.clear();
  }

  // False when an account was new and the participant had one already: nothing was written.
  bool save_account(const Account& a, bool is_new) {
    // An update leaves the columns that never change alone, so their indexes are not touched
    // (a billing run updates every account).
    static const auto kInsert =
        fmt::format("INSERT INTO accounts ({}) VALUES ({}) ON CONFLICT (participant_id) DO NOTHING",
                    kAccountColumns, store::placeholders(21));
    constexpr std::string_view kUpdate =
        "UPDATE accounts SET rw_code = ?2, category = ?5, payer = ?6, programs = ?7, income_band = ?8, "
        "last_period = ?10, end_date = ?11, state = ?12, closed_reason = ?13, max_period = ?14, "
        "last_billed = ?15, covered_through = ?16, months_unpaid = ?17, outstanding = ?18, credit = ?19 "
        "WHERE participant_id = ?1";
    auto s = sql_.get(is_new ? std::string_view(kInsert) : kUpdate);
    // A write per registration and per bill: the fields are bound where they are.
    s.bind_unowned(1, a.participant_id)
        .bind_unowned(2, a.rw_code)
        .bind_unowned(3, a.agent_id)
        .bind_unowned(4, a.branch_code)
        .bind_unowned(5, a.terms.category)
        .bind_unowned(6, a.terms.payer)
        .bind_unowned(7, a.terms.programs)
        .bind(8, a.terms.income_band)
        .bind(9, a.first_period.index());
    bind_period(s, 10, a.last_period);
    s.bind_unowned(11, a.end_date).bind_unowned(12, a.state).bind_unowned(13, a.closed_reason);
    bind_period(s, 14, a.max_period);
    bind_period(s, 15, a.last_billed);
    bind_period(s, 16, a.covered_through);
    s.bind(17, a.months_unpaid).bind(18, a.outstanding).bind(19, a.credit);
    if (is_new) s.bind_unowned(20, a.opened_at).bind_unowned(21, a.opened_month);
    s.run();
    if (!is_new) return true;
    if (tx_.database().changes() != 1) return false;
    // An account an agent opened counts once in its month's tally (the agents' report).
    if (!a.agent_id.empty()) {
      sql_.get(
              "INSERT INTO agent_openings (opened_month, agent_id, accounts) VALUES (?, ?, 1) "
              "ON CONFLICT (opened_month, agent_id) DO UPDATE SET accounts = accounts + 1")
          .bind_unowned(1, a.opened_month)
          .bind_unowned(2, a.agent_id)
          .run();
    }
    return true;
  }

  void save_due(const std::string& participant_id, const Due& d) {
    static const auto kUpsert = fmt::format(
        "INSERT OR REPLACE INTO dues ({}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", kDueColumns);
    sql_.get(kUpsert)
        .bind(1, participant_id)
        .bind(2, d.period.index())
        .bind(3, d.charge.band)
        .bind(4, d.charge.jkk)
        .bind(5, d.charge.jkm)
        .bind(6, d.charge.jht)
        .bind(7, d.charge.discount)
        .bind(8, d.charge.total)
        .bind(9, d.charge.discount_name)
        .bind(10, d.paid)
        .bind(11, d.payer)
        .bind(12, d.billed ? 1 : 0)
        .bind(13, d.waived ? 1 : 0)
        .run();
  }

  void save_payment(const Payment& p) {
    if (p.reversed) {
      sql_.get("UPDATE payments SET reversed = 1, reversal_reason = ?, unallocated = 0 WHERE id = ?")
          .bind(1, p.reversal_reason)
          .bind(2, p.id)
          .run();
      sql_.get("UPDATE allocations SET reversed = 1 WHERE payment_id = ?").bind(1, p.id).run();
      return;
    }
    auto s = sql_.get(
        fmt::format("INSERT INTO payments ({}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    kPaymentColumns));
    s.bind(1, p.id)
        .bind(2, p.idempotency_key)
        .bind(3, p.fingerprint)
        .bind(4, p.participant_id)
        .bind(5, p.channel)
        .bind(6, p.payer)
        .bind(7, p.payer_id)
        .bind(8, p.agent_id)
        .bind(9, p.amount)
        .bind(10, p.months);
    bind_period(s, 11, p.target);
    s.bind(12, p.unallocated)
        .bind(13, p.received_at)
        .bind(14, p.received_month)
        .bind(15, 0)
        .bind(16, "")
        .bind(17, p.batch_id)
        .bind(18, p.recorded_by)
        .run();
    for (const auto& a : p.allocations) save_allocation(p.participant_id, a);
  }

  void save_allocation(const std::string& participant_id, const Allocation& a) {
    sql_.get(
            "INSERT INTO allocations (payment_id, participant_id, period, amount, reversed) VALUES (?, ?, ?, "
            "?, 0)")
        .bind(1, a.payment_id)
        .bind(2, participant_id)
        .bind(3, a.period.index())
        .bind(4, a.amount)
        .run();
  }

  store::Transaction& tx_;
  Statements sql_;
  const Clock& clock_;
};

}  // namespace

SqliteStore::SqliteStore(store::Database& db, const Clock& clock) : db_(db), clock_(clock) {
  // 64 MiB of page cache: a billing run walks every account, and the default 2 MiB thrashes.
  db_.read([](store::Database& d) { d.exec("PRAGMA cache_size = -65536"); });
}

std::vector<store::Migration> SqliteStore::migrations() {
  return {
      {1, R"sql(
        CREATE TABLE accounts (
          participant_id TEXT PRIMARY KEY,
          rw_code TEXT NOT NULL,
          agent_id TEXT NOT NULL,
          branch_code TEXT NOT NULL,
          category TEXT NOT NULL,
          payer TEXT NOT NULL,
          programs TEXT NOT NULL,
          income_band INTEGER NOT NULL,
          first_period INTEGER NOT NULL,
          last_period INTEGER,
          end_date TEXT NOT NULL,
          state TEXT NOT NULL,
          closed_reason TEXT NOT NULL,
          max_period INTEGER,
          last_billed INTEGER,
          covered_through INTEGER,
          months_unpaid INTEGER NOT NULL,
          outstanding INTEGER NOT NULL,
          credit INTEGER NOT NULL,
          opened_at TEXT NOT NULL,
          opened_month TEXT NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX accounts_arrears_by_rw ON accounts(rw_code) WHERE state IN ('arrears', 'lapsed');
        CREATE INDEX accounts_arrears_by_agent ON accounts(agent_id) WHERE state IN ('arrears', 'lapsed');
        CREATE INDEX accounts_by_opened_month ON accounts(opened_month, agent_id);
        CREATE TABLE dues (
          participant_id TEXT NOT NULL,
          period INTEGER NOT NULL,
          band INTEGER NOT NULL,
          jkk INTEGER NOT NULL,
          jkm INTEGER NOT NULL,
          jht INTEGER NOT NULL,
          discount INTEGER NOT NULL,
          total INTEGER NOT NULL,
          discount_name TEXT NOT NULL,
          paid INTEGER NOT NULL,
          payer TEXT NOT NULL,
          billed INTEGER NOT NULL,
          waived INTEGER NOT NULL,
          PRIMARY KEY (participant_id, period),
          CHECK (paid >= 0 AND paid <= total)
        ) WITHOUT ROWID;
        CREATE TABLE payments (
          id TEXT PRIMARY KEY,
          idempotency_key TEXT NOT NULL UNIQUE,
          fingerprint TEXT NOT NULL,
          participant_id TEXT NOT NULL,
          channel TEXT NOT NULL,
          payer TEXT NOT NULL,
          payer_id TEXT NOT NULL,
          agent_id TEXT NOT NULL,
          amount INTEGER NOT NULL CHECK (amount > 0),
          months INTEGER NOT NULL,
          target INTEGER,
          unallocated INTEGER NOT NULL CHECK (unallocated >= 0),
          received_at TEXT NOT NULL,
          received_month TEXT NOT NULL,
          reversed INTEGER NOT NULL,
          reversal_reason TEXT NOT NULL,
          batch_id TEXT NOT NULL
        );
        CREATE INDEX payments_by_participant ON payments(participant_id);
        CREATE INDEX payments_with_credit ON payments(participant_id) WHERE unallocated > 0 AND reversed = 0;
        CREATE INDEX payments_by_batch ON payments(batch_id) WHERE batch_id != '';
        CREATE INDEX payments_by_month ON payments(received_month, agent_id);
        CREATE TABLE allocations (
          payment_id TEXT NOT NULL,
          participant_id TEXT NOT NULL,
          period INTEGER NOT NULL,
          amount INTEGER NOT NULL CHECK (amount > 0),
          reversed INTEGER NOT NULL
        );
        CREATE INDEX allocations_by_payment ON allocations(payment_id);
        CREATE INDEX allocations_by_period ON allocations(participant_id, period);
        CREATE TABLE billing_runs (
          period TEXT PRIMARY KEY,
          run_id TEXT NOT NULL,
          accounts_billed INTEGER NOT NULL,
          amount_billed INTEGER NOT NULL,
          accounts_closed INTEGER NOT NULL,
          started_at TEXT NOT NULL,
          finished_at TEXT NOT NULL
        );
        CREATE TABLE applied_events (event_id TEXT PRIMARY KEY) WITHOUT ROWID;
        CREATE TABLE idempotency_keys (key TEXT PRIMARY KEY, result TEXT NOT NULL) WITHOUT ROWID;
        CREATE TABLE agents (agent_id TEXT PRIMARY KEY, organisation TEXT NOT NULL, branch_code TEXT NOT NULL);
      )sql"},
      store::outbox_migration(2),
      audit::Trail::migration(3),
      // Who recorded a payment: a reversal needs a second person. Earlier payments name nobody.
      {4, R"sql(
        ALTER TABLE payments ADD COLUMN recorded_by TEXT NOT NULL DEFAULT '';
        CREATE INDEX agents_by_branch ON agents(branch_code, agent_id);
      )sql"},
      // Rows the broker refuses for good, set aside by the relay (libs/store outbox.hpp).
      store::outbox_dead_letters_migration(5),
      // Where the consumer stands per partition, written with each batch: a restored store
      // re-reads what it applied after its backup (libs/store consumer_offsets.hpp).
      store::consumer_offsets_migration(6),
      // Registered but never paid was counted active; it is its own state now. Coverage's
      // reconciler sees the moved counts as drift and rebuilds from ExportCoverage.
      {7, R"sql(
        UPDATE accounts SET state = 'awaiting'
        WHERE state IN ('active', 'arrears', 'lapsed') AND covered_through IS NULL
          AND NOT EXISTS (SELECT 1 FROM dues d WHERE d.participant_id = accounts.participant_id
                          AND d.paid > 0 AND d.paid = d.total AND d.waived = 0);
        -- Agents chase a first payment as they chase arrears: the lists hold both.
        DROP INDEX accounts_arrears_by_rw;
        DROP INDEX accounts_arrears_by_agent;
        CREATE INDEX accounts_arrears_by_rw ON accounts(rw_code) WHERE state IN ('arrears', 'lapsed', 'awaiting');
        CREATE INDEX accounts_arrears_by_agent ON accounts(agent_id) WHERE state IN ('arrears', 'lapsed', 'awaiting');
      )sql"},
      // The months sponsors fund, from csr-donor's SponsorshipChanged: billing keeps the worker's
      // credit off them. Cohorts announced before this migration are not known here.
      {8, R"sql(
        CREATE TABLE sponsorships (
          participant_id TEXT NOT NULL,
          cohort_id TEXT NOT NULL,
          from_period INTEGER NOT NULL,
          to_period INTEGER NOT NULL,
          PRIMARY KEY (participant_id, cohort_id)
        ) WITHOUT ROWID;
      )sql"},
      // The arrears indexes hold only what the arrears list shows: accounts with months unpaid.
      // They held every new account (a registration opens it 'awaiting' a first payment, with
      // nothing unpaid yet), each at its RW's place in the index: a page written a registration.
      // The states, as an IN list of three, also made SQLite build two temporary tables on every
      // write of an account (a list of more than two does); as ORs they cost two comparisons.
      // The arrears query spells the condition the same way, which is how SQLite knows the
      // indexes serve it.
      {9, R"sql(
        DROP INDEX accounts_arrears_by_rw;
        DROP INDEX accounts_arrears_by_agent;
        CREATE INDEX accounts_arrears_by_rw ON accounts(rw_code)
          WHERE months_unpaid > 0 AND (state = 'arrears' OR state = 'lapsed' OR state = 'awaiting');
        CREATE INDEX accounts_arrears_by_agent ON accounts(agent_id)
          WHERE months_unpaid > 0 AND (state = 'arrears' OR state = 'lapsed' OR state = 'awaiting');
      )sql"},
      // The outbox in two segments, each emptied whole once published (libs/store outbox.hpp).
      store::outbox_segments_migration(10),
      // The agents' monthly report counts the accounts agents opened; an account opened by branch
      // staff (no agent) is never among them, yet each one was an entry of this index. Following
      // a registration cost 4.3-5.3 µs before, 3.4-3.7 after (jaring-bench-projections, alternated,
      // every account opened by branch staff, as jaring-bench registers them).
      {11, R"sql(
        DROP INDEX accounts_by_opened_month;
        CREATE INDEX accounts_by_opened_month ON accounts(opened_month, agent_id) WHERE agent_id != '';
      )sql"},
      // The same report from a tally kept as accounts open: a row an agent and month, not an
      // index entry an account. Registrations by 200 agents dirtied a leaf of that index for each
      // agent in every batch: 6.3-6.8 µs and 2.2 KiB written a registration before, 4.8-5.4 µs
      // and 0.4 KiB after (jaring-bench-projections --agents 100, alternated). An account's agent
      // and month never change, and an account is never removed, so the tally stays exact.
      {12, R"sql(
        CREATE TABLE agent_openings (
          opened_month TEXT NOT NULL,
          agent_id TEXT NOT NULL,
          accounts INTEGER NOT NULL,
          PRIMARY KEY (opened_month, agent_id)
        ) WITHOUT ROWID;
        INSERT INTO agent_openings (opened_month, agent_id, accounts)
          SELECT opened_month, agent_id, COUNT(*) FROM accounts WHERE agent_id != ''
          GROUP BY opened_month, agent_id;
        DROP INDEX accounts_by_opened_month;
      )sql"},
  };
}

Result<void> SqliteStore::transact(const std::function<Result<void>(Unit&)>& fn) {
  return store::write_or_unavailable(db_, "contribution store", [&](store::Transaction& tx) {
    SqliteUnit unit(tx, clock_);
    return fn(unit);
  });
}

std::optional<Account> SqliteStore::account(const std::string& participant_id) {
  return db_.read([&](store::Database& db) {
    Statements sql(db);
    return account_of(sql, participant_id);
  });
}

std::optional<StatementView> SqliteStore::statement(const std::string& participant_id) {
  return db_.read([&](store::Database& db) -> std::optional<StatementView> {
    Statements sql(db);
    auto account = account_of(sql, participant_id);
    if (!account) return std::nullopt;
    StatementView view;
    view.account = std::move(*account);
    auto dues =
        sql.get(fmt::format("SELECT {} FROM dues WHERE participant_id = ? ORDER BY period", kDueColumns));
    dues.bind(1, participant_id);
    while (dues.step()) view.dues.push_back(read_due(dues));
    auto payments = sql.get(
        fmt::format("SELECT {} FROM payments WHERE participant_id = ? ORDER BY rowid", kPaymentColumns));
    payments.bind(1, participant_id);
    while (payments.step()) view.payments.push_back(read_payment(payments));
    for (auto& p : view.payments) p.allocations = allocations_of(sql, p.id);
    return view;
  });
}

std::vector<ArrearsEntry> SqliteStore::arrears(const std::string& rw_code, const std::string& agent_id,
                                               const auth::Scope& scope) {
  // The scope is a condition of the query: the list never holds an account the caller may not see.
  // The months unpaid and the states are the condition of the arrears indexes (migration 9), word
  // for word.
  const auto where = auth::sql_scope(scope, {"a.branch_code", "a.rw_code", "a.agent_id", ""});
  return db_.read([&](store::Database& db) {
    std::vector<ArrearsEntry> out;
    auto s = db.prepare(fmt::format(
        "SELECT a.participant_id, a.rw_code, a.agent_id, a.state, a.months_unpaid, a.outstanding, "
        "(SELECT MIN(period) FROM dues d WHERE d.participant_id = a.participant_id AND d.paid < d.total "
        "AND d.waived = 0 AND d.billed = 1) FROM accounts a WHERE a.{} = ? AND (a.state = 'arrears' "
        "OR a.state = 'lapsed' OR a.state = 'awaiting') AND a.months_unpaid > 0 AND {} "
        "ORDER BY a.months_unpaid DESC, a.participant_id",
        rw_code.empty() ? "agent_id" : "rw_code", where.condition));
    s.bind(1, rw_code.empty() ? agent_id : rw_code);
    int i = 2;
    for (const auto& v : where.values) s.bind(i++, v);
    while (s.step()) {
      out.push_back({s.column_text(0), s.column_text(1), s.column_text(2), s.column_text(3),
                     period_text(optional_period(s, 6)), static_cast<int>(s.column_int(4)), s.column_int(5)});
    }
    return out;
  });
}

std::vector<CoverageFact> SqliteStore::coverage_page(const std::string& after, int limit) {
  return db_.read([&](store::Database& db) {
    std::vector<CoverageFact> out;
    auto s = db.prepare(
        "SELECT participant_id, rw_code, state FROM accounts WHERE participant_id > ? ORDER BY "
        "participant_id "
        "LIMIT ?");
    s.bind(1, after).bind(2, static_cast<std::int64_t>(limit));
    while (s.step()) out.push_back({s.column_text(0), s.column_text(1), s.column_text(2)});
    return out;
  });
}

// outbox_backlog takes the reading connection itself.
std::int64_t SqliteStore::unpublished() { return store::outbox_backlog(db_); }

std::optional<Due> SqliteStore::due(const std::string& participant_id, Period period) {
  return db_.read([&](store::Database& db) -> std::optional<Due> {
    auto s =
        db.prepare(fmt::format("SELECT {} FROM dues WHERE participant_id = ? AND period = ?", kDueColumns));
    if (!s.bind(1, participant_id).bind(2, period.index()).step()) return std::nullopt;
    return read_due(s);
  });
}

std::optional<BatchResult> SqliteStore::batch(const std::string& batch_id) {
  return db_.read([&](store::Database& db) -> std::optional<BatchResult> {
    Statements sql(db);
    BatchResult out{batch_id, true, {}, {}};
    auto s =
        sql.get(fmt::format("SELECT {} FROM payments WHERE batch_id = ? ORDER BY rowid", kPaymentColumns));
    s.bind(1, batch_id);
    while (s.step()) out.payments.push_back(read_payment(s));
    if (out.payments.empty()) return std::nullopt;
    for (auto& p : out.payments) p.allocations = allocations_of(sql, p.id);
    return out;
  });
}

std::vector<AgentMonth> SqliteStore::agent_month(const std::string& month, const auth::Scope& scope) {
  // Agents by the branch registration announced for them; a caller who sees every agent also
  // sees those it never announced.
  const auto where = auth::sql_scope(scope, {"branch_code", "", "agent_id", ""});
  const auto of_scope = scope.all
                            ? std::string()
                            : " AND agent_id IN (SELECT agent_id FROM agents WHERE " + where.condition + ")";
  return db_.read([&](store::Database& db) {
    std::map<std::string, AgentMonth> agents;
    auto collected = db.prepare(
        "SELECT agent_id, SUM(amount) FROM payments WHERE received_month = ? AND agent_id != '' AND reversed "
        "= 0" +
        of_scope + " GROUP BY agent_id");
    collected.bind(1, month);
    int i = 2;
    if (!scope.all)
      for (const auto& v : where.values) collected.bind(i++, v);
    while (collected.step()) agents[collected.column_text(0)].collected = collected.column_int(1);
    auto registered =
        db.prepare("SELECT agent_id, accounts FROM agent_openings WHERE opened_month = ?" + of_scope);
    registered.bind(1, month);
    i = 2;
    if (!scope.all)
      for (const auto& v : where.values) registered.bind(i++, v);
    while (registered.step()) agents[registered.column_text(0)].new_participants = registered.column_int(1);
    auto organisation = db.prepare("SELECT organisation FROM agents WHERE agent_id = ?");
    std::vector<AgentMonth> out;
    for (auto& [id, a] : agents) {
      a.agent_id = id;
      organisation.reset();
      if (organisation.bind(1, id).step()) a.organisation = organisation.column_text(0);
      out.push_back(a);
    }
    return out;
  });
}

std::optional<std::string> SqliteStore::agent_branch(const std::string& agent_id) {
  return db_.read([&](store::Database& db) -> std::optional<std::string> {
    auto s = db.prepare("SELECT branch_code FROM agents WHERE agent_id = ?");
    if (!s.bind(1, agent_id).step()) return std::nullopt;
    return s.column_text(0);
  });
}

}  // namespace jaring::contribution

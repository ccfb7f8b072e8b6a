#include "sqlite_store.hpp"

#include "jaring/audit/trail.hpp"

#include <sstream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "event_codec.hpp"
#include "jaring/store/constraint.hpp"
#include "jaring/store/consumer_offsets.hpp"
#include "jaring/store/idempotence.hpp"
#include "jaring/store/outbox.hpp"

namespace jaring::csr {
namespace {

// What a failed statement answers. The core checks every rule before it writes, so a constraint
// of the schema that still fails names the request field it guards (FAILED_PRECONDITION), and
// a sum SQLite cannot hold is refused as too large; anything else is UNAVAILABLE. The SQL and
// SQLite's words go to the log, never to a client.
Error store_failure(std::string_view what) {
  spdlog::error("csr-donor store: {}", what);
  static const store::ConstraintGuard kGuards[] = {
      {"balance >= 0", {"amount", "a wallet's balance must not go below zero"}},
      {"deposits.idempotency_key", {"idempotency_key", "was used for another deposit"}},
      {"amount > 0", {"amount", "must be a positive number of rupiah"}},
      {"allocations.participant_id", {"period", "a participant's period has one payer"}},
  };
  if (auto refused = store::constraint_refusal("csr-donor store", what, kGuards)) return *refused;
  if (what.find("integer overflow") != std::string_view::npos)
    return {ErrorCode::kFailedPrecondition,
            "a sum of this sponsor's figures does not fit in a rupiah figure",
            {}};
  return Error::unavailable("the csr-donor store is unavailable; the service logged the cause");
}

// Periods are stored as month indexes (year * 12 + month - 1): compact and ordered.
constexpr const char* kCohortColumns =
    "id, sponsor_id, name, start_period, months, last_period, max_members, categories, rw_codes, status, "
    "end_reason, budget, created_at, created_by, ended_by";
constexpr const char* kMemberColumns =
    "cohort_id, sponsor_id, participant_id, rw_code, from_period, to_period, active, end_reason, monthly";
constexpr const char* kSponsorColumns =
    "id, name, kind, balance, deposited, spent, funds_low, created_at, created_by";
constexpr const char* kParticipantColumns =
    "id, rw_code, category, payer, programs, income_band, active, exit_date";
constexpr const char* kAllocationColumns =
    "id, sponsor_id, cohort_id, participant_id, rw_code, period, amount, refunded, at";
constexpr const char* kItemColumns =
    "item_id, row_number, participant_id, rw_code, category, programs, income_band, reason, status, "
    "decision_reason, sponsor_id, cohort_id, decided_by, decided_at";

std::string join_list(const std::vector<std::string>& list) {
  std::string out;
  for (const auto& s : list) out += (out.empty() ? "" : ",") + s;
  return out;
}

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  std::string part;
  while (std::getline(in, part, ',')) {
    if (!part.empty()) out.push_back(part);
  }
  return out;
}

Month month_at(std::int64_t index) { return Month::from_index(static_cast<int>(index)); }

// Binds a scope's values from index `first` on; returns the next free index.
int bind_scope(store::Statement& s, const auth::SqlScope& where, int first) {
  for (const auto& value : where.values) s.bind(first++, value);
  return first;
}

// Rows of a table with sponsor_id and rw_code columns (memberships, allocations, failures,
// claims): a sponsor's own, or those in an area official's areas.
auth::SqlScope by_sponsor_or_rw(const auth::Scope& scope) {
  return auth::sql_scope(scope, {"", "rw_code", "", "sponsor_id"});
}

Sponsor read_sponsor(const store::Statement& s) {
  return {s.column_text(0), s.column_text(1),     s.column_text(2), s.column_int(3), s.column_int(4),
          s.column_int(5),  s.column_int(6) != 0, s.column_text(7), s.column_text(8)};
}

Cohort read_cohort(const store::Statement& s) {
  Cohort c;
  c.id = s.column_text(0);
  c.sponsor_id = s.column_text(1);
  c.name = s.column_text(2);
  c.start = month_at(s.column_int(3));
  c.months = static_cast<int>(s.column_int(4));
  c.last = month_at(s.column_int(5));
  c.max_members = static_cast<int>(s.column_int(6));
  c.categories = split_list(s.column_text(7));
  c.rw_codes = split_list(s.column_text(8));
  c.status = s.column_text(9);
  c.end_reason = s.column_text(10);
  c.budget = s.column_int(11);
  c.created_at = s.column_text(12);
  c.created_by = s.column_text(13);
  c.ended_by = s.column_text(14);
  return c;
}

Membership read_member(const store::Statement& s) {
  return {s.column_text(0),     s.column_text(1),          s.column_text(2),
          s.column_text(3),     month_at(s.column_int(4)), month_at(s.column_int(5)),
          s.column_int(6) != 0, s.column_text(7),          s.column_int(8)};
}

Participant read_participant(const store::Statement& s) {
  return {s.column_text(0), s.column_text(1), s.column_text(2),     s.column_text(3),
          s.column_text(4), s.column_int(5),  s.column_int(6) != 0, s.column_text(7)};
}

Allocation read_allocation(const store::Statement& s) {
  return {s.column_text(0), s.column_text(1),     s.column_text(2),
          s.column_text(3), s.column_text(4),     month_at(s.column_int(5)),
          s.column_int(6),  s.column_int(7) != 0, s.column_text(8)};
}

ProposalItem read_item(const store::Statement& s) {
  ProposalItem i;
  i.item_id = s.column_text(0);
  i.row = s.column_int(1);
  i.participant_id = s.column_text(2);
  i.rw_code = s.column_text(3);
  i.category = s.column_text(4);
  i.programs = s.column_text(5);
  i.income_band = s.column_int(6);
  i.reason = s.column_text(7);
  i.status = s.column_text(8);
  i.decision_reason = s.column_text(9);
  i.sponsor_id = s.column_text(10);
  i.cohort_id = s.column_text(11);
  i.decided_by = s.column_text(12);
  i.decided_at = s.column_text(13);
  return i;
}

// One Unit over a connection: a write transaction (tx set) or the reading connection.
class SqliteUnit final : public Unit {
 public:
  SqliteUnit(store::Database& db, store::Transaction* tx, const Clock& clock)
      : db_(db), tx_(tx), clock_(clock) {}

  bool seen_event(const std::string& event_id) override { return !store::first_application(db_, event_id); }
  std::optional<std::string> recall(const std::string& key) override {
    return store::recall_result(db_, key);
  }
  void remember(const std::string& key, const std::string& result) override {
    store::remember_result(db_, key, result);
  }

  std::optional<Sponsor> sponsor(const std::string& id) override {
    auto s = sql(fmt::format("SELECT {} FROM sponsors WHERE id = ?", kSponsorColumns));
    if (!s.bind(1, id).step()) return std::nullopt;
    return read_sponsor(s);
  }
  std::vector<Sponsor> sponsors(const auth::Scope& scope) override {
    const auto where =
        scope.areas.empty() ? auth::sql_scope(scope, {"", "", "", "id"}) : auth::SqlScope{"1", {}};
    auto s = sql(
        fmt::format("SELECT {} FROM sponsors WHERE {} ORDER BY name, id", kSponsorColumns, where.condition));
    bind_scope(s, where, 1);
    std::vector<Sponsor> out;
    while (s.step()) out.push_back(read_sponsor(s));
    return out;
  }
  void save_sponsor(const Sponsor& x) override {
    sql(fmt::format(
            "INSERT INTO sponsors ({}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
            "name = excluded.name, balance = excluded.balance, deposited = excluded.deposited, "
            "spent = excluded.spent, funds_low = excluded.funds_low",
            kSponsorColumns))
        .bind(1, x.id)
        .bind(2, x.name)
        .bind(3, x.kind)
        .bind(4, x.balance)
        .bind(5, x.deposited)
        .bind(6, x.spent)
        .bind(7, x.funds_low ? 1 : 0)
        .bind(8, x.created_at)
        .bind(9, x.created_by)
        .run();
  }
  void append_ledger(const LedgerLine& l) override {
    sql("INSERT INTO ledger (sponsor_id, kind, amount, balance, reference, participant_id, period, "
        "cohort_id, at, "
        "note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
        .bind(1, l.sponsor_id)
        .bind(2, l.kind)
        .bind(3, l.amount)
        .bind(4, l.balance)
        .bind(5, l.reference)
        .bind(6, l.participant_id)
        .bind(7, l.period)
        .bind(8, l.cohort_id)
        .bind(9, l.at)
        .bind(10, l.note)
        .run();
  }
  std::vector<LedgerLine> ledger(const std::string& sponsor_id, int limit) override {
    std::vector<LedgerLine> out;
    auto s =
        sql("SELECT seq, sponsor_id, kind, amount, balance, reference, participant_id, period, cohort_id, "
            "at, note "
            "FROM ledger WHERE sponsor_id = ? ORDER BY seq DESC LIMIT ?");
    s.bind(1, sponsor_id).bind(2, limit);
    while (s.step()) {
      out.push_back({s.column_int(0), s.column_text(1), s.column_text(2), s.column_int(3), s.column_int(4),
                     s.column_text(5), s.column_text(6), s.column_text(7), s.column_text(8), s.column_text(9),
                     s.column_text(10)});
    }
    return out;
  }
  void save_deposit(const Deposit& d) override {
    sql("INSERT INTO deposits (id, sponsor_id, idempotency_key, amount, balance, reference, at, by_user) "
        "VALUES "
        "(?, ?, ?, ?, ?, ?, ?, ?)")
        .bind(1, d.id)
        .bind(2, d.sponsor_id)
        .bind(3, d.idempotency_key)
        .bind(4, d.amount)
        .bind(5, d.balance)
        .bind(6, d.reference)
        .bind(7, d.at)
        .bind(8, d.by)
        .run();
  }
  std::optional<Deposit> deposit_by_key(const std::string& key) override {
    auto s = sql(
        "SELECT id, sponsor_id, idempotency_key, reference, at, by_user, amount, balance FROM deposits WHERE "
        "idempotency_key = ?");
    if (!s.bind(1, key).step()) return std::nullopt;
    return Deposit{s.column_text(0), s.column_text(1), s.column_text(2),
                   s.column_text(3), s.column_text(4), s.column_text(5),
                   s.column_int(6),  s.column_int(7),  false};
  }

  std::optional<Cohort> cohort(const std::string& id) override {
    auto s = sql(fmt::format("SELECT {} FROM cohorts WHERE id = ?", kCohortColumns));
    if (!s.bind(1, id).step()) return std::nullopt;
    return read_cohort(s);
  }
  std::vector<Cohort> cohorts(const std::string& sponsor_id, const auth::Scope& scope) override {
    const auto own = auth::sql_scope(scope, {"", "", "", "sponsor_id"});
    auth::Scope areas;
    areas.areas = scope.areas;
    const auto reach = auth::sql_scope(areas, {"", "m.rw_code", "", ""});
    // Its sponsor's, or one with a member in the caller's areas.
    const auto where = fmt::format(
        "sponsor_id = ? AND ({} OR EXISTS (SELECT 1 FROM memberships m "
        "WHERE m.cohort_id = cohorts.id AND {})) ORDER BY rowid",
        own.condition, reach.condition);
    return cohorts_where(where, [&](store::Statement& s) {
      s.bind(1, sponsor_id);
      bind_scope(s, reach, bind_scope(s, own, 2));
    });
  }
  std::vector<Cohort> cohorts_ended_before(Month month) override {
    return cohorts_where("status = 'active' AND last_period < ? ORDER BY rowid",
                         [&](store::Statement& s) { s.bind(1, month.index()); });
  }
  std::vector<Cohort> criteria_cohorts() override {
    // Asked at every registration: its statement's text is made once.
    static const auto kSql = cohorts_sql("status = 'active' AND max_members > 0 ORDER BY rowid");
    return cohorts_from(kSql, [](store::Statement&) {});
  }
  void save_cohort(const Cohort& c) override {
    sql(fmt::format(
            "INSERT INTO cohorts ({}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) "
            "DO UPDATE SET last_period = excluded.last_period, status = excluded.status, "
            "end_reason = excluded.end_reason, budget = excluded.budget, ended_by = excluded.ended_by",
            kCohortColumns))
        .bind(1, c.id)
        .bind(2, c.sponsor_id)
        .bind(3, c.name)
        .bind(4, c.start.index())
        .bind(5, c.months)
        .bind(6, c.last.index())
        .bind(7, c.max_members)
        .bind(8, join_list(c.categories))
        .bind(9, join_list(c.rw_codes))
        .bind(10, c.status)
        .bind(11, c.end_reason)
        .bind(12, c.budget)
        .bind(13, c.created_at)
        .bind(14, c.created_by)
        .bind(15, c.ended_by)
        .run();
  }

  std::vector<Membership> memberships_of(const std::string& participant_id) override {
    return members_where("participant_id = ? ORDER BY from_period", participant_id);
  }
  std::vector<Membership> members(const std::string& cohort_id) override {
    return members_where("cohort_id = ? ORDER BY participant_id", cohort_id);
  }
  std::vector<Membership> members_within(const std::string& cohort_id, const auth::Scope& scope) override {
    const auto where = by_sponsor_or_rw(scope);
    auto s = sql(fmt::format("SELECT {} FROM memberships WHERE cohort_id = ? AND {} ORDER BY participant_id",
                             kMemberColumns, where.condition));
    bind_scope(s.bind(1, cohort_id), where, 2);
    std::vector<Membership> out;
    while (s.step()) out.push_back(read_member(s));
    return out;
  }
  void save_membership(const Membership& m) override {
    sql(fmt::format(
            "INSERT INTO memberships ({}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (cohort_id, "
            "participant_id) DO UPDATE SET rw_code = excluded.rw_code, to_period = excluded.to_period, "
            "active = excluded.active, end_reason = excluded.end_reason, monthly = excluded.monthly",
            kMemberColumns))
        .bind(1, m.cohort_id)
        .bind(2, m.sponsor_id)
        .bind(3, m.participant_id)
        .bind(4, m.rw_code)
        .bind(5, m.from.index())
        .bind(6, m.to.index())
        .bind(7, m.active ? 1 : 0)
        .bind(8, m.end_reason)
        .bind(9, m.monthly)
        .run();
  }
  Rupiah monthly_need(const std::string& sponsor_id, Month month) override {
    auto s =
        sql("SELECT COALESCE(SUM(monthly), 0) FROM memberships WHERE sponsor_id = ? AND active = 1 AND "
            "to_period >= ?");
    s.bind(1, sponsor_id).bind(2, month.index()).step();
    return s.column_int(0);
  }

  std::optional<Participant> participant(const std::string& id) override {
    auto s = sql(fmt::format("SELECT {} FROM participants WHERE id = ?", kParticipantColumns));
    if (!s.bind(1, id).step()) return std::nullopt;
    return read_participant(s);
  }
  void save_participant(const Participant& p) override {
    static const auto kSave = insert_participant_sql(
        "ON CONFLICT (id) DO UPDATE SET rw_code = excluded.rw_code, category = excluded.category, "
        "payer = excluded.payer, programs = excluded.programs, income_band = excluded.income_band, "
        "active = excluded.active, exit_date = excluded.exit_date");
    write_participant(p, kSave);
  }
  bool add_participant(const Participant& p) override {
    // A write per registration: its SQL is made once.
    static const auto kAdd = insert_participant_sql("ON CONFLICT (id) DO NOTHING");
    write_participant(p, kAdd);
    return db_.changes() == 1;
  }
  std::vector<Participant> candidates(const std::vector<std::string>& categories,
                                      const std::vector<std::string>& rw_codes, int limit) override {
    // Lists are short (a few categories and RWs): filtering in SQL with placeholders. No index
    // serves them (migration 6): a new cohort is rare, a registration is not.
    std::string where = "active = 1 AND payer = 'self'";
    const auto in = [](const char* column, std::size_t n) {
      return fmt::format(" AND {} IN ({})", column, store::placeholders(n));
    };
    if (!categories.empty()) where += in("category", categories.size());
    if (!rw_codes.empty()) where += in("rw_code", rw_codes.size());
    auto s = sql(
        fmt::format("SELECT {} FROM participants WHERE {} ORDER BY id LIMIT ?", kParticipantColumns, where));
    int i = 1;
    for (const auto& c : categories) s.bind(i++, c);
    for (const auto& r : rw_codes) s.bind(i++, r);
    s.bind(i, limit);
    std::vector<Participant> out;
    while (s.step()) out.push_back(read_participant(s));
    return out;
  }

  std::optional<Allocation> allocation(const std::string& id) override {
    auto s = sql(fmt::format("SELECT {} FROM allocations WHERE id = ?", kAllocationColumns));
    if (!s.bind(1, id).step()) return std::nullopt;
    return read_allocation(s);
  }
  void save_allocation(const Allocation& a) override {
    sql(fmt::format(
            "INSERT INTO allocations ({}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
            "refunded = excluded.refunded",
            kAllocationColumns))
        .bind(1, a.id)
        .bind(2, a.sponsor_id)
        .bind(3, a.cohort_id)
        .bind(4, a.participant_id)
        .bind(5, a.rw_code)
        .bind(6, a.period.index())
        .bind(7, a.amount)
        .bind(8, a.refunded ? 1 : 0)
        .bind(9, a.at)
        .run();
  }
  std::vector<Allocation> allocations(const std::string& sponsor_id, Month from, Month to,
                                      const auth::Scope& scope) override {
    const auto where = by_sponsor_or_rw(scope);
    auto s =
        sql(fmt::format("SELECT {} FROM allocations WHERE sponsor_id = ? AND period >= ? AND period <= ? "
                        "AND refunded = 0 AND {} ORDER BY period, participant_id",
                        kAllocationColumns, where.condition));
    bind_scope(s.bind(1, sponsor_id).bind(2, from.index()).bind(3, to.index()), where, 4);
    std::vector<Allocation> out;
    while (s.step()) out.push_back(read_allocation(s));
    return out;
  }
  void save_failure(const Failure& f) override {
    sql("INSERT INTO failures (participant_id, period, sponsor_id, cohort_id, rw_code, amount, balance, at, "
        "reason) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING")
        .bind(1, f.participant_id)
        .bind(2, f.period.index())
        .bind(3, f.sponsor_id)
        .bind(4, f.cohort_id)
        .bind(5, f.rw_code)
        .bind(6, f.amount)
        .bind(7, f.balance)
        .bind(8, f.at)
        .bind(9, f.reason)
        .run();
  }
  std::vector<Failure> failures(const std::string& sponsor_id, Month from, Month to,
                                const auth::Scope& scope) override {
    const auto where = by_sponsor_or_rw(scope);
    auto s = sql(fmt::format(
        "SELECT participant_id, sponsor_id, cohort_id, rw_code, period, amount, balance, at, reason "
        "FROM failures WHERE sponsor_id = ? AND period >= ? AND period <= ? AND {} "
        "ORDER BY period, participant_id",
        where.condition));
    bind_scope(s.bind(1, sponsor_id).bind(2, from.index()).bind(3, to.index()), where, 4);
    std::vector<Failure> out;
    while (s.step()) {
      out.push_back({s.column_text(0), s.column_text(1), s.column_text(2), s.column_text(3),
                     month_at(s.column_int(4)), s.column_int(5), s.column_int(6), s.column_text(7),
                     s.column_text(8)});
    }
    return out;
  }
  bool save_claim(const ClaimImpact& c) override {
    sql("INSERT INTO claims (claim_id, participant_id, sponsor_id, cohort_id, rw_code, claim_type, "
        "event_date, "
        "event_period, amount) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING")
        .bind(1, c.claim_id)
        .bind(2, c.participant_id)
        .bind(3, c.sponsor_id)
        .bind(4, c.cohort_id)
        .bind(5, c.rw_code)
        .bind(6, c.claim_type)
        .bind(7, c.event_date)
        .bind(8, Month::of_date(c.event_date).value_or(Month{}).index())
        .bind(9, c.amount)
        .run();
    return db_.changes() > 0;
  }
  std::vector<ClaimImpact> claims(const std::string& sponsor_id, Month from, Month to,
                                  const auth::Scope& scope) override {
    const auto where = by_sponsor_or_rw(scope);
    auto s =
        sql(fmt::format("SELECT claim_id, participant_id, sponsor_id, cohort_id, rw_code, claim_type, "
                        "event_date, amount FROM claims WHERE sponsor_id = ? AND event_period >= ? "
                        "AND event_period <= ? AND {} ORDER BY event_date, claim_id",
                        where.condition));
    bind_scope(s.bind(1, sponsor_id).bind(2, from.index()).bind(3, to.index()), where, 4);
    std::vector<ClaimImpact> out;
    while (s.step()) {
      out.push_back({s.column_text(0), s.column_text(1), s.column_text(2), s.column_text(3), s.column_text(4),
                     s.column_text(5), s.column_text(6), s.column_int(7)});
    }
    return out;
  }

  std::optional<Proposal> proposal(const std::string& id) override {
    auto s = sql("SELECT id, kelurahan_code, submitted_by, submitted_at, note FROM proposals WHERE id = ?");
    if (!s.bind(1, id).step()) return std::nullopt;
    Proposal p{
        s.column_text(0), s.column_text(1), s.column_text(2), s.column_text(3), s.column_text(4), {}, {}};
    s.reset();
    auto items =
        sql(fmt::format("SELECT {} FROM proposal_items WHERE proposal_id = ? ORDER BY CAST(item_id AS "
                        "INTEGER)",
                        kItemColumns));
    items.bind(1, id);
    while (items.step()) p.items.push_back(read_item(items));
    auto refused =
        sql("SELECT row_number, reason FROM proposal_refused WHERE proposal_id = ? ORDER BY row_number");
    refused.bind(1, id);
    while (refused.step()) p.refused.push_back({refused.column_int(0), refused.column_text(1)});
    return p;
  }
  std::vector<Proposal> proposals(const std::string& kelurahan_code, const auth::Scope& scope) override {
    // Those of the caller's areas; for a sponsor also the open ones (addressed to every sponsor)
    // and those with an item it decided.
    const auto areas = auth::sql_scope(scope, {"", "kelurahan_code", "", ""});
    const auto to_sponsor =
        scope.sponsor.empty()
            ? std::string()
            : " OR EXISTS (SELECT 1 FROM proposal_items i WHERE i.proposal_id = proposals.id AND "
              "(i.status = 'pending' OR i.sponsor_id = ?))";
    std::vector<std::string> ids;
    {
      auto s =
          sql(fmt::format("SELECT id FROM proposals WHERE (? = '' OR kelurahan_code = ?) AND ({}{}) "
                          "ORDER BY submitted_at DESC, id DESC",
                          areas.condition, to_sponsor));
      const int next = bind_scope(s.bind(1, kelurahan_code).bind(2, kelurahan_code), areas, 3);
      if (!scope.sponsor.empty()) s.bind(next, scope.sponsor);
      while (s.step()) ids.push_back(s.column_text(0));
    }
    std::vector<Proposal> out;
    for (const auto& id : ids) {
      if (auto p = proposal(id)) out.push_back(std::move(*p));
    }
    return out;
  }
  void save_proposal(const Proposal& p) override {
    sql("INSERT INTO proposals (id, kelurahan_code, submitted_by, submitted_at, note) VALUES (?, ?, ?, ?, ?) "
        "ON "
        "CONFLICT (id) DO NOTHING")
        .bind(1, p.id)
        .bind(2, p.kelurahan_code)
        .bind(3, p.submitted_by)
        .bind(4, p.submitted_at)
        .bind(5, p.note)
        .run();
    for (const auto& i : p.items) {
      sql(fmt::format(
              "INSERT INTO proposal_items (proposal_id, {}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
              "?, ?) ON CONFLICT (proposal_id, item_id) DO UPDATE SET status = excluded.status, "
              "decision_reason = excluded.decision_reason, sponsor_id = excluded.sponsor_id, "
              "cohort_id = excluded.cohort_id, decided_by = excluded.decided_by, "
              "decided_at = excluded.decided_at",
              kItemColumns))
          .bind(1, p.id)
          .bind(2, i.item_id)
          .bind(3, i.row)
          .bind(4, i.participant_id)
          .bind(5, i.rw_code)
          .bind(6, i.category)
          .bind(7, i.programs)
          .bind(8, i.income_band)
          .bind(9, i.reason)
          .bind(10, i.status)
          .bind(11, i.decision_reason)
          .bind(12, i.sponsor_id)
          .bind(13, i.cohort_id)
          .bind(14, i.decided_by)
          .bind(15, i.decided_at)
          .run();
    }
    for (const auto& r : p.refused) {
      sql("INSERT INTO proposal_refused (proposal_id, row_number, reason) VALUES (?, ?, ?) ON CONFLICT DO "
          "NOTHING")
          .bind(1, p.id)
          .bind(2, r.row)
          .bind(3, r.reason)
          .run();
    }
  }

  void publish(const Event& event) override {
    if (tx_ == nullptr) throw store::StoreError("publish outside a write transaction");
    store::outbox_append(*tx_, encode_event(event, clock_));
  }

 private:
  store::Statement sql(const std::string& text) { return db_.prepare(text); }

  // The insert of a participant with what to do when its id is known (`on_conflict`).
  static std::string insert_participant_sql(std::string_view on_conflict) {
    return fmt::format("INSERT INTO participants ({}) VALUES (?, ?, ?, ?, ?, ?, ?, ?) {}",
                       kParticipantColumns, on_conflict);
  }
  // Writes `p` with one of those inserts.
  void write_participant(const Participant& p, const std::string& insert_sql) {
    sql(insert_sql)
        .bind_unowned(1, p.id)
        .bind_unowned(2, p.rw_code)
        .bind_unowned(3, p.category)
        .bind_unowned(4, p.payer)
        .bind_unowned(5, p.programs)
        .bind(6, p.income_band)
        .bind(7, p.active ? 1 : 0)
        .bind_unowned(8, p.exit_date)
        .run();
  }
  template <typename Bind>
  std::vector<Cohort> cohorts_where(std::string_view where, Bind&& bind) {
    return cohorts_from(cohorts_sql(where), std::forward<Bind>(bind));
  }
  static std::string cohorts_sql(std::string_view where) {
    return fmt::format("SELECT {} FROM cohorts WHERE {}", kCohortColumns, where);
  }
  template <typename Bind>
  std::vector<Cohort> cohorts_from(const std::string& select, Bind&& bind) {
    auto s = sql(select);
    bind(s);
    std::vector<Cohort> out;
    while (s.step()) out.push_back(read_cohort(s));
    return out;
  }
  std::vector<Membership> members_where(const char* where, const std::string& value) {
    auto s = sql(fmt::format("SELECT {} FROM memberships WHERE {}", kMemberColumns, where));
    s.bind(1, value);
    std::vector<Membership> out;
    while (s.step()) out.push_back(read_member(s));
    return out;
  }

  store::Database& db_;
  store::Transaction* tx_;
  const Clock& clock_;
};

}  // namespace

SqliteStore::SqliteStore(store::Database& db, const Clock& clock) : db_(db), clock_(clock) {}

std::vector<store::Migration> SqliteStore::migrations() {
  return {
      {1, R"sql(
        CREATE TABLE sponsors (
          id TEXT PRIMARY KEY,
          name TEXT NOT NULL,
          kind TEXT NOT NULL,
          balance INTEGER NOT NULL CHECK (balance >= 0),
          deposited INTEGER NOT NULL,
          spent INTEGER NOT NULL,
          funds_low INTEGER NOT NULL,
          created_at TEXT NOT NULL,
          created_by TEXT NOT NULL
        );
        CREATE TABLE deposits (
          id TEXT PRIMARY KEY,
          sponsor_id TEXT NOT NULL,
          idempotency_key TEXT NOT NULL UNIQUE,
          amount INTEGER NOT NULL CHECK (amount > 0),
          balance INTEGER NOT NULL,
          reference TEXT NOT NULL,
          at TEXT NOT NULL,
          by_user TEXT NOT NULL
        );
        CREATE TABLE ledger (
          seq INTEGER PRIMARY KEY AUTOINCREMENT,
          sponsor_id TEXT NOT NULL,
          kind TEXT NOT NULL,
          amount INTEGER NOT NULL,
          balance INTEGER NOT NULL,
          reference TEXT NOT NULL,
          participant_id TEXT NOT NULL,
          period TEXT NOT NULL,
          cohort_id TEXT NOT NULL,
          at TEXT NOT NULL,
          note TEXT NOT NULL
        );
        CREATE INDEX ledger_by_sponsor ON ledger(sponsor_id, seq);
        CREATE TABLE cohorts (
          id TEXT PRIMARY KEY,
          sponsor_id TEXT NOT NULL,
          name TEXT NOT NULL,
          start_period INTEGER NOT NULL,
          months INTEGER NOT NULL,
          last_period INTEGER NOT NULL,
          max_members INTEGER NOT NULL,
          categories TEXT NOT NULL,
          rw_codes TEXT NOT NULL,
          status TEXT NOT NULL,
          end_reason TEXT NOT NULL,
          budget INTEGER NOT NULL,
          created_at TEXT NOT NULL,
          created_by TEXT NOT NULL,
          ended_by TEXT NOT NULL
        );
        CREATE INDEX cohorts_by_sponsor ON cohorts(sponsor_id);
        CREATE INDEX cohorts_active ON cohorts(last_period) WHERE status = 'active';
        CREATE TABLE memberships (
          cohort_id TEXT NOT NULL,
          sponsor_id TEXT NOT NULL,
          participant_id TEXT NOT NULL,
          rw_code TEXT NOT NULL,
          from_period INTEGER NOT NULL,
          to_period INTEGER NOT NULL,
          active INTEGER NOT NULL,
          end_reason TEXT NOT NULL,
          monthly INTEGER NOT NULL,
          PRIMARY KEY (cohort_id, participant_id)
        ) WITHOUT ROWID;
        CREATE INDEX memberships_by_participant ON memberships(participant_id);
        CREATE INDEX memberships_by_sponsor ON memberships(sponsor_id) WHERE active = 1;
        CREATE TABLE participants (
          id TEXT PRIMARY KEY,
          rw_code TEXT NOT NULL,
          category TEXT NOT NULL,
          payer TEXT NOT NULL,
          programs TEXT NOT NULL,
          income_band INTEGER NOT NULL,
          active INTEGER NOT NULL,
          exit_date TEXT NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX participants_by_rw ON participants(rw_code, category) WHERE active = 1;
        CREATE TABLE allocations (
          id TEXT PRIMARY KEY,
          sponsor_id TEXT NOT NULL,
          cohort_id TEXT NOT NULL,
          participant_id TEXT NOT NULL,
          rw_code TEXT NOT NULL,
          period INTEGER NOT NULL,
          amount INTEGER NOT NULL CHECK (amount > 0),
          refunded INTEGER NOT NULL,
          at TEXT NOT NULL,
          UNIQUE (participant_id, period)
        );
        CREATE INDEX allocations_by_sponsor ON allocations(sponsor_id, period);
        CREATE TABLE failures (
          participant_id TEXT NOT NULL,
          period INTEGER NOT NULL,
          sponsor_id TEXT NOT NULL,
          cohort_id TEXT NOT NULL,
          rw_code TEXT NOT NULL,
          amount INTEGER NOT NULL,
          balance INTEGER NOT NULL,
          at TEXT NOT NULL,
          reason TEXT NOT NULL,
          PRIMARY KEY (participant_id, period)
        ) WITHOUT ROWID;
        CREATE INDEX failures_by_sponsor ON failures(sponsor_id, period);
        CREATE TABLE claims (
          claim_id TEXT PRIMARY KEY,
          participant_id TEXT NOT NULL,
          sponsor_id TEXT NOT NULL,
          cohort_id TEXT NOT NULL,
          rw_code TEXT NOT NULL,
          claim_type TEXT NOT NULL,
          event_date TEXT NOT NULL,
          event_period INTEGER NOT NULL,
          amount INTEGER NOT NULL
        );
        CREATE INDEX claims_by_sponsor ON claims(sponsor_id, event_period);
        CREATE TABLE proposals (
          id TEXT PRIMARY KEY,
          kelurahan_code TEXT NOT NULL,
          submitted_by TEXT NOT NULL,
          submitted_at TEXT NOT NULL,
          note TEXT NOT NULL
        );
        CREATE INDEX proposals_by_kelurahan ON proposals(kelurahan_code);
        CREATE TABLE proposal_items (
          proposal_id TEXT NOT NULL,
          item_id TEXT NOT NULL,
          row_number INTEGER NOT NULL,
          participant_id TEXT NOT NULL,
          rw_code TEXT NOT NULL,
          category TEXT NOT NULL,
          programs TEXT NOT NULL,
          income_band INTEGER NOT NULL,
          reason TEXT NOT NULL,
          status TEXT NOT NULL,
          decision_reason TEXT NOT NULL,
          sponsor_id TEXT NOT NULL,
          cohort_id TEXT NOT NULL,
          decided_by TEXT NOT NULL,
          decided_at TEXT NOT NULL,
          PRIMARY KEY (proposal_id, item_id)
        ) WITHOUT ROWID;
        CREATE TABLE proposal_refused (
          proposal_id TEXT NOT NULL,
          row_number INTEGER NOT NULL,
          reason TEXT NOT NULL,
          PRIMARY KEY (proposal_id, row_number)
        ) WITHOUT ROWID;
        CREATE TABLE applied_events (event_id TEXT PRIMARY KEY) WITHOUT ROWID;
        CREATE TABLE idempotency_keys (key TEXT PRIMARY KEY, result TEXT NOT NULL) WITHOUT ROWID;
      )sql"},
      store::outbox_migration(2),
      audit::Trail::migration(3),
      // Rows the broker refuses for good, set aside by the relay (libs/store outbox.hpp).
      store::outbox_dead_letters_migration(4),
      // Where the consumer stands per partition, written with each batch: a restored store
      // re-reads what it applied after its backup (libs/store consumer_offsets.hpp).
      store::consumer_offsets_migration(5),
      // Every registration landed somewhere in the index by RW (a 4 KiB page written a row, in
      // the WAL and at the checkpoint); it served only the choice of a new cohort's members, a
      // few times a month, which now reads the participants in id order (about 0.2 s at a
      // million).
      {6, "DROP INDEX participants_by_rw;"},
      // The outbox in two segments, each emptied whole once published (libs/store outbox.hpp).
      store::outbox_segments_migration(7),
  };
}

Result<void> SqliteStore::transact(const std::function<Result<void>(Unit&)>& fn) {
  try {
    return db_.write([&](store::Transaction& tx) {
      SqliteUnit unit(tx.database(), &tx, clock_);
      return fn(unit);
    });
  } catch (const store::StoreError& e) {
    return fail(store_failure(e.what()));
  }
}

std::vector<SponsorshipFact> SqliteStore::sponsorships_page(const std::string& after, int limit) {
  return db_.read([&](store::Database& db) {
    std::vector<SponsorshipFact> out;
    auto s = db.prepare(
        "SELECT participant_id, MIN(rw_code), MIN(sponsor_id), MIN(cohort_id) FROM memberships WHERE active "
        "= 1 "
        "AND participant_id > ? GROUP BY participant_id ORDER BY participant_id LIMIT ?");
    s.bind(1, after).bind(2, static_cast<std::int64_t>(limit));
    while (s.step()) out.push_back({s.column_text(0), s.column_text(1), s.column_text(2), s.column_text(3)});
    return out;
  });
}

// outbox_backlog takes the reading connection itself.
std::int64_t SqliteStore::unpublished() { return store::outbox_backlog(db_); }

Result<void> SqliteStore::read(const std::function<Result<void>(Unit&)>& fn) {
  try {
    return db_.read([&](store::Database& db) {
      SqliteUnit unit(db, nullptr, clock_);
      return fn(unit);
    });
  } catch (const store::StoreError& e) {
    return fail(store_failure(e.what()));
  }
}

}  // namespace jaring::csr

#include "ledger.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "codes.hpp"

namespace jaring::contribution {
namespace {

Error precondition(std::string message) { return {ErrorCode::kFailedPrecondition, std::move(message), {}}; }

CoverageChanged coverage_event(const Account& a, std::string from, std::string to, std::string reason) {
  return {a.participant_id,  a.rw_code, "", std::move(from), std::move(to), period_text(a.covered_through),
          std::move(reason), a.agent_id};
}

Result<Due*> new_due(Book& book, Period period, const TariffTable& tariffs) {
  auto charge = tariffs.charge(period, book.account.terms);
  if (!charge) return fail(charge.error());
  Due due;
  due.period = period;
  due.charge = *charge;
  due.is_new = true;
  due.dirty = true;
  book.account.max_period = period;
  return &(book.dues[period] = due);
}

// The most one payment may bring in: every open month and 12 months ahead at the account's
// current charge, less the credit it already holds. More can only be a typing mistake or an
// attack: two INT64_MAX payments once wrapped an account's credit to -133,602.
Result<Rupiah> payment_ceiling(const Book& book, const TariffTable& tariffs) {
  const auto& a = book.account;
  // Each month ahead at its own tariff: a discount may end, or a new schedule start, among them.
  const auto ahead = a.max_period ? a.max_period->next() : a.first_period;
  Rupiah ceiling = 0;
  for (int m = 0; m < kMaxMonthsAhead; ++m) {
    auto monthly = tariffs.charge(ahead.next(m), a.terms);
    if (!monthly) return fail(monthly.error());
    add_bounded(ceiling, monthly->total);
  }
  for (const auto& [p, due] : book.dues) add_bounded(ceiling, due.outstanding());
  add_bounded(ceiling, -a.credit);
  return std::max<Rupiah>(ceiling, 0);
}

// A period's row: loaded, or created when it lies just after the last row.
Result<Due*> due_for(Book& book, Period period, const TariffTable& tariffs) {
  if (auto it = book.dues.find(period); it != book.dues.end()) return &it->second;
  const auto& a = book.account;
  if (a.max_period && period <= *a.max_period)
    return fail(precondition(fmt::format("period {} is already paid", period.str())));
  // Rows stay contiguous: fill any months between the last row and this one.
  for (auto p = a.max_period ? a.max_period->next() : a.first_period; p < period; p = p.next()) {
    if (auto made = new_due(book, p, tariffs); !made) return made;
  }
  return new_due(book, period, tariffs);
}

Rupiah take_into(Due& due, const std::string& payer, Rupiah available) {
  if (!due.payer.empty() && due.payer != payer) return 0;
  const auto take = std::min(available, due.outstanding());
  if (take <= 0) return 0;
  due.paid += take;
  due.payer = payer;
  due.dirty = true;
  return take;
}

void use_credit(Book& book, Due& due) {
  for (auto& credit : book.credits) {
    if (credit.unallocated <= 0 || !due.open()) continue;
    const auto take = take_into(due, credit.payer, credit.unallocated);
    if (take == 0) continue;
    credit.unallocated -= take;
    credit.dirty = true;
    book.credit_allocations.push_back({credit.payment_id, due.period, take});
  }
}

bool sponsored(const Book& book, Period p) {
  return std::ranges::any_of(book.sponsorships, [&](const Sponsorship& s) { return s.covers(p); });
}

// A month of the book fully paid (not waived): the worker has paid at least once.
bool any_paid(const Book& book) {
  return std::ranges::any_of(book.dues, [](const auto& entry) {
    const auto& due = entry.second;
    return !due.waived && due.paid > 0 && !due.open();
  });
}

bool in_participation(const Account& a, Period p) {
  return !(p < a.first_period) && !(a.last_period && *a.last_period < p);
}

}  // namespace

std::string period_text(const std::optional<Period>& period) { return period ? period->str() : ""; }

std::string payer_key(const std::string& channel, const std::string& payer_id) {
  if (channel == "sponsor" || channel == "city_budget") return channel + ":" + payer_id;
  return "self";
}

Result<Book> open_book(const Opening& o, const std::string& opened_month) {
  std::vector<FieldViolation> bad;
  const auto first = Period::of_date(o.registered_on);
  if (!first) bad.push_back({"registered_on", "must be a date YYYY-MM-DD"});
  std::optional<Period> last;
  if (!o.project_end_date.empty()) {
    last = Period::of_date(o.project_end_date);
    if (!last) bad.push_back({"project_end_date", "must be a date YYYY-MM-DD"});
    if (last && first && *last < *first)
      bad.push_back({"project_end_date", "must not be before registration"});
  }
  if (o.participant_id.empty()) bad.push_back({"participant_id", "required"});
  if (!bad.empty()) return fail(Error::invalid(std::move(bad)));
  Book book;
  book.is_new = true;
  auto& a = book.account;
  a.participant_id = o.participant_id;
  a.rw_code = o.rw_code;
  a.agent_id = o.agent_id;
  a.branch_code = o.branch_code;
  a.terms = o.terms;
  a.first_period = *first;
  a.last_period = last;
  a.end_date = o.project_end_date;
  a.state = state::kAwaiting;
  a.opened_at = o.opened_at;
  a.opened_month = opened_month;
  if (!o.counted_awaiting) book.events.push_back(coverage_event(a, state::kNone, state::kAwaiting, "opened"));
  return book;
}

Result<BillOutcome> bill(Book& book, Period period, const std::string& run_id, const TariffTable& tariffs,
                         const Settings& settings) {
  auto& a = book.account;
  BillOutcome out;
  if (a.state == state::kClosed) return out;
  auto through = period;
  if (a.last_period && *a.last_period < through) through = *a.last_period;
  const auto start = a.last_billed ? a.last_billed->next() : a.first_period;
  for (auto p = start; p <= through; p = p.next()) {
    Due* due = nullptr;
    if (auto it = book.dues.find(p); it != book.dues.end()) {
      due = &it->second;  // paid ahead: billed now, nothing new is owed
    } else {
      auto made = due_for(book, p, tariffs);
      if (!made) return fail(made.error());
      due = *made;
      // A sponsor's month is the sponsor's to pay: the worker's credit stays for their own months
      // (applied there, it made the sponsor's payment a second payer and it was refused).
      if (!sponsored(book, p)) use_credit(book, *due);
    }
    due->billed = true;
    due->dirty = true;
    ++out.billed;
    add_bounded(out.amount, due->charge.total);
    book.events.push_back(ContributionBilled{a.participant_id, a.rw_code, a.agent_id, a.terms.payer, run_id,
                                             due->charge, due->outstanding()});
    a.last_billed = p;
  }
  if (a.last_period && *a.last_period < period) {
    evaluate(book, settings, "billed", false);
    close(book, "project_ended", a.end_date);
    out.closed = true;
  } else {
    evaluate(book, settings, "billed", true);
  }
  return out;
}

Result<void> pay(Book& book, Payment& payment, const TariffTable& tariffs, const Settings& settings) {
  auto& a = book.account;
  if (a.state == state::kClosed)
    return fail(precondition(fmt::format("the account of {} is closed", a.participant_id)));
  const auto ceiling = payment_ceiling(book, tariffs);
  if (!ceiling) return fail(ceiling.error());
  if (payment.amount > *ceiling) {
    return fail(Error::invalid(
        {{"amount",
          fmt::format("must be at most {}: the open months and {} months ahead, less the credit held",
                      format_rupiah(*ceiling), kMaxMonthsAhead)}}));
  }
  Rupiah remaining = payment.amount;
  const auto allocate = [&](Due& due) {
    const auto take = take_into(due, payment.payer, remaining);
    if (take == 0) return;
    remaining -= take;
    payment.allocations.push_back({payment.id, due.period, take});
  };
  if (payment.target) {
    const auto p = *payment.target;
    if (!in_participation(a, p))
      return fail(precondition(fmt::format("period {} is outside the participation", p.str())));
    auto due = due_for(book, p, tariffs);
    if (!due) return fail(due.error());
    if (!(*due)->payer.empty() && (*due)->payer != payment.payer)
      return fail(precondition(fmt::format("period {} is paid by another payer", p.str())));
    if (!(*due)->open()) return fail(precondition(fmt::format("period {} is already paid", p.str())));
    allocate(**due);
  } else {
    int months = payment.months;
    // A lapsed account reactivated by paying the current month starts there, not in old arrears.
    std::optional<Period> from;
    if (a.state == state::kLapsed && settings.reactivation == Reactivation::kPayCurrent) from = a.last_billed;
    for (auto& [p, due] : book.dues) {
      if (months == 0 || remaining == 0) break;
      if (from && p < *from) continue;
      if (!due.open() || (!due.payer.empty() && due.payer != payment.payer)) continue;
      // Money ahead skips the months a sponsor will pay; a billed one the sponsor left open
      // (its wallet ran dry) is the worker's to pay.
      if (!due.billed && sponsored(book, p)) continue;
      allocate(due);
      --months;
    }
    for (auto p = a.max_period ? a.max_period->next() : a.first_period; months > 0 && remaining > 0;
         p = p.next()) {
      if (!in_participation(a, p)) break;
      if (sponsored(book, p)) continue;
      auto due = due_for(book, p, tariffs);
      if (!due) return fail(due.error());
      allocate(**due);
      --months;
    }
  }
  payment.unallocated = remaining;
  payment.dirty = true;
  book.payments.push_back(payment);
  const auto mark = book.events.size();
  evaluate(book, settings, "paid", false);
  PaymentReceived received{payment, a.rw_code, period_text(a.covered_through), {}};
  for (const auto& allocation : payment.allocations) {
    if (auto it = book.dues.find(allocation.period);
        it != book.dues.end() && !it->second.open() && !it->second.waived)
      received.paid_periods.push_back(allocation.period.str());
  }
  book.events.insert(book.events.begin() + static_cast<std::ptrdiff_t>(mark), std::move(received));
  return {};
}

Result<void> reverse(Book& book, Payment& payment, const std::string& reason, const Settings& settings) {
  if (payment.reversed) return {};
  for (const auto& allocation : payment.allocations) {
    auto it = book.dues.find(allocation.period);
    if (it == book.dues.end())
      return fail(Error::internal(
          fmt::format("period {} of payment {} is missing", allocation.period.str(), payment.id)));
    auto& due = it->second;
    due.paid -= allocation.amount;
    if (due.paid == 0) due.payer.clear();
    due.dirty = true;
  }
  std::erase_if(book.credits, [&](const Credit& c) { return c.payment_id == payment.id; });
  payment.reversed = true;
  payment.reversal_reason = reason;
  payment.unallocated = 0;
  payment.dirty = true;
  book.payments.push_back(payment);
  const auto mark = book.events.size();
  evaluate(book, settings, "reversed", false);
  book.events.insert(
      book.events.begin() + static_cast<std::ptrdiff_t>(mark),
      PaymentReversed{payment, book.account.rw_code, period_text(book.account.covered_through)});
  return {};
}

void move(Book& book, const std::string& to_rw_code) {
  auto& a = book.account;
  if (a.rw_code == to_rw_code) return;
  const auto from_rw = a.rw_code;
  a.rw_code = to_rw_code;
  if (a.state == state::kClosed) return;
  auto event = coverage_event(a, a.state, a.state, "moved");
  event.previous_rw_code = from_rw;
  book.events.push_back(std::move(event));
}

void close(Book& book, const std::string& reason, const std::string& end_date) {
  auto& a = book.account;
  if (a.state == state::kClosed) return;
  const auto from = a.state;
  a.state = state::kClosed;
  a.closed_reason = reason;
  if (!end_date.empty()) {
    a.end_date = end_date;
    const auto end = Period::of_date(end_date);
    if (end && (!a.last_period || *end < *a.last_period)) a.last_period = end;
  }
  book.events.push_back(coverage_event(a, from, state::kNone, reason));
}

void evaluate(Book& book, const Settings& settings, const std::string& reason, bool warn) {
  auto& a = book.account;
  const auto billed_before = [&](Period p) { return a.last_billed && p < *a.last_billed; };
  auto why = reason;
  if (a.state == state::kLapsed && settings.reactivation == Reactivation::kPayCurrent && a.last_billed) {
    const auto current = book.dues.find(*a.last_billed);
    // Paying the current month reactivates; the older unpaid months are written off.
    if (current != book.dues.end() && current->second.payer != "" && !current->second.open()) {
      for (auto& [p, due] : book.dues) {
        if (billed_before(p) && due.open()) {
          due.waived = true;
          due.dirty = true;
        }
      }
      why = "reactivated";
    }
  }
  const int before = a.months_unpaid;
  a.months_unpaid = 0;
  a.outstanding = 0;
  std::optional<Period> earliest_open;
  std::optional<Period> oldest_unpaid;
  for (const auto& [p, due] : book.dues) {
    if (!due.open()) continue;
    if (!earliest_open) earliest_open = p;
    if (billed_before(p)) {
      ++a.months_unpaid;
      if (!oldest_unpaid) oldest_unpaid = p;
    }
    if (due.billed) add_bounded(a.outstanding, due.outstanding());
  }
  a.credit = 0;
  for (const auto& c : book.credits) add_bounded(a.credit, c.unallocated);
  for (const auto& p : book.payments) {
    if (!p.reversed &&
        std::ranges::none_of(book.credits, [&](const Credit& c) { return c.payment_id == p.id; }))
      add_bounded(a.credit, p.unallocated);
  }
  if (earliest_open) {
    a.covered_through =
        a.first_period < *earliest_open ? std::optional(earliest_open->previous()) : std::nullopt;
  } else {
    a.covered_through = a.max_period;
  }
  if (a.state == state::kClosed) return;
  std::string target = a.months_unpaid == 0                            ? state::kActive
                       : a.months_unpaid < settings.lapse_after_months ? state::kArrears
                                                                       : state::kLapsed;
  // Leaving lapsed takes a full settlement (or, with kPayCurrent, the waiver above).
  if (a.state == state::kLapsed && a.months_unpaid > 0) target = state::kLapsed;
  // Protection starts with the first fully paid month: until then the worker awaits it, however
  // many months go unpaid (claims judges the same worker never_paid). A reversal that leaves no
  // month paid sends the account back; the book holds every row a reversal touches, and the
  // first month is open then, so no paid month can hide outside it but one paid out of order.
  if ((a.state == state::kAwaiting || why == "reversed") && !a.covered_through && !any_paid(book))
    target = state::kAwaiting;
  if (target != a.state) {
    book.events.push_back(coverage_event(a, a.state, target, why));
    a.state = target;
  }
  // The agent and the RW cadre chase a first payment as they chase arrears.
  if (warn && (a.state == state::kArrears || a.state == state::kAwaiting) && a.months_unpaid > before &&
      a.months_unpaid < settings.lapse_after_months) {
    book.events.push_back(ArrearsWarning{a.participant_id, a.rw_code, a.agent_id, a.months_unpaid,
                                         a.outstanding, period_text(oldest_unpaid)});
  }
}

}  // namespace jaring::contribution

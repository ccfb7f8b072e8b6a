#include "contribution.hpp"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "codes.hpp"
#include "jaring/common/export.hpp"
#include "jaring/common/ids.hpp"
#include "jaring/common/text.hpp"

namespace jaring::contribution {
namespace {

// A batch payment's description: free text that goes to the log.
constexpr text::Rule kDescription{text::Kind::kFreeText, 200, false};

Error precondition(std::string message) { return {ErrorCode::kFailedPrecondition, std::move(message), {}}; }

std::string fingerprint(const PaymentCommand& c) {
  return fmt::format("{}|{}|{}|{}|{}|{}|{}", c.participant_id, c.channel, c.payer_id, c.agent_id, c.amount,
                     c.months, c.period);
}

// True when a stored batch is what `command` asks for (its payments are in item order).
bool same_batch(const BatchCommand& command, const BatchResult& stored) {
  if (stored.payments.size() != command.items.size()) return false;
  for (std::size_t i = 0; i < command.items.size(); ++i) {
    const auto& item = command.items[i];
    const auto& paid = stored.payments[i];
    if (paid.participant_id != item.participant_id || paid.amount != item.amount ||
        paid.months != (item.months == 0 ? 1 : item.months) || paid.channel != command.channel ||
        paid.payer_id != command.payer_id || paid.agent_id != command.agent_id)
      return false;
  }
  return true;
}

Result<Period> period_or(const std::string& text, const char* field, Period fallback) {
  if (text.empty()) return fallback;
  if (auto p = Period::parse(text)) return *p;
  return fail(Error::invalid({{field, "must be a month YYYY-MM"}}));
}

// A caller whose only reach is a budget account: the treasurer.
bool only_treasurer(const auth::Scope& s) {
  return !s.all && s.branches.empty() && s.areas.empty() && s.agent.empty() && !s.sponsor.empty();
}

// Fills in what the caller's scope decides and refuses what it forbids: an agent records the
// cash they collected, under their own agent id (the fee follows it); a treasurer pays through
// city_budget from their own budget account.
Result<void> fit_to_caller(const auth::Scope& scope, std::string& channel, std::string& payer_id,
                           std::string& agent_id) {
  if (scope.only_agent()) {
    if (channel.empty()) channel = "agent_cash";
    if (agent_id.empty()) agent_id = scope.agent;
    if (agent_id != scope.agent)
      return fail(Error::denied({{"agent_id", "an agent records payments under their own agent id"}}));
    if (channel != "agent_cash")
      return fail(Error::denied({{"channel", "an agent records the cash they collected: agent_cash"}}));
  } else if (only_treasurer(scope)) {
    if (channel.empty()) channel = "city_budget";
    if (payer_id.empty()) payer_id = scope.sponsor;
    if (channel != "city_budget")
      return fail(Error::denied({{"channel", "a treasurer pays from the city budget: city_budget"}}));
    if (payer_id != scope.sponsor)
      return fail(
          Error::denied({{"payer_id", "a treasurer pays from their own budget account " + scope.sponsor}}));
  }
  return {};
}

}  // namespace

bool reaches(const auth::Scope& scope, const Account& a) {
  if (scope.covers({a.branch_code, a.rw_code, a.agent_id, ""})) return true;
  return !scope.sponsor.empty() && a.terms.payer == "city_budget";
}

Result<void> Contribution::with_book(const std::string& event_id, const std::string& participant_id,
                                     const std::function<Result<void>(Book&)>& fn) {
  return store_.transact([&](Unit& unit) -> Result<void> {
    if (!event_id.empty() && unit.seen_event(event_id)) return {};
    auto book = unit.load(participant_id);
    if (!book) return fail(Error::not_found(fmt::format("no account for participant {}", participant_id)));
    if (auto done = fn(*book); !done) return done;
    unit.save(*book);
    return {};
  });
}

Result<void> Contribution::open_account(const std::string& /*event_id*/, const Opening& opening) {
  auto book = open_book(opening, opening.registered_on.substr(0, 7));
  if (!book) return fail(book.error());
  return store_.transact([&](Unit& unit) -> Result<void> {
    // A participant opens one account, whatever the number of events announcing it, and an
    // account is never removed: the account itself says the event was applied, so its id is not
    // recorded (a row less per registration). What the opening publishes takes ids derived from
    // the event's, so it is the same events again if it ever runs twice.
    unit.open(*book);
    return {};
  });
}

Result<void> Contribution::move_account(const std::string& event_id, const std::string& participant_id,
                                        const std::string& to_rw_code) {
  return with_book(event_id, participant_id, [&](Book& book) -> Result<void> {
    move(book, to_rw_code);
    return {};
  });
}

Result<void> Contribution::sponsorship_changed(const std::string& event_id, const std::string& participant_id,
                                               const std::string& cohort_id, const std::string& from_period,
                                               const std::string& to_period) {
  if (from_period.empty() && to_period.empty()) return {};
  std::vector<FieldViolation> bad;
  if (participant_id.empty()) bad.push_back({"participant_id", "required"});
  if (cohort_id.empty()) bad.push_back({"cohort_id", "required"});
  const auto from = Period::parse(from_period);
  const auto to = Period::parse(to_period);
  if (!from) bad.push_back({"from_period", "must be a month YYYY-MM"});
  if (!to) bad.push_back({"to_period", "must be a month YYYY-MM"});
  if (!bad.empty()) return fail(Error::invalid(std::move(bad)));
  return store_.transact([&](Unit& unit) -> Result<void> {
    // Kept whether or not the account is open yet: the two topics do not keep one order.
    if (!unit.seen_event(event_id)) unit.save_sponsorship({participant_id, cohort_id, *from, *to});
    return {};
  });
}

Result<void> Contribution::exit_account(const std::string& event_id, const std::string& participant_id,
                                        const std::string& reason, const std::string& exit_date) {
  if (!exit_date.empty() && !valid_date(exit_date))
    return fail(Error::invalid({{"exit_date", "must be a date YYYY-MM-DD"}}));
  return with_book(event_id, participant_id, [&](Book& book) -> Result<void> {
    evaluate(book, settings_, "exited", false);
    close(book, reason.empty() ? "exited" : "exited:" + reason, exit_date);
    return {};
  });
}

Result<void> Contribution::update_terms(const std::string& event_id, const std::string& participant_id,
                                        const Terms& terms) {
  return with_book(event_id, participant_id, [&](Book& book) -> Result<void> {
    // Future bills use the new terms; periods already billed keep theirs.
    auto& t = book.account.terms;
    if (!terms.category.empty()) t.category = terms.category;
    if (!terms.payer.empty()) t.payer = terms.payer;
    if (!terms.programs.empty()) t.programs = terms.programs;
    if (terms.income_band > 0) t.income_band = terms.income_band;
    return {};
  });
}

Result<void> Contribution::register_agent(const std::string& event_id, const std::string& agent_id,
                                          const std::string& organisation, const std::string& branch_code) {
  return store_.transact([&](Unit& unit) -> Result<void> {
    if (unit.seen_event(event_id)) return {};
    unit.save_agent(agent_id, organisation, branch_code);
    return {};
  });
}

Result<void> Contribution::apply_sponsor_payment(const std::string& event_id, const SponsorPayment& sp) {
  PaymentCommand command{"sponsor:" + sp.sponsor_id + ":" + sp.allocation_id,
                         sp.participant_id,
                         "sponsor",
                         sp.sponsor_id,
                         "",
                         sp.amount,
                         1,
                         sp.period};
  const auto problems = check_payment(command, "");
  return store_.transact([&](Unit& unit) -> Result<void> {
    if (unit.seen_event(event_id) || unit.payment_by_key(command.idempotency_key)) return {};
    // A refusal is an answer too: csr-donor refunds the wallet on SponsorPaymentRejected.
    const auto reject = [&](const std::string& reason) -> Result<void> {
      unit.publish(SponsorPaymentRejected{sp.sponsor_id, sp.allocation_id, sp.participant_id, sp.period,
                                          reason, sp.amount});
      return {};
    };
    if (sp.allocation_id.empty() || sp.sponsor_id.empty())
      return reject("sponsor_id and allocation_id are required");
    if (!problems.empty()) return reject(problems.front().field + ": " + problems.front().rule);
    auto book = unit.load(sp.participant_id);
    if (!book) return reject("no account for this participant");
    auto payment = new_payment(command, "");
    if (auto paid = contribution::pay(*book, payment, tariffs_, settings_); !paid)
      return reject(paid.error().message);
    unit.save(*book);
    return {};
  });
}

std::vector<FieldViolation> Contribution::check_payment(const PaymentCommand& c, const std::string& prefix) {
  std::vector<FieldViolation> bad;
  const auto field = [&](const char* name) { return prefix + name; };
  text::check(bad, field("participant_id"), c.participant_id, text::kId);
  text::check(bad, field("payer_id"), c.payer_id, text::kReference);
  text::check(bad, field("agent_id"), c.agent_id, text::kReference);
  if (c.amount <= 0) bad.push_back({field("amount"), "must be a positive number of rupiah"});
  if (c.months != 0 && std::ranges::count(kMonthsAhead, c.months) == 0)
    bad.push_back({field("months"), "must be 1, 3, 6 or 12"});
  if (!one_of(c.channel, kChannels))
    bad.push_back({field("channel"), "must be one of agent_cash, bank_va, sponsor, city_budget"});
  if (c.channel == "agent_cash" && c.agent_id.empty())
    bad.push_back({field("agent_id"), "required for agent_cash: the agent who collected the money"});
  if ((c.channel == "sponsor" || c.channel == "city_budget") && c.payer_id.empty())
    bad.push_back({field("payer_id"), "required for sponsor and city_budget payments"});
  if (!c.period.empty() && !Period::parse(c.period))
    bad.push_back({field("period"), "must be a month YYYY-MM"});
  return bad;
}

Payment Contribution::new_payment(const PaymentCommand& c, const std::string& recorded_by) {
  Payment p;
  p.recorded_by = auth::normalise_subject(recorded_by);
  p.id = new_id("pay_");
  p.idempotency_key = c.idempotency_key;
  p.fingerprint = fingerprint(c);
  p.participant_id = c.participant_id;
  p.channel = c.channel;
  p.payer = payer_key(c.channel, c.payer_id);
  p.payer_id = c.payer_id;
  p.agent_id = c.agent_id;
  p.amount = c.amount;
  p.months = c.months == 0 ? 1 : c.months;
  if (!c.period.empty()) p.target = Period::parse(c.period);
  const auto now = clock_.now();
  p.received_at = format_utc(now);
  p.received_month = Period::jakarta(now).str();
  return p;
}

Result<BillingRun> Contribution::run_billing(const std::string& idempotency_key,
                                             const std::string& period_text) {
  if (std::vector<FieldViolation> bad;
      !text::check(bad, "idempotency_key", idempotency_key, text::kRequiredKey))
    return fail(Error::invalid(std::move(bad)));
  auto period = period_or(period_text, "period", Period::jakarta(clock_.now()));
  if (!period) return fail(period.error());
  // A run bills every account for each month up to its period: a period years ahead would be
  // one call that never ends.
  if (*period > Period::jakarta(clock_.now()).next(12))
    return fail(Error::invalid({{"period", "must be at most 12 months after the current month"}}));
  BillingRun run;
  bool new_request = false;
  auto begun = store_.transact([&](Unit& unit) -> Result<void> {
    const auto earlier = unit.recall(idempotency_key);
    if (earlier && *earlier != "billing:" + period->str())
      return fail(precondition(fmt::format("idempotency key was used for {}", *earlier)));
    new_request = !earlier;
    if (!earlier) unit.remember(idempotency_key, "billing:" + period->str());
    if (auto existing = unit.billing_run(period->str())) {
      run = *existing;
      return {};
    }
    run.run_id = new_id("bill_");
    run.period = period->str();
    run.started_at = format_utc(clock_.now());
    unit.save_billing_run(run);
    return {};
  });
  if (!begun) return fail(begun.error());
  if (!run.finished_at.empty()) {
    // A retry changes nothing. A new request for a billed period (the calendar billed the month
    // at its start) bills the accounts opened since; every other account remembers its months.
    const auto before = run.accounts_billed;
    if (new_request) {
      if (auto billed = bill_accounts(run, *period); !billed) return fail(billed.error());
    }
    run.repeated = run.accounts_billed == before;
    if (run.repeated) return run;
    return finish_run(run);
  }
  if (auto billed = bill_accounts(run, *period); !billed) return fail(billed.error());
  return finish_run(run);
}

Result<BillingRun> Contribution::finish_run(BillingRun run) {
  run.finished_at = format_utc(clock_.now());
  auto finished = store_.transact([&](Unit& unit) -> Result<void> {
    unit.save_billing_run(run);
    return {};
  });
  if (!finished) return fail(finished.error());
  return run;
}

Result<void> Contribution::bill_accounts(BillingRun& run, Period period) {
  // Chunks of accounts, each in its own transaction, so that other calls interleave; an
  // interrupted run resumes where it stopped because every account remembers what it was billed.
  std::string cursor;
  for (;;) {
    bool more = false;
    auto chunk = store_.transact([&](Unit& unit) -> Result<void> {
      auto books = unit.load_after(cursor, billing_chunk_);
      more = !books.empty();
      for (auto& book : books) {
        auto outcome = bill(book, period, run.run_id, tariffs_, settings_);
        if (!outcome) {
          return fail(
              Error{outcome.error().code,
                    fmt::format("participant {}: {}", book.account.participant_id, outcome.error().message),
                    outcome.error().violations});
        }
        run.accounts_billed += outcome->billed;
        add_bounded(run.amount_billed, outcome->amount);
        run.accounts_closed += outcome->closed ? 1 : 0;
        unit.save(book);
        cursor = book.account.participant_id;
      }
      unit.save_billing_run(run);
      return {};
    });
    if (!chunk) return fail(chunk.error());
    if (!more) return {};
  }
}

Result<std::vector<BillingRun>> Contribution::bill_due() {
  const auto current = Period::jakarta(clock_.now());
  std::optional<BillingRun> latest;
  auto read = store_.transact([&](Unit& unit) -> Result<void> {
    latest = unit.latest_billing_run();
    return {};
  });
  if (!read) return fail(read.error());
  auto from = current;
  if (latest) {
    const auto last = Period::parse(latest->period);
    if (!last) return fail(Error::internal("billing run of an unreadable period " + latest->period));
    from = latest->finished_at.empty() ? *last : last->next();
  }
  std::vector<BillingRun> runs;
  for (auto period = from; period <= current; period = period.next()) {
    auto run = run_billing("calendar:" + period.str(), period.str());
    if (!run) return fail(run.error());
    if (!run->repeated) runs.push_back(std::move(*run));
  }
  return runs;
}

Result<Payment> Contribution::pay(const PaymentCommand& original, const Caller& caller) {
  auto command = original;
  if (auto fitted = fit_to_caller(caller.scope, command.channel, command.payer_id, command.agent_id); !fitted)
    return fail(fitted.error());
  auto bad = check_payment(command, "");
  text::check(bad, "idempotency_key", command.idempotency_key, text::kRequiredKey);
  if (!bad.empty()) return fail(Error::invalid(std::move(bad)));
  const auto unknown = [&] {
    return fail(Error::not_found(fmt::format("no account for participant {}", command.participant_id)));
  };
  Payment result;
  auto done = store_.transact([&](Unit& unit) -> Result<void> {
    if (auto earlier = unit.payment_by_key(command.idempotency_key)) {
      const bool same = earlier->fingerprint == fingerprint(command);
      if (auto book = unit.load(earlier->participant_id); !book || !reaches(caller.scope, book->account)) {
        // Someone else's payment: nothing of it, not even its id.
        if (same) return unknown();
        return fail(Error::already_exists("idempotency key was used for a different payment"));
      }
      if (!same)
        return fail(Error::already_exists("idempotency key was used for a different payment " + earlier->id));
      result = *earlier;  // a retry: the first answer, nothing paid twice
      return {};
    }
    auto book = unit.load(command.participant_id);
    // An account the caller does not reach is answered as one that does not exist.
    if (!book || !reaches(caller.scope, book->account)) return unknown();
    auto payment = new_payment(command, caller.subject);
    if (auto paid = contribution::pay(*book, payment, tariffs_, settings_); !paid) return paid;
    unit.save(*book);
    result = payment;
    return {};
  });
  if (!done) return fail(done.error());
  return result;
}

Result<BatchResult> Contribution::pay_batch(const BatchCommand& original, const Caller& caller) {
  auto command = original;
  if (auto fitted = fit_to_caller(caller.scope, command.channel, command.payer_id, command.agent_id); !fitted)
    return fail(fitted.error());
  std::vector<FieldViolation> bad;
  text::check(bad, "idempotency_key", command.idempotency_key, text::kRequiredKey);
  text::check(bad, "payer_id", command.payer_id, text::kReference);
  text::check(bad, "agent_id", command.agent_id, text::kReference);
  text::check(bad, "description", command.description, kDescription);
  if (command.items.empty()) bad.push_back({"items", "at least one item"});
  if (command.items.size() > kMaxBatchItems)
    bad.push_back({"items", fmt::format("at most {} items (send several batches)", kMaxBatchItems)});
  if (!one_of(command.channel, kChannels))
    bad.push_back({"channel", "must be one of agent_cash, bank_va, sponsor, city_budget"});
  // Fields of the whole batch are the caller's mistake, not a failure of every item.
  if (command.channel == "agent_cash" && command.agent_id.empty())
    bad.push_back({"agent_id", "required for agent_cash: the agent who collected the money"});
  if ((command.channel == "sponsor" || command.channel == "city_budget") && command.payer_id.empty())
    bad.push_back({"payer_id", "required for sponsor and city_budget payments"});
  if (!bad.empty()) return fail(Error::invalid(std::move(bad)));
  BatchResult result;
  std::optional<std::string> earlier;
  auto done = store_.transact([&](Unit& unit) -> Result<void> {
    earlier = unit.recall(command.idempotency_key);
    if (earlier) return {};
    result.batch_id = new_id("batch_");
    std::set<std::string> seen;
    for (std::size_t i = 0; i < command.items.size(); ++i) {
      const auto& item = command.items[i];
      const auto failed = [&](std::string reason) {
        result.failures.push_back({static_cast<int>(i), item.participant_id, std::move(reason)});
      };
      PaymentCommand c{fmt::format("{}#{}", command.idempotency_key, i),
                       item.participant_id,
                       command.channel,
                       command.payer_id,
                       command.agent_id,
                       item.amount,
                       item.months,
                       ""};
      if (auto problems = check_payment(c, ""); !problems.empty()) {
        failed(problems.front().field + ": " + problems.front().rule);
        continue;
      }
      if (!seen.insert(item.participant_id).second) {
        failed("participant listed twice in the batch");
        continue;
      }
      auto book = unit.load(item.participant_id);
      if (!book || !reaches(caller.scope, book->account)) {
        failed("no account for this participant");
        continue;
      }
      auto payment = new_payment(c, caller.subject);
      payment.batch_id = result.batch_id;
      if (auto paid = contribution::pay(*book, payment, tariffs_, settings_); !paid) {
        failed(paid.error().message);
        continue;
      }
      unit.save(*book);
      result.payments.push_back(payment);
    }
    // All or nothing: one failure rolls every payment of the batch back.
    if (!result.failures.empty()) return fail(precondition("batch refused"));
    unit.remember(command.idempotency_key, result.batch_id);
    result.accepted = true;
    return {};
  });
  if (earlier) {
    auto stored = store_.batch(*earlier);
    if (!stored) return fail(Error::internal("batch " + *earlier + " is missing"));
    for (const auto& p : stored->payments) {
      // Someone else's batch: nothing of it, not even its id.
      if (auto account = store_.account(p.participant_id); !account || !reaches(caller.scope, *account))
        return fail(Error::already_exists("idempotency key was used for a different batch"));
    }
    // A key reused for another batch must not answer with the first batch as if it were paid.
    if (!same_batch(command, *stored))
      return fail(Error::already_exists("idempotency key was used for a different batch " + *earlier));
    return *stored;
  }
  if (!done && result.failures.empty()) return fail(done.error());
  if (!result.failures.empty()) {
    result.accepted = false;
    result.payments.clear();
  }
  return result;
}

Result<Payment> Contribution::reverse(const std::string& idempotency_key, const std::string& payment_id,
                                      const std::string& reason, const Caller& caller) {
  std::vector<FieldViolation> bad;
  text::check(bad, "idempotency_key", idempotency_key, text::kRequiredKey);
  text::check(bad, "payment_id", payment_id, text::kId);
  text::check(bad, "reason", reason, text::kReason);
  if (!bad.empty()) return fail(Error::invalid(std::move(bad)));
  Payment result;
  auto done = store_.transact([&](Unit& unit) -> Result<void> {
    if (auto earlier = unit.recall(idempotency_key); earlier && *earlier != "reversal:" + payment_id)
      return fail(Error::already_exists("idempotency key was used for " + *earlier));
    auto payment = unit.payment(payment_id);
    if (!payment) return fail(Error::not_found("no payment " + payment_id));
    auto book = unit.load(payment->participant_id, &*payment);
    // A payment of an account the caller does not reach is answered as one that does not exist.
    if (book && !reaches(caller.scope, book->account))
      return fail(Error::not_found("no payment " + payment_id));
    if (auth::same_subject(caller.subject, payment->recorded_by))
      return fail(Error::permission_denied(
          fmt::format("maker-checker: {} recorded payment {}; a second person reverses it",
                      auth::normalise_subject(caller.subject), payment_id)));
    if (payment->reversed) {
      result = *payment;
      return {};
    }
    if (!book) return fail(Error::not_found("no account for participant " + payment->participant_id));
    if (auto undone = contribution::reverse(*book, *payment, reason, settings_); !undone) return undone;
    unit.save(*book);
    unit.remember(idempotency_key, "reversal:" + payment_id);
    result = *payment;
    return {};
  });
  if (!done) return fail(done.error());
  return result;
}

Result<Account> Contribution::account(const std::string& participant_id) {
  if (participant_id.empty()) return fail(Error::invalid({{"participant_id", "required"}}));
  auto found = store_.account(participant_id);
  if (!found) return fail(Error::not_found("no account for participant " + participant_id));
  return *found;
}

Result<StatementView> Contribution::statement(const std::string& participant_id) {
  if (participant_id.empty()) return fail(Error::invalid({{"participant_id", "required"}}));
  auto found = store_.statement(participant_id);
  if (!found) return fail(Error::not_found("no account for participant " + participant_id));
  return *found;
}

Result<std::vector<ArrearsEntry>> Contribution::arrears(const std::string& rw_code,
                                                        const std::string& agent_id_asked,
                                                        const auth::Scope& scope) {
  // An agent who names neither asks for their own.
  const auto agent_id =
      rw_code.empty() && agent_id_asked.empty() && scope.only_agent() ? scope.agent : agent_id_asked;
  if (rw_code.empty() == agent_id.empty())
    return fail(Error::invalid({{"rw_code", "give exactly one of rw_code and agent_id"}}));
  if (!agent_id.empty() && !scope.all && agent_id != scope.agent) {
    // Another agent: one of the caller's branches, or unknown alike.
    const auto branch = store_.agent_branch(agent_id);
    if (!branch || !scope.covers({*branch, "", agent_id, ""}))
      return fail(Error::not_found("no agent " + agent_id));
  }
  return store_.arrears(rw_code, agent_id, scope);
}

Result<CoverageAnswer> Contribution::coverage_at(const std::string& participant_id, const std::string& date) {
  std::vector<FieldViolation> bad;
  if (participant_id.empty()) bad.push_back({"participant_id", "required"});
  if (!valid_date(date)) bad.push_back({"date", "must be a date YYYY-MM-DD"});
  if (!bad.empty()) return fail(Error::invalid(std::move(bad)));
  auto account = store_.account(participant_id);
  if (!account) return fail(Error::not_found("no account for participant " + participant_id));
  const auto period = *Period::of_date(date);
  CoverageAnswer answer{false, "", period.str(), period_text(account->covered_through), account->state};
  if (period < account->first_period) {
    answer.reason = "before the participation began";
  } else if (!account->end_date.empty() && date > account->end_date) {
    answer.reason = "after the participation ended (" + account->end_date + ")";
  } else if (auto due = store_.due(participant_id, period); !due || due->paid == 0) {
    answer.reason = "the month was not paid";
  } else if (due->waived || due->open()) {
    answer.reason = due->waived ? "the month was waived, not paid" : "the month was only partly paid";
  } else {
    answer.covered = true;
    answer.reason = "paid";
  }
  return answer;
}

Result<Charge> Contribution::quote(const std::string& period_text, const Terms& terms) {
  std::vector<FieldViolation> bad;
  auto period = period_or(period_text, "period", Period::jakarta(clock_.now()));
  if (!period) bad.push_back({"period", "must be a month YYYY-MM"});
  if (!one_of(terms.payer, kPayers)) bad.push_back({"payer", "must be self, sponsor or city_budget"});
  if (!one_of(terms.programs, kPrograms)) bad.push_back({"programs", "must be jkk+jkm or jkk+jkm+jht"});
  if (terms.category.empty()) bad.push_back({"category", "required"});
  if (terms.income_band <= 0) bad.push_back({"income_band", "must be a positive number of rupiah"});
  if (!bad.empty()) return fail(Error::invalid(std::move(bad)));
  return tariffs_.charge(*period, terms);
}

Result<void> Contribution::export_coverage(const std::function<bool(const CoverageFact&)>& sink) {
  return export_published<CoverageFact>(
      [&](const std::string& after, int limit) { return store_.coverage_page(after, limit); },
      [](const CoverageFact& f) { return f.participant_id; }, [&] { return store_.unpublished(); }, sink);
}

Result<Settlement> Contribution::settlement(const std::string& month, const auth::Scope& scope) {
  if (!Period::parse(month)) return fail(Error::invalid({{"month", "must be a month YYYY-MM"}}));
  return settle(month, store_.agent_month(month, scope), settings_);
}

Settlement settle(const std::string& month, const std::vector<AgentMonth>& agents, const Settings& settings) {
  Settlement out;
  out.month = month;
  std::map<std::string, OrganisationFee> organisations;
  for (const auto& a : agents) {
    AgentFee fee;
    fee.agent_id = a.agent_id;
    fee.organisation = a.organisation;
    fee.collected = a.collected;
    fee.fee = apply_rate(a.collected, settings.agent_fee_bp);
    fee.organisation_share = apply_rate(fee.fee, settings.organisation_share_bp);
    fee.agent_share = fee.fee;
    add_bounded(fee.agent_share, -fee.organisation_share);
    fee.new_participants = a.new_participants;
    fee.bonus = a.new_participants >= settings.bonus_new_participants ? settings.bonus_amount : 0;
    fee.payable = fee.agent_share;
    add_bounded(fee.payable, fee.bonus);
    add_bounded(out.total_collected, fee.collected);
    add_bounded(out.total_payable, fee.payable);
    if (!a.organisation.empty()) {
      auto& org = organisations[a.organisation];
      org.organisation = a.organisation;
      ++org.agents;
      add_bounded(org.collected, fee.collected);
      add_bounded(org.share, fee.organisation_share);
    }
    out.agents.push_back(std::move(fee));
  }
  std::ranges::sort(out.agents, {}, &AgentFee::agent_id);
  for (auto& [name, org] : organisations) out.organisations.push_back(std::move(org));
  return out;
}

}  // namespace jaring::contribution

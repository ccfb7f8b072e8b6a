#pragma once
// The ledger rules on one account's Book, without I/O: billing periods, allocating payments
// (oldest unpaid first, one payer per period, the rest credited forward), reversals, and the
// coverage state with the events each change announces.

#include <string>

#include "jaring/common/result.hpp"
#include "model.hpp"

namespace jaring::contribution {

struct BillOutcome {
  std::int64_t billed = 0;
  Rupiah amount = 0;
  bool closed = false;
};

// Payer key of a payment: one payer at most per period.
std::string payer_key(const std::string& channel, const std::string& payer_id);

// A new account from registration, awaiting its first payment; emits CoverageChanged
// none -> awaiting unless registration's event counted it awaiting already.
Result<Book> open_book(const Opening& opening, const std::string& opened_month);

// Bills every period from the last billed one up to `period` (catching up a missed run), using
// credit first; closes the account once `period` is past its last period.
Result<BillOutcome> bill(Book& book, Period period, const std::string& run_id, const TariffTable& tariffs,
                         const Settings& settings);

// Allocates a payment: the target period if any, else the oldest unpaid periods and then the
// next ones, `months` periods in all; what is left is credit. Fills payment.allocations.
Result<void> pay(Book& book, Payment& payment, const TariffTable& tariffs, const Settings& settings);

// Takes back a payment's allocations and credit. `payment` carries its allocations.
Result<void> reverse(Book& book, Payment& payment, const std::string& reason, const Settings& settings);

void move(Book& book, const std::string& to_rw_code);
void close(Book& book, const std::string& reason, const std::string& end_date);

// Recomputes the derived figures and the state; emits CoverageChanged (and, when `warn`,
// ArrearsWarning on a new unpaid month) as needed.
void evaluate(Book& book, const Settings& settings, const std::string& reason, bool warn);

std::string period_text(const std::optional<Period>& period);

}  // namespace jaring::contribution

#include "wallets.hpp"

#include <algorithm>
#include <limits>

#include <fmt/format.h>

#include "jaring/common/codes.hpp"
#include "jaring/common/ids.hpp"
#include "jaring/common/money.hpp"
#include "jaring/common/text.hpp"

namespace jaring::csr {
namespace {

// A deposit's reference is what the bank or the budget office wrote ("BCA 0042", "DPA-SKPD
// 1.02/2026"): a line, not a token like the system's own references.
constexpr text::Rule kDepositReference{text::Kind::kLine, 100, false};

}  // namespace

SponsorView LowBalance::view(SponsorStore& store, const Sponsor& sponsor) const {
  SponsorView view{sponsor, store.monthly_need(sponsor.id, this_month(clock_)), -1};
  if (view.monthly_need > 0)
    view.months_left = static_cast<int>(
        std::min<Rupiah>(sponsor.balance / view.monthly_need, std::numeric_limits<int>::max()));
  return view;
}

void LowBalance::check(WalletUnit& unit, Sponsor& sponsor) const {
  const auto seen = view(unit, sponsor);
  const bool low = seen.months_left >= 0 && seen.months_left < months_;
  if (low && !sponsor.funds_low) {
    // Once per crossing: the flag stays until the wallet covers the setting again.
    unit.publish(SponsorFundsLow{sponsor.id, sponsor.balance, seen.monthly_need, seen.months_left});
    sponsor.funds_low = true;
    unit.save_sponsor(sponsor);
  } else if (!low && sponsor.funds_low) {
    sponsor.funds_low = false;
    unit.save_sponsor(sponsor);
  }
}

Result<SponsorView> Wallets::create_sponsor(const std::string& key, const std::string& name,
                                            const std::string& kind, const Actor& by) {
  std::vector<FieldViolation> bad;
  check_key(bad, key);
  text::check(bad, "name", name, text::kOrganisation);
  if (!codes::one_of(kind, kKinds))
    bad.push_back({"kind", "must be csr_company, city_budget or philanthropy"});
  if (!bad.empty()) return fail(Error::invalid(std::move(bad)));
  SponsorView out;
  auto done = store_.transact([&](WalletUnit& unit) -> Result<void> {
    if (auto earlier = unit.recall(key)) {
      auto s = unit.sponsor(*earlier);
      if (!s) return fail(Error::internal("idempotency key points at a missing sponsor"));
      if (s->name != name || s->kind != kind)
        return fail(Error::already_exists("idempotency key was used for sponsor " + s->id));
      out = funds_.view(unit, *s);
      return {};
    }
    Sponsor s{new_id("s_"), name, kind, 0, 0, 0, false, now_text(clock_), by.subject};
    unit.save_sponsor(s);
    unit.remember(key, s.id);
    out = funds_.view(unit, s);
    return {};
  });
  if (!done) return fail(done.error());
  return out;
}

Result<std::vector<SponsorView>> Wallets::sponsors(const auth::Scope& scope) {
  std::vector<SponsorView> out;
  auto done = store_.read([&](WalletUnit& unit) -> Result<void> {
    for (const auto& s : unit.sponsors(scope)) out.push_back(funds_.view(unit, s));
    return {};
  });
  if (!done) return fail(done.error());
  return out;
}

Result<SponsorView> Wallets::sponsor(const std::string& sponsor_id, const auth::Scope& scope) {
  // The directory (every sponsor, without wallets: the adapter hides them) is for area officials.
  if (!owns(scope, sponsor_id) && scope.areas.empty()) return fail(no_sponsor(sponsor_id));
  SponsorView out;
  auto done = store_.read([&](WalletUnit& unit) -> Result<void> {
    auto s = unit.sponsor(sponsor_id);
    if (!s) return fail(no_sponsor(sponsor_id));
    out = funds_.view(unit, *s);
    return {};
  });
  if (!done) return fail(done.error());
  return out;
}

Result<Deposit> Wallets::deposit(const std::string& key, const std::string& sponsor_id, Rupiah amount,
                                 const std::string& reference, const Actor& by) {
  std::vector<FieldViolation> bad;
  check_key(bad, key);
  text::check(bad, "sponsor_id", sponsor_id, text::kId);
  if (amount <= 0) {
    bad.push_back({"amount", "must be a positive number of rupiah"});
  } else if (amount > max_deposit_) {
    bad.push_back({"amount", fmt::format("must be at most {} a deposit (wallet.max_deposit)",
                                         format_rupiah(max_deposit_))});
  }
  text::check(bad, "reference", reference, kDepositReference);
  if (!bad.empty()) return fail(Error::invalid(std::move(bad)));
  if (!owns(by.scope, sponsor_id)) return fail(no_sponsor(sponsor_id));
  Deposit out;
  auto done = store_.transact([&](WalletUnit& unit) -> Result<void> {
    if (auto earlier = unit.deposit_by_key(key)) {
      if (earlier->sponsor_id != sponsor_id || earlier->amount != amount)
        return fail(Error::already_exists("idempotency key was used for deposit " + earlier->id));
      out = *earlier;
      out.repeated = true;  // a retry: nothing is credited twice
      return {};
    }
    auto s = unit.sponsor(sponsor_id);
    if (!s) return fail(no_sponsor(sponsor_id));
    const auto balance = checked_add(s->balance, amount);
    const auto deposited = checked_add(s->deposited, amount);
    if (!balance || !deposited) return fail(overflow("amount", "the wallet's balance after this deposit"));
    s->balance = *balance;
    s->deposited = *deposited;
    out = {new_id("dep_"), s->id, key, reference, now_text(clock_), by.subject, amount, s->balance, false};
    unit.save_deposit(out);
    unit.append_ledger({0, s->id, "deposit", amount, s->balance, out.id, "", "", "", out.at, reference});
    unit.save_sponsor(*s);
    unit.publish(SponsorDeposited{s->id, out.id, s->kind, amount, s->balance});
    funds_.check(unit, *s);
    return {};
  });
  if (!done) return fail(done.error());
  return out;
}

Result<std::vector<LedgerLine>> Wallets::ledger(const std::string& sponsor_id, int limit,
                                                const auth::Scope& scope) {
  if (!owns(scope, sponsor_id)) return fail(no_sponsor(sponsor_id));
  std::vector<LedgerLine> out;
  auto done = store_.read([&](WalletUnit& unit) -> Result<void> {
    if (!unit.sponsor(sponsor_id)) return fail(no_sponsor(sponsor_id));
    out = unit.ledger(sponsor_id, limit <= 0 ? 100 : limit);
    return {};
  });
  if (!done) return fail(done.error());
  return out;
}

}  // namespace jaring::csr

#pragma once
// Sponsors and their wallets: creating a sponsor, deposits (each a ledger line and a
// SponsorDeposited), the ledger, and the low-balance alert that every part raises after a
// wallet or what its members need changed.

#include <string>
#include <vector>

#include "ports.hpp"
#include "rules.hpp"

namespace jaring::csr {

// The low-balance alert: months of cover = balance / monthly need; SponsorFundsLow once when it
// drops below the setting, again only after a deposit covered the setting and it dropped anew.
class LowBalance {
 public:
  LowBalance(int months, const Clock& clock) : months_(months), clock_(clock) {}

  // A sponsor with its monthly need and the months its wallet lasts.
  SponsorView view(SponsorStore& store, const Sponsor& sponsor) const;
  // Raises or clears the alert after a wallet or its needs changed (saves the sponsor's flag).
  void check(WalletUnit& unit, Sponsor& sponsor) const;

 private:
  int months_;
  const Clock& clock_;
};

class Wallets {
 public:
  Wallets(Transactions<WalletUnit>& store, const Settings& settings, const Clock& clock)
      : store_(store),
        max_deposit_(settings.max_deposit),
        funds_(settings.low_balance_months, clock),
        clock_(clock) {}

  Result<SponsorView> create_sponsor(const std::string& idempotency_key, const std::string& name,
                                     const std::string& kind, const Actor& by);
  Result<std::vector<SponsorView>> sponsors(const auth::Scope& scope);
  Result<SponsorView> sponsor(const std::string& sponsor_id, const auth::Scope& scope);
  Result<Deposit> deposit(const std::string& idempotency_key, const std::string& sponsor_id, Rupiah amount,
                          const std::string& reference, const Actor& by);
  Result<std::vector<LedgerLine>> ledger(const std::string& sponsor_id, int limit, const auth::Scope& scope);

 private:
  Transactions<WalletUnit>& store_;
  Rupiah max_deposit_;
  LowBalance funds_;
  const Clock& clock_;
};

}  // namespace jaring::csr

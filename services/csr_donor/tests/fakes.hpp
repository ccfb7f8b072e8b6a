#pragma once
// The ports csr-donor's core calls out through, faked for the unit tests and the fuzz targets:
// a tariff table in memory and a registrar that refuses NIKs starting with "0".

#include <string>
#include <vector>

#include "core/csr.hpp"
#include "jaring/common/money.hpp"

namespace jaring::csr::testing {

// Rp16,800 a month (JKK 1% of Rp1,000,000 + JKM Rp6,800); JHT adds 2% of the band.
class TableTariffs final : public Tariffs {
 public:
  Result<Rupiah> monthly(Month, const Terms& terms, const std::string& acting_for) override {
    ++calls;
    last_acting_for = acting_for;
    if (terms.category == "unknown") return fail(Error::invalid({{"category", "not a worker category"}}));
    // As contribution's table does, an income it cannot price is refused, never wrapped.
    const auto jkk = checked_rate(terms.income_band, 100);
    auto total = jkk ? checked_add(*jkk, 6'800) : std::nullopt;
    if (terms.programs == "jkk+jkm+jht" && total) {
      const auto jht = checked_rate(terms.income_band, 200);
      total = jht ? checked_add(*total, *jht) : std::nullopt;
    }
    if (!total || terms.income_band < 0)
      return fail(Error::invalid({{"income_band", "not an income the table prices"}}));
    return *total;
  }
  int calls = 0;
  std::string last_acting_for;
};

class FakeRegistrar final : public Registrar {
 public:
  Result<std::vector<Registered>> register_workers(const std::vector<ProposalInput>& rows,
                                                   const std::string& submitted_by) override {
    last_submitted_by = submitted_by;
    std::vector<Registered> out;
    for (const auto& r : rows) {
      if (r.worker->nik.starts_with("0")) {
        out.push_back({r.row, "", "nik: province code must be 11..94"});
      } else {
        out.push_back({r.row, "p_new_" + r.worker->nik, ""});
      }
    }
    return out;
  }
  std::string last_submitted_by;
};

}  // namespace jaring::csr::testing

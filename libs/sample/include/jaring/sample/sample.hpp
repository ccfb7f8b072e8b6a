#pragma once
// Believable sample workers for the demo, the end-to-end tests and the benchmarks: valid NIKs
// (birth date and sex encoded as registration checks them), Indonesian names, mobile numbers and
// the worker categories of the seeds. Deterministic for a given seed.

#include <cstdint>
#include <random>
#include <string>

namespace jaring::sample {

struct Worker {
  std::string nik;
  std::string name;
  std::string birth_date;  // YYYY-MM-DD
  std::string sex;         // M | F
  std::string phone;
  int rt = 1;
  std::string category;
  std::int64_t income_band = 1'000'000;
  std::string programs;
  std::string payer;
};

class Generator {
 public:
  explicit Generator(std::uint64_t seed) : rng_(seed) {}
  // A new worker; `serial` makes the NIK unique (1..9999 per region and birth date, so callers
  // pass a running number and the generator spreads it over regions).
  Worker worker(std::uint64_t serial);

 private:
  std::mt19937_64 rng_;
};

}  // namespace jaring::sample

namespace jaring::sample {

// Copies a worker into a registration request (jaring.registration.v1.RegisterRequest or
// anything with the same setters), leaving the RW and the idempotency key to the caller.
template <typename Request>
void fill_register_request(const Worker& w, Request& r) {
  r.set_nik(w.nik);
  r.set_name(w.name);
  r.set_birth_date(w.birth_date);
  r.set_sex(w.sex);
  r.set_phone(w.phone);
  r.set_rt(w.rt);
  r.set_category(w.category);
  r.set_income_band(w.income_band);
  r.set_programs(w.programs);
  r.set_payer(w.payer);
}

}  // namespace jaring::sample
